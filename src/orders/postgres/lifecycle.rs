//! The data lifecycle of [`PostgresOrderStore`]: a purge in batches that
//! every instance may run at once, the erasure of one user's rows, and the
//! legal holds that stop both (`holds`, `erasures`: `sql/002_lifecycle.sql`).
//!
//! Each purge statement takes at most `limit` rows, oldest first along an
//! index, with `FOR UPDATE SKIP LOCKED`, then deletes (or updates) them by
//! primary key: instances purging together take different rows and never
//! wait on each other, and a statement holds few locks and writes little
//! WAL. (A join instead of the key array lets PostgreSQL scan the whole
//! table for each batch: 175 ms a batch of 10,000 in a table of a million
//! rows, against 32 ms with the array.)

use std::time::SystemTime;

use async_trait::async_trait;

use super::sql_time::at;
use super::{PostgresOrderStore, PostgresStoreError, millis};
use crate::ids::UserId;
use crate::orders::lifecycle::{before, log_erasure};
use crate::orders::{Erased, Lifecycle, Purged, Retention, StoreError};

/// The lifecycle's statements on one schema; `$1` is always the app id.
pub(super) struct Statements {
    /// $2 cutoff ms, $3 limit: pending orders started before the cutoff.
    unsettled_orders: String,
    /// $2 cutoff ms, $3 limit: orders consumed before the cutoff, their
    /// settlement (if any) delivered, lose their user id, binding and
    /// attempt id.
    settled_orders: String,
    /// $2 cutoff ms, $3 limit: orders consumed before the cutoff, their
    /// settlement (if any) delivered.
    tombstones: String,
    /// $2 cutoff ms, $3 limit: delivered settlements made before the cutoff.
    settlement_log: String,
    /// $2 user: serialises a user's hold, release and erasure.
    lock_user: String,
    /// $2 user: whether the user is held.
    held: String,
    /// $2 user.
    erase_pending: String,
    /// $2 user.
    anonymise_consumed: String,
    /// $2 user.
    erase_settlements: String,
    /// $2 orders, $3 anonymised, $4 settlements.
    record_erasure: String,
    /// $2 user.
    hold: String,
    /// $2 user.
    release: String,
}

impl Statements {
    /// The statements on the tables of `schema` (already quoted).
    pub(super) fn new(schema: &str) -> Self {
        let orders = format!("{schema}.orders");
        let log = format!("{schema}.settlements");
        let holds = format!("{schema}.holds");
        let not_held = format!(
            "NOT EXISTS (SELECT 1 FROM {holds} h WHERE h.app_id = $1 AND h.user_id = x.user_id)"
        );
        let cutoff = at("$2");
        // The rows of at most $3 order numbers of `table` matching
        // `filter`, oldest by `by` first, skipping rows another instance
        // holds. An array, not a join: the rows are then found by their
        // primary key, never by a scan of the table.
        let batch = |table: &str, filter: &str, by: &str| {
            format!(
                "t.app_id = $1 AND t.order_no = ANY(ARRAY( \
                   SELECT order_no FROM {table} x WHERE x.app_id = $1 AND {filter} AND {not_held} \
                   ORDER BY x.{by} LIMIT $3 FOR UPDATE SKIP LOCKED))"
            )
        };
        // Consumed, and no settlement of it waits for delivery (an order
        // consumed without one, by an app that does not settle, is done
        // too, though still in the due index).
        let settled = format!(
            "x.state = 'consumed' AND x.consumed_at < {cutoff} AND NOT EXISTS (SELECT 1 FROM {log} s \
             WHERE s.app_id = $1 AND s.order_no = x.order_no AND s.delivered_at IS NULL)"
        );
        Self {
            unsettled_orders: format!(
                "DELETE FROM {orders} t WHERE {}",
                batch(
                    &orders,
                    &format!("x.state = 'pending' AND x.created_at < {cutoff}"),
                    "created_at"
                )
            ),
            settled_orders: format!(
                "UPDATE {orders} t SET user_id = '', binding = NULL, attempt = NULL, due_at = NULL \
                 WHERE {}",
                batch(
                    &orders,
                    &format!("{settled} AND x.user_id <> ''"),
                    "consumed_at"
                )
            ),
            tombstones: format!(
                "DELETE FROM {orders} t WHERE {}",
                batch(&orders, &settled, "consumed_at")
            ),
            settlement_log: format!(
                "DELETE FROM {log} t WHERE {}",
                batch(
                    &log,
                    &format!("x.delivered_at IS NOT NULL AND x.settled_at < {cutoff}"),
                    "settled_at"
                )
            ),
            lock_user:
                "SELECT pg_advisory_xact_lock(hashtext('tencent-faceid user ' || $1 || ' ' || $2))"
                    .to_owned(),
            held: format!(
                "SELECT EXISTS (SELECT 1 FROM {holds} WHERE app_id = $1 AND user_id = $2)"
            ),
            erase_pending: format!(
                "DELETE FROM {orders} WHERE app_id = $1 AND user_id = $2 AND state = 'pending'"
            ),
            anonymise_consumed: format!(
                "UPDATE {orders} SET user_id = '', binding = NULL, attempt = NULL, due_at = NULL \
                 WHERE app_id = $1 AND user_id = $2 AND state = 'consumed'"
            ),
            erase_settlements: format!("DELETE FROM {log} WHERE app_id = $1 AND user_id = $2"),
            record_erasure: format!(
                "INSERT INTO {schema}.erasures (app_id, orders, anonymised, settlements) \
                 VALUES ($1, $2, $3, $4)"
            ),
            hold: format!(
                "INSERT INTO {holds} (app_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            ),
            release: format!("DELETE FROM {holds} WHERE app_id = $1 AND user_id = $2"),
        }
    }
}

impl PostgresOrderStore {
    fn lifecycle(&self) -> &Statements {
        &self.statements.lifecycle
    }

    /// Runs one batch statement of the purge: rows before `cutoff`, at
    /// most `limit`.
    async fn batch(
        &self,
        statement: &str,
        cutoff: SystemTime,
        limit: i64,
    ) -> Result<u64, PostgresStoreError> {
        let done = sqlx::query(statement)
            .bind(&*self.app_id)
            .bind(millis(cutoff))
            .bind(limit)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Runs `statement` for `user_id` in a transaction holding the user's
    /// lock.
    async fn for_user(&self, statement: &str, user_id: &UserId) -> Result<(), PostgresStoreError> {
        let mut transaction = self.pool.begin().await?;
        for step in [&self.lifecycle().lock_user, statement] {
            sqlx::query(step)
                .bind(&*self.app_id)
                .bind(user_id.as_str())
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    async fn erase(&self, user_id: &UserId) -> Result<Option<Erased>, PostgresStoreError> {
        let statements = self.lifecycle();
        let (app_id, user) = (&*self.app_id, user_id.as_str());
        let mut transaction = self.pool.begin().await?;
        sqlx::query(&statements.lock_user)
            .bind(app_id)
            .bind(user)
            .execute(&mut *transaction)
            .await?;
        let held: bool = sqlx::query_scalar(&statements.held)
            .bind(app_id)
            .bind(user)
            .fetch_one(&mut *transaction)
            .await?;
        if held {
            return Ok(None);
        }
        let mut counts = [0; 3];
        let steps = [
            &statements.erase_pending,
            &statements.anonymise_consumed,
            &statements.erase_settlements,
        ];
        for (count, step) in counts.iter_mut().zip(steps) {
            let done = sqlx::query(step)
                .bind(app_id)
                .bind(user)
                .execute(&mut *transaction)
                .await?;
            *count = done.rows_affected();
        }
        let [orders, anonymised, settlements] = counts;
        sqlx::query(&statements.record_erasure)
            .bind(app_id)
            .bind(i64::try_from(orders).unwrap_or(i64::MAX))
            .bind(i64::try_from(anonymised).unwrap_or(i64::MAX))
            .bind(i64::try_from(settlements).unwrap_or(i64::MAX))
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(Some(Erased {
            orders,
            anonymised,
            settlements,
        }))
    }
}

#[async_trait]
impl Lifecycle for PostgresOrderStore {
    async fn purge(
        &self,
        retention: &Retention,
        now: SystemTime,
        limit: usize,
    ) -> Result<Purged, StoreError> {
        let cutoffs = retention.cutoffs(now);
        let statements = self.lifecycle();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut purged = Purged {
            // Tombstones first: a row past both retentions goes at once.
            tombstones: self
                .batch(&statements.tombstones, cutoffs.tombstones, limit)
                .await?,
            settled_orders: self
                .batch(&statements.settled_orders, cutoffs.settled_orders, limit)
                .await?,
            settlement_log: self
                .batch(
                    &statements.settlement_log,
                    before(now, retention.settlement_log_for()),
                    limit,
                )
                .await?,
            ..Purged::default()
        };
        if let Some(cap) = cutoffs.unsettled_orders {
            purged.unsettled_orders = self.batch(&statements.unsettled_orders, cap, limit).await?;
        }
        Ok(purged)
    }

    async fn erase_user(&self, user_id: &UserId) -> Result<Erased, StoreError> {
        let erased = self.erase(user_id).await?.ok_or(StoreError::Held)?;
        log_erasure(&erased);
        Ok(erased)
    }

    async fn hold(&self, user_id: &UserId) -> Result<(), StoreError> {
        Ok(self.for_user(&self.lifecycle().hold, user_id).await?)
    }

    async fn release(&self, user_id: &UserId) -> Result<(), StoreError> {
        Ok(self.for_user(&self.lifecycle().release, user_id).await?)
    }
}
