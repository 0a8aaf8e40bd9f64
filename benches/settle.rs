//! Settlement costs.
//!
//! - `consume`: one `consume` of a pending order, with the due index on
//!   (the default) and off, in memory and in Redis on loopback (`REDIS_URL`,
//!   default `redis://127.0.0.1:6379`); the store is first filled with
//!   10 000 pending orders so that the index has a size (the memory store
//!   keeps up to a million, evicting expired ones); orders are put in
//!   chunks (not measured) and then consumed (measured). The put of each
//!   order happens outside the measurement; `put` measures it alone.
//! - `reconcile`: one reconciler round over 20 due orders, each passed on
//!   the emulator (a `queryfacerecord` on loopback HTTP, a consume and a
//!   hook call), per order.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use faceid_test_support::random_alphanumeric;
use faceid_test_support::redis::remove_keys_at;
use tencent_faceid::ManualClock;
use tencent_faceid::orders::RedisOrderStore;
use tencent_faceid::orders::{Consumed, MemoryOrderStore, OrderStore, PendingOrder};
use tencent_faceid::session::{SessionStarter, StartSession};
use tencent_faceid::settle::{Reconciler, Settlement, Settler};
use tencent_faceid::tickets::CachedTickets;
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::{Emulator, Outcome};

const FILL: u64 = 10_000;
/// Orders put, then consumed, at a time.
const CHUNK: u64 = 2_000;

fn order(n: u64) -> PendingOrder {
    PendingOrder::new(
        OrderNo::new(format!("bench{n}")).expect("valid order number"),
        UserId::new("benchuser").expect("valid user id"),
    )
}

fn bench_consume(
    c: &mut Criterion,
    runtime: &tokio::runtime::Runtime,
    name: &str,
    store: &dyn OrderStore,
    ttl: Duration,
) {
    let counter = AtomicU64::new(0);
    runtime.block_on(async {
        for _ in 0..FILL {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            store.put(order(n), ttl).await.expect("put");
        }
    });
    let mut group = c.benchmark_group("consume");
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(500));
    group.sample_size(30);
    group.bench_function(name, |b| {
        // Chunks of orders are put (not measured), then consumed (measured)
        // in the order they were put, as callbacks come minutes later.
        b.iter_custom(|iterations| {
            let mut measured = Duration::ZERO;
            let mut left = iterations;
            while left > 0 {
                let chunk = left.min(CHUNK);
                left -= chunk;
                let first = counter.fetch_add(chunk, Ordering::Relaxed);
                let orders: Vec<_> = (first..first + chunk).map(order).collect();
                let numbers: Vec<_> = orders.iter().map(|o| o.order_no.clone()).collect();
                runtime.block_on(async {
                    for pending in orders {
                        store.put(pending, ttl).await.expect("put");
                    }
                });
                let start = Instant::now();
                runtime.block_on(async {
                    for order_no in &numbers {
                        let consumed = store.consume(order_no).await.expect("consume");
                        // Expired only if this thread was descheduled between
                        // put and consume for longer than the time to live.
                        assert!(
                            matches!(consumed, Consumed::Accepted(_) | Consumed::Expired),
                            "{consumed:?}"
                        );
                    }
                });
                measured += start.elapsed();
            }
            measured
        })
    });
    group.finish();
    let mut group = c.benchmark_group("put");
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(500));
    group.sample_size(30);
    group.bench_function(name, |b| {
        b.iter(|| {
            let pending = order(counter.fetch_add(1, Ordering::Relaxed));
            runtime.block_on(store.put(pending, ttl)).expect("put");
        })
    });
    group.finish();
}

fn consume(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    // Every store keeps the due index (a store that could not is no
    // SettlementStore): one bench each.
    {
        // A short time to live lets the bounded store evict as it goes
        // (put and consume run microseconds apart).
        let store = MemoryOrderStore::builder().capacity(1_000_000).build();
        let name = "memory/index";
        bench_consume(c, &runtime, name, &store, Duration::from_millis(800));
    }
    let url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let prefix = format!("faceid-bench:{}:", random_alphanumeric(8));
    let redis = runtime
        .block_on(tencent_faceid::redis::connect(&url))
        .expect("Redis must run at REDIS_URL or redis://127.0.0.1:6379");
    let redis = RedisOrderStore::builder(redis, "appId001").retention(Duration::from_secs(60));
    {
        let store = redis.clone().prefix(format!("{prefix}true:")).build();
        let name = "redis/index";
        bench_consume(c, &runtime, name, &store, Duration::from_secs(600));
    }
    runtime.block_on(remove_keys_at(&url, &prefix));
}

fn reconcile(c: &mut Criterion) {
    const ORDERS: u64 = 20;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let clock = ManualClock::new();
    let emulator = runtime
        .block_on(
            Emulator::builder()
                .allow_in_release(true)
                .clock(clock.clone())
                .start(),
        )
        .expect("emulator");
    let store = MemoryOrderStore::with_capacity(1_000_000);
    let tickets = CachedTickets::builder(emulator.client()).build();
    let wiring = tencent_faceid::wiring::Wiring::new(emulator.client(), tickets, store)
        .browser_binding(false);
    let starter = SessionStarter::builder(&wiring).build().expect("starter");
    let settler = Settler::builder(&wiring)
        .on_settled(|_: Settlement| async { Ok::<(), std::convert::Infallible>(()) })
        .build();
    let reconciler = Reconciler::builder(settler)
        .rate(1e9)
        .batch(ORDERS as usize)
        .build();
    let mut group = c.benchmark_group("reconcile");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_millis(500));
    group.sample_size(10);
    group.throughput(Throughput::Elements(ORDERS));
    group.bench_function("emulator/memory/per_order", |b| {
        b.iter_custom(|rounds| {
            let mut measured = Duration::ZERO;
            for _ in 0..rounds {
                runtime.block_on(async {
                    for _ in 0..ORDERS {
                        let user = UserId::new(random_alphanumeric(12)).expect("user id");
                        let request = StartSession::new(
                            user,
                            "https://partner.example/cb".parse().expect("url"),
                        )
                        .name("Zhang San")
                        .id_number("110101199003074477");
                        let started = starter.start(request).await.expect("start");
                        emulator
                            .complete(&started.h5face_id, Outcome::Pass)
                            .expect("complete");
                    }
                });
                emulator
                    .advance(Duration::from_secs(11 * 60))
                    .expect("advance");
                let start = Instant::now();
                let round = runtime.block_on(reconciler.run_once()).expect("round");
                measured += start.elapsed();
                assert_eq!(round.passed, ORDERS as usize, "{round:?}");
            }
            measured
        })
    });
    group.finish();
}

criterion_group!(benches, consume, reconcile);
criterion_main!(benches);
