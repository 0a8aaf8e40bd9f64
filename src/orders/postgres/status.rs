//! [`StoreStatus`] of the PostgreSQL order store (`faceid status`): its
//! schema's version, the work waiting in it, and the ticket pair it shares.

use sqlx::postgres::PgPool;

use super::migrate::{self, quoted};
use super::{PostgresStoreError, time_of};
use crate::orders::{Backlog, StoreStatus, StoredTicketPairTimes};

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
    let pair =
        format!("SELECT fetched_at, due_at, expires_at FROM {quoted}.tickets WHERE app_id = $1");
    let pair: Option<(i64, i64, i64)> = sqlx::query_as(&pair)
        .bind(app_id)
        .fetch_optional(pool)
        .await?;
    let pair = pair.map(|(fetched, due, expires)| {
        StoredTicketPairTimes::new(time_of(fetched), time_of(due), time_of(expires))
    });
    Ok(StoreStatus::new(version, expected, Some(backlog)).with_ticket_pair(pair))
}
