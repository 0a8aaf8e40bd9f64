//! `tencent_faceid::redis` against a real Redis (`REDIS_URL`, default
//! `redis://127.0.0.1:6379`, else a redis-server of this binary's own: see
//! `support::redis`). Every test works under its own random key prefix and
//! deletes its keys at the end.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support;
use crate::support::emu::{on_manual_clock, replaced};
use crate::support::spare_redis::SpareRedis;
use faceid_test_support::random_alphanumeric;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tencent_faceid::ManualClock;
use tencent_faceid::callback::BindingHash;
use tencent_faceid::client::ResultCode;
use tencent_faceid::client::{Endpoint, FaceIdClient};
use tencent_faceid::orders::RedisOrderStore;
use tencent_faceid::orders::{
    Consumed, Lookup, OrderStore, PendingOrder, SettlementStore, StoreError,
};
use tencent_faceid::redis::RedisBackendError;
use tencent_faceid::session::Edition;
use tencent_faceid::tickets::{RedisTickets, RedisTicketsBuilder};
use tencent_faceid::tickets::{RefreshError, TicketError, TicketProvider, TicketTimings};
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::{Counts, Emulator, Fault};
use tokio::sync::{Barrier, Notify};

#[test]
fn redis_is_available() {
    support::redis::require();
}

/// A new connection: each one plays a separate server instance.
async fn manager() -> ConnectionManager {
    let url = support::redis::url().expect("each Redis test returns first when there is none");
    tencent_faceid::redis::connect(url)
        .await
        .expect("the test binary's Redis answers")
}

fn random_prefix() -> String {
    format!("faceid-test:{}:", random_alphanumeric(12))
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
    let Some(_) = support::redis::url() else {
        return;
    };
    let prefix = random_prefix();
    let store = RedisOrderStore::builder(manager().await, "appId001")
        .prefix(&prefix)
        .build();
    let pending = order("order1", "user1");
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
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn an_order_never_put_is_unknown() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let prefix = random_prefix();
    let store = RedisOrderStore::builder(manager().await, "appId001")
        .prefix(&prefix)
        .build();
    store.put(order("known1", "u1"), HOUR).await.unwrap();
    assert_eq!(
        store
            .consume(&OrderNo::new("unknown1").unwrap())
            .await
            .unwrap(),
        Consumed::Unknown
    );
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn an_order_past_its_deadline_is_expired_not_unknown_and_stays_unconsumed() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let prefix = random_prefix();
    let store = RedisOrderStore::builder(manager().await, "appId001")
        .prefix(&prefix)
        .retention(HOUR)
        .build();
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
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn the_key_lives_for_ttl_plus_retention_and_the_tombstone_for_the_retention() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let prefix = random_prefix();
    let retention = Duration::from_secs(600);
    let store = RedisOrderStore::builder(manager().await, "appId001")
        .prefix(&prefix)
        .retention(retention)
        .build();
    let pending = order("ttl1", "u1");
    store.put(pending.clone(), HOUR).await.unwrap();
    let key = store.key(&pending.order_no);
    assert_eq!(key, format!("{prefix}{{appId001}}:order:ttl1"));
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
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn a_duplicate_order_number_is_refused_before_and_after_consumption() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let prefix = random_prefix();
    let store = RedisOrderStore::builder(manager().await, "appId001")
        .prefix(&prefix)
        .build();
    let pending = order("dup1", "u1");
    store.put(pending.clone(), HOUR).await.unwrap();

    let again = store.put(order("dup1", "someoneelse"), HOUR).await;
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
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_consumes_on_four_instances_exactly_one_wins() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let prefix = random_prefix();
    let mut stores = Vec::new();
    for _ in 0..4 {
        stores.push(
            RedisOrderStore::builder(manager().await, "appId001")
                .prefix(&prefix)
                .build(),
        );
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
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn a_session_put_on_instance_a_is_consumed_on_b_and_its_replay_refused_on_c() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let prefix = random_prefix();
    let a = RedisOrderStore::builder(manager().await, "appId001")
        .prefix(&prefix)
        .build();
    let b = RedisOrderStore::builder(manager().await, "appId001")
        .prefix(&prefix)
        .build();
    let c = RedisOrderStore::builder(manager().await, "appId001")
        .prefix(&prefix)
        .build();
    let pending = order("crossinstance1", "user9");
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
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn prefixes_keep_stores_apart() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let (p1, p2) = (random_prefix(), random_prefix());
    let conn = manager().await;
    let s1 = RedisOrderStore::builder(conn.clone(), "appId001")
        .prefix(&p1)
        .build();
    let s2 = RedisOrderStore::builder(conn, "appId001")
        .prefix(&p2)
        .build();
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
    support::redis::remove_keys(&p1).await;
    support::redis::remove_keys(&p2).await;
}

#[tokio::test]
async fn app_ids_keep_stores_apart_under_one_prefix() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let prefix = random_prefix();
    let conn = manager().await;
    let ours = RedisOrderStore::builder(conn.clone(), "appIdAAA")
        .prefix(&prefix)
        .build();
    let theirs = RedisOrderStore::builder(conn, "appIdBBB")
        .prefix(&prefix)
        .build();
    let mine = order("mine1", "u1");
    let foreign = order("theirs1", "u2");
    ours.put(mine.clone(), HOUR).await.unwrap();
    theirs.put(foreign.clone(), HOUR).await.unwrap();

    let far = SystemTime::now() + HOUR;
    assert_eq!(
        ours.due_backlog(far).await.unwrap(),
        1,
        "only our order is due"
    );
    let due = ours.claim_due(far, far + HOUR, 100).await.unwrap();
    let due: Vec<_> = due.iter().map(|d| d.order_no.as_str()).collect();
    assert_eq!(due, ["mine1"], "the due index holds only our app's orders");
    assert_eq!(
        ours.lookup(&foreign.order_no).await.unwrap(),
        Lookup::Unknown
    );
    assert_eq!(
        ours.consume(&foreign.order_no).await.unwrap(),
        Consumed::Unknown,
        "another app's order is never ours to settle"
    );
    assert_eq!(
        theirs.lookup(&foreign.order_no).await.unwrap(),
        Lookup::Pending { binding: None },
        "their order is still pending"
    );
    assert_eq!(theirs.due_backlog(far).await.unwrap(), 1);
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn the_order_keeps_its_edition_and_an_order_written_before_editions_reads_as_basic() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let prefix = random_prefix();
    let store = RedisOrderStore::builder(manager().await, "appId001")
        .prefix(&prefix)
        .build();
    for (n, edition) in Edition::ALL.into_iter().enumerate() {
        let pending = order(&format!("ed{n}"), "user1")
            .bound_to(BindingHash::of("cookie"))
            .in_edition(edition);
        store.put(pending.clone(), HOUR).await.unwrap();
        assert!(matches!(
            store.lookup(&pending.order_no).await.unwrap(),
            Lookup::Pending { binding: Some(_) }
        ));
        let Consumed::Accepted(accepted) = store.consume(&pending.order_no).await.unwrap() else {
            panic!("a pending {edition} order must be accepted");
        };
        assert_eq!(
            (accepted.edition, accepted.user_id),
            (edition, pending.user_id)
        );
    }

    // A record in the format written before editions were recorded.
    let old = OrderNo::new("before1").unwrap();
    let key = store.key(&old);
    let deadline = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis()
        + 3_600_000;
    let record = format!("p:{deadline}:1700000000000:-:user9");
    let _: () = redis::cmd("SET")
        .arg(&key)
        .arg(record)
        .arg("PX")
        .arg(3_600_000)
        .query_async(&mut manager().await)
        .await
        .unwrap();
    let Consumed::Accepted(accepted) = store.consume(&old).await.unwrap() else {
        panic!("an order written before editions must still be accepted");
    };
    assert_eq!(accepted.edition, Edition::Basic);
    assert_eq!(accepted.user_id.as_str(), "user9");
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn lookup_reads_without_consuming() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let prefix = random_prefix();
    let store = RedisOrderStore::builder(manager().await, "appId001")
        .prefix(&prefix)
        .build();
    let bound = order("look1", "u1").bound_to(BindingHash::of("cookie"));
    assert_eq!(
        store.lookup(&bound.order_no).await.unwrap(),
        Lookup::Unknown
    );
    store.put(bound.clone(), HOUR).await.unwrap();
    let pending = Lookup::Pending {
        binding: Some(BindingHash::of("cookie")),
    };
    assert_eq!(store.lookup(&bound.order_no).await.unwrap(), pending);
    assert_eq!(
        store.lookup(&bound.order_no).await.unwrap(),
        pending,
        "still pending"
    );
    store.consume(&bound.order_no).await.unwrap();
    assert_eq!(
        store.lookup(&bound.order_no).await.unwrap(),
        Lookup::Consumed
    );
    let brief = order("look2", "u1");
    store.put(brief.clone(), Duration::ZERO).await.unwrap();
    assert_eq!(
        store.lookup(&brief.order_no).await.unwrap(),
        Lookup::Expired
    );
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn a_foreign_value_under_the_prefix_is_a_backend_error_not_a_verdict() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let prefix = random_prefix();
    let store = RedisOrderStore::builder(manager().await, "appId001")
        .prefix(&prefix)
        .build();
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
    support::redis::remove_keys(&prefix).await;
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
    let store = RedisOrderStore::new(manager, "appId001");
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

// ---------------------------------------------------------------------------
// RedisTickets: several instances (each with its own FaceIdClient and Redis
// connection, as separate servers would have) sharing one emulator.
// ---------------------------------------------------------------------------

/// A client of its own, as a separate server would have.
fn own_client(emulator: &Emulator) -> FaceIdClient {
    FaceIdClient::builder(emulator.app_id(), emulator.secret())
        .base_url(emulator.base_url().as_str())
        .clock(emulator.clock())
        .build()
        .unwrap()
}

/// One server instance's provider, on a connection of its own.
async fn instance(emulator: &Emulator, prefix: &str) -> RedisTicketsBuilder {
    RedisTickets::builder(own_client(emulator), manager().await).prefix(prefix)
}

/// Waits until the emulator has counted what `done` wants; bounded so that
/// a bug fails the test instead of hanging it.
async fn until(what: &str, emulator: &Emulator, done: impl Fn(&Counts) -> bool) {
    tokio::time::timeout(Duration::from_secs(60), emulator.wait_for_counts(done))
        .await
        .unwrap_or_else(|_| panic!("gave up waiting until {what}"));
}

async fn get(key: &str) -> Option<String> {
    redis::cmd("GET")
        .arg(key)
        .query_async(&mut manager().await)
        .await
        .unwrap()
}

fn refresh_error(error: &TicketError) -> &RefreshError {
    let (TicketError::SignUnavailable { source } | TicketError::NonceUnavailable { source }) =
        error
    else {
        panic!("a TicketError of a kind this test does not know: {error}");
    };
    source
        .downcast_ref::<RefreshError>()
        .unwrap_or_else(|| panic!("the source is not a RefreshError: {error}"))
}

/// Whether the refresh failed because Redis did (as `is_backend` says).
fn shared_failure(error: &TicketError, is_backend: impl Fn(&RedisBackendError) -> bool) -> bool {
    match refresh_error(error) {
        RefreshError::Shared(cause) => cause
            .downcast_ref::<RedisBackendError>()
            .is_some_and(is_backend),
        _ => false,
    }
}

const REFRESH_EVERY: Duration = Duration::from_secs(20 * 60);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_instances_under_load_fetch_exactly_one_token_and_one_ticket() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let emulator = Emulator::start().await.unwrap();
    let prefix = random_prefix();
    let mut instances = Vec::new();
    for _ in 0..4 {
        instances.push(instance(&emulator, &prefix).await.build());
    }
    // The first token request is held, so every caller arrives while the
    // first refresh is in flight.
    let release = Arc::new(Notify::new());
    emulator.inject(Fault::hold(Endpoint::AccessToken, Arc::clone(&release)));
    const CALLERS: usize = 200;
    let start = Arc::new(Barrier::new(CALLERS + 1));
    let tasks: Vec<_> = (0..CALLERS)
        .map(|i| {
            let tickets = instances[i % instances.len()].clone();
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                tickets.sign_tickets().await
            })
        })
        .collect();
    start.wait().await;
    until("the first token request is held", &emulator, |counts| {
        counts.access_token == 1
    })
    .await;
    release.notify_one();

    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap().unwrap());
    }
    let expected = emulator.current_sign_ticket().unwrap();
    for tickets in &results {
        assert_eq!(tickets.current.value(), expected.expose());
        assert!(tickets.previous.is_none());
    }
    let counts = emulator.counts();
    assert_eq!(counts.access_token, 1, "one token for all four instances");
    assert_eq!(
        counts.sign_ticket, 1,
        "one SIGN ticket for all four instances"
    );

    // Reads stay local afterwards: no vendor call, same ticket.
    for tickets in &instances {
        for _ in 0..50 {
            let again = tickets.sign_tickets().await.unwrap();
            assert_eq!(again.current.value(), expected.expose());
        }
    }
    assert_eq!(emulator.counts(), counts);
    assert_eq!(
        get(instances[0].lock_key()).await,
        None,
        "the lock was released"
    );
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_holder_that_died_delays_the_others_until_its_lock_lapses() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let emulator = Emulator::start().await.unwrap();
    let prefix = random_prefix();
    let impatient = instance(&emulator, &prefix)
        .await
        .wait_timeout(Duration::from_millis(300))
        .build();
    let lock_key = impatient.lock_key().to_owned();
    // A holder that died mid-refresh: its lock stays until its TTL lapses.
    let _: () = redis::cmd("SET")
        .arg(&lock_key)
        .arg("dead-instance")
        .arg("PX")
        .arg(60_000)
        .query_async(&mut manager().await)
        .await
        .unwrap();

    // With nothing valid to serve, a caller waits (bounded) and then fails
    // with a typed error; it never refreshes without the lock.
    let error = impatient.sign_tickets().await.unwrap_err();
    assert!(
        matches!(
            refresh_error(&error),
            RefreshError::WaitTimedOut { lock: key, .. } if *key == lock_key
        ),
        "{error}"
    );
    assert_eq!(emulator.counts().access_token, 0);
    assert_eq!(get(&lock_key).await.as_deref(), Some("dead-instance"));

    // Another instance waits, and proceeds once the dead holder's lock
    // lapses (forced here with PEXPIRE).
    let patient = instance(&emulator, &prefix).await.build();
    let waiting = tokio::spawn(async move { patient.sign_tickets().await });
    let _: () = redis::cmd("PEXPIRE")
        .arg(&lock_key)
        .arg(1)
        .query_async(&mut manager().await)
        .await
        .unwrap();
    let tickets = waiting.await.unwrap().unwrap();
    assert_eq!(
        tickets.current.value(),
        emulator.current_sign_ticket().unwrap().expose()
    );
    assert_eq!(emulator.counts().access_token, 1);
    assert_eq!(emulator.counts().sign_ticket, 1);
    assert_eq!(
        get(&lock_key).await,
        None,
        "the new holder released its lock"
    );
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_holder_whose_lock_lapsed_neither_overwrites_the_record_nor_deletes_the_new_lock() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let emulator = Emulator::start().await.unwrap();
    let prefix = random_prefix();
    let slow = instance(&emulator, &prefix).await.build();
    let lock_key = slow.lock_key().to_owned();
    let pair_key = slow.pair_key().to_owned();
    let release = Arc::new(Notify::new());
    emulator.inject(Fault::hold(Endpoint::AccessToken, Arc::clone(&release)));
    let refreshing = tokio::spawn({
        let slow = slow.clone();
        async move { slow.sign_tickets().await }
    });
    until(
        "the slow holder's token request is held",
        &emulator,
        |counts| counts.access_token == 1,
    )
    .await;
    // Its lock lapses and another instance takes it.
    let _: () = redis::cmd("SET")
        .arg(&lock_key)
        .arg("another-instance")
        .arg("PX")
        .arg(60_000)
        .query_async(&mut manager().await)
        .await
        .unwrap();
    release.notify_one();

    let tickets = refreshing.await.unwrap().unwrap();
    assert_eq!(
        tickets.current.value(),
        emulator.current_sign_ticket().unwrap().expose(),
        "the slow holder still serves what it fetched"
    );
    assert_eq!(
        get(&lock_key).await.as_deref(),
        Some("another-instance"),
        "only the holder deletes a lock"
    );
    assert_eq!(get(&pair_key).await, None, "a lapsed holder does not write");
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_pair_serves_every_instance_while_one_replaces_it_in_the_background() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let (clock, emulator) = on_manual_clock().await;
    let prefix = random_prefix();
    let a = instance(&emulator, &prefix).await.build();
    let b = instance(&emulator, &prefix).await.build();
    a.warm_up().await.unwrap();
    b.warm_up().await.unwrap();
    let first = a.sign_tickets().await.unwrap();
    assert_eq!(emulator.counts().access_token, 1, "B took A's pair");

    clock.advance(REFRESH_EVERY);
    let release = Arc::new(Notify::new());
    emulator.inject(Fault::hold(Endpoint::AccessToken, Arc::clone(&release)));
    // The vendor holds the new token, yet both instances serve at once.
    for tickets in [&a, &b] {
        for _ in 0..10 {
            let served = tickets.sign_tickets().await.unwrap();
            assert_eq!(served.current.value(), first.current.value());
        }
    }
    until("one token request", &emulator, |c| c.access_token == 2).await;
    release.notify_one();
    a.warm_up().await.unwrap();
    b.warm_up().await.unwrap();
    let (at_a, at_b) = (
        a.sign_tickets().await.unwrap(),
        b.sign_tickets().await.unwrap(),
    );
    assert_ne!(at_a.current.value(), first.current.value());
    assert_eq!(at_a.current.value(), at_b.current.value());
    let counts = emulator.counts();
    assert_eq!(
        (counts.access_token, counts.sign_ticket),
        (2, 2),
        "one refresher for the cluster"
    );
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn a_rotation_keeps_the_previous_ticket_for_the_grace_window_on_every_instance() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let (clock, emulator) = on_manual_clock().await;
    let prefix = random_prefix();
    let grace = Duration::from_secs(300);
    let a = instance(&emulator, &prefix)
        .await
        .timings(TicketTimings::default().grace(grace))
        .build();
    let first = a.sign_tickets().await.unwrap();
    assert!(first.previous.is_none());

    clock.advance(REFRESH_EVERY);
    let rotated_at = clock.now();
    let second = replaced(&a).await;
    assert_eq!(
        second.current.value(),
        emulator.current_sign_ticket().unwrap().expose()
    );
    assert_ne!(second.current.value(), first.current.value());
    let previous = second
        .previous
        .as_ref()
        .expect("the previous ticket is kept");
    assert_eq!(previous.value(), first.current.value());
    assert_eq!(previous.expires_at(), rotated_at + grace);
    let accepted: Vec<_> = second.accepted_at(clock.now()).map(|t| t.value()).collect();
    assert_eq!(accepted, [second.current.value(), first.current.value()]);
    let counts = emulator.counts();
    assert_eq!(
        (counts.access_token, counts.sign_ticket),
        (2, 2),
        "token and ticket are replaced as a pair"
    );

    // Another instance takes both from Redis.
    let b = instance(&emulator, &prefix).await.build();
    let at_b = b.sign_tickets().await.unwrap();
    assert_eq!(at_b.current.value(), second.current.value());
    let previous_at_b = at_b.previous.as_ref().unwrap();
    assert_eq!(previous_at_b.value(), first.current.value());
    let millis = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap().as_millis();
    assert_eq!(
        millis(previous_at_b.expires_at()),
        millis(previous.expires_at())
    );
    assert_eq!(emulator.counts(), counts, "instance B fetched nothing");

    // Ticket values stay out of Debug.
    let debug = format!("{a:?} {b:?}");
    assert!(!debug.contains(first.current.value()) && !debug.contains(second.current.value()));
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nonce_tickets_are_fetched_per_call_with_the_one_shared_token() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let emulator = Emulator::start().await.unwrap();
    let prefix = random_prefix();
    let mut instances = Vec::new();
    for _ in 0..4 {
        instances.push(instance(&emulator, &prefix).await.build());
    }
    const CALLS: usize = 40;
    let start = Arc::new(Barrier::new(CALLS));
    let tasks: Vec<_> = (0..CALLS)
        .map(|i| {
            let tickets = instances[i % instances.len()].clone();
            let start = Arc::clone(&start);
            tokio::spawn(async move {
                start.wait().await;
                let user = UserId::new(format!("user{i}")).unwrap();
                tickets.nonce_ticket(&user).await
            })
        })
        .collect();
    let mut values = std::collections::HashSet::new();
    for task in tasks {
        let ticket = task.await.unwrap().unwrap();
        assert!(
            values.insert(ticket.expose().to_owned()),
            "NONCE tickets are single use"
        );
    }
    let counts = emulator.counts();
    assert_eq!(counts.nonce_ticket, CALLS);
    assert_eq!(counts.access_token, 1, "one shared token");
    assert_eq!(
        counts.sign_ticket, 1,
        "the first refresh also fetched the SIGN ticket"
    );
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn a_rejected_token_is_replaced_once_under_the_lock_and_adopted_by_the_others() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let (clock, emulator) = on_manual_clock().await;
    let prefix = random_prefix();
    let a = instance(&emulator, &prefix).await.build();
    let b = instance(&emulator, &prefix).await.build();
    let user = UserId::new("user1").unwrap();
    a.nonce_ticket(&user).await.unwrap();
    assert_eq!(emulator.counts().access_token, 1);

    // Something outside the group fetches a token: a minute later the
    // vendor ends the shared one.
    emulator.client().access_token().await.unwrap();
    clock.advance(Duration::from_secs(61));
    assert_eq!(emulator.counts().access_token, 2);

    // B is rejected, replaces the pair under the lock, and succeeds.
    b.nonce_ticket(&user).await.unwrap();
    assert_eq!(emulator.counts().access_token, 3);

    // A, whose local copy still holds the rejected token, is rejected too
    // and adopts B's replacement from Redis instead of fetching its own.
    a.nonce_ticket(&user).await.unwrap();
    let counts = emulator.counts();
    assert_eq!(counts.access_token, 3);
    assert_eq!(counts.sign_ticket, 2);
    assert_eq!(counts.nonce_ticket, 5, "three successes and two rejections");
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn a_foreign_tickets_record_is_a_typed_error_that_does_not_quote_it() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let emulator = Emulator::start().await.unwrap();
    let prefix = random_prefix();
    let tickets = instance(&emulator, &prefix).await.build();
    let _: () = redis::cmd("SET")
        .arg(tickets.pair_key())
        .arg("{\"t\": \"top-secret-value\"")
        .query_async(&mut manager().await)
        .await
        .unwrap();
    let error = tickets.sign_tickets().await.unwrap_err();
    assert!(
        shared_failure(&error, |e| matches!(e, RedisBackendError::Corrupt { .. })),
        "{error}"
    );
    let text = format!("{error} {error:?} {}", refresh_error(&error));
    assert!(!text.contains("top-secret-value"), "{text}");
    assert_eq!(emulator.counts().access_token, 0);
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn a_failing_vendor_is_retried_once_per_backoff_while_the_valid_ticket_serves() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let (clock, emulator) = on_manual_clock().await;
    let prefix = random_prefix();
    let tickets = instance(&emulator, &prefix)
        .await
        .timings(TicketTimings::default().retry_backoff(HOUR))
        .build();
    let warm = tickets.sign_tickets().await.unwrap();
    assert_eq!(emulator.counts().sign_ticket, 1);

    clock.advance(REFRESH_EVERY);
    emulator.inject(Fault::http_status(Endpoint::ApiTicket, 500));
    for _ in 0..5 {
        let served = tickets.sign_tickets().await.unwrap();
        assert_eq!(served.current.value(), warm.current.value());
    }
    // Waits for the background attempt, which fails: the valid one serves.
    tickets.warm_up().await.unwrap();
    assert_eq!(
        emulator.counts().sign_ticket,
        2,
        "one failed attempt, then none within the backoff"
    );
    assert_eq!(
        get(tickets.lock_key()).await,
        None,
        "the failed holder released the lock"
    );
    // After the backoff, the token fetched before the failure gets its
    // ticket: no second token.
    clock.advance(HOUR);
    let refreshed = tickets.sign_tickets().await.unwrap();
    assert_ne!(refreshed.current.value(), warm.current.value());
    let counts = emulator.counts();
    assert_eq!((counts.access_token, counts.sign_ticket), (2, 3));
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn a_failing_vendor_with_no_valid_ticket_is_a_typed_error_and_frees_the_lock() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let emulator = Emulator::start().await.unwrap();
    let prefix = random_prefix();
    let a = instance(&emulator, &prefix).await.build();
    let code = ResultCode::from_code("400500");
    emulator.inject(Fault::vendor_error(Endpoint::AccessToken, code.clone()));
    let error = a.sign_tickets().await.unwrap_err();
    let RefreshError::Vendor(cause) = refresh_error(&error) else {
        panic!("expected a vendor error, got {error}");
    };
    assert_eq!(cause.vendor_code(), Some(&code));
    assert_eq!(
        get(a.lock_key()).await,
        None,
        "the lock was released at once"
    );

    // So another instance can refresh right away.
    let b = instance(&emulator, &prefix).await.build();
    b.sign_tickets().await.unwrap();
    assert_eq!(emulator.counts().access_token, 2);
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn while_redis_is_unreachable_the_local_copy_serves_until_it_expires_then_service_recovers() {
    if !SpareRedis::available() {
        return SpareRedis::skip("while_redis_is_unreachable");
    }
    let mut spare = SpareRedis::start(&[]);
    let url = spare.url();

    // A: a pair that will be due (but valid) when Redis goes away.
    let clock = ManualClock::new();
    let emulator_a = Emulator::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let a = RedisTickets::builder(
        own_client(&emulator_a),
        tencent_faceid::redis::connect(&url).await.unwrap(),
    )
    .timings(TicketTimings::default().retry_backoff(Duration::ZERO))
    .build();
    // B: SIGN tickets born expired, so its local copy is never valid.
    let emulator_b = Emulator::builder()
        .clock(clock.clone())
        .app_id("TIDAemu2")
        .sign_ticket_ttl(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let b = RedisTickets::builder(
        own_client(&emulator_b),
        tencent_faceid::redis::connect(&url).await.unwrap(),
    )
    .timings(TicketTimings::default().retry_backoff(Duration::ZERO))
    .build();

    let warm = a.sign_tickets().await.unwrap();
    b.sign_tickets().await.unwrap();
    assert_eq!(emulator_a.counts().sign_ticket, 1);

    spare.stop();
    clock.advance(REFRESH_EVERY);

    // A's copy is due but valid: served, with no vendor call (the
    // background attempt fails on Redis first).
    let served = a.sign_tickets().await.unwrap();
    assert_eq!(served.current.value(), warm.current.value());
    a.warm_up().await.unwrap();
    assert_eq!(emulator_a.counts().sign_ticket, 1);
    // B's copy is expired: a typed error, promptly.
    let error = b.sign_tickets().await.unwrap_err();
    assert!(shared_failure(&error, |_| true), "{error}");
    assert_eq!(
        emulator_b.counts().access_token,
        1,
        "no refresh without Redis"
    );

    // Redis returns (empty): both recover by themselves.
    let _spare = spare.start_again();
    a.warm_up().await.unwrap();
    let recovered = a.sign_tickets().await.unwrap();
    let counts = emulator_a.counts();
    assert_eq!(
        (counts.access_token, counts.sign_ticket),
        (2, 2),
        "A replaced its due pair through Redis again"
    );
    assert_eq!(
        recovered.previous.as_ref().map(|t| t.value()),
        Some(warm.current.value())
    );
    assert_eq!(
        recovered.current.value(),
        emulator_a.current_sign_ticket().unwrap().expose()
    );
    let mut fresh = tencent_faceid::redis::connect(&url).await.unwrap();
    let record: Option<String> = redis::cmd("GET")
        .arg(a.pair_key())
        .query_async(&mut fresh)
        .await
        .unwrap();
    assert!(
        record.is_some(),
        "A shared its refresh in the restarted Redis"
    );
    b.sign_tickets().await.unwrap();
    assert_eq!(emulator_b.counts().sign_ticket, 2);
}

/// The whole multi-instance story at callback level: a session started on
/// instance A (its own client, tickets and store connection) is verified on
/// instance B, and the same callback replayed on instance C is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_started_on_a_is_verified_on_b_and_its_replay_refused_on_c() {
    let Some(_) = support::redis::url() else {
        return;
    };
    use axum::Router;
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::get;
    use tencent_faceid::axum::Verified;
    use tencent_faceid::callback::{CallbackVerifier, RejectionKind};
    use tencent_faceid::session::{SessionStarter, StartSession};
    use tencent_faceid::tower::FaceCallbackLayer;
    use tencent_faceid_emulator::Outcome;
    use tower::ServiceExt;

    let emulator = Emulator::start().await.unwrap();
    let prefix = random_prefix();
    let mut verifiers = Vec::new();
    let mut starters = Vec::new();
    for _ in 0..3 {
        let tickets = instance(&emulator, &prefix).await.build();
        let store = RedisOrderStore::builder(manager().await, "appId001")
            .prefix(&prefix)
            .build();
        let wiring = tencent_faceid::wiring::Wiring::new(own_client(&emulator), tickets, store)
            .browser_binding(false);
        verifiers.push(
            CallbackVerifier::builder(&wiring)
                .record_judge(false)
                .build()
                .unwrap(),
        );
        starters.push(SessionStarter::builder(&wiring).build().unwrap());
    }

    let request = StartSession::new(
        UserId::new("userab").unwrap(),
        "https://partner.example/face/callback".parse().unwrap(),
    )
    .name("Zhang Sanfeng")
    .id_number("110101199003074477");
    let started = starters[0].start(request).await.unwrap();
    let callback = emulator
        .complete_login(started.redirect_url.as_str(), Outcome::Pass)
        .unwrap();
    let query = callback.query().unwrap();

    // Instance B verifies behind the tower layer: a Redis store cannot
    // answer without waiting, so the response future settles it.
    let verified = |Verified(outcome): Verified| async move {
        format!(
            "{} {} {}",
            outcome.order_no,
            outcome.user_id,
            outcome.passed()
        )
    };
    let b = Router::new()
        .route("/face/callback", get(verified))
        .route_layer(FaceCallbackLayer::new(verifiers[1].clone()));
    let request = Request::get(format!("/face/callback?{query}"))
        .body(Body::empty())
        .unwrap();
    let response = b.oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    assert_eq!(body, format!("{} userab true", started.order_no));

    let replay = verifiers[2].verify(query).await.unwrap_err();
    assert_eq!(replay.kind(), &RejectionKind::Replay);
    assert_eq!(replay.status(), 409);

    // One token and one SIGN ticket served all three instances.
    let counts = emulator.counts();
    assert_eq!((counts.access_token, counts.sign_ticket), (1, 1));
    support::redis::remove_keys(&prefix).await;
}
