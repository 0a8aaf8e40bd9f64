//! What the Redis Cluster (`redis_cluster`) and Sentinel
//! (`redis_sentinel`) tests check alike, on a [`RedisConnection`] to
//! either: the contract suites of the order store and the tickets, and
//! fifty consumes of one order racing, exactly one accepted.

use std::sync::Arc;
use std::time::Duration;

use faceid_test_support::random_alphanumeric;
use tencent_faceid::contract;
use tencent_faceid::orders::{Consumed, OrderStore, PendingOrder, RedisOrderStore};
use tencent_faceid::redis::RedisConnection;
use tencent_faceid::tickets::RedisTickets;
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::Emulator;
use tokio::sync::Barrier;

/// A key prefix of one test: its keys, removed at its end.
pub fn test_prefix() -> String {
    format!("faceid-test:{}:", random_alphanumeric(12))
}

/// Runs the order store and the ticket provider contracts on
/// `connection`, each backend under a fresh prefix below `prefix`.
pub async fn pass_the_contracts(connection: &RedisConnection, prefix: &str) {
    let fresh = || format!("{prefix}{}:", random_alphanumeric(8));
    let store = async || {
        RedisOrderStore::builder(connection.clone(), "appId001")
            .prefix(fresh())
            .build()
    };
    let outcome = contract::settlement_store(store).await;
    assert!(outcome.skipped.is_empty(), "{outcome:?}");
    for part in ["erasure and legal hold", "purge", "due index"] {
        assert!(outcome.checked.contains(&part), "{part}: {outcome:?}");
    }

    let emulator = Emulator::start().await.expect("the emulator starts");
    let tickets = async || {
        RedisTickets::builder(emulator.client(), connection.clone())
            .prefix(fresh())
            .build()
    };
    contract::ticket_provider(tickets).await;
}

/// The app ids the races run under: on a Cluster, their hash tags fall in
/// different slots, so the races run on several shards.
const APPS: [&str; 3] = ["appId001", "appId002", "appId003"];

/// For each app: one order, fifty consumes at once from fifty stores (the
/// instances of a server) on clones of `connection`: exactly one is
/// accepted, the others find it consumed.
pub async fn fifty_consumes_accept_one(connection: &RedisConnection, prefix: &str) {
    const RACERS: usize = 50;
    for app in APPS {
        let stores: Vec<RedisOrderStore> = (0..RACERS)
            .map(|_| {
                RedisOrderStore::builder(connection.clone(), app)
                    .prefix(prefix)
                    .build()
            })
            .collect();
        let order_no = OrderNo::new("race1").unwrap();
        let order = PendingOrder::new(order_no.clone(), UserId::new("u1").unwrap());
        stores[0]
            .put(order, Duration::from_secs(3600))
            .await
            .expect("the order is put");
        let barrier = Arc::new(Barrier::new(RACERS));
        let racers: Vec<_> = stores
            .into_iter()
            .map(|store| {
                let (barrier, order_no) = (Arc::clone(&barrier), order_no.clone());
                tokio::spawn(async move {
                    barrier.wait().await;
                    store.consume(&order_no).await.expect("Redis answers")
                })
            })
            .collect();
        let mut accepted = 0;
        for racer in racers {
            match racer.await.unwrap() {
                Consumed::Accepted(order) => {
                    assert_eq!(order.order_no, order_no);
                    accepted += 1;
                }
                Consumed::AlreadyConsumed => {}
                other => panic!("{app}: unexpected verdict {other:?}"),
            }
        }
        assert_eq!(
            accepted, 1,
            "{app}: exactly one of {RACERS} consumes is accepted"
        );
    }
}
