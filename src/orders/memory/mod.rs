//! [`MemoryOrderStore`]: pending orders in this process's memory.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;

use entry::{Entry, InlineId, State};

use super::{
    Claim, Consumed, DueOrder, Lookup, OrderStore, PendingOrder, SettlementRecord, SettlementStore,
    StoreError,
};
use crate::ids::OrderNo;

mod entry;
mod lifecycle;

/// Pending orders held in memory, for a server running as one process.
///
/// - **Bounded**: at most [`capacity`](Self::capacity) orders (pending,
///   expired or consumed) are held. When the store is full, the order
///   closest to (or furthest past) its expiry is evicted if it has expired;
///   if none has, [`OrderStore::put`] fails with [`StoreError::Full`].
/// - **Expiring**: an order can be consumed within the time to live given
///   to [`OrderStore::put`]. An expired order answers [`Consumed::Expired`]
///   until it is evicted to make room, then [`Consumed::Unknown`].
/// - **Replay-proof**: a consumed order stays as a tombstone until its time
///   to live ends, so a second callback for it answers
///   [`Consumed::AlreadyConsumed`] rather than `Unknown`. After its time to
///   live every order (consumed or not) answers `Expired`, then `Unknown`
///   once evicted: the store's promise ends with the time to live.
/// - **Single use**: an order number is refused ([`StoreError::Duplicate`])
///   while the store still remembers it, even expired, so that an old
///   signed callback can never be replayed against a new session that
///   reused its number.
/// - **Claims**: the tombstone keeps the consuming [`Claim`]'s attempt id
///   and the order its browser binding, so the same claim is accepted again
///   and the bound browser gets [`Consumed::Repeated`].
/// - **Atomic**: [`OrderStore::consume`] runs under one short lock that is
///   never held across an `.await`; of concurrent consumes of one order,
///   exactly one gets [`Consumed::Accepted`].
/// - **Due index** (it is a [`SettlementStore`]): an
///   ordered set of (reference time, order) beside the orders, written by
///   `put` and the reconciler, never by `consume`; an evicted order leaves
///   it too.
/// - **Lifecycle** (it is a [`Lifecycle`](crate::orders::Lifecycle)): a
///   purge shrinks a settled order to a tombstone (its user, binding and
///   settlement forgotten) and removes tombstones, each at its
///   [`Retention`](crate::orders::Retention) counted from the consume;
///   there is no separate settlement log. Erasure and legal holds as in
///   every store.
///
/// Clones share the same orders, so one store can be handed to the session
/// starter and to the callback verifier. Several server instances need a
/// shared store instead (feature `redis` or `postgres`).
///
/// **Nothing survives a restart**: a user who finishes the face check while
/// the server restarts gets 404, and settlements not yet delivered to the
/// hook are lost. In a release build, the first store built in a process
/// says so once, at WARN. Where that matters, use `RedisOrderStore` (with
/// Redis persistence) or `PostgresOrderStore` (durable, with a settlement
/// log).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::time::Duration;
/// use tencent_faceid::{OrderNo, UserId};
/// use tencent_faceid::orders::{Consumed, MemoryOrderStore, OrderStore, PendingOrder};
///
/// let store = MemoryOrderStore::with_capacity(1_000);
/// let order_no = OrderNo::new("order1")?;
/// store.put(PendingOrder::new(order_no.clone(), UserId::new("u1")?), Duration::from_secs(600)).await?;
/// assert!(matches!(store.consume(&order_no).await?, Consumed::Accepted(_)));
/// assert_eq!(store.consume(&order_no).await?, Consumed::AlreadyConsumed);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct MemoryOrderStore {
    shared: Arc<Shared>,
}

struct Shared {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// By order number.
    entries: HashMap<InlineId, Entry>,
    /// One element per entry, earliest expiry on top.
    expiries: BinaryHeap<Reverse<(Instant, InlineId)>>,
    /// One element per entry in the due index, by reference time.
    due: BTreeSet<(SystemTime, InlineId)>,
    /// The users under a legal hold.
    holds: HashSet<InlineId>,
}

impl MemoryOrderStore {
    /// The capacity of [`MemoryOrderStore::new`]: a hundred thousand orders
    /// (a few tens of megabytes at most).
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// Stands in for a time to live too long for `Instant`: a century.
    const NEVER: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

    /// A store holding at most [`Self::DEFAULT_CAPACITY`] orders.
    ///
    /// ```
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// assert_eq!(MemoryOrderStore::new().capacity(), MemoryOrderStore::DEFAULT_CAPACITY);
    /// ```
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// A store holding at most `capacity` orders. Size it for the sessions
    /// started within one time to live, tombstones included.
    ///
    /// ```
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// let store = MemoryOrderStore::with_capacity(10);
    /// assert_eq!(store.capacity(), 10);
    /// assert!(store.is_empty());
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        Self::builder().capacity(capacity).build()
    }

    /// Starts configuring a store.
    ///
    /// ```
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// let store = MemoryOrderStore::builder().capacity(10_000).build();
    /// assert_eq!(store.capacity(), 10_000);
    /// ```
    pub fn builder() -> MemoryOrderStoreBuilder {
        MemoryOrderStoreBuilder {
            capacity: Self::DEFAULT_CAPACITY,
        }
    }

    /// The most orders held at once.
    pub fn capacity(&self) -> usize {
        self.shared.capacity
    }

    /// How many orders are held now: pending, consumed (tombstones) and
    /// expired ones not yet evicted.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no order is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // No code path panics while holding the lock with the two maps out
        // of step, so a poisoned lock still guards consistent data.
        self.shared
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn put_at(&self, order: PendingOrder, ttl: Duration, now: Instant) -> Result<(), StoreError> {
        let capacity = self.shared.capacity;
        let key = InlineId::new(order.order_no.as_str());
        let mut inner = self.lock();
        if inner.entries.contains_key(&key) {
            return Err(StoreError::Duplicate(order.order_no));
        }
        if inner.entries.len() >= capacity && !inner.evict_one_expired(now) {
            tracing::warn!(capacity, "memory order store is full of unexpired orders");
            return Err(StoreError::Full { capacity });
        }
        // A deadline past what `Instant` can hold is as good as never.
        let expires_at = now
            .checked_add(ttl)
            .or_else(|| now.checked_add(Self::NEVER))
            .unwrap_or(now);
        inner.expiries.push(Reverse((expires_at, key)));
        let due = Some(order.created_at);
        inner.due.insert((order.created_at, key));
        inner
            .entries
            .insert(key, Entry::pending(&order, expires_at, due));
        Ok(())
    }

    fn consume_at(&self, order_no: &OrderNo, claim: &Claim, now: Instant) -> Consumed {
        let key = InlineId::new(order_no.as_str());
        let mut inner = self.lock();
        let Some(entry) = inner.entries.get_mut(&key) else {
            return Consumed::Unknown;
        };
        if now >= entry.expires_at && !claim.is_past_deadline() {
            return Consumed::Expired;
        }
        let same_browser = entry.binding.as_ref() == claim.binding();
        match &entry.state {
            State::Pending if claim.binding().is_some() && !same_browser => Consumed::OtherBrowser,
            State::Pending => {
                entry.state = State::Consumed {
                    attempt: Some(claim.attempt()),
                    settlement: claim.settlement().cloned(),
                    at: SystemTime::now(),
                };
                Consumed::Accepted(entry.order(&key))
            }
            State::Consumed { attempt, .. } if *attempt == Some(claim.attempt()) => {
                Consumed::Accepted(entry.order(&key))
            }
            State::Consumed { .. } if claim.binding().is_some() && same_browser => {
                Consumed::Repeated(entry.order(&key))
            }
            State::Consumed { .. } => Consumed::AlreadyConsumed,
        }
    }

    /// What the store knows of `order_no` at `now`: what a callback's
    /// consume would find, without consuming.
    fn lookup_at(&self, order_no: &OrderNo, now: Instant) -> Lookup {
        let key = InlineId::new(order_no.as_str());
        let inner = self.lock();
        match inner.entries.get(&key) {
            None => Lookup::Unknown,
            Some(entry) if now >= entry.expires_at => Lookup::Expired,
            Some(Entry {
                state: State::Consumed { .. },
                ..
            }) => Lookup::Consumed,
            Some(entry) => Lookup::Pending {
                binding: entry.binding,
            },
        }
    }

    /// Whether a put at `now` finds room.
    fn check_room_at(&self, now: Instant) -> Result<(), StoreError> {
        let capacity = self.shared.capacity;
        let mut inner = self.lock();
        inner.drop_stale_expiries();
        let expired_first = inner
            .expiries
            .peek()
            .is_some_and(|Reverse((expires_at, _))| *expires_at <= now);
        if inner.entries.len() < capacity || expired_first {
            Ok(())
        } else {
            Err(StoreError::Full { capacity })
        }
    }
}

impl Inner {
    /// Drops the elements on top of the heap whose entry is gone (purged
    /// or erased) or was put again since.
    fn drop_stale_expiries(&mut self) {
        while let Some(Reverse((expires_at, key))) = self.expiries.peek().copied() {
            let current = self
                .entries
                .get(&key)
                .is_some_and(|entry| entry.expires_at == expires_at);
            if current {
                return;
            }
            self.expiries.pop();
        }
    }

    /// Evicts the entry that expires first, if it has expired.
    fn evict_one_expired(&mut self, now: Instant) -> bool {
        self.drop_stale_expiries();
        match self.expiries.peek() {
            Some(Reverse((expires_at, _))) if *expires_at <= now => {}
            _ => return false,
        }
        if let Some(Reverse((_, key))) = self.expiries.pop() {
            self.remove(&key);
        }
        true
    }

    /// Removes an entry, and takes it out of the due index.
    fn remove(&mut self, key: &InlineId) {
        if let Some(Entry { due: Some(due), .. }) = self.entries.remove(key) {
            self.due.remove(&(due, *key));
        }
    }

    /// Moves an order's reference time in the due index (`None`: out of
    /// it), if the order is still there.
    fn set_due(&mut self, order_no: &OrderNo, at: Option<SystemTime>) {
        let key = InlineId::new(order_no.as_str());
        let Some(entry) = self.entries.get_mut(&key) else {
            return;
        };
        let Some(old) = entry.due else {
            return;
        };
        entry.due = at;
        self.due.remove(&(old, key));
        if let Some(at) = at {
            self.due.insert((at, key));
        }
    }
}

/// Configures a [`MemoryOrderStore`]; made by [`MemoryOrderStore::builder`].
#[derive(Debug, Clone)]
pub struct MemoryOrderStoreBuilder {
    capacity: usize,
}

impl MemoryOrderStoreBuilder {
    /// The most orders held at once (pending, consumed or expired); default
    /// [`MemoryOrderStore::DEFAULT_CAPACITY`]. Size it for the sessions
    /// started within one time to live, tombstones included.
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// Builds the store; in a release build, the first one built in the
    /// process warns that nothing it holds survives a restart.
    pub fn build(self) -> MemoryOrderStore {
        if !cfg!(debug_assertions) {
            warn_not_durable();
        }
        MemoryOrderStore {
            shared: Arc::new(Shared {
                capacity: self.capacity,
                inner: Mutex::new(Inner::default()),
            }),
        }
    }
}

/// Warns, once per process, that a memory store loses everything on
/// restart.
fn warn_not_durable() {
    static WARNED: std::sync::Once = std::sync::Once::new();
    WARNED.call_once(|| {
        tracing::warn!("MemoryOrderStore keeps orders in this process only: pending sessions and undelivered settlements are lost on restart; use RedisOrderStore (with persistence) or PostgresOrderStore (durable, with a settlement log) in production");
    });
}

impl Default for MemoryOrderStore {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemoryOrderStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryOrderStore")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .finish()
    }
}

#[async_trait]
impl OrderStore for MemoryOrderStore {
    async fn put(&self, order: PendingOrder, ttl: Duration) -> Result<(), StoreError> {
        self.put_at(order, ttl, Instant::now())
    }

    async fn consume_claim(
        &self,
        order_no: &OrderNo,
        claim: &Claim,
    ) -> Result<Consumed, StoreError> {
        Ok(self.consume_at(order_no, claim, Instant::now()))
    }

    async fn lookup(&self, order_no: &OrderNo) -> Result<Lookup, StoreError> {
        Ok(self.lookup_at(order_no, Instant::now()))
    }

    async fn check_room(&self) -> Result<(), StoreError> {
        self.check_room_at(Instant::now())
    }
}

#[async_trait]
impl SettlementStore for MemoryOrderStore {
    async fn settlement(
        &self,
        order_no: &OrderNo,
    ) -> Result<Option<(PendingOrder, SettlementRecord)>, StoreError> {
        let inner = self.lock();
        let key = InlineId::new(order_no.as_str());
        Ok(match inner.entries.get(&key) {
            Some(
                entry @ Entry {
                    state:
                        State::Consumed {
                            settlement: Some(settlement),
                            ..
                        },
                    ..
                },
            ) => Some((entry.order(&key), settlement.clone())),
            _ => None,
        })
    }

    async fn claim_due(
        &self,
        due: SystemTime,
        lease: SystemTime,
        limit: usize,
    ) -> Result<Vec<DueOrder>, StoreError> {
        let mut inner = self.lock();
        let taken: Vec<(SystemTime, InlineId)> = inner
            .due
            .iter()
            .take_while(|(at, _)| *at <= due)
            .take(limit)
            .copied()
            .collect();
        let mut orders = Vec::with_capacity(taken.len());
        for (_, key) in taken {
            let Some(entry) = inner.entries.get(&key) else {
                continue;
            };
            let due_order = DueOrder {
                order_no: OrderNo::revalidated(key.as_str()),
                created_at: entry.created_at,
            };
            inner.set_due(&due_order.order_no, Some(lease));
            orders.push(due_order);
        }
        Ok(orders)
    }

    async fn reschedule(&self, order: &DueOrder, at: SystemTime) -> Result<(), StoreError> {
        self.lock().set_due(&order.order_no, Some(at));
        Ok(())
    }

    async fn forget_due(&self, order: &DueOrder) -> Result<(), StoreError> {
        self.lock().set_due(&order.order_no, None);
        Ok(())
    }

    async fn due_backlog(&self, due: SystemTime) -> Result<u64, StoreError> {
        let inner = self.lock();
        let count = inner.due.iter().take_while(|(at, _)| *at <= due).count();
        Ok(u64::try_from(count).unwrap_or(u64::MAX))
    }
}

#[cfg(test)]
mod tests;
