//! The Redis capability probe against real servers of each test's own:
//! one that can carry the store, and ones that lack Lua or `WAIT` (renamed
//! away, as cloud proxies and locked-down instances do).

use std::time::Duration;

use tencent_faceid::FaceId;
use tencent_faceid::facade::{FaceIdError, WarmUp};
use tencent_faceid::orders::RedisOrderStore;
use tencent_faceid::redis::{MINIMUM_VERSION, RedisCapabilityError, RedisConnection};

use crate::support::spare_redis::SpareRedis;

/// A Redis of this test's own started with `args`, or `None` (after a
/// SKIPPED line) when `redis-server` is not installed.
fn spare(test: &str, args: &[&str]) -> Option<SpareRedis> {
    if !SpareRedis::available() {
        SpareRedis::skip(test);
        return None;
    }
    Some(SpareRedis::start(args))
}

async fn connection(redis: &SpareRedis) -> RedisConnection {
    tencent_faceid::redis::connect(&redis.url())
        .await
        .expect("the spare Redis answers")
        .into()
}

#[tokio::test]
async fn the_probe_passes_a_redis_that_can_carry_the_store_and_reads_its_version() {
    let Some(redis) = spare("the_probe_passes_a_redis", &[]) else {
        return;
    };
    let connection = connection(&redis).await;
    let version = tencent_faceid::redis::probe(&connection, "faceid-test:{a}:probe", true)
        .await
        .unwrap();
    assert!(version >= MINIMUM_VERSION, "{version}");
}

#[tokio::test]
async fn a_redis_without_lua_is_refused_at_startup_with_a_sentence() {
    let no_lua = [
        "--rename-command",
        "EVALSHA",
        "",
        "--rename-command",
        "EVAL",
        "",
    ];
    let Some(redis) = spare("a_redis_without_lua_is_refused", &no_lua) else {
        return;
    };
    let store = RedisOrderStore::new(connection(&redis).await, "appId001");
    let error = store.probe().await.unwrap_err();
    assert!(
        matches!(error, RedisCapabilityError::EvalForbidden { .. }),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.starts_with("Redis refused to run a Lua script ("),
        "{message}"
    );
    assert!(message.ends_with("allow EVAL, EVALSHA and SCRIPT LOAD for this user, or enable Lua in the cloud instance's settings"), "{message}");

    let built = FaceId::builder("appId001", "secret")
        .callback_url("https://shop.example/cb")
        .redis(redis.url())
        .redis_prefix("faceid-test:probe:")
        .warm_up(WarmUp::Off)
        .build()
        .await;
    let Err(error) = built else {
        panic!("the facade built on a Redis without Lua");
    };
    assert!(
        matches!(
            error,
            FaceIdError::RedisCapability(RedisCapabilityError::EvalForbidden { .. })
        ),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_redis_rejecting_wait_is_refused_only_when_the_store_waits_for_replicas() {
    let Some(redis) = spare("a_redis_rejecting_wait", &["--rename-command", "WAIT", ""]) else {
        return;
    };
    let connection = connection(&redis).await;
    RedisOrderStore::new(connection.clone(), "appId001")
        .probe()
        .await
        .expect("without wait_for_replicas, WAIT is not needed");
    let waiting = RedisOrderStore::builder(connection, "appId001")
        .wait_for_replicas(1, Duration::from_millis(100))
        .build();
    let error = waiting.probe().await.unwrap_err();
    assert!(
        matches!(error, RedisCapabilityError::WaitRejected { .. }),
        "{error:?}"
    );
    assert!(
        error.to_string().ends_with("connect to the primary (or the Cluster's nodes) directly, or turn wait_for_replicas off"),
        "{error}"
    );
}
