//! [`RedisTickets`]: one access token and SIGN ticket for every instance,
//! refreshed by one instance at a time under a Redis lock.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ::redis::aio::ConnectionManager;
use ::redis::Script;
use arc_swap::ArcSwapOption;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::{millis_ceil, run, RedisBackendError, DEFAULT_PREFIX, DEFAULT_TIMEOUT};
use crate::client::{AccessToken, ClientError, FaceIdClient};
use crate::model::{ResultCode, UserId};
use crate::nonce::nonce;
use crate::secret::Secret;
use crate::ticket::{SignTickets, Ticket, TicketError, TicketProvider};

/// Writes the refreshed record and releases the lock, only if this caller
/// still holds the lock: a holder whose lock lapsed (and may have been taken
/// by another instance) must not overwrite the newer holder's record.
///
/// KEYS: lock, record; ARGV: lock token, record, record TTL ms.
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

/// First pause while waiting for another instance's refresh.
const POLL_FIRST: Duration = Duration::from_millis(10);
/// Longest pause while waiting for another instance's refresh.
const POLL_MAX: Duration = Duration::from_millis(250);
/// The longest grace, lock TTL or wait accepted (longer ones are cut).
const MAX_SETTING: Duration = Duration::from_secs(24 * 3600);

/// Why [`RedisTickets`] could not provide a token or ticket: the source
/// inside [`TicketError`]. Cheap to clone (callers waiting on one refresh
/// share its failure).
///
/// ```
/// use std::time::Duration;
/// use tencent_faceid::redis::RedisTicketsError;
/// use tencent_faceid::ticket::TicketError;
/// let error = TicketError::SignUnavailable {
///     source: Box::new(RedisTicketsError::WaitTimedOut {
///         lock_key: "faceid:{TIDA0001}:lock".into(),
///         waited: Duration::from_secs(10),
///     }),
/// };
/// let TicketError::SignUnavailable { source } = &error else { unreachable!() };
/// assert!(matches!(
///     source.downcast_ref::<RedisTicketsError>(),
///     Some(RedisTicketsError::WaitTimedOut { .. })
/// ));
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RedisTicketsError {
    /// Redis failed or timed out.
    #[error("the shared tickets in Redis are out of reach: {0}")]
    Redis(#[from] RedisBackendError),
    /// The vendor did not issue an access token or ticket.
    #[error("the vendor did not issue a token or ticket: {0}")]
    Vendor(#[source] Arc<ClientError>),
    /// Another instance holds the refresh lock and did not publish new
    /// tickets in time.
    #[error("another instance holds the refresh lock {lock_key} and published no tickets within {waited:?}; if it died, the lock lapses after its TTL (RedisTicketsBuilder::lock_ttl)")]
    WaitTimedOut {
        /// The lock's key.
        lock_key: String,
        /// How long this call waited.
        waited: Duration,
    },
}

impl From<ClientError> for RedisTicketsError {
    fn from(error: ClientError) -> Self {
        Self::Vendor(Arc::new(error))
    }
}

/// Configures [`RedisTickets`].
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use tencent_faceid::client::FaceIdClient;
/// use tencent_faceid::redis::RedisTickets;
///
/// let client = FaceIdClient::builder("TIDAxxxx", "secret").build()?;
/// let redis = tencent_faceid::redis::connect("redis://127.0.0.1:6379").await?;
/// let tickets = RedisTickets::builder(client, redis)
///     .prefix("myapp:faceid:")
///     .refresh_before(Duration::from_secs(300))
///     .grace(Duration::from_secs(300))
///     .lock_ttl(Duration::from_secs(30))
///     .wait_timeout(Duration::from_secs(10))
///     .retry_backoff(Duration::from_secs(2))
///     .build();
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct RedisTicketsBuilder {
    client: FaceIdClient,
    manager: ConnectionManager,
    prefix: String,
    refresh_before: Duration,
    grace: Duration,
    lock_ttl: Duration,
    wait_timeout: Duration,
    retry_backoff: Duration,
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

    /// Refresh the SIGN ticket (and the access token) this long before it
    /// expires; default 5 min. Until then every instance serves its local
    /// copy without touching Redis. Keep it well below the vendor's
    /// lifetimes, or every call refreshes.
    pub fn refresh_before(mut self, refresh_before: Duration) -> Self {
        self.refresh_before = refresh_before;
        self
    }

    /// How long the previous SIGN ticket stays accepted after a rotation
    /// (callbacks the vendor signed just before it); default 5 min, at most
    /// a day.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace.min(MAX_SETTING);
        self
    }

    /// How long the refresh lock lives if its holder dies mid-refresh;
    /// default 30 s, at least 1 ms, at most a day. Keep it above the longest
    /// refresh (two vendor calls, three after a rejected token, each up to
    /// the client's timeout).
    pub fn lock_ttl(mut self, lock_ttl: Duration) -> Self {
        self.lock_ttl = lock_ttl.clamp(Duration::from_millis(1), MAX_SETTING);
        self
    }

    /// How long a call with no valid ticket waits for another instance's
    /// refresh before failing; default 10 s. Calls that still have a valid
    /// ticket never wait. At most a day.
    pub fn wait_timeout(mut self, wait_timeout: Duration) -> Self {
        self.wait_timeout = wait_timeout.min(MAX_SETTING);
        self
    }

    /// The least time between two refresh attempts of this instance after
    /// one failed (default 2 s): callers meanwhile are served the still-valid
    /// tickets, or that failure, so a failing vendor or Redis sees no retry
    /// storm.
    pub fn retry_backoff(mut self, backoff: Duration) -> Self {
        self.retry_backoff = backoff;
        self
    }

    /// How long one Redis operation may take, reconnecting included;
    /// default 2 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Builds the provider. Nothing is fetched until the first call.
    pub fn build(self) -> RedisTickets {
        let app_id = self.client.app_id().to_owned();
        RedisTickets {
            inner: Arc::new(Inner {
                record_key: format!("{}{{{app_id}}}:tickets", self.prefix),
                lock_key: format!("{}{{{app_id}}}:lock", self.prefix),
                app_id,
                client: self.client,
                manager: self.manager,
                refresh_before: self.refresh_before,
                grace: self.grace,
                lock_ttl: self.lock_ttl,
                wait_timeout: self.wait_timeout,
                retry_backoff: self.retry_backoff,
                timeout: self.timeout,
                local: ArcSwapOption::empty(),
                flight: tokio::sync::Mutex::new(None),
                attempts: AtomicU64::new(0),
            }),
        }
    }
}

/// A [`TicketProvider`] for many instances of one server: one access token
/// and one SIGN ticket per app id, kept in Redis and shared by all.
///
/// The vendor invalidates an access token when it issues a new one, so
/// instances that each refresh on their own break each other. Here:
///
/// - **Reads stay local.** Each instance keeps the tickets in memory and
///   serves them without any network call until
///   [`refresh_before`](RedisTicketsBuilder::refresh_before) their expiry.
/// - **One refresher.** An instance whose copy is due first reads Redis (a
///   sibling may have refreshed already), then takes the lock
///   `SET <prefix>{<appId>}:lock <random> NX PX <lock_ttl>`, fetches what is
///   due from the vendor (a token only when the shared one is due or was
///   rejected), writes the record and releases the lock in one script that
///   first checks it still holds the lock. Within an instance, one task
///   refreshes and the others share its outcome.
/// - **The others wait or carry on.** An instance that finds the lock taken
///   keeps serving its still-valid tickets; with none valid, it polls Redis
///   (10 ms doubling to 250 ms) for at most
///   [`wait_timeout`](RedisTicketsBuilder::wait_timeout), taking the lock
///   itself if it lapses (its holder died).
/// - **Rotation.** When the SIGN ticket changes, the previous one stays in
///   the record, accepted for [`grace`](RedisTicketsBuilder::grace).
/// - **Redis or the vendor failing.** Calls serve the local copy while it
///   is valid (a warning is logged), then fail with
///   [`TicketError::SignUnavailable`] (source [`RedisTicketsError`]); no
///   call waits longer than the Redis
///   [`timeout`](RedisTicketsBuilder::timeout) for Redis, and an instance
///   retries at most once per
///   [`retry_backoff`](RedisTicketsBuilder::retry_backoff). Service resumes
///   by itself when Redis is back; if Redis lost its data, the first
///   instance to refresh re-seeds it from its local copy (keeping a
///   still-valid token rather than replacing it).
/// - **NONCE tickets** are single use: each
///   [`nonce_ticket`](TicketProvider::nonce_ticket) fetches one with the
///   shared access token. If the vendor rejects that token, it is replaced
///   under the lock (never without it) and the call retried once.
///
/// Token and ticket values are never logged.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tencent_faceid::client::FaceIdClient;
/// use tencent_faceid::redis::RedisTickets;
/// use tencent_faceid::ticket::TicketProvider;
///
/// let client = FaceIdClient::builder("TIDAxxxx", "secret").build()?;
/// let redis = tencent_faceid::redis::connect("redis://127.0.0.1:6379").await?;
/// let tickets = RedisTickets::builder(client, redis).build();
/// let sign = tickets.sign_tickets().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisTickets {
    inner: Arc<Inner>,
}

struct Inner {
    app_id: String,
    client: FaceIdClient,
    manager: ConnectionManager,
    record_key: String,
    lock_key: String,
    refresh_before: Duration,
    grace: Duration,
    lock_ttl: Duration,
    wait_timeout: Duration,
    retry_backoff: Duration,
    timeout: Duration,
    /// The last tickets this instance saw.
    local: ArcSwapOption<Snapshot>,
    /// Held by the one task of this instance talking to Redis; holds the
    /// last attempt's failure, if it failed.
    flight: tokio::sync::Mutex<Option<Failure>>,
    /// Attempts finished so far, to tell whether one finished while a task
    /// queued for `flight`.
    attempts: AtomicU64,
}

impl fmt::Debug for RedisTickets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTickets")
            .field("app_id", &self.inner.app_id)
            .field("record_key", &self.inner.record_key)
            .field("lock_key", &self.inner.lock_key)
            .field("refresh_before", &self.inner.refresh_before)
            .field("grace", &self.inner.grace)
            .field("lock_ttl", &self.inner.lock_ttl)
            .field("wait_timeout", &self.inner.wait_timeout)
            .field("retry_backoff", &self.inner.retry_backoff)
            .finish_non_exhaustive()
    }
}

/// A failed attempt, shared with the callers it turns away.
struct Failure {
    at: Instant,
    error: RedisTicketsError,
}

/// The shared state: access token and SIGN tickets.
#[derive(Debug, Clone)]
struct Snapshot {
    token: AccessToken,
    sign: Arc<SignTickets>,
}

/// What a call needs to be fresh.
#[derive(Debug, Default)]
struct Need {
    sign: bool,
    token: bool,
    /// A token the vendor rejected: any other one will do.
    rejected: Option<Secret>,
}

impl Need {
    /// A fresh SIGN ticket, as callback verification needs.
    const SIGN: Need = Need {
        sign: true,
        token: false,
        rejected: None,
    };
}

fn fresh(expires_at: SystemTime, now: SystemTime, margin: Duration) -> bool {
    now.checked_add(margin).is_some_and(|due| due < expires_at)
}

impl Snapshot {
    fn token_fresh(&self, now: SystemTime, margin: Duration, need: &Need) -> bool {
        fresh(self.token.expires_at, now, margin)
            && need.rejected.as_ref() != Some(&self.token.value)
    }

    fn sign_fresh(&self, now: SystemTime, margin: Duration) -> bool {
        fresh(self.sign.current.expires_at(), now, margin)
    }

    /// Fresh enough for `need` with this margin; a zero margin means "still
    /// valid".
    fn satisfies(&self, need: &Need, now: SystemTime, margin: Duration) -> bool {
        (!need.sign || self.sign_fresh(now, margin))
            && (!need.token || self.token_fresh(now, margin, need))
    }
}

/// The record as stored in Redis (JSON, unix milliseconds).
#[derive(Serialize, Deserialize)]
struct StoredRecord {
    #[serde(rename = "t")]
    token: StoredTicket,
    #[serde(rename = "c")]
    current: StoredTicket,
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    previous: Option<StoredTicket>,
}

#[derive(Serialize, Deserialize)]
struct StoredTicket {
    #[serde(rename = "v")]
    value: Secret,
    /// Expiry (for `previous`: the end of its grace window).
    #[serde(rename = "e")]
    expires: u64,
}

fn to_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

fn from_millis(millis: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(millis)
}

impl StoredTicket {
    fn from_ticket(ticket: &Ticket) -> Self {
        Self {
            value: Secret::new(ticket.value()),
            expires: to_millis(ticket.expires_at()),
        }
    }

    fn into_ticket(self) -> Ticket {
        Ticket::new(self.value, from_millis(self.expires))
    }
}

impl From<&Snapshot> for StoredRecord {
    fn from(snapshot: &Snapshot) -> Self {
        Self {
            token: StoredTicket {
                value: snapshot.token.value.clone(),
                expires: to_millis(snapshot.token.expires_at),
            },
            current: StoredTicket::from_ticket(&snapshot.sign.current),
            previous: snapshot
                .sign
                .previous
                .as_ref()
                .map(StoredTicket::from_ticket),
        }
    }
}

impl From<StoredRecord> for Snapshot {
    fn from(record: StoredRecord) -> Self {
        Self {
            token: AccessToken {
                value: record.token.value,
                expires_at: from_millis(record.token.expires),
            },
            sign: Arc::new(SignTickets {
                current: record.current.into_ticket(),
                previous: record.previous.map(StoredTicket::into_ticket),
            }),
        }
    }
}

impl RedisTickets {
    /// Starts configuring a provider fetching with `client` and sharing
    /// through `manager` (see [`super::connect`]).
    pub fn builder(client: FaceIdClient, manager: ConnectionManager) -> RedisTicketsBuilder {
        RedisTicketsBuilder {
            client,
            manager,
            prefix: DEFAULT_PREFIX.to_owned(),
            refresh_before: Duration::from_secs(300),
            grace: Duration::from_secs(300),
            lock_ttl: Duration::from_secs(30),
            wait_timeout: Duration::from_secs(10),
            retry_backoff: Duration::from_secs(2),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// The Redis key of the shared record (token and SIGN tickets).
    pub fn record_key(&self) -> &str {
        &self.inner.record_key
    }

    /// The Redis key of the refresh lock. Deleting it by hand releases a
    /// lock whose holder died before its TTL lapses.
    pub fn lock_key(&self) -> &str {
        &self.inner.lock_key
    }
}

impl Inner {
    /// The local copy if it is fresh for `need`.
    fn fresh_local(&self, need: &Need) -> Option<Arc<Snapshot>> {
        self.local
            .load_full()
            .filter(|local| local.satisfies(need, SystemTime::now(), self.refresh_before))
    }

    /// The local copy if it is still valid for `need`, although due.
    fn valid_local(&self, need: &Need) -> Option<Arc<Snapshot>> {
        self.local
            .load_full()
            .filter(|local| local.satisfies(need, SystemTime::now(), Duration::ZERO))
    }

    fn publish(&self, snapshot: Snapshot) -> Arc<Snapshot> {
        let snapshot = Arc::new(snapshot);
        self.local.store(Some(Arc::clone(&snapshot)));
        snapshot
    }

    /// Tickets fresh enough for `need`: the local copy, else Redis, else a
    /// refresh; on failure the local copy while it is valid.
    async fn snapshot(&self, need: &Need) -> Result<Arc<Snapshot>, RedisTicketsError> {
        if let Some(local) = self.fresh_local(need) {
            return Ok(local);
        }
        let seen = self.attempts.load(Ordering::Acquire);
        let mut flight = match self.flight.try_lock() {
            Ok(flight) => flight,
            Err(_) => {
                // Another task of this instance is on it: carry on with the
                // still-valid copy, or queue behind it.
                if let Some(local) = self.valid_local(need) {
                    return Ok(local);
                }
                self.flight.lock().await
            }
        };
        if let Some(local) = self.fresh_local(need) {
            return Ok(local);
        }
        // Share the outcome of an attempt that finished while this call
        // queued, and of a failure within the retry backoff.
        let queued_behind_one = self.attempts.load(Ordering::Acquire) != seen;
        let shared = match &*flight {
            Some(failure) if queued_behind_one || failure.at.elapsed() < self.retry_backoff => {
                Some(Err(failure.error.clone()))
            }
            _ if queued_behind_one => self.valid_local(need).map(Ok),
            _ => None,
        };
        let attempted = shared.is_none();
        let result = match shared {
            Some(result) => result,
            None => {
                let result = self.sync(need).await;
                *flight = result.as_ref().err().map(|error| Failure {
                    at: Instant::now(),
                    error: error.clone(),
                });
                self.attempts.fetch_add(1, Ordering::Release);
                result
            }
        };
        drop(flight);
        result.or_else(|error| {
            let local = self.valid_local(need);
            // Warn once per failed attempt, not for every call it turns away.
            if attempted {
                if local.is_some() {
                    tracing::warn!(app_id = %self.app_id, %error, "refreshing failed; serving the local tickets while they are valid");
                } else {
                    tracing::warn!(app_id = %self.app_id, %error, "refreshing failed and no valid tickets are left");
                }
            }
            local.ok_or(error)
        })
    }

    /// Reads Redis until it holds what `need` asks for, refreshing under the
    /// lock when it can, waiting at most `wait_timeout` for another holder.
    async fn sync(&self, need: &Need) -> Result<Arc<Snapshot>, RedisTicketsError> {
        let deadline = Instant::now() + self.wait_timeout;
        let mut pause = POLL_FIRST;
        loop {
            let shared = self.read().await?;
            let now = SystemTime::now();
            if let Some(shared) = &shared {
                if shared.satisfies(need, now, self.refresh_before) {
                    tracing::debug!(app_id = %self.app_id, "took the shared tickets from Redis");
                    return Ok(self.publish(shared.clone()));
                }
            }
            if let Some(lock) = self.try_lock().await? {
                return self.refresh_locked(&lock, need).await;
            }
            if let Some(shared) = shared {
                if shared.satisfies(need, now, Duration::ZERO) {
                    tracing::debug!(app_id = %self.app_id, "another instance is refreshing; using the still-valid shared tickets");
                    return Ok(self.publish(shared));
                }
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                tracing::warn!(app_id = %self.app_id, "gave up waiting for the instance holding the refresh lock");
                return Err(RedisTicketsError::WaitTimedOut {
                    lock_key: self.lock_key.clone(),
                    waited: self.wait_timeout,
                });
            }
            tracing::debug!(app_id = %self.app_id, "waiting for the instance holding the refresh lock");
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(POLL_MAX);
        }
    }

    async fn read(&self) -> Result<Option<Snapshot>, RedisTicketsError> {
        let stored: Option<String> = run(self.timeout, || {
            let mut manager = self.manager.clone();
            let mut get = ::redis::cmd("GET");
            get.arg(&self.record_key);
            async move { get.query_async(&mut manager).await }
        })
        .await?;
        let Some(stored) = stored else {
            return Ok(None);
        };
        let record: StoredRecord = crate::json::decode(stored.as_bytes()).map_err(|e| {
            // Where and why only: the record holds the token and tickets.
            RedisBackendError::Corrupt {
                key: self.record_key.clone(),
                reason: format!("not a tickets record: {e}"),
            }
        })?;
        Ok(Some(record.into()))
    }

    /// Takes the refresh lock; `Some(token)` if this caller now holds it.
    async fn try_lock(&self) -> Result<Option<String>, RedisTicketsError> {
        let token = nonce();
        let ttl = millis_ceil(self.lock_ttl);
        let answer: Option<String> = run(self.timeout, || {
            let mut manager = self.manager.clone();
            let mut set = ::redis::cmd("SET");
            set.arg(&self.lock_key)
                .arg(&token)
                .arg("NX")
                .arg("PX")
                .arg(ttl);
            async move { set.query_async(&mut manager).await }
        })
        .await?;
        Ok(answer.map(|_| token))
    }

    async fn release(&self, lock: &str) {
        let released: Result<i64, _> = run(self.timeout, || {
            let mut manager = self.manager.clone();
            let mut release = RELEASE.key(&self.lock_key);
            release.arg(lock);
            async move { release.invoke_async(&mut manager).await }
        })
        .await;
        match released {
            Ok(1) => tracing::debug!(app_id = %self.app_id, "released the refresh lock"),
            Ok(_) => {
                tracing::warn!(app_id = %self.app_id, "the refresh lock lapsed before it was released; raise lock_ttl")
            }
            Err(error) => {
                tracing::warn!(app_id = %self.app_id, %error, "could not release the refresh lock; it lapses after its TTL")
            }
        }
    }

    /// Holding the lock: refreshes what is due, publishes, releases.
    async fn refresh_locked(
        &self,
        lock: &str,
        need: &Need,
    ) -> Result<Arc<Snapshot>, RedisTicketsError> {
        tracing::debug!(app_id = %self.app_id, "took the refresh lock");
        let result = self.refresh(lock, need).await;
        if result.is_err() {
            self.release(lock).await;
        }
        result
    }

    async fn refresh(&self, lock: &str, need: &Need) -> Result<Arc<Snapshot>, RedisTicketsError> {
        // Read again: the record may have changed since this caller looked
        // (the lock's previous holder wrote, then released). If Redis lost
        // it (a restart without persistence), start from the local copy, so
        // that a still-valid token is kept rather than replaced (which would
        // invalidate the other instances' copies) and the previous SIGN
        // ticket survives.
        let old = match self.read().await? {
            Some(shared) => Some(shared),
            None => self.local.load_full().map(|local| Snapshot::clone(&local)),
        };
        let now = SystemTime::now();
        let margin = self.refresh_before;
        if let Some(old) = &old {
            if old.sign_fresh(now, margin) && old.token_fresh(now, margin, need) {
                self.release(lock).await;
                return Ok(self.publish(old.clone()));
            }
        }
        let reused = old
            .as_ref()
            .filter(|old| old.token_fresh(now, margin, need))
            .map(|old| old.token.clone());
        let token_was_reused = reused.is_some();
        let mut token = match reused {
            Some(token) => token,
            None => self.fetch_token().await?,
        };
        let sign = match old.as_ref().filter(|old| old.sign_fresh(now, margin)) {
            Some(old) => Arc::clone(&old.sign),
            None => {
                let current = match self.client.sign_ticket(&token.value).await {
                    Err(error) if token_was_reused && rejects_token(&error) => {
                        tracing::warn!(app_id = %self.app_id, "the vendor rejected the shared access token; fetching a new one");
                        token = self.fetch_token().await?;
                        self.client.sign_ticket(&token.value).await?
                    }
                    other => other?,
                };
                let (sign, rotated) = SignTickets::refreshed(
                    old.as_ref().map(|old| &*old.sign),
                    current,
                    now,
                    self.grace,
                );
                tracing::info!(
                    app_id = %self.app_id,
                    rotated,
                    expires_in_s = remaining_secs(sign.current.expires_at(), now),
                    "fetched a SIGN ticket"
                );
                self.warn_if_due(sign.current.expires_at(), "SIGN ticket");
                Arc::new(sign)
            }
        };
        let snapshot = Snapshot { token, sign };
        if !self.write_and_release(lock, &snapshot, now).await? {
            tracing::warn!(app_id = %self.app_id, "the refresh lock lapsed during the refresh, so its result was not shared; raise lock_ttl");
        }
        Ok(self.publish(snapshot))
    }

    async fn fetch_token(&self) -> Result<AccessToken, RedisTicketsError> {
        let token = self.client.access_token().await?;
        tracing::info!(
            app_id = %self.app_id,
            expires_in_s = remaining_secs(token.expires_at, SystemTime::now()),
            "fetched an access token"
        );
        self.warn_if_due(token.expires_at, "access token");
        Ok(token)
    }

    /// Warns when something just fetched is already due: `refresh_before`
    /// is longer than the vendor's lifetime, so every call refreshes.
    fn warn_if_due(&self, expires_at: SystemTime, what: &'static str) {
        if !fresh(expires_at, SystemTime::now(), self.refresh_before) {
            tracing::warn!(
                app_id = %self.app_id,
                what,
                refresh_before_s = self.refresh_before.as_secs(),
                "a freshly fetched {what} is already due for refresh; lower refresh_before below its lifetime"
            );
        }
    }

    /// Writes the record if this caller still holds the lock; `false` if it
    /// lost it.
    async fn write_and_release(
        &self,
        lock: &str,
        snapshot: &Snapshot,
        now: SystemTime,
    ) -> Result<bool, RedisTicketsError> {
        let record = StoredRecord::from(snapshot);
        let json = serde_json::to_string(&record).map_err(|e| RedisBackendError::Corrupt {
            key: self.record_key.clone(),
            reason: format!("the record could not be encoded: {e}"),
        })?;
        let last = [
            record.token.expires,
            record.current.expires,
            record.previous.as_ref().map_or(0, |p| p.expires),
        ]
        .into_iter()
        .max()
        .unwrap_or(0);
        let ttl = last.saturating_sub(to_millis(now)).max(1);
        let written: i64 = run(self.timeout, || {
            let mut manager = self.manager.clone();
            let mut write = WRITE_AND_RELEASE.key(&self.lock_key);
            write.key(&self.record_key).arg(lock).arg(&json).arg(ttl);
            async move { write.invoke_async(&mut manager).await }
        })
        .await?;
        Ok(written == 1)
    }

    async fn token(&self, rejected: Option<Secret>) -> Result<Secret, RedisTicketsError> {
        let need = Need {
            token: true,
            rejected,
            ..Need::default()
        };
        Ok(self.snapshot(&need).await?.token.value.clone())
    }

    async fn nonce_ticket(&self, user_id: &UserId) -> Result<Secret, RedisTicketsError> {
        let token = self.token(None).await?;
        let ticket = match self.client.nonce_ticket(&token, user_id).await {
            Err(error) if rejects_token(&error) => {
                tracing::warn!(app_id = %self.app_id, "the vendor rejected the shared access token; replacing it under the lock");
                let token = self.token(Some(token)).await?;
                self.client.nonce_ticket(&token, user_id).await?
            }
            other => other?,
        };
        Ok(Secret::new(ticket.value()))
    }
}

fn rejects_token(error: &ClientError) -> bool {
    error.vendor_code() == Some(&ResultCode::InvalidAccessToken)
}

fn remaining_secs(expires_at: SystemTime, now: SystemTime) -> u64 {
    expires_at
        .duration_since(now)
        .map_or(0, |left| left.as_secs())
}

#[async_trait]
impl TicketProvider for RedisTickets {
    async fn sign_tickets(&self) -> Result<Arc<SignTickets>, TicketError> {
        match self.inner.snapshot(&Need::SIGN).await {
            Ok(snapshot) => Ok(Arc::clone(&snapshot.sign)),
            Err(error) => Err(TicketError::SignUnavailable {
                source: Box::new(error),
            }),
        }
    }

    fn sign_tickets_now(&self) -> Option<Arc<SignTickets>> {
        self.inner
            .fresh_local(&Need::SIGN)
            .map(|local| Arc::clone(&local.sign))
    }

    async fn nonce_ticket(&self, user_id: &UserId) -> Result<Secret, TicketError> {
        self.inner
            .nonce_ticket(user_id)
            .await
            .map_err(|error| TicketError::NonceUnavailable {
                source: Box::new(error),
            })
    }
}
