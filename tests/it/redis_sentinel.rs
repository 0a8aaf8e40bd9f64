//! The Redis store and tickets through Redis Sentinel, on a real set of
//! each test's own (`support::redis_sentinel`: a primary, a replica, three
//! sentinels): the contract suites, the exactly-once race, and a failover
//! (`SENTINEL FAILOVER`) while consumes run, which the connection follows.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use faceid_test_support::redis_sentinel::{MASTER, RedisSentinels};
use tencent_faceid::orders::{Claim, Consumed, OrderStore, PendingOrder, RedisOrderStore};
use tencent_faceid::redis::{RedisConnection, RedisTopology};
use tencent_faceid::{OrderNo, UserId};
use tokio::sync::watch;

use crate::redis_topologies::{fifty_consumes_accept_one, pass_the_contracts, test_prefix};
use crate::support::spare_redis::{SpareRedis, temp_dir};

/// A Sentinel set of this test's own and a connection through it, or
/// `None` (after a SKIPPED line) when `redis-server` is not installed.
async fn sentinels(test: &str) -> Option<(RedisSentinels, RedisConnection)> {
    if !SpareRedis::available() {
        SpareRedis::skip(test);
        return None;
    }
    let set = tokio::task::spawn_blocking(RedisSentinels::start)
        .await
        .unwrap();
    let connection = RedisConnection::sentinel(&set.sentinel_urls(), MASTER)
        .await
        .expect("the sentinels name their master");
    assert_eq!(connection.kind(), "sentinel");
    Some((set, connection))
}

/// Removes the keys under `prefix` from the master the sentinels name.
async fn remove_keys(set: &RedisSentinels, prefix: &str) -> usize {
    let url = RedisSentinels::server_url(set.master_port());
    crate::support::redis::remove_keys_at(&url, prefix).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_store_and_tickets_pass_their_contracts_through_sentinel() {
    let Some((set, connection)) =
        sentinels("the_store_and_tickets_pass_their_contracts_through_sentinel").await
    else {
        return;
    };
    let prefix = test_prefix();
    pass_the_contracts(&connection, &prefix).await;
    assert!(remove_keys(&set, &prefix).await > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_fifty_consumes_through_sentinel_exactly_one_wins() {
    let Some((set, connection)) =
        sentinels("of_fifty_consumes_through_sentinel_exactly_one_wins").await
    else {
        return;
    };
    let prefix = test_prefix();
    fifty_consumes_accept_one(&connection, &prefix).await;
    remove_keys(&set, &prefix).await;
}

/// Orders put before the failover; the workers stop a few orders after
/// it, wherever they are by then.
const ORDERS: usize = 1000;
/// Workers racing for each order.
const WORKERS: usize = 4;
/// Orders consumed before the failover starts, and after it completed.
const AROUND_FAILOVER: usize = 5;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failover_mid_consume_accepts_each_order_once_and_the_store_follows_the_new_master() {
    let Some((set, connection)) = sentinels("a_failover_mid_consume").await else {
        return;
    };
    let prefix = test_prefix();
    let store = RedisOrderStore::builder(connection, "appId001")
        .prefix(&prefix)
        .wait_for_replicas(1, Duration::from_millis(200))
        .build();
    store.probe().await.expect("the master accepts WAIT");
    let orders: Vec<OrderNo> = (0..ORDERS)
        .map(|i| OrderNo::new(format!("failover{i}")).unwrap())
        .collect();
    for order_no in &orders {
        let order = PendingOrder::new(order_no.clone(), UserId::new("u1").unwrap());
        store.put(order, Duration::from_secs(3600)).await.unwrap();
    }

    // Each worker takes the orders in turn, each with a claim of its own
    // kept across retries (a retry after a lost reply finds its own
    // attempt), until the store gives a verdict; all stop once told to.
    let (done, mut consumed) = watch::channel(0_usize);
    let (done, stop) = (Arc::new(done), Arc::new(AtomicBool::new(false)));
    let errors = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..WORKERS)
        .map(|_| {
            let (store, orders) = (store.clone(), orders.clone());
            let (done, stop, errors) = (Arc::clone(&done), Arc::clone(&stop), Arc::clone(&errors));
            tokio::spawn(async move {
                let mut verdicts = Vec::new();
                for order_no in &orders {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let claim = Claim::new();
                    let verdict = loop {
                        match store.consume_claim(order_no, &claim).await {
                            Ok(verdict) => break verdict,
                            Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                        };
                    };
                    verdicts.push((order_no.clone(), verdict));
                    done.send_modify(|done| *done += 1);
                }
                verdicts
            })
        })
        .collect();
    consumed
        .wait_for(|done| *done >= AROUND_FAILOVER * WORKERS)
        .await
        .unwrap();
    let old_master = set.start_failover();
    let set = tokio::task::spawn_blocking(move || {
        set.wait_for_failover_from(old_master);
        set
    })
    .await
    .unwrap();
    let after = *consumed.borrow() + AROUND_FAILOVER * WORKERS;
    consumed.wait_for(|done| *done >= after).await.unwrap();
    stop.store(true, Ordering::Relaxed);

    let mut accepted: HashMap<OrderNo, usize> = HashMap::new();
    for worker in workers {
        for (order_no, verdict) in worker.await.unwrap() {
            let count = accepted.entry(order_no.clone()).or_default();
            match verdict {
                Consumed::Accepted(order) => {
                    assert_eq!(order.order_no, order_no);
                    *count += 1;
                }
                Consumed::AlreadyConsumed => {}
                other => panic!("{order_no}: unexpected verdict {other:?}"),
            }
        }
    }
    let new_master = set.master_port();
    assert_ne!(new_master, old_master, "the sentinels named a new master");
    assert!(
        accepted.len() > 2 * AROUND_FAILOVER,
        "{} orders consumed",
        accepted.len()
    );
    for (order_no, count) in &accepted {
        assert_eq!(*count, 1, "{order_no} accepted exactly once");
    }
    assert!(
        errors.load(Ordering::Relaxed) > 0,
        "the failover happened while consumes ran (some failed and were retried)"
    );

    // Nothing lost: the new master holds the tombstone of every order
    // consumed, and the store, through it, refuses every replay.
    let mut master = tencent_faceid::redis::connect(&RedisSentinels::server_url(new_master))
        .await
        .unwrap();
    for order_no in accepted.keys() {
        let record: String = redis::cmd("GET")
            .arg(store.key(order_no))
            .query_async(&mut master)
            .await
            .unwrap();
        assert!(
            record.starts_with("c:"),
            "{order_no} is consumed on the new master"
        );
        assert_eq!(
            store.consume(order_no).await.unwrap(),
            Consumed::AlreadyConsumed
        );
    }
    // And it takes new orders there.
    let order_no = OrderNo::new("afterfailover").unwrap();
    let order = PendingOrder::new(order_no.clone(), UserId::new("u1").unwrap());
    store.put(order, Duration::from_secs(3600)).await.unwrap();
    assert!(matches!(
        store.consume(&order_no).await.unwrap(),
        Consumed::Accepted(_)
    ));
    let record: Option<String> = redis::cmd("GET")
        .arg(store.key(&order_no))
        .query_async(&mut master)
        .await
        .unwrap();
    assert!(record.is_some_and(|record| record.starts_with("c:")));
    remove_keys(&set, &prefix).await;
}

#[tokio::test]
async fn a_master_that_requires_a_password_is_reached_with_it_and_refused_without() {
    const PASSWORD: &str = "faceid-test-master-password";
    if !SpareRedis::available() {
        return SpareRedis::skip("a_master_that_requires_a_password_is_reached_with_it");
    }
    let (master, sentinel, dir) = tokio::task::spawn_blocking(|| {
        let master = SpareRedis::start(&["--requirepass", PASSWORD]);
        let dir = temp_dir();
        let config = dir.join("sentinel.conf");
        let lines = format!(
            "sentinel monitor {MASTER} 127.0.0.1 {port} 1\nsentinel auth-pass {MASTER} {PASSWORD}\n",
            port = master.port()
        );
        std::fs::write(&config, lines).expect("the sentinel's configuration is written");
        (master, SpareRedis::start_sentinel(config), dir)
    })
    .await
    .unwrap();

    let refused = RedisConnection::sentinel(&[sentinel.url()], MASTER).await;
    let refused = refused.expect_err("the master refuses a connection without its password");
    assert!(!format!("{refused:?}").contains(PASSWORD), "{refused:?}");

    let topology = RedisTopology::parse(&sentinel.url(), Some("sentinel"), Some(MASTER))
        .and_then(|topology| topology.with_master_password(PASSWORD))
        .unwrap();
    assert!(!format!("{topology:?}").contains(PASSWORD), "{topology:?}");
    let connection = topology
        .connect()
        .await
        .expect("the master takes its password");
    let prefix = test_prefix();
    let store = RedisOrderStore::builder(connection, "appId001")
        .prefix(&prefix)
        .build();
    store.probe().await.expect("the master carries the store");
    let order_no = OrderNo::new("orderPassword1").unwrap();
    let order = PendingOrder::new(order_no.clone(), UserId::new("u1").unwrap());
    store.put(order, Duration::from_secs(3600)).await.unwrap();
    assert!(matches!(
        store.consume(&order_no).await.unwrap(),
        Consumed::Accepted(_)
    ));
    assert!(matches!(
        store.consume(&order_no).await.unwrap(),
        Consumed::AlreadyConsumed
    ));
    drop((sentinel, master));
    std::fs::remove_dir_all(dir).expect("the sentinel's directory is removed");
}
