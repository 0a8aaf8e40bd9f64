//! [`PostgresOrderStoreBuilder`]: where the PostgreSQL order store keeps
//! its tables, and their migration.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgPool;

use super::migrate::{self, quoted};
use super::statements::Statements;
use super::{PostgresOrderStore, PostgresStoreError};

/// Configures a [`PostgresOrderStore`]; made by
/// [`PostgresOrderStore::builder`].
///
/// Defaults: the schema [`DEFAULT_SCHEMA`](Self::DEFAULT_SCHEMA), the
/// timeout [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT).
#[derive(Debug, Clone)]
pub struct PostgresOrderStoreBuilder {
    // Read by `PostgresTicketHome`, which keeps the tickets beside the store.
    pub(crate) pool: PgPool,
    pub(crate) app_id: String,
    pub(crate) schema: String,
    pub(crate) timeout: Duration,
}

impl PostgresOrderStoreBuilder {
    /// The schema of [`PostgresOrderStore::builder`]: `faceid`.
    pub const DEFAULT_SCHEMA: &'static str = "faceid";

    /// The default of [`timeout`](Self::timeout): 5 s, a connection's
    /// acquire timeout and a statement's of the
    /// [default pool](super::PostgresPoolOptions) together.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

    pub(super) fn new(pool: PgPool, app_id: String) -> Self {
        Self {
            pool,
            app_id,
            schema: Self::DEFAULT_SCHEMA.to_owned(),
            timeout: Self::DEFAULT_TIMEOUT,
        }
    }

    /// The longest one call of the store may take, a second try on a
    /// fresh connection included; default 5 s. Past it the call fails with
    /// [`PostgresStoreError::TimedOut`] (a callback answers 503 with
    /// `Retry-After`, its order still pending). A consume must reach
    /// PostgreSQL within half of it (see [`PostgresOrderStore`]).
    ///
    /// ```
    /// # async fn run(pool: tencent_faceid::sqlx::PgPool) -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use tencent_faceid::orders::PostgresOrderStore;
    /// let store = PostgresOrderStore::builder(pool, "appId001")
    ///     .timeout(Duration::from_secs(2))
    ///     .build()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The schema holding the store's tables (`orders`, `settlements`,
    /// `holds`, `erasures`, `schema_version`, and the shared tickets'
    /// `tickets` and `ticket_leases`); default `faceid`. A plain lower-case identifier
    /// (letters, digits, `_`). Every instance sharing orders must use the
    /// same one; apps may share one (every row holds the app id).
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// Creates the schema and its tables, or brings older ones to this
    /// crate's version, in one transaction; answers how many migrations
    /// ran (0 when the schema is current). Idempotent, and safe when
    /// instances run it at once (an advisory lock takes them in turn).
    /// Run it at deployment, with a role that may create tables:
    /// [`build`](Self::build) never does.
    ///
    /// The SQL is plain and shipped in the crate
    /// (`src/orders/postgres/sql/*.sql`); for a DBA who rather runs it by
    /// hand, [`postgres_migration_sql`](super::postgres_migration_sql)
    /// (`faceid migrate --print-sql`) is the whole script with the schema
    /// filled in.
    ///
    /// # Errors
    /// [`PostgresStoreError::InvalidSchema`],
    /// [`PostgresStoreError::SchemaNewer`], [`PostgresStoreError::Database`].
    pub async fn migrate(&self) -> Result<usize, PostgresStoreError> {
        migrate::migrate(&self.pool, &self.schema).await
    }

    /// The schema's version and, when it is this crate's, the work waiting
    /// for this app id: pending orders and undelivered settlements (what
    /// `faceid status` shows). Works on a schema not migrated yet.
    ///
    /// # Errors
    /// [`PostgresStoreError::InvalidSchema`], [`PostgresStoreError::Database`].
    pub async fn status(&self) -> Result<crate::orders::StoreStatus, PostgresStoreError> {
        super::status::status(&self.pool, &self.schema, &self.app_id).await
    }

    /// Builds the store, after checking that its schema is there and at
    /// this crate's version.
    ///
    /// # Errors
    /// [`PostgresStoreError::SchemaMissing`] or
    /// [`PostgresStoreError::SchemaOutdated`] (run
    /// [`migrate`](Self::migrate)), [`PostgresStoreError::SchemaNewer`],
    /// [`PostgresStoreError::InvalidSchema`], [`PostgresStoreError::Database`].
    pub async fn build(self) -> Result<PostgresOrderStore, PostgresStoreError> {
        migrate::check(&self.pool, &self.schema).await?;
        Ok(PostgresOrderStore {
            statements: Arc::new(Statements::new(&quoted(&self.schema)?)),
            pool: self.pool,
            app_id: self.app_id.into(),
            timeout: self.timeout,
        })
    }
}
