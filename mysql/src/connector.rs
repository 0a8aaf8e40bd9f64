//! [`MySqlConnector`]: `FACEID_DATABASE_URL=mysql://…` in
//! `FaceId::from_env`.

use std::error::Error;
use std::sync::Arc;

use async_trait::async_trait;
use sqlx::mysql::MySqlConnectOptions;
use tencent_faceid::client::FaceIdClient;
use tencent_faceid::facade::{DatabaseConnector, DatabaseParts, DatabaseSettings};
use tencent_faceid::orders::SettlementStore;
use tencent_faceid::tickets::{LeaseTimings, TicketProvider};

use crate::{
    MySqlOrderStore, MySqlOrderStoreBuilder, MySqlStoreError, MySqlTicketHome, MySqlTickets,
    PoolBounds,
};

/// Opens a [`MySqlOrderStore`] for the facade, from a `mysql://` (or
/// `mariadb://`) URL and the `FACEID_DATABASE_*` settings: the pool's
/// [`PoolBounds`] (`FACEID_DATABASE_MAX_CONNECTIONS`,
/// `FACEID_DATABASE_ACQUIRE_TIMEOUT_MS`, and
/// `FACEID_DATABASE_STATEMENT_TIMEOUT_MS` as the row lock wait) and the
/// store's timeout (`FACEID_DATABASE_TIMEOUT_MS`). The database is the
/// URL's; the tables have the default prefix and must be migrated
/// ([`MySqlOrderStoreBuilder::migrate`](crate::MySqlOrderStoreBuilder::migrate),
/// at deployment). When the facade asks for tickets too (the database is
/// the only backend its instances share), the access token and SIGN ticket
/// are shared through the same pool ([`MySqlTickets`]).
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// // FACEID_DATABASE_URL=mysql://app:secret@db/app
/// let face_id = tencent_faceid::facade::FaceIdBuilder::from_env()?
///     .database_connector(tencent_faceid_mysql::MySqlConnector)
///     .build()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct MySqlConnector;

impl MySqlConnector {
    /// The builder of the store [`connect`](DatabaseConnector::connect)
    /// opens, on a pool connected as `settings` say, before its tables are
    /// checked: for a tool that migrates them or asks their
    /// [`status`](MySqlOrderStoreBuilder::status) (`faceid`).
    ///
    /// # Errors
    /// [`MySqlStoreError::SchemaVariable`] when `settings` name a schema
    /// (a PostgreSQL notion), [`MySqlStoreError::Database`] when the
    /// database cannot be reached.
    pub async fn builder(
        settings: &DatabaseSettings,
        app_id: &str,
    ) -> Result<MySqlOrderStoreBuilder, MySqlStoreError> {
        if settings.schema.is_some() {
            return Err(MySqlStoreError::SchemaVariable);
        }
        let mut bounds = PoolBounds::new();
        if let Some(max) = settings.max_connections {
            bounds = bounds.max_connections(max);
        }
        if let Some(timeout) = settings.acquire_timeout {
            bounds = bounds.acquire_timeout(timeout);
        }
        if let Some(timeout) = settings.statement_timeout {
            bounds = bounds.lock_wait_timeout(timeout);
        }
        let pool = bounds.connect(&Self::sqlx_url(settings)).await?;
        let store = MySqlOrderStore::builder(pool, app_id);
        Ok(match settings.timeout {
            Some(timeout) => store.timeout(timeout),
            None => store,
        })
    }

    /// The database of `settings`' URL (`mysql://user@host/database`), if
    /// it names one.
    pub fn database(settings: &DatabaseSettings) -> Option<String> {
        let options: MySqlConnectOptions = Self::sqlx_url(settings).parse().ok()?;
        options.get_database().map(str::to_owned)
    }

    /// `settings`' URL as sqlx reads it: it knows the scheme mysql:// only.
    fn sqlx_url(settings: &DatabaseSettings) -> String {
        match settings.url().strip_prefix("mariadb://") {
            Some(rest) => format!("mysql://{rest}"),
            None => settings.url().to_owned(),
        }
    }
}

#[async_trait]
impl DatabaseConnector for MySqlConnector {
    fn schemes(&self) -> &'static [&'static str] {
        &["mysql", "mariadb"]
    }

    async fn connect(
        &self,
        settings: &DatabaseSettings,
        app_id: &str,
    ) -> Result<Arc<dyn SettlementStore>, Box<dyn Error + Send + Sync>> {
        let store = Self::builder(settings, app_id).await?;
        Ok(Arc::new(store.build().await?))
    }

    async fn connect_with_tickets(
        &self,
        settings: &DatabaseSettings,
        client: &FaceIdClient,
    ) -> Result<DatabaseParts, Box<dyn Error + Send + Sync>> {
        let store = Self::builder(settings, client.app_id()).await?;
        let home = MySqlTicketHome::new(&store, LeaseTimings::default()).await?;
        let tickets = MySqlTickets::builder(client.clone(), home).build();
        let tickets = Arc::new(tickets) as Arc<dyn TicketProvider>;
        Ok((Arc::new(store.build().await?), Some(tickets)))
    }
}
