//! Callback verification with `RedisOrderStore` on loopback Redis
//! (`REDIS_URL`, default `redis://127.0.0.1:6379`) against
//! `MemoryOrderStore`: each step records a pending order (as a session
//! start does), signs its callback and verifies it through
//! `CallbackVerifier` (signature check and consume-once); one at a time
//! (latency) and 64 in flight (throughput).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use tencent_faceid::callback::{CallbackVerifier, RejectionKind};
use tencent_faceid::model::{OrderNo, UserId};
use tencent_faceid::nonce::random_alphanumeric;
use tencent_faceid::redis::RedisOrderStore;
use tencent_faceid::sign::sign;
use tencent_faceid::store::{MemoryOrderStore, OrderStore, PendingOrder};
use tencent_faceid::ticket::StaticTickets;

const APP_ID: &str = "appId001";
const TICKET: &str = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe";

async fn put_and_verify(
    store: &impl OrderStore,
    verifier: &CallbackVerifier,
    ttl: Duration,
    n: u64,
    user: &UserId,
) {
    let order_no = OrderNo::new(format!("bench{n}")).expect("valid order number");
    store
        .put(PendingOrder::new(order_no.clone(), user.clone()), ttl)
        .await
        .expect("put");
    let signature = sign(&[APP_ID, order_no.as_str(), "0"], TICKET);
    let query = format!("code=0&orderNo={order_no}&h5faceId=f1&newSignature={signature}");
    match verifier.verify(&query).await {
        Ok(outcome) => assert!(outcome.passed()),
        // Only if this thread was descheduled between put and verify for
        // longer than the time to live (the memory store's is short).
        Err(rejection) => assert_eq!(rejection.kind(), &RejectionKind::Expired),
    }
}

fn bench_store<S: OrderStore + Clone>(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    store: S,
    ttl: Duration,
) {
    let counter = AtomicU64::new(0);
    let user = UserId::new("benchuser").expect("valid user id");
    let verifier =
        CallbackVerifier::builder(APP_ID, StaticTickets::new(TICKET, "n"), store.clone())
            .build()
            .expect("valid configuration");
    let mut group = c.benchmark_group("verify_with_store");
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_secs(1));
    group.sample_size(30);

    group.throughput(Throughput::Elements(1));
    group.bench_function(format!("{name}/sequential"), |b| {
        b.iter(|| {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            runtime.block_on(put_and_verify(&store, &verifier, ttl, n, &user));
        })
    });

    const IN_FLIGHT: u64 = 64;
    group.throughput(Throughput::Elements(IN_FLIGHT));
    group.bench_function(format!("{name}/{IN_FLIGHT}_in_flight"), |b| {
        b.iter(|| {
            let first = counter.fetch_add(IN_FLIGHT, Ordering::Relaxed);
            runtime.block_on(async {
                let tasks: Vec<_> = (first..first + IN_FLIGHT)
                    .map(|n| {
                        let (store, verifier, user) =
                            (store.clone(), verifier.clone(), user.clone());
                        tokio::spawn(async move {
                            put_and_verify(&store, &verifier, ttl, n, &user).await
                        })
                    })
                    .collect();
                for task in tasks {
                    task.await.expect("task");
                }
            });
        })
    });
    group.finish();
}

fn stores(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let prefix = format!("faceid-bench:{}:", random_alphanumeric(8));
    let redis = runtime
        .block_on(RedisOrderStore::connect(&url))
        .expect("Redis must run at REDIS_URL or redis://127.0.0.1:6379")
        .prefix(&prefix)
        .retention(Duration::from_secs(60));
    bench_store(c, &runtime, "redis", redis, Duration::from_secs(600));

    // Consumed orders stay as tombstones until their time to live ends: a
    // short one lets the bounded memory store evict them as it goes (put and
    // consume run back to back, microseconds apart).
    let memory = MemoryOrderStore::with_capacity(1_000_000);
    bench_store(c, &runtime, "memory", memory, Duration::from_millis(200));

    // Remove the tombstones the bench left.
    runtime.block_on(async {
        let mut conn = tencent_faceid::redis::connect(&url).await.expect("connect");
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut conn)
            .await
            .expect("KEYS");
        for chunk in keys.chunks(1000) {
            let _: () = redis::cmd("DEL")
                .arg(chunk)
                .query_async(&mut conn)
                .await
                .expect("DEL");
        }
    });
}

criterion_group!(benches, stores);
criterion_main!(benches);
