//! The Redis order store under faults, each test on `redis-server`
//! processes of its own (free loopback ports, driven by PID): a Redis
//! paused during the consume, a Redis restarted between calls, a failover
//! to a replica, too few replicas. The first genuine callback gets its
//! verdict or a retryable 503 with the order still pending, never 409.

use std::time::Duration;

use crate::support::common::*;
use crate::support::spare_redis::{SpareRedis, temp_dir};
use redis::aio::ConnectionManager;
use tencent_faceid::callback::{CallbackVerifier, RejectionKind};
use tencent_faceid::orders::RedisOrderStore;

/// A connection to `redis`.
async fn connect(redis: &SpareRedis) -> ConnectionManager {
    tencent_faceid::redis::connect(&redis.url())
        .await
        .expect("the spare Redis answers")
}

/// A store on `redis` that gives up on an operation after `timeout`.
async fn store(redis: &SpareRedis, timeout: Duration) -> RedisOrderStore {
    RedisOrderStore::builder(connect(redis).await, "appId001")
        .timeout(timeout)
        .build()
}

fn verifier_on(store: &RedisOrderStore) -> CallbackVerifier {
    CallbackVerifier::builder(&wiring(seed_tickets(), store.clone()).browser_binding(false))
        .record_judge(false)
        .build()
        .unwrap()
}

/// Verifies the genuine callback of `order_no`: the status and, for 200,
/// whether the outcome is for that order.
async fn status(verifier: &CallbackVerifier, order_no: &str) -> u16 {
    match verifier.verify(&callback(order_no, "0", TICKET)).await {
        Ok(outcome) => {
            assert_eq!(outcome.order_no.as_str(), order_no);
            200
        }
        Err(rejection) => rejection.status(),
    }
}

#[tokio::test]
async fn a_consume_stalled_past_the_timeout_is_503_and_the_order_stays_pending() {
    if !SpareRedis::available() {
        return SpareRedis::skip("a_consume_stalled_past_the_timeout");
    }
    let redis = SpareRedis::start(&[]);
    let store = store(&redis, Duration::from_secs(1)).await;
    let verifier = verifier_on(&store);
    start_order(&store, "order1", TTL).await;
    assert_eq!(
        status(&verifier, "unknown1").await,
        404,
        "Redis has the script now"
    );

    redis.signal("STOP");
    let stalled = verifier.verify(&callback("order1", "0", TICKET)).await;
    redis.signal("CONT");
    let rejection = stalled.expect_err("no answer from a paused Redis");
    assert_eq!(rejection.kind(), &RejectionKind::StoreUnavailable);
    assert!(rejection.kind().is_transient());

    // Redis has now run the consumes it had queued, too late to count.
    assert_eq!(
        status(&verifier, "order1").await,
        200,
        "the retry gets the verdict"
    );
    assert_eq!(status(&verifier, "order1").await, 409, "once");
}

#[tokio::test]
async fn a_redis_resumed_while_consuming_gives_the_verdict_or_a_503_never_a_burnt_order() {
    if !SpareRedis::available() {
        return SpareRedis::skip("a_redis_resumed_while_consuming");
    }
    let redis = SpareRedis::start(&[]);
    let store = store(&redis, Duration::from_secs(1)).await;
    let verifier = verifier_on(&store);
    assert_eq!(
        status(&verifier, "unknown1").await,
        404,
        "Redis has the script now"
    );
    for n in 0..8 {
        let order_no = format!("order{n}");
        start_order(&store, &order_no, TTL).await;
        redis.signal("STOP");
        let consuming = tokio::spawn({
            let verifier = verifier.clone();
            let order_no = order_no.clone();
            async move { status(&verifier, &order_no).await }
        });
        // Resume at whatever point the consume has reached.
        if n % 2 == 0 {
            tokio::task::yield_now().await;
        }
        redis.signal("CONT");
        let first = consuming.await.unwrap();
        assert!(matches!(first, 200 | 503), "{order_no}: {first}");
        let second = status(&verifier, &order_no).await;
        let expected = if first == 200 { 409 } else { 200 };
        assert_eq!(second, expected, "{order_no}: accepted exactly once");
    }
}

#[tokio::test]
async fn the_first_call_after_a_redis_restart_succeeds() {
    if !SpareRedis::available() {
        return SpareRedis::skip("the_first_call_after_a_redis_restart_succeeds");
    }
    let dir = temp_dir();
    let dir_arg = dir.to_string_lossy().into_owned();
    let args = [
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--dir",
        &dir_arg,
    ];
    let redis = SpareRedis::start(&args);
    let store = store(&redis, Duration::from_secs(2)).await;
    let verifier = verifier_on(&store);
    start_order(&store, "order1", TTL).await;

    // The connection the store holds is now broken.
    let redis = redis.restart();
    assert_eq!(
        status(&verifier, "order1").await,
        200,
        "kept across the restart"
    );

    let redis = redis.restart();
    start_order(&store, "order2", TTL).await;
    assert_eq!(status(&verifier, "order2").await, 200);
    assert_eq!(status(&verifier, "order1").await, 409);
    drop(redis);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn with_wait_for_replicas_a_promoted_replica_refuses_the_replay() {
    if !SpareRedis::available() {
        return SpareRedis::skip("with_wait_for_replicas_a_promoted_replica_refuses_the_replay");
    }
    // No delay before the first full sync with the replica.
    let primary = SpareRedis::start(&["--repl-diskless-sync-delay", "0"]);
    let replica = SpareRedis::replica_of(&primary);
    // A window long enough for a loaded machine: the consume returns as
    // soon as the (synced) replica acknowledges, so it costs nothing when
    // all is well.
    let durable = RedisOrderStore::builder(connect(&primary).await, "appId001")
        .timeout(Duration::from_secs(30))
        .wait_for_replicas(1, Duration::from_secs(10))
        .build();
    start_order(&durable, "order1", TTL).await;
    assert_eq!(status(&verifier_on(&durable), "order1").await, 200);

    // The primary dies at once; the replica takes over.
    primary.signal("KILL");
    let mut promote = redis::Client::open(replica.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let () = redis::cmd("REPLICAOF")
        .arg("NO")
        .arg("ONE")
        .query_async(&mut promote)
        .await
        .unwrap();
    let after_failover = verifier_on(&store(&replica, Duration::from_secs(2)).await);
    assert_eq!(
        status(&after_failover, "order1").await,
        409,
        "the replay is refused"
    );
}

#[tokio::test]
async fn a_consume_too_few_replicas_acknowledge_is_undone_and_503() {
    if !SpareRedis::available() {
        return SpareRedis::skip("a_consume_too_few_replicas_acknowledge_is_undone_and_503");
    }
    let redis = SpareRedis::start(&[]);
    let plain =
        RedisOrderStore::builder(connect(&redis).await, "appId001").timeout(Duration::from_secs(2));
    let durable = plain
        .clone()
        .wait_for_replicas(1, Duration::from_millis(20))
        .build();
    let plain = plain.build();
    start_order(&plain, "order1", TTL).await;

    let rejection = verifier_on(&durable)
        .verify(&callback("order1", "0", TICKET))
        .await
        .expect_err("no replica acknowledges");
    assert_eq!(rejection.kind(), &RejectionKind::StoreUnavailable);
    let cause = std::error::Error::source(&rejection).map(ToString::to_string);
    assert!(
        cause
            .as_deref()
            .is_some_and(|c| c.contains("0 of the 1 Redis replicas")),
        "{cause:?}"
    );
    assert_eq!(
        status(&verifier_on(&plain), "order1").await,
        200,
        "still pending"
    );
}
