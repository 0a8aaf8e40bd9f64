//! The [`SettlementStore`] side of [`RedisOrderStore`]: a settlement is
//! read from its order's tombstone, and the due index is the sorted set
//! `<keyspace>due` of members `<created ms>:<orderNo>`, scored by when the
//! order is due (its creation, then a claim's lease or a reschedule).

use std::sync::LazyLock;
use std::time::SystemTime;

use ::redis::Script;
use async_trait::async_trait;

use super::{RedisOrderStore, backend, due_member};
use crate::clock::{from_unix_millis, unix_millis};
use crate::ids::OrderNo;
use crate::orders::{DueOrder, PendingOrder, SettlementRecord, SettlementStore, StoreError};
use crate::redis::{RedisBackendError, run_idempotent};

/// Takes up to ARGV[3] members of the due index scored at or before ARGV[1]
/// and scores them ARGV[2] (the lease). KEYS[1] due index.
static CLAIM_DUE: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("lua/claim_due.lua")));

#[async_trait]
impl SettlementStore for RedisOrderStore {
    async fn settlement(
        &self,
        order_no: &OrderNo,
    ) -> Result<Option<(PendingOrder, SettlementRecord)>, StoreError> {
        let value: Option<String> = self
            .idempotent(::redis::Cmd::get(self.key(order_no)))
            .await?;
        // `c:<attempt>:<deadline ms>:<order>|<settlement>` (see CONSUME)
        let Some((tombstone, settlement)) = value
            .as_deref()
            .and_then(|value| value.strip_prefix("c:"))
            .and_then(|value| value.split_once('|'))
        else {
            return Ok(None);
        };
        let order = tombstone.splitn(3, ':').nth(2).unwrap_or_default();
        let order = self.decode_order(order_no, order).map_err(backend)?;
        let record = SettlementRecord::decode(order_no, settlement)?;
        Ok(Some((order, record)))
    }

    async fn claim_due(
        &self,
        due: SystemTime,
        lease: SystemTime,
        limit: usize,
    ) -> Result<Vec<DueOrder>, StoreError> {
        let index = self.due_key();
        let members: Vec<String> = run_idempotent(self.timeout, || {
            let mut connection = self.connection.clone();
            let mut invocation = CLAIM_DUE.key(&index);
            invocation
                .arg(unix_millis(due))
                .arg(unix_millis(lease))
                .arg(limit);
            async move { invocation.invoke_async(&mut connection).await }
        })
        .await
        .map_err(backend)?;
        let mut orders = Vec::with_capacity(members.len());
        for member in members {
            let decoded = member.split_once(':').and_then(|(created, order_no)| {
                let created: u64 = created.parse().ok()?;
                Some(DueOrder {
                    order_no: OrderNo::new(order_no).ok()?,
                    created_at: from_unix_millis(created),
                })
            });
            match decoded {
                Some(order) => orders.push(order),
                None => {
                    return Err(backend(RedisBackendError::Corrupt {
                        key: index,
                        reason: "a member that is not <created ms>:<orderNo>".to_owned(),
                    }));
                }
            }
        }
        Ok(orders)
    }

    async fn reschedule(&self, order: &DueOrder, at: SystemTime) -> Result<(), StoreError> {
        let mut command = ::redis::cmd("ZADD");
        command
            .arg(self.due_key())
            .arg("XX")
            .arg(unix_millis(at))
            .arg(due_member(&order.order_no, order.created_at));
        self.idempotent::<i64>(command).await.map(drop)
    }

    async fn forget_due(&self, order: &DueOrder) -> Result<(), StoreError> {
        let member = due_member(&order.order_no, order.created_at);
        let command = ::redis::Cmd::zrem(self.due_key(), member);
        self.idempotent::<i64>(command).await.map(drop)
    }

    async fn due_backlog(&self, due: SystemTime) -> Result<u64, StoreError> {
        let command = ::redis::Cmd::zcount(self.due_key(), "-inf", unix_millis(due));
        self.idempotent(command).await
    }
}
