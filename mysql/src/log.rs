//! The settlement log read back for audits.

use std::time::SystemTime;

use sqlx::Row;
use tencent_faceid::ids::{OrderNo, UserId};
use tencent_faceid::orders::LoggedSettlement;
use tencent_faceid::vendor::ResultCode;

use crate::{MySqlOrderStore, MySqlStoreError, bounded, millis, optional_text, text, time_of};

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
                let mut entry = LoggedSettlement::new(
                    OrderNo::new(order_no).map_err(|_| corrupt("an invalid order number"))?,
                    UserId::new(text(row, 1)?).map_err(|_| corrupt("an invalid user id"))?,
                    time_of(row.try_get(5)?),
                    text(row, 6)?.to_owned(),
                );
                entry.state = optional_text(row, 2)?.map(str::to_owned);
                entry.code = optional_text(row, 3)?.map(ResultCode::from_code);
                entry.settled_by = optional_text(row, 4)?.map(str::to_owned);
                entry.delivered_at = delivered.map(time_of);
                Ok(entry)
            })
            .collect()
    }
}
