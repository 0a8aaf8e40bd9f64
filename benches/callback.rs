//! What verifying a callback costs per request: the verifier alone against
//! the signature it must compute, and an axum route with the layer against
//! the same route without it.
//!
//! Every iteration needs a pending order of its own (a consumed one would be
//! a replay), so orders are recorded in the untimed setup; a store is
//! replaced once it holds [`ORDERS_PER_STORE`] orders, as a busy server's
//! store would hold (its entries are then mostly out of the CPU caches, as
//! in production, where a callback comes minutes after its order was
//! recorded). `verify_small_store` uses stores of [`SMALL_STORE`] orders
//! instead, to show what those cache misses cost. The ticket source and the
//! memory store answer without waiting, so futures are polled once with a
//! no-op waker: no runtime overhead is measured.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use axum::Router;
use criterion::measurement::WallTime;
use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion};
use tencent_faceid::axum::Verified;
use tencent_faceid::callback::CallbackVerifier;
use tencent_faceid::ids::{OrderNo, UserId};
use tencent_faceid::orders::{MemoryOrderStore, OrderStore, PendingOrder};
use tencent_faceid::sign::sign;
use tencent_faceid::tickets::StaticTickets;
use tencent_faceid::tower::FaceCallbackLayer;
use tower::util::MapRequestLayer;
use tower::ServiceExt;

const APP_ID: &str = "appId001";
const TICKET: &str = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe";
const ORDERS_PER_STORE: usize = 50_000;
const SMALL_STORE: usize = 1_000;
const TTL: Duration = Duration::from_secs(3600);

/// Polls a future that never waits to completion.
fn now<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the benchmarked future waited; it should not"),
    }
}

/// Hands out fresh pending orders with their signed callback query,
/// replacing the store (and what is built on it) now and then.
struct Orders<T> {
    build: fn(CallbackVerifier) -> T,
    per_store: usize,
    store: MemoryOrderStore,
    built: T,
    issued: usize,
}

impl<T: Clone> Orders<T> {
    fn new(build: fn(CallbackVerifier) -> T) -> Self {
        Self::with_store_size(build, ORDERS_PER_STORE)
    }

    fn with_store_size(build: fn(CallbackVerifier) -> T, per_store: usize) -> Self {
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
        let verifier =
            CallbackVerifier::builder(APP_ID, StaticTickets::new(TICKET, "n"), store.clone())
                .build()
                .expect("valid configuration");
        (store, build(verifier))
    }

    /// A new pending order: what verifies it, and its callback query.
    fn next(&mut self) -> (T, String) {
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

fn request(query: &str) -> Request<Body> {
    Request::get(format!("/face/callback?{query}"))
        .body(Body::empty())
        .expect("valid request")
}

async fn plain_handler() -> &'static str {
    "ok"
}

async fn verified_handler(Verified(outcome): Verified) -> &'static str {
    if outcome.passed() {
        "ok"
    } else {
        "failed"
    }
}

/// Benchmarks a route that does not check callbacks, on the same requests
/// as the verified route.
fn bench_unchecked_route(group: &mut BenchmarkGroup<'_, WallTime>, name: &str, router: Router) {
    let mut orders = Orders::new(|_| ());
    group.bench_function(name, |b| {
        b.iter_batched(
            || {
                let ((), query) = orders.next();
                (router.clone(), request(&query))
            },
            |(router, request)| now(router.oneshot(request)).expect("answered"),
            BatchSize::SmallInput,
        )
    });
}

fn callback(c: &mut Criterion) {
    let mut group = c.benchmark_group("callback");

    group.bench_function("sign_only", |b| {
        b.iter(|| sign(black_box(&[APP_ID, "bench123456", "0"]), black_box(TICKET)))
    });

    let mut orders = Orders::new(|verifier| verifier);
    group.bench_function("verify", |b| {
        b.iter_batched_ref(
            || orders.next(),
            |(verifier, query)| now(verifier.verify(query)).expect("verified"),
            BatchSize::SmallInput,
        )
    });

    let mut orders = Orders::with_store_size(|verifier| verifier, SMALL_STORE);
    group.bench_function("verify_small_store", |b| {
        b.iter_batched_ref(
            || orders.next(),
            |(verifier, query)| now(verifier.verify(query)).expect("verified"),
            BatchSize::SmallInput,
        )
    });

    let without = Router::new().route("/face/callback", get(plain_handler));
    bench_unchecked_route(&mut group, "axum_route_without_layer", without.clone());
    // What axum charges for any route layer: the same route behind a layer
    // that does nothing.
    let identity = without.route_layer(MapRequestLayer::new(|request: Request<Body>| request));
    bench_unchecked_route(&mut group, "axum_route_with_identity_layer", identity);

    let mut orders = Orders::new(|verifier| {
        Router::new()
            .route("/face/callback", get(verified_handler))
            .route_layer(FaceCallbackLayer::new(verifier))
    });
    group.bench_function("axum_route_with_layer", |b| {
        b.iter_batched(
            || {
                let (router, query) = orders.next();
                (router, request(&query))
            },
            |(router, request)| {
                let response = now(router.oneshot(request)).expect("answered");
                assert!(response.status().is_success());
                response
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = callback
}
criterion_main!(benches);
