//! What `PostgresOrderStore` does beyond the order store contract
//! (tests/it/contract runs that): its schema (migrated once, checked at every
//! build, never made silently), app ids sharing one schema, the settlement
//! log. The data lifecycle (purge, erasure, holds) is in `lifecycle_purge.rs`. On the tests' PostgreSQL (see
//! `support::postgres`), each test in a schema of its own.

use std::time::{Duration, SystemTime};

use crate::support;
use crate::support::postgres::Schema;
use tencent_faceid::client::ResultCode;
use tencent_faceid::orders::{
    Claim, Consumed, Lookup, OrderStore, PendingOrder, PostgresOrderStore, PostgresStoreError,
    SettlementRecord, SettlementStore,
};
use tencent_faceid::settle::{SettledBy, SettledState};
use tencent_faceid::{OrderNo, UserId};

const TTL: Duration = Duration::from_secs(1800);

#[test]
fn postgres_is_available() {
    support::postgres::require();
}

fn order(n: usize) -> PendingOrder {
    let order_no = OrderNo::new(format!("order{n}")).unwrap();
    PendingOrder::new(order_no, UserId::new(format!("user{n}")).unwrap())
}

#[tokio::test]
async fn the_schema_is_made_by_migrate_only_and_checked_at_build() {
    let Some(_) = support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.unwrap();
    // Migrated already by Schema::new: a second run changes nothing.
    assert_eq!(schema.builder("appId001").migrate().await.unwrap(), 0);

    let elsewhere = format!("{}_other", schema.name);
    let builder = PostgresOrderStore::builder(schema.pool.clone(), "appId001").schema(&elsewhere);
    let missing = builder.clone().build().await.unwrap_err();
    assert!(
        matches!(&missing, PostgresStoreError::SchemaMissing { schema } if *schema == elsewhere),
        "{missing}"
    );
    assert!(missing.to_string().contains("migrate()"), "{missing}");
    assert_eq!(builder.migrate().await.unwrap(), 3);
    builder.clone().build().await.unwrap();
    sqlx::query(&format!("DROP SCHEMA \"{elsewhere}\" CASCADE"))
        .execute(&schema.pool)
        .await
        .unwrap();

    // A schema from a newer crate is refused, by build and by migrate.
    let newer = format!(
        "INSERT INTO \"{}\".schema_version (version) VALUES (99)",
        schema.name
    );
    sqlx::query(&newer).execute(&schema.pool).await.unwrap();
    let refused = schema.builder("appId001").build().await.unwrap_err();
    assert!(
        matches!(refused, PostgresStoreError::SchemaNewer { found: 99, .. }),
        "{refused}"
    );
    let refused = schema.builder("appId001").migrate().await.unwrap_err();
    assert!(
        refused.to_string().contains("upgrade tencent-faceid"),
        "{refused}"
    );

    let invalid = schema.builder("appId001").schema("Robert'); DROP");
    let refused = invalid.build().await.unwrap_err();
    assert!(
        matches!(refused, PostgresStoreError::InvalidSchema(_)),
        "{refused}"
    );
    schema.drop().await;
}

#[tokio::test]
async fn apps_sharing_a_schema_never_see_each_others_orders() {
    let Some(_) = support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.unwrap();
    let (ours, theirs) = (
        schema.store("appOurs").await,
        schema.store("appTheirs").await,
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
    // The same number is theirs to use too.
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
    schema.drop().await;
}

#[tokio::test]
async fn the_settlement_log_lists_settlements_by_time_with_their_columns() {
    let Some(_) = support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.unwrap();
    let store = schema.store("appId001").await;
    let early = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_000);
    let failed = SettledState::Failed(ResultCode::from_code("66660016"));
    let records = [
        SettlementRecord::new(SettledState::Passed, SettledBy::Callback, early),
        SettlementRecord::new(
            failed,
            SettledBy::Reconciler,
            early + Duration::from_secs(1),
        )
        .billed(Some(2)),
        SettlementRecord::new(
            SettledState::Abandoned,
            SettledBy::Reconciler,
            early + Duration::from_secs(2),
        ),
    ];
    for (n, record) in records.iter().enumerate() {
        let order = order(n);
        store.put(order.clone(), TTL).await.unwrap();
        let claim = Claim::new().settling(record.clone());
        assert!(matches!(
            store.consume_claim(&order.order_no, &claim).await.unwrap(),
            Consumed::Accepted(_)
        ));
    }
    let logged = store
        .settlements(early, early + Duration::from_secs(2), 10)
        .await
        .unwrap();
    assert_eq!(logged.len(), 2, "{logged:?}");
    let (passed, failed) = (&logged[0], &logged[1]);
    assert_eq!(
        (passed.order_no.as_str(), passed.user_id.as_str()),
        ("order0", "user0")
    );
    assert_eq!((&passed.record, &failed.record), (&records[0], &records[1]));
    assert_eq!(passed.idempotency_key, "faceid-settlement-appId001-order0");
    assert_eq!(passed.delivered_at, None);
    // The columns for SQL reports repeat the record.
    let columns: Vec<(String, Option<String>, String, i64)> = sqlx::query_as(&format!(
        "SELECT state, code, settled_by, (extract(epoch FROM settled_at) * 1000)::bigint \
         FROM \"{}\".settlements ORDER BY order_no",
        schema.name
    ))
    .fetch_all(&schema.pool)
    .await
    .unwrap();
    let column = |state: &str, code: Option<&str>, by: &str, at: i64| {
        (state.to_owned(), code.map(str::to_owned), by.to_owned(), at)
    };
    assert_eq!(
        columns,
        [
            column("passed", None, "callback", 1_700_000_000_000),
            column("failed", Some("66660016"), "reconciler", 1_700_000_001_000),
            column("abandoned", None, "reconciler", 1_700_000_002_000),
        ]
    );
    let kept = store.settlement(&order(2).order_no).await.unwrap();
    assert_eq!(kept.map(|(_, record)| record).as_ref(), Some(&records[2]));
    // Delivered: out of the due index, stamped in the log.
    let due = tencent_faceid::orders::DueOrder {
        order_no: passed.order_no.clone(),
        created_at: order(0).created_at,
    };
    store.forget_due(&due).await.unwrap();
    let logged = store
        .settlements(early, early + Duration::from_secs(1), 10)
        .await
        .unwrap();
    assert!(logged[0].delivered_at.is_some(), "{logged:?}");
    schema.drop().await;
}

#[tokio::test]
async fn the_same_claim_is_accepted_again_and_its_browser_sees_a_repeat() {
    let Some(_) = support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.unwrap();
    let store = schema.store("appId001").await;
    let browser = tencent_faceid::callback::BindingHash::of("cookie");
    let bound = order(1).bound_to(browser);
    store.put(bound.clone(), TTL).await.unwrap();
    let claim = Claim::new().bound_to(browser);
    for _ in 0..2 {
        let answer = store.consume_claim(&bound.order_no, &claim).await.unwrap();
        assert!(
            matches!(answer, Consumed::Accepted(ref got) if got.binding == Some(browser)),
            "{answer:?}"
        );
    }
    let again = Claim::new().bound_to(browser);
    let answer = store.consume_claim(&bound.order_no, &again).await.unwrap();
    assert!(matches!(answer, Consumed::Repeated(_)), "{answer:?}");
    assert_eq!(
        store.consume(&bound.order_no).await.unwrap(),
        Consumed::AlreadyConsumed
    );
    schema.drop().await;
}

#[tokio::test]
async fn an_order_keeps_its_edition() {
    let Some(_) = support::postgres::url() else {
        return;
    };
    use tencent_faceid::session::Edition;
    let schema = Schema::new().await.unwrap();
    let store = schema.store("appId001").await;
    let sdk = order(1).in_edition(Edition::AppSdk);
    store.put(sdk.clone(), TTL).await.unwrap();
    let at = SystemTime::UNIX_EPOCH;
    let record = SettlementRecord::new(SettledState::Passed, SettledBy::Callback, at);
    let claim = Claim::new().settling(record);
    let answer = store.consume_claim(&sdk.order_no, &claim).await.unwrap();
    assert!(
        matches!(answer, Consumed::Accepted(ref got) if got.edition == Edition::AppSdk),
        "{answer:?}"
    );
    let kept = store.settlement(&sdk.order_no).await.unwrap();
    assert_eq!(kept.map(|(order, _)| order.edition), Some(Edition::AppSdk));
    schema.drop().await;
}
