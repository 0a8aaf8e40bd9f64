//! The data lifecycle of [`RedisOrderStore`] (documented there): Redis
//! expires every record by itself, so the purge has nothing to do; erasure
//! finds a user's orders in the set `<keyspace>user:<userId>` that every
//! put writes, and a legal hold removes the expiry of the user's keys until
//! released. The scripts take every key they touch as a
//! key: all share the app's `{appId}` hash tag, one Redis Cluster slot.

use std::sync::LazyLock;
use std::time::SystemTime;

use ::redis::Script;
use async_trait::async_trait;

use super::{RedisOrderStore, backend, now_millis};
use crate::ids::{OrderNo, UserId};
use crate::orders::lifecycle::log_erasure;
use crate::orders::{Erased, Lifecycle, Purged, Retention, StoreError};
use crate::redis::run_idempotent;

static HOLD: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/hold.lua")));
static RELEASE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/release.lua")));
static ERASE: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("lua/erase.lua")));

/// Rounds of an erasure: a put racing the first round is erased by the
/// next.
const ERASE_ROUNDS: usize = 3;

impl RedisOrderStore {
    /// The set of the users under a legal hold.
    pub(super) fn holds_key(&self) -> String {
        format!("{}holds", self.keyspace)
    }

    /// The set of the order numbers of `user_id`.
    pub(super) fn user_key(&self, user_id: &str) -> String {
        format!("{}user:{user_id}", self.keyspace)
    }

    /// The order numbers the set of `user_id` holds now.
    async fn orders_of(&self, user_id: &UserId) -> Result<Vec<OrderNo>, StoreError> {
        let members: Vec<String> = self
            .idempotent(::redis::Cmd::smembers(self.user_key(user_id.as_str())))
            .await?;
        // A member that is no order number was not written by this crate.
        Ok(members
            .iter()
            .filter_map(|member| OrderNo::new(member).ok())
            .collect())
    }

    /// Runs `script` on the holds, the user's set, `extra` keys and the
    /// keys of `orders`, with `args` then the order numbers.
    async fn run_for_user<T: ::redis::FromRedisValue>(
        &self,
        script: &Script,
        user_id: &UserId,
        extra: &[String],
        orders: &[OrderNo],
        args: &[String],
    ) -> Result<T, StoreError> {
        run_idempotent(self.timeout, || {
            let mut connection = self.connection.clone();
            let mut invocation = script.key(self.holds_key());
            invocation.key(self.user_key(user_id.as_str()));
            for key in extra {
                invocation.key(key);
            }
            for order_no in orders {
                invocation.key(self.key(order_no));
            }
            for arg in args {
                invocation.arg(arg);
            }
            for order_no in orders {
                invocation.arg(order_no.as_str());
            }
            async move { invocation.invoke_async(&mut connection).await }
        })
        .await
        .map_err(backend)
    }

    /// Runs the hold or release `script` on every order of `user_id`,
    /// twice: a put that raced the first run is in the set by the second.
    async fn on_every_order(
        &self,
        script: &Script,
        user_id: &UserId,
        args: &[String],
    ) -> Result<(), StoreError> {
        for _ in 0..2 {
            let orders = self.orders_of(user_id).await?;
            self.run_for_user::<i64>(script, user_id, &[], &orders, args)
                .await?;
        }
        Ok(())
    }

    /// Appends an erasure's counts and time to `<keyspace>erasures`.
    async fn record_erasure(&self, erased: &Erased) -> Result<(), StoreError> {
        let erasure = serde_json::json!({
            "at": now_millis(),
            "orders": erased.orders,
            "anonymised": erased.anonymised,
            "settlements": erased.settlements,
        });
        let command =
            ::redis::Cmd::rpush(format!("{}erasures", self.keyspace), erasure.to_string());
        self.idempotent::<i64>(command).await.map(drop)
    }
}

#[async_trait]
impl Lifecycle for RedisOrderStore {
    /// Nothing to do: Redis expires every record by itself (see
    /// [`RedisOrderStore`]'s data lifecycle).
    async fn purge(
        &self,
        _retention: &Retention,
        _now: SystemTime,
        _limit: usize,
    ) -> Result<Purged, StoreError> {
        Ok(Purged::default())
    }

    async fn erase_user(&self, user_id: &UserId) -> Result<Erased, StoreError> {
        let mut erased = Erased::default();
        let due = [self.due_key()];
        for _ in 0..ERASE_ROUNDS {
            let orders = self.orders_of(user_id).await?;
            if orders.is_empty() {
                break;
            }
            let args = [user_id.as_str().to_owned()];
            let (removed, anonymised, settlements): (i64, u64, u64) = self
                .run_for_user(&ERASE, user_id, &due, &orders, &args)
                .await?;
            let Ok(removed) = u64::try_from(removed) else {
                return Err(StoreError::Held);
            };
            erased.orders += removed;
            erased.anonymised += anonymised;
            erased.settlements += settlements;
        }
        let held: bool = self
            .idempotent(::redis::Cmd::sismember(self.holds_key(), user_id.as_str()))
            .await?;
        if held && erased == Erased::default() {
            return Err(StoreError::Held);
        }
        self.record_erasure(&erased).await?;
        log_erasure(&erased);
        Ok(erased)
    }

    async fn hold(&self, user_id: &UserId) -> Result<(), StoreError> {
        let args = [user_id.as_str().to_owned()];
        self.on_every_order(&HOLD, user_id, &args).await
    }

    async fn release(&self, user_id: &UserId) -> Result<(), StoreError> {
        let args = [
            user_id.as_str().to_owned(),
            self.retention_millis().to_string(),
        ];
        self.on_every_order(&RELEASE, user_id, &args).await
    }
}
