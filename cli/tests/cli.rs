//! `faceid` end to end: the binary run as an operator runs it, configured
//! by the `FACEID_*` variables, against the tests' PostgreSQL (found or
//! started by faceid-test-support), each test in a schema of its own.

use std::process::{Command, Output};
use std::time::{Duration, SystemTime};

use faceid_test_support::postgres::{self, Schema};
use faceid_test_support::random_alphanumeric;
use tencent_faceid::ids::{OrderNo, UserId};
use tencent_faceid::orders::{Claim, OrderStore, PendingOrder, PostgresOrderStore, postgres_pool};

const APP_ID: &str = "appId001";

/// `faceid args` with `vars` (and nothing of this process's FACEID_*).
fn faceid(vars: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_faceid"));
    for (name, _) in std::env::vars() {
        if name.starts_with("FACEID_") {
            command.env_remove(name);
        }
    }
    command.envs(vars.iter().copied()).args(args);
    command.output().expect("faceid runs")
}

/// Its stdout, after checking that it succeeded.
fn ok(output: Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "faceid failed: {stderr}");
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// Its stderr, after checking that it failed.
fn failed(output: Output) -> String {
    assert!(!output.status.success(), "faceid succeeded");
    String::from_utf8(output.stderr).expect("UTF-8")
}

/// A schema name no test used, not created.
fn fresh_schema() -> String {
    format!("faceid_cli_{}", random_alphanumeric(12).to_lowercase())
}

async fn drop_schema(url: &str, schema: &str) {
    let pool = postgres_pool(url).await.unwrap();
    let drop = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
    tencent_faceid::sqlx::query(&drop)
        .execute(&pool)
        .await
        .unwrap();
}

#[test]
fn postgres_is_available() {
    postgres::require();
}

#[tokio::test]
async fn migrate_brings_a_new_schema_to_the_version_and_print_sql_does_the_same() {
    let Some(url) = postgres::url() else {
        return;
    };
    let schema = fresh_schema();
    let vars = [
        ("FACEID_DATABASE_URL", url),
        ("FACEID_DATABASE_SCHEMA", schema.as_str()),
        ("FACEID_APP_ID", APP_ID),
    ];
    let before = ok(faceid(&vars, &["status"]));
    assert!(before.contains("version 0"), "{before}");
    assert!(before.contains("run `faceid migrate`"), "{before}");

    let migrated = ok(faceid(&vars, &["migrate"]));
    assert!(
        migrated.contains("3 migration(s) ran, now at version 3"),
        "{migrated}"
    );
    let again = ok(faceid(&vars, &["migrate"]));
    assert!(again.contains("0 migration(s) ran"), "{again}");
    let status = ok(faceid(&vars, &["status"]));
    assert!(status.contains("pending orders: 0"), "{status}");

    // The printed SQL, run as psql would (twice: it is idempotent), makes
    // a schema the store starts on.
    let printed = fresh_schema();
    let print_vars = [
        ("FACEID_DATABASE_URL", url),
        ("FACEID_DATABASE_SCHEMA", printed.as_str()),
    ];
    let sql = ok(faceid(&print_vars, &["migrate", "--print-sql"]));
    assert!(!sql.contains("{schema}"));
    assert!(sql.contains(&format!("\"{printed}\".orders")));
    let pool = postgres_pool(url).await.unwrap();
    for _ in 0..2 {
        tencent_faceid::sqlx::raw_sql(&sql)
            .execute(&pool)
            .await
            .unwrap();
    }
    let store = PostgresOrderStore::builder(pool, APP_ID).schema(&printed);
    assert_eq!(store.status().await.unwrap().version, 3);
    store
        .build()
        .await
        .expect("the printed SQL migrated the schema");

    drop_schema(url, &schema).await;
    drop_schema(url, &printed).await;
}

#[tokio::test]
async fn status_shows_the_shared_ticket_pairs_age_and_due_time() {
    use tencent_faceid::emulator::Emulator;
    use tencent_faceid::tickets::{
        LeaseTimings, PostgresTicketHome, PostgresTickets, TicketProvider,
    };
    let Some(url) = postgres::url() else {
        return;
    };
    let schema = Schema::new().await.unwrap();
    let emulator = Emulator::start().await.unwrap();
    let vars = [
        ("FACEID_DATABASE_URL", url),
        ("FACEID_DATABASE_SCHEMA", schema.name.as_str()),
        ("FACEID_APP_ID", emulator.app_id()),
    ];
    let none = ok(faceid(&vars, &["status"]));
    assert!(none.contains("ticket pair: none shared"), "{none}");

    let store = schema.builder(emulator.app_id());
    let home = PostgresTicketHome::new(&store, LeaseTimings::default());
    let home = home.await.unwrap();
    let tickets = PostgresTickets::builder(emulator.client(), home).build();
    tickets.warm_up().await.unwrap();
    let shared = ok(faceid(&vars, &["status"]));
    let line = shared.lines().find(|line| line.contains("ticket pair"));
    let line = line.unwrap_or_else(|| panic!("no ticket pair line: {shared}"));
    assert!(line.contains("fetched 20"), "{line}");
    assert!(line.contains("s ago), due 20"), "{line}");
    assert!(line.contains("(in "), "due ahead: {line}");
    let ticket = emulator.current_sign_ticket().unwrap();
    assert!(!shared.contains(ticket.expose()), "{shared}");
    schema.drop().await;
}

#[tokio::test]
async fn status_settlements_and_the_lifecycle_verbs_read_and_change_the_store() {
    let Some(url) = postgres::url() else {
        return;
    };
    let schema = Schema::new().await.unwrap();
    let store = schema.store(APP_ID).await;
    let ttl = Duration::from_secs(1800);
    let records = [
        r#"{"state":"passed","code":null,"by":"callback","at":1700000000000}"#,
        r#"{"state":"failed","code":"66660016","by":"reconciler","at":1700000001500}"#,
    ];
    for n in 0..3 {
        let order_no = OrderNo::new(format!("order{n}")).unwrap();
        let user = UserId::new(format!("user{n}")).unwrap();
        store
            .put(PendingOrder::new(order_no.clone(), user), ttl)
            .await
            .unwrap();
        if let Some(record) = records.get(n) {
            let claim = Claim::new().settling(*record);
            store.consume_claim(&order_no, &claim).await.unwrap();
        }
    }
    let vars = [
        ("FACEID_DATABASE_URL", url),
        ("FACEID_DATABASE_SCHEMA", schema.name.as_str()),
        ("FACEID_APP_ID", APP_ID),
    ];

    let status = ok(faceid(&vars, &["status"]));
    assert!(status.contains("pending orders: 1"), "{status}");
    assert!(status.contains("undelivered settlements: 2"), "{status}");

    let since = ["settlements", "--since", "2023-11-14T22:13:20Z"];
    let csv = ok(faceid(&vars, &since));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines,
        [
            "order_no,user_id,state,code,settled_by,settled_at,delivered_at,idempotency_key",
            "order0,user0,passed,,callback,2023-11-14T22:13:20.000Z,,faceid-settlement-appId001-order0",
            "order1,user1,failed,66660016,reconciler,2023-11-14T22:13:21.500Z,,faceid-settlement-appId001-order1",
        ]
    );
    let json = ok(faceid(
        &vars,
        &[
            "settlements",
            "--since",
            "2023-11-14",
            "--until",
            "2023-11-14T22:13:21Z",
            "--format",
            "json",
        ],
    ));
    let entries: serde_json::Value = serde_json::from_str(&json).unwrap();
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 1, "--until is exclusive: {json}");
    assert_eq!(entries[0]["state"], "passed");
    assert_eq!(entries[0]["delivered_at"], serde_json::Value::Null);
    let bad = failed(faceid(&vars, &["settlements", "--since", "yesterday"]));
    assert!(bad.contains("2026-12-01T08:00:00Z"), "{bad}");

    // A user under a legal hold is not erased; released, they are.
    ok(faceid(&vars, &["hold", "user0"]));
    let held = failed(faceid(&vars, &["erase-user", "user0"]));
    assert!(held.contains("legal hold"), "{held}");
    ok(faceid(&vars, &["release", "user0"]));
    let erased = ok(faceid(&vars, &["erase-user", "user0"]));
    assert!(erased.contains("1 settlement(s) removed"), "{erased}");
    let after = store
        .settlements(SystemTime::UNIX_EPOCH, SystemTime::now(), 10)
        .await
        .unwrap();
    assert_eq!(after.len(), 1, "user1's settlement is kept: {after:?}");

    let purged = ok(faceid(&vars, &["purge"]));
    assert!(purged.contains("settlement_log: 0 purged"), "{purged}");
    schema.drop().await;
}

#[test]
fn a_missing_variable_or_command_says_what_to_do() {
    let missing = failed(faceid(&[], &["status"]));
    assert!(
        missing.contains("FACEID_DATABASE_URL is not set"),
        "{missing}"
    );
    let unknown = failed(faceid(
        &[("FACEID_DATABASE_URL", "postgres://x@127.0.0.1/x")],
        &["migrat"],
    ));
    assert!(unknown.contains("`migrat` is not a command"), "{unknown}");
    let help = ok(faceid(&[], &["help"]));
    assert!(help.contains("settlements --since TIME"), "{help}");
}
