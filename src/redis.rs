//! Several server instances behind a load balancer, sharing state in Redis
//! (feature `redis`).
//!
//! - [`RedisOrderStore`](crate::orders::RedisOrderStore): an [`OrderStore`](crate::orders::OrderStore) whose
//!   orders any instance can consume, exactly once, with one atomic script.
//! - [`RedisTickets`](crate::tickets::RedisTickets): a [`TicketProvider`](crate::tickets::TicketProvider)
//!   whose access token and SIGN ticket are fetched by one instance at a
//!   time, under a Redis lock, and shared by all.
//!
//! Both take a [`RedisConnection`]: a [`ConnectionManager`] (standalone
//! Redis, or a cloud proxy; it reconnects by itself after Redis restarts),
//! a Redis Cluster's [`ClusterConnection`](::redis::cluster_async::ClusterConnection),
//! or [`RedisConnection::sentinel`], which follows a Sentinel failover.
//! [`connect`] builds a manager with timeouts suited to a web server (no
//! call waits for an unreachable Redis for long), [`RedisTopology::connect`]
//! any of the three. One connection can serve both (it is cheap to clone).
//! [`probe`] checks at startup that the Redis can carry them.
//!
//! # Minimum version
//! Redis 5.0 or later (and so the cloud offers of 5.0, 6.2 and 7.0); the
//! scripts use no command newer than 5.0. [`probe`] refuses an older one
//! with a sentence naming its version.
//!
//! # Key layout
//! Every key starts with a prefix (default [`DEFAULT_PREFIX`]), so that one
//! Redis can serve several applications or environments, then the app id
//! as a Redis Cluster hash tag, `{<appId>}`: every key of an app is in one
//! hash slot, so that each script (which may touch an order, the due index,
//! the user's set and the holds at once) runs on a Cluster, and behind
//! cloud proxies that demand all of a script's keys in one slot. Each
//! operation stays one round trip.
//!
//! | key | holds | lives |
//! |---|---|---|
//! | `<prefix>{<appId>}:order:<orderNo>` | a pending order `p:<deadline>:<created>:<binding hash or ->:<userId>`, then the tombstone `c:<attempt>:<deadline>:<created>:<binding>:<userId>`, the settlement appended after a bar | TTL + retention, then retention after consumption |
//! | `<prefix>{<appId>}:due` | the due index: a sorted set of `<created ms>:<orderNo>` by the time the reconciler next looks | members leave once settled and delivered, or when older than TTL + retention |
//! | `<prefix>{<appId>}:user:<userId>` | the user's order numbers, for erasure | as long as the longest of those orders |
//! | `<prefix>{<appId>}:holds` | the users under a legal hold | until released |
//! | `<prefix>{<appId>}:erasures` | the erasures done, without the user | no expiry |
//! | `<prefix>{<appId>}:tickets` | access token, current and previous SIGN ticket (JSON) | until the last of them expires |
//! | `<prefix>{<appId>}:lock` | the refresh lock: a random token of the holder | the lock TTL at most |
//!
//! An app's keys therefore all live on one Cluster shard: shard by app id,
//! not by order (one app's load is far below one shard's capacity).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tencent_faceid::client::FaceIdClient;
//! use tencent_faceid::orders::RedisOrderStore;
//! use tencent_faceid::tickets::RedisTickets;
//!
//! let redis = tencent_faceid::redis::connect("redis://127.0.0.1:6379").await?;
//! let store = RedisOrderStore::builder(redis.clone(), "appId001").prefix("myapp:faceid:").build();
//! let client = FaceIdClient::builder("TIDAxxxx", "secret").build()?;
//! let tickets = RedisTickets::builder(client, redis).prefix("myapp:faceid:").build();
//! # Ok(()) }
//! ```

use std::fmt;
use std::future::Future;
use std::time::Duration;

use ::redis::RedisResult;
use ::redis::aio::ConnectionManagerConfig;

/// The `redis` crate this one is built with, as `client` (with its
/// connection types at hand): make connections of your own through it, so
/// that yours and the crate's cannot come from two versions of `redis`.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tencent_faceid::redis::{Client, ConnectionManager};
/// let manager: ConnectionManager = Client::open("redis://127.0.0.1/")?.get_connection_manager().await?;
/// let store = tencent_faceid::orders::RedisOrderStore::new(manager, "appId001");
/// # Ok(()) }
/// ```
pub use ::redis::{self as client, Client, RedisError, aio::ConnectionManager};

mod connection;
mod probe;
mod sentinel;
mod topology;

pub use connection::RedisConnection;
pub use probe::{MINIMUM_VERSION, RedisCapabilityError, RedisVersion, probe};
pub use topology::{RedisTopology, RedisTopologyError};

/// The key prefix used unless configured otherwise.
pub const DEFAULT_PREFIX: &str = "faceid:";

/// How long one Redis operation (including a reconnect) may take by default.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

/// What went wrong talking to Redis. Opaque: the Redis client behind it is
/// not part of this crate's API; its `Display` is the client's message and
/// its [`source`](std::error::Error::source) that message's cause.
#[derive(Debug, Clone)]
pub struct RedisFailure(RedisError);

impl RedisFailure {
    /// Whether Redis refused the connection (the command never reached it).
    pub fn is_connection_refusal(&self) -> bool {
        self.0.is_connection_refusal()
    }

    /// Whether the connection broke (broken pipe, reset, closed).
    pub fn is_connection_dropped(&self) -> bool {
        self.0.is_connection_dropped()
    }

    /// Whether the Redis client timed out.
    pub fn is_timeout(&self) -> bool {
        self.0.is_timeout()
    }
}

impl fmt::Display for RedisFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for RedisFailure {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0)
    }
}

impl From<RedisError> for RedisBackendError {
    fn from(error: RedisError) -> Self {
        Self::Redis(RedisFailure(error))
    }
}

/// Redis failed: not a verdict on an order or a ticket.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RedisBackendError {
    /// Redis answered with an error, or the connection failed.
    #[error("Redis failed; check that Redis is reachable at the configured URL")]
    Redis(#[source] RedisFailure),
    /// Redis did not answer in time.
    #[error("Redis did not answer within {0:?}; check that Redis is reachable and not overloaded")]
    TimedOut(Duration),
    /// Redis ran a consume after the caller had stopped waiting for it, so
    /// it changed nothing: the order is still pending.
    #[error(
        "Redis ran the consume only after this server had stopped waiting for it, so the order is still pending; try again. If this happens on every callback, this server's clock and Redis's disagree: synchronise them (NTP)"
    )]
    Late,
    /// Fewer replicas than required acknowledged a consume in time; it
    /// was undone, so the order is still pending.
    #[error(
        "only {acknowledged} of the {required} Redis replicas required acknowledged the consume in time, so it was undone and the order is still pending; try again, and check the replicas' health and link to the primary"
    )]
    NotReplicated {
        /// Replicas that acknowledged.
        acknowledged: u64,
        /// Replicas required.
        required: u64,
    },
    /// A key under our prefix holds a value this crate did not write.
    #[error(
        "the Redis key {key} holds a value this crate did not write ({reason}); is another application using the same key prefix?"
    )]
    Corrupt {
        /// The key.
        key: String,
        /// What is wrong with its value.
        reason: String,
    },
}

/// Connects to Redis at `url` (`redis://[user:password@]host:port[/db]`,
/// `rediss://` for TLS if the `redis` crate has it enabled) with settings for
/// a web server: one connection attempt at most 1 s, answers within 1 s, one
/// reconnect retry per failed command (the manager keeps reconnecting on the
/// following commands, so service resumes by itself when Redis is back).
///
/// # Errors
/// [`RedisBackendError::Redis`] if the URL is invalid or Redis cannot be
/// reached now.
///
/// ```no_run
/// # async fn run() -> Result<(), tencent_faceid::redis::RedisBackendError> {
/// let manager = tencent_faceid::redis::connect("redis://127.0.0.1:6379").await?;
/// # Ok(()) }
/// ```
pub async fn connect(url: &str) -> Result<ConnectionManager, RedisBackendError> {
    let client = ::redis::Client::open(url)?;
    Ok(ConnectionManager::new_with_config(client, manager_config()).await?)
}

/// The settings of [`connect`]'s managers.
fn manager_config() -> ConnectionManagerConfig {
    ConnectionManagerConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(1)))
        .set_response_timeout(Some(Duration::from_secs(1)))
        .set_number_of_retries(1)
        .set_min_delay(Duration::from_millis(50))
        .set_max_delay(Duration::from_millis(500))
}

/// Runs one Redis operation within `timeout`.
///
/// When the connection was refused (so the command never reached Redis) the
/// operation runs once more: the manager has started a new connection by
/// then, which is what makes the first call after a Redis restart succeed.
/// Other failures are not retried, because the command may have run.
pub(crate) async fn run<T, F, Fut>(timeout: Duration, op: F) -> Result<T, RedisBackendError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = RedisResult<T>>,
{
    run_retrying(timeout, RedisError::is_connection_refusal, op).await
}

/// Runs one Redis operation that may safely run twice (a read, or a write
/// that recognises its own earlier effect) within `timeout`.
///
/// Like [`run`], but also runs it once more when the connection broke
/// (broken pipe, reset, closed), which is what makes the first call after a
/// Redis restart succeed on a connection opened before it.
pub(crate) async fn run_idempotent<T, F, Fut>(
    timeout: Duration,
    op: F,
) -> Result<T, RedisBackendError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = RedisResult<T>>,
{
    let broken = |e: &RedisError| e.is_connection_refusal() || e.is_connection_dropped();
    run_retrying(timeout, broken, op).await
}

/// Runs `op` within `timeout`, once more if its first failure is one that
/// `retry` accepts.
async fn run_retrying<T, F, Fut>(
    timeout: Duration,
    retry: impl Fn(&RedisError) -> bool,
    mut op: F,
) -> Result<T, RedisBackendError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = RedisResult<T>>,
{
    let attempts = async {
        match op().await {
            Err(e) if retry(&e) => {
                tracing::debug!(kind = ?e.kind(), "the Redis connection failed; retrying once on a new one");
                op().await
            }
            other => other,
        }
    };
    match tokio::time::timeout(timeout, attempts).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(RedisBackendError::TimedOut(timeout)),
    }
}

/// Milliseconds of a duration for Redis, rounded up so that a non-zero
/// duration never becomes zero.
pub(crate) fn millis_ceil(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros().div_ceil(1000)).unwrap_or(u64::MAX)
}
