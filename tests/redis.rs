//! `tencent_faceid::redis` against a real Redis (`REDIS_URL`, default
//! `redis://127.0.0.1:6379`). Every test works under its own random key
//! prefix and deletes its keys at the end.

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tencent_faceid::model::{OrderNo, UserId};
use tencent_faceid::nonce::random_alphanumeric;
use tencent_faceid::redis::{RedisBackendError, RedisOrderStore};
use tencent_faceid::store::{Consumed, OrderStore, PendingOrder, StoreError};

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A new connection: each one plays a separate server instance.
async fn manager() -> ConnectionManager {
    tencent_faceid::redis::connect(&redis_url())
        .await
        .expect("Redis must run at REDIS_URL or redis://127.0.0.1:6379")
}

fn random_prefix() -> String {
    format!("faceid-test:{}:", random_alphanumeric(12))
}

/// Deletes every key under `prefix`.
async fn cleanup(prefix: &str) {
    let mut conn = manager().await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .expect("KEYS");
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL")
            .arg(&keys)
            .query_async(&mut conn)
            .await
            .expect("DEL");
    }
}

async fn pttl(key: &str) -> i64 {
    redis::cmd("PTTL")
        .arg(key)
        .query_async(&mut manager().await)
        .await
        .expect("PTTL")
}

fn order(no: &str, user: &str) -> PendingOrder {
    PendingOrder::new(OrderNo::new(no).unwrap(), UserId::new(user).unwrap())
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn put_then_consume_accepts_once_then_refuses_the_replay() {
    let prefix = random_prefix();
    let store = RedisOrderStore::new(manager().await).prefix(&prefix);
    let pending = order("order1", "user_1");
    store.put(pending.clone(), HOUR).await.unwrap();

    let Consumed::Accepted(accepted) = store.consume(&pending.order_no).await.unwrap() else {
        panic!("a pending order must be accepted");
    };
    assert_eq!(accepted.order_no, pending.order_no);
    assert_eq!(accepted.user_id, pending.user_id);
    let millis = pending
        .created_at
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let truncated = UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap());
    assert_eq!(
        accepted.created_at, truncated,
        "created_at is kept to the millisecond"
    );

    assert_eq!(
        store.consume(&pending.order_no).await.unwrap(),
        Consumed::AlreadyConsumed
    );
    assert_eq!(
        store.consume(&pending.order_no).await.unwrap(),
        Consumed::AlreadyConsumed
    );
    cleanup(&prefix).await;
}

#[tokio::test]
async fn an_order_never_put_is_unknown() {
    let prefix = random_prefix();
    let store = RedisOrderStore::new(manager().await).prefix(&prefix);
    store.put(order("known1", "u1"), HOUR).await.unwrap();
    assert_eq!(
        store
            .consume(&OrderNo::new("unknown1").unwrap())
            .await
            .unwrap(),
        Consumed::Unknown
    );
    cleanup(&prefix).await;
}

#[tokio::test]
async fn an_order_past_its_deadline_is_expired_not_unknown_and_stays_unconsumed() {
    let prefix = random_prefix();
    let store = RedisOrderStore::new(manager().await)
        .prefix(&prefix)
        .retention(HOUR);
    // A time to live of zero puts the deadline at the moment of `put` on the
    // Redis clock, so any later consume is past it: no waiting needed.
    let pending = order("late1", "u1");
    store.put(pending.clone(), Duration::ZERO).await.unwrap();
    let key = store.key(&pending.order_no);
    assert_eq!(
        store.consume(&pending.order_no).await.unwrap(),
        Consumed::Expired
    );
    assert_eq!(
        store.consume(&pending.order_no).await.unwrap(),
        Consumed::Expired,
        "an expired order is not turned into a consumed one"
    );
    // The record outlives its deadline by the retention: that is what keeps
    // "expired" distinguishable from "unknown".
    let left = pttl(&key).await;
    assert!(left > 0 && left <= 3_600_000, "PTTL {left}");

    // Once the retention has run out (forced here), it is forgotten.
    let _: () = redis::cmd("PEXPIRE")
        .arg(&key)
        .arg(0)
        .query_async(&mut manager().await)
        .await
        .unwrap();
    assert_eq!(
        store.consume(&pending.order_no).await.unwrap(),
        Consumed::Unknown
    );
    cleanup(&prefix).await;
}

#[tokio::test]
async fn the_key_lives_for_ttl_plus_retention_and_the_tombstone_for_the_retention() {
    let prefix = random_prefix();
    let retention = Duration::from_secs(600);
    let store = RedisOrderStore::new(manager().await)
        .prefix(&prefix)
        .retention(retention);
    let pending = order("ttl1", "u1");
    store.put(pending.clone(), HOUR).await.unwrap();
    let key = store.key(&pending.order_no);
    assert_eq!(key, format!("{prefix}order:ttl1"));
    let pending_ttl = pttl(&key).await;
    assert!(
        pending_ttl > 3_600_000 && pending_ttl <= 4_200_000,
        "a pending key lives for ttl + retention, PTTL {pending_ttl}"
    );

    assert!(matches!(
        store.consume(&pending.order_no).await.unwrap(),
        Consumed::Accepted(_)
    ));
    let tombstone_ttl = pttl(&key).await;
    assert!(
        tombstone_ttl > 0 && tombstone_ttl <= 600_000,
        "a tombstone lives for the retention, PTTL {tombstone_ttl}"
    );
    cleanup(&prefix).await;
}

#[tokio::test]
async fn a_duplicate_order_number_is_refused_before_and_after_consumption() {
    let prefix = random_prefix();
    let store = RedisOrderStore::new(manager().await).prefix(&prefix);
    let pending = order("dup1", "u1");
    store.put(pending.clone(), HOUR).await.unwrap();

    let again = store.put(order("dup1", "someone_else"), HOUR).await;
    assert!(
        matches!(&again, Err(StoreError::Duplicate(no)) if no.as_str() == "dup1"),
        "{again:?}"
    );
    // The first recording is untouched.
    let Consumed::Accepted(accepted) = store.consume(&pending.order_no).await.unwrap() else {
        panic!("the original order must still be pending");
    };
    assert_eq!(accepted.user_id.as_str(), "u1");

    let after = store.put(order("dup1", "u1"), HOUR).await;
    assert!(matches!(after, Err(StoreError::Duplicate(_))), "{after:?}");
    assert_eq!(
        store.consume(&pending.order_no).await.unwrap(),
        Consumed::AlreadyConsumed
    );
    cleanup(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_consumes_on_four_instances_exactly_one_wins() {
    let prefix = random_prefix();
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(RedisOrderStore::new(manager().await).prefix(&prefix));
    }
    let orders: Vec<OrderNo> = (0..20)
        .map(|i| OrderNo::new(format!("race{i}")).unwrap())
        .collect();
    for no in &orders {
        stores[0]
            .put(
                PendingOrder::new(no.clone(), UserId::new("u1").unwrap()),
                HOUR,
            )
            .await
            .unwrap();
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(orders.len() * 16));
    let mut tasks = Vec::new();
    for no in &orders {
        for i in 0..16 {
            let store = stores[i % stores.len()].clone();
            let no = no.clone();
            let barrier = Arc::clone(&barrier);
            tasks.push(tokio::spawn(async move {
                barrier.wait().await;
                (no.clone(), store.consume(&no).await.unwrap())
            }));
        }
    }
    let mut accepted = std::collections::HashMap::new();
    for task in tasks {
        let (no, verdict) = task.await.unwrap();
        match verdict {
            Consumed::Accepted(order) => {
                assert_eq!(order.order_no, no);
                *accepted.entry(no).or_insert(0) += 1;
            }
            Consumed::AlreadyConsumed => {}
            other => panic!("unexpected verdict {other:?}"),
        }
    }
    for no in &orders {
        assert_eq!(
            accepted.get(no),
            Some(&1),
            "order {no} accepted exactly once"
        );
    }
    cleanup(&prefix).await;
}

#[tokio::test]
async fn a_session_put_on_instance_a_is_consumed_on_b_and_its_replay_refused_on_c() {
    let prefix = random_prefix();
    let a = RedisOrderStore::new(manager().await).prefix(&prefix);
    let b = RedisOrderStore::new(manager().await).prefix(&prefix);
    let c = RedisOrderStore::new(manager().await).prefix(&prefix);
    let pending = order("crossinstance1", "user_9");
    a.put(pending.clone(), HOUR).await.unwrap();

    let Consumed::Accepted(at_b) = b.consume(&pending.order_no).await.unwrap() else {
        panic!("instance B must accept the order instance A started");
    };
    assert_eq!(at_b.user_id, pending.user_id);
    assert_eq!(
        c.consume(&pending.order_no).await.unwrap(),
        Consumed::AlreadyConsumed
    );
    assert_eq!(
        a.consume(&pending.order_no).await.unwrap(),
        Consumed::AlreadyConsumed
    );
    cleanup(&prefix).await;
}

#[tokio::test]
async fn prefixes_keep_stores_apart() {
    let (p1, p2) = (random_prefix(), random_prefix());
    let conn = manager().await;
    let s1 = RedisOrderStore::new(conn.clone()).prefix(&p1);
    let s2 = RedisOrderStore::new(conn).prefix(&p2);
    let pending = order("shared1", "u1");
    s1.put(pending.clone(), HOUR).await.unwrap();
    assert_eq!(
        s2.consume(&pending.order_no).await.unwrap(),
        Consumed::Unknown
    );
    s2.put(pending.clone(), HOUR).await.unwrap();
    assert!(matches!(
        s1.consume(&pending.order_no).await.unwrap(),
        Consumed::Accepted(_)
    ));
    assert!(matches!(
        s2.consume(&pending.order_no).await.unwrap(),
        Consumed::Accepted(_)
    ));
    cleanup(&p1).await;
    cleanup(&p2).await;
}

#[tokio::test]
async fn a_foreign_value_under_the_prefix_is_a_backend_error_not_a_verdict() {
    let prefix = random_prefix();
    let store = RedisOrderStore::new(manager().await).prefix(&prefix);
    let no = OrderNo::new("foreign1").unwrap();
    let _: () = redis::cmd("SET")
        .arg(store.key(&no))
        .arg("something else")
        .query_async(&mut manager().await)
        .await
        .unwrap();
    let result = store.consume(&no).await;
    let Err(StoreError::Backend(source)) = result else {
        panic!("expected a backend error, got {result:?}");
    };
    assert!(
        matches!(
            source.downcast_ref::<RedisBackendError>(),
            Some(RedisBackendError::Corrupt { key, .. }) if *key == store.key(&no)
        ),
        "{source}"
    );
    cleanup(&prefix).await;
}

#[tokio::test]
async fn an_unreachable_redis_is_a_typed_backend_error() {
    // A port nobody listens on: bind an ephemeral one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}")).unwrap();
    let config = ConnectionManagerConfig::new().set_number_of_retries(0);
    let manager = ConnectionManager::new_lazy_with_config(client, config).unwrap();
    let store = RedisOrderStore::new(manager);
    let result = store.put(order("down1", "u1"), HOUR).await;
    let Err(StoreError::Backend(source)) = result else {
        panic!("expected a backend error, got {result:?}");
    };
    assert!(
        matches!(
            source.downcast_ref::<RedisBackendError>(),
            Some(RedisBackendError::Redis(e)) if e.is_connection_refusal()
        ),
        "{source}"
    );
    let consumed = store.consume(&OrderNo::new("down1").unwrap()).await;
    assert!(
        matches!(consumed, Err(StoreError::Backend(_))),
        "{consumed:?}"
    );
}
