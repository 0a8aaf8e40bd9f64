//! What `MySqlOrderStore` (crate tencent-faceid-mysql) does beyond the
//! order store contract (tests/it/contract runs that, with either kind of
//! due lease): its tables (made by migrate only, checked at build), the
//! lease chosen from the server's version, reconcilers on several pools
//! sharing one backlog, consumes from several pools racing, the settlement
//! log written with the consume, apps sharing one database, and its bounded
//! waits (connections killed by the server, a row lock held elsewhere),
//! `FACEID_DATABASE_URL=mysql://…` through its connector. On
//! the tests' MySQL (see `support::mysql`), each test in a database of its
//! own.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::Row;
use tencent_faceid::client::ResultCode;
use tencent_faceid::facade::{DatabaseSettings, FaceIdError};
use tencent_faceid::orders::{
    Claim, Consumed, Lookup, OrderStore, PendingOrder, SettlementRecord, SettlementStore,
    StoreError,
};
use tencent_faceid::settle::{SettledBy, SettledState};
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::Emulator;
use tencent_faceid_mysql::{
    DueLeases, MySqlConnector, MySqlOrderStore, MySqlStoreError, PoolBounds, mysql_pool,
};

use crate::support;
use crate::support::mysql::Database;

const TTL: Duration = Duration::from_secs(1800);

#[test]
fn mysql_is_available() {
    support::mysql::require();
}

fn order(n: usize) -> PendingOrder {
    let order_no = OrderNo::new(format!("order{n}")).unwrap();
    PendingOrder::new(order_no, UserId::new(format!("user{n}")).unwrap())
}

/// The MySQL error inside a store error.
fn mysql_error(error: &StoreError) -> &MySqlStoreError {
    match error {
        StoreError::Backend(error) => error.downcast_ref().expect("a MySqlStoreError"),
        other => panic!("not a backend error: {other}"),
    }
}

#[tokio::test]
async fn the_tables_are_made_by_migrate_only_and_checked_at_build() {
    let Some(database) = Database::new().await else {
        return;
    };
    // Migrated already by Database::new: a second run changes nothing.
    assert_eq!(database.builder("appId001").migrate().await.unwrap(), 0);

    let builder = database.builder("appId001").prefix("other_");
    let missing = builder.clone().build().await.unwrap_err();
    assert!(
        matches!(&missing, MySqlStoreError::SchemaMissing { prefix } if prefix == "other_"),
        "{missing}"
    );
    assert!(missing.to_string().contains("migrate()"), "{missing}");
    // Instances migrating at once take turns: one of them runs both
    // versions.
    let runs = futures_join(&builder).await;
    assert_eq!(runs, 2);
    builder.clone().build().await.unwrap();

    // Tables of an older version are refused until migrated again.
    sqlx::query("DELETE FROM `other_schema_version` WHERE version = 2")
        .execute(&database.pool)
        .await
        .unwrap();
    let outdated = builder.clone().build().await.unwrap_err();
    assert!(
        matches!(
            outdated,
            MySqlStoreError::SchemaOutdated {
                found: 1,
                expected: 2,
                ..
            }
        ),
        "{outdated}"
    );
    assert!(outdated.to_string().contains("migrate()"), "{outdated}");
    assert_eq!(builder.migrate().await.unwrap(), 1);
    builder.clone().build().await.unwrap();

    // Tables from a newer crate are refused, by build and by migrate.
    sqlx::query("INSERT INTO `other_schema_version` (version, applied_at) VALUES (99, 0)")
        .execute(&database.pool)
        .await
        .unwrap();
    let refused = builder.clone().build().await.unwrap_err();
    assert!(
        matches!(refused, MySqlStoreError::SchemaNewer { found: 99, .. }),
        "{refused}"
    );
    assert!(matches!(
        builder.migrate().await.unwrap_err(),
        MySqlStoreError::SchemaNewer { .. }
    ));

    let invalid = database.builder("appId001").prefix("Faceid-").build().await;
    let invalid = invalid.unwrap_err();
    assert!(
        matches!(invalid, MySqlStoreError::InvalidPrefix(_)),
        "{invalid}"
    );
    database.drop().await;
}

/// Four migrations of `builder` at once: how many migrations ran in all.
async fn futures_join(builder: &tencent_faceid_mysql::MySqlOrderStoreBuilder) -> usize {
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let builder = builder.clone();
            tokio::spawn(async move { builder.migrate().await.unwrap() })
        })
        .collect();
    let mut ran = 0;
    for task in tasks {
        ran += task.await.unwrap();
    }
    ran
}

#[tokio::test]
async fn the_lease_is_chosen_from_the_servers_version() {
    let Some(database) = Database::new().await else {
        return;
    };
    let version: String = sqlx::query_scalar("SELECT VERSION()")
        .fetch_one(&database.pool)
        .await
        .unwrap();
    let store = database.store("appId001").await;
    assert_eq!(store.due_leases(), DueLeases::for_server(&version));
    // The tests' servers are MariaDB 10.6+ or MySQL 8: SKIP LOCKED.
    assert_eq!(store.due_leases(), DueLeases::SkipLocked, "{version}");
    database.drop().await;
}

/// Four reconcilers, each with a pool of its own, lease 100 due orders at
/// once in batches of 10 until none is left: each order goes to exactly one.
async fn reconcilers_share_one_backlog(leases: DueLeases) {
    let Some(database) = Database::new().await else {
        return;
    };
    let store = database.store("appId001").await;
    for n in 0..100 {
        store.put(order(n), TTL).await.unwrap();
    }
    let mut reconcilers = Vec::new();
    for _ in 0..4 {
        let pool = mysql_pool(&database.url).await.unwrap();
        let store = MySqlOrderStore::builder(pool, "appId001")
            .due_leases(leases)
            .build()
            .await
            .unwrap();
        reconcilers.push(tokio::spawn(async move {
            let now = SystemTime::now() + Duration::from_secs(1);
            let lease = now + TTL;
            let mut taken = Vec::new();
            loop {
                let batch = store.claim_due(now, lease, 10).await.unwrap();
                if batch.is_empty() {
                    return taken;
                }
                taken.extend(batch.into_iter().map(|due| due.order_no));
            }
        }));
    }
    let mut all = Vec::new();
    for reconciler in reconcilers {
        all.extend(reconciler.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().cloned().collect();
    assert_eq!(all.len(), 100, "every due order leased once");
    assert_eq!(distinct.len(), 100);
    database.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reconcilers_share_one_backlog_with_skip_locked() {
    reconcilers_share_one_backlog(DueLeases::SkipLocked).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reconcilers_share_one_backlog_with_the_lease_column() {
    reconcilers_share_one_backlog(DueLeases::LeaseColumn).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn fifty_consumes_from_five_pools_accept_one() {
    let Some(database) = Database::new().await else {
        return;
    };
    let mut stores = Vec::new();
    for _ in 0..5 {
        let pool = mysql_pool(&database.url).await.unwrap();
        stores.push(
            MySqlOrderStore::builder(pool, "appId001")
                .build()
                .await
                .unwrap(),
        );
    }
    let mine = order(1);
    stores[0].put(mine.clone(), TTL).await.unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|n| {
            let store = stores[n % 5].clone();
            let order_no = mine.order_no.clone();
            let at = UNIX_EPOCH + Duration::from_millis(n as u64);
            let record = SettlementRecord::new(SettledState::Passed, SettledBy::Callback, at);
            let claim = Claim::new().settling(record);
            tokio::spawn(async move { store.consume_claim(&order_no, &claim).await.unwrap() })
        })
        .collect();
    let mut accepted = 0;
    for task in tasks {
        match task.await.unwrap() {
            Consumed::Accepted(order) => {
                assert_eq!(order.user_id, mine.user_id);
                accepted += 1;
            }
            Consumed::AlreadyConsumed => {}
            other => panic!("a losing consume answered {other:?}"),
        }
    }
    assert_eq!(accepted, 1);
    let logged: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM faceid_settlements")
        .fetch_one(&database.pool)
        .await
        .unwrap();
    assert_eq!(logged, 1, "one settlement, the winner's");
    database.drop().await;
}

#[tokio::test]
async fn a_settling_consume_logs_its_settlement_listed_by_time() {
    let Some(database) = Database::new().await else {
        return;
    };
    let store = database.store("appId001").await;
    let mine = order(1);
    store.put(mine.clone(), TTL).await.unwrap();
    let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
    let failed = SettledState::Failed(ResultCode::from_code("66660004"));
    let record = SettlementRecord::new(failed, SettledBy::Callback, at).billed(Some(1));
    let claim = Claim::new().settling(record.clone());
    assert!(matches!(
        store.consume_claim(&mine.order_no, &claim).await.unwrap(),
        Consumed::Accepted(_)
    ));
    let row = sqlx::query(
        "SELECT CAST(user_id AS CHAR), CAST(state AS CHAR), CAST(code AS CHAR), \
                CAST(settled_by AS CHAR), settled_at, CAST(idempotency_key AS CHAR), delivered_at \
         FROM faceid_settlements WHERE order_no = 'order1'",
    )
    .fetch_one(&database.pool)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>(0), "user1");
    assert_eq!(row.get::<String, _>(1), "failed");
    assert_eq!(row.get::<String, _>(2), "66660004");
    assert_eq!(row.get::<String, _>(3), "callback");
    assert_eq!(row.get::<i64, _>(4), 1_700_000_000_123);
    assert_eq!(row.get::<String, _>(5), "faceid-settlement-appId001-order1");
    assert_eq!(row.get::<Option<i64>, _>(6), None);
    let (settled, kept) = store.settlement(&mine.order_no).await.unwrap().unwrap();
    assert_eq!((settled.user_id, &kept), (mine.user_id.clone(), &record));

    // The log by time, for audits: the settlement's millisecond is in
    // [from, until).
    let log = store
        .settlements(at, at + Duration::from_millis(1), 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 1, "{log:?}");
    let entry = &log[0];
    assert_eq!(
        (&entry.order_no, &entry.user_id),
        (&mine.order_no, &mine.user_id)
    );
    assert_eq!(entry.record, record);
    assert_eq!(entry.idempotency_key, "faceid-settlement-appId001-order1");
    assert_eq!(entry.delivered_at, None);
    assert!(
        store
            .settlements(UNIX_EPOCH, at, 10)
            .await
            .unwrap()
            .is_empty()
    );
    database.drop().await;
}

#[tokio::test]
async fn apps_sharing_a_database_never_see_each_others_orders() {
    let Some(database) = Database::new().await else {
        return;
    };
    let (ours, theirs) = (
        database.store("appOurs").await,
        database.store("appTheirs").await,
    );
    let mine = order(1);
    ours.put(mine.clone(), TTL).await.unwrap();
    assert_eq!(
        theirs.lookup(&mine.order_no).await.unwrap(),
        Lookup::Unknown
    );
    assert_eq!(
        theirs.consume(&mine.order_no).await.unwrap(),
        Consumed::Unknown
    );
    theirs.put(mine.clone(), TTL).await.unwrap();
    let far = SystemTime::now() + TTL;
    assert_eq!(theirs.claim_due(far, far, 10).await.unwrap().len(), 1);
    assert_eq!(
        ours.due_backlog(far).await.unwrap(),
        1,
        "their lease left ours due"
    );
    assert!(matches!(
        ours.consume(&mine.order_no).await.unwrap(),
        Consumed::Accepted(_)
    ));
    assert!(matches!(
        theirs.lookup(&mine.order_no).await.unwrap(),
        Lookup::Pending { .. }
    ));
    // Order numbers compare case-sensitively.
    let upper = OrderNo::new("ORDER1").unwrap();
    assert_eq!(ours.lookup(&upper).await.unwrap(), Lookup::Unknown);
    database.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn every_pooled_connection_killed_the_next_consume_is_accepted() {
    let Some(database) = Database::new().await else {
        return;
    };
    let store = database.store("appId001").await;
    for n in 0..4 {
        store.put(order(n), TTL).await.unwrap();
    }
    // The server ends every connection of the store's pool (a restart, a
    // failover, a proxy's idle timeout).
    let admin = mysql_pool(support::mysql::url().unwrap()).await.unwrap();
    let ids: Vec<u64> = sqlx::query_scalar(
        "SELECT CAST(id AS UNSIGNED) FROM information_schema.processlist WHERE db = ?",
    )
    .bind(&database.name)
    .fetch_all(&admin)
    .await
    .unwrap();
    assert!(!ids.is_empty(), "the store holds pooled connections");
    for id in ids {
        sqlx::query(&format!("KILL CONNECTION {id}"))
            .execute(&admin)
            .await
            .unwrap();
    }
    for n in 0..4 {
        let consumed = store.consume(&order(n).order_no).await.unwrap();
        assert!(matches!(consumed, Consumed::Accepted(_)), "{consumed:?}");
    }
    database.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_row_lock_held_elsewhere_is_a_bounded_error_and_the_order_stays_pending() {
    let Some(database) = Database::new().await else {
        return;
    };
    let bounds = PoolBounds::new().lock_wait_timeout(Duration::from_secs(1));
    let pool = bounds.connect(&database.url).await.unwrap();
    let store = MySqlOrderStore::builder(pool, "appId001")
        .timeout(Duration::from_millis(2500))
        .build()
        .await
        .unwrap();
    let mine = order(1);
    store.put(mine.clone(), TTL).await.unwrap();
    // Another session holds the order's row.
    let mut blocker = database.pool.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM faceid_orders WHERE order_no = 'order1' FOR UPDATE")
        .fetch_one(&mut *blocker)
        .await
        .unwrap();
    let error = store.consume(&mine.order_no).await.unwrap_err();
    assert!(
        matches!(
            mysql_error(&error),
            MySqlStoreError::TimedOut {
                what: "consume",
                ..
            }
        ),
        "{error}"
    );
    blocker.rollback().await.unwrap();
    assert!(matches!(
        store.lookup(&mine.order_no).await.unwrap(),
        Lookup::Pending { .. }
    ));
    assert!(matches!(
        store.consume(&mine.order_no).await.unwrap(),
        Consumed::Accepted(_)
    ));
    database.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mysql_from_the_environment_keeps_orders_through_its_connector() {
    let Some(database) = Database::new().await else {
        return;
    };
    let vars = HashMap::from([
        (
            "FACEID_CALLBACK_URL",
            "https://partner.example/face/callback".to_owned(),
        ),
        ("FACEID_DATABASE_URL", database.url.clone()),
    ]);
    let emulator = Emulator::start().await.unwrap();
    let from_vars = || {
        let builder = emulator.face_id();
        builder
            .settings_from_vars(|name| vars.get(name).cloned())
            .unwrap()
    };
    // Without the connector: a sentence naming the crate to add.
    let Err(missing) = from_vars().build().await else {
        panic!("a FaceId on a mysql:// URL without its connector");
    };
    assert!(
        matches!(&missing, FaceIdError::NoDatabaseConnector { scheme } if scheme == "mysql"),
        "{missing}"
    );
    assert!(
        missing.to_string().contains("tencent-faceid-mysql"),
        "{missing}"
    );
    from_vars()
        .database_connector(MySqlConnector)
        .build()
        .await
        .unwrap();

    // Two instances on one database: one starts, the other verifies.
    let builder = || {
        emulator
            .face_id()
            .callback_url("https://partner.example/face/callback")
            .database(DatabaseSettings::new(database.url.clone()))
            .database_connector(MySqlConnector)
            .build()
    };
    let (first, second) = (builder().await.unwrap(), builder().await.unwrap());
    let started = crate::facade::one_starts_the_other_verifies(&emulator, &first, &second).await;
    let store = database.store(emulator.app_id()).await;
    let lookup = store.lookup(&started.order_no).await.unwrap();
    assert_eq!(lookup, Lookup::Consumed);
    database.drop().await;
}
