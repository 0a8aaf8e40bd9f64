//! What the callback tests and benches share: the vendor's seed vector,
//! the verifier on it, pending orders with their signed callback queries,
//! stores replaced as they fill, the routes' handlers, and polling a
//! future that never waits.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use tencent_faceid::axum::Verified;
use tencent_faceid::callback::CallbackVerifier;
use tencent_faceid::client::FaceIdClient;
use tencent_faceid::orders::{MemoryOrderStore, OrderStore, PendingOrder};
use tencent_faceid::sign::sign;
use tencent_faceid::tickets::{StaticTickets, TicketProvider};
use tencent_faceid::wiring::Wiring;
use tencent_faceid::{OrderNo, UserId};

/// The app id of the vendor's seed vector.
pub const APP_ID: &str = "appId001";
/// The SIGN ticket of the vendor's seed vector, which signs every callback.
pub const TICKET: &str = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe";
/// How many orders a store holds before it is replaced, as a busy server's would.
pub const ORDERS_PER_STORE: usize = 50_000;
/// The size of the small stores, which stay in the CPU caches.
pub const SMALL_STORE: usize = 1_000;
/// How long the orders stay pending.
pub const TTL: Duration = Duration::from_secs(3600);

/// A wiring for [`APP_ID`] over `store`, with `tickets` and a client no
/// test calls.
pub fn wiring<S: OrderStore>(tickets: impl TicketProvider, store: S) -> Wiring<S> {
    let client = FaceIdClient::builder(APP_ID, "secret")
        .build()
        .expect("valid client");
    Wiring::new(client, tickets, store)
}

/// A verifier for [`APP_ID`] over `store`, with `tickets`: no browser
/// binding and no vendor (the callbacks carry no cookie, and nothing is
/// judged by the vendor's result).
pub fn verifier_with<S: OrderStore>(tickets: impl TicketProvider, store: S) -> CallbackVerifier {
    let wiring = wiring(tickets, store).browser_binding(false);
    CallbackVerifier::builder(&wiring)
        .record_judge(false)
        .build()
        .expect("valid verifier configuration")
}

/// [`StaticTickets`] with the seed vector's SIGN ticket.
pub fn seed_tickets() -> StaticTickets {
    StaticTickets::new(TICKET, "nonce-ticket")
}

/// [`verifier_with`] the [`seed_tickets`].
pub fn verifier<S: OrderStore>(store: S) -> CallbackVerifier {
    verifier_with(seed_tickets(), store)
}

/// Polls a future that never waits to completion.
pub fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the benchmarked future waited; it should not"),
    }
}

/// Hands out fresh pending orders with their signed callback query,
/// replacing the store (and what is built on it) now and then.
pub struct Orders<T> {
    build: fn(CallbackVerifier) -> T,
    per_store: usize,
    store: MemoryOrderStore,
    built: T,
    issued: usize,
}

impl<T: Clone> Orders<T> {
    /// Orders in stores of [`ORDERS_PER_STORE`], each verified by what
    /// `build` makes of the store's verifier.
    pub fn new(build: fn(CallbackVerifier) -> T) -> Self {
        Self::with_store_size(build, ORDERS_PER_STORE)
    }

    /// Orders in stores of `per_store`, each verified by what `build`
    /// makes of the store's verifier.
    pub fn with_store_size(build: fn(CallbackVerifier) -> T, per_store: usize) -> Self {
        let (store, built) = Self::fresh(build, per_store);
        Self {
            build,
            per_store,
            store,
            built,
            issued: 0,
        }
    }

    fn fresh(build: fn(CallbackVerifier) -> T, per_store: usize) -> (MemoryOrderStore, T) {
        let store = MemoryOrderStore::with_capacity(per_store);
        let verifier = verifier(store.clone());
        (store, build(verifier))
    }

    /// A new pending order: what verifies it, and its callback query.
    // Never exhausted, so not an `Iterator`.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> (T, String) {
        if self.issued.is_multiple_of(self.per_store) && self.issued > 0 {
            (self.store, self.built) = Self::fresh(self.build, self.per_store);
        }
        self.issued += 1;
        let order_no = format!("bench{}", self.issued);
        let order = PendingOrder::new(
            OrderNo::new(order_no.as_str()).expect("valid order number"),
            UserId::new("user42").expect("valid user id"),
        );
        now(self.store.put(order, TTL)).expect("room for the order");
        let signature = sign(&[APP_ID, &order_no, "0"], TICKET);
        let query = format!(
            "code=0&orderNo={order_no}&h5faceId=h5face1&newSignature={signature}&liveRate=99"
        );
        (self.built.clone(), query)
    }
}

/// The GET request of the callback route for `query`.
pub fn request(query: &str) -> Request<Body> {
    Request::get(format!("/face/callback?{query}"))
        .body(Body::empty())
        .expect("valid request")
}

/// The handler of the route that does not check callbacks.
pub async fn plain_handler() -> &'static str {
    "ok"
}

/// The handler of the verified route: `ok` for a pass.
pub async fn verified_handler(Verified(outcome): Verified) -> &'static str {
    if outcome.passed() { "ok" } else { "failed" }
}
