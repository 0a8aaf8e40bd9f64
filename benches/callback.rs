//! What verifying a callback costs per request: the verifier alone against
//! the signature it must compute, and an axum route with the layer against
//! the same route without it.
//!
//! Every iteration needs a pending order of its own (a consumed one would be
//! a replay), so orders are recorded in the untimed setup; a store is
//! replaced once it holds `ORDERS_PER_STORE` orders, as a busy server's
//! store would hold (its entries are then mostly out of the CPU caches, as
//! in production, where a callback comes minutes after its order was
//! recorded). `verify_small_store` uses stores of `SMALL_STORE` orders
//! instead, to show what those cache misses cost. The ticket source and the
//! memory store answer without waiting, so futures are polled once with a
//! no-op waker: no runtime overhead is measured.

use std::hint::black_box;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::Request;
use axum::routing::get;
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, Criterion, criterion_group, criterion_main};
use faceid_test_support::callbacks::{
    APP_ID, Orders, SMALL_STORE, TICKET, now, plain_handler, request, verified_handler,
};
use tencent_faceid::sign::sign;
use tencent_faceid::tower::FaceCallbackLayer;
use tower::ServiceExt;
use tower::util::MapRequestLayer;

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
            |(verifier, query)| now(verifier.verify(query.as_str())).expect("verified"),
            BatchSize::SmallInput,
        )
    });

    let mut orders = Orders::with_store_size(|verifier| verifier, SMALL_STORE);
    group.bench_function("verify_small_store", |b| {
        b.iter_batched_ref(
            || orders.next(),
            |(verifier, query)| now(verifier.verify(query.as_str())).expect("verified"),
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
