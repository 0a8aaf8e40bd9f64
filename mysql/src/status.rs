//! [`StoreStatus`] of the MySQL order store (`faceid status`): its tables'
//! version, and the work waiting in them.

use sqlx::mysql::MySqlPool;
use tencent_faceid::orders::{Backlog, StoreStatus};

use crate::MySqlStoreError;
use crate::migrate::{self, checked};

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
    Ok(StoreStatus::new(version, expected, Some(backlog)))
}
