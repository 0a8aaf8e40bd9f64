//! [`StoreStatus`] of the PostgreSQL order store (`faceid status`): its
//! schema's version, and the work waiting in it.

use sqlx::postgres::PgPool;

use super::PostgresStoreError;
use super::migrate::{self, quoted};
use crate::orders::{Backlog, StoreStatus};

/// The status of `app_id`'s orders in `schema`.
pub(super) async fn status(
    pool: &PgPool,
    schema: &str,
    app_id: &str,
) -> Result<StoreStatus, PostgresStoreError> {
    let version = migrate::version(pool, schema).await?;
    let expected = migrate::VERSION;
    if version != expected {
        return Ok(StoreStatus::new(version, expected, None));
    }
    let quoted = quoted(schema)?;
    let count = format!(
        "SELECT \
           (SELECT count(*) FROM {quoted}.orders WHERE app_id = $1 AND state = 'pending'), \
           (SELECT count(*) FROM {quoted}.settlements WHERE app_id = $1 AND delivered_at IS NULL)"
    );
    let (pending, undelivered): (i64, i64) =
        sqlx::query_as(&count).bind(app_id).fetch_one(pool).await?;
    let backlog = Backlog::new(
        pending.try_into().unwrap_or_default(),
        undelivered.try_into().unwrap_or_default(),
    );
    Ok(StoreStatus::new(version, expected, Some(backlog)))
}
