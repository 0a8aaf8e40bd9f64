//! The settlement log: every settlement, written with its order's consume,
//! read back for audits.

use std::time::SystemTime;

use sqlx::Row;

use super::{PostgresOrderStore, PostgresStoreError, bounded, millis, time_of};
use crate::ids::{OrderNo, UserId};
use crate::orders::{LoggedSettlement, SettlementRecord};

impl PostgresOrderStore {
    /// This app's settlements made at `from` or later and before `until`,
    /// oldest first, at most `limit`: the audit trail. Page on with the
    /// last one's `record.settled_at` as the next `from` (orders settled
    /// in the same millisecond come in order-number order).
    ///
    /// The same in SQL, for reports: `SELECT * FROM <schema>.settlements
    /// WHERE app_id = $1 AND settled_at >= $2 AND settled_at < $3 ORDER BY
    /// settled_at` (an index serves it).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::{Duration, SystemTime};
    /// use tencent_faceid::orders::{postgres_pool, PostgresOrderStore};
    /// let pool = postgres_pool("postgres://app@db/app").await?;
    /// let store = PostgresOrderStore::builder(pool, "appId001").build().await?;
    /// let now = SystemTime::now();
    /// for entry in store.settlements(now - Duration::from_secs(86_400), now, 1000).await? {
    ///     println!("{} {} {:?}", entry.order_no, entry.record.state, entry.delivered_at);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`PostgresStoreError::Database`], or, for a row this crate did not
    /// write, [`PostgresStoreError::Corrupt`] or
    /// [`PostgresStoreError::UnreadableSettlement`].
    pub async fn settlements(
        &self,
        from: SystemTime,
        until: SystemTime,
        limit: usize,
    ) -> Result<Vec<LoggedSettlement>, PostgresStoreError> {
        let rows = bounded(self.timeout, "settlement log read", || {
            sqlx::query(&self.statements.settlements)
                .bind(&*self.app_id)
                .bind(millis(from))
                .bind(millis(until))
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
        })
        .await?;
        rows.iter()
            .map(|row| {
                let order_no: &str = row.try_get(0)?;
                let corrupt = |reason| PostgresStoreError::Corrupt {
                    order_no: order_no.to_owned(),
                    reason,
                };
                let order_no =
                    OrderNo::new(order_no).map_err(|_| corrupt("an invalid order number"))?;
                let user_id: &str = row.try_get(1)?;
                let user_id = UserId::new(user_id).map_err(|_| corrupt("an invalid user id"))?;
                let record = SettlementRecord::decode(&order_no, row.try_get(2)?)?;
                let mut entry = LoggedSettlement::new(order_no, user_id, record, row.try_get(3)?);
                let delivered: Option<i64> = row.try_get(4)?;
                entry.delivered_at = delivered.map(time_of);
                Ok(entry)
            })
            .collect()
    }
}
