//! [`PostgresOrderStore`]: pending orders and a durable settlement log in
//! PostgreSQL, consumed once by any instance.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use sqlx::Row;
use sqlx::postgres::PgPool;

use crate::binding::BindingHash;
use crate::clock::{from_unix_millis, unix_millis};
use crate::ids::{OrderNo, UserId};
use crate::orders::{
    Claim, Consumed, DueOrder, Lookup, OrderStore, PendingOrder, SettlementRecord, SettlementStore,
    StoreError,
};
use crate::result_code::ResultCode;

mod bounded;
mod builder;
mod error;
mod lifecycle;
mod log;
mod migrate;
mod pool;
mod sql_time;
mod statements;
mod status;

pub use builder::PostgresOrderStoreBuilder;
pub use error::PostgresStoreError;
pub use migrate::postgres_migration_sql;
pub use pool::{PostgresPoolOptions, postgres_pool};

pub(crate) use bounded::bounded;
pub(crate) use migrate::checked_schema;

use statements::Statements;

/// The longest time to live written (100 years).
const MAX_MILLIS: u64 = 100 * 365 * 24 * 3600 * 1000;

/// Pending orders in PostgreSQL, shared by every instance behind a load
/// balancer, with a durable log of every settlement.
///
/// - [`put`](OrderStore::put) inserts a row keyed by (app id, order
///   number); a number already recorded, pending or consumed, is refused
///   ([`StoreError::Duplicate`]).
/// - [`consume`](OrderStore::consume) is one statement, `UPDATE … WHERE
///   state = 'pending' AND now() < expires_at … RETURNING`, that also reads
///   the row as it was: of concurrent consumes of one order, in any number
///   of processes, PostgreSQL lets exactly one update the row, and the
///   others learn why not from the same reply
///   ([`Consumed::AlreadyConsumed`], [`Consumed::Repeated`],
///   [`Consumed::Expired`], [`Consumed::OtherBrowser`],
///   [`Consumed::Unknown`]).
///
/// # Every wait bounded, no reply lost
/// Each call of the store takes at most its
/// [timeout](PostgresOrderStoreBuilder::timeout) (default 5 s), then fails
/// with [`PostgresStoreError::TimedOut`] (a 503 for the callback, which
/// its browser may retry). Within it, a statement whose connection broke
/// or that found no connection is asked again on a fresh one: a consume
/// with the same [`Claim`], so a consume that PostgreSQL committed but
/// whose reply was lost finds its own attempt id and answers
/// [`Consumed::Accepted`] (the callback is accepted and its settlement
/// delivered at once); a put finds its own pending row. A consume that
/// reaches PostgreSQL only after half the timeout has passed (a stalled
/// network delivering it late) changes nothing and fails with
/// [`PostgresStoreError::Late`], the order still pending: no order is
/// consumed for a caller that stopped waiting. This compares PostgreSQL's
/// clock with this server's, so it assumes they agree to within half the
/// timeout (NTP does far better).
///
/// - **Settlement log**: a [settling](Claim::settling) consume writes the
///   settlement (order, user id, app id, state, code, path, time,
///   idempotency key) into `<schema>.settlements` in that same statement,
///   so an order is never consumed without its settlement. The order stays
///   in the **due index** until the `on_settled` hook took its settlement
///   ([`SettlementStore::forget_due`] stamps `delivered_at`); a process that
///   died before its hook ran leaves it there, and the
///   [reconciler](crate::settle::Reconciler) of any instance, after a
///   restart too, delivers it (at least once). [`settlements`](Self::settlements)
///   lists the log by time for audits. It holds no personal data beyond
///   the user id.
/// - **Due index**: a `due_at` column; [`claim_due`](SettlementStore::claim_due)
///   leases due orders with `FOR UPDATE SKIP LOCKED`, so reconcilers on
///   several instances share one backlog without waiting on each other,
///   and a crashed one's leases run out for the others.
/// - Deadlines are measured on the database's clock; `created_at` is kept
///   to the millisecond. Orders and settlements are kept for their
///   [`Retention`](crate::orders::Retention) (see [`Lifecycle`](crate::orders::Lifecycle)):
///   expired and replayed callbacks get exact answers for as long.
/// - Every row holds the app id: apps sharing one schema never see,
///   settle or reconcile each other's orders.
///
/// The tables are made by [`PostgresOrderStoreBuilder::migrate`], once, at
/// deployment; [`PostgresOrderStoreBuilder::build`] checks that they are
/// there and current, and refuses to start otherwise.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use tencent_faceid::{OrderNo, UserId};
/// use tencent_faceid::orders::{Consumed, OrderStore, PendingOrder, PostgresOrderStore};
///
/// let pool = tencent_faceid::orders::postgres_pool("postgres://app@db/app").await?;
/// let builder = PostgresOrderStore::builder(pool, "appId001").schema("faceid");
/// builder.migrate().await?; // at deployment; harmless when current
/// let store = builder.build().await?;
/// let order_no = OrderNo::new("order1")?;
/// store
///     .put(PendingOrder::new(order_no.clone(), UserId::new("u1")?), Duration::from_secs(1800))
///     .await?;
/// assert!(matches!(store.consume(&order_no).await?, Consumed::Accepted(_)));
/// assert_eq!(store.consume(&order_no).await?, Consumed::AlreadyConsumed);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresOrderStore {
    pool: PgPool,
    app_id: Arc<str>,
    statements: Arc<Statements>,
    timeout: Duration,
}

impl fmt::Debug for PostgresOrderStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresOrderStore")
            .field("app_id", &self.app_id)
            .field("connections", &self.pool.size())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Milliseconds since the Unix epoch of `time`, as PostgreSQL's `bigint`
/// (saturating).
pub(crate) fn millis(time: SystemTime) -> i64 {
    i64::try_from(unix_millis(time)).unwrap_or(i64::MAX)
}

/// The time `millis` milliseconds after the Unix epoch.
fn time_of(millis: i64) -> SystemTime {
    from_unix_millis(u64::try_from(millis).unwrap_or(0))
}

/// The binding hash a row holds in hex, if any.
fn binding_of(
    order_no: &OrderNo,
    hex: Option<&str>,
) -> Result<Option<BindingHash>, PostgresStoreError> {
    hex.map(|hex| {
        BindingHash::from_hex(hex).ok_or_else(|| PostgresStoreError::Corrupt {
            order_no: order_no.to_string(),
            reason: "an invalid binding hash",
        })
    })
    .transpose()
}

impl PostgresOrderStore {
    /// Starts configuring a store of the orders of `app_id` (WBappid) in
    /// the database of `pool`; see [`PostgresOrderStoreBuilder`] for the
    /// defaults and [`migrate`](PostgresOrderStoreBuilder::migrate).
    pub fn builder(pool: PgPool, app_id: impl Into<String>) -> PostgresOrderStoreBuilder {
        PostgresOrderStoreBuilder::new(pool, app_id.into())
    }

    /// The app id whose orders this store reads and writes.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The order `order_no` from a row's user id, creation time and
    /// binding.
    fn order(
        &self,
        order_no: &OrderNo,
        user_id: &str,
        created_ms: i64,
        binding: Option<&str>,
        edition: &str,
    ) -> Result<PendingOrder, PostgresStoreError> {
        let corrupt = |reason| PostgresStoreError::Corrupt {
            order_no: order_no.to_string(),
            reason,
        };
        let user_id = UserId::new(user_id).map_err(|_| corrupt("an invalid user id"))?;
        let edition = edition.parse().map_err(|_| corrupt("an unknown edition"))?;
        Ok(PendingOrder {
            order_no: order_no.clone(),
            user_id,
            created_at: time_of(created_ms),
            binding: binding_of(order_no, binding)?,
            edition,
        })
    }

    /// The consume statement, once: its verdict, or `None` when the order
    /// was pending and consumable as the statement began but another
    /// consume took it first (ask again: the row now says so).
    async fn consume_once(
        &self,
        order_no: &OrderNo,
        claim: &Claim,
        deadline: SystemTime,
    ) -> Result<Option<Consumed>, PostgresStoreError> {
        let settlement = claim.settlement();
        let record = settlement.map(SettlementRecord::encode);
        let row = bounded(self.timeout, "consume", || {
            sqlx::query(&self.statements.consume)
                .bind(&*self.app_id)
                .bind(order_no.as_str())
                // The attempt id's bits, as PostgreSQL's signed bigint.
                .bind(claim.attempt() as i64)
                .bind(claim.binding().map(BindingHash::to_hex))
                .bind(claim.is_past_deadline())
                .bind(record.as_deref())
                // The log's columns for SQL reports.
                .bind(settlement.map(|kept| kept.state.as_str()))
                .bind(settlement.and_then(|kept| kept.state.code().map(ResultCode::as_str)))
                .bind(settlement.map(|kept| kept.settled_by.as_str()))
                .bind(settlement.map(|kept| millis(kept.settled_at)))
                .bind(millis(deadline))
                .fetch_optional(&self.pool)
        })
        .await?;
        let Some(row) = row else {
            return Ok(Some(Consumed::Unknown));
        };
        let won: bool = row.try_get(0)?;
        let state: &str = row.try_get(1)?;
        let attempt: Option<i64> = row.try_get(2)?;
        let binding: Option<&str> = row.try_get(3)?;
        let expired: bool = row.try_get(4)?;
        let late: bool = row.try_get(8)?;
        let order = || {
            let edition: &str = row.try_get(7)?;
            self.order(order_no, row.try_get(5)?, row.try_get(6)?, binding, edition)
        };
        let claimed = claim.binding().map(BindingHash::to_hex);
        let same_browser = claimed.is_some() && claimed.as_deref() == binding;
        Ok(Some(match state {
            _ if won => Consumed::Accepted(order()?),
            // Consumed by this very claim: a retry after a lost reply.
            "consumed" if attempt == Some(claim.attempt() as i64) => Consumed::Accepted(order()?),
            "consumed" if same_browser => Consumed::Repeated(order()?),
            "consumed" => Consumed::AlreadyConsumed,
            _ if expired && !claim.is_past_deadline() => Consumed::Expired,
            _ if claimed.is_some() && !same_browser => Consumed::OtherBrowser,
            _ if late => return Err(PostgresStoreError::Late),
            // Pending and consumable: another consume won meanwhile.
            _ => return Ok(None),
        }))
    }
}

#[async_trait]
impl OrderStore for PostgresOrderStore {
    async fn put(&self, order: PendingOrder, ttl: Duration) -> Result<(), StoreError> {
        let ttl = ttl.as_millis().min(u128::from(MAX_MILLIS));
        let binding = order.binding.as_ref().map(BindingHash::to_hex);
        let done = bounded(self.timeout, "put", || {
            sqlx::query(&self.statements.put)
                .bind(&*self.app_id)
                .bind(order.order_no.as_str())
                .bind(order.user_id.as_str())
                .bind(millis(order.created_at))
                .bind(binding.as_deref())
                .bind(i64::try_from(ttl).unwrap_or(i64::MAX))
                // Every order joins the due index.
                .bind(true)
                .bind(order.edition.as_str())
                .execute(&self.pool)
        })
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::Duplicate(order.order_no));
        }
        Ok(())
    }

    async fn consume_claim(
        &self,
        order_no: &OrderNo,
        claim: &Claim,
    ) -> Result<Consumed, StoreError> {
        // PostgreSQL refuses to consume after this: by then this server
        // may have stopped waiting for the answer.
        let deadline = SystemTime::now() + self.timeout / 2;
        // A second round only when a concurrent consume won the race.
        for _ in 0..2 {
            if let Some(consumed) = self.consume_once(order_no, claim, deadline).await? {
                if matches!(consumed, Consumed::Accepted(_)) {
                    tracing::debug!(order_no = order_no.as_str(), "consumed order in PostgreSQL");
                }
                return Ok(consumed);
            }
        }
        Err(PostgresStoreError::Corrupt {
            order_no: order_no.to_string(),
            reason: "a pending state that the guarded consume does not take",
        }
        .into())
    }

    async fn lookup(&self, order_no: &OrderNo) -> Result<Lookup, StoreError> {
        let row = bounded(self.timeout, "lookup", || {
            sqlx::query(&self.statements.find)
                .bind(&*self.app_id)
                .bind(order_no.as_str())
                .fetch_optional(&self.pool)
        })
        .await?;
        let Some(row) = row else {
            return Ok(Lookup::Unknown);
        };
        let state: &str = row.try_get(0)?;
        let binding: Option<&str> = row.try_get(2)?;
        let expired: bool = row.try_get(3)?;
        Ok(match state {
            "consumed" => Lookup::Consumed,
            _ if expired => Lookup::Expired,
            _ => Lookup::Pending {
                binding: binding_of(order_no, binding)?,
            },
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        bounded(self.timeout, "ping", || {
            sqlx::query("SELECT 1").execute(&self.pool)
        })
        .await?;
        Ok(())
    }
}

#[async_trait]
impl SettlementStore for PostgresOrderStore {
    async fn settlement(
        &self,
        order_no: &OrderNo,
    ) -> Result<Option<(PendingOrder, SettlementRecord)>, StoreError> {
        let row = bounded(self.timeout, "settlement read", || {
            sqlx::query(&self.statements.settlement)
                .bind(&*self.app_id)
                .bind(order_no.as_str())
                .fetch_optional(&self.pool)
        })
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let binding: Option<&str> = row.try_get(3)?;
        let edition: &str = row.try_get(4)?;
        let order = self.order(order_no, row.try_get(0)?, row.try_get(1)?, binding, edition)?;
        let record = SettlementRecord::decode(order_no, row.try_get(2)?)?;
        Ok(Some((order, record)))
    }

    async fn claim_due(
        &self,
        due: SystemTime,
        lease: SystemTime,
        limit: usize,
    ) -> Result<Vec<DueOrder>, StoreError> {
        // A lease whose reply was lost runs out, and its orders come back.
        let rows = bounded(self.timeout, "due orders' lease", || {
            sqlx::query(&self.statements.claim_due)
                .bind(&*self.app_id)
                .bind(millis(due))
                .bind(millis(lease))
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(&self.pool)
        })
        .await?;
        let mut orders = Vec::with_capacity(rows.len());
        for row in rows {
            let order_no: &str = row.try_get(0)?;
            let order_no = OrderNo::new(order_no).map_err(|_| PostgresStoreError::Corrupt {
                order_no: order_no.to_owned(),
                reason: "an invalid order number",
            })?;
            let created_at = time_of(row.try_get(1)?);
            orders.push(DueOrder {
                order_no,
                created_at,
            });
        }
        Ok(orders)
    }

    async fn reschedule(&self, order: &DueOrder, at: SystemTime) -> Result<(), StoreError> {
        bounded(self.timeout, "reschedule", || {
            sqlx::query(&self.statements.reschedule)
                .bind(&*self.app_id)
                .bind(order.order_no.as_str())
                .bind(millis(at))
                .execute(&self.pool)
        })
        .await?;
        Ok(())
    }

    async fn forget_due(&self, order: &DueOrder) -> Result<(), StoreError> {
        bounded(self.timeout, "delivery mark", || {
            sqlx::query(&self.statements.forget_due)
                .bind(&*self.app_id)
                .bind(order.order_no.as_str())
                .execute(&self.pool)
        })
        .await?;
        Ok(())
    }

    async fn due_backlog(&self, due: SystemTime) -> Result<u64, StoreError> {
        let count: i64 = bounded(self.timeout, "backlog count", || {
            sqlx::query_scalar(&self.statements.backlog)
                .bind(&*self.app_id)
                .bind(millis(due))
                .fetch_one(&self.pool)
        })
        .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
