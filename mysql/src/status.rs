//! [`StoreStatus`] of the MySQL order store (`faceid status`): its tables'
//! version, the work waiting in them, and the ticket pair they share.

use sqlx::mysql::MySqlPool;
use tencent_faceid::orders::{Backlog, StoreStatus, StoredTicketPairTimes};

use crate::migrate::{self, checked};
use crate::{MySqlStoreError, time_of};

/// The status of `app_id`'s orders in the tables of `prefix`.
pub(crate) async fn status(
    pool: &MySqlPool,
    prefix: &str,
    app_id: &str,
) -> Result<StoreStatus, MySqlStoreError> {
    let prefix = checked(prefix)?;
    let version = migrate::version(pool, prefix).await?;
    let expected = migrate::VERSION;
    if version != expected {
        return Ok(StoreStatus::new(version, expected, None));
    }
    let count = format!(
        "SELECT \
           (SELECT COUNT(*) FROM `{prefix}orders` WHERE app_id = ? AND state = 'pending'), \
           (SELECT COUNT(*) FROM `{prefix}settlements` WHERE app_id = ? AND delivered_at IS NULL)"
    );
    let (pending, undelivered): (i64, i64) = sqlx::query_as(&count)
        .bind(app_id)
        .bind(app_id)
        .fetch_one(pool)
        .await?;
    let backlog = Backlog::new(
        pending.try_into().unwrap_or_default(),
        undelivered.try_into().unwrap_or_default(),
    );
    let pair =
        format!("SELECT fetched_at, due_at, expires_at FROM `{prefix}tickets` WHERE app_id = ?");
    let pair: Option<(i64, i64, i64)> = sqlx::query_as(&pair)
        .bind(app_id)
        .fetch_optional(pool)
        .await?;
    let pair = pair.map(|(fetched, due, expires)| {
        StoredTicketPairTimes::new(time_of(fetched), time_of(due), time_of(expires))
    });
    Ok(StoreStatus::new(version, expected, Some(backlog)).with_ticket_pair(pair))
}
