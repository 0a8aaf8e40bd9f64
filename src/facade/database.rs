//! Databases the facade opens through a crate of their own
//! ([`DatabaseConnector`]): `FACEID_DATABASE_URL=mysql://…` with the crate
//! `tencent-faceid-mysql`, whose driver this crate does not carry.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use super::FaceIdError;
use crate::client::FaceIdClient;
use crate::orders::SettlementStore;
use crate::secret::Secret;
use crate::tickets::TicketProvider;

/// What [`DatabaseConnector::connect_with_tickets`] opens: the order store,
/// and the access token and SIGN ticket shared through the same database
/// (`None`: each instance keeps its own).
pub type DatabaseParts = (Arc<dyn SettlementStore>, Option<Arc<dyn TicketProvider>>);

/// Opens the order store of a database whose driver lives in another crate,
/// for [`FaceIdBuilder::database_connector`](super::FaceIdBuilder::database_connector):
/// the facade hands it the `FACEID_DATABASE_*` settings of a URL with one
/// of its [`schemes`](Self::schemes).
///
/// `tencent_faceid_mysql::MySqlConnector` is one (`mysql://`, `mariadb://`):
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tencent_faceid::facade::FaceIdBuilder;
/// let face_id = FaceIdBuilder::from_env()?
///     .database_connector(tencent_faceid_mysql::MySqlConnector)
///     .build()
///     .await?;
/// # Ok(()) }
/// ```
#[async_trait]
pub trait DatabaseConnector: Send + Sync + 'static {
    /// The URL schemes it opens, without `://` (`mysql`).
    fn schemes(&self) -> &'static [&'static str];

    /// The order store of `app_id` in the database `settings` describe,
    /// its tables checked (never made: migrating is the deployment's).
    ///
    /// # Errors
    /// The database unreachable or not migrated, in a message saying what
    /// to fix.
    async fn connect(
        &self,
        settings: &DatabaseSettings,
        app_id: &str,
    ) -> Result<Arc<dyn SettlementStore>, Box<dyn Error + Send + Sync>>;

    /// The order store of `client`'s app id, as [`connect`](Self::connect)
    /// opens it, and a [`TicketProvider`] fetching with `client` that shares
    /// the access token and SIGN ticket through the same database (and
    /// pool): what the facade asks for when the database is the only
    /// backend instances share (no Redis, no tickets of the user's), so
    /// that several instances fetch one token per lifetime and a restart
    /// keeps the pair. The default shares no tickets.
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    async fn connect_with_tickets(
        &self,
        settings: &DatabaseSettings,
        client: &FaceIdClient,
    ) -> Result<DatabaseParts, Box<dyn Error + Send + Sync>> {
        Ok((self.connect(settings, client.app_id()).await?, None))
    }
}

/// The `FACEID_DATABASE_*` settings of one database (see
/// [`vars`](super::vars)); unset ones are `None` (the connector's defaults).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct DatabaseSettings {
    url: Secret,
    /// `FACEID_DATABASE_MAX_CONNECTIONS`.
    pub max_connections: Option<u32>,
    /// `FACEID_DATABASE_ACQUIRE_TIMEOUT_MS`.
    pub acquire_timeout: Option<Duration>,
    /// `FACEID_DATABASE_STATEMENT_TIMEOUT_MS`.
    pub statement_timeout: Option<Duration>,
    /// `FACEID_DATABASE_TIMEOUT_MS`: one call of the store, retries
    /// included.
    pub timeout: Option<Duration>,
    /// `FACEID_DATABASE_SCHEMA`.
    pub schema: Option<String>,
}

impl DatabaseSettings {
    /// The settings of the database at `url`, nothing else set.
    ///
    /// ```
    /// use tencent_faceid::facade::DatabaseSettings;
    /// let settings = DatabaseSettings::new("mysql://app:secret@db/app");
    /// assert_eq!(settings.scheme(), "mysql");
    /// assert!(!format!("{settings:?}").contains("secret"));
    /// ```
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: Secret::from(url.into()),
            max_connections: None,
            acquire_timeout: None,
            statement_timeout: None,
            timeout: None,
            schema: None,
        }
    }

    /// The database's URL (it may hold a password: never log it).
    pub fn url(&self) -> &str {
        self.url.expose()
    }

    /// The URL's scheme (`postgres`, `mysql`), what picks the connector.
    pub fn scheme(&self) -> &str {
        self.url()
            .split_once("://")
            .map_or("", |(scheme, _)| scheme)
    }

    /// The PostgreSQL pool's options these settings give (the bounds set,
    /// the defaults for the others), as `from_env` opens the pool.
    #[cfg(feature = "postgres")]
    pub fn postgres_pool_options(&self) -> crate::orders::PostgresPoolOptions {
        let mut options = crate::orders::PostgresPoolOptions::new();
        if let Some(max) = self.max_connections {
            options = options.max_connections(max);
        }
        if let Some(timeout) = self.acquire_timeout {
            options = options.acquire_timeout(timeout);
        }
        if let Some(timeout) = self.statement_timeout {
            options = options.statement_timeout(timeout);
        }
        options
    }

    /// Whether this crate opens the URL itself (feature `postgres`).
    pub(super) fn is_postgres(&self) -> bool {
        matches!(self.scheme(), "postgres" | "postgresql")
    }

    /// The store of `client`'s app id through the connector of this URL's
    /// scheme, and with `tickets`, the pair shared through it.
    pub(super) async fn open(
        &self,
        connectors: &[Arc<dyn DatabaseConnector>],
        client: &FaceIdClient,
        tickets: bool,
    ) -> Result<DatabaseParts, FaceIdError> {
        let scheme = self.scheme();
        let connector = connectors
            .iter()
            .find(|connector| connector.schemes().contains(&scheme))
            .ok_or_else(|| FaceIdError::NoDatabaseConnector {
                scheme: scheme.to_owned(),
            })?;
        let parts = match tickets {
            true => connector.connect_with_tickets(self, client).await,
            false => (connector.connect(self, client.app_id()).await).map(|store| (store, None)),
        };
        parts.map_err(FaceIdError::Database)
    }
}
