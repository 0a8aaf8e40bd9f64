//! The tool's configuration: the `FACEID_*` variables `FaceId::from_env`
//! reads for PostgreSQL and the app id.

use std::time::Duration;

use tencent_faceid::facade::vars;
use tencent_faceid::orders::{PostgresOrderStore, PostgresOrderStoreBuilder, PostgresPoolOptions};

use crate::error::CliError;

/// Where the store is, and whose orders to read.
pub struct Config {
    url: String,
    schema: Option<String>,
    app_id: Option<String>,
    pool: PostgresPoolOptions,
    timeout: Option<Duration>,
}

impl Config {
    /// The configuration `var` gives (the process environment in `main`).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, CliError> {
        let get = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let millis = |name: &'static str| {
            get(name)
                .map(|value| {
                    let ms = value.trim().parse::<u64>();
                    ms.map(Duration::from_millis)
                        .map_err(|_| CliError::Variable(name, "a whole number of milliseconds"))
                })
                .transpose()
        };
        let mut pool = PostgresPoolOptions::new();
        if let Some(max) = get(vars::DATABASE_MAX_CONNECTIONS) {
            let max = max.trim().parse().map_err(|_| {
                CliError::Variable(
                    vars::DATABASE_MAX_CONNECTIONS,
                    "a whole number of connections",
                )
            })?;
            pool = pool.max_connections(max);
        }
        if let Some(timeout) = millis(vars::DATABASE_ACQUIRE_TIMEOUT_MS)? {
            pool = pool.acquire_timeout(timeout);
        }
        if let Some(timeout) = millis(vars::DATABASE_STATEMENT_TIMEOUT_MS)? {
            pool = pool.statement_timeout(timeout);
        }
        Ok(Self {
            url: get(vars::DATABASE_URL).ok_or(CliError::Missing(
                vars::DATABASE_URL,
                "the PostgreSQL of the order store, postgres://user:password@host:port/database",
            ))?,
            schema: get(vars::DATABASE_SCHEMA),
            app_id: get(vars::APP_ID),
            pool,
            timeout: millis(vars::DATABASE_TIMEOUT_MS)?,
        })
    }

    /// The schema named by `FACEID_DATABASE_SCHEMA`, or the store's default.
    pub fn schema(&self) -> &str {
        self.schema
            .as_deref()
            .unwrap_or(PostgresOrderStoreBuilder::DEFAULT_SCHEMA)
    }

    /// The app id whose orders are read, required by every command that
    /// reads them.
    pub fn app_id(&self) -> Result<&str, CliError> {
        self.app_id.as_deref().ok_or(CliError::Missing(
            vars::APP_ID,
            "the WBappid whose orders to read (each app id's orders are its own)",
        ))
    }

    /// A store builder on a fresh pool, for `app_id`.
    pub async fn builder(&self, app_id: &str) -> Result<PostgresOrderStoreBuilder, CliError> {
        let pool = self.pool.connect(&self.url).await?;
        let builder = PostgresOrderStore::builder(pool, app_id).schema(self.schema());
        Ok(match self.timeout {
            Some(timeout) => builder.timeout(timeout),
            None => builder,
        })
    }

    /// The store of the configured app id, its schema checked.
    pub async fn store(&self) -> Result<PostgresOrderStore, CliError> {
        let builder = self.builder(self.app_id()?).await?;
        Ok(builder.build().await?)
    }
}
