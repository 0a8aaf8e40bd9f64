//! [`PostgresStoreError`]: what can go wrong with the PostgreSQL order
//! store, each with what to do about it.

/// The PostgreSQL order store failed, or cannot start: the message says
/// what to fix. At run time it reaches callers inside
/// [`StoreError::Backend`](crate::orders::StoreError::Backend).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresStoreError {
    /// PostgreSQL could not be reached, or refused a statement.
    #[error("PostgreSQL could not be reached or refused a statement of the order store")]
    Database(#[source] sqlx::Error),
    /// PostgreSQL could not be reached when the pool connected: nothing
    /// answered at its address within the acquire timeout, or the
    /// connection broke.
    #[error(
        "PostgreSQL at {address} could not be reached within {waited:?} (FACEID_DATABASE_ACQUIRE_TIMEOUT_MS, PostgresPoolOptions::acquire_timeout): check the host and port of the URL (FACEID_DATABASE_URL), that PostgreSQL is running there, and that this host may connect"
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
    /// PostgreSQL answered but refused the connection: a wrong user or
    /// password, a database that does not exist, TLS required.
    #[error(
        "PostgreSQL at {address} refused the connection to database {database:?}: check the user, password and database name of the URL (FACEID_DATABASE_URL)"
    )]
    ConnectionRefused {
        /// Host and port (or socket) of the URL.
        address: String,
        /// The database asked for.
        database: String,
        /// PostgreSQL's answer.
        #[source]
        source: sqlx::Error,
    },
    /// The schema name cannot be used.
    #[error(
        "the order store's schema name {0:?} must be 1 to 63 lower-case ASCII letters, digits or underscores, starting with a letter or underscore"
    )]
    InvalidSchema(String),
    /// The store's tables are not there.
    #[error(
        "the schema {schema} has no tencent-faceid order tables: run PostgresOrderStore::builder(..).migrate() once (at deployment), or point the store at the schema that has them"
    )]
    SchemaMissing {
        /// The schema looked in.
        schema: String,
    },
    /// The store's tables are older than this crate.
    #[error(
        "the order tables in schema {schema} are at version {found} and this tencent-faceid needs version {expected}: run PostgresOrderStore::builder(..).migrate() (at deployment)"
    )]
    SchemaOutdated {
        /// The schema looked in.
        schema: String,
        /// Its version.
        found: i32,
        /// The version this crate needs.
        expected: i32,
    },
    /// The store's tables are newer than this crate.
    #[error(
        "the order tables in schema {schema} are at version {found}, newer than the version {expected} this tencent-faceid knows: upgrade tencent-faceid on this instance"
    )]
    SchemaNewer {
        /// The schema looked in.
        schema: String,
        /// Its version.
        found: i32,
        /// The newest version this crate knows.
        expected: i32,
    },
    /// PostgreSQL did not answer within the store's bound: unreachable,
    /// refusing connections, or too slow. The order is as it was (a
    /// consume that ran late changed nothing): the request may be retried.
    #[error(
        "PostgreSQL did not complete the order store's {what} within {bound:?} (PostgresOrderStoreBuilder::timeout): check that the database is reachable and not overloaded; the request may be retried"
    )]
    TimedOut {
        /// What the store was doing.
        what: &'static str,
        /// The store's bound.
        bound: std::time::Duration,
        /// The last failure on the way (a broken connection, no connection
        /// in time), if any.
        #[source]
        last: Option<Box<sqlx::Error>>,
    },
    /// The consume reached PostgreSQL only after this server had stopped
    /// waiting for it (half the store's timeout), so it changed nothing:
    /// the order is still pending.
    #[error(
        "PostgreSQL received the consume only after this server had stopped waiting for it, so it changed nothing and the order is still pending; the request may be retried (if this repeats, check the network to the database and that its clock agrees with this server's)"
    )]
    Late,
    /// The settlement record of a row in the settlement log cannot be read.
    #[error(transparent)]
    UnreadableSettlement(#[from] crate::orders::SettlementRecordError),
    /// A row this crate cannot read.
    #[error("order {order_no} in the PostgreSQL order store holds {reason}")]
    Corrupt {
        /// The order.
        order_no: String,
        /// What is wrong.
        reason: &'static str,
    },
}

impl From<sqlx::Error> for PostgresStoreError {
    fn from(error: sqlx::Error) -> Self {
        Self::Database(error)
    }
}

impl From<PostgresStoreError> for crate::orders::StoreError {
    fn from(error: PostgresStoreError) -> Self {
        match error {
            PostgresStoreError::UnreadableSettlement(unreadable) => unreadable.into(),
            other => Self::Backend(Box::new(other)),
        }
    }
}

impl From<sqlx::Error> for crate::orders::StoreError {
    fn from(error: sqlx::Error) -> Self {
        PostgresStoreError::Database(error).into()
    }
}
