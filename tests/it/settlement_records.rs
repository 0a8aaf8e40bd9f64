//! The settlement record as the stores that keep it as text read it back
//! (Redis, PostgreSQL, MySQL; the memory store keeps it typed): a record
//! written before records had a version still reads, an unreadable one is
//! an error naming its field, a newer version is refused. Each store's
//! record is overwritten in place, as only another writer could.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support;
use crate::support::mysql::Database;
use crate::support::postgres::Schema;
use faceid_test_support::random_alphanumeric;
use tencent_faceid::client::ResultCode;
use tencent_faceid::orders::{
    Claim, Consumed, PendingOrder, PostgresStoreError, RedisOrderStore, SettlementRecord,
    SettlementRecordError, SettlementStore, StoreError,
};
use tencent_faceid::settle::{SettledBy, SettledState};
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_mysql::MySqlStoreError;

const TTL: Duration = Duration::from_secs(1800);

/// A record as the settler wrote it before records had a version: no
/// `version`, `|` escaped.
const UNVERSIONED: &str =
    r#"{"state":"failed","code":"a\u007cb","by":"reconciler","at":1700000001500,"billed":2}"#;

/// A record without its time.
const TIMELESS: &str = r#"{"state":"passed","code":null,"by":"callback"}"#;

/// A record of a version this crate does not know, in a shape it cannot read.
const NEWER: &str = r#"{"version":2,"state":{"passed":true},"at":"2026-12-06"}"#;

/// The record [`UNVERSIONED`] holds.
fn unversioned() -> SettlementRecord {
    let at = UNIX_EPOCH + Duration::from_millis(1_700_000_001_500);
    let failed = SettledState::Failed(ResultCode::from_code("a|b"));
    SettlementRecord::new(failed, SettledBy::Reconciler, at).billed(Some(2))
}

/// Settles an order of its own in `store`, then checks what `store`
/// answers for its record once `overwrite` wrote each kind in its place.
/// Answers the settled order.
async fn kept_records_read_or_say_why(
    store: &impl SettlementStore,
    overwrite: impl AsyncFn(&OrderNo, &str),
) -> OrderNo {
    let order = PendingOrder::new(
        OrderNo::new("kept1").unwrap(),
        UserId::new("user1").unwrap(),
    );
    let order_no = order.order_no.clone();
    store.put(order, TTL).await.unwrap();
    let record =
        SettlementRecord::new(SettledState::Passed, SettledBy::Callback, SystemTime::now());
    let claim = Claim::new().settling(record.clone());
    let consumed = store.consume_claim(&order_no, &claim).await.unwrap();
    assert!(matches!(consumed, Consumed::Accepted(_)), "{consumed:?}");
    let kept = store.settlement(&order_no).await.unwrap();
    assert_eq!(kept.map(|(_, kept)| kept), Some(record));

    overwrite(&order_no, UNVERSIONED).await;
    let kept = store.settlement(&order_no).await.unwrap();
    assert_eq!(kept.map(|(_, kept)| kept), Some(unversioned()));

    overwrite(&order_no, TIMELESS).await;
    let error = store.settlement(&order_no).await.unwrap_err();
    let StoreError::UnreadableSettlement(unreadable) = &error else {
        panic!("expected an unreadable settlement, got {error:?}");
    };
    assert_unreadable_at(unreadable, &order_no, "at");

    overwrite(&order_no, NEWER).await;
    let error = store.settlement(&order_no).await.unwrap_err();
    assert!(
        matches!(
            &error,
            StoreError::UnreadableSettlement(SettlementRecordError::Newer { order_no: no, version: 2 })
                if *no == order_no
        ),
        "{error:?}"
    );
    order_no
}

fn assert_unreadable_at(error: &SettlementRecordError, order_no: &OrderNo, field: &str) {
    match error {
        SettlementRecordError::Unreadable {
            order_no: no,
            source,
        } if no == order_no && source.field() == field => {}
        other => panic!("expected the field `{field}` unreadable, got {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains(&format!("`{field}`")), "{message}");
    assert!(message.contains(order_no.as_str()), "{message}");
}

/// From the Unix epoch to a day ahead: every settlement of a test.
fn all_time() -> (SystemTime, SystemTime) {
    (UNIX_EPOCH, SystemTime::now() + Duration::from_secs(86_400))
}

#[tokio::test]
async fn redis_reads_kept_records_or_says_why() {
    let Some(url) = support::redis::url() else {
        return;
    };
    let prefix = format!("faceid-test:{}:", random_alphanumeric(12));
    let connection = tencent_faceid::redis::connect(url).await.unwrap();
    let store = RedisOrderStore::builder(connection.clone(), "appId001")
        .prefix(&prefix)
        .build();
    let overwrite = async |order_no: &OrderNo, json: &str| {
        let key = store.key(order_no);
        let mut connection = connection.clone();
        let value: String = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut connection)
            .await
            .unwrap();
        let (tombstone, _) = value.split_once('|').unwrap();
        let _: () = redis::cmd("SET")
            .arg(&key)
            .arg(format!("{tombstone}|{json}"))
            .arg("PX")
            .arg(3_600_000)
            .query_async(&mut connection)
            .await
            .unwrap();
    };
    kept_records_read_or_say_why(&store, overwrite).await;
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn postgres_reads_kept_records_and_its_log_or_says_why() {
    let Some(_) = support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.unwrap();
    let store = schema.store("appId001").await;
    let update = format!(
        "UPDATE \"{}\".settlements SET record = $1 WHERE order_no = $2",
        schema.name
    );
    let overwrite = async |order_no: &OrderNo, json: &str| {
        let query = sqlx::query(&update).bind(json).bind(order_no.as_str());
        query.execute(&schema.pool).await.unwrap();
    };
    let order_no = kept_records_read_or_say_why(&store, &overwrite).await;
    let (from, until) = all_time();

    overwrite(&order_no, UNVERSIONED).await;
    let logged = store.settlements(from, until, 10).await.unwrap();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].record, unversioned());

    overwrite(&order_no, TIMELESS).await;
    let error = store.settlements(from, until, 10).await.unwrap_err();
    let PostgresStoreError::UnreadableSettlement(unreadable) = &error else {
        panic!("expected an unreadable settlement, got {error:?}");
    };
    assert_unreadable_at(unreadable, &order_no, "at");
    schema.drop().await;
}

#[tokio::test]
async fn mysql_reads_kept_records_and_its_log_or_says_why() {
    let Some(database) = Database::new().await else {
        return;
    };
    let store = database.store("appId001").await;
    let overwrite = async |order_no: &OrderNo, json: &str| {
        let update = "UPDATE faceid_settlements SET record = ? WHERE order_no = ?";
        let query = sqlx::query(update).bind(json).bind(order_no.as_str());
        query.execute(&database.pool).await.unwrap();
    };
    let order_no = kept_records_read_or_say_why(&store, &overwrite).await;
    let (from, until) = all_time();

    overwrite(&order_no, UNVERSIONED).await;
    let logged = store.settlements(from, until, 10).await.unwrap();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].record, unversioned());

    overwrite(&order_no, TIMELESS).await;
    let error = store.settlements(from, until, 10).await.unwrap_err();
    let MySqlStoreError::UnreadableSettlement(unreadable) = &error else {
        panic!("expected an unreadable settlement, got {error:?}");
    };
    assert_unreadable_at(unreadable, &order_no, "at");
    database.drop().await;
}
