//! [`RedisOrderStoreBuilder`]: where the Redis order store keeps orders,
//! for how long, and how sure a consume must be.

use std::time::Duration;

use super::{Durability, MAX_MILLIS, RedisOrderStore};
use crate::redis::{DEFAULT_PREFIX, DEFAULT_TIMEOUT, RedisConnection};

/// Configures a [`RedisOrderStore`]; made by [`RedisOrderStore::builder`].
///
/// Defaults: the [default prefix](crate::redis::DEFAULT_PREFIX), a
/// retention of 24 h, a timeout of [2 s](crate::redis::DEFAULT_TIMEOUT)
/// per operation, the due index on, no waiting for replicas.
#[derive(Debug, Clone)]
pub struct RedisOrderStoreBuilder {
    store: RedisOrderStore,
    prefix: String,
    app_id: String,
}

impl RedisOrderStoreBuilder {
    /// The defaults, on `connection`.
    pub(super) fn new(connection: RedisConnection, app_id: String) -> Self {
        Self {
            prefix: DEFAULT_PREFIX.to_owned(),
            app_id,
            store: RedisOrderStore {
                connection,
                keyspace: String::new(),
                retention: Duration::from_secs(24 * 3600),
                timeout: DEFAULT_TIMEOUT,
                durability: None,
            },
        }
    }

    /// The key prefix (default `"faceid:"`); orders live under
    /// `<prefix>{<appId>}:order:`, the due index at `<prefix>{<appId>}:due`
    /// (the app id is a Redis Cluster hash tag, so an order and the index
    /// share a slot). Every instance sharing orders must use the same one.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How long consumed and expired orders are remembered, so that a replay
    /// answers [`AlreadyConsumed`](crate::orders::Consumed::AlreadyConsumed)
    /// and a late callback [`Expired`](crate::orders::Consumed::Expired)
    /// rather than [`Unknown`](crate::orders::Consumed::Unknown); default
    /// 24 h, clamped to 1 ms ..= 100 years.
    pub fn retention(mut self, retention: Duration) -> Self {
        self.store.retention =
            retention.clamp(Duration::from_millis(1), Duration::from_millis(MAX_MILLIS));
        self
    }

    /// How long one operation may take, reconnecting included; default 2 s.
    /// A consume Redis runs more than half of it after it was sent changes
    /// nothing (see [Exactly
    /// once](RedisOrderStore#exactly-once-when-replies-are-lost)).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.store.timeout = timeout;
        self
    }

    /// Accepts a consume only once `replicas` replicas acknowledged it
    /// (Redis `WAIT`), waiting at most `within`; off by default.
    ///
    /// With it, a replica promoted after a failover knows every accepted
    /// order, so a replayed callback is refused there too. The price: each
    /// consume waits for the slowest of those replicas (a local replica
    /// adds about one round trip), and when fewer acknowledge within
    /// `within` the consume is undone and the callback gets a retryable
    /// 503
    /// ([`RedisBackendError::NotReplicated`](crate::redis::RedisBackendError::NotReplicated))
    /// rather than an outcome: availability now traded for safety after a
    /// failover. Keep `within` well under half the
    /// [timeout](Self::timeout). With Redis Cluster, `WAIT` counts the
    /// replicas of the order key's shard.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use tencent_faceid::orders::RedisOrderStore;
    /// let redis = tencent_faceid::redis::connect("redis://127.0.0.1:6379").await?;
    /// let store = RedisOrderStore::builder(redis, "appId001")
    ///     .wait_for_replicas(1, Duration::from_millis(500))
    ///     .build();
    /// # Ok(()) }
    /// ```
    pub fn wait_for_replicas(mut self, replicas: u64, within: Duration) -> Self {
        self.store.durability = Some(Durability { replicas, within });
        self
    }

    /// Builds the store.
    pub fn build(self) -> RedisOrderStore {
        let Self {
            mut store,
            prefix,
            app_id,
        } = self;
        store.keyspace = format!("{prefix}{{{app_id}}}:");
        store
    }
}
