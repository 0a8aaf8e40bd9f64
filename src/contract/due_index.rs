//! The due index part of the order store contract: what the
//! [reconciler](crate::settle::Reconciler) relies on.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::steps::{TTL, accepted, order, put};
use super::{ORDER_STORE, race};
use crate::clock::{from_unix_millis, unix_millis};
use crate::orders::{Claim, DueOrder, PendingOrder, SettlementStore, StoreError};

/// Orders due at once, and the concurrent `claim_due` calls taking them.
const DUE: usize = 24;
const TAKERS: usize = 8;

/// The due index part.
pub(super) async fn due_index<S: SettlementStore>(store: Arc<S>) {
    // Whole milliseconds, as a store may keep them.
    let base = from_unix_millis(unix_millis(SystemTime::now()));
    let at = move |seconds: u64| base + Duration::from_secs(seconds);
    match store.claim_due(at(100_000), at(100_000), DUE).await {
        Ok(due) if due.is_empty() => {}
        other => ORDER_STORE.broken("a fresh store's due index is empty (claim_due)", other),
    }
    let orders: Vec<PendingOrder> = (1..=3)
        .map(|n| PendingOrder {
            created_at: at(n as u64),
            ..order(n)
        })
        .collect();
    for order in &orders {
        put(&*store, order, TTL).await;
    }
    let all: Vec<DueOrder> = orders.iter().map(due_of).collect();
    let counts = (backlog(&*store, at(0)).await, backlog(&*store, at(3)).await);
    let rule = "put adds an order to the due index at its creation time (due_backlog: 0 before the first, 3 at the last)";
    ORDER_STORE.ensure(counts == (0, 3), rule, counts);

    let lease = at(100);
    let mut taken = claim(&*store, at(3), lease, 2).await;
    ORDER_STORE.ensure(
        taken.len() == 2,
        "claim_due takes at most `limit` due orders",
        &taken,
    );
    taken.extend(claim(&*store, at(3), lease, 10).await);
    let rule = "claim_due takes every due order once, with its creation time to the millisecond";
    ORDER_STORE.ensure(sorted(taken.clone()) == sorted(all.clone()), rule, taken);
    let again = claim(&*store, at(99), at(200), 10).await;
    let rule = "claim_due does not take an order again before its lease ends";
    ORDER_STORE.ensure(again.is_empty(), rule, again);
    let counts = (
        backlog(&*store, at(99)).await,
        backlog(&*store, lease).await,
    );
    let rule =
        "claim_due moves the orders it takes to their lease (due_backlog: 0 before it, 3 at it)";
    ORDER_STORE.ensure(counts == (0, 3), rule, counts);
    let retaken = claim(&*store, lease, at(200), 10).await;
    let rule = "claim_due takes an order again once its lease ended (its taker crashed)";
    ORDER_STORE.ensure(
        sorted(retaken.clone()) == sorted(all.clone()),
        rule,
        retaken,
    );

    let [first, second, third] = [&all[0], &all[1], &all[2]];
    due_step(store.reschedule(first, at(150)).await, "reschedule");
    let moved = claim(&*store, at(150), at(300), 10).await;
    let rule = "reschedule moves an order's reference time";
    ORDER_STORE.ensure(moved == [first.clone()], rule, moved);
    let rule = "a put order is Accepted by its first consume";
    accepted(&*store, &orders[1], &Claim::new(), rule).await;
    due_step(store.forget_due(third).await, "forget_due");
    let left = claim(&*store, at(200), at(400), 10).await;
    let rule =
        "a consume leaves the order in the due index (the reconciler delivers its settlement)";
    ORDER_STORE.ensure(left.contains(second), rule, &left);
    ORDER_STORE.ensure(
        !left.contains(third),
        "forget_due removes an order from the due index",
        left,
    );
    due_step(store.reschedule(third, at(0)).await, "reschedule");
    let count = backlog(&*store, at(100_000)).await;
    ORDER_STORE.ensure(
        count == 2,
        "reschedule does not bring a forgotten order back (due_backlog)",
        count,
    );

    let due: Vec<PendingOrder> = (10..10 + DUE)
        .map(|n| PendingOrder {
            created_at: at(10),
            ..order(n)
        })
        .collect();
    for order in &due {
        put(&*store, order, TTL).await;
    }
    let takes = race(TAKERS, |_| {
        let store = Arc::clone(&store);
        async move { store.claim_due(at(10), at(500), DUE / TAKERS + 2).await }
    })
    .await;
    let mut taken = Vec::new();
    for take in takes {
        taken.extend(
            take.unwrap_or_else(|error| ORDER_STORE.broken("claim_due answers, not fails", error)),
        );
    }
    let rule = "concurrent claim_due calls take each due order once, never one order twice";
    ORDER_STORE.ensure(
        sorted(taken.clone()) == sorted(due.iter().map(due_of).collect()),
        rule,
        taken,
    );
}

async fn claim(
    store: &impl SettlementStore,
    due: SystemTime,
    lease: SystemTime,
    limit: usize,
) -> Vec<DueOrder> {
    let taken = store.claim_due(due, lease, limit).await;
    taken.unwrap_or_else(|error| ORDER_STORE.broken("claim_due answers, not fails", error))
}

async fn backlog(store: &impl SettlementStore, due: SystemTime) -> u64 {
    let count = store.due_backlog(due).await;
    count.unwrap_or_else(|error| ORDER_STORE.broken("due_backlog answers, not fails", error))
}

fn due_step(done: Result<(), StoreError>, what: &str) {
    if let Err(error) = done {
        ORDER_STORE.broken(&format!("{what} answers, not fails"), error);
    }
}

fn due_of(order: &PendingOrder) -> DueOrder {
    let (order_no, created_at) = (order.order_no.clone(), order.created_at);
    DueOrder {
        order_no,
        created_at,
    }
}

fn sorted(mut orders: Vec<DueOrder>) -> Vec<DueOrder> {
    orders.sort_by(|a, b| (&a.order_no, a.created_at).cmp(&(&b.order_no, b.created_at)));
    orders
}
