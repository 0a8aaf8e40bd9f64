//! The steps the order store suites share: an order, put, consumed, its
//! settlement read, each failing with the rule it breaks.

use std::time::{Duration, UNIX_EPOCH};

use super::ORDER_STORE;
use crate::ids::{OrderNo, UserId};
use crate::orders::{
    Claim, Consumed, Lookup, OrderStore, PendingOrder, SettledBy, SettledState, SettlementRecord,
    SettlementStore, StoreError,
};

/// A settlement as a callback makes it.
pub(super) fn callback_settlement() -> SettlementRecord {
    let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_000);
    SettlementRecord::new(SettledState::Passed, SettledBy::Callback, at)
}

/// A time to live no step outlives.
pub(super) const TTL: Duration = Duration::from_secs(3600);

/// Order `contract<n>` of user `user<n>`, started now.
pub(super) fn order(n: usize) -> PendingOrder {
    let order_no = OrderNo::new(format!("contract{n}")).expect("a valid order number");
    let user_id = UserId::new(format!("user{n}")).expect("a valid user id");
    PendingOrder::new(order_no, user_id)
}

/// Whether `got` is the order `put` (its creation time may be rounded).
pub(super) fn same(put: &PendingOrder, got: &PendingOrder) -> bool {
    (&put.order_no, &put.user_id, &put.binding) == (&got.order_no, &got.user_id, &got.binding)
}

/// Whether exactly one of `answers` accepted `order` and the others are
/// replays.
pub(super) fn accepted_once<'a>(
    order: &PendingOrder,
    answers: impl Iterator<Item = &'a Result<Consumed, StoreError>>,
) -> bool {
    let (mut accepted, mut others) = (0, 0);
    for answer in answers {
        match answer {
            Ok(Consumed::Accepted(got)) if same(order, got) => accepted += 1,
            Ok(Consumed::AlreadyConsumed) => {}
            _ => others += 1,
        }
    }
    accepted == 1 && others == 0
}

pub(super) async fn put(store: &impl OrderStore, order: &PendingOrder, ttl: Duration) {
    if let Err(error) = store.put(order.clone(), ttl).await {
        ORDER_STORE.broken("put records an order with a new number", error);
    }
}

pub(super) fn duplicate(put: Result<(), StoreError>, first: &PendingOrder, rule: &str) {
    ORDER_STORE.ensure(
        matches!(&put, Err(StoreError::Duplicate(n)) if *n == first.order_no),
        rule,
        put,
    );
}

pub(super) async fn consume(
    store: &impl OrderStore,
    order_no: &OrderNo,
    claim: &Claim,
) -> Consumed {
    let answer = store.consume_claim(order_no, claim).await;
    answer.unwrap_or_else(|error| {
        ORDER_STORE.broken("consume_claim answers a verdict, not an error", error)
    })
}

pub(super) async fn lookup(store: &impl OrderStore, order_no: &OrderNo) -> Lookup {
    let answer = store.lookup(order_no).await;
    answer.unwrap_or_else(|error| {
        ORDER_STORE.broken("lookup answers what it found, not an error", error)
    })
}

/// Consumes `order` for `claim`, which `rule` says must be accepted.
pub(super) async fn accepted(
    store: &impl OrderStore,
    order: &PendingOrder,
    claim: &Claim,
    rule: &str,
) {
    match consume(store, &order.order_no, claim).await {
        Consumed::Accepted(got) if same(order, &got) => {}
        other => ORDER_STORE.broken(rule, other),
    }
}

pub(super) async fn settlement(
    store: &impl SettlementStore,
    order: &PendingOrder,
) -> Option<(PendingOrder, SettlementRecord)> {
    let kept = store.settlement(&order.order_no).await;
    kept.unwrap_or_else(|error| ORDER_STORE.broken("settlement() answers, not fails", error))
}
