//! The data lifecycle of the stores beyond the contract suites (which
//! check erasure, holds and what a purge keeps on every store): the purge
//! of PostgreSQL in bounded batches while callbacks pass, each retention
//! class ending at its time, the erasure record, and Redis's holds. Time
//! never passes here: every purge is given its `now`.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use tencent_faceid::ManualClock;
use tencent_faceid::callback::CallbackVerifier;
use tencent_faceid::orders::{
    Claim, Consumed, DueOrder, Lifecycle, Lookup, MemoryOrderStore, OrderStore, PendingOrder,
    PostgresOrderStore, Purged, RedisOrderStore, Retention, SettlementRecord, SettlementStore,
    StoreError,
};
use tencent_faceid::session::{SessionStarter, StartSession};
use tencent_faceid::settle::{Purger, SettledBy, SettledState};
use tencent_faceid::tickets::CachedTickets;
use tencent_faceid::wiring::Wiring;
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::{Emulator, Outcome};

use crate::support;
use crate::support::postgres::Schema;

const TTL: Duration = Duration::from_secs(1800);
const DAY: Duration = Duration::from_secs(24 * 3600);

#[test]
fn postgres_is_available() {
    support::postgres::require();
}

#[test]
fn redis_is_available() {
    support::redis::require();
}

fn order(n: usize, user: &str) -> PendingOrder {
    PendingOrder::new(
        OrderNo::new(format!("order{n}")).unwrap(),
        UserId::new(user).unwrap(),
    )
}

/// A settlement as a callback makes it, settled now.
fn settlement() -> SettlementRecord {
    SettlementRecord::new(SettledState::Passed, SettledBy::Callback, SystemTime::now())
}

/// Puts, settles and delivers `order` (out of the due index).
async fn settle(store: &impl SettlementStore, order: &PendingOrder) {
    store.put(order.clone(), TTL).await.unwrap();
    let claim = Claim::new().settling(settlement());
    let consumed = store.consume_claim(&order.order_no, &claim).await.unwrap();
    assert!(matches!(consumed, Consumed::Accepted(_)), "{consumed:?}");
    let due = DueOrder {
        order_no: order.order_no.clone(),
        created_at: order.created_at,
    };
    store.forget_due(&due).await.unwrap();
}

/// Puts 20,000 orders settled and delivered 40 days ago, as a busy month
/// leaves them (written with SQL: 60,000 store calls would only slow the
/// test down).
async fn old_settled_orders(schema: &Schema, count: i64) {
    let insert = format!(
        "INSERT INTO \"{}\".orders (app_id, order_no, user_id, created_at, expires_at, state, \
         attempt, consumed_at) \
         SELECT 'appId001', 'old' || n, 'user' || (n % 500), now() - interval '40 days 1 hour', \
                now() - interval '40 days 30 minutes', 'consumed', n, now() - interval '40 days' \
         FROM generate_series(1, $1) n",
        schema.name
    );
    sqlx::query(&insert)
        .bind(count)
        .execute(&schema.pool)
        .await
        .unwrap();
}

async fn rows(schema: &Schema, table: &str) -> i64 {
    let count = format!("SELECT count(*) FROM \"{}\".{table}", schema.name);
    sqlx::query_scalar(&count)
        .fetch_one(&schema.pool)
        .await
        .unwrap()
}

/// An app on the emulator and `store`: a starter and a verifier.
struct App {
    emulator: Emulator,
    starter: SessionStarter,
    verifier: CallbackVerifier,
}

impl App {
    async fn new(store: PostgresOrderStore) -> (App, Wiring<PostgresOrderStore>) {
        let emulator = Emulator::builder()
            .clock(ManualClock::new())
            .start()
            .await
            .unwrap();
        let tickets = CachedTickets::builder(emulator.client()).build();
        let wiring = Wiring::new(emulator.client(), tickets, store).browser_binding(false);
        let starter = SessionStarter::builder(&wiring).build().unwrap();
        let verifier = CallbackVerifier::builder(&wiring).build().unwrap();
        let app = App {
            emulator,
            starter,
            verifier,
        };
        (app, wiring)
    }

    /// Starts a session, passes it on the emulator and verifies its
    /// callback: whether the callback passed.
    async fn callback_passes(&self, n: usize) -> bool {
        let user = UserId::new(format!("live{n}")).unwrap();
        let callback = "https://partner.example/face/callback".parse().unwrap();
        let request = StartSession::new(user, callback)
            .name("Zhang San")
            .id_number("110101199003074477");
        let started = self.starter.start(request).await.unwrap();
        let back = self
            .emulator
            .complete(&started.h5face_id, Outcome::Pass)
            .unwrap();
        let outcome = self.verifier.verify(back.query().unwrap()).await;
        outcome.is_ok_and(|outcome| outcome.passed())
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_purges_20000_expired_orders_in_bounded_batches_while_callbacks_pass() {
    let Some(_) = support::postgres::url() else {
        return;
    };
    const ORDERS: i64 = 20_000;
    const BATCH: usize = 5_000;
    let schema = Schema::new().await.unwrap();
    old_settled_orders(&schema, ORDERS).await;
    let (app, wiring) = App::new(schema.store("appId001").await).await;
    let app = Arc::new(app);
    let purger = Purger::builder(&wiring).batch(BATCH).passes(1).build();

    // Callbacks keep coming while the purge runs.
    let stop = Arc::new(AtomicBool::new(false));
    let passed = Arc::new(AtomicUsize::new(0));
    let callbacks = tokio::spawn({
        let (app, stop, passed) = (Arc::clone(&app), Arc::clone(&stop), Arc::clone(&passed));
        async move {
            let mut n = 1_000;
            while !stop.load(Ordering::Acquire) {
                assert!(app.callback_passes(n).await, "a callback during the purge");
                passed.fetch_add(1, Ordering::Release);
                n += 1;
            }
        }
    });
    let mut runs = Vec::new();
    let began = Instant::now();
    loop {
        let run = purger.run_once().await.unwrap();
        assert!(run.tombstones <= BATCH as u64, "{run:?}");
        runs.push(run.tombstones);
        assert!(
            app.callback_passes(runs.len()).await,
            "a callback between runs"
        );
        if run.tombstones == 0 {
            break;
        }
    }
    let took = began.elapsed();
    stop.store(true, Ordering::Release);
    callbacks.await.unwrap();
    println!(
        "purged {ORDERS} orders in {} runs of at most {BATCH} in {took:?}, {} callbacks passed meanwhile",
        runs.len() - 1,
        passed.load(Ordering::Acquire)
    );
    assert_eq!(runs, [5_000, 5_000, 5_000, 5_000, 0]);
    let old = format!(
        "SELECT count(*) FROM \"{}\".orders WHERE order_no LIKE 'old%'",
        schema.name
    );
    let left: i64 = sqlx::query_scalar(&old)
        .fetch_one(&schema.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    schema.drop().await;
}

#[tokio::test]
async fn postgres_settled_orders_shrink_then_go_and_the_log_outlives_them() {
    let Some(_) = support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.unwrap();
    let store = schema.store("appId001").await;
    let other_app = schema.store("appId002").await;
    let (delivered, undelivered, pending) = (order(1, "u1"), order(2, "u2"), order(3, "u3"));
    settle(&store, &delivered).await;
    settle(&other_app, &delivered).await;
    store.put(undelivered.clone(), TTL).await.unwrap();
    let claim = Claim::new().settling(settlement());
    store
        .consume_claim(&undelivered.order_no, &claim)
        .await
        .unwrap();
    store.put(pending.clone(), TTL).await.unwrap();
    // Consumed by an app that does not settle: no settlement, and still
    // in the due index, as nothing forgets it there.
    let plain = order(4, "u4");
    store.put(plain.clone(), TTL).await.unwrap();
    store.consume(&plain.order_no).await.unwrap();
    let retention = Retention::default();
    let now = SystemTime::now();
    let purge = async |at: SystemTime| store.purge(&retention, at, 100).await.unwrap();

    assert_eq!(purge(now + 6 * DAY).await, Purged::default());
    let shrunk = purge(now + 8 * DAY).await;
    assert_eq!(
        (shrunk.settled_orders, shrunk.total()),
        (2, 2),
        "{shrunk:?}"
    );
    let users = format!(
        "SELECT app_id, order_no, user_id, binding IS NULL, attempt IS NULL FROM \"{}\".orders \
         WHERE order_no = 'order1' ORDER BY app_id",
        schema.name
    );
    let rows: Vec<(String, String, String, bool, bool)> = sqlx::query_as(&users)
        .fetch_all(&schema.pool)
        .await
        .unwrap();
    assert_eq!(rows[0].2, "", "the tombstone holds no user: {rows:?}");
    assert!(rows[0].3 && rows[0].4, "{rows:?}");
    assert_eq!(rows[1].2, "u1", "another app's order is its own: {rows:?}");
    let replay = store.consume(&delivered.order_no).await.unwrap();
    assert_eq!(replay, Consumed::AlreadyConsumed);

    let gone = purge(now + 31 * DAY).await;
    assert_eq!((gone.tombstones, gone.total()), (2, 2), "{gone:?}");
    for order in [&delivered, &plain] {
        let found = store.lookup(&order.order_no).await.unwrap();
        assert_eq!(found, Lookup::Unknown);
    }
    let backlog = store.due_backlog(now + 100 * DAY).await.unwrap();
    assert_eq!(backlog, 2, "the undelivered and the pending order are due");
    let year = 365 * DAY;
    let logged = store.settlements(now - DAY, now + DAY, 10).await.unwrap();
    assert_eq!(logged.len(), 2, "the log outlives its orders: {logged:?}");
    assert_eq!(
        logged[0].idempotency_key, "faceid-settlement-appId001-order1",
        "{logged:?}"
    );

    assert_eq!(purge(now + 5 * year - DAY).await, Purged::default());
    let expired = purge(now + 5 * year + DAY).await;
    assert_eq!(
        (expired.settlement_log, expired.total()),
        (1, 1),
        "{expired:?}"
    );
    let logged = store.settlements(now - DAY, now + DAY, 10).await.unwrap();
    assert_eq!(
        logged
            .iter()
            .map(|s| s.order_no.as_str())
            .collect::<Vec<_>>(),
        ["order2"],
        "an undelivered settlement stays"
    );
    assert_eq!(
        store.lookup(&undelivered.order_no).await.unwrap(),
        Lookup::Consumed
    );
    assert!(matches!(
        store.lookup(&pending.order_no).await.unwrap(),
        Lookup::Pending { .. }
    ));
    // The other app's rows are untouched by this app's purge.
    assert_eq!(
        other_app.lookup(&delivered.order_no).await.unwrap(),
        Lookup::Consumed
    );

    // A cap on unsettled orders takes a pending order started long ago.
    let capped = retention.unsettled_orders(90 * DAY);
    let taken = store.purge(&capped, now + 91 * DAY, 100).await.unwrap();
    assert_eq!(taken.unsettled_orders, 1, "{taken:?}");
    assert_eq!(
        store.lookup(&pending.order_no).await.unwrap(),
        Lookup::Unknown
    );
    schema.drop().await;
}

#[tokio::test]
async fn postgres_holds_stop_the_purge_and_erasures_are_recorded_without_the_user() {
    let Some(_) = support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.unwrap();
    let store = schema.store("appId001").await;
    let held = order(1, "suspect");
    settle(&store, &held).await;
    store.hold(&held.user_id).await.unwrap();
    let now = SystemTime::now();
    let everything = Retention::default()
        .settled_orders(Duration::ZERO)
        .tombstones(Duration::ZERO)
        .settlement_log(Duration::ZERO);
    let later = now + 10 * 365 * DAY;
    assert_eq!(
        store.purge(&everything, later, 100).await.unwrap(),
        Purged::default()
    );
    let refused = store.erase_user(&held.user_id).await.unwrap_err();
    assert!(matches!(refused, StoreError::Held), "{refused}");
    assert_eq!(
        refused.to_string(),
        "the user is under a legal hold, so nothing of theirs is erased; lift the hold with Lifecycle::release once it ends"
    );
    assert_eq!(rows(&schema, "erasures").await, 0);

    store.release(&held.user_id).await.unwrap();
    let erased = store.erase_user(&held.user_id).await.unwrap();
    assert_eq!((erased.anonymised, erased.settlements), (1, 1));
    let columns = format!(
        "SELECT string_agg(column_name, ',' ORDER BY column_name) FROM information_schema.columns \
         WHERE table_schema = '{}' AND table_name = 'erasures'",
        schema.name
    );
    let columns: String = sqlx::query_scalar(&columns)
        .fetch_one(&schema.pool)
        .await
        .unwrap();
    assert_eq!(
        columns, "anonymised,app_id,erased_at,orders,settlements",
        "no personal data"
    );
    assert_eq!(rows(&schema, "erasures").await, 1);
    let purged = store.purge(&everything, later, 100).await.unwrap();
    assert_eq!(purged.tombstones, 1, "{purged:?}");
    schema.drop().await;
}

#[tokio::test]
async fn memory_settled_orders_shrink_then_go_at_their_retention() {
    let store = MemoryOrderStore::new();
    let (settled, pending, plain) = (order(1, "u1"), order(2, "u2"), order(3, "u3"));
    settle(&store, &settled).await;
    store.put(pending.clone(), TTL).await.unwrap();
    // Consumed without a settlement (an app that does not settle).
    store.put(plain.clone(), TTL).await.unwrap();
    store.consume(&plain.order_no).await.unwrap();
    let now = SystemTime::now();
    let retention = Retention::default();
    let purge = async |at: SystemTime| store.purge(&retention, at, 100).await.unwrap();
    assert_eq!(purge(now + 6 * DAY).await, Purged::default());
    assert_eq!(purge(now + 8 * DAY).await.settled_orders, 2);
    assert!(store.settlement(&settled.order_no).await.unwrap().is_none());
    assert_eq!(
        store.consume(&settled.order_no).await.unwrap(),
        Consumed::AlreadyConsumed
    );
    assert_eq!(purge(now + 31 * DAY).await.tombstones, 2);
    assert_eq!(
        store.lookup(&settled.order_no).await.unwrap(),
        Lookup::Unknown
    );
    assert_eq!(store.len(), 1, "the pending order stays");
    let backlog = store.due_backlog(now + 100 * DAY).await.unwrap();
    assert_eq!(backlog, 1, "{backlog}");
}

#[tokio::test]
async fn redis_holds_keep_a_users_keys_from_expiring_and_erasures_are_recorded() {
    let Some(url) = support::redis::url() else {
        return;
    };
    let prefix = format!(
        "faceid-lifecycle:{}:",
        faceid_test_support::random_alphanumeric(10)
    );
    let manager = tencent_faceid::redis::connect(url).await.unwrap();
    let store = RedisOrderStore::builder(manager.clone(), "appId001")
        .prefix(&prefix)
        .build();
    let (settled, pending) = (order(1, "suspect"), order(2, "suspect"));
    settle(&store, &settled).await;
    store.put(pending.clone(), TTL).await.unwrap();
    let ttl = async |key: String| -> i64 {
        let mut manager = manager.clone();
        redis::cmd("PTTL")
            .arg(key)
            .query_async(&mut manager)
            .await
            .unwrap()
    };
    let keys = [
        store.key(&settled.order_no),
        store.key(&pending.order_no),
        format!("{prefix}{{appId001}}:user:suspect"),
    ];
    for key in &keys {
        assert!(ttl(key.clone()).await > 0, "{key} expires");
    }
    store.hold(&settled.user_id).await.unwrap();
    for key in &keys {
        assert_eq!(ttl(key.clone()).await, -1, "{key} is kept while held");
    }
    let late = order(3, "suspect");
    store.put(late.clone(), TTL).await.unwrap();
    assert_eq!(ttl(store.key(&late.order_no)).await, -1, "a put while held");
    store.release(&settled.user_id).await.unwrap();
    for key in &keys {
        assert!(ttl(key.clone()).await > 0, "{key} expires again");
    }
    let erased = store.erase_user(&settled.user_id).await.unwrap();
    assert_eq!(
        (erased.orders, erased.anonymised, erased.settlements),
        (2, 1, 1)
    );
    let mut connection = manager.clone();
    let records: Vec<String> = redis::cmd("LRANGE")
        .arg(format!("{prefix}{{appId001}}:erasures"))
        .arg(0)
        .arg(-1)
        .query_async(&mut connection)
        .await
        .unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    assert!(!records[0].contains("suspect"), "{records:?}");
    assert!(records[0].contains(r#""orders":2"#), "{records:?}");
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn instances_purging_at_once_remove_each_row_once() {
    let Some(_) = support::postgres::url() else {
        return;
    };
    const ORDERS: i64 = 20_000;
    let schema = Schema::new().await.unwrap();
    old_settled_orders(&schema, ORDERS).await;
    let instances = [
        schema.store("appId001").await,
        schema.store("appId001").await,
        schema.store("appId001").await,
    ];
    let retention = Retention::default();
    let now = SystemTime::now();
    let purging = instances.map(|store| {
        tokio::spawn(async move {
            let mut removed = Vec::new();
            loop {
                let pass = store.purge(&retention, now, 1_000).await.unwrap();
                assert!(pass.tombstones <= 1_000, "{pass:?}");
                if pass.tombstones == 0 {
                    return removed;
                }
                removed.push(pass.tombstones);
            }
        })
    });
    let mut removed = Vec::new();
    for instance in purging {
        removed.push(instance.await.unwrap());
    }
    let total: u64 = removed.iter().flatten().sum();
    let shares: Vec<u64> = removed.iter().map(|passes| passes.iter().sum()).collect();
    println!("three instances purging {ORDERS} rows at once removed {shares:?}");
    assert_eq!(total, ORDERS as u64, "each row once: {removed:?}");
    assert_eq!(rows(&schema, "orders").await, 0);
    schema.drop().await;
}

#[tokio::test]
async fn the_apps_purger_runs_on_its_clock_caps_orders_nothing_settles_and_counts() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);
    let emulator = Emulator::builder()
        .clock(ManualClock::new())
        .start()
        .await
        .unwrap();
    let store = MemoryOrderStore::new();
    let face_id = emulator
        .face_id()
        .callback_url_per_request()
        .store(store.clone())
        .build()
        .await
        .unwrap();
    let settled = order(1, "u1");
    settle(&store, &settled).await;
    // Settlement is off: nothing will ever settle this one.
    let abandoned = order(2, "u2");
    store.put(abandoned.clone(), TTL).await.unwrap();
    let purger = face_id.purger().build();
    assert_eq!(purger.run_once().await.unwrap(), Purged::default());
    emulator
        .advance(30 * DAY + Duration::from_secs(60))
        .unwrap();
    let run = purger.run_once().await.unwrap();
    assert_eq!((run.tombstones, run.total()), (1, 1), "{run:?}");
    // The cap: the orders' lifetime (30 minutes) plus the tombstones'.
    emulator.advance(DAY).unwrap();
    let run = purger.run_once().await.unwrap();
    assert_eq!((run.unsettled_orders, run.total()), (1, 1), "{run:?}");
    assert!(store.is_empty());
    let text = handle.render();
    for class in ["tombstones", "unsettled_orders"] {
        let sample = format!(r#"faceid_purged_total{{class="{class}"}} 1"#);
        assert!(text.contains(&sample), "{sample} in {text}");
    }
}
