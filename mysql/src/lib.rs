//! [`MySqlOrderStore`]: the pending orders and the durable settlement log
//! of [`tencent_faceid`] in MySQL (8.0+, or 5.7 through a lease fallback)
//! or MariaDB (10.6+), consumed once by any instance; and [`MySqlTickets`]:
//! the access token and SIGN ticket every instance shares through the same
//! database, so that one database is enough.
//!
//! A crate of its own rather than a feature of `tencent-faceid`: sqlx's
//! MySQL driver depends on `rsa`, which has an advisory with no patched
//! version (RUSTSEC-2023-0071, a timing attack that recovers a private key
//! from decryptions; this driver only encrypts a password with the
//! server's public key, for `caching_sha2_password` without TLS). An
//! optional dependency still lands in every user's lockfile, so the
//! driver lives here: only those who depend on this crate get the entry.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use tencent_faceid::{OrderNo, UserId};
//! use tencent_faceid::orders::{Consumed, OrderStore, PendingOrder};
//! use tencent_faceid_mysql::{MySqlOrderStore, mysql_pool};
//!
//! let pool = mysql_pool("mysql://app:secret@db/app").await?;
//! let builder = MySqlOrderStore::builder(pool, "appId001");
//! builder.migrate().await?; // at deployment; harmless when current
//! let store = builder.build().await?;
//! let order_no = OrderNo::new("order1")?;
//! store
//!     .put(PendingOrder::new(order_no.clone(), UserId::new("u1")?), Duration::from_secs(1800))
//!     .await?;
//! assert!(matches!(store.consume(&order_no).await?, Consumed::Accepted(_)));
//! assert_eq!(store.consume(&order_no).await?, Consumed::AlreadyConsumed);
//! // The facade takes it as any store (FaceId::builder(..).store(store)), or
//! // opens it from FACEID_DATABASE_URL=mysql://… through MySqlConnector.
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use sqlx::Row;
use sqlx::mysql::{MySqlDatabaseError, MySqlPool, MySqlRow};
use tencent_faceid::callback::BindingHash;
use tencent_faceid::orders::{Claim, Consumed, Lookup, OrderStore, PendingOrder, StoreError};
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid::{from_unix_millis, unix_millis};

mod bounded;
mod builder;
mod connector;
mod consume;
mod due;
mod error;
mod lifecycle;
mod log;
mod migrate;
mod pool;
mod sql_time;
mod statements;
mod status;
mod tickets;

pub use builder::MySqlOrderStoreBuilder;
pub use connector::MySqlConnector;
pub use due::DueLeases;
pub use error::MySqlStoreError;
pub use migrate::mysql_migration_sql;
pub use pool::{PoolBounds, mysql_pool};
/// The `sqlx` crate this one is built with: make a pool of your own
/// (`sqlx::MySqlPool`, `sqlx::mysql::MySqlPoolOptions`) with the same
/// version.
pub use sqlx;
/// What [`MySqlOrderStore::settlements`] and
/// [`MySqlOrderStoreBuilder::status`] answer: the types of every durable
/// store, the PostgreSQL one's too.
#[doc(no_inline)]
pub use tencent_faceid::orders::{Backlog, LoggedSettlement, StoreStatus, StoredTicketPairTimes};
pub use tickets::{MySqlTicketHome, MySqlTickets};

use bounded::bounded;
use statements::Statements;

/// The longest time to live written (100 years).
const MAX_MILLIS: u64 = 100 * 365 * 24 * 3600 * 1000;

/// Pending orders in MySQL or MariaDB, shared by every instance behind a
/// load balancer, with a durable log of every settlement: the
/// [`OrderStore`], [`SettlementStore`](tencent_faceid::orders::SettlementStore)
/// and [`Lifecycle`](tencent_faceid::orders::Lifecycle) of
/// `tencent_faceid::orders::PostgresOrderStore`, on MySQL.
///
/// - [`put`](OrderStore::put) inserts a row keyed by (app id, order
///   number); a number already recorded, pending or consumed, is refused
///   ([`StoreError::Duplicate`]), and the same put asked again after a
///   lost reply finds its own row.
/// - [`consume`](OrderStore::consume) is one transaction: the order's row
///   read `FOR UPDATE` (so concurrent consumes of one order, in any number
///   of processes, take turns), the verdict, and for the winner the update
///   and the settlement's log entry, committed together. Exactly one
///   consume is [`Consumed::Accepted`]; the others learn why not
///   ([`Consumed::AlreadyConsumed`], [`Consumed::Repeated`],
///   [`Consumed::Expired`], [`Consumed::OtherBrowser`],
///   [`Consumed::Unknown`]).
///
/// # Every wait bounded, no reply lost
/// Each call takes at most its [timeout](MySqlOrderStoreBuilder::timeout)
/// (default 5 s), then fails with [`MySqlStoreError::TimedOut`]. Within
/// it, a transaction whose connection broke, that found no connection, or
/// that MySQL rolled back (a lock wait timeout, a deadlock) is run again on
/// a fresh connection with the same [`Claim`]: a consume that MySQL
/// committed but whose reply was lost finds its own attempt id and answers
/// [`Consumed::Accepted`]. A consume that reaches MySQL only after half
/// the timeout changes nothing and fails with [`MySqlStoreError::Late`]
/// (this compares MySQL's clock with this server's).
///
/// - **Settlement log**: a [settling](Claim::settling) consume writes the
///   settlement into `<prefix>settlements` in its transaction; the order
///   stays in the due index until the `on_settled` hook took it
///   ([`forget_due`](tencent_faceid::orders::SettlementStore::forget_due)
///   stamps `delivered_at`). [`settlements`](Self::settlements) lists the
///   log by time for audits.
/// - **Due index**: a `due_at` column, leased by
///   [`claim_due`](tencent_faceid::orders::SettlementStore::claim_due) as
///   [`DueLeases`] says: reconcilers on several instances share one
///   backlog, and a crashed one's leases run out for the others.
/// - Deadlines are measured on the database's clock; times are kept as
///   milliseconds since the Unix epoch (`BIGINT`; `FROM_UNIXTIME(t /
///   1000)` reads one). Every row holds the app id.
///
/// The tables are made by [`MySqlOrderStoreBuilder::migrate`], once, at
/// deployment; [`MySqlOrderStoreBuilder::build`] checks they are there.
#[derive(Clone)]
pub struct MySqlOrderStore {
    pool: MySqlPool,
    app_id: Arc<str>,
    statements: Arc<Statements>,
    timeout: Duration,
    due_leases: DueLeases,
    server: Arc<str>,
}

impl fmt::Debug for MySqlOrderStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MySqlOrderStore")
            .field("app_id", &self.app_id)
            .field("server", &self.server)
            .field("due_leases", &self.due_leases)
            .field("connections", &self.pool.size())
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Milliseconds since the Unix epoch of `time`, as MySQL's `BIGINT`.
fn millis(time: SystemTime) -> i64 {
    i64::try_from(unix_millis(time)).unwrap_or(i64::MAX)
}

/// The time `millis` milliseconds after the Unix epoch.
fn time_of(millis: i64) -> SystemTime {
    from_unix_millis(u64::try_from(millis).unwrap_or(0))
}

/// The text in column `index` of `row`. The store's tables are in a
/// binary collation (`utf8mb4_bin`: order numbers and user ids compare
/// case-sensitively), whose columns MySQL flags as binary, so sqlx reads
/// them as bytes.
fn text(row: &MySqlRow, index: usize) -> Result<&str, MySqlStoreError> {
    let bytes: &[u8] = row.try_get(index)?;
    std::str::from_utf8(bytes).map_err(|error| sqlx::Error::Decode(Box::new(error)).into())
}

/// The text in column `index` of `row`, if not `NULL` (see [`text`]).
fn optional_text(row: &MySqlRow, index: usize) -> Result<Option<&str>, MySqlStoreError> {
    let bytes: Option<&[u8]> = row.try_get(index)?;
    bytes
        .map(|bytes| {
            std::str::from_utf8(bytes).map_err(|error| sqlx::Error::Decode(Box::new(error)).into())
        })
        .transpose()
}

/// Whether `error` is MySQL's duplicate key (`ER_DUP_ENTRY`).
fn duplicate(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|error| error.try_downcast_ref::<MySqlDatabaseError>())
        .is_some_and(|error| error.number() == 1062)
}

impl MySqlOrderStore {
    /// Starts configuring a store of the orders of `app_id` (WBappid) in
    /// the database of `pool`; see [`MySqlOrderStoreBuilder`] for the
    /// defaults and [`migrate`](MySqlOrderStoreBuilder::migrate).
    pub fn builder(pool: MySqlPool, app_id: impl Into<String>) -> MySqlOrderStoreBuilder {
        MySqlOrderStoreBuilder::new(pool, app_id.into())
    }

    /// The app id whose orders this store reads and writes.
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// How this store leases due orders (chosen at startup).
    pub fn due_leases(&self) -> DueLeases {
        self.due_leases
    }

    /// The error for a row of `order_no` this crate cannot read.
    fn corrupt(order_no: &str, reason: &'static str) -> MySqlStoreError {
        MySqlStoreError::Corrupt {
            order_no: order_no.to_owned(),
            reason,
        }
    }

    /// The binding hash a row holds in hex, if any.
    fn binding_of(
        order_no: &OrderNo,
        hex: Option<&str>,
    ) -> Result<Option<BindingHash>, MySqlStoreError> {
        hex.map(|hex| {
            BindingHash::from_hex(hex)
                .ok_or_else(|| Self::corrupt(order_no.as_str(), "an invalid binding hash"))
        })
        .transpose()
    }

    /// The order `order_no` from a row's user id, creation time, binding
    /// and edition.
    fn order(
        &self,
        order_no: &OrderNo,
        user_id: &str,
        created_ms: i64,
        binding: Option<&str>,
        edition: &str,
    ) -> Result<PendingOrder, MySqlStoreError> {
        let corrupt = |reason| Self::corrupt(order_no.as_str(), reason);
        Ok(PendingOrder {
            order_no: order_no.clone(),
            user_id: UserId::new(user_id).map_err(|_| corrupt("an invalid user id"))?,
            created_at: time_of(created_ms),
            binding: Self::binding_of(order_no, binding)?,
            edition: edition.parse().map_err(|_| corrupt("an unknown edition"))?,
        })
    }

    /// The put, once: `Ok(false)` when the number is taken by another
    /// order.
    async fn put_once(&self, order: &PendingOrder, ttl: i64) -> Result<bool, MySqlStoreError> {
        let binding = order.binding.as_ref().map(BindingHash::to_hex);
        let created = millis(order.created_at);
        let inserted = sqlx::query(&self.statements.put)
            .bind(&*self.app_id)
            .bind(order.order_no.as_str())
            .bind(order.user_id.as_str())
            .bind(created)
            .bind(binding.as_deref())
            .bind(ttl)
            .bind(created)
            .bind(order.edition.as_str())
            .execute(&self.pool)
            .await;
        match inserted {
            Ok(_) => Ok(true),
            Err(error) if duplicate(&error) => self.own_put(order, binding.as_deref()).await,
            Err(error) => Err(error.into()),
        }
    }

    /// Whether the row of `order`'s number is this very put (asked again
    /// after its reply was lost): pending, same user, start and binding.
    async fn own_put(
        &self,
        order: &PendingOrder,
        binding: Option<&str>,
    ) -> Result<bool, MySqlStoreError> {
        let row = sqlx::query(&self.statements.own_put)
            .bind(&*self.app_id)
            .bind(order.order_no.as_str())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            return Ok(false);
        };
        let user = text(&row, 0)?;
        let created: i64 = row.try_get(1)?;
        let found = optional_text(&row, 2)?;
        let pending: bool = row.try_get(3)?;
        Ok(pending
            && user == order.user_id.as_str()
            && created == millis(order.created_at)
            && found == binding)
    }
}

#[async_trait]
impl OrderStore for MySqlOrderStore {
    async fn put(&self, order: PendingOrder, ttl: Duration) -> Result<(), StoreError> {
        let ttl = ttl.as_millis().min(u128::from(MAX_MILLIS));
        let ttl = i64::try_from(ttl).unwrap_or(i64::MAX);
        let stored = bounded(self.timeout, "put", || self.put_once(&order, ttl)).await?;
        if !stored {
            return Err(StoreError::Duplicate(order.order_no));
        }
        Ok(())
    }

    async fn consume_claim(
        &self,
        order_no: &OrderNo,
        claim: &Claim,
    ) -> Result<Consumed, StoreError> {
        // MySQL refuses to consume after this: by then this server may
        // have stopped waiting for the answer.
        let deadline = millis(SystemTime::now() + self.timeout / 2);
        let consumed = bounded(self.timeout, "consume", || {
            self.consume_once(order_no, claim, deadline)
        })
        .await?;
        if matches!(consumed, Consumed::Accepted(_)) {
            tracing::debug!(order_no = order_no.as_str(), "consumed order in MySQL");
        }
        Ok(consumed)
    }

    async fn lookup(&self, order_no: &OrderNo) -> Result<Lookup, StoreError> {
        let row = bounded(self.timeout, "lookup", || async {
            Ok(sqlx::query(&self.statements.find)
                .bind(&*self.app_id)
                .bind(order_no.as_str())
                .fetch_optional(&self.pool)
                .await?)
        })
        .await?;
        let Some(row) = row else {
            return Ok(Lookup::Unknown);
        };
        let state = text(&row, 0)?;
        let binding = optional_text(&row, 1)?;
        let expired: bool = row.try_get(2).map_err(MySqlStoreError::from)?;
        Ok(match state {
            "consumed" => Lookup::Consumed,
            _ if expired => Lookup::Expired,
            _ => Lookup::Pending {
                binding: Self::binding_of(order_no, binding)?,
            },
        })
    }

    async fn ping(&self) -> Result<(), StoreError> {
        bounded(self.timeout, "ping", || async {
            Ok(sqlx::query("SELECT 1").execute(&self.pool).await?)
        })
        .await?;
        Ok(())
    }
}
