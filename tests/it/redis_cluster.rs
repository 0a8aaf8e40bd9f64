//! The Redis store and tickets on a real 3-master Redis Cluster of each
//! test's own (`support::redis_cluster`): the contract suites, the
//! exactly-once race on several shards, the capability probe, and the
//! facade configured with `FACEID_REDIS_MODE=cluster`.

use std::collections::HashMap;

use faceid_test_support::redis_cluster::RedisCluster;
use tencent_faceid::facade::{FaceIdBuilder, FaceIdError};
use tencent_faceid::orders::{Consumed, OrderStore, PendingOrder, RedisOrderStore};
use tencent_faceid::redis::{MINIMUM_VERSION, RedisConnection, RedisTopology};
use tencent_faceid::{OrderNo, UserId};

use crate::redis_topologies::{fifty_consumes_accept_one, pass_the_contracts, test_prefix};
use crate::support::spare_redis::SpareRedis;

/// A cluster of this test's own, or `None` (after a SKIPPED line) when
/// `redis-server` is not installed.
async fn cluster(test: &str) -> Option<RedisCluster> {
    if !SpareRedis::available() {
        SpareRedis::skip(test);
        return None;
    }
    Some(
        tokio::task::spawn_blocking(RedisCluster::start)
            .await
            .unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_store_and_tickets_pass_their_contracts_on_a_cluster() {
    let Some(cluster) = cluster("the_store_and_tickets_pass_their_contracts_on_a_cluster").await
    else {
        return;
    };
    let connection = RedisConnection::from(cluster.connection().await);
    assert_eq!(connection.kind(), "cluster");
    let prefix = test_prefix();
    pass_the_contracts(&connection, &prefix).await;
    assert!(cluster.remove_keys(&prefix).await > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_fifty_consumes_on_a_cluster_exactly_one_wins_on_every_shard() {
    let Some(cluster) = cluster("of_fifty_consumes_on_a_cluster_exactly_one_wins").await else {
        return;
    };
    let connection = RedisConnection::from(cluster.connection().await);
    let prefix = test_prefix();
    fifty_consumes_accept_one(&connection, &prefix).await;
    // The apps' keys spread over more than one node.
    let mut nodes_holding_keys = 0;
    for url in cluster.urls() {
        let mut node = tencent_faceid::redis::connect(&url).await.unwrap();
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut node)
            .await
            .unwrap();
        nodes_holding_keys += usize::from(!keys.is_empty());
    }
    assert!(nodes_holding_keys > 1, "the races ran on one shard only");
    cluster.remove_keys(&prefix).await;
}

#[tokio::test]
async fn the_probe_passes_a_cluster_and_names_every_nodes_version() {
    let Some(cluster) = cluster("the_probe_passes_a_cluster").await else {
        return;
    };
    let connection = RedisConnection::from(cluster.connection().await);
    let version = tencent_faceid::redis::probe(&connection, "faceid-test:{appId001}:probe", true)
        .await
        .expect("a Redis 5.0+ cluster can carry the store");
    assert!(version >= MINIMUM_VERSION, "{version}");
    let store = RedisOrderStore::builder(connection, "appId001")
        .wait_for_replicas(0, std::time::Duration::from_millis(10))
        .build();
    assert_eq!(store.probe().await.unwrap(), version);
}

#[tokio::test]
async fn from_vars_with_the_cluster_mode_builds_on_the_cluster() {
    let Some(cluster) = cluster("from_vars_with_the_cluster_mode_builds_on_the_cluster").await
    else {
        return;
    };
    let prefix = test_prefix();
    let vars = HashMap::from([
        ("FACEID_APP_ID", "appId001".to_owned()),
        ("FACEID_SECRET", "secret".to_owned()),
        ("FACEID_CALLBACK_URL", "https://shop.example/cb".to_owned()),
        ("FACEID_REDIS_URL", cluster.urls().join(",")),
        ("FACEID_REDIS_MODE", "cluster".to_owned()),
        ("FACEID_REDIS_PREFIX", prefix.clone()),
    ]);
    let builder = FaceIdBuilder::from_vars(|name| vars.get(name).cloned()).unwrap();
    let faceid = builder
        .warm_up(tencent_faceid::facade::WarmUp::Off)
        .build()
        .await
        .expect("the facade builds on the cluster");
    // Its store is the cluster: an order put there is consumed through a
    // store of this test's own.
    let order_no = OrderNo::new("viaenv1").unwrap();
    let order = PendingOrder::new(order_no.clone(), UserId::new("u1").unwrap());
    faceid
        .wiring()
        .store()
        .put(order, std::time::Duration::from_secs(60))
        .await
        .unwrap();
    let own = RedisOrderStore::builder(cluster.connection().await, "appId001")
        .prefix(&prefix)
        .build();
    assert!(matches!(
        own.consume(&order_no).await.unwrap(),
        Consumed::Accepted(_)
    ));
    cluster.remove_keys(&prefix).await;

    let wrong = HashMap::from([
        ("FACEID_APP_ID", "appId001".to_owned()),
        ("FACEID_SECRET", "secret".to_owned()),
        ("FACEID_REDIS_URL", cluster.urls().join(",")),
    ]);
    let error = FaceIdBuilder::from_vars(|name| wrong.get(name).cloned()).unwrap_err();
    assert!(matches!(error, FaceIdError::RedisTopology(_)), "{error:?}");
    assert_eq!(
        error.to_string(),
        "FACEID_REDIS_URL lists 3 URLs, which needs FACEID_REDIS_MODE=cluster (the nodes of a Redis Cluster) or FACEID_REDIS_MODE=sentinel (the sentinels); give one URL for a standalone Redis"
    );
    assert_eq!(
        RedisTopology::parse(&cluster.urls().join(","), Some("cluster"), None).unwrap(),
        RedisTopology::Cluster(cluster.urls())
    );
}
