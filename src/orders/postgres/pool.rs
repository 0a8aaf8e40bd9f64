//! [`PostgresPoolOptions`]: the pool the crate makes for the PostgreSQL
//! order store, every wait in it bounded.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use super::PostgresStoreError;

/// How the crate connects to PostgreSQL when it makes the pool itself
/// ([`postgres_pool`], `FaceIdBuilder::postgres`): bounds a web request
/// can live with. A pool of your own works too (`FaceIdBuilder::postgres_pool`,
/// [`PostgresOrderStore::builder`](super::PostgresOrderStore::builder)):
/// give it bounds like these.
///
/// | setting | default | why |
/// |---|---|---|
/// | [`max_connections`](Self::max_connections) | 10 | one statement per callback, one per start: ten carry thousands a second |
/// | [`acquire_timeout`](Self::acquire_timeout) | 2 s | a request waits at most this for a connection (sqlx's default is 30 s) |
/// | [`statement_timeout`](Self::statement_timeout) | 3 s | PostgreSQL cancels a statement running longer (`statement_timeout`) |
///
/// A connection is not pinged before each use (sqlx's default pings): the
/// store asks again on a fresh connection when one turns out broken, so
/// the ping would only add a round trip to every statement.
///
/// ```
/// use std::time::Duration;
/// use tencent_faceid::orders::PostgresPoolOptions;
/// let options = PostgresPoolOptions::new()
///     .max_connections(20)
///     .acquire_timeout(Duration::from_secs(1));
/// assert_ne!(options, PostgresPoolOptions::default());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostgresPoolOptions {
    max_connections: u32,
    acquire_timeout: Duration,
    statement_timeout: Duration,
}

impl Default for PostgresPoolOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl PostgresPoolOptions {
    /// The defaults of the table above.
    pub const fn new() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(3),
        }
    }

    /// The most connections the pool opens; at least 1 (a 0 is clamped).
    pub fn max_connections(mut self, max: u32) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// How long a statement waits for a free connection (or for a new one
    /// to open) before it fails.
    pub fn acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// How long PostgreSQL lets one statement run before it cancels it
    /// (the session's `statement_timeout`, set when each connection opens;
    /// whole milliseconds, at least 1).
    pub fn statement_timeout(mut self, timeout: Duration) -> Self {
        self.statement_timeout = timeout;
        self
    }

    /// sqlx's options for a pool with these bounds, to adjust further
    /// (`connect_with` then takes the URL's options, see [`connect`](Self::connect)).
    pub fn to_sqlx(&self) -> PgPoolOptions {
        PgPoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(self.acquire_timeout)
            .test_before_acquire(false)
    }

    /// Connects a pool with these bounds to the PostgreSQL at `url`
    /// (`postgres://user:password@host:port/database`); the first
    /// connection is opened now, so a wrong URL or an unreachable server
    /// is said at startup.
    ///
    /// # Errors
    /// [`PostgresStoreError::Database`] if the URL is invalid;
    /// [`PostgresStoreError::Unreachable`] (naming its host and port) if
    /// PostgreSQL cannot be reached within the acquire timeout;
    /// [`PostgresStoreError::ConnectionRefused`] if it refuses the user,
    /// password or database.
    pub async fn connect(&self, url: &str) -> Result<PgPool, PostgresStoreError> {
        let millis = self
            .statement_timeout
            .as_millis()
            .clamp(1, u128::from(u32::MAX));
        let options: PgConnectOptions = url.parse()?;
        let options = options.options([("statement_timeout", millis.to_string())]);
        let connected = self.to_sqlx().connect_with(options.clone()).await;
        connected.map_err(|error| self.connect_error(&options, error))
    }

    /// What a failure to connect with `options` says: where, and for how
    /// long it was tried.
    fn connect_error(&self, options: &PgConnectOptions, error: sqlx::Error) -> PostgresStoreError {
        let address = match options.get_socket() {
            Some(socket) => socket.display().to_string(),
            None => format!("{}:{}", options.get_host(), options.get_port()),
        };
        match error {
            sqlx::Error::Database(_) => PostgresStoreError::ConnectionRefused {
                address,
                database: options
                    .get_database()
                    .unwrap_or(options.get_username())
                    .to_owned(),
                source: error,
            },
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                PostgresStoreError::Unreachable {
                    address,
                    waited: self.acquire_timeout,
                    source: error,
                }
            }
            error => PostgresStoreError::Database(error),
        }
    }
}

/// Connects a pool with the default [`PostgresPoolOptions`] to the
/// PostgreSQL at `url` (`postgres://user:password@host:port/database`),
/// for [`PostgresOrderStore::builder`](super::PostgresOrderStore::builder).
///
/// # Errors
/// [`PostgresStoreError::Database`] if the URL is invalid or PostgreSQL
/// cannot be reached.
pub async fn postgres_pool(url: &str) -> Result<PgPool, PostgresStoreError> {
    PostgresPoolOptions::new().connect(url).await
}
