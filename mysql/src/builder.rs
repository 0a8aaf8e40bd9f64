//! [`MySqlOrderStoreBuilder`]: where the MySQL order store keeps its
//! tables, how it leases due orders, and their migration.

use std::sync::Arc;
use std::time::Duration;

use sqlx::mysql::MySqlPool;
use tencent_faceid::orders::StoreStatus;

use crate::migrate::{self, checked};
use crate::statements::Statements;
use crate::status;
use crate::{DueLeases, MySqlOrderStore, MySqlStoreError};

/// Configures a [`MySqlOrderStore`]; made by [`MySqlOrderStore::builder`].
///
/// Defaults: the table prefix [`DEFAULT_PREFIX`](Self::DEFAULT_PREFIX), the
/// timeout [`DEFAULT_TIMEOUT`](Self::DEFAULT_TIMEOUT), due leases chosen
/// from the server's version.
#[derive(Debug, Clone)]
pub struct MySqlOrderStoreBuilder {
    // Read by `MySqlTicketHome`, which keeps the tickets beside the store.
    pub(crate) pool: MySqlPool,
    pub(crate) app_id: String,
    pub(crate) prefix: String,
    pub(crate) timeout: Duration,
    due_leases: Option<DueLeases>,
}

impl MySqlOrderStoreBuilder {
    /// The table prefix of [`MySqlOrderStore::builder`]: `faceid_`.
    pub const DEFAULT_PREFIX: &'static str = "faceid_";

    /// The default of [`timeout`](Self::timeout): 5 s.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

    pub(crate) fn new(pool: MySqlPool, app_id: String) -> Self {
        Self {
            pool,
            app_id,
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            timeout: Self::DEFAULT_TIMEOUT,
            due_leases: None,
        }
    }

    /// The longest one call of the store may take, a second try on a
    /// fresh connection included; default 5 s. Past it the call fails with
    /// [`MySqlStoreError::TimedOut`] (a callback answers 503 with
    /// `Retry-After`, its order still pending). A consume must reach MySQL
    /// within half of it (see [`MySqlOrderStore`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The prefix of the store's table names (`<prefix>orders`,
    /// `<prefix>settlements`, `<prefix>holds`, `<prefix>erasures`,
    /// `<prefix>tickets`, `<prefix>ticket_leases` ([`MySqlTicketHome`](crate::MySqlTicketHome)),
    /// `<prefix>schema_version`) in the pool's database; default
    /// `faceid_`. Plain lower-case (letters, digits, `_`), at most 40
    /// characters. Every instance sharing orders must use the same one;
    /// apps may share one (every row holds the app id).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How reconcilers lease due orders, instead of the choice
    /// [`build`](Self::build) makes from the server's version (for a
    /// server that reports a version it does not behave as, e.g. behind a
    /// proxy).
    pub fn due_leases(mut self, leases: DueLeases) -> Self {
        self.due_leases = Some(leases);
        self
    }

    /// Creates the store's tables, or brings older ones to this crate's
    /// version; answers how many migrations ran (0 when current).
    /// Idempotent, and safe when instances run it at once (a named lock,
    /// `GET_LOCK`, takes them in turn). Run it at deployment, with a user
    /// that may create tables: [`build`](Self::build) never does.
    ///
    /// The SQL is plain and shipped in the crate (`src/sql/*.sql`); a DBA
    /// who rather runs it by hand gets it whole, names filled in, from
    /// [`mysql_migration_sql`](crate::mysql_migration_sql) (`faceid migrate
    /// --print-sql`).
    ///
    /// # Errors
    /// [`MySqlStoreError::InvalidPrefix`], [`MySqlStoreError::SchemaNewer`],
    /// [`MySqlStoreError::Database`].
    pub async fn migrate(&self) -> Result<usize, MySqlStoreError> {
        migrate::migrate(&self.pool, &self.prefix).await
    }

    /// The tables' version and, when it is this crate's, the work waiting
    /// for this app id: pending orders and undelivered settlements (what
    /// `faceid status` shows). Works on tables not migrated yet.
    ///
    /// # Errors
    /// [`MySqlStoreError::InvalidPrefix`], [`MySqlStoreError::Database`].
    pub async fn status(&self) -> Result<StoreStatus, MySqlStoreError> {
        status::status(&self.pool, &self.prefix, &self.app_id).await
    }

    /// Builds the store, after checking that its tables are there and at
    /// this crate's version, and choosing how it leases due orders: `FOR
    /// UPDATE SKIP LOCKED` on MySQL 8.0+ and MariaDB 10.6+, the lease
    /// column on older servers (MySQL 5.7), said in the log.
    ///
    /// # Errors
    /// [`MySqlStoreError::SchemaMissing`] or
    /// [`MySqlStoreError::SchemaOutdated`] (run [`migrate`](Self::migrate)),
    /// [`MySqlStoreError::SchemaNewer`], [`MySqlStoreError::InvalidPrefix`],
    /// [`MySqlStoreError::Database`].
    pub async fn build(self) -> Result<MySqlOrderStore, MySqlStoreError> {
        migrate::check(&self.pool, &self.prefix).await?;
        let version: String = sqlx::query_scalar("SELECT VERSION()")
            .fetch_one(&self.pool)
            .await?;
        let due_leases = match self.due_leases {
            Some(chosen) => chosen,
            None => {
                let leases = DueLeases::for_server(&version);
                match leases {
                    DueLeases::SkipLocked => tracing::info!(
                        server = %version,
                        "the MySQL order store leases due orders with FOR UPDATE SKIP LOCKED"
                    ),
                    DueLeases::LeaseColumn => tracing::warn!(
                        server = %version,
                        "this MySQL has no FOR UPDATE SKIP LOCKED (MySQL 8.0+ or MariaDB 10.6+ have it): the order store leases due orders through its lease column, and reconcilers on several instances take turns"
                    ),
                }
                leases
            }
        };
        Ok(MySqlOrderStore {
            statements: Arc::new(Statements::new(checked(&self.prefix)?)),
            pool: self.pool,
            app_id: self.app_id.into(),
            timeout: self.timeout,
            due_leases,
            server: version.into(),
        })
    }
}
