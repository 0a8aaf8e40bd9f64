//! [`RedisTickets`]: one access token and SIGN ticket for every instance,
//! replaced by one instance at a time under a Redis lock.

use std::fmt;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use ::redis::Script;
use async_trait::async_trait;

use crate::client::FaceIdClient;
use crate::clock::unix_millis;
use crate::redis::{
    DEFAULT_PREFIX, DEFAULT_TIMEOUT, RedisBackendError, RedisConnection, millis_ceil, run,
    run_idempotent,
};
use crate::tickets::engine::Engine;
use crate::tickets::refresher::{Refresher, provide_through_refresher};
use crate::tickets::{BoxError, StoredTicketPair, TicketHome, TicketTimings};

/// Writes the new pair and releases the lock, only if this caller still
/// holds the lock: a holder whose lock lapsed (and may have been taken by
/// another instance) must not overwrite the newer holder's pair.
///
/// KEYS: lock, pair; ARGV: lock token, pair (JSON), pair TTL ms.
static WRITE_AND_RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
",
    )
});

/// Deletes the lock only if this caller holds it.
///
/// KEYS[1] lock; ARGV[1] lock token.
static RELEASE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
",
    )
});

/// The longest lock TTL or wait accepted (longer ones are cut).
const MAX_SETTING: Duration = Duration::from_secs(24 * 3600);

/// Configures [`RedisTickets`].
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use tencent_faceid::client::FaceIdClient;
/// use tencent_faceid::tickets::RedisTickets;
/// use tencent_faceid::tickets::TicketTimings;
///
/// let client = FaceIdClient::builder("TIDAxxxx", "secret").build()?;
/// let redis = tencent_faceid::redis::connect("redis://127.0.0.1:6379").await?;
/// let tickets = RedisTickets::builder(client, redis)
///     .prefix("myapp:faceid:")
///     .timings(TicketTimings::default().grace(Duration::from_secs(600)))
///     .lock_ttl(Duration::from_secs(30))
///     .wait_timeout(Duration::from_secs(10))
///     .build();
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RedisTicketsBuilder {
    client: FaceIdClient,
    connection: RedisConnection,
    prefix: String,
    timings: TicketTimings,
    lock_ttl: Duration,
    wait_timeout: Duration,
    timeout: Duration,
}

impl RedisTicketsBuilder {
    /// The key prefix (default `"faceid:"`); keys are
    /// `<prefix>{<appId>}:tickets` and `<prefix>{<appId>}:lock`. Every
    /// instance sharing tickets must use the same one.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// When to refresh, retry and recover (the same for every instance
    /// sharing the tickets, or the shortest `refresh_every` wins).
    pub fn timings(mut self, timings: TicketTimings) -> Self {
        self.timings = timings;
        self
    }

    /// How long the refresh lock lives if its holder dies mid-refresh;
    /// default 30 s, at least 1 ms, at most a day. Keep it above the longest
    /// refresh (two vendor calls, each up to the client's timeout).
    pub fn lock_ttl(mut self, lock_ttl: Duration) -> Self {
        self.lock_ttl = lock_ttl.clamp(Duration::from_millis(1), MAX_SETTING);
        self
    }

    /// How long a call with no valid ticket waits for another instance's
    /// refresh before failing; default 10 s, at most a day. Calls that
    /// still have a valid ticket never wait.
    pub fn wait_timeout(mut self, wait_timeout: Duration) -> Self {
        self.wait_timeout = wait_timeout.min(MAX_SETTING);
        self
    }

    /// How long one Redis operation may take, reconnecting included;
    /// default 2 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Builds the provider. Nothing is fetched until the first call or
    /// [`warm_up`](crate::tickets::TicketProvider::warm_up).
    pub fn build(self) -> RedisTickets {
        let app_id = self.client.app_id();
        let shared = InRedis {
            pair_key: format!("{}{{{app_id}}}:tickets", self.prefix),
            lock_key: format!("{}{{{app_id}}}:lock", self.prefix),
            connection: self.connection,
            lock_ttl: self.lock_ttl,
            wait_timeout: self.wait_timeout,
            timeout: self.timeout,
        };
        RedisTickets {
            refresher: Arc::new(Refresher::new(Engine::new(
                self.client,
                shared,
                self.timings,
            ))),
        }
    }
}

/// A [`TicketProvider`](crate::tickets::TicketProvider) for many instances of one server: one access token
/// and one SIGN ticket per app id, kept in Redis and shared by all.
///
/// The vendor ends an access token a minute after it issues a new one, and
/// the tickets it fetched with it, so instances that each refresh on their
/// own break each other. Here:
///
/// - **Reads stay local.** Each instance keeps the pair in memory and serves
///   it without any network call until it is due
///   ([`TicketTimings::refresh_every`] after it was fetched, 20 minutes by
///   default): every instance sees the same due time, the one the pair was
///   fetched with.
/// - **One refresher per cluster.** An instance whose copy is due first
///   reads Redis (a sibling may have replaced the pair already), then takes
///   the lock `SET <prefix>{<appId>}:lock <random> NX PX <lock_ttl>`,
///   fetches a new token and a SIGN ticket with it, writes the pair and
///   releases the lock in one script that first checks it still holds the
///   lock. Within an instance, one task refreshes and the others share its
///   outcome. No instance fetches a token while another's fetch is in
///   flight (as long as the lock outlives the fetch).
/// - **Ahead of the callers.** The replacement (reading Redis, the lock,
///   the vendor) runs in one background task per instance while callers
///   are served the still-valid pair; a caller waits only when no valid
///   pair exists at all. [`warm_up`](crate::tickets::TicketProvider::warm_up)
///   at boot takes the shared pair or fetches one.
/// - **The others carry on or wait.** An instance that finds the lock taken
///   keeps serving its still-valid pair; with none valid, it polls Redis
///   (10 ms doubling to 250 ms) for at most
///   [`wait_timeout`](RedisTicketsBuilder::wait_timeout), taking the lock
///   itself if it lapses (its holder died).
/// - **Rotation.** When the SIGN ticket changes, the previous one stays in
///   the pair, accepted for [`TicketTimings::grace`].
/// - **Recovery.** When the vendor refuses a call made with the pair, or a
///   callback matches none of its tickets, [`TicketProvider::recover`](crate::tickets::TicketProvider::recover) first
///   re-reads Redis (another instance may hold a newer pair) and otherwise
///   replaces the pair under the lock, at most once per
///   [`TicketTimings::recovery_interval`] per instance.
/// - **Redis or the vendor failing.** Calls serve the local copy while it
///   is valid (a warning is logged), then fail with
///   [`TicketError::SignUnavailable`](crate::tickets::TicketError::SignUnavailable) (source [`RefreshError`](crate::tickets::RefreshError)); no call
///   waits longer than the Redis [`timeout`](RedisTicketsBuilder::timeout)
///   for Redis, and an instance retries at most once per
///   [`TicketTimings::retry_backoff`]. Service resumes by itself when Redis
///   is back.
/// - **NONCE tickets** are single use: each
///   [`nonce_ticket`](crate::tickets::TicketProvider::nonce_ticket) fetches one with the
///   shared access token, recovering once if the vendor refuses it.
///
/// Token and ticket values are never logged.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tencent_faceid::client::FaceIdClient;
/// use tencent_faceid::tickets::RedisTickets;
/// use tencent_faceid::tickets::TicketProvider;
///
/// let client = FaceIdClient::builder("TIDAxxxx", "secret").build()?;
/// let redis = tencent_faceid::redis::connect("redis://127.0.0.1:6379").await?;
/// let tickets = RedisTickets::builder(client, redis).build();
/// let sign = tickets.sign_tickets().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisTickets {
    refresher: Arc<Refresher<InRedis>>,
}

impl RedisTickets {
    /// Starts configuring a provider fetching with `client` (whose clock it
    /// reads) and sharing through `connection` (a
    /// [`ConnectionManager`](crate::redis::ConnectionManager) from
    /// [`crate::redis::connect`], a Cluster's connection, or any
    /// [`RedisConnection`]).
    pub fn builder(
        client: FaceIdClient,
        connection: impl Into<RedisConnection>,
    ) -> RedisTicketsBuilder {
        RedisTicketsBuilder {
            client,
            connection: connection.into(),
            prefix: DEFAULT_PREFIX.to_owned(),
            timings: TicketTimings::default(),
            lock_ttl: Duration::from_secs(30),
            wait_timeout: Duration::from_secs(10),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The Redis key of the shared ticket pair (token and SIGN tickets).
    pub fn pair_key(&self) -> &str {
        &self.refresher.shared.pair_key
    }

    /// The Redis key of the refresh lock. Deleting it by hand releases a
    /// lock whose holder died before its TTL lapses.
    pub fn lock_key(&self) -> &str {
        &self.refresher.shared.lock_key
    }
}

impl fmt::Debug for RedisTickets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.refresher.shared;
        f.debug_struct("RedisTickets")
            .field("app_id", &self.refresher.client.app_id())
            .field("pair_key", &shared.pair_key)
            .field("lock_key", &shared.lock_key)
            .field("timings", &self.refresher.timings)
            .field("lock_ttl", &shared.lock_ttl)
            .field("wait_timeout", &shared.wait_timeout)
            .finish_non_exhaustive()
    }
}

provide_through_refresher!(RedisTickets);

/// The pair's home in Redis: a JSON document and a lock.
struct InRedis {
    connection: RedisConnection,
    pair_key: String,
    lock_key: String,
    lock_ttl: Duration,
    wait_timeout: Duration,
    timeout: Duration,
}

fn shared_error(error: RedisBackendError) -> BoxError {
    Box::new(error)
}

#[async_trait]
impl TicketHome for InRedis {
    async fn read(&self) -> Result<Option<StoredTicketPair>, BoxError> {
        let stored: Option<String> = run_idempotent(self.timeout, || {
            let mut connection = self.connection.clone();
            let mut get = ::redis::cmd("GET");
            get.arg(&self.pair_key);
            async move { get.query_async(&mut connection).await }
        })
        .await
        .map_err(shared_error)?;
        let Some(stored) = stored else {
            return Ok(None);
        };
        let pair = StoredTicketPair::decode(stored.as_bytes()).map_err(|e| {
            // Where and why only: the pair holds the token and tickets.
            shared_error(RedisBackendError::Corrupt {
                key: self.pair_key.clone(),
                reason: format!("not a stored ticket pair: {e}"),
            })
        })?;
        Ok(Some(pair))
    }

    async fn try_lock(&self, holder: &str) -> Result<bool, BoxError> {
        let ttl = millis_ceil(self.lock_ttl);
        let answer: Option<String> = run(self.timeout, || {
            let mut connection = self.connection.clone();
            let mut set = ::redis::cmd("SET");
            set.arg(&self.lock_key)
                .arg(holder)
                .arg("NX")
                .arg("PX")
                .arg(ttl);
            async move { set.query_async(&mut connection).await }
        })
        .await
        .map_err(shared_error)?;
        Ok(answer.is_some())
    }

    async fn publish(&self, lock: &str, pair: &StoredTicketPair) -> Result<bool, BoxError> {
        let json = pair.encode();
        // The pair lives until its last ticket ends, by the system clock
        // Redis keeps time with.
        let ttl = unix_millis(pair.expires_at())
            .saturating_sub(unix_millis(pair.fetched_at()))
            .max(1);
        let written: i64 = run(self.timeout, || {
            let mut connection = self.connection.clone();
            let mut write = WRITE_AND_RELEASE.key(&self.lock_key);
            write
                .key(&self.pair_key)
                .arg(lock)
                .arg(json.expose())
                .arg(ttl);
            async move { write.invoke_async(&mut connection).await }
        })
        .await
        .map_err(shared_error)?;
        Ok(written == 1)
    }

    async fn release(&self, lock: &str) -> Result<bool, BoxError> {
        let released: i64 = run_idempotent(self.timeout, || {
            let mut connection = self.connection.clone();
            let mut release = RELEASE.key(&self.lock_key);
            release.arg(lock);
            async move { release.invoke_async(&mut connection).await }
        })
        .await
        .map_err(shared_error)?;
        Ok(released == 1)
    }

    fn lock_name(&self) -> &str {
        &self.lock_key
    }

    fn wait_timeout(&self) -> Duration {
        self.wait_timeout
    }
}
