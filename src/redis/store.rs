//! [`RedisOrderStore`]: pending orders in Redis, consumed once by any instance.

use std::sync::LazyLock;
use std::time::{Duration, UNIX_EPOCH};

use ::redis::aio::ConnectionManager;
use ::redis::Script;
use async_trait::async_trait;

use super::{millis_ceil, run, RedisBackendError, DEFAULT_PREFIX, DEFAULT_TIMEOUT};
use crate::model::{OrderNo, UserId};
use crate::store::{Consumed, OrderStore, PendingOrder, StoreError};

/// The longest time to live or retention written to Redis (100 years), so
/// that the sums the scripts compute stay exact.
const MAX_MILLIS: u64 = 100 * 365 * 24 * 3600 * 1000;

/// Records a pending order unless the key exists (order numbers are single
/// use, also after consumption). The deadline comes from the Redis clock, so
/// instances whose clocks disagree still agree on expiry.
///
/// Record: `p:<deadline ms>:<created ms>:<user id>`.
/// KEYS[1] order key; ARGV: ttl ms, retention ms, created ms, user id.
static PUT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
local record = string.format('p:%d:%s:%s', now + ttl, ARGV[3], ARGV[4])
if redis.call('SET', KEYS[1], record, 'NX', 'PX', ttl + tonumber(ARGV[2])) then
  return 1
end
return 0
",
    )
});

/// Consumes a pending order: pending and not past its deadline -> tombstone
/// `c` kept for the retention, answer ACCEPTED with `<created ms>:<user id>`.
///
/// KEYS[1] order key; ARGV[1] retention ms.
static CONSUME: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local record = redis.call('GET', KEYS[1])
if not record then return {0, ''} end
if record == 'c' then return {3, ''} end
local deadline, rest = string.match(record, '^p:(%d+):(%d+:.*)$')
if not deadline then return {4, ''} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now >= tonumber(deadline) then return {2, ''} end
redis.call('SET', KEYS[1], 'c', 'PX', ARGV[1])
return {1, rest}
",
    )
});

const UNKNOWN: i64 = 0;
const ACCEPTED: i64 = 1;
const EXPIRED: i64 = 2;
const CONSUMED: i64 = 3;

/// Pending orders in Redis, shared by every instance behind a load
/// balancer: a session started on one instance can come back to any other,
/// and is accepted once in all.
///
/// - [`put`](OrderStore::put) writes `<prefix>order:<orderNo>` with `SET NX`,
///   so a duplicate order number is refused ([`StoreError::Duplicate`]).
/// - [`consume`](OrderStore::consume) is one Lua script: a pending order
///   within its time to live becomes a tombstone and is
///   [`Consumed::Accepted`]; a tombstone answers
///   [`Consumed::AlreadyConsumed`]; a pending order past its deadline answers
///   [`Consumed::Expired`]; no key answers [`Consumed::Unknown`].
/// - Deadlines are measured on the Redis server's clock.
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
/// `created_at` is kept to the millisecond.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use tencent_faceid::model::{OrderNo, UserId};
/// use tencent_faceid::redis::RedisOrderStore;
/// use tencent_faceid::store::{Consumed, OrderStore, PendingOrder};
///
/// let store = RedisOrderStore::connect("redis://127.0.0.1:6379").await?.prefix("myapp:");
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
    manager: ConnectionManager,
    prefix: String,
    retention: Duration,
    timeout: Duration,
}

impl RedisOrderStore {
    /// A store on this connection, with the [default
    /// prefix](super::DEFAULT_PREFIX), a retention of 24 h and a timeout of
    /// [2 s](super::DEFAULT_TIMEOUT) per operation.
    pub fn new(manager: ConnectionManager) -> Self {
        Self {
            manager,
            prefix: DEFAULT_PREFIX.to_owned(),
            retention: Duration::from_secs(24 * 3600),
            timeout: DEFAULT_TIMEOUT,
        }
    }

    /// Connects with [`super::connect`] and makes a store.
    ///
    /// # Errors
    /// [`RedisBackendError::Redis`] if the URL is invalid or Redis cannot be
    /// reached.
    pub async fn connect(url: &str) -> Result<Self, RedisBackendError> {
        Ok(Self::new(super::connect(url).await?))
    }

    /// The key prefix (default `"faceid:"`); orders live under
    /// `<prefix>order:`. Every instance sharing orders must use the same one.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long consumed and expired orders are remembered, so that a replay
    /// answers [`Consumed::AlreadyConsumed`] and a late callback
    /// [`Consumed::Expired`] rather than [`Consumed::Unknown`]; default 24 h,
    /// at least 1 ms.
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention.max(Duration::from_millis(1));
        self
    }

    /// How long one operation may take, reconnecting included; default 2 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The Redis key of an order.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid::model::OrderNo;
    /// let store = tencent_faceid::redis::RedisOrderStore::connect("redis://127.0.0.1").await?;
    /// assert_eq!(store.key(&OrderNo::new("o1")?), "faceid:order:o1");
    /// # Ok(()) }
    /// ```
    pub fn key(&self, order_no: &OrderNo) -> String {
        format!("{}order:{}", self.prefix, order_no.as_str())
    }

    fn retention_millis(&self) -> u64 {
        millis_ceil(self.retention).min(MAX_MILLIS)
    }

    fn decode_accepted(
        &self,
        order_no: &OrderNo,
        rest: &str,
    ) -> Result<PendingOrder, RedisBackendError> {
        let corrupt = |reason: &str| RedisBackendError::Corrupt {
            key: self.key(order_no),
            reason: reason.to_owned(),
        };
        let (created, user_id) = rest.split_once(':').ok_or_else(|| corrupt("no user id"))?;
        let created: u64 = created
            .parse()
            .map_err(|_| corrupt("creation time is not a number"))?;
        let user_id = UserId::new(user_id).map_err(|_| corrupt("invalid user id"))?;
        Ok(PendingOrder {
            order_no: order_no.clone(),
            user_id,
            created_at: UNIX_EPOCH + Duration::from_millis(created),
        })
    }
}

fn backend(error: RedisBackendError) -> StoreError {
    StoreError::Backend(Box::new(error))
}

#[async_trait]
impl OrderStore for RedisOrderStore {
    async fn put(&self, order: PendingOrder, ttl: Duration) -> Result<(), StoreError> {
        let key = self.key(&order.order_no);
        let ttl = millis_ceil(ttl).min(MAX_MILLIS);
        let created = order
            .created_at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| u64::try_from(since.as_millis()).unwrap_or(0));
        let stored: i64 = run(self.timeout, || {
            let mut manager = self.manager.clone();
            let mut invocation = PUT.key(&key);
            invocation
                .arg(ttl)
                .arg(self.retention_millis())
                .arg(created)
                .arg(order.user_id.as_str());
            async move { invocation.invoke_async(&mut manager).await }
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

    async fn consume(&self, order_no: &OrderNo) -> Result<Consumed, StoreError> {
        let key = self.key(order_no);
        let retention = self.retention_millis();
        let (verdict, rest): (i64, String) = run(self.timeout, || {
            let mut manager = self.manager.clone();
            let mut invocation = CONSUME.key(&key);
            invocation.arg(retention);
            async move { invocation.invoke_async(&mut manager).await }
        })
        .await
        .map_err(backend)?;
        let consumed = match verdict {
            UNKNOWN => Consumed::Unknown,
            EXPIRED => Consumed::Expired,
            CONSUMED => Consumed::AlreadyConsumed,
            ACCEPTED => Consumed::Accepted(self.decode_accepted(order_no, &rest).map_err(backend)?),
            _ => {
                return Err(backend(RedisBackendError::Corrupt {
                    key,
                    reason: "not a pending order record".to_owned(),
                }))
            }
        };
        tracing::debug!(
            order_no = order_no.as_str(),
            verdict = match &consumed {
                Consumed::Accepted(_) => "accepted",
                Consumed::Unknown => "unknown",
                Consumed::Expired => "expired",
                Consumed::AlreadyConsumed => "already consumed",
            },
            "consumed order in Redis"
        );
        Ok(consumed)
    }
}
