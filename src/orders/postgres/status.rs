//! [`StoreStatus`]: what an operator asks of the PostgreSQL order store
//! (`faceid status`): its schema's version, and the work waiting in it.

use std::time::SystemTime;

use sqlx::postgres::PgPool;

use super::migrate::{self, quoted};
use super::{PostgresStoreError, time_of};

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
    /// The access token and SIGN ticket the schema shares between the
    /// app's instances (`PostgresTickets`), when it holds a pair.
    pub ticket_pair: Option<TicketPairTimes>,
}

/// When the shared access token and SIGN ticket were fetched, are due for
/// replacement and end, by the clock of the instance that published them
/// (never the values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TicketPairTimes {
    /// When the pair was fetched from the vendor.
    pub fetched_at: SystemTime,
    /// When the instance that published it replaces it.
    pub due_at: SystemTime,
    /// When the last of its token and tickets ends.
    pub expires_at: SystemTime,
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
            ticket_pair: None,
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
    let pair =
        format!("SELECT fetched_at, due_at, expires_at FROM {quoted}.tickets WHERE app_id = $1");
    let pair: Option<(i64, i64, i64)> = sqlx::query_as(&pair)
        .bind(app_id)
        .fetch_optional(pool)
        .await?;
    Ok(StoreStatus {
        version,
        expected,
        backlog: Some(Backlog {
            pending_orders: pending.try_into().unwrap_or_default(),
            undelivered_settlements: undelivered.try_into().unwrap_or_default(),
        }),
        ticket_pair: pair.map(|(fetched, due, expires)| TicketPairTimes {
            fetched_at: time_of(fetched),
            due_at: time_of(due),
            expires_at: time_of(expires),
        }),
    })
}
