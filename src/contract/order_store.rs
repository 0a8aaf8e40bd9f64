//! The order store contract: what the session starter, the callback
//! verifier and the settler rely on from an [`OrderStore`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::due_index::due_index;
use super::{race, Report};
use crate::binding::BindingHash;
use crate::ids::{OrderNo, UserId};
use crate::orders::{Claim, Consumed, OrderStore, PendingOrder, StoreError};

/// The time to live of the orders: none expires during the suite.
pub(super) const TTL: Duration = Duration::from_secs(3600);
/// Concurrent consumes of one order.
const RACERS: usize = 32;
/// Orders consumed at once, each by [`CLAIMS_EACH`] concurrent claims.
const ORDERS: usize = 64;
const CLAIMS_EACH: usize = 4;
/// Concurrent puts of one order number.
const PUTTERS: usize = 8;
/// Settlement records as the settler writes them (JSON without `|`).
const SETTLEMENT: &str = r#"{"state":"passed","code":null,"by":"callback","at":1700000000000}"#;
const LATE_SETTLEMENT: &str = r#"{"state":"abandoned","code":null,"by":"reconciler","at":1}"#;

/// Runs the order store contract on backends made by `make`, each fresh and
/// empty; panics naming the first rule that does not hold.
///
/// Each part runs on a backend of its own:
///
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
/// - **Due index**, unless [`OrderStore::claim_due`] answers
///   [`StoreError::Unsupported`] (then the reconciler cannot run on the
///   store): a fresh index is empty; `put` adds an order at its creation
///   time ([`OrderStore::due_backlog`] counts it); `claim_due` takes at most
///   `limit` due orders, each with its creation time to the millisecond,
///   and leases them: not taken again before the lease ends, taken again
///   after it; concurrent `claim_due` calls never take one order twice;
///   `reschedule` moves an order; a consume leaves it in the index and
///   `forget_due` removes it, for good.
/// - **Expiry.** An order put with a zero time to live answers
///   [`Consumed::Expired`] to a callback's claim (or `Unknown`, from a
///   store that forgets it at once and keeps no due index), and a
///   [past-deadline](Claim::past_deadline) claim (the reconciler settling
///   an abandoned order) consumes it.
/// - **Settlements**, unless [`OrderStore::settlement`] answers
///   `Unsupported`: a [settling](Claim::settling) claim keeps its record
///   with the consumed order and `settlement` answers both; a second
///   settling claim is `AlreadyConsumed` and changes nothing; an unknown,
///   pending or plainly consumed order has no settlement.
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
/// let report = tencent_faceid::contract::order_store(async || MemoryOrderStore::new()).await;
/// assert!(report.skipped.is_empty(), "{report:?}");
/// # }
/// ```
pub async fn order_store<S: OrderStore>(make: impl AsyncFn() -> S) -> Report {
    let mut report = Report::default();
    put_and_consume_once(&make().await).await;
    report.checked("put and consume once");
    browser_binding(&make().await).await;
    report.checked("browser binding");
    super::note_single_thread(&mut report, "exactly once under concurrency");
    exactly_once(Arc::new(make().await)).await;
    report.checked("exactly once under concurrency");
    let reconciles = due_index(Arc::new(make().await), &mut report).await;
    if reconciles {
        report.checked("due index");
    }
    expiry(&make().await, reconciles, &mut report).await;
    report.checked("expiry");
    if settlements(&make().await, &mut report).await {
        report.checked("settlements");
    }
    report
}

async fn put_and_consume_once(store: &impl OrderStore) {
    let answer = consume(store, &order(0).order_no, &Claim::new()).await;
    ensure(
        answer == Consumed::Unknown,
        "an order never put answers Unknown",
        answer,
    );
    let room = store.check_room().await;
    ensure(room.is_ok(), "an empty store has room (check_room)", room);

    let first = order(1);
    put(store, &first, TTL).await;
    let rule =
        "a put order is Accepted by its first consume, with its order number, user id and binding";
    accepted(store, &first, &Claim::new(), rule).await;
    let again = consume(store, &first.order_no, &Claim::new()).await;
    let rule = "a consumed order answers AlreadyConsumed to the next consume";
    ensure(again == Consumed::AlreadyConsumed, rule, again);
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
    let answer = consume(store, &bound.order_no, &Claim::new().bound_to(other)).await;
    let rule = "a pending order answers OtherBrowser to a claim bound to another browser";
    ensure(answer == Consumed::OtherBrowser, rule, answer);
    let rule = "an order refused to another browser is still Accepted by its own";
    accepted(store, &bound, &Claim::new().bound_to(own), rule).await;
    let rule = "a consumed order answers Repeated to its own browser coming back (a new claim)";
    match consume(store, &bound.order_no, &Claim::new().bound_to(own)).await {
        Consumed::Repeated(got) if same(&bound, &got) => {}
        other => broken(rule, other),
    }
    for claim in [Claim::new().bound_to(other), Claim::new()] {
        let answer = consume(store, &bound.order_no, &claim).await;
        let rule = "a consumed bound order answers AlreadyConsumed to any claim but its browser's";
        ensure(answer == Consumed::AlreadyConsumed, rule, answer);
    }

    let unbound = order(2);
    put(store, &unbound, TTL).await;
    let answer = consume(store, &unbound.order_no, &Claim::new().bound_to(own)).await;
    let rule = "an unbound pending order answers OtherBrowser to a claim carrying a binding";
    ensure(answer == Consumed::OtherBrowser, rule, answer);
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
    ensure(accepted_once(&contested, answers.iter()), rule, answers);

    let orders: Arc<Vec<PendingOrder>> = Arc::new((1..=ORDERS).map(order).collect());
    let puts = race(ORDERS, |n| {
        let (store, orders) = (Arc::clone(&store), Arc::clone(&orders));
        async move { store.put(orders[n].clone(), TTL).await }
    })
    .await;
    if let Some(error) = puts.into_iter().find_map(Result::err) {
        broken("concurrent puts of distinct orders all succeed", error);
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
        ensure(
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
    ensure(winners.len() == 1 && refused == PUTTERS - 1, rule, puts);
    let rule = "the order recorded is the one whose put succeeded";
    accepted(&*store, &candidates[winners[0]], &Claim::new(), rule).await;
}

async fn expiry(store: &impl OrderStore, reconciles: bool, report: &mut Report) {
    let lapsed = order(1);
    put(store, &lapsed, Duration::ZERO).await;
    match consume(store, &lapsed.order_no, &Claim::new()).await {
        Consumed::Expired => {}
        Consumed::Unknown if !reconciles => {
            let why = "the store forgets an order when its time to live ends";
            report.skipped("past-deadline claims", why);
            return;
        }
        other => broken("an order whose time to live ran out (put with a zero one) answers Expired to a callback's claim", other),
    }
    let rule = "a past-deadline claim (the reconciler settling an abandoned order) consumes an order whose time to live ran out";
    accepted(store, &lapsed, &Claim::new().past_deadline(), rule).await;
}

/// The settlements part; whether the store keeps them.
async fn settlements(store: &impl OrderStore, report: &mut Report) -> bool {
    let settled = order(1);
    match store.settlement(&settled.order_no).await {
        Err(StoreError::Unsupported(what)) => {
            let why = format!(
                "the store cannot {what} (StoreError::Unsupported): orders cannot be settled on it"
            );
            report.skipped("settlements", &why);
            return false;
        }
        Ok(None) => {}
        other => broken("an unknown order has no settlement", other),
    }
    put(store, &settled, TTL).await;
    let none = settlement(store, &settled).await;
    ensure(none.is_none(), "a pending order has no settlement", none);
    let rule = "a settling claim consumes a pending order";
    accepted(store, &settled, &Claim::new().settling(SETTLEMENT), rule).await;
    let kept = settlement(store, &settled).await;
    let rule = "settlement() answers the consumed order and the record its settling claim kept";
    ensure(
        matches!(&kept, Some((got, record)) if same(&settled, got) && record == SETTLEMENT),
        rule,
        kept,
    );
    let late = consume(
        store,
        &settled.order_no,
        &Claim::new().settling(LATE_SETTLEMENT),
    )
    .await;
    let rule = "a second settling claim answers AlreadyConsumed";
    ensure(late == Consumed::AlreadyConsumed, rule, late);
    let kept = settlement(store, &settled).await;
    let rule = "a second settling claim leaves the first settlement as it was";
    ensure(
        matches!(&kept, Some((_, record)) if record == SETTLEMENT),
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
    ensure(
        none.is_none(),
        "an order consumed without a settlement has none",
        none,
    );
    true
}

/// Panics: `rule` of the order store contract does not hold.
#[track_caller]
pub(super) fn broken(rule: &str, seen: impl fmt::Debug) -> ! {
    super::broken("order store", rule, seen)
}

#[track_caller]
pub(super) fn ensure(holds: bool, rule: &str, seen: impl fmt::Debug) {
    if !holds {
        broken(rule, seen);
    }
}

/// Order `contract<n>` of user `user<n>`, started now.
pub(super) fn order(n: usize) -> PendingOrder {
    let order_no = OrderNo::new(format!("contract{n}")).expect("a valid order number");
    let user_id = UserId::new(format!("user{n}")).expect("a valid user id");
    PendingOrder::new(order_no, user_id)
}

/// Whether `got` is the order `put` (its creation time may be rounded).
fn same(put: &PendingOrder, got: &PendingOrder) -> bool {
    (&put.order_no, &put.user_id, &put.binding) == (&got.order_no, &got.user_id, &got.binding)
}

/// Whether exactly one of `answers` accepted `order` and the others are
/// replays.
fn accepted_once<'a>(
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
        broken("put records an order with a new number", error);
    }
}

fn duplicate(put: Result<(), StoreError>, first: &PendingOrder, rule: &str) {
    ensure(
        matches!(&put, Err(StoreError::Duplicate(n)) if *n == first.order_no),
        rule,
        put,
    );
}

async fn consume(store: &impl OrderStore, order_no: &OrderNo, claim: &Claim) -> Consumed {
    let answer = store.consume_claim(order_no, claim).await;
    answer.unwrap_or_else(|error| broken("consume_claim answers a verdict, not an error", error))
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
        other => broken(rule, other),
    }
}

async fn settlement(
    store: &impl OrderStore,
    order: &PendingOrder,
) -> Option<(PendingOrder, String)> {
    let kept = store.settlement(&order.order_no).await;
    kept.unwrap_or_else(|error| broken("settlement() answers, not fails", error))
}
