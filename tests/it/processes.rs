//! Fifty concurrent genuine callbacks for one order, from four processes
//! sharing one Redis, one Redis Cluster, one PostgreSQL or one MySQL: exactly one is accepted, the
//! others are replays.
//!
//! The test re-executes its own binary four times, running only the
//! ignored `child_process_verifies` test, which waits on stdin for the
//! start signal so that all processes fire together.

use std::sync::Arc;

use crate::support;
use crate::support::children::{Children, ENV_BACKEND, ENV_URL, var};
use crate::support::common::*;
use crate::support::postgres::Schema;
use crate::support::spare_redis::SpareRedis;
use faceid_test_support::random_alphanumeric;
use faceid_test_support::redis_cluster::RedisCluster;
use tencent_faceid::callback::CallbackVerifier;
use tencent_faceid::client::FaceIdClient;
use tencent_faceid::orders::{PostgresOrderStore, RedisOrderStore, SettlementStore};
use tencent_faceid::redis::RedisTopology;
use tencent_faceid::wiring::Wiring;

const PROCESSES: usize = 4;
const CALLBACKS: usize = 50;

/// What a child process needs: the backend (`redis`, `redis-cluster`,
/// `postgres` or `mysql`), its URL (for the cluster, the nodes',
/// comma-separated; for MySQL, the test's database), the key prefix or
/// schema, the order and how many callbacks to send.
const ENV_PREFIX: &str = "FACEID_CHILD_PREFIX";
const ENV_ORDER: &str = "FACEID_CHILD_ORDER";
const ENV_COUNT: &str = "FACEID_CHILD_COUNT";

async fn store(backend: &str, url: &str, prefix: &str) -> Arc<dyn SettlementStore> {
    if backend == "postgres" {
        let pool = tencent_faceid::orders::postgres_pool(url)
            .await
            .expect("the tests' PostgreSQL answers");
        let store = PostgresOrderStore::builder(pool, "appId001").schema(prefix);
        return Arc::new(store.build().await.expect("a migrated schema"));
    }
    if backend == "mysql" {
        let pool = tencent_faceid_mysql::mysql_pool(url)
            .await
            .expect("the tests' MySQL answers");
        let store = tencent_faceid_mysql::MySqlOrderStore::builder(pool, "appId001");
        return Arc::new(store.build().await.expect("a migrated database"));
    }
    // `redis` or `redis-cluster` (its nodes' URLs, comma-separated).
    let mode = backend.strip_prefix("redis-");
    let topology = RedisTopology::parse(url, mode, None).expect("a Redis topology");
    let connection = topology.connect().await.expect("the spare Redis answers");
    Arc::new(
        RedisOrderStore::builder(connection, "appId001")
            .prefix(prefix)
            .build(),
    )
}

#[test]
fn postgres_is_available() {
    support::postgres::require();
}

#[tokio::test]
async fn fifty_callbacks_from_four_processes_are_accepted_exactly_once() {
    if !SpareRedis::available() {
        return SpareRedis::skip("fifty_callbacks_from_four_processes");
    }
    let redis = SpareRedis::start(&[]);
    let prefix = format!("faceid-test:{}:", random_alphanumeric(8));
    race("redis", &redis.url(), &prefix).await;
}

#[tokio::test]
async fn fifty_callbacks_from_four_processes_sharing_a_redis_cluster_are_accepted_exactly_once() {
    if !SpareRedis::available() {
        return SpareRedis::skip("fifty_callbacks_from_four_processes_sharing_a_redis_cluster");
    }
    let cluster = tokio::task::spawn_blocking(RedisCluster::start)
        .await
        .unwrap();
    let prefix = format!("faceid-test:{}:", random_alphanumeric(8));
    race("redis-cluster", &cluster.urls().join(","), &prefix).await;
}

#[tokio::test]
async fn fifty_callbacks_from_four_processes_sharing_postgres_are_accepted_exactly_once() {
    let Some(url) = support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.expect("PostgreSQL answers");
    race("postgres", url, &schema.name).await;
    schema.drop().await;
}

#[tokio::test]
async fn fifty_callbacks_from_four_processes_sharing_mysql_are_accepted_exactly_once() {
    let Some(database) = support::mysql::Database::new().await else {
        return;
    };
    race("mysql", &database.url, "").await;
    database.drop().await;
}

/// Puts one order in the backend, then has four child processes send
/// fifty genuine callbacks for it at once.
async fn race(backend: &str, url: &str, prefix: &str) {
    start_order(&*store(backend, url, prefix).await, "order1", TTL).await;

    let mut children = Children::ready(
        "processes::child_process_verifies",
        PROCESSES,
        |i, child| {
            let count = CALLBACKS / PROCESSES + usize::from(i < CALLBACKS % PROCESSES);
            child
                .env(ENV_BACKEND, backend)
                .env(ENV_URL, url)
                .env(ENV_PREFIX, prefix)
                .env(ENV_ORDER, "order1")
                .env(ENV_COUNT, count.to_string());
        },
    );
    children.go();
    let statuses: Vec<u16> = children
        .lines("status ")
        .iter()
        .map(|status| status.parse().unwrap())
        .collect();
    assert_eq!(statuses.len(), CALLBACKS, "every callback was answered");
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|&&s| s == 409).count(),
        CALLBACKS - 1
    );
}

/// One of the four processes: sends its share of the callbacks at once
/// when told to, and prints each status.
#[tokio::test]
#[ignore = "a child process of fifty_callbacks_from_four_processes_are_accepted_exactly_once"]
async fn child_process_verifies() {
    let store = store(&var(ENV_BACKEND), &var(ENV_URL), &var(ENV_PREFIX)).await;
    let client = FaceIdClient::builder(APP_ID, "secret").build().unwrap();
    let wiring = Wiring::shared(client, Arc::new(seed_tickets()), store);
    let verifier = CallbackVerifier::builder(&wiring.browser_binding(false))
        .record_judge(false)
        .build()
        .unwrap();
    let query = callback(&var(ENV_ORDER), "0", TICKET);
    let count: usize = var(ENV_COUNT).parse().unwrap();
    println!("ready");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    let tasks: Vec<_> = (0..count)
        .map(|_| {
            let verifier = verifier.clone();
            let query = query.clone();
            tokio::spawn(async move {
                match verifier.verify(&query).await {
                    Ok(_) => 200,
                    Err(rejection) => rejection.status(),
                }
            })
        })
        .collect();
    for task in tasks {
        println!("status {}", task.await.unwrap());
    }
}
