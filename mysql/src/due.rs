//! The due index and the settlement reads: what the settler and the
//! reconciler need ([`SettlementStore`]), and [`DueLeases`], how
//! reconcilers on several instances share the due orders.

use std::time::SystemTime;

use async_trait::async_trait;
use sqlx::Row;
use sqlx::mysql::MySqlRow;
use tencent_faceid::OrderNo;
use tencent_faceid::orders::{
    DueOrder, PendingOrder, SettlementRecord, SettlementStore, StoreError,
};

use crate::{MySqlOrderStore, MySqlStoreError, bounded, millis, optional_text, text, time_of};

/// How [`claim_due`](SettlementStore::claim_due) leases due orders, chosen
/// by [`build`](crate::MySqlOrderStoreBuilder::build) from the server's
/// version (or set with
/// [`due_leases`](crate::MySqlOrderStoreBuilder::due_leases)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DueLeases {
    /// MySQL 8.0+ and MariaDB 10.6+: the due rows are read `FOR UPDATE
    /// SKIP LOCKED` and leased in one transaction, so reconcilers never
    /// wait on each other.
    SkipLocked,
    /// MySQL 5.7 (and older MariaDB): one `UPDATE … ORDER BY due_at LIMIT
    /// n` stamps a lease and a random token of the reconciler on the due
    /// rows, then their numbers are read back by the token. Reconcilers
    /// take turns on the rows they both want.
    LeaseColumn,
}

impl DueLeases {
    /// The leases a server reporting `version` (`SELECT VERSION()`:
    /// `8.0.36`, `5.7.44-log`, `10.11.6-MariaDB-0+deb12u1`) supports.
    ///
    /// ```
    /// use tencent_faceid_mysql::DueLeases;
    /// assert_eq!(DueLeases::for_server("8.0.36"), DueLeases::SkipLocked);
    /// assert_eq!(DueLeases::for_server("5.7.44-log"), DueLeases::LeaseColumn);
    /// assert_eq!(DueLeases::for_server("10.11.6-MariaDB-0+deb12u1"), DueLeases::SkipLocked);
    /// assert_eq!(DueLeases::for_server("10.5.23-MariaDB"), DueLeases::LeaseColumn);
    /// ```
    pub fn for_server(version: &str) -> DueLeases {
        let mut numbers = version
            .split(|c: char| !c.is_ascii_digit())
            .map(|part| part.parse::<u32>().unwrap_or(0));
        let major = numbers.next().unwrap_or(0);
        let minor = numbers.next().unwrap_or(0);
        let skip_locked = if version.contains("MariaDB") {
            (major, minor) >= (10, 6)
        } else {
            major >= 8
        };
        if skip_locked {
            DueLeases::SkipLocked
        } else {
            DueLeases::LeaseColumn
        }
    }
}

impl MySqlOrderStore {
    /// A due order of a row of `order_no, created_at`.
    fn due_order(row: &MySqlRow) -> Result<DueOrder, MySqlStoreError> {
        let order_no = text(row, 0)?;
        Ok(DueOrder {
            order_no: OrderNo::new(order_no)
                .map_err(|_| Self::corrupt(order_no, "an invalid order number"))?,
            created_at: time_of(row.try_get(1)?),
        })
    }

    /// The lease with `FOR UPDATE SKIP LOCKED`, once.
    async fn lease_skipping_locked(
        &self,
        due: i64,
        lease: i64,
        limit: u64,
    ) -> Result<Vec<DueOrder>, MySqlStoreError> {
        let mut transaction = self.pool.begin().await?;
        let rows = sqlx::query(&self.statements.due_skip_locked)
            .bind(&*self.app_id)
            .bind(due)
            .bind(limit)
            .fetch_all(&mut *transaction)
            .await?;
        let orders = rows
            .iter()
            .map(Self::due_order)
            .collect::<Result<Vec<_>, _>>()?;
        if !orders.is_empty() {
            let marks = vec!["?"; orders.len()].join(", ");
            let statement = format!("{}({marks})", self.statements.lease_taken);
            let mut update = sqlx::query(&statement).bind(lease).bind(&*self.app_id);
            for order in &orders {
                update = update.bind(order.order_no.as_str());
            }
            update.execute(&mut *transaction).await?;
        }
        transaction.commit().await?;
        Ok(orders)
    }

    /// The lease through the lease column, once, under `token`.
    async fn lease_by_column(
        &self,
        due: i64,
        lease: i64,
        limit: u64,
        token: i64,
    ) -> Result<Vec<DueOrder>, MySqlStoreError> {
        sqlx::query(&self.statements.lease_fallback)
            .bind(lease)
            .bind(token)
            .bind(&*self.app_id)
            .bind(due)
            .bind(limit)
            .execute(&self.pool)
            .await?;
        let rows = sqlx::query(&self.statements.leased)
            .bind(&*self.app_id)
            .bind(token)
            .bind(lease)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(Self::due_order).collect()
    }

    /// Runs `statement` on the order (app id and order number bound).
    async fn on_order(&self, statement: &str, order_no: &OrderNo) -> Result<(), MySqlStoreError> {
        sqlx::query(statement)
            .bind(&*self.app_id)
            .bind(order_no.as_str())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

#[async_trait]
impl SettlementStore for MySqlOrderStore {
    async fn settlement(
        &self,
        order_no: &OrderNo,
    ) -> Result<Option<(PendingOrder, SettlementRecord)>, StoreError> {
        let row = bounded(self.timeout, "settlement read", || async {
            Ok(sqlx::query(&self.statements.settlement)
                .bind(&*self.app_id)
                .bind(order_no.as_str())
                .fetch_optional(&self.pool)
                .await?)
        })
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let read = || -> Result<_, MySqlStoreError> {
            let binding = optional_text(&row, 3)?;
            let edition = text(&row, 4)?;
            let order = self.order(order_no, text(&row, 0)?, row.try_get(1)?, binding, edition)?;
            let record = SettlementRecord::decode(order_no, text(&row, 2)?)?;
            Ok(Some((order, record)))
        };
        Ok(read()?)
    }

    async fn claim_due(
        &self,
        due: SystemTime,
        lease: SystemTime,
        limit: usize,
    ) -> Result<Vec<DueOrder>, StoreError> {
        let (due, lease) = (millis(due), millis(lease));
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        // A lease whose reply was lost runs out, and its orders come back.
        let orders = match self.due_leases {
            DueLeases::SkipLocked => {
                bounded(self.timeout, "due orders' lease", || {
                    self.lease_skipping_locked(due, lease, limit)
                })
                .await?
            }
            DueLeases::LeaseColumn => {
                let token: i64 = rand::random();
                bounded(self.timeout, "due orders' lease", || {
                    self.lease_by_column(due, lease, limit, token)
                })
                .await?
            }
        };
        Ok(orders)
    }

    async fn reschedule(&self, order: &DueOrder, at: SystemTime) -> Result<(), StoreError> {
        bounded(self.timeout, "reschedule", || async {
            sqlx::query(&self.statements.reschedule)
                .bind(millis(at))
                .bind(&*self.app_id)
                .bind(order.order_no.as_str())
                .execute(&self.pool)
                .await?;
            Ok(())
        })
        .await?;
        Ok(())
    }

    async fn forget_due(&self, order: &DueOrder) -> Result<(), StoreError> {
        bounded(self.timeout, "delivery mark", || async {
            self.on_order(&self.statements.forget_due, &order.order_no)
                .await?;
            self.on_order(&self.statements.delivered, &order.order_no)
                .await
        })
        .await?;
        Ok(())
    }

    async fn due_backlog(&self, due: SystemTime) -> Result<u64, StoreError> {
        let count: i64 = bounded(self.timeout, "backlog count", || async {
            Ok(sqlx::query_scalar(&self.statements.backlog)
                .bind(&*self.app_id)
                .bind(millis(due))
                .fetch_one(&self.pool)
                .await?)
        })
        .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }
}
