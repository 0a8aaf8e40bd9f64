//! The data lifecycle every [`SettlementStore`](super::SettlementStore)
//! keeps: how long each kind of record lives ([`Retention`]), the batched
//! [`purge`](Lifecycle::purge) that ends it, the erasure of one user's data
//! ([`erase_user`](Lifecycle::erase_user)), and the legal hold that stops
//! both ([`hold`](Lifecycle::hold)).
//!
//! Why: face verification records are sensitive personal information
//! (PIPL art. 28), deleted once their purpose is met or on the person's
//! request (PIPL art. 47), while anti-money-laundering rules keep identity
//! records at least five years, and until an investigation ends (the
//! hold). The purge runs by itself beside the reconciler:
//! [`Purger`](crate::settle::Purger).

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::StoreError;
use crate::ids::UserId;

/// How long each kind of record is kept, measured from the event named.
///
/// - **Unsettled orders**: until settled (the reconciler settles an
///   abandoned one after its deadline), unless a cap is set with
///   [`unsettled_orders`](Self::unsettled_orders) (for an app that runs no
///   reconciler).
/// - **Settled orders**: [`settled_orders`](Self::settled_orders) after the
///   consume (default 7 days), once its settlement (if it has one) was
///   delivered; the row
///   then shrinks to a **tombstone** without the user id or browser
///   binding, which still refuses a replayed callback.
/// - **Tombstones**: gone [`tombstones`](Self::tombstones) after the
///   consume (default 30 days, never before the settled-order retention).
/// - **The settlement log**: [`settlement_log`](Self::settlement_log) after
///   the settlement (default 5 × 365 days, the anti-money-laundering
///   minimum), once delivered.
///
/// A user under a [legal hold](Lifecycle::hold) keeps every record.
///
/// ```
/// use std::time::Duration;
/// use tencent_faceid::orders::Retention;
/// let retention = Retention::default().settled_orders(Duration::from_secs(3 * 24 * 3600));
/// assert_eq!(retention.settled_orders_for(), Duration::from_secs(3 * 24 * 3600));
/// assert_eq!(retention.settlement_log_for(), Retention::DEFAULT_SETTLEMENT_LOG);
/// assert_eq!(retention.unsettled_orders_for(), None);
/// // A tombstone never goes before its order would have shrunk.
/// assert_eq!(retention.tombstones(Duration::ZERO).tombstones_for(), retention.settled_orders_for());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    unsettled_orders: Option<Duration>,
    settled_orders: Duration,
    tombstones: Duration,
    settlement_log: Duration,
}

impl Retention {
    /// How long a settled order keeps its user id by default: 7 days.
    pub const DEFAULT_SETTLED_ORDERS: Duration = Duration::from_secs(7 * 24 * 3600);
    /// How long a consumed order refuses replays by default: 30 days.
    pub const DEFAULT_TOMBSTONES: Duration = Duration::from_secs(30 * 24 * 3600);
    /// How long the settlement log is kept by default: 5 × 365 days.
    pub const DEFAULT_SETTLEMENT_LOG: Duration = Duration::from_secs(5 * 365 * 24 * 3600);

    /// Caps how long an order that was never settled is kept after its
    /// start; default none (kept until settled). Set it only when no
    /// reconciler settles abandoned orders, and well beyond their deadline.
    pub fn unsettled_orders(mut self, cap: Duration) -> Self {
        self.unsettled_orders = Some(cap);
        self
    }

    /// How long a settled order keeps its user id after the consume;
    /// default [`Self::DEFAULT_SETTLED_ORDERS`].
    pub fn settled_orders(mut self, retention: Duration) -> Self {
        self.settled_orders = retention;
        self
    }

    /// How long a consumed order is remembered after the consume (a
    /// replay of its callback is refused as such); default
    /// [`Self::DEFAULT_TOMBSTONES`].
    pub fn tombstones(mut self, retention: Duration) -> Self {
        self.tombstones = retention;
        self
    }

    /// How long the settlement log keeps a settlement; default
    /// [`Self::DEFAULT_SETTLEMENT_LOG`].
    pub fn settlement_log(mut self, retention: Duration) -> Self {
        self.settlement_log = retention;
        self
    }

    /// The cap on unsettled orders, if any.
    pub fn unsettled_orders_for(&self) -> Option<Duration> {
        self.unsettled_orders
    }

    /// How long a settled order keeps its user id.
    pub fn settled_orders_for(&self) -> Duration {
        self.settled_orders
    }

    /// How long a consumed order is remembered: never less than
    /// [`settled_orders_for`](Self::settled_orders_for).
    pub fn tombstones_for(&self) -> Duration {
        self.tombstones.max(self.settled_orders)
    }

    /// How long the settlement log keeps a settlement.
    pub fn settlement_log_for(&self) -> Duration {
        self.settlement_log
    }

    /// The instants before which each order class's records go, at `now`
    /// (the settlement log's is [`before`]`(now, settlement_log_for())`).
    pub(crate) fn cutoffs(&self, now: SystemTime) -> Cutoffs {
        Cutoffs {
            unsettled_orders: self.unsettled_orders.map(|cap| before(now, cap)),
            settled_orders: before(now, self.settled_orders),
            tombstones: before(now, self.tombstones_for()),
        }
    }
}

/// The instant `age` before `now` (the epoch at the earliest).
pub(crate) fn before(now: SystemTime, age: Duration) -> SystemTime {
    now.checked_sub(age).unwrap_or(SystemTime::UNIX_EPOCH)
}

impl Default for Retention {
    fn default() -> Self {
        Self {
            unsettled_orders: None,
            settled_orders: Self::DEFAULT_SETTLED_ORDERS,
            tombstones: Self::DEFAULT_TOMBSTONES,
            settlement_log: Self::DEFAULT_SETTLEMENT_LOG,
        }
    }
}

/// The instants before which each order class's records go (see
/// [`Retention::cutoffs`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cutoffs {
    pub(crate) unsettled_orders: Option<SystemTime>,
    pub(crate) settled_orders: SystemTime,
    pub(crate) tombstones: SystemTime,
}

/// What one [`purge`](Lifecycle::purge) pass removed, by class: each at
/// most the pass's limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Purged {
    /// Orders never settled, past the cap, removed.
    pub unsettled_orders: u64,
    /// Settled orders that shrank to tombstones (their user id removed).
    pub settled_orders: u64,
    /// Tombstones removed.
    pub tombstones: u64,
    /// Settlement log entries removed.
    pub settlement_log: u64,
}

impl Purged {
    /// The classes with their metric label and count.
    pub fn by_class(&self) -> [(&'static str, u64); 4] {
        [
            ("unsettled_orders", self.unsettled_orders),
            ("settled_orders", self.settled_orders),
            ("tombstones", self.tombstones),
            ("settlement_log", self.settlement_log),
        ]
    }

    /// Every record removed or shrunk.
    pub fn total(&self) -> u64 {
        self.by_class().iter().map(|(_, count)| count).sum()
    }

    /// Whether some class reached `limit`: more may be left.
    pub fn reached(&self, limit: usize) -> bool {
        let limit = u64::try_from(limit).unwrap_or(u64::MAX);
        self.by_class().iter().any(|(_, count)| *count >= limit)
    }

    /// Adds `other`'s counts.
    pub(crate) fn add(&mut self, other: Purged) {
        self.unsettled_orders += other.unsettled_orders;
        self.settled_orders += other.settled_orders;
        self.tombstones += other.tombstones;
        self.settlement_log += other.settlement_log;
    }
}

/// What [`erase_user`](Lifecycle::erase_user) did with one user's data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Erased {
    /// Pending orders removed (and taken out of the due index).
    pub orders: u64,
    /// Consumed orders kept as tombstones without the user id or binding,
    /// so that a replay of their callback is still refused.
    pub anonymised: u64,
    /// Settlements removed (from the settlement log, or kept with their
    /// order).
    pub settlements: u64,
}

/// The data lifecycle of a [`SettlementStore`](super::SettlementStore):
/// every settlement store implements it (the `contract` module checks
/// it). See [`Retention`] for the classes.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::time::{Duration, SystemTime};
/// use tencent_faceid::{OrderNo, UserId};
/// use tencent_faceid::orders::{Lifecycle, MemoryOrderStore, OrderStore, PendingOrder, Retention, StoreError};
/// let store = MemoryOrderStore::new();
/// let user = UserId::new("u1")?;
/// store.put(PendingOrder::new(OrderNo::new("o1")?, user.clone()), Duration::from_secs(1800)).await?;
/// store.hold(&user).await?;
/// assert!(matches!(store.erase_user(&user).await, Err(StoreError::Held)));
/// store.release(&user).await?;
/// assert_eq!(store.erase_user(&user).await?.orders, 1);
/// let purged = store.purge(&Retention::default(), SystemTime::now(), 10_000).await?;
/// assert_eq!(purged.total(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[async_trait]
pub trait Lifecycle: Send + Sync + 'static {
    /// One pass of the purge at `now`: removes (or shrinks) at most
    /// `limit` records of each class past its [`Retention`], never a
    /// pending order before it was settled (unless capped), an
    /// undelivered settlement, or a held user's record. Safe to run on
    /// every instance at once.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn purge(
        &self,
        retention: &Retention,
        now: SystemTime,
        limit: usize,
    ) -> Result<Purged, StoreError>;

    /// Removes or anonymises every record holding `user_id` (pending
    /// orders, consumed orders, settlements, the due index), records that
    /// an erasure happened (with its counts, without the user id), and
    /// answers what it did.
    ///
    /// # Errors
    /// [`StoreError::Held`] when the user is under a legal hold (nothing
    /// is erased), [`StoreError::Backend`].
    async fn erase_user(&self, user_id: &UserId) -> Result<Erased, StoreError>;

    /// Puts `user_id` under a legal hold: nothing of theirs is purged or
    /// erased until [`release`](Self::release). Idempotent.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn hold(&self, user_id: &UserId) -> Result<(), StoreError>;

    /// Lifts the legal hold on `user_id`, if any: their records follow
    /// the retention again.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn release(&self, user_id: &UserId) -> Result<(), StoreError>;
}

/// Logs an erasure: its counts, never the user.
pub(crate) fn log_erasure(erased: &Erased) {
    tracing::info!(
        orders = erased.orders,
        anonymised = erased.anonymised,
        settlements = erased.settlements,
        "erased a user's data"
    );
}
