//! Contract suites (feature `contract`): what every
//! [`OrderStore`](crate::orders::OrderStore) and
//! [`TicketProvider`](crate::tickets::TicketProvider) must do for the
//! session starter, the callback verifier and the settler, checked in one
//! call from a test.
//!
//! The crate's own backends pass them in its tests; a backend of your own
//! (orders in your database, tickets from your secret manager) is checked
//! the same way:
//!
//! - [`order_store`]: put, consume exactly once (also under concurrency),
//!   replays, unknown and duplicate orders, browser binding, expiry.
//! - [`settlement_store`]: all of that, and the settlements and the due
//!   index the settler and the reconciler rely on, and the data
//!   [lifecycle](crate::orders::Lifecycle) (erasure, legal hold, what a
//!   purge keeps), for a [`SettlementStore`](crate::orders::SettlementStore).
//! - [`ticket_provider`]: SIGN tickets that are valid, sign, agree between
//!   calls and between concurrent callers, NONCE tickets, and recovery.
//!
//! Each takes a function making a **fresh, empty backend** (a new table,
//! schema or key prefix: it is called several times, once per part of
//! the contract), runs every check and panics, like `assert!`, with a
//! message naming the broken rule. Parts that could not run as they should
//! (on a current-thread runtime, or a store that forgets an expired order
//! at once) are skipped with a `tracing` warning and listed in the
//! returned [`SuiteOutcome`].
//!
//! Run them on a multi-thread runtime (`#[tokio::test(flavor =
//! "multi_thread")]`), so that concurrent calls really run in parallel.
//! Nothing sleeps: how long orders are remembered after their time to live
//! (the retention) and ticket refreshes on schedule need time to pass, and
//! are left to the backends' own tests.
//!
//! A store of your own, checked in a test (this one keeps no settlements
//! and no due index: it is no
//! [`SettlementStore`](crate::orders::SettlementStore), so a settler or a
//! reconciler on it does not compile):
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::Mutex;
//! use std::time::{Duration, Instant};
//! use tencent_faceid::async_trait;
//! use tencent_faceid::OrderNo;
//! use tencent_faceid::orders::{Claim, Consumed, Lookup, OrderStore, PendingOrder, StoreError};
//!
//! /// Orders in a map with their deadline and whether they were consumed;
//! /// yours would be a database table.
//! #[derive(Default)]
//! struct MapStore(Mutex<HashMap<OrderNo, (PendingOrder, Instant, bool)>>);
//!
//! #[async_trait]
//! impl OrderStore for MapStore {
//!     async fn put(&self, order: PendingOrder, ttl: Duration) -> Result<(), StoreError> {
//!         let mut orders = self.0.lock().map_err(|_| StoreError::Backend("poisoned".into()))?;
//!         if orders.contains_key(&order.order_no) {
//!             return Err(StoreError::Duplicate(order.order_no));
//!         }
//!         orders.insert(order.order_no.clone(), (order, Instant::now() + ttl, false));
//!         Ok(())
//!     }
//!
//!     async fn consume_claim(&self, order_no: &OrderNo, claim: &Claim) -> Result<Consumed, StoreError> {
//!         let mut orders = self.0.lock().map_err(|_| StoreError::Backend("poisoned".into()))?;
//!         let Some((order, deadline, consumed)) = orders.get_mut(order_no) else {
//!             return Ok(Consumed::Unknown);
//!         };
//!         let its_browser = claim.binding().is_some() && claim.binding() == order.binding.as_ref();
//!         Ok(if *consumed && its_browser {
//!             Consumed::Repeated(order.clone())
//!         } else if *consumed {
//!             Consumed::AlreadyConsumed
//!         } else if Instant::now() >= *deadline && !claim.is_past_deadline() {
//!             Consumed::Expired
//!         } else if claim.binding().is_some() && !its_browser {
//!             Consumed::OtherBrowser
//!         } else {
//!             *consumed = true;
//!             Consumed::Accepted(order.clone())
//!         })
//!     }
//!
//!     async fn lookup(&self, order_no: &OrderNo) -> Result<Lookup, StoreError> {
//!         let orders = self.0.lock().map_err(|_| StoreError::Backend("poisoned".into()))?;
//!         Ok(match orders.get(order_no) {
//!             None => Lookup::Unknown,
//!             Some((_, _, true)) => Lookup::Consumed,
//!             Some((_, deadline, _)) if Instant::now() >= *deadline => Lookup::Expired,
//!             Some((order, _, _)) => Lookup::Pending { binding: order.binding },
//!         })
//!     }
//! }
//!
//! # #[tokio::main(flavor = "multi_thread")]
//! # async fn main() {
//! // In a #[tokio::test(flavor = "multi_thread")]:
//! let outcome = tencent_faceid::contract::order_store(async || MapStore::default()).await;
//! assert!(outcome.skipped.is_empty(), "{outcome:?}");
//! # }
//! ```
//!
//! Ticket providers are checked alike: see [`ticket_provider`].

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use tokio::sync::Barrier;

mod due_index;
mod lifecycle;
mod order_store;
mod steps;
mod suite_outcome;
mod ticket_provider;

pub use order_store::{order_store, settlement_store};
pub use suite_outcome::SuiteOutcome;
pub use ticket_provider::{ticket_provider, ticket_provider_with_clock};

/// One contract, named in the panic when one of its rules does not hold.
struct Contract(&'static str);

const ORDER_STORE: Contract = Contract("order store");
const TICKET_PROVIDER: Contract = Contract("ticket provider");

impl Contract {
    /// Panics: `rule` does not hold, and `seen` shows how.
    #[track_caller]
    fn broken(&self, rule: &str, seen: impl fmt::Debug) -> ! {
        panic!("the {} contract is broken: {rule}; got {seen:?}", self.0)
    }

    /// Panics unless `holds`: see [`Self::broken`].
    #[track_caller]
    fn ensure(&self, holds: bool, rule: &str, seen: impl fmt::Debug) {
        if !holds {
            self.broken(rule, seen);
        }
    }
}

/// Notes in `outcome` that `part` ran without parallelism when the current
/// Tokio runtime is a current-thread one.
fn note_single_thread(outcome: &mut SuiteOutcome, part: &str) {
    let flavor = tokio::runtime::Handle::current().runtime_flavor();
    if flavor == tokio::runtime::RuntimeFlavor::CurrentThread {
        outcome.skipped(
            part,
            "on a current-thread runtime, concurrent calls interleave at .await points only; \
             use #[tokio::test(flavor = \"multi_thread\")]",
        );
    }
}

/// Runs `tasks` calls of `task` (given their index) at once, lined up on a
/// barrier, each in a Tokio task of its own; answers their outputs in
/// index order.
async fn race<T, F>(tasks: usize, task: impl Fn(usize) -> F) -> Vec<T>
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(Barrier::new(tasks));
    let handles: Vec<_> = (0..tasks)
        .map(|index| {
            let (barrier, run) = (Arc::clone(&barrier), task(index));
            tokio::spawn(async move {
                barrier.wait().await;
                run.await
            })
        })
        .collect();
    let mut outputs = Vec::with_capacity(tasks);
    for handle in handles {
        outputs.push(
            handle
                .await
                .expect("a concurrent call of the contract suite panicked"),
        );
    }
    outputs
}
