//! The settlement log read back for audits.

use std::time::SystemTime;

use sqlx::Row;
use tencent_faceid::ids::{OrderNo, UserId};
use tencent_faceid::vendor::ResultCode;

use crate::{MySqlOrderStore, MySqlStoreError, bounded, millis, optional_text, text, time_of};

/// One entry of the settlement log, as [`MySqlOrderStore::settlements`]
/// lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LoggedSettlement {
    /// The order.
    pub order_no: OrderNo,
    /// The user the session was started for.
    pub user_id: UserId,
    /// `passed`, `failed` or `abandoned`.
    pub state: Option<String>,
    /// The vendor's code of a failed verification.
    pub code: Option<ResultCode>,
    /// `callback` or `reconciler`.
    pub settled_by: Option<String>,
    /// When it was settled, to the millisecond.
    pub settled_at: SystemTime,
    /// `Settlement::idempotency_key`.
    pub idempotency_key: String,
    /// When the `on_settled` hook took it; `None` while undelivered.
    pub delivered_at: Option<SystemTime>,
}

impl MySqlOrderStore {
    /// This app's settlements made at `from` or later and before `until`,
    /// oldest first, at most `limit`: the audit trail. Page on with the
    /// last one's `settled_at` as the next `from` (orders settled in the
    /// same millisecond come in order-number order).
    ///
    /// The same in SQL, for reports: `SELECT * FROM faceid_settlements
    /// WHERE app_id = ? AND settled_at >= ? AND settled_at < ? ORDER BY
    /// settled_at` (an index serves it; times in ms since the epoch).
    ///
    /// # Errors
    /// [`MySqlStoreError::Database`], or [`MySqlStoreError::Corrupt`] for
    /// a row this crate did not write.
    pub async fn settlements(
        &self,
        from: SystemTime,
        until: SystemTime,
        limit: usize,
    ) -> Result<Vec<LoggedSettlement>, MySqlStoreError> {
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        let rows = bounded(self.timeout, "settlement log read", || async {
            Ok(sqlx::query(&self.statements.settlements)
                .bind(&*self.app_id)
                .bind(millis(from))
                .bind(millis(until))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?)
        })
        .await?;
        rows.iter()
            .map(|row| {
                let order_no = text(row, 0)?;
                let corrupt = |reason| Self::corrupt(order_no, reason);
                let delivered: Option<i64> = row.try_get(7)?;
                Ok(LoggedSettlement {
                    order_no: OrderNo::new(order_no)
                        .map_err(|_| corrupt("an invalid order number"))?,
                    user_id: UserId::new(text(row, 1)?)
                        .map_err(|_| corrupt("an invalid user id"))?,
                    state: optional_text(row, 2)?.map(str::to_owned),
                    code: optional_text(row, 3)?.map(ResultCode::from_code),
                    settled_by: optional_text(row, 4)?.map(str::to_owned),
                    settled_at: time_of(row.try_get(5)?),
                    idempotency_key: text(row, 6)?.to_owned(),
                    delivered_at: delivered.map(time_of),
                })
            })
            .collect()
    }
}
