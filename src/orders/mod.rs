//! Pending orders: the sessions this server started, each accepted once.
//!
//! A callback is only trusted for an order this server (or a sibling
//! instance sharing the store) started, and only the first time it arrives.
//! [`OrderStore`] is the seam every store fills: [`MemoryOrderStore`] for
//! one process, (feature `redis`) `RedisOrderStore` or (feature
//! `postgres`) `PostgresOrderStore` for many.
//!
//! A store that can also settle orders implements [`SettlementStore`], the
//! optional power the [settler](crate::settle::Settler) and the
//! [reconciler](crate::settle::Reconciler) require when the program is
//! compiled: it keeps each settlement with its consumed order, and a **due
//! index**: every pending order with the time the reconciler should next
//! look at it, so that an order whose callback never comes is still
//! settled (see [`crate::settle`]). The index is written when an order is
//! put and by the reconciler, never by a consume. All three stores here
//! implement it.
//!
//! Every settlement store also keeps the [`Lifecycle`] of what it holds: how
//! long each kind is kept ([`Retention`]), a batched purge, the erasure of one
//! user's data and the legal hold that stops both.

use std::fmt;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::binding::BindingHash;
use crate::edition::Edition;
use crate::ids::{OrderNo, UserId};

mod lifecycle;
mod logged_settlement;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;
mod settled_by;
mod settled_state;
mod settlement_record;
mod settlement_record_error;
mod store_status;

pub use lifecycle::{Erased, Lifecycle, Purged, Retention};
pub use logged_settlement::LoggedSettlement;
pub use memory::{MemoryOrderStore, MemoryOrderStoreBuilder};
#[cfg(feature = "postgres")]
pub use postgres::{
    PostgresOrderStore, PostgresOrderStoreBuilder, PostgresPoolOptions, PostgresStoreError,
    postgres_migration_sql, postgres_pool,
};
#[cfg(feature = "postgres")]
pub(crate) use postgres::{
    bounded as postgres_bounded, checked_schema as postgres_checked_schema,
    millis as postgres_millis,
};
#[cfg(feature = "redis")]
pub use redis::{RedisOrderStore, RedisOrderStoreBuilder};
pub use settled_by::SettledBy;
pub use settled_state::SettledState;
pub use settlement_record::SettlementRecord;
pub use settlement_record_error::SettlementRecordError;
pub use store_status::{Backlog, StoreStatus, StoredTicketPairTimes};

/// A session this server started and has not seen come back yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOrder {
    /// The order number sent to the vendor.
    pub order_no: OrderNo,
    /// The user the session is for.
    pub user_id: UserId,
    /// When the session was started.
    pub created_at: SystemTime,
    /// The hash of the browser binding the session was started with, if
    /// any (see [`Wiring::browser_binding`](crate::wiring::Wiring::browser_binding)).
    pub binding: Option<BindingHash>,
    /// The edition the session was started in: its settlement and
    /// reconciliation are the same in every edition, the order says which.
    pub edition: Edition,
}

impl PendingOrder {
    /// A pending order created now.
    ///
    /// ```
    /// use tencent_faceid::{OrderNo, UserId};
    /// use tencent_faceid::orders::PendingOrder;
    /// let order = PendingOrder::new(OrderNo::new("o1")?, UserId::new("u1")?);
    /// assert_eq!(order.order_no.as_str(), "o1");
    /// # Ok::<(), tencent_faceid::IdentifierError>(())
    /// ```
    pub fn new(order_no: OrderNo, user_id: UserId) -> Self {
        Self {
            order_no,
            user_id,
            created_at: SystemTime::now(),
            binding: None,
            edition: Edition::Basic,
        }
    }

    /// The same order, started in `edition` (by default
    /// [`Edition::Basic`]).
    ///
    /// ```
    /// use tencent_faceid::session::Edition;
    /// use tencent_faceid::{OrderNo, UserId};
    /// use tencent_faceid::orders::PendingOrder;
    /// let order = PendingOrder::new(OrderNo::new("o1")?, UserId::new("u1")?).in_edition(Edition::AppSdk);
    /// assert_eq!(order.edition, Edition::AppSdk);
    /// # Ok::<(), tencent_faceid::IdentifierError>(())
    /// ```
    pub fn in_edition(mut self, edition: Edition) -> Self {
        self.edition = edition;
        self
    }

    /// The same order, bound to the browser holding the value `binding` is
    /// the hash of.
    ///
    /// ```
    /// use tencent_faceid::callback::BindingHash;
    /// use tencent_faceid::{OrderNo, UserId};
    /// use tencent_faceid::orders::PendingOrder;
    /// let order = PendingOrder::new(OrderNo::new("o1")?, UserId::new("u1")?)
    ///     .bound_to(BindingHash::of("cookie value"));
    /// assert_eq!(order.binding, Some(BindingHash::of("cookie value")));
    /// # Ok::<(), tencent_faceid::IdentifierError>(())
    /// ```
    pub fn bound_to(mut self, binding: BindingHash) -> Self {
        self.binding = Some(binding);
        self
    }
}

/// Who asks to consume an order: a random attempt id, and the browser
/// binding the request carried (when the verifier checks bindings).
///
/// The store keeps the attempt id with the consumed order, so that asking
/// again with the same claim after a lost reply answers
/// [`Consumed::Accepted`] again rather than [`Consumed::AlreadyConsumed`]:
/// a consume can be retried safely.
///
/// ```
/// use tencent_faceid::callback::BindingHash;
/// use tencent_faceid::orders::Claim;
/// let claim = Claim::new();
/// assert_ne!(claim.attempt(), Claim::new().attempt());
/// let bound = Claim::new().bound_to(BindingHash::of("cookie value"));
/// assert_eq!(bound.binding(), Some(&BindingHash::of("cookie value")));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Claim {
    attempt: u64,
    binding: Option<BindingHash>,
    settlement: Option<SettlementRecord>,
    past_deadline: bool,
}

impl fmt::Debug for Claim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claim")
            .field("attempt", &self.attempt)
            .field("bound", &self.binding.is_some())
            .field("settles", &self.settlement.is_some())
            .field("past_deadline", &self.past_deadline)
            .finish()
    }
}

impl Claim {
    /// A claim with a fresh random attempt id and no binding.
    pub fn new() -> Self {
        Self {
            attempt: rand::random(),
            binding: None,
            settlement: None,
            past_deadline: false,
        }
    }

    /// The same claim, settling the order: a store keeps `settlement`
    /// with the consumed order, in the same atomic step, and answers it
    /// from [`SettlementStore::settlement`] until the order is forgotten.
    /// So an order is never consumed without its settlement being kept.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use tencent_faceid::orders::{Claim, SettlementRecord};
    /// use tencent_faceid::settle::{SettledBy, SettledState};
    /// let record = SettlementRecord::new(SettledState::Passed, SettledBy::Callback, SystemTime::now());
    /// let claim = Claim::new().settling(record.clone());
    /// assert_eq!(claim.settlement(), Some(&record));
    /// ```
    pub fn settling(mut self, settlement: SettlementRecord) -> Self {
        self.settlement = Some(settlement);
        self
    }

    /// The same claim, allowed to consume a pending order whose time to
    /// live ran out (while the store still remembers it): the reconciler
    /// settles abandoned and late orders this way. Callbacks never do.
    ///
    /// ```
    /// use tencent_faceid::orders::Claim;
    /// assert!(Claim::new().past_deadline().is_past_deadline());
    /// assert!(!Claim::new().is_past_deadline());
    /// ```
    pub fn past_deadline(mut self) -> Self {
        self.past_deadline = true;
        self
    }

    /// The settlement to keep with the consumed order, if any.
    pub fn settlement(&self) -> Option<&SettlementRecord> {
        self.settlement.as_ref()
    }

    /// Whether the claim may consume an order past its time to live.
    pub fn is_past_deadline(&self) -> bool {
        self.past_deadline
    }

    /// The same claim, made from the browser holding the binding value
    /// `binding` is the hash of: a pending order bound to another value
    /// answers [`Consumed::OtherBrowser`], and a consumed one bound to this
    /// value [`Consumed::Repeated`].
    pub fn bound_to(mut self, binding: BindingHash) -> Self {
        self.binding = Some(binding);
        self
    }

    /// The attempt id: a random number, the same for every try of this
    /// claim.
    pub fn attempt(&self) -> u64 {
        self.attempt
    }

    /// The browser binding, if the claim carries one.
    pub fn binding(&self) -> Option<&BindingHash> {
        self.binding.as_ref()
    }
}

impl Default for Claim {
    fn default() -> Self {
        Self::new()
    }
}

/// What [`OrderStore::consume`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consumed {
    /// The order was pending and is now consumed: accept the callback.
    Accepted(PendingOrder),
    /// No such order was ever recorded (or it was forgotten long ago).
    Unknown,
    /// The order was recorded but its time to live ran out.
    Expired,
    /// The order was consumed before: this is a replay.
    AlreadyConsumed,
    /// The order was consumed before by the browser making this claim (its
    /// binding matches): the same browser came back, e.g. reloaded the
    /// callback page. Show it the outcome again; grant nothing twice.
    Repeated(PendingOrder),
    /// The order is bound to another browser (or to none while the claim
    /// carries a binding): refused, and left pending for its owner.
    OtherBrowser,
}

/// What [`OrderStore::lookup`] found: what the store knows of an order,
/// read without changing it.
///
/// The callback verifier looks the order up first, before any signature
/// recovery or vendor call: a callback for an order this server never
/// started costs no token, ticket or record fetch.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::time::Duration;
/// use tencent_faceid::{OrderNo, UserId};
/// use tencent_faceid::orders::{Lookup, MemoryOrderStore, OrderStore, PendingOrder};
/// let store = MemoryOrderStore::new();
/// let order_no = OrderNo::new("o1")?;
/// assert_eq!(store.lookup(&order_no).await?, Lookup::Unknown);
/// store.put(PendingOrder::new(order_no.clone(), UserId::new("u1")?), Duration::from_secs(900)).await?;
/// assert_eq!(store.lookup(&order_no).await?, Lookup::Pending { binding: None });
/// store.consume(&order_no).await?;
/// assert_eq!(store.lookup(&order_no).await?, Lookup::Consumed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Lookup {
    /// Pending and within its time to live, bound to the browser whose
    /// binding hashes to `binding`, if any.
    Pending {
        /// The order's browser binding, as put.
        binding: Option<BindingHash>,
    },
    /// Consumed before (accepted, settled, or replayed since).
    Consumed,
    /// Recorded, but its time to live ran out before it was consumed.
    Expired,
    /// Never recorded, or forgotten (e.g. a memory store after a restart).
    Unknown,
}

/// The store failed (not a verdict on the order).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The order number is already recorded: order numbers are single use.
    #[error("order number {0} is already recorded; generate a new one for each session")]
    Duplicate(OrderNo),
    /// The store is full of pending orders that have not expired.
    #[error(
        "the order store holds its maximum of {capacity} pending orders; raise the capacity or shorten the time to live"
    )]
    Full {
        /// The configured capacity.
        capacity: usize,
    },
    /// The user is under a legal hold: nothing of theirs is erased (see
    /// [`Lifecycle::hold`]).
    #[error(
        "the user is under a legal hold, so nothing of theirs is erased; lift the hold with Lifecycle::release once it ends"
    )]
    Held,
    /// The settlement record kept with an order cannot be read: the
    /// message says which field and why.
    #[error(transparent)]
    UnreadableSettlement(#[from] SettlementRecordError),
    /// The backend could not be reached or answered wrongly.
    /// Its message is the backend's own (which says what to check).
    #[error(transparent)]
    Backend(Box<dyn std::error::Error + Send + Sync + 'static>),
}

/// A pending order in the due index: what the
/// [reconciler](crate::settle::Reconciler) looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueOrder {
    /// The order.
    pub order_no: OrderNo,
    /// When its session was started, to the millisecond.
    pub created_at: SystemTime,
}

/// Where pending orders live between session start and callback.
///
/// Object-safe: store it as `Arc<dyn OrderStore>` and call through it (an
/// `Arc` is not itself a store, so no call is boxed twice); a
/// `Wiring` takes the store itself, or an `Arc<dyn SettlementStore>`
/// (`Wiring::shared`).
/// `consume` must be atomic:
/// of two concurrent calls for one order, exactly one gets
/// [`Consumed::Accepted`].
#[async_trait]
pub trait OrderStore: Send + Sync + 'static {
    /// Records a pending order that may be consumed within `ttl`.
    async fn put(&self, order: PendingOrder, ttl: Duration) -> Result<(), StoreError>;

    /// Consumes the order once for `claim`; see [`Consumed`] for the
    /// answers and [`Claim`] for why asking again with the same claim is
    /// safe.
    async fn consume_claim(
        &self,
        order_no: &OrderNo,
        claim: &Claim,
    ) -> Result<Consumed, StoreError>;

    /// What the store knows of the order, read without changing it; see
    /// [`Lookup`]. A consume right after may still answer differently (a
    /// concurrent consume, the time to live running out): the verdict is
    /// always the consume's.
    async fn lookup(&self, order_no: &OrderNo) -> Result<Lookup, StoreError>;

    /// Consumes the order once, for a fresh [`Claim`] without binding.
    async fn consume(&self, order_no: &OrderNo) -> Result<Consumed, StoreError> {
        self.consume_claim(order_no, &Claim::new()).await
    }

    /// Checks that a [`put`](OrderStore::put) now would find room, before
    /// the session starter pays for a vendor session. The default (a store
    /// without a bound) always has room.
    ///
    /// # Errors
    /// [`StoreError::Full`] when the store is full of unexpired orders.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use tencent_faceid::orders::{MemoryOrderStore, OrderStore, StoreError};
    /// assert!(MemoryOrderStore::with_capacity(1).check_room().await.is_ok());
    /// assert!(matches!(MemoryOrderStore::with_capacity(0).check_room().await, Err(StoreError::Full { .. })));
    /// # });
    /// ```
    async fn check_room(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Checks that the backend answers, with one cheap round trip within
    /// the store's own time bound, for the
    /// [health report](crate::FaceId::health): Redis `PING`, PostgreSQL
    /// and MySQL `SELECT 1`. The default (a store in this process, as
    /// [`MemoryOrderStore`]) answers at once.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the backend failed or did not answer
    /// in time.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use tencent_faceid::orders::{MemoryOrderStore, OrderStore};
    /// assert!(MemoryOrderStore::new().ping().await.is_ok());
    /// # });
    /// ```
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The optional power to settle orders and be reconciled: the settlement
/// record kept with a consumed order, and the **due index** of pending
/// orders the [reconciler](crate::settle::Reconciler) looks at (as
/// tower-sessions' `ExpiredDeletion` is to its `SessionStore`).
///
/// The lifecycle of what it holds (retention, purge, erasure, legal hold) is the
/// [`Lifecycle`] every settlement store implements too.
///
/// The [`Settler`](crate::settle::Settler) and the reconciler take a
/// `SettlementStore`, so a store that cannot settle is refused when the
/// program is compiled, not when the reconciler runs. A store keeps its due
/// index from [`OrderStore::put`] on (an order is in it from its start) and
/// keeps a [settling](Claim::settling) claim's [`SettlementRecord`] in the same atomic
/// step as the consume. [`MemoryOrderStore`], `RedisOrderStore` and
/// `PostgresOrderStore` implement it; a store of your own is checked by
/// the `contract` module (feature `contract`).
///
/// Object-safe: store it as `Arc<dyn SettlementStore>`, which upcasts to
/// `Arc<dyn OrderStore>`.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::sync::Arc;
/// use std::time::Duration;
/// use tencent_faceid::{OrderNo, UserId};
/// use tencent_faceid::orders::{MemoryOrderStore, OrderStore, PendingOrder, SettlementStore};
/// let store: Arc<dyn SettlementStore> = Arc::new(MemoryOrderStore::new());
/// let order = PendingOrder::new(OrderNo::new("o1")?, UserId::new("u1")?);
/// let started = order.created_at;
/// store.put(order, Duration::from_secs(1800)).await?;
/// assert_eq!(store.due_backlog(started).await?, 1);
/// let orders: Arc<dyn OrderStore> = store; // every settlement store is an order store
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[async_trait]
pub trait SettlementStore: OrderStore + Lifecycle {
    /// A consumed order and the settlement record kept with it (see
    /// [`Claim::settling`]); `None` when the order is pending, unknown, or
    /// was consumed without one.
    ///
    /// # Errors
    /// [`StoreError::UnreadableSettlement`] when the kept record cannot be
    /// read (a store keeping text decodes it with
    /// [`SettlementRecord::decode`]), [`StoreError::Backend`].
    async fn settlement(
        &self,
        order_no: &OrderNo,
    ) -> Result<Option<(PendingOrder, SettlementRecord)>, StoreError>;

    /// Atomically takes up to `limit` orders from the due index whose
    /// reference time (the session's start, or what
    /// [`reschedule`](SettlementStore::reschedule) set) is at or before `due`,
    /// and moves each one's reference time to `lease`: until then no other
    /// instance takes it, and after then (its taker crashed) any may.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use std::time::{Duration, SystemTime};
    /// use tencent_faceid::{OrderNo, UserId};
    /// use tencent_faceid::orders::{MemoryOrderStore, OrderStore, PendingOrder, SettlementStore};
    /// let store = MemoryOrderStore::new();
    /// let order = PendingOrder::new(OrderNo::new("o1")?, UserId::new("u1")?);
    /// let started = order.created_at;
    /// store.put(order, Duration::from_secs(1800)).await?;
    /// let lease = started + Duration::from_secs(60);
    /// assert_eq!(store.claim_due(started, lease, 10).await?.len(), 1);
    /// assert!(store.claim_due(started, lease, 10).await?.is_empty(), "leased");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    async fn claim_due(
        &self,
        due: SystemTime,
        lease: SystemTime,
        limit: usize,
    ) -> Result<Vec<DueOrder>, StoreError>;

    /// Sets an order's reference time in the due index to `at`, if it is
    /// still there.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn reschedule(&self, order: &DueOrder, at: SystemTime) -> Result<(), StoreError>;

    /// Removes an order from the due index: it is settled and its
    /// settlement delivered (the consumed order itself stays, for replays).
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn forget_due(&self, order: &DueOrder) -> Result<(), StoreError>;

    /// How many orders in the due index have a reference time at or before
    /// `due`: the reconciler's backlog.
    ///
    /// # Errors
    /// [`StoreError::Backend`].
    async fn due_backlog(&self, due: SystemTime) -> Result<u64, StoreError>;
}
