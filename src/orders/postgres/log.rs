//! The settlement log: every settlement, written with its order's consume,
//! read back for audits.

use std::time::SystemTime;

use sqlx::Row;

use super::{PostgresOrderStore, PostgresStoreError, bounded, millis, time_of};
use crate::ids::{OrderNo, UserId};
use crate::orders::LoggedSettlement;
use crate::result_code::ResultCode;

/// The columns the log fills from a settlement record as the settler
/// writes it (JSON: `state`, `code`, `by`, `at` in ms); all `None` for a
/// record of another shape, which is still kept whole.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct Fields {
    pub(super) state: Option<String>,
    pub(super) code: Option<String>,
    pub(super) by: Option<String>,
    pub(super) at: Option<i64>,
}

impl Fields {
    pub(super) fn of(record: &str) -> Self {
        serde_json::from_str(record).unwrap_or_default()
    }
}

impl PostgresOrderStore {
    /// This app's settlements made at `from` or later and before `until`,
    /// oldest first, at most `limit`: the audit trail. Page on with the
    /// last one's `settled_at` as the next `from` (orders settled in the
    /// same millisecond come in order-number order).
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
    ///     println!("{} {:?} {:?}", entry.order_no, entry.state, entry.delivered_at);
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`PostgresStoreError::Database`], or
    /// [`PostgresStoreError::Corrupt`] for a row this crate did not write.
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
                let user_id: &str = row.try_get(1)?;
                let code: Option<&str> = row.try_get(3)?;
                let delivered: Option<i64> = row.try_get(7)?;
                Ok(LoggedSettlement {
                    order_no: OrderNo::new(order_no)
                        .map_err(|_| corrupt("an invalid order number"))?,
                    user_id: UserId::new(user_id).map_err(|_| corrupt("an invalid user id"))?,
                    state: row.try_get(2)?,
                    code: code.map(ResultCode::from_code),
                    settled_by: row.try_get(4)?,
                    settled_at: time_of(row.try_get(5)?),
                    idempotency_key: row.try_get(6)?,
                    delivered_at: delivered.map(time_of),
                })
            })
            .collect()
    }
}
