//! [`RedisOrderStore`]: pending orders in Redis, consumed once by any instance.

use std::sync::LazyLock;
use std::time::{Duration, SystemTime};

use ::redis::Script;
use async_trait::async_trait;

use crate::binding::BindingHash;
use crate::clock::unix_millis;
use crate::ids::OrderNo;
use crate::orders::{
    Claim, Consumed, Lookup, OrderStore, PendingOrder, SettlementRecord, StoreError,
};
use crate::redis::{
    RedisBackendError, RedisCapabilityError, RedisConnection, RedisVersion, millis_ceil,
    run_idempotent,
};

mod builder;
mod lifecycle;
mod order_entry;
mod settlement_store;

pub use builder::RedisOrderStoreBuilder;

/// The longest time to live or retention written to Redis (100 years), so
/// that the sums the scripts compute stay exact.
const MAX_MILLIS: u64 = 100 * 365 * 24 * 3600 * 1000;

/// Records a pending order unless the key exists (order numbers are single
/// use, also after consumption). The deadline comes from the Redis clock, so
/// instances whose clocks disagree still agree on expiry. A retry of a put
/// whose reply was lost finds its own order and succeeds.
///
/// Value: `p:<deadline ms>:<order>`, where `<order>` is
/// `<created ms>:<binding hash or ->:<user id>[:<edition>]` (no edition
/// for the basic one). With a due index, the order
/// joins it (member `<created ms>:<orderNo>`, score its creation), and
/// members older than any order the store still remembers leave it.
/// The order number joins the user's set (for erasure); a held user's
/// keys get no expiry.
/// KEYS[1] order key, KEYS[2] due index, KEYS[3] the user's set, KEYS[4]
/// the held users; ARGV: ttl ms, retention ms, `<order>`, the index member
/// or '', user id, order number.
static PUT: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/put.lua")));

/// Consumes an order for a claim. A pending order within its deadline (or
/// past it, for a claim that may), bound to the claim's binding if it
/// carries one, becomes the tombstone
/// `c:<attempt>:<deadline ms>:<order>[|<settlement>]` kept for the
/// retention: ACCEPTED. `<settlement>` is a [`SettlementRecord`]'s JSON, of
/// any characters: no field of `<order>` holds a `|`, so the first ends it.
/// The tombstone of the same attempt answers ACCEPTED again (a retry after
/// a lost reply), of the same binding REPEATED. A consume that Redis runs
/// after the caller's deadline (on the caller's clock) changes nothing:
/// LATE.
///
/// A held user's tombstone gets no expiry.
///
/// KEYS[1] order key, KEYS[2] the held users; ARGV: retention ms, attempt, caller's deadline ms,
/// binding hash or '', settlement or '', '1' when the deadline may have
/// passed. Answers `{verdict, <order>}`.
static CONSUME: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/consume.lua")));

/// Undoes a consume of this attempt: the tombstone becomes the pending
/// order again, for its remaining time to live plus the retention.
///
/// KEYS[1] order key; ARGV: attempt, retention ms.
static UNDO: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/undo.lua")));

/// Reads what a consume would find, changing nothing: UNKNOWN, EXPIRED
/// (pending past its deadline), CONSUMED (a tombstone), or ACCEPTED with
/// the pending order's binding hash (or `-`).
///
/// KEYS[1] order key. Answers `{verdict, binding}`.
static LOOKUP: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/lookup.lua")));

const UNKNOWN: i64 = 0;
const ACCEPTED: i64 = 1;
const EXPIRED: i64 = 2;
const CONSUMED: i64 = 3;
const REPEATED: i64 = 5;
const OTHER_BROWSER: i64 = 6;
const LATE: i64 = 7;

/// The replicas a consume must reach before it is accepted.
#[derive(Debug, Clone, Copy)]
struct Durability {
    replicas: u64,
    within: Duration,
}

/// Pending orders in Redis, shared by every instance behind a load
/// balancer: a session started on one instance can come back to any other,
/// and is accepted once in all.
///
/// - [`put`](OrderStore::put) writes `<prefix>{<appId>}:order:<orderNo>` with `SET NX`,
///   so a duplicate order number is refused ([`StoreError::Duplicate`]).
/// - [`consume`](OrderStore::consume) is one Lua script: a pending order
///   within its time to live becomes a tombstone and is
///   [`Consumed::Accepted`]; a tombstone answers
///   [`Consumed::AlreadyConsumed`]; a pending order past its deadline answers
///   [`Consumed::Expired`]; no key answers [`Consumed::Unknown`].
/// - Deadlines are measured on the Redis server's clock.
///
/// # Exactly once, when replies are lost
/// Every consume carries the [`Claim`]'s random attempt id, which the
/// tombstone keeps. When the reply is lost (a timeout, a dropped
/// connection), the store runs the same consume once more: if the first
/// one won, the second finds its own attempt and answers
/// [`Consumed::Accepted`]; it never burns the order for nobody. A consume
/// that Redis only runs after this server stopped waiting for it (Redis
/// stalled past the [timeout](RedisOrderStoreBuilder::timeout)) changes nothing and the
/// caller gets a retryable error ([`RedisBackendError::Late`]) with the
/// order still pending. This compares Redis's clock with this server's, so
/// it assumes they agree to within half the timeout (NTP does far better).
/// A first call on a connection that broke (say Redis restarted) is
/// retried once on a new connection.
///
/// # Failover
/// Redis replicates asynchronously: after a failover to a replica that had
/// not yet received a consume, the same callback would be accepted again.
/// [`wait_for_replicas`](RedisOrderStoreBuilder::wait_for_replicas) closes that window (see
/// there for the price).
///
/// # Retention: telling expired and replayed orders apart
/// Redis would forget an order the moment its time to live ran out, and an
/// expired or replayed order would then look [`Consumed::Unknown`]. So the
/// key lives for the time to live **plus the retention** (default 24 h), and
/// the deadline is stored inside the value; a consumed order's tombstone
/// lives for the retention from the moment of consumption. Within the
/// retention the answers are exact; after it, both become `Unknown` (which
/// callers refuse too). A tombstone takes about 100 bytes of Redis memory
/// (a pending order about 140), so a day of retention at 10 000 sessions a
/// day is about 1 MB.
///
/// # Data lifecycle
/// Redis expires every key by itself, so the [`Retention`](crate::orders::Retention)
/// classes map onto key lifetimes and [`Lifecycle::purge`](crate::orders::Lifecycle::purge)
/// has nothing to do: a pending order lives its time to live plus the
/// retention; a settled order, with its user id and settlement, the
/// retention from its consume (no shorter tombstone without the user);
/// there is no separate settlement log (keep one with `PostgresOrderStore`).
/// For [`erase_user`](crate::orders::Lifecycle::erase_user), every put adds
/// the order number to the set `<prefix>{<appId>}:user:<userId>`; a
/// [held](crate::orders::Lifecycle::hold) user's keys (`…:holds`) get no
/// expiry until released; erasures are listed, without the user, in
/// `…:erasures`. All in the app's hash tag: one Redis Cluster slot.
///
/// `created_at` is kept to the millisecond.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use tencent_faceid::{OrderNo, UserId};
/// use tencent_faceid::orders::RedisOrderStore;
/// use tencent_faceid::orders::{Consumed, OrderStore, PendingOrder};
///
/// let redis = tencent_faceid::redis::connect("redis://127.0.0.1:6379").await?;
/// let store = RedisOrderStore::builder(redis, "appId001").prefix("myapp:").build();
/// let order_no = OrderNo::new("order1")?;
/// store
///     .put(PendingOrder::new(order_no.clone(), UserId::new("u1")?), Duration::from_secs(1800))
///     .await?;
/// assert!(matches!(store.consume(&order_no).await?, Consumed::Accepted(_)));
/// assert_eq!(store.consume(&order_no).await?, Consumed::AlreadyConsumed);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RedisOrderStore {
    connection: RedisConnection,
    /// `<prefix>{<appId>}:`, the start of every key of this store.
    keyspace: String,
    retention: Duration,
    timeout: Duration,
    durability: Option<Durability>,
}

impl RedisOrderStore {
    /// Starts configuring a store of the orders of `app_id` (WBappid) on
    /// this connection (a [`ConnectionManager`](crate::redis::ConnectionManager),
    /// a Cluster's connection, or any [`RedisConnection`]); see
    /// [`RedisOrderStoreBuilder`] for the defaults.
    /// Every key holds the app id: apps sharing one Redis and one prefix
    /// never see, settle or reconcile each other's orders.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use tencent_faceid::orders::RedisOrderStore;
    /// let redis = tencent_faceid::redis::connect("redis://127.0.0.1:6379").await?;
    /// let store = RedisOrderStore::builder(redis, "appId001")
    ///     .prefix("myapp:")
    ///     .retention(Duration::from_secs(3 * 24 * 3600))
    ///     .build();
    /// # Ok(()) }
    /// ```
    pub fn builder(
        connection: impl Into<RedisConnection>,
        app_id: impl Into<String>,
    ) -> RedisOrderStoreBuilder {
        RedisOrderStoreBuilder::new(connection.into(), app_id.into())
    }

    /// A store of `app_id`'s orders on this connection with every default:
    /// `RedisOrderStore::builder(connection, app_id).build()`.
    pub fn new(connection: impl Into<RedisConnection>, app_id: impl Into<String>) -> Self {
        Self::builder(connection, app_id).build()
    }

    /// Connects with [`crate::redis::connect`] and makes a store with
    /// every default (for others, give that connection to
    /// [`builder`](Self::builder)).
    ///
    /// # Errors
    /// [`RedisBackendError::Redis`] if the URL is invalid or Redis cannot be
    /// reached.
    pub async fn connect(url: &str, app_id: impl Into<String>) -> Result<Self, RedisBackendError> {
        Ok(Self::new(crate::redis::connect(url).await?, app_id))
    }

    /// Checks that this store's Redis can carry it ([`crate::redis::probe`]
    /// with a key of its own slot, and `WAIT` when it
    /// [waits for replicas](RedisOrderStoreBuilder::wait_for_replicas)); call
    /// it at startup.
    ///
    /// # Errors
    /// A [`RedisCapabilityError`] naming what is missing and what to do.
    pub async fn probe(&self) -> Result<RedisVersion, RedisCapabilityError> {
        let key = format!("{}probe", self.keyspace);
        crate::redis::probe(&self.connection, &key, self.durability.is_some()).await
    }

    /// The Redis key of the due index.
    fn due_key(&self) -> String {
        format!("{}due", self.keyspace)
    }

    /// Runs a command that may safely run twice (a read, or a due-index
    /// write).
    async fn idempotent<T: ::redis::FromRedisValue>(
        &self,
        command: ::redis::Cmd,
    ) -> Result<T, StoreError> {
        run_idempotent(self.timeout, || {
            let mut connection = self.connection.clone();
            let command = command.clone();
            async move { command.query_async(&mut connection).await }
        })
        .await
        .map_err(backend)
    }

    /// The Redis key of an order.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid::OrderNo;
    /// let store = tencent_faceid::orders::RedisOrderStore::connect("redis://127.0.0.1", "appId001").await?;
    /// assert_eq!(store.key(&OrderNo::new("o1")?), "faceid:{appId001}:order:o1");
    /// # Ok(()) }
    /// ```
    pub fn key(&self, order_no: &OrderNo) -> String {
        format!("{}order:{}", self.keyspace, order_no.as_str())
    }

    fn retention_millis(&self) -> u64 {
        millis_ceil(self.retention)
    }

    /// Reads an order entry (see [`order_entry::decode`]).
    fn decode_order(
        &self,
        order_no: &OrderNo,
        order: &str,
    ) -> Result<PendingOrder, RedisBackendError> {
        order_entry::decode(order_no, order).map_err(|reason| RedisBackendError::Corrupt {
            key: self.key(order_no),
            reason: reason.to_owned(),
        })
    }

    /// Runs the consume script once (a broken connection retried); with
    /// [durability](RedisOrderStoreBuilder::wait_for_replicas), in one pipeline with `WAIT`,
    /// so that it waits on the very connection that wrote, and answers how
    /// many replicas acknowledged.
    async fn consume_once(
        &self,
        key: &str,
        claim: &Claim,
        deadline: u64,
    ) -> Result<(i64, String, Option<u64>), RedisBackendError> {
        let binding = claim.binding().map(BindingHash::to_hex).unwrap_or_default();
        let settlement = claim.settlement().map(SettlementRecord::encode);
        run_idempotent(self.timeout, || {
            let mut connection = self.connection.clone();
            let mut invocation = CONSUME.key(key);
            invocation
                .key(self.holds_key())
                .arg(self.retention_millis())
                .arg(claim.attempt())
                .arg(deadline)
                .arg(&binding)
                .arg(settlement.as_deref().unwrap_or_default())
                .arg(if claim.is_past_deadline() { "1" } else { "0" });
            let durability = self.durability;
            async move {
                let Some(durability) = durability else {
                    let (verdict, order) = invocation.invoke_async(&mut connection).await?;
                    return Ok((verdict, order, None));
                };
                let ((verdict, order), acknowledged): ((i64, String), u64) = ::redis::pipe()
                    .load_script(&CONSUME)
                    .ignore()
                    .invoke_script(&invocation)
                    .cmd("WAIT")
                    .arg(durability.replicas)
                    .arg(millis_ceil(durability.within))
                    .query_async(&mut connection)
                    .await?;
                Ok((verdict, order, Some(acknowledged)))
            }
        })
        .await
    }

    /// Undoes the consume of `claim` that too few replicas acknowledged.
    async fn undo(
        &self,
        key: &str,
        claim: &Claim,
        acknowledged: u64,
        required: u64,
    ) -> RedisBackendError {
        let undone: Result<i64, _> = run_idempotent(self.timeout, || {
            let mut connection = self.connection.clone();
            let mut invocation = UNDO.key(key);
            invocation.arg(claim.attempt()).arg(self.retention_millis());
            async move { invocation.invoke_async(&mut connection).await }
        })
        .await;
        tracing::warn!(
            acknowledged,
            required,
            undone = matches!(undone, Ok(1)),
            "too few Redis replicas acknowledged a consume"
        );
        match undone {
            Err(error) => error,
            Ok(_) => RedisBackendError::NotReplicated {
                acknowledged,
                required,
            },
        }
    }
}

/// Whether the reply to a command may have been lost after the command
/// reached Redis.
fn reply_lost(error: &RedisBackendError) -> bool {
    match error {
        RedisBackendError::TimedOut(_) => true,
        RedisBackendError::Redis(e) => e.is_timeout() || e.is_connection_dropped(),
        _ => false,
    }
}

/// Milliseconds since the Unix epoch on this server's clock.
fn now_millis() -> u64 {
    unix_millis(SystemTime::now())
}

/// The due index member of an order: `<created ms>:<orderNo>`.
fn due_member(order_no: &OrderNo, created_at: SystemTime) -> String {
    format!("{}:{}", unix_millis(created_at), order_no.as_str())
}

fn backend(error: RedisBackendError) -> StoreError {
    StoreError::Backend(Box::new(error))
}

#[async_trait]
impl OrderStore for RedisOrderStore {
    async fn put(&self, order: PendingOrder, ttl: Duration) -> Result<(), StoreError> {
        let key = self.key(&order.order_no);
        let ttl = millis_ceil(ttl).min(MAX_MILLIS);
        let entry = order_entry::encode(&order);
        let member = due_member(&order.order_no, order.created_at);
        let due_key = self.due_key();
        let (user_key, holds_key) = (self.user_key(order.user_id.as_str()), self.holds_key());
        let stored: i64 = run_idempotent(self.timeout, || {
            let mut connection = self.connection.clone();
            let mut invocation = PUT.key(&key);
            invocation
                .key(&due_key)
                .key(&user_key)
                .key(&holds_key)
                .arg(ttl)
                .arg(self.retention_millis())
                .arg(&entry)
                .arg(&member)
                .arg(order.user_id.as_str())
                .arg(order.order_no.as_str());
            async move { invocation.invoke_async(&mut connection).await }
        })
        .await
        .map_err(backend)?;
        if stored == 1 {
            tracing::debug!(
                order_no = order.order_no.as_str(),
                ttl_ms = ttl,
                "recorded pending order in Redis"
            );
            Ok(())
        } else {
            tracing::warn!(
                order_no = order.order_no.as_str(),
                "refused a duplicate order number"
            );
            Err(StoreError::Duplicate(order.order_no))
        }
    }

    async fn consume_claim(
        &self,
        order_no: &OrderNo,
        claim: &Claim,
    ) -> Result<Consumed, StoreError> {
        let key = self.key(order_no);
        // Redis refuses to run the consume after this: by then this server
        // may have stopped waiting for it.
        let deadline = now_millis().saturating_add(millis_ceil(self.timeout / 2));
        let reply = match self.consume_once(&key, claim, deadline).await {
            Err(error) if reply_lost(&error) => {
                // Did our attempt win? The same claim answers that, and
                // consumes the order if the first attempt never ran.
                tracing::warn!(order_no = order_no.as_str(), %error, "lost the reply to a consume; asking again with the same attempt");
                self.consume_once(&key, claim, deadline).await
            }
            other => other,
        };
        let (verdict, order, acknowledged) = reply.map_err(backend)?;
        let consumed = match verdict {
            UNKNOWN => Consumed::Unknown,
            EXPIRED => Consumed::Expired,
            CONSUMED => Consumed::AlreadyConsumed,
            OTHER_BROWSER => Consumed::OtherBrowser,
            LATE => return Err(backend(RedisBackendError::Late)),
            REPEATED => Consumed::Repeated(self.decode_order(order_no, &order).map_err(backend)?),
            ACCEPTED => {
                if let (Some(durability), Some(acknowledged)) = (self.durability, acknowledged)
                    && acknowledged < durability.replicas
                {
                    let required = durability.replicas;
                    return Err(backend(
                        self.undo(&key, claim, acknowledged, required).await,
                    ));
                }
                Consumed::Accepted(self.decode_order(order_no, &order).map_err(backend)?)
            }
            _ => {
                return Err(backend(RedisBackendError::Corrupt {
                    key,
                    reason: "not a pending order entry".to_owned(),
                }));
            }
        };
        tracing::debug!(
            order_no = order_no.as_str(),
            verdict = match &consumed {
                Consumed::Accepted(_) => "accepted",
                Consumed::Unknown => "unknown",
                Consumed::Expired => "expired",
                Consumed::AlreadyConsumed => "already consumed",
                Consumed::Repeated(_) => "repeated by the same browser",
                Consumed::OtherBrowser => "bound to another browser",
            },
            "consumed order in Redis"
        );
        Ok(consumed)
    }

    async fn lookup(&self, order_no: &OrderNo) -> Result<Lookup, StoreError> {
        let key = self.key(order_no);
        let (verdict, binding): (i64, String) = run_idempotent(self.timeout, || {
            let mut connection = self.connection.clone();
            let invocation = LOOKUP.key(&key);
            async move { invocation.invoke_async(&mut connection).await }
        })
        .await
        .map_err(backend)?;
        let corrupt = |reason: &str| {
            backend(RedisBackendError::Corrupt {
                key: key.clone(),
                reason: reason.to_owned(),
            })
        };
        Ok(match verdict {
            UNKNOWN => Lookup::Unknown,
            EXPIRED => Lookup::Expired,
            CONSUMED => Lookup::Consumed,
            ACCEPTED if binding == order_entry::UNBOUND => Lookup::Pending { binding: None },
            ACCEPTED => Lookup::Pending {
                binding: Some(
                    BindingHash::from_hex(&binding)
                        .ok_or_else(|| corrupt("invalid binding hash"))?,
                ),
            },
            _ => return Err(corrupt("not a pending order entry")),
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.idempotent::<String>(::redis::cmd("PING"))
            .await
            .map(drop)
    }
}
