//! The lifecycle part of the settlement store contract: erasure, legal
//! hold and a purge that keeps what it must (see
//! [`settlement_store`](super::settlement_store)).

use std::time::{Duration, SystemTime};

use super::steps::{TTL, accepted, callback_settlement, consume, lookup, put, settlement};
use super::{ORDER_STORE, SuiteOutcome};
use crate::ids::{OrderNo, UserId};
use crate::orders::{
    Claim, Consumed, DueOrder, Erased, Lookup, PendingOrder, Retention, SettlementStore, StoreError,
};

/// The lifecycle parts, each on a fresh backend.
pub(super) async fn lifecycle<S: SettlementStore>(
    make: &impl AsyncFn() -> S,
    outcome: &mut SuiteOutcome,
) {
    erasure_and_hold(&make().await).await;
    outcome.checked("erasure and legal hold");
    purge_keeps(&make().await).await;
    outcome.checked("purge");
}

/// Order `lifecycle<n>` of `user`.
fn order_of(n: usize, user: &str) -> PendingOrder {
    let order_no = OrderNo::new(format!("lifecycle{n}")).expect("a valid order number");
    PendingOrder::new(order_no, UserId::new(user).expect("a valid user id"))
}

/// Puts `order`, consumes it with a settlement and takes it out of the
/// due index, as a delivered settlement is.
async fn settled(store: &impl SettlementStore, order: &PendingOrder) {
    put(store, order, TTL).await;
    let rule = "a settling claim consumes a pending order";
    accepted(
        store,
        order,
        &Claim::new().settling(callback_settlement()),
        rule,
    )
    .await;
    let due = DueOrder {
        order_no: order.order_no.clone(),
        created_at: order.created_at,
    };
    if let Err(error) = store.forget_due(&due).await {
        ORDER_STORE.broken("forget_due answers, not fails", error);
    }
}

async fn erase(store: &impl SettlementStore, user: &UserId) -> Result<Erased, StoreError> {
    store.erase_user(user).await
}

fn answered<T: std::fmt::Debug>(done: Result<T, StoreError>, what: &str) -> T {
    done.unwrap_or_else(|error| ORDER_STORE.broken(&format!("{what} answers, not fails"), error))
}

async fn erasure_and_hold(store: &impl SettlementStore) {
    let (pending, consumed, other) = (
        order_of(1, "erased"),
        order_of(2, "erased"),
        order_of(3, "other"),
    );
    put(store, &pending, TTL).await;
    settled(store, &consumed).await;
    put(store, &other, TTL).await;

    let erased = answered(erase(store, &pending.user_id).await, "erase_user");
    let expected = Erased {
        orders: 1,
        anonymised: 1,
        settlements: 1,
    };
    let rule = "erase_user removes the user's pending order, anonymises their consumed one and removes its settlement, and answers those counts";
    ORDER_STORE.ensure(erased == expected, rule, erased);
    let found = lookup(store, &pending.order_no).await;
    let rule = "an erased pending order is gone (lookup answers Unknown)";
    ORDER_STORE.ensure(found == Lookup::Unknown, rule, found);
    let found = lookup(store, &consumed.order_no).await;
    let rule = "an erased consumed order stays a tombstone (lookup answers Consumed)";
    ORDER_STORE.ensure(found == Lookup::Consumed, rule, found);
    let replay = consume(store, &consumed.order_no, &Claim::new()).await;
    let rule = "a replay of an erased consumed order answers AlreadyConsumed";
    ORDER_STORE.ensure(replay == Consumed::AlreadyConsumed, rule, replay);
    let kept = settlement(store, &consumed).await;
    let rule = "an erased consumed order has no settlement any more";
    ORDER_STORE.ensure(kept.is_none(), rule, kept);
    let far = SystemTime::now() + Duration::from_secs(100 * 24 * 3600);
    let due = answered(store.due_backlog(far).await, "due_backlog");
    let rule = "erase_user takes the user's orders out of the due index, and only theirs";
    ORDER_STORE.ensure(due == 1, rule, due);
    let found = lookup(store, &other.order_no).await;
    let rule = "erase_user leaves other users' orders";
    ORDER_STORE.ensure(matches!(found, Lookup::Pending { .. }), rule, found);
    let again = answered(erase(store, &pending.user_id).await, "erase_user");
    let rule = "a second erase_user of the same user finds nothing";
    ORDER_STORE.ensure(again == Erased::default(), rule, again);

    for _ in 0..2 {
        answered(store.hold(&other.user_id).await, "hold");
    }
    let refused = erase(store, &other.user_id).await;
    let rule =
        "erase_user of a held user fails with StoreError::Held, whose message names the legal hold";
    ORDER_STORE.ensure(
        matches!(&refused, Err(error @ StoreError::Held) if error.to_string().contains("legal hold")),
        rule,
        &refused,
    );
    let found = lookup(store, &other.order_no).await;
    let rule = "a refused erasure erases nothing";
    ORDER_STORE.ensure(matches!(found, Lookup::Pending { .. }), rule, found);
    answered(store.release(&other.user_id).await, "release");
    let erased = answered(erase(store, &other.user_id).await, "erase_user");
    let rule = "release lifts the hold: erase_user then erases the user's order";
    ORDER_STORE.ensure(erased.orders == 1, rule, erased);
    answered(store.release(&other.user_id).await, "release");
}

async fn purge_keeps(store: &impl SettlementStore) {
    let (held_settled, held_pending, pending) = (
        order_of(1, "held"),
        order_of(2, "held"),
        order_of(3, "free"),
    );
    settled(store, &held_settled).await;
    put(store, &held_pending, TTL).await;
    put(store, &pending, TTL).await;
    answered(store.hold(&held_settled.user_id).await, "hold");

    let nothing = Retention::default()
        .settled_orders(Duration::ZERO)
        .tombstones(Duration::ZERO)
        .settlement_log(Duration::ZERO);
    let tomorrow = SystemTime::now() + Duration::from_secs(24 * 3600);
    let purged = answered(store.purge(&nothing, tomorrow, 1000).await, "purge");
    let rule = "purge removes no unsettled order when no cap is set";
    ORDER_STORE.ensure(purged.unsettled_orders == 0, rule, purged);
    for order in [&held_pending, &pending] {
        let found = lookup(store, &order.order_no).await;
        let rule = "purge keeps pending orders (they wait for their settlement)";
        ORDER_STORE.ensure(matches!(found, Lookup::Pending { .. }), rule, found);
    }
    let kept = settlement(store, &held_settled).await;
    let rule = "purge keeps a held user's settled order and its settlement";
    ORDER_STORE.ensure(
        matches!(&kept, Some((_, record)) if *record == callback_settlement()),
        rule,
        kept,
    );
    answered(store.release(&held_settled.user_id).await, "release");
}
