//! The order store contract: what the session starter, the callback
//! verifier and the settler rely on from an [`OrderStore`], and the
//! settler and the reconciler from a [`SettlementStore`].

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use super::due_index::due_index;
use super::lifecycle::lifecycle;
use super::steps::{
    TTL, accepted, accepted_once, callback_settlement, consume, duplicate, lookup, order, put,
    same, settlement,
};
use super::{ORDER_STORE, SuiteOutcome, race};
use crate::binding::BindingHash;
use crate::orders::{
    Claim, Consumed, Lookup, OrderStore, PendingOrder, SettledBy, SettledState, SettlementRecord,
    SettlementStore, StoreError,
};
use crate::result_code::ResultCode;

/// The time to live of the orders: none expires during the suite.
/// Concurrent consumes of one order.
const RACERS: usize = 32;
/// Orders consumed at once, each by [`CLAIMS_EACH`] concurrent claims.
const ORDERS: usize = 64;
const CLAIMS_EACH: usize = 4;
/// Concurrent puts of one order number.
const PUTTERS: usize = 8;

/// Runs the order store contract on backends made by `make`, each fresh and
/// empty; panics naming the first rule that does not hold.
///
/// Each part runs on a backend of its own:
///
/// - **Lookup** ([`OrderStore::lookup`]) reads without changing: an order
///   never put is [`Lookup::Unknown`], a put one [`Lookup::Pending`] with
///   its binding (asked twice), a consumed one [`Lookup::Consumed`], one
///   past its time to live [`Lookup::Expired`] (checked with the parts
///   below).
/// - **Put and consume once.** An order never put is [`Consumed::Unknown`];
///   an empty store has room ([`OrderStore::check_room`]); a put order is
///   [`Consumed::Accepted`] by its first consume, with its order number,
///   user id and binding, and every later consume answers
///   [`Consumed::AlreadyConsumed`]; `put` refuses an order number already
///   recorded, pending or consumed, with [`StoreError::Duplicate`], leaving
///   the first order as it was.
/// - **Browser binding** ([`Claim::bound_to`]). A pending order answers
///   [`Consumed::OtherBrowser`] to a claim bound to another browser (or to
///   any bound claim when the order is unbound) and stays pending for its
///   own browser; a claim without binding (the reconciler's) consumes a
///   bound order; once consumed, its own browser coming back gets
///   [`Consumed::Repeated`] and any other claim `AlreadyConsumed`.
/// - **Exactly once under concurrency.** Of 32 concurrent consumes of one
///   order exactly one is `Accepted` and the others `AlreadyConsumed`; 64
///   orders put concurrently, then consumed by 4 concurrent claims each,
///   are each accepted once with their own user; of 8 concurrent puts of
///   one order number exactly one succeeds.
/// - **Expiry.** An order put with a zero time to live answers
///   [`Consumed::Expired`] to a callback's claim (or `Unknown`, from a
///   store that forgets it at once: the past-deadline part is then
///   skipped), and a [past-deadline](Claim::past_deadline) claim (the
///   reconciler settling an abandoned order) consumes it.
///
/// A [`SettlementStore`] has more to keep: check it with
/// [`settlement_store`] instead, which runs these parts too.
///
/// Not checked: how long expired and consumed orders are remembered after
/// their time to live (that needs time to pass), a put repeated with
/// identical content (a store may take it for a retry of its own whose
/// reply was lost and succeed, as `RedisOrderStore` does), a full store,
/// and a consume retried with the same [`Claim`].
///
/// # Panics
/// When a rule does not hold, or the backend fails: the message names the
/// rule and shows what the store answered.
///
/// # Example
/// The memory store (a store of your own is in the [module
/// documentation](crate::contract)):
///
/// ```
/// # #[tokio::main(flavor = "multi_thread")]
/// # async fn main() {
/// use tencent_faceid::orders::MemoryOrderStore;
///
/// // In a #[tokio::test(flavor = "multi_thread")]:
/// let outcome = tencent_faceid::contract::order_store(async || MemoryOrderStore::new()).await;
/// assert!(outcome.skipped.is_empty(), "{outcome:?}");
/// # }
/// ```
pub async fn order_store<S: OrderStore>(make: impl AsyncFn() -> S) -> SuiteOutcome {
    let mut outcome = SuiteOutcome::default();
    every_store(&make, false, &mut outcome).await;
    outcome
}

/// Runs the [`order_store`] contract and the settlement store's on
/// backends made by `make`, each fresh and empty; panics naming the first
/// rule that does not hold. Besides [`order_store`]'s parts (with expiry
/// stricter: an order that expired answers `Expired`, never `Unknown`,
/// since the reconciler must still settle it):
///
/// - **Due index**: a fresh index is empty; `put` adds an order at its
///   creation time ([`SettlementStore::due_backlog`] counts it);
///   [`SettlementStore::claim_due`] takes at most `limit` due orders, each
///   with its creation time to the millisecond, and leases them: not taken
///   again before the lease ends, taken again after it; concurrent
///   `claim_due` calls never take one order twice; `reschedule` moves an
///   order; a consume leaves it in the index and `forget_due` removes it,
///   for good.
/// - **Settlements**: a [settling](Claim::settling) claim keeps its record
///   with the consumed order and [`SettlementStore::settlement`] answers
///   both; the record reads back whole (a failed state whose vendor code
///   holds `|`, `:`, quotes, a backslash and non-ASCII, its path, its time
///   to the millisecond, its billed attempts); a second settling claim is
///   `AlreadyConsumed` and changes nothing; an unknown, pending or plainly
///   consumed order has no settlement.
/// - **Erasure and legal hold** ([`Lifecycle`](crate::orders::Lifecycle)):
///   `erase_user` removes the user's pending order (and its place in the
///   due index), keeps their consumed order as a tombstone that still
///   answers `Consumed`/`AlreadyConsumed` but has no settlement, answers
///   exactly those counts, touches no other user, and finds nothing the
///   second time; `hold` (idempotent) makes `erase_user` fail with
///   [`StoreError::Held`] and erase nothing; `release` lifts it.
/// - **Purge**: a purge a day ahead with every retention zero keeps
///   pending orders (no cap set) and every record of a held user.
///
/// # Panics
/// As [`order_store`].
///
/// # Example
/// ```
/// # #[tokio::main(flavor = "multi_thread")]
/// # async fn main() {
/// use tencent_faceid::orders::MemoryOrderStore;
///
/// // In a #[tokio::test(flavor = "multi_thread")]:
/// let outcome = tencent_faceid::contract::settlement_store(async || MemoryOrderStore::new()).await;
/// assert!(outcome.checked.contains(&"due index"), "{outcome:?}");
/// assert!(outcome.skipped.is_empty(), "{outcome:?}");
/// # }
/// ```
pub async fn settlement_store<S: SettlementStore>(make: impl AsyncFn() -> S) -> SuiteOutcome {
    let mut outcome = SuiteOutcome::default();
    every_store(&make, true, &mut outcome).await;
    due_index(Arc::new(make().await)).await;
    outcome.checked("due index");
    settlements(&make().await).await;
    outcome.checked("settlements");
    lifecycle(&make, &mut outcome).await;
    outcome
}

/// The parts every order store passes; `reconciles`: whether an expired
/// order must be remembered (answer `Expired`, not `Unknown`).
async fn every_store<S: OrderStore>(
    make: &impl AsyncFn() -> S,
    reconciles: bool,
    outcome: &mut SuiteOutcome,
) {
    put_and_consume_once(&make().await).await;
    outcome.checked("put and consume once");
    browser_binding(&make().await).await;
    outcome.checked("browser binding");
    super::note_single_thread(outcome, "exactly once under concurrency");
    exactly_once(Arc::new(make().await)).await;
    outcome.checked("exactly once under concurrency");
    expiry(&make().await, reconciles, outcome).await;
    outcome.checked("expiry");
}

async fn put_and_consume_once(store: &impl OrderStore) {
    let answer = lookup(store, &order(0).order_no).await;
    let rule = "lookup answers Unknown for an order never put";
    ORDER_STORE.ensure(answer == Lookup::Unknown, rule, answer);
    let answer = consume(store, &order(0).order_no, &Claim::new()).await;
    ORDER_STORE.ensure(
        answer == Consumed::Unknown,
        "an order never put answers Unknown",
        answer,
    );
    let room = store.check_room().await;
    ORDER_STORE.ensure(room.is_ok(), "an empty store has room (check_room)", room);

    let first = order(1);
    put(store, &first, TTL).await;
    for _ in 0..2 {
        let answer = lookup(store, &first.order_no).await;
        let rule = "lookup answers Pending for a put order, and changes nothing";
        ORDER_STORE.ensure(answer == Lookup::Pending { binding: None }, rule, answer);
    }
    let rule =
        "a put order is Accepted by its first consume, with its order number, user id and binding";
    accepted(store, &first, &Claim::new(), rule).await;
    let again = consume(store, &first.order_no, &Claim::new()).await;
    let rule = "a consumed order answers AlreadyConsumed to the next consume";
    ORDER_STORE.ensure(again == Consumed::AlreadyConsumed, rule, again);
    let answer = lookup(store, &first.order_no).await;
    let rule = "lookup answers Consumed for a consumed order";
    ORDER_STORE.ensure(answer == Lookup::Consumed, rule, answer);
    let rule = "put refuses the number of a consumed order (StoreError::Duplicate)";
    duplicate(store.put(first.clone(), TTL).await, &first, rule);

    let second = order(2);
    put(store, &second, TTL).await;
    let impostor = PendingOrder::new(second.order_no.clone(), order(3).user_id);
    let rule = "put refuses the number of a pending order (StoreError::Duplicate)";
    duplicate(store.put(impostor, TTL).await, &second, rule);
    let rule = "a refused put leaves the order recorded first as it was";
    accepted(store, &second, &Claim::new(), rule).await;
}

async fn browser_binding(store: &impl OrderStore) {
    let (own, other) = (BindingHash::of("its browser"), BindingHash::of("another"));
    let bound = order(1).bound_to(own);
    put(store, &bound, TTL).await;
    let answer = lookup(store, &bound.order_no).await;
    let rule = "lookup answers Pending with the binding a bound order was put with";
    let expected = Lookup::Pending { binding: Some(own) };
    ORDER_STORE.ensure(answer == expected, rule, answer);
    let answer = consume(store, &bound.order_no, &Claim::new().bound_to(other)).await;
    let rule = "a pending order answers OtherBrowser to a claim bound to another browser";
    ORDER_STORE.ensure(answer == Consumed::OtherBrowser, rule, answer);
    let rule = "an order refused to another browser is still Accepted by its own";
    accepted(store, &bound, &Claim::new().bound_to(own), rule).await;
    let rule = "a consumed order answers Repeated to its own browser coming back (a new claim)";
    match consume(store, &bound.order_no, &Claim::new().bound_to(own)).await {
        Consumed::Repeated(got) if same(&bound, &got) => {}
        other => ORDER_STORE.broken(rule, other),
    }
    for claim in [Claim::new().bound_to(other), Claim::new()] {
        let answer = consume(store, &bound.order_no, &claim).await;
        let rule = "a consumed bound order answers AlreadyConsumed to any claim but its browser's";
        ORDER_STORE.ensure(answer == Consumed::AlreadyConsumed, rule, answer);
    }

    let unbound = order(2);
    put(store, &unbound, TTL).await;
    let answer = consume(store, &unbound.order_no, &Claim::new().bound_to(own)).await;
    let rule = "an unbound pending order answers OtherBrowser to a claim carrying a binding";
    ORDER_STORE.ensure(answer == Consumed::OtherBrowser, rule, answer);
    let rule = "an unbound order is Accepted by a claim without binding";
    accepted(store, &unbound, &Claim::new(), rule).await;

    let bound = order(3).bound_to(own);
    put(store, &bound, TTL).await;
    let rule = "a claim without binding (the reconciler's) consumes a bound order";
    accepted(store, &bound, &Claim::new(), rule).await;
}

async fn exactly_once<S: OrderStore>(store: Arc<S>) {
    let contested = Arc::new(order(0));
    put(&*store, &contested, TTL).await;
    let answers = race(RACERS, |_| {
        let (store, contested) = (Arc::clone(&store), Arc::clone(&contested));
        async move {
            store
                .consume_claim(&contested.order_no, &Claim::new())
                .await
        }
    })
    .await;
    let rule = "an order consumed by 32 concurrent claims is accepted exactly once (the others answer AlreadyConsumed)";
    ORDER_STORE.ensure(accepted_once(&contested, answers.iter()), rule, answers);

    let orders: Arc<Vec<PendingOrder>> = Arc::new((1..=ORDERS).map(order).collect());
    let puts = race(ORDERS, |n| {
        let (store, orders) = (Arc::clone(&store), Arc::clone(&orders));
        async move { store.put(orders[n].clone(), TTL).await }
    })
    .await;
    if let Some(error) = puts.into_iter().find_map(Result::err) {
        ORDER_STORE.broken("concurrent puts of distinct orders all succeed", error);
    }
    let answers = race(ORDERS * CLAIMS_EACH, |n| {
        let (store, orders) = (Arc::clone(&store), Arc::clone(&orders));
        async move {
            let order = &orders[n % ORDERS];
            store.consume_claim(&order.order_no, &Claim::new()).await
        }
    })
    .await;
    for (n, order) in orders.iter().enumerate() {
        let its: Vec<_> = answers.iter().skip(n).step_by(ORDERS).collect();
        let rule = "64 orders consumed at once by 4 concurrent claims each are each accepted exactly once, with their own user (the others answer AlreadyConsumed)";
        ORDER_STORE.ensure(
            accepted_once(order, its.iter().copied()),
            rule,
            (&order.order_no, its),
        );
    }

    let number = order(ORDERS + 1).order_no;
    let candidates: Arc<Vec<PendingOrder>> = Arc::new(
        (0..PUTTERS)
            .map(|n| PendingOrder::new(number.clone(), order(ORDERS + 2 + n).user_id))
            .collect(),
    );
    let puts = race(PUTTERS, |n| {
        let (store, candidates) = (Arc::clone(&store), Arc::clone(&candidates));
        async move { store.put(candidates[n].clone(), TTL).await }
    })
    .await;
    let winners: Vec<usize> = (0..PUTTERS).filter(|&n| puts[n].is_ok()).collect();
    let refused = puts
        .iter()
        .filter(|put| matches!(put, Err(StoreError::Duplicate(n)) if *n == number))
        .count();
    let rule = "of 8 concurrent puts of one order number, exactly one succeeds and the others are Duplicate";
    ORDER_STORE.ensure(winners.len() == 1 && refused == PUTTERS - 1, rule, puts);
    let rule = "the order recorded is the one whose put succeeded";
    accepted(&*store, &candidates[winners[0]], &Claim::new(), rule).await;
}

async fn expiry(store: &impl OrderStore, reconciles: bool, outcome: &mut SuiteOutcome) {
    let lapsed = order(1);
    put(store, &lapsed, Duration::ZERO).await;
    let answer = lookup(store, &lapsed.order_no).await;
    let rule = "lookup answers Expired for an order whose time to live ran out";
    let forgets = !reconciles && answer == Lookup::Unknown;
    ORDER_STORE.ensure(answer == Lookup::Expired || forgets, rule, answer);
    match consume(store, &lapsed.order_no, &Claim::new()).await {
        Consumed::Expired => {}
        Consumed::Unknown if !reconciles => {
            let why = "the store forgets an order when its time to live ends";
            outcome.skipped("past-deadline claims", why);
            return;
        }
        other => ORDER_STORE.broken("an order whose time to live ran out (put with a zero one) answers Expired to a callback's claim", other),
    }
    let rule = "a past-deadline claim (the reconciler settling an abandoned order) consumes an order whose time to live ran out";
    accepted(store, &lapsed, &Claim::new().past_deadline(), rule).await;
}

/// The settlements part.
async fn settlements(store: &impl SettlementStore) {
    let settled = order(1);
    match store.settlement(&settled.order_no).await {
        Ok(None) => {}
        other => ORDER_STORE.broken("an unknown order has no settlement", other),
    }
    put(store, &settled, TTL).await;
    let none = settlement(store, &settled).await;
    ORDER_STORE.ensure(none.is_none(), "a pending order has no settlement", none);
    let rule = "a settling claim consumes a pending order";
    let first = callback_settlement();
    accepted(store, &settled, &Claim::new().settling(first.clone()), rule).await;
    let kept = settlement(store, &settled).await;
    let rule = "settlement() answers the consumed order and the record its settling claim kept";
    ORDER_STORE.ensure(
        matches!(&kept, Some((got, record)) if same(&settled, got) && *record == first),
        rule,
        kept,
    );
    let abandoned =
        SettlementRecord::new(SettledState::Abandoned, SettledBy::Reconciler, UNIX_EPOCH);
    let late = consume(store, &settled.order_no, &Claim::new().settling(abandoned)).await;
    let rule = "a second settling claim answers AlreadyConsumed";
    ORDER_STORE.ensure(late == Consumed::AlreadyConsumed, rule, late);
    let kept = settlement(store, &settled).await;
    let rule = "a second settling claim leaves the first settlement as it was";
    ORDER_STORE.ensure(
        matches!(&kept, Some((_, record)) if *record == first),
        rule,
        kept,
    );

    let failed = order(3);
    put(store, &failed, TTL).await;
    let code = ResultCode::from_code("a|b:\"c\\é");
    let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
    let record = SettlementRecord::new(SettledState::Failed(code), SettledBy::Reconciler, at)
        .billed(Some(2));
    let claim = Claim::new().past_deadline().settling(record.clone());
    accepted(
        store,
        &failed,
        &claim,
        "a settling claim consumes a pending order",
    )
    .await;
    let kept = settlement(store, &failed).await;
    let rule = "settlement() answers the record whole: a failed state whose vendor code holds `|`, `:`, quotes, a backslash and non-ASCII, the reconciler, the time to the millisecond, the billed attempts";
    ORDER_STORE.ensure(
        matches!(&kept, Some((_, got)) if *got == record),
        rule,
        kept,
    );

    let plain = order(2);
    put(store, &plain, TTL).await;
    accepted(
        store,
        &plain,
        &Claim::new(),
        "a put order is Accepted by its first consume",
    )
    .await;
    let none = settlement(store, &plain).await;
    ORDER_STORE.ensure(
        none.is_none(),
        "an order consumed without a settlement has none",
        none,
    );
}
