//! Callback verification with `RedisOrderStore` on loopback Redis
//! (`REDIS_URL`, default `redis://127.0.0.1:6379`) against
//! `MemoryOrderStore`: each step records a pending order (as a session
//! start does), signs its callback and verifies it through
//! `CallbackVerifier` (signature check and consume-once); one at a time
//! (latency) and 64 in flight (throughput).
//!
//! Group `topology`: put + verify on a 3-master Redis Cluster against a
//! standalone Redis, both started by the bench, with the scripts (round
//! trips) and commands each costs (counted by the servers, printed before
//! the timings).
//!
//! Then the consume itself (group `consume`): the crate's sequential put +
//! verify against the same scripts sent with bare `redis` calls on the
//! same connection, the consume before attempt ids, and both with `WAIT 1`
//! on a local replica the bench starts (`redis-server` on free ports).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ::redis::Script;
use ::redis::aio::ConnectionManager;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use faceid_test_support::callbacks::{self, APP_ID, TICKET};
use faceid_test_support::random_alphanumeric;
use faceid_test_support::redis::remove_keys_at;
use faceid_test_support::redis_cluster::RedisCluster;
use faceid_test_support::spare_redis::SpareRedis;
use tencent_faceid::callback::{CallbackVerifier, RejectionKind};
use tencent_faceid::orders::RedisOrderStore;
use tencent_faceid::orders::{Claim, MemoryOrderStore, OrderStore, PendingOrder};
use tencent_faceid::redis::RedisConnection;
use tencent_faceid::sign::sign;
use tencent_faceid::{OrderNo, UserId};

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
    let verifier = callbacks::verifier(store.clone());
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
        .block_on(tencent_faceid::redis::connect(&url))
        .expect("Redis must run at REDIS_URL or redis://127.0.0.1:6379");
    let redis = RedisOrderStore::builder(redis, "appId001")
        .prefix(&prefix)
        .retention(Duration::from_secs(60))
        .build();
    bench_store(c, &runtime, "redis", redis, Duration::from_secs(600));

    // Consumed orders stay as tombstones until their time to live ends: a
    // short one lets the bounded memory store evict them as it goes (put and
    // consume run back to back, microseconds apart).
    let memory = MemoryOrderStore::with_capacity(1_000_000);
    bench_store(c, &runtime, "memory", memory, Duration::from_millis(200));

    // Remove the tombstones the bench left.
    runtime.block_on(remove_keys_at(&url, &prefix));
}

/// The consume as it was before attempt ids, for the comparison only.
const CONSUME_WITHOUT_ATTEMPT: &str = r"
local record = redis.call('GET', KEYS[1])
if not record then return {0, ''} end
if record == 'c' then return {3, ''} end
local deadline, rest = string.match(record, '^p:(%d+):(%d+:.*)$')
if not deadline then return {4, ''} end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
if now >= tonumber(deadline) then return {2, ''} end
redis.call('SET', KEYS[1], 'c', 'PX', ARGV[1])
return {1, rest}
";

/// The crate's own scripts, sent bare.
struct Bare {
    put: Script,
    consume: Script,
    consume_without_attempt: Script,
}

impl Bare {
    fn new() -> Self {
        Self {
            put: Script::new(include_str!("../src/orders/redis/lua/put.lua")),
            consume: Script::new(include_str!("../src/orders/redis/lua/consume.lua")),
            consume_without_attempt: Script::new(CONSUME_WITHOUT_ATTEMPT),
        }
    }

    /// One put and one consume, as the store sends them, optionally
    /// without the attempt id, optionally with `WAIT 1`.
    async fn put_and_consume(
        &self,
        manager: &mut ConnectionManager,
        key: &str,
        attempt: bool,
        wait: bool,
    ) {
        let record = "1764500000000:-:benchuser";
        // The due index, as the store (index on by default) keeps it.
        let member = format!("1764500000000:{key}");
        let stored: i64 = self
            .put
            .key(key)
            .key("faceid:due")
            .arg(600_000)
            .arg(60_000)
            .arg(record)
            .arg(&member)
            .invoke_async(manager)
            .await
            .expect("put");
        assert_eq!(stored, 1);
        let script = if attempt {
            &self.consume
        } else {
            &self.consume_without_attempt
        };
        let mut invocation = script.key(key);
        invocation.arg(60_000);
        if attempt {
            let claim = Claim::new();
            invocation
                .arg(claim.attempt())
                .arg(u64::MAX / 2)
                .arg("")
                .arg("")
                .arg("0");
        }
        let verdict = if wait {
            // As the store sends it: one pipeline, on one connection.
            let ((verdict, _), acknowledged): ((i64, String), u64) = ::redis::pipe()
                .load_script(script)
                .ignore()
                .invoke_script(&invocation)
                .cmd("WAIT")
                .arg(1)
                .arg(1000)
                .query_async(manager)
                .await
                .expect("consume and WAIT");
            assert_eq!(acknowledged, 1);
            verdict
        } else {
            let (verdict, _): (i64, String) =
                invocation.invoke_async(manager).await.expect("consume");
            verdict
        };
        assert_eq!(verdict, 1);
    }
}

fn consume(c: &mut Criterion) {
    if !SpareRedis::available() {
        return SpareRedis::skip("the consume benchmarks");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let primary = SpareRedis::start(&["--repl-diskless-sync-delay", "0"]);
    let single = SpareRedis::start(&[]);
    let _replica = SpareRedis::replica_of(&primary);
    let user = UserId::new("benchuser").expect("valid user id");
    let ttl = Duration::from_secs(600);
    let counter = AtomicU64::new(0);
    let bare = Bare::new();

    let mut group = c.benchmark_group("consume");
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(500));
    group.sample_size(30);
    for (redis, wait) in [(&single, false), (&primary, true)] {
        let suffix = if wait { "+wait1" } else { "" };
        let mut manager = runtime
            .block_on(tencent_faceid::redis::connect(&redis.url()))
            .expect("the spare Redis answers");
        let mut store = RedisOrderStore::builder(manager.clone(), "appId001")
            .retention(Duration::from_secs(60));
        if wait {
            store = store.wait_for_replicas(1, Duration::from_secs(1));
        }
        let store = store.build();
        let verifier = callbacks::verifier(store.clone());
        group.bench_function(format!("crate_put_verify{suffix}"), |b| {
            b.iter(|| {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                runtime.block_on(put_and_verify(&store, &verifier, ttl, n, &user));
            })
        });
        for attempt in [true, false] {
            let name = if attempt {
                "with_attempt"
            } else {
                "without_attempt"
            };
            group.bench_function(format!("bare_put_consume_{name}{suffix}"), |b| {
                b.iter(|| {
                    let key = format!("bare:{}", counter.fetch_add(1, Ordering::Relaxed));
                    runtime.block_on(bare.put_and_consume(&mut manager, &key, attempt, wait));
                })
            });
        }
    }
    group.finish();
}

/// What all of `nodes` ran so far: (scripts invoked, which are the round
/// trips here; commands, the scripts' own included), from `INFO stats`
/// and `INFO commandstats`.
async fn commands_processed(nodes: &mut [ConnectionManager]) -> (u64, u64) {
    let (mut scripts, mut commands) = (0, 0);
    for node in nodes {
        let info: String = ::redis::cmd("INFO")
            .arg("all")
            .query_async(node)
            .await
            .expect("INFO all");
        let count = |prefix: &str, field: &str| -> u64 {
            info.lines()
                .filter_map(|line| line.strip_prefix(prefix))
                .filter_map(|rest| rest.split(field).nth(1))
                .filter_map(|rest| rest.split(',').next()?.trim().parse::<u64>().ok())
                .sum()
        };
        scripts += count("cmdstat_evalsha:", "calls=") + count("cmdstat_eval:", "calls=");
        commands += count("total_commands_processed", ":");
    }
    (scripts, commands)
}

/// Put + verify on a 3-master Redis Cluster against a standalone Redis
/// (group `topology`), sequential; before each, the scripts (round trips)
/// and commands one put + verify costs (counted by the servers, printed).
fn topologies(c: &mut Criterion) {
    if !SpareRedis::available() {
        return SpareRedis::skip("the topology benchmarks");
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let standalone = SpareRedis::start(&[]);
    let cluster = RedisCluster::start();
    let user = UserId::new("benchuser").expect("valid user id");
    let ttl = Duration::from_secs(600);
    let counter = AtomicU64::new(0);
    let prefix = format!("faceid-bench:{}:", random_alphanumeric(8));

    let mut group = c.benchmark_group("topology");
    group.measurement_time(Duration::from_secs(2));
    group.warm_up_time(Duration::from_millis(500));
    group.sample_size(30);
    let topologies = [
        ("standalone", vec![standalone.url()]),
        ("cluster", cluster.urls()),
    ];
    for (name, nodes) in topologies {
        let connection: RedisConnection = runtime.block_on(async {
            if name == "cluster" {
                cluster.connection().await.into()
            } else {
                tencent_faceid::redis::connect(&standalone.url())
                    .await
                    .expect("Redis")
                    .into()
            }
        });
        let store = RedisOrderStore::builder(connection, "appId001")
            .prefix(&prefix)
            .retention(Duration::from_secs(60))
            .build();
        let verifier = callbacks::verifier(store.clone());
        const COUNTED: u64 = 200;
        runtime.block_on(async {
            // The scripts loaded first, so that the count is the steady one.
            put_and_verify(
                &store,
                &verifier,
                ttl,
                counter.fetch_add(1, Ordering::Relaxed),
                &user,
            )
            .await;
            let mut counters = Vec::new();
            for url in &nodes {
                counters.push(
                    tencent_faceid::redis::connect(url)
                        .await
                        .expect("a node answers"),
                );
            }
            let (scripts, commands) = commands_processed(&mut counters).await;
            for _ in 0..COUNTED {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                put_and_verify(&store, &verifier, ttl, n, &user).await;
            }
            let (scripts_after, commands_after) = commands_processed(&mut counters).await;
            // Less the first count's INFO, once per node.
            let commands = commands_after - commands - nodes.len() as u64;
            eprintln!(
                "topology/{name}: per put + verify, {:.2} scripts (round trips), {:.2} commands run (the scripts' own included)",
                (scripts_after - scripts) as f64 / COUNTED as f64,
                commands as f64 / COUNTED as f64
            );
        });
        group.bench_function(format!("{name}/put_verify"), |b| {
            b.iter(|| {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                runtime.block_on(put_and_verify(&store, &verifier, ttl, n, &user));
            })
        });
    }
    group.finish();
}

criterion_group!(benches, stores, consume, topologies);
criterion_main!(benches);
