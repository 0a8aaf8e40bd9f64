//! The memory store on an explicit clock (`Instant`s passed in).

use super::*;
use crate::ids::UserId;
use crate::orders::{SettledBy, SettledState};

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
    let store = MemoryOrderStore::new();
    let t0 = Instant::now();
    store.put_at(order(1), TTL, t0).unwrap();
    assert_eq!(
        store.consume_at(&no(1), &Claim::new(), t0 + TTL),
        Consumed::Expired
    );
    let record = SettlementRecord::new(
        SettledState::Abandoned,
        SettledBy::Reconciler,
        SystemTime::now(),
    );
    let claim = Claim::new().past_deadline().settling(record.clone());
    assert!(matches!(
        store.consume_at(&no(1), &claim, t0 + TTL),
        Consumed::Accepted(_)
    ));
    let (kept, settlement) = store.settlement(&no(1)).await.unwrap().unwrap();
    assert_eq!((kept.order_no, settlement), (no(1), record));
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

#[test]
fn an_order_removed_and_put_again_is_not_evicted_by_its_old_expiry() {
    let store = MemoryOrderStore::with_capacity(2);
    let t0 = Instant::now();
    store.put_at(order(1), Duration::ZERO, t0).unwrap();
    // Erased (or purged), then put again with a long time to live.
    store.lock().remove(&InlineId::new("order1"));
    store.put_at(order(1), TTL, t0).unwrap();
    store.put_at(order(2), TTL, t0).unwrap();
    let later = t0 + Duration::from_secs(1);
    assert!(matches!(
        store.check_room_at(later),
        Err(StoreError::Full { capacity: 2 })
    ));
    assert!(matches!(
        store.put_at(order(3), TTL, later),
        Err(StoreError::Full { capacity: 2 })
    ));
    assert!(matches!(
        store.lookup_at(&no(1), later),
        Lookup::Pending { .. }
    ));
}
