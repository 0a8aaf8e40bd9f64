//! [`StoreStatus`]: what an operator asks of the PostgreSQL order store
//! (`faceid status`): its schema's version, and the work waiting in it.

use sqlx::postgres::PgPool;

use super::PostgresStoreError;
use super::migrate::{self, quoted};

/// The state of one app's orders in a PostgreSQL schema, as
/// [`PostgresOrderStoreBuilder::status`](super::PostgresOrderStoreBuilder::status)
/// reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreStatus {
    /// The schema's version: 0 when it has no tables of this crate.
    pub version: i32,
    /// The version this crate reads and writes (migrate when `version` is
    /// lower).
    pub expected: i32,
    /// The work waiting, when the schema is at [`expected`](Self::expected)
    /// (`None` otherwise: its tables cannot be read as this crate's).
    pub backlog: Option<Backlog>,
}

/// The work waiting in the store for one app id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Backlog {
    /// Orders started and not yet consumed (live or expired): the
    /// reconciler's backlog.
    pub pending_orders: u64,
    /// Settlements the `on_settled` hook has not taken yet.
    pub undelivered_settlements: u64,
}

/// The status of `app_id`'s orders in `schema`.
pub(super) async fn status(
    pool: &PgPool,
    schema: &str,
    app_id: &str,
) -> Result<StoreStatus, PostgresStoreError> {
    let version = migrate::version(pool, schema).await?;
    let expected = migrate::VERSION;
    if version != expected {
        return Ok(StoreStatus {
            version,
            expected,
            backlog: None,
        });
    }
    let quoted = quoted(schema)?;
    let count = format!(
        "SELECT \
           (SELECT count(*) FROM {quoted}.orders WHERE app_id = $1 AND state = 'pending'), \
           (SELECT count(*) FROM {quoted}.settlements WHERE app_id = $1 AND delivered_at IS NULL)"
    );
    let (pending, undelivered): (i64, i64) =
        sqlx::query_as(&count).bind(app_id).fetch_one(pool).await?;
    Ok(StoreStatus {
        version,
        expected,
        backlog: Some(Backlog {
            pending_orders: pending.try_into().unwrap_or_default(),
            undelivered_settlements: undelivered.try_into().unwrap_or_default(),
        }),
    })
}
