//! [`MySqlStoreError`]: what can go wrong with the MySQL order store, each
//! with what to do about it.

/// The MySQL order store failed, or cannot start: the message says what to
/// fix. At run time it reaches callers inside
/// [`StoreError::Backend`](tencent_faceid::orders::StoreError::Backend).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MySqlStoreError {
    /// MySQL could not be reached, or refused a statement.
    #[error("MySQL could not be reached or refused a statement of the order store")]
    Database(#[source] sqlx::Error),
    /// MySQL could not be reached when the pool connected: nothing answered
    /// at its address within the acquire timeout, or the connection broke.
    #[error(
        "MySQL at {address} could not be reached within {waited:?} (FACEID_DATABASE_ACQUIRE_TIMEOUT_MS, PoolBounds::acquire_timeout): check the host and port of the URL (FACEID_DATABASE_URL), that MySQL is running there, and that this host may connect"
    )]
    Unreachable {
        /// Host and port (or socket) of the URL.
        address: String,
        /// How long the pool tried.
        waited: std::time::Duration,
        /// Why the last attempt failed.
        #[source]
        source: sqlx::Error,
    },
    /// MySQL answered but refused the connection: a wrong user or
    /// password, a database that does not exist, TLS required.
    #[error(
        "MySQL at {address} refused the connection to database {database:?}: check the user, password and database name of the URL (FACEID_DATABASE_URL)"
    )]
    ConnectionRefused {
        /// Host and port (or socket) of the URL.
        address: String,
        /// The database asked for.
        database: String,
        /// MySQL's answer.
        #[source]
        source: sqlx::Error,
    },
    /// The table prefix cannot be used.
    #[error(
        "the order store's table prefix {0:?} must be at most 40 lower-case ASCII letters, digits or underscores, starting with a letter or underscore"
    )]
    InvalidPrefix(String),
    /// `FACEID_DATABASE_SCHEMA` was set for a MySQL database.
    #[error(
        "FACEID_DATABASE_SCHEMA names a PostgreSQL schema: for MySQL, unset it and name the database in FACEID_DATABASE_URL (mysql://user:password@host/database)"
    )]
    SchemaVariable,
    /// The store's tables are not there.
    #[error(
        "the database has no tencent-faceid order tables with the prefix {prefix}: run `faceid migrate` or MySqlOrderStore::builder(..).migrate() once (at deployment), or point the store at the database and prefix that have them"
    )]
    SchemaMissing {
        /// The table prefix looked for.
        prefix: String,
    },
    /// The store's tables are older than this crate.
    #[error(
        "the order tables with the prefix {prefix} are at version {found} and this tencent-faceid-mysql needs version {expected}: run MySqlOrderStore::builder(..).migrate() (at deployment)"
    )]
    SchemaOutdated {
        /// The table prefix looked for.
        prefix: String,
        /// Their version.
        found: i32,
        /// The version this crate needs.
        expected: i32,
    },
    /// The store's tables are newer than this crate.
    #[error(
        "the order tables with the prefix {prefix} are at version {found}, newer than the version {expected} this tencent-faceid-mysql knows: upgrade tencent-faceid-mysql on this instance"
    )]
    SchemaNewer {
        /// The table prefix looked for.
        prefix: String,
        /// Their version.
        found: i32,
        /// The newest version this crate knows.
        expected: i32,
    },
    /// MySQL did not answer within the store's bound: unreachable, refusing
    /// connections, or too slow. The order is as it was: the request may be
    /// retried.
    #[error(
        "MySQL did not complete the order store's {what} within {bound:?} (MySqlOrderStoreBuilder::timeout): check that the database is reachable and not overloaded; the request may be retried"
    )]
    TimedOut {
        /// What the store was doing.
        what: &'static str,
        /// The store's bound.
        bound: std::time::Duration,
        /// The last failure on the way (a broken connection, a lock wait
        /// timeout, no connection in time), if any.
        #[source]
        last: Option<Box<sqlx::Error>>,
    },
    /// The consume reached MySQL only after this server had stopped
    /// waiting for it (half the store's timeout), so it changed nothing.
    #[error(
        "MySQL received the consume only after this server had stopped waiting for it, so it changed nothing and the order is still pending; the request may be retried (if this repeats, check the network to the database and that its clock agrees with this server's)"
    )]
    Late,
    /// The settlement record of a row in the settlement log cannot be read.
    #[error(transparent)]
    UnreadableSettlement(#[from] tencent_faceid::orders::SettlementRecordError),
    /// A row this crate cannot read.
    #[error("order {order_no} in the MySQL order store holds {reason}")]
    Corrupt {
        /// The order.
        order_no: String,
        /// What is wrong.
        reason: &'static str,
    },
}

impl From<sqlx::Error> for MySqlStoreError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(error)
    }
}

impl From<MySqlStoreError> for tencent_faceid::orders::StoreError {
    fn from(error: MySqlStoreError) -> Self {
        match error {
            MySqlStoreError::UnreadableSettlement(unreadable) => unreadable.into(),
            other => Self::Backend(Box::new(other)),
        }
    }
}
