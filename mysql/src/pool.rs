//! [`PoolBounds`]: the pool the crate makes for the MySQL order store,
//! every wait in it bounded.

use std::time::Duration;

use sqlx::Executor;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};

use crate::MySqlStoreError;

/// How the crate connects to MySQL when it makes the pool itself
/// ([`mysql_pool`]): bounds a web request can live with. A pool of your
/// own works too ([`MySqlOrderStore::builder`](crate::MySqlOrderStore::builder)):
/// give it bounds like these.
///
/// | setting | default | why |
/// |---|---|---|
/// | [`max_connections`](Self::max_connections) | 10 | a few statements per callback and per start: ten carry hundreds a second |
/// | [`acquire_timeout`](Self::acquire_timeout) | 2 s | a request waits at most this for a connection (sqlx's default is 30 s) |
/// | [`lock_wait_timeout`](Self::lock_wait_timeout) | 3 s | InnoDB gives up a row lock wait after this (`innodb_lock_wait_timeout`, default 50 s); the store asks again within its own bound |
///
/// A connection is not pinged before each use: the store asks again on a
/// fresh connection when one turns out broken.
///
/// ```
/// use std::time::Duration;
/// use tencent_faceid_mysql::PoolBounds;
/// let bounds = PoolBounds::new().max_connections(20).acquire_timeout(Duration::from_secs(1));
/// assert_ne!(bounds, PoolBounds::default());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolBounds {
    max_connections: u32,
    acquire_timeout: Duration,
    lock_wait_timeout: Duration,
}

impl Default for PoolBounds {
    fn default() -> Self {
        Self::new()
    }
}

impl PoolBounds {
    /// The defaults of the table above.
    pub const fn new() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(2),
            lock_wait_timeout: Duration::from_secs(3),
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

    /// How long InnoDB lets a statement wait for a row lock (the session's
    /// `innodb_lock_wait_timeout`, set when each connection opens; whole
    /// seconds, at least 1).
    pub fn lock_wait_timeout(mut self, timeout: Duration) -> Self {
        self.lock_wait_timeout = timeout;
        self
    }

    /// Connects a pool with these bounds to the MySQL or MariaDB at `url`
    /// (`mysql://user:password@host:port/database`); the first connection
    /// is opened now, so a wrong URL or an unreachable server is said at
    /// startup.
    ///
    /// # Errors
    /// [`MySqlStoreError::Database`] if the URL is invalid;
    /// [`MySqlStoreError::Unreachable`] (naming its host and port) if MySQL
    /// cannot be reached within the acquire timeout;
    /// [`MySqlStoreError::ConnectionRefused`] if it refuses the user,
    /// password or database.
    pub async fn connect(&self, url: &str) -> Result<MySqlPool, MySqlStoreError> {
        let options: MySqlConnectOptions = url.parse()?;
        let seconds = self.lock_wait_timeout.as_secs().max(1);
        let pool = MySqlPoolOptions::new()
            .max_connections(self.max_connections)
            .acquire_timeout(self.acquire_timeout)
            .test_before_acquire(false)
            .after_connect(move |connection, _| {
                Box::pin(async move {
                    let set = format!("SET SESSION innodb_lock_wait_timeout = {seconds}");
                    connection.execute(set.as_str()).await?;
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await;
        pool.map_err(|error| self.connect_error(&options, error))
    }

    /// What a failure to connect with `options` says: where, and for how
    /// long it was tried.
    fn connect_error(&self, options: &MySqlConnectOptions, error: sqlx::Error) -> MySqlStoreError {
        let address = match options.get_socket() {
            Some(socket) => socket.display().to_string(),
            None => format!("{}:{}", options.get_host(), options.get_port()),
        };
        match error {
            sqlx::Error::Database(_) => MySqlStoreError::ConnectionRefused {
                address,
                database: options.get_database().unwrap_or_default().to_owned(),
                source: error,
            },
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => {
                MySqlStoreError::Unreachable {
                    address,
                    waited: self.acquire_timeout,
                    source: error,
                }
            }
            error => MySqlStoreError::Database(error),
        }
    }
}

/// Connects a pool with the default [`PoolBounds`] to the MySQL or MariaDB
/// at `url` (`mysql://user:password@host:port/database`), for
/// [`MySqlOrderStore::builder`](crate::MySqlOrderStore::builder).
///
/// # Errors
/// [`MySqlStoreError::Database`] if the URL is invalid or MySQL cannot be
/// reached.
pub async fn mysql_pool(url: &str) -> Result<MySqlPool, MySqlStoreError> {
    PoolBounds::new().connect(url).await
}
