//! [`LoggedSettlement`]: one entry of a durable store's settlement log, as
//! the PostgreSQL and MySQL stores list them for audits.

use std::time::SystemTime;

use crate::ids::{OrderNo, UserId};
use crate::result_code::ResultCode;

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
    /// `passed`, `failed` or `abandoned` (see
    /// [`SettledState`](crate::settle::SettledState)).
    pub state: Option<String>,
    /// The vendor's code of a failed verification.
    pub code: Option<ResultCode>,
    /// `callback` or `reconciler` (see [`SettledBy`](crate::settle::SettledBy)).
    pub settled_by: Option<String>,
    /// When it was settled, to the millisecond.
    pub settled_at: SystemTime,
    /// [`Settlement::idempotency_key`](crate::settle::Settlement::idempotency_key).
    pub idempotency_key: String,
    /// When the `on_settled` hook took it; `None` while undelivered.
    pub delivered_at: Option<SystemTime>,
}

impl LoggedSettlement {
    /// The entry of `order_no`'s settlement for `user_id` at `settled_at`,
    /// its state, code, settler and delivery unknown (`None`): a store of
    /// another crate fills them in.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use tencent_faceid::ids::{OrderNo, UserId};
    /// use tencent_faceid::orders::LoggedSettlement;
    /// let mut entry = LoggedSettlement::new(
    ///     OrderNo::new("order1")?,
    ///     UserId::new("user1")?,
    ///     SystemTime::now(),
    ///     "faceid-settlement-appId001-order1".to_owned(),
    /// );
    /// entry.state = Some("passed".to_owned());
    /// assert_eq!(entry.delivered_at, None);
    /// # Ok::<(), tencent_faceid::ids::IdentifierError>(())
    /// ```
    pub fn new(
        order_no: OrderNo,
        user_id: UserId,
        settled_at: SystemTime,
        idempotency_key: String,
    ) -> Self {
        Self {
            order_no,
            user_id,
            state: None,
            code: None,
            settled_by: None,
            settled_at,
            idempotency_key,
            delivered_at: None,
        }
    }
}
