//! The data lifecycle of [`MySqlOrderStore`]: a purge in batches, the
//! erasure of one user's rows, and the legal holds that stop both.
//!
//! Each purge statement takes at most `limit` rows, oldest first along an
//! index (`ORDER BY … LIMIT`), so a statement holds few locks. A user's
//! hold, release and erasure are serialised by the hold's row (or the gap
//! where it would be): an erasure reads it `FOR UPDATE` first, so a hold
//! placed meanwhile waits for the erasure, and an erasure waits for a hold
//! being placed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use tencent_faceid::UserId;
use tencent_faceid::orders::{Erased, Lifecycle, Purged, Retention, StoreError};

use crate::sql_time::NOW_MS;
use crate::{MySqlOrderStore, MySqlStoreError, millis};

/// The lifecycle's statements on one table prefix.
pub(crate) struct Statements {
    /// app, cutoff ms, limit: pending orders started before the cutoff.
    unsettled_orders: String,
    /// app, cutoff ms, limit: orders consumed before the cutoff, their
    /// settlement (if any) delivered, lose their user id, binding and
    /// attempt id.
    settled_orders: String,
    /// app, cutoff ms, limit: orders consumed before the cutoff, their
    /// settlement (if any) delivered.
    tombstones: String,
    /// app, cutoff ms, limit: delivered settlements made before the cutoff.
    settlement_log: String,
    /// app, user: the user's hold, locked (or the gap where it would be).
    held: String,
    /// app, user.
    erase_pending: String,
    /// app, user.
    anonymise_consumed: String,
    /// app, user.
    erase_settlements: String,
    /// app, orders, anonymised, settlements.
    record_erasure: String,
    /// app, user.
    hold: String,
    /// app, user.
    release: String,
}

impl Statements {
    pub(crate) fn new(prefix: &str) -> Self {
        let orders = format!("`{prefix}orders`");
        let log = format!("`{prefix}settlements`");
        let holds = format!("`{prefix}holds`");
        // The target table by its name: a single-table DELETE with ORDER
        // BY and LIMIT takes no alias before MySQL 8.0.16.
        let not_held = |table: &str| {
            format!(
                "NOT EXISTS (SELECT 1 FROM {holds} h \
                 WHERE h.app_id = {table}.app_id AND h.user_id = {table}.user_id)"
            )
        };
        // Consumed before the cutoff, and no settlement of it waits for
        // delivery.
        let settled = format!(
            "state = 'consumed' AND consumed_at < ? AND NOT EXISTS (SELECT 1 FROM {log} s \
             WHERE s.app_id = {orders}.app_id AND s.order_no = {orders}.order_no \
             AND s.delivered_at IS NULL) AND {}",
            not_held(&orders)
        );
        Self {
            unsettled_orders: format!(
                "DELETE FROM {orders} WHERE app_id = ? AND state = 'pending' AND created_at < ? \
                 AND {} ORDER BY created_at LIMIT ?",
                not_held(&orders)
            ),
            settled_orders: format!(
                "UPDATE {orders} SET user_id = '', binding = NULL, attempt = NULL, due_at = NULL \
                 WHERE app_id = ? AND {settled} AND user_id <> '' ORDER BY consumed_at LIMIT ?"
            ),
            tombstones: format!(
                "DELETE FROM {orders} WHERE app_id = ? AND {settled} ORDER BY consumed_at LIMIT ?"
            ),
            settlement_log: format!(
                "DELETE FROM {log} WHERE app_id = ? AND delivered_at IS NOT NULL \
                 AND settled_at < ? AND {} ORDER BY settled_at LIMIT ?",
                not_held(&log)
            ),
            held: format!("SELECT 1 FROM {holds} WHERE app_id = ? AND user_id = ? FOR UPDATE"),
            erase_pending: format!(
                "DELETE FROM {orders} WHERE app_id = ? AND user_id = ? AND state = 'pending'"
            ),
            anonymise_consumed: format!(
                "UPDATE {orders} SET user_id = '', binding = NULL, attempt = NULL, due_at = NULL \
                 WHERE app_id = ? AND user_id = ? AND state = 'consumed'"
            ),
            erase_settlements: format!("DELETE FROM {log} WHERE app_id = ? AND user_id = ?"),
            record_erasure: format!(
                "INSERT INTO `{prefix}erasures` \
                 (app_id, erased_at, orders, anonymised, settlements) \
                 VALUES (?, {NOW_MS}, ?, ?, ?)"
            ),
            hold: format!(
                "INSERT INTO {holds} (app_id, user_id, held_at) VALUES (?, ?, {NOW_MS}) \
                 ON DUPLICATE KEY UPDATE held_at = held_at"
            ),
            release: format!("DELETE FROM {holds} WHERE app_id = ? AND user_id = ?"),
        }
    }
}

/// The instant `age` before `now` (the epoch at the earliest).
fn before(now: SystemTime, age: Duration) -> SystemTime {
    now.checked_sub(age).unwrap_or(UNIX_EPOCH)
}

impl MySqlOrderStore {
    fn lifecycle(&self) -> &Statements {
        &self.statements.lifecycle
    }

    /// Runs one batch statement of the purge: rows before `cutoff`, at
    /// most `limit`.
    async fn batch(
        &self,
        statement: &str,
        cutoff: SystemTime,
        limit: u64,
    ) -> Result<u64, MySqlStoreError> {
        let done = sqlx::query(statement)
            .bind(&*self.app_id)
            .bind(millis(cutoff))
            .bind(limit)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Runs `statement` for `user_id` (app id and user bound).
    async fn for_user(&self, statement: &str, user_id: &UserId) -> Result<(), MySqlStoreError> {
        sqlx::query(statement)
            .bind(&*self.app_id)
            .bind(user_id.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn erase(&self, user_id: &UserId) -> Result<Option<Erased>, MySqlStoreError> {
        let statements = self.lifecycle();
        let (app_id, user) = (&*self.app_id, user_id.as_str());
        let mut transaction = self.pool.begin().await?;
        let held = sqlx::query(&statements.held)
            .bind(app_id)
            .bind(user)
            .fetch_optional(&mut *transaction)
            .await?;
        if held.is_some() {
            transaction.rollback().await?;
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
            .bind(orders)
            .bind(anonymised)
            .bind(settlements)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        let mut erased = Erased::default();
        erased.orders = orders;
        erased.anonymised = anonymised;
        erased.settlements = settlements;
        Ok(Some(erased))
    }
}

#[async_trait]
impl Lifecycle for MySqlOrderStore {
    async fn purge(
        &self,
        retention: &Retention,
        now: SystemTime,
        limit: usize,
    ) -> Result<Purged, StoreError> {
        let statements = self.lifecycle();
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        let mut purged = Purged::default();
        // Tombstones first: a row past both retentions goes at once.
        purged.tombstones = self
            .batch(
                &statements.tombstones,
                before(now, retention.tombstones_for()),
                limit,
            )
            .await?;
        purged.settled_orders = self
            .batch(
                &statements.settled_orders,
                before(now, retention.settled_orders_for()),
                limit,
            )
            .await?;
        purged.settlement_log = self
            .batch(
                &statements.settlement_log,
                before(now, retention.settlement_log_for()),
                limit,
            )
            .await?;
        if let Some(cap) = retention.unsettled_orders_for() {
            purged.unsettled_orders = self
                .batch(&statements.unsettled_orders, before(now, cap), limit)
                .await?;
        }
        Ok(purged)
    }

    async fn erase_user(&self, user_id: &UserId) -> Result<Erased, StoreError> {
        let erased = self.erase(user_id).await?.ok_or(StoreError::Held)?;
        tracing::info!(
            orders = erased.orders,
            anonymised = erased.anonymised,
            settlements = erased.settlements,
            "erased a user's data"
        );
        Ok(erased)
    }

    async fn hold(&self, user_id: &UserId) -> Result<(), StoreError> {
        Ok(self.for_user(&self.lifecycle().hold, user_id).await?)
    }

    async fn release(&self, user_id: &UserId) -> Result<(), StoreError> {
        Ok(self.for_user(&self.lifecycle().release, user_id).await?)
    }
}
