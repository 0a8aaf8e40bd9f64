//! Configuration from the environment: the [`vars`] and
//! [`FaceIdBuilder::from_env`].

use std::time::Duration;

use super::FaceId;
use super::builder::FaceIdBuilder;
use super::database::DatabaseSettings;
use super::error::FaceIdError;

/// The environment variables [`FaceIdBuilder::from_env`] reads.
pub mod vars {
    /// Your WBappid from the FaceID console.
    pub const APP_ID: &str = "FACEID_APP_ID";
    /// The secret that goes with it.
    pub const SECRET: &str = "FACEID_SECRET";
    /// The vendor's base URL (default
    /// [`DEFAULT_BASE_URL`](crate::client::DEFAULT_BASE_URL)).
    pub const BASE_URL: &str = "FACEID_BASE_URL";
    /// A Redis URL: tickets and orders shared by all instances (feature
    /// `redis`).
    pub const REDIS_URL: &str = "FACEID_REDIS_URL";
    /// The key prefix of those tickets and orders (default `faceid:`).
    pub const REDIS_PREFIX: &str = "FACEID_REDIS_PREFIX";
    /// What [`REDIS_URL`] lists: `standalone` (one URL, the default),
    /// `cluster` (some nodes of a Redis Cluster, comma-separated) or
    /// `sentinel` (the sentinels, comma-separated).
    pub const REDIS_MODE: &str = "FACEID_REDIS_MODE";
    /// With [`REDIS_MODE`]`=sentinel`: the master's name in the
    /// sentinels' `sentinel monitor` line.
    pub const REDIS_SENTINEL_MASTER: &str = "FACEID_REDIS_SENTINEL_MASTER";
    /// With [`REDIS_MODE`]`=sentinel`: the password of the master the
    /// sentinels name, if it requires one (the sentinels' own go in their
    /// URLs).
    pub const REDIS_SENTINEL_PASSWORD: &str = "FACEID_REDIS_SENTINEL_PASSWORD";
    /// A database URL: orders and settlements in PostgreSQL
    /// (`postgres://`, feature `postgres`), or in a database opened by a
    /// [`DatabaseConnector`](crate::facade::DatabaseConnector) of another
    /// crate (`mysql://`: `tencent_faceid_mysql::MySqlConnector`); without
    /// [`REDIS_URL`], the access token and SIGN ticket
    /// shared there too. Migrate its tables at deployment.
    pub const DATABASE_URL: &str = "FACEID_DATABASE_URL";
    /// The PostgreSQL schema of those orders (default `faceid`; MySQL's
    /// database is the URL's).
    pub const DATABASE_SCHEMA: &str = "FACEID_DATABASE_SCHEMA";
    /// The most connections to that PostgreSQL (default 10).
    pub const DATABASE_MAX_CONNECTIONS: &str = "FACEID_DATABASE_MAX_CONNECTIONS";
    /// How long a statement waits for a connection, in milliseconds
    /// (default 2000).
    pub const DATABASE_ACQUIRE_TIMEOUT_MS: &str = "FACEID_DATABASE_ACQUIRE_TIMEOUT_MS";
    /// How long PostgreSQL lets a statement run, or MySQL a statement wait
    /// for a row lock, in milliseconds (default 3000).
    pub const DATABASE_STATEMENT_TIMEOUT_MS: &str = "FACEID_DATABASE_STATEMENT_TIMEOUT_MS";
    /// The longest one call of the order store may take, retries included,
    /// in milliseconds (default 5000).
    pub const DATABASE_TIMEOUT_MS: &str = "FACEID_DATABASE_TIMEOUT_MS";
    /// The App SDK licence (`keyLicence`), for [`FaceId::start_sdk`](crate::FaceId::start_sdk).
    pub const KEY_LICENCE: &str = "FACEID_KEY_LICENCE";
    /// Your callback route's absolute URL
    /// ([`FaceIdBuilder::callback_url`](crate::facade::FaceIdBuilder::callback_url)).
    pub const CALLBACK_URL: &str = "FACEID_CALLBACK_URL";
    /// `1`: allow an `http://` callback URL to a host other than loopback
    /// in a release build too
    /// ([`FaceIdBuilder::allow_http_callback_url`](crate::facade::FaceIdBuilder::allow_http_callback_url)).
    pub const HTTP_CALLBACK_IN_RELEASE: &str = "FACEID_HTTP_CALLBACK_IN_RELEASE";
}

impl FaceIdBuilder {
    /// Configuration from the environment: [`vars::APP_ID`] and
    /// [`vars::SECRET`] (required), [`vars::BASE_URL`], and the settings
    /// [`settings_from_vars`](Self::settings_from_vars) reads. Set the
    /// other options on the builder it returns.
    ///
    /// # Errors
    /// [`FaceIdError::MissingVariable`] naming the variable to set,
    /// [`FaceIdError::InvalidVariable`], [`FaceIdError::FeatureMissing`]
    /// (such as [`vars::REDIS_URL`] without the feature `redis`).
    pub fn from_env() -> Result<Self, FaceIdError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Self::from_env`] reading the variables from `var` instead of the
    /// process environment (for tests, or a configuration file). Empty
    /// values count as unset.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use tencent_faceid::facade::{FaceIdBuilder, FaceIdError};
    /// let vars = HashMap::from([("FACEID_APP_ID", "appId001")]);
    /// let error = FaceIdBuilder::from_vars(|name| vars.get(name).map(|v| v.to_string())).unwrap_err();
    /// assert!(matches!(error, FaceIdError::MissingVariable { name: "FACEID_SECRET", .. }));
    /// let error = FaceIdBuilder::from_vars(|_| None).unwrap_err();
    /// assert!(matches!(error, FaceIdError::MissingVariable { name: "FACEID_APP_ID", .. }));
    /// ```
    ///
    /// # Errors
    /// As [`Self::from_env`].
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, FaceIdError> {
        let get = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let app_id = get(vars::APP_ID).ok_or(FaceIdError::MissingVariable {
            name: vars::APP_ID,
            hint: "set it to your WBappid from the FaceID console (with FACEID_SECRET)",
        })?;
        let secret = get(vars::SECRET).ok_or(FaceIdError::MissingVariable {
            name: vars::SECRET,
            hint: "set it to the secret of FACEID_APP_ID from the FaceID console",
        })?;
        let builder = FaceId::builder(app_id, secret);
        let builder = match get(vars::BASE_URL) {
            Some(base_url) => builder.base_url(base_url),
            None => builder,
        };
        builder.settings_from_vars(get)
    }

    /// The settings of this builder the variables `var` give, the vendor
    /// aside (for a builder from [`FaceId::with_client`]):
    /// [`vars::CALLBACK_URL`], [`vars::HTTP_CALLBACK_IN_RELEASE`],
    /// [`vars::KEY_LICENCE`], the `FACEID_TC3_*` variables (when
    /// `FACEID_TC3_SECRET_ID` is set), [`vars::REDIS_URL`] with
    /// [`vars::REDIS_PREFIX`], [`vars::REDIS_MODE`] and the
    /// `FACEID_REDIS_SENTINEL_*` variables, [`vars::DATABASE_URL`] with
    /// the `FACEID_DATABASE_*` variables. Empty values count as unset.
    ///
    /// # Errors
    /// As [`Self::from_env`].
    pub fn settings_from_vars(
        self,
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, FaceIdError> {
        let get = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let flag = |name: &'static str| match get(name).as_deref().map(str::trim) {
            None | Some("0") | Some("false") => Ok(false),
            Some("1") | Some("true") => Ok(true),
            Some(_) => Err(FaceIdError::InvalidVariable {
                name,
                expected: "1 (or true) to turn it on, 0 (or false) or unset to leave it off",
            }),
        };
        let mut builder = self.allow_http_callback_url(flag(vars::HTTP_CALLBACK_IN_RELEASE)?);
        if let Some(url) = get(vars::CALLBACK_URL) {
            builder = builder.callback_url(url);
        }
        if get("FACEID_TC3_SECRET_ID").is_some() {
            let tc3 = crate::tc3::Tc3ClientBuilder::from_vars(get)?.build()?;
            builder = builder.wechat(tc3);
        }
        if let Some(licence) = get(vars::KEY_LICENCE) {
            builder = builder.starter(move |starter| starter.key_licence(licence));
        }
        if let Some(url) = get(vars::REDIS_URL) {
            builder = builder.redis_from_env(url, &get)?;
        } else if let Some(name) = [
            vars::REDIS_MODE,
            vars::REDIS_SENTINEL_MASTER,
            vars::REDIS_SENTINEL_PASSWORD,
        ]
        .into_iter()
        .find(|name| get(name).is_some())
        {
            return Err(FaceIdError::MissingVariable {
                name: vars::REDIS_URL,
                hint: if name == vars::REDIS_MODE {
                    "FACEID_REDIS_MODE needs the Redis nodes or sentinels listed in it"
                } else {
                    "the FACEID_REDIS_SENTINEL_* variables need the sentinels listed in it"
                },
            });
        }
        if let Some(settings) = database_settings(get)? {
            builder = if settings.is_postgres() {
                builder.postgres_from_env(settings)?
            } else {
                // Opened by a connector of another crate (mysql://).
                builder.database(settings)
            };
        }
        Ok(builder)
    }

    /// The PostgreSQL store the settings describe.
    #[cfg(feature = "postgres")]
    fn postgres_from_env(self, settings: DatabaseSettings) -> Result<Self, FaceIdError> {
        let options = settings.postgres_pool_options();
        let mut builder = self.postgres(settings.url()).postgres_pool_options(options);
        if let Some(timeout) = settings.timeout {
            builder = builder.postgres_timeout(timeout);
        }
        Ok(match settings.schema {
            Some(schema) => builder.postgres_schema(schema),
            None => builder,
        })
    }

    #[cfg(not(feature = "postgres"))]
    fn postgres_from_env(self, _settings: DatabaseSettings) -> Result<Self, FaceIdError> {
        Err(FaceIdError::FeatureMissing {
            what: "FACEID_DATABASE_URL",
            feature: "postgres",
        })
    }

    #[cfg(feature = "redis")]
    fn redis_from_env(
        self,
        url: String,
        get: &impl Fn(&str) -> Option<String>,
    ) -> Result<Self, FaceIdError> {
        let mode = get(vars::REDIS_MODE);
        let master = get(vars::REDIS_SENTINEL_MASTER);
        let mut topology =
            crate::redis::RedisTopology::parse(&url, mode.as_deref(), master.as_deref())?;
        if let Some(password) = get(vars::REDIS_SENTINEL_PASSWORD) {
            topology = topology.with_master_password(password)?;
        }
        let builder = self.redis_topology(topology);
        Ok(match get(vars::REDIS_PREFIX) {
            Some(prefix) => builder.redis_prefix(prefix),
            None => builder,
        })
    }

    #[cfg(not(feature = "redis"))]
    fn redis_from_env(
        self,
        _url: String,
        _get: &impl Fn(&str) -> Option<String>,
    ) -> Result<Self, FaceIdError> {
        Err(FaceIdError::FeatureMissing {
            what: "FACEID_REDIS_URL",
            feature: "redis",
        })
    }
}

/// The database the `FACEID_DATABASE_*` variables `var` gives (the process
/// environment in [`FaceIdBuilder::from_env`]), as `from_env` reads them:
/// `None` when `FACEID_DATABASE_URL` is unset (or blank). For a tool that
/// opens the same database as the service (`faceid`).
///
/// ```
/// use tencent_faceid::facade::{database_settings, vars};
/// let var = |name: &str| (name == vars::DATABASE_URL).then(|| "mysql://app@db/app".to_owned());
/// let settings = database_settings(var)?.expect("a database");
/// assert_eq!(settings.scheme(), "mysql");
/// # Ok::<(), tencent_faceid::facade::FaceIdError>(())
/// ```
///
/// # Errors
/// [`FaceIdError::InvalidVariable`] for a bound that is not a whole number.
pub fn database_settings(
    var: impl Fn(&str) -> Option<String>,
) -> Result<Option<DatabaseSettings>, FaceIdError> {
    let get = |name: &str| var(name).filter(|value| !value.trim().is_empty());
    let Some(url) = get(vars::DATABASE_URL) else {
        return Ok(None);
    };
    let number = |name: &'static str| {
        get(name)
            .map(|value| {
                value
                    .trim()
                    .parse::<u32>()
                    .map_err(|_| FaceIdError::InvalidVariable {
                        name,
                        expected: "a whole number (of connections, or of milliseconds)",
                    })
            })
            .transpose()
    };
    let millis =
        |name| Ok::<_, FaceIdError>(number(name)?.map(|ms| Duration::from_millis(ms.into())));
    let mut settings = DatabaseSettings::new(url);
    settings.max_connections = number(vars::DATABASE_MAX_CONNECTIONS)?;
    settings.acquire_timeout = millis(vars::DATABASE_ACQUIRE_TIMEOUT_MS)?;
    settings.statement_timeout = millis(vars::DATABASE_STATEMENT_TIMEOUT_MS)?;
    settings.timeout = millis(vars::DATABASE_TIMEOUT_MS)?;
    settings.schema = get(vars::DATABASE_SCHEMA);
    Ok(Some(settings))
}

#[cfg(all(test, feature = "postgres"))]
mod postgres_tests {
    use super::*;

    /// The vendor, a database, and `extra` as the environment.
    fn configured(
        extra: &'static [(&'static str, &'static str)],
    ) -> Result<FaceIdBuilder, FaceIdError> {
        let var = move |name: &str| {
            let base = [
                (vars::APP_ID, "appId001"),
                (vars::SECRET, "secret"),
                (vars::DATABASE_URL, "postgres://app@db/app"),
            ];
            base.iter()
                .chain(extra)
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        };
        FaceIdBuilder::from_vars(var)
    }

    #[test]
    fn the_database_bounds_are_read_in_connections_and_milliseconds() {
        let builder = configured(&[
            (vars::DATABASE_MAX_CONNECTIONS, "30"),
            (vars::DATABASE_ACQUIRE_TIMEOUT_MS, "500"),
            (vars::DATABASE_STATEMENT_TIMEOUT_MS, "1500"),
            (vars::DATABASE_TIMEOUT_MS, "2500"),
        ])
        .unwrap();
        let expected = crate::orders::PostgresPoolOptions::new()
            .max_connections(30)
            .acquire_timeout(std::time::Duration::from_millis(500))
            .statement_timeout(std::time::Duration::from_millis(1500));
        assert_eq!(builder.backend.postgres.pool_options, expected);
        assert_eq!(
            builder.backend.postgres.timeout,
            Some(std::time::Duration::from_millis(2500))
        );
    }

    #[test]
    fn a_database_bound_that_is_no_number_names_its_variable() {
        let error = configured(&[(vars::DATABASE_ACQUIRE_TIMEOUT_MS, "2s")]).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the environment variable FACEID_DATABASE_ACQUIRE_TIMEOUT_MS must be a whole number (of connections, or of milliseconds)"
        );
    }
}
