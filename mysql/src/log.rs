//! The settlement log read back for audits.

use std::time::SystemTime;

use sqlx::Row;
use tencent_faceid::orders::{LoggedSettlement, SettlementRecord};
use tencent_faceid::{OrderNo, UserId};

use crate::{MySqlOrderStore, MySqlStoreError, bounded, millis, text, time_of};

impl MySqlOrderStore {
    /// This app's settlements made at `from` or later and before `until`,
    /// oldest first, at most `limit`: the audit trail. Page on with the
    /// last one's `record.settled_at` as the next `from` (orders settled
    /// in the same millisecond come in order-number order).
    ///
    /// The same in SQL, for reports: `SELECT * FROM faceid_settlements
    /// WHERE app_id = ? AND settled_at >= ? AND settled_at < ? ORDER BY
    /// settled_at` (an index serves it; times in ms since the epoch).
    ///
    /// # Errors
    /// [`MySqlStoreError::Database`], or, for a row this crate did not
    /// write, [`MySqlStoreError::Corrupt`] or
    /// [`MySqlStoreError::UnreadableSettlement`].
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
                let order_no =
                    OrderNo::new(order_no).map_err(|_| corrupt("an invalid order number"))?;
                let user_id =
                    UserId::new(text(row, 1)?).map_err(|_| corrupt("an invalid user id"))?;
                let record = SettlementRecord::decode(&order_no, text(row, 2)?)?;
                let key = text(row, 3)?.to_owned();
                let mut entry = LoggedSettlement::new(order_no, user_id, record, key);
                let delivered: Option<i64> = row.try_get(4)?;
                entry.delivered_at = delivered.map(time_of);
                Ok(entry)
            })
            .collect()
    }
}
