//! [`MemoryOrderStore`]: pending orders in this process's memory.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;

use super::{Claim, Consumed, DueOrder, OrderStore, PendingOrder, StoreError};
use crate::ids::OrderNo;

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
/// - **Due index** (on unless [`due_index(false)`](Self::due_index)): an
///   ordered set of (reference time, order) beside the orders, written by
///   `put` and the reconciler, never by `consume`; an evicted order leaves
///   it too.
///
/// Clones share the same orders, so one store can be handed to the session
/// starter and to the callback verifier. Several server instances need a
/// shared store instead (feature `redis`).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::time::Duration;
/// use tencent_faceid::ids::{OrderNo, UserId};
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
    due_index: bool,
}

struct Shared {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    /// One element per entry, earliest expiry on top.
    expiries: BinaryHeap<Reverse<(Instant, Key)>>,
    /// One element per entry in the due index, by reference time.
    due: BTreeSet<(SystemTime, Key)>,
}

/// An order number held inline (at most 32 ASCII bytes, as [`OrderNo`]
/// guarantees): no allocation to record it twice, no pointer to follow to
/// compare it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    len: u8,
    bytes: [u8; Key::MAX],
}

impl Key {
    const MAX: usize = 32;

    fn new(order_no: &OrderNo) -> Self {
        let source = order_no.as_str().as_bytes();
        // `OrderNo` holds at most 32 bytes; `min` only keeps this total.
        let len = source.len().min(Self::MAX);
        let mut bytes = [0; Self::MAX];
        bytes[..len].copy_from_slice(&source[..len]);
        Self {
            len: len as u8,
            bytes,
        }
    }
}

impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write(&self.bytes[..usize::from(self.len)]);
    }
}

struct Entry {
    expires_at: Instant,
    state: State,
    /// Its reference time in the due index, while it is there.
    due: Option<SystemTime>,
}

/// Shared, so that a consume copies the order after the lock, not under
/// it.
enum State {
    Pending(Arc<PendingOrder>),
    /// The order, the attempt that consumed it and the settlement kept
    /// with it.
    Consumed(Arc<PendingOrder>, u64, Option<String>),
}

/// A consumed order found for a claim: by its first consume (or the same
/// claim again), or by the bound browser coming back.
enum Found {
    First(Arc<PendingOrder>),
    Again(Arc<PendingOrder>),
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
        Self {
            shared: Arc::new(Shared {
                capacity,
                inner: Mutex::new(Inner::default()),
            }),
            due_index: true,
        }
    }

    /// Whether orders are put in the due index the
    /// [reconciler](crate::settle::Reconciler) reads; default on. Turn it off
    /// only in a server that never reconciles (it saves one ordered-set
    /// insertion per put).
    ///
    /// ```
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// let store = MemoryOrderStore::new().due_index(false);
    /// ```
    pub fn due_index(mut self, on: bool) -> Self {
        self.due_index = on;
        self
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
        let key = Key::new(&order.order_no);
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
        let due = self.due_index.then_some(order.created_at);
        if let Some(due) = due {
            inner.due.insert((due, key));
        }
        inner.entries.insert(
            key,
            Entry {
                expires_at,
                state: State::Pending(Arc::new(order)),
                due,
            },
        );
        Ok(())
    }

    fn consume_at(&self, order_no: &OrderNo, claim: &Claim, now: Instant) -> Consumed {
        let key = Key::new(order_no);
        let settlement = claim.settlement().map(str::to_owned);
        // Under the lock: only what decides; the order is copied after.
        let found = {
            let mut inner = self.lock();
            let Some(entry) = inner.entries.get_mut(&key) else {
                return Consumed::Unknown;
            };
            if now >= entry.expires_at && !claim.is_past_deadline() {
                return Consumed::Expired;
            }
            match &entry.state {
                State::Pending(order)
                    if claim.binding().is_some_and(|b| order.binding != Some(*b)) =>
                {
                    return Consumed::OtherBrowser
                }
                State::Pending(order) => {
                    let order = Arc::clone(order);
                    entry.state = State::Consumed(Arc::clone(&order), claim.attempt(), settlement);
                    Found::First(order)
                }
                State::Consumed(order, attempt, _) if *attempt == claim.attempt() => {
                    Found::First(Arc::clone(order))
                }
                State::Consumed(order, ..)
                    if claim.binding().is_some() && order.binding.as_ref() == claim.binding() =>
                {
                    Found::Again(Arc::clone(order))
                }
                State::Consumed(..) => return Consumed::AlreadyConsumed,
            }
        };
        match found {
            Found::First(order) => Consumed::Accepted(PendingOrder::clone(&order)),
            Found::Again(order) => Consumed::Repeated(PendingOrder::clone(&order)),
        }
    }

    /// Whether a put at `now` finds room.
    fn check_room_at(&self, now: Instant) -> Result<(), StoreError> {
        let capacity = self.shared.capacity;
        let inner = self.lock();
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
    /// Evicts the entry that expires first, if it has expired.
    fn evict_one_expired(&mut self, now: Instant) -> bool {
        match self.expiries.peek() {
            Some(Reverse((expires_at, _))) if *expires_at <= now => {}
            _ => return false,
        }
        if let Some(Reverse((_, key))) = self.expiries.pop() {
            if let Some(Entry { due: Some(due), .. }) = self.entries.remove(&key) {
                self.due.remove(&(due, key));
            }
        }
        true
    }

    /// Moves an order's reference time in the due index (`None`: out of
    /// it), if the order is still there.
    fn set_due(&mut self, order_no: &OrderNo, at: Option<SystemTime>) {
        let key = Key::new(order_no);
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

    async fn check_room(&self) -> Result<(), StoreError> {
        self.check_room_at(Instant::now())
    }

    async fn settlement(
        &self,
        order_no: &OrderNo,
    ) -> Result<Option<(PendingOrder, String)>, StoreError> {
        let inner = self.lock();
        Ok(match inner.entries.get(&Key::new(order_no)) {
            Some(Entry {
                state: State::Consumed(order, _, Some(settlement)),
                ..
            }) => Some((PendingOrder::clone(order), settlement.clone())),
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
        let taken: Vec<(SystemTime, Key)> = inner
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
            let order = match &entry.state {
                State::Pending(order) | State::Consumed(order, ..) => order,
            };
            let due_order = DueOrder {
                order_no: order.order_no.clone(),
                created_at: order.created_at,
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
mod tests {
    use super::*;
    use crate::ids::UserId;

    const TTL: Duration = Duration::from_secs(60);

    fn order(n: usize) -> PendingOrder {
        PendingOrder::new(
            OrderNo::new(format!("order{n}")).unwrap(),
            UserId::new(format!("user{n}")).unwrap(),
        )
    }

    fn no(n: usize) -> OrderNo {
        order(n).order_no
    }

    #[test]
    fn the_same_claim_is_accepted_again_and_a_bound_browser_repeats() {
        use crate::binding::BindingHash;
        let store = MemoryOrderStore::new();
        let t0 = Instant::now();
        let mine = BindingHash::of("mine");
        store.put_at(order(1).bound_to(mine), TTL, t0).unwrap();
        let other = Claim::new().bound_to(BindingHash::of("theirs"));
        assert_eq!(store.consume_at(&no(1), &other, t0), Consumed::OtherBrowser);
        let claim = Claim::new().bound_to(mine);
        assert!(matches!(
            store.consume_at(&no(1), &claim, t0),
            Consumed::Accepted(_)
        ));
        assert!(matches!(
            store.consume_at(&no(1), &claim, t0),
            Consumed::Accepted(_)
        ));
        let reload = Claim::new().bound_to(mine);
        assert!(matches!(
            store.consume_at(&no(1), &reload, t0),
            Consumed::Repeated(_)
        ));
        assert_eq!(
            store.consume_at(&no(1), &other, t0),
            Consumed::AlreadyConsumed
        );
        assert_eq!(
            store.consume_at(&no(1), &Claim::new(), t0),
            Consumed::AlreadyConsumed
        );
    }

    #[test]
    fn check_room_counts_unexpired_orders_only() {
        let store = MemoryOrderStore::with_capacity(1);
        let t0 = Instant::now();
        assert!(store.check_room_at(t0).is_ok());
        store.put_at(order(1), TTL, t0).unwrap();
        assert!(matches!(
            store.check_room_at(t0),
            Err(StoreError::Full { capacity: 1 })
        ));
        assert!(store.check_room_at(t0 + TTL).is_ok());
    }

    #[test]
    fn pending_then_consumed_then_replay() {
        let store = MemoryOrderStore::new();
        let t0 = Instant::now();
        store.put_at(order(1), TTL, t0).unwrap();
        match store.consume_at(&no(1), &Claim::new(), t0 + Duration::from_secs(1)) {
            Consumed::Accepted(found) => assert_eq!(found.user_id.as_str(), "user1"),
            other => panic!("expected Accepted, got {other:?}"),
        }
        assert_eq!(
            store.consume_at(&no(1), &Claim::new(), t0 + Duration::from_secs(2)),
            Consumed::AlreadyConsumed
        );
        assert_eq!(
            store.consume_at(&no(2), &Claim::new(), t0),
            Consumed::Unknown
        );
    }

    #[test]
    fn expiry_is_exact_and_applies_to_tombstones() {
        let store = MemoryOrderStore::new();
        let t0 = Instant::now();
        store.put_at(order(1), TTL, t0).unwrap();
        store.put_at(order(2), TTL, t0).unwrap();
        assert_eq!(
            store.consume_at(&no(1), &Claim::new(), t0 + TTL),
            Consumed::Expired
        );
        assert!(matches!(
            store.consume_at(&no(2), &Claim::new(), t0 + TTL - Duration::from_nanos(1)),
            Consumed::Accepted(_)
        ));
        assert_eq!(
            store.consume_at(&no(2), &Claim::new(), t0 + TTL),
            Consumed::Expired
        );
    }

    #[test]
    fn full_store_evicts_expired_orders_first() {
        let store = MemoryOrderStore::with_capacity(2);
        let t0 = Instant::now();
        store.put_at(order(1), Duration::from_secs(10), t0).unwrap();
        store.put_at(order(2), Duration::from_secs(20), t0).unwrap();
        // Nothing expired yet: full.
        let err = store
            .put_at(order(3), TTL, t0 + Duration::from_secs(5))
            .unwrap_err();
        assert!(matches!(err, StoreError::Full { capacity: 2 }), "{err}");
        // Order 1 expired: it makes room, order 2 stays.
        store
            .put_at(order(3), TTL, t0 + Duration::from_secs(10))
            .unwrap();
        assert_eq!(store.len(), 2);
        let later = t0 + Duration::from_secs(11);
        assert_eq!(
            store.consume_at(&no(1), &Claim::new(), later),
            Consumed::Unknown
        );
        assert!(matches!(
            store.consume_at(&no(2), &Claim::new(), later),
            Consumed::Accepted(_)
        ));
        assert!(matches!(
            store.consume_at(&no(3), &Claim::new(), later),
            Consumed::Accepted(_)
        ));
    }

    #[test]
    fn tombstones_hold_their_place_until_expiry() {
        let store = MemoryOrderStore::with_capacity(1);
        let t0 = Instant::now();
        store.put_at(order(1), TTL, t0).unwrap();
        assert!(matches!(
            store.consume_at(&no(1), &Claim::new(), t0),
            Consumed::Accepted(_)
        ));
        assert!(matches!(
            store.put_at(order(2), TTL, t0 + TTL - Duration::from_nanos(1)),
            Err(StoreError::Full { .. })
        ));
        store.put_at(order(2), TTL, t0 + TTL).unwrap();
        assert_eq!(
            store.consume_at(&no(1), &Claim::new(), t0 + TTL),
            Consumed::Unknown
        );
    }

    #[test]
    fn order_numbers_are_refused_while_remembered() {
        let store = MemoryOrderStore::new();
        let t0 = Instant::now();
        store.put_at(order(1), TTL, t0).unwrap();
        let err = store.put_at(order(1), TTL, t0).unwrap_err();
        assert!(
            matches!(&err, StoreError::Duplicate(n) if n == &no(1)),
            "{err}"
        );
        store.consume_at(&no(1), &Claim::new(), t0);
        // Consumed, and even expired: still remembered, still refused.
        assert!(matches!(
            store.put_at(order(1), TTL, t0 + 2 * TTL),
            Err(StoreError::Duplicate(_))
        ));
    }

    #[test]
    fn zero_capacity_refuses_everything() {
        let store = MemoryOrderStore::with_capacity(0);
        assert!(matches!(
            store.put_at(order(1), TTL, Instant::now()),
            Err(StoreError::Full { capacity: 0 })
        ));
    }

    #[test]
    fn huge_ttl_does_not_overflow() {
        let store = MemoryOrderStore::new();
        let t0 = Instant::now();
        store.put_at(order(1), Duration::MAX, t0).unwrap();
        assert!(matches!(
            store.consume_at(
                &no(1),
                &Claim::new(),
                t0 + Duration::from_secs(365 * 24 * 3600)
            ),
            Consumed::Accepted(_)
        ));
    }

    #[tokio::test]
    async fn the_due_index_leases_reschedules_and_forgets() {
        let store = MemoryOrderStore::new();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        for n in 1..=3 {
            let mut pending = order(n);
            pending.created_at = t0 + Duration::from_secs(n as u64);
            store.put(pending, TTL).await.unwrap();
        }
        let lease = t0 + Duration::from_secs(100);
        let due = store
            .claim_due(t0 + Duration::from_secs(2), lease, 10)
            .await
            .unwrap();
        let names: Vec<_> = due.iter().map(|d| d.order_no.as_str()).collect();
        assert_eq!(names, ["order1", "order2"]);
        assert_eq!(store.due_backlog(lease).await.unwrap(), 3);
        store.forget_due(&due[0]).await.unwrap();
        store.reschedule(&due[1], t0).await.unwrap();
        let again = store.claim_due(lease, lease, 10).await.unwrap();
        let names: Vec<_> = again.iter().map(|d| d.order_no.as_str()).collect();
        assert_eq!(names, ["order2", "order3"]);
        assert_eq!(store.due_backlog(lease).await.unwrap(), 2);
    }

    #[tokio::test]
    async fn a_settling_claim_keeps_its_record_and_may_pass_the_deadline() {
        let store = MemoryOrderStore::new().due_index(false);
        let t0 = Instant::now();
        store.put_at(order(1), TTL, t0).unwrap();
        assert_eq!(
            store.consume_at(&no(1), &Claim::new(), t0 + TTL),
            Consumed::Expired
        );
        let claim = Claim::new().past_deadline().settling("abandoned");
        assert!(matches!(
            store.consume_at(&no(1), &claim, t0 + TTL),
            Consumed::Accepted(_)
        ));
        let (kept, settlement) = store.settlement(&no(1)).await.unwrap().unwrap();
        assert_eq!((kept.order_no, settlement.as_str()), (no(1), "abandoned"));
        assert_eq!(store.due_backlog(SystemTime::now()).await.unwrap(), 0);
    }

    #[test]
    fn debug_shows_sizes_only() {
        let store = MemoryOrderStore::with_capacity(5);
        store.put_at(order(1), TTL, Instant::now()).unwrap();
        let debug = format!("{store:?}");
        assert_eq!(debug, "MemoryOrderStore { capacity: 5, len: 1 }");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn exactly_one_of_many_concurrent_consumes_wins() {
        const TASKS: usize = 64;
        let store = MemoryOrderStore::new();
        store.put(order(1), TTL).await.unwrap();
        let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
        let mut handles = Vec::with_capacity(TASKS);
        for _ in 0..TASKS {
            let (store, barrier) = (store.clone(), Arc::clone(&barrier));
            handles.push(tokio::spawn(async move {
                barrier.wait().await;
                store.consume(&no(1)).await.unwrap()
            }));
        }
        let (mut accepted, mut replays) = (0, 0);
        for handle in handles {
            match handle.await.unwrap() {
                Consumed::Accepted(_) => accepted += 1,
                Consumed::AlreadyConsumed => replays += 1,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!((accepted, replays), (1, TASKS - 1));
    }
}
