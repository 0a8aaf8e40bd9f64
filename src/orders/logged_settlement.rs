//! [`LoggedSettlement`]: one entry of a durable store's settlement log, as
//! the PostgreSQL and MySQL stores list them for audits.

use std::time::SystemTime;

use crate::ids::{OrderNo, UserId};
use crate::orders::SettlementRecord;

/// One entry of the settlement log, as `PostgresOrderStore::settlements`
/// (feature `postgres`) and `tencent_faceid_mysql::MySqlOrderStore::settlements`
/// list them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoggedSettlement {
    /// The order.
    pub order_no: OrderNo,
    /// The user the session was started for.
    pub user_id: UserId,
    /// How it ended, by which path, and when.
    pub record: SettlementRecord,
    /// [`Settlement::idempotency_key`](crate::settle::Settlement::idempotency_key).
    pub idempotency_key: String,
    /// When the `on_settled` hook took it; `None` while undelivered.
    pub delivered_at: Option<SystemTime>,
}

impl LoggedSettlement {
    /// The entry of `order_no`'s settlement `record` for `user_id`, not
    /// delivered yet: a store of another crate fills in
    /// [`delivered_at`](Self::delivered_at).
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use tencent_faceid::{OrderNo, UserId};
    /// use tencent_faceid::orders::{LoggedSettlement, SettlementRecord};
    /// use tencent_faceid::settle::{SettledBy, SettledState};
    /// let record = SettlementRecord::new(SettledState::Passed, SettledBy::Callback, SystemTime::now());
    /// let mut entry = LoggedSettlement::new(
    ///     OrderNo::new("order1")?,
    ///     UserId::new("user1")?,
    ///     record,
    ///     "faceid-settlement-appId001-order1".to_owned(),
    /// );
    /// assert_eq!(entry.delivered_at, None);
    /// entry.delivered_at = Some(SystemTime::now());
    /// # Ok::<(), tencent_faceid::IdentifierError>(())
    /// ```
    pub fn new(
        order_no: OrderNo,
        user_id: UserId,
        record: SettlementRecord,
        idempotency_key: String,
    ) -> Self {
        Self {
            order_no,
            user_id,
            record,
            idempotency_key,
            delivered_at: None,
        }
    }
}
