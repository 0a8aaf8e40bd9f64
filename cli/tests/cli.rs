//! `faceid` end to end: the binary run as an operator runs it, configured
//! by the `FACEID_*` variables, against the tests' PostgreSQL and MySQL
//! (found or started by faceid-test-support), each test in a schema or a
//! database of its own, removed at its end. Every scenario is one body run
//! on both.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, UNIX_EPOCH};

use faceid_test_support::mysql;
use faceid_test_support::postgres;
use faceid_test_support::random_alphanumeric;
use tencent_faceid::client::ResultCode;
use tencent_faceid::orders::{
    Claim, OrderStore, PendingOrder, PostgresOrderStore, SettlementRecord, postgres_pool,
};
use tencent_faceid::settle::{SettledBy, SettledState};
use tencent_faceid::tickets::{LeaseTimings, PostgresTicketHome, PostgresTickets, TicketProvider};
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::Emulator;
use tencent_faceid_mysql::{MySqlOrderStore, MySqlTicketHome, MySqlTickets, mysql_pool};

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

/// A schema or database name no test used, not created.
fn fresh_name() -> String {
    format!("faceid_cli_{}", random_alphanumeric(12).to_lowercase())
}

/// The store's tables in one test, on one backend: a PostgreSQL schema or
/// a MySQL database of the test's own.
enum Place {
    Postgres {
        url: &'static str,
        schema: String,
    },
    MySql {
        server: &'static str,
        database: String,
    },
}

impl Place {
    /// A fresh place, nothing of it made yet; `None` (after a loud
    /// `SKIPPED`) when the backend is not there.
    fn fresh(mysql: bool) -> Option<Self> {
        Some(if mysql {
            Self::MySql {
                server: mysql::url()?,
                database: fresh_name(),
            }
        } else {
            Self::Postgres {
                url: postgres::url()?,
                schema: fresh_name(),
            }
        })
    }

    /// The URL of the place's database.
    fn url(&self) -> String {
        match self {
            Self::Postgres { url, .. } => (*url).to_owned(),
            Self::MySql { server, database } => {
                let mut url = url::Url::parse(server).expect("a MySQL URL");
                url.set_path(database);
                url.to_string()
            }
        }
    }

    /// The schema's or database's name.
    fn name(&self) -> &str {
        match self {
            Self::Postgres { schema, .. } => schema,
            Self::MySql { database, .. } => database,
        }
    }

    /// Runs `faceid args` pointed here, for `APP_ID`.
    fn faceid(&self, args: &[&str]) -> Output {
        let url = self.url();
        let mut vars = vec![("FACEID_APP_ID", APP_ID), ("FACEID_DATABASE_URL", &url)];
        if let Self::Postgres { schema, .. } = self {
            vars.push(("FACEID_DATABASE_SCHEMA", schema));
        }
        faceid(&vars, args)
    }

    /// Makes the MySQL database (a PostgreSQL schema is made by the
    /// migration).
    async fn create(&self) {
        if let Self::MySql { server, database } = self {
            let admin = mysql_pool(server).await.unwrap();
            let create = format!("CREATE DATABASE `{database}`");
            tencent_faceid_mysql::sqlx::query(&create)
                .execute(&admin)
                .await
                .unwrap();
        }
    }

    /// Runs `script` as a DBA would: `psql -1 -f`, or `mysql <`.
    fn run_script(&self, script: &str) {
        match self {
            Self::Postgres { url, .. } => {
                let mut psql = Command::new("psql");
                psql.args([
                    "--no-psqlrc",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-1",
                    "-q",
                    "-f",
                    "-",
                    url,
                ]);
                // The second run's "already exists, skipping" notices.
                psql.env("PGOPTIONS", "-c client_min_messages=warning");
                client(psql, script);
            }
            Self::MySql { server, .. } => mysql_client(server, script),
        }
    }

    /// The store of `APP_ID` here, migrated.
    async fn store(&self) -> Box<dyn OrderStore> {
        self.create().await;
        match self {
            Self::Postgres { url, schema } => {
                let pool = postgres_pool(url).await.unwrap();
                let builder = PostgresOrderStore::builder(pool, APP_ID).schema(schema);
                builder.migrate().await.unwrap();
                Box::new(builder.build().await.unwrap())
            }
            Self::MySql { .. } => {
                let pool = mysql_pool(&self.url()).await.unwrap();
                let builder = MySqlOrderStore::builder(pool, APP_ID);
                builder.migrate().await.unwrap();
                Box::new(builder.build().await.unwrap())
            }
        }
    }

    /// The access token and SIGN ticket of `APP_ID` shared here (the
    /// tables migrated), fetched from `emulator`.
    async fn shared_tickets(&self, emulator: &Emulator) -> Box<dyn TicketProvider> {
        self.create().await;
        let client = emulator.client();
        match self {
            Self::Postgres { url, schema } => {
                let pool = postgres_pool(url).await.unwrap();
                let builder = PostgresOrderStore::builder(pool, APP_ID).schema(schema);
                builder.migrate().await.unwrap();
                let home = PostgresTicketHome::new(&builder, LeaseTimings::default());
                Box::new(PostgresTickets::builder(client, home.await.unwrap()).build())
            }
            Self::MySql { .. } => {
                let pool = mysql_pool(&self.url()).await.unwrap();
                let builder = MySqlOrderStore::builder(pool, APP_ID);
                builder.migrate().await.unwrap();
                let home = MySqlTicketHome::new(&builder, LeaseTimings::default());
                Box::new(MySqlTickets::builder(client, home.await.unwrap()).build())
            }
        }
    }

    /// Removes the place and everything in it.
    async fn drop(self) {
        match self {
            Self::Postgres { url, schema } => {
                let pool = postgres_pool(url).await.unwrap();
                let drop = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                tencent_faceid::sqlx::query(&drop)
                    .execute(&pool)
                    .await
                    .unwrap();
            }
            Self::MySql { server, database } => {
                let admin = mysql_pool(server).await.unwrap();
                let drop = format!("DROP DATABASE IF EXISTS `{database}`");
                tencent_faceid_mysql::sqlx::query(&drop)
                    .execute(&admin)
                    .await
                    .unwrap();
            }
        }
    }
}

/// Runs the `mysql` client on `script` against the server of `url`
/// (`mysql://user[:password]@host:port/…`): `mysql < file`.
fn mysql_client(url: &str, script: &str) {
    let url = url::Url::parse(url).expect("a MySQL URL");
    let mut mysql = Command::new("mysql");
    mysql
        .arg("--no-defaults")
        .arg(format!("--host={}", url.host_str().unwrap_or("127.0.0.1")))
        .arg(format!("--port={}", url.port().unwrap_or(3306)))
        .arg(format!("--user={}", url.username()));
    if let Some(password) = url.password() {
        mysql.env("MYSQL_PWD", password);
    }
    client(mysql, script);
}

/// Runs the database client `command` with `script` on its stdin, and
/// checks that it succeeded.
fn client(mut command: Command, script: &str) {
    let mut client = command
        .stdin(Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| {
            panic!("{command:?} runs (Debian postgresql-client, mariadb-client): {error}")
        });
    let mut stdin = client.stdin.take().expect("its stdin");
    stdin.write_all(script.as_bytes()).unwrap();
    drop(stdin);
    let status = client.wait().unwrap();
    assert!(status.success(), "{command:?} < script failed: {status}");
}

#[test]
fn postgres_is_available() {
    postgres::require();
}

#[test]
fn mysql_is_available() {
    mysql::require();
}

/// The number after `before` in `text`.
fn number_after(text: &str, before: &str) -> i32 {
    let (_, rest) = text.split_once(before).expect(before);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().expect("a number")
}

/// `migrate` brings new tables to the version `status` says this faceid
/// needs, once.
async fn migrate_brings_new_tables_to_the_version(mysql: bool) {
    let Some(place) = Place::fresh(mysql) else {
        return;
    };
    place.create().await;
    let before = ok(place.faceid(&["status"]));
    assert!(before.contains("version 0"), "{before}");
    assert!(before.contains("run `faceid migrate`"), "{before}");
    let expected = number_after(&before, "this faceid needs ");
    assert!(expected >= 1, "{before}");

    let migrated = ok(place.faceid(&["migrate"]));
    let ran = format!("{expected} migration(s) ran, now at version {expected}");
    assert!(migrated.contains(&ran), "{migrated}");
    let again = ok(place.faceid(&["migrate"]));
    assert!(again.contains("0 migration(s) ran"), "{again}");
    let status = ok(place.faceid(&["status"]));
    assert!(status.contains("pending orders: 0"), "{status}");
    place.drop().await;
}

#[tokio::test]
async fn migrate_brings_a_new_postgres_schema_to_the_version() {
    migrate_brings_new_tables_to_the_version(false).await;
}

#[tokio::test]
async fn migrate_brings_a_new_mysql_database_to_the_version() {
    migrate_brings_new_tables_to_the_version(true).await;
}

/// The printed SQL, run by the database's own client twice (it is
/// idempotent), makes the schema or database, tables the store starts on.
async fn print_sql_run_twice_makes_tables_the_store_starts_on(mysql: bool) {
    let Some(place) = Place::fresh(mysql) else {
        return;
    };
    let sql = ok(place.faceid(&["migrate", "--print-sql"]));
    assert!(
        !sql.contains("{schema}") && !sql.contains("{prefix}"),
        "{sql}"
    );
    assert!(sql.contains(place.name()), "{sql}");
    for _ in 0..2 {
        place.run_script(&sql);
    }
    let status = ok(place.faceid(&["status"]));
    let expected = number_after(&status, "this faceid needs ");
    assert!(status.contains(&format!("version {expected} ")), "{status}");
    assert!(status.contains("pending orders: 0"), "{status}");
    // The store starts on them (purge builds it, checking its tables).
    ok(place.faceid(&["purge"]));
    place.drop().await;
}

#[tokio::test]
async fn print_sql_run_by_psql_twice_makes_a_schema_the_store_starts_on() {
    print_sql_run_twice_makes_tables_the_store_starts_on(false).await;
}

#[tokio::test]
async fn print_sql_run_by_the_mysql_client_twice_makes_a_database_the_store_starts_on() {
    print_sql_run_twice_makes_tables_the_store_starts_on(true).await;
}

/// `status`, `settlements` and the lifecycle verbs on a store with two
/// settled orders and a pending one.
async fn the_commands_read_and_change_the_store(mysql: bool) {
    let Some(place) = Place::fresh(mysql) else {
        return;
    };
    let store = place.store().await;
    let ttl = Duration::from_secs(1800);
    let at = |millis| UNIX_EPOCH + Duration::from_millis(millis);
    let failed_state = SettledState::Failed(ResultCode::from_code("66660016"));
    let records = [
        SettlementRecord::new(
            SettledState::Passed,
            SettledBy::Callback,
            at(1_700_000_000_000),
        ),
        SettlementRecord::new(failed_state, SettledBy::Reconciler, at(1_700_000_001_500)),
    ];
    for n in 0..3 {
        let order_no = OrderNo::new(format!("order{n}")).unwrap();
        let user = UserId::new(format!("user{n}")).unwrap();
        store
            .put(PendingOrder::new(order_no.clone(), user), ttl)
            .await
            .unwrap();
        if let Some(record) = records.get(n) {
            let claim = Claim::new().settling(record.clone());
            store.consume_claim(&order_no, &claim).await.unwrap();
        }
    }

    let status = ok(place.faceid(&["status"]));
    assert!(status.contains("pending orders: 1"), "{status}");
    assert!(status.contains("undelivered settlements: 2"), "{status}");

    let header = "order_no,user_id,state,code,settled_by,settled_at,delivered_at,idempotency_key";
    let since = ["settlements", "--since", "2023-11-14T22:13:20Z"];
    let csv = ok(place.faceid(&since));
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines,
        [
            header,
            "order0,user0,passed,,callback,2023-11-14T22:13:20.000Z,,faceid-settlement-appId001-order0",
            "order1,user1,failed,66660016,reconciler,2023-11-14T22:13:21.500Z,,faceid-settlement-appId001-order1",
        ]
    );
    let json = ok(place.faceid(&[
        "settlements",
        "--since",
        "2023-11-14",
        "--until",
        "2023-11-14T22:13:21Z",
        "--format",
        "json",
    ]));
    let entries: serde_json::Value = serde_json::from_str(&json).unwrap();
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 1, "--until is exclusive: {json}");
    assert_eq!(entries[0]["state"], "passed");
    assert_eq!(entries[0]["delivered_at"], serde_json::Value::Null);
    let bad = failed(place.faceid(&["settlements", "--since", "yesterday"]));
    assert!(bad.contains("2026-12-01T08:00:00Z"), "{bad}");

    // A user under a legal hold is not erased; released, they are.
    ok(place.faceid(&["hold", "user0"]));
    let held = failed(place.faceid(&["erase-user", "user0"]));
    assert!(held.contains("legal hold"), "{held}");
    ok(place.faceid(&["release", "user0"]));
    let erased = ok(place.faceid(&["erase-user", "user0"]));
    assert!(erased.contains("1 settlement(s) removed"), "{erased}");
    let after = ok(place.faceid(&["settlements", "--since", "2023-11-14"]));
    let orders: Vec<&str> = after.lines().skip(1).map(|line| &line[..6]).collect();
    assert_eq!(orders, ["order1"], "user1's settlement is kept: {after}");

    let purged = ok(place.faceid(&["purge"]));
    assert!(purged.contains("settlement_log: 0 purged"), "{purged}");
    place.drop().await;
}

#[tokio::test]
async fn the_commands_read_and_change_a_postgres_store() {
    the_commands_read_and_change_the_store(false).await;
}

#[tokio::test]
async fn the_commands_read_and_change_a_mysql_store() {
    the_commands_read_and_change_the_store(true).await;
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
    let scheme = failed(faceid(
        &[("FACEID_DATABASE_URL", "sqlite://faceid.db")],
        &["status"],
    ));
    assert!(scheme.contains("postgres://, mysql://"), "{scheme}");
    let schema = failed(faceid(
        &[
            ("FACEID_DATABASE_URL", "mysql://root@127.0.0.1/app"),
            ("FACEID_DATABASE_SCHEMA", "faceid"),
        ],
        &["migrate", "--print-sql"],
    ));
    assert!(schema.contains("for MySQL, unset it"), "{schema}");
    let help = ok(faceid(&[], &["help"]));
    assert!(help.contains("settlements --since TIME"), "{help}");
    assert!(help.contains("mysql < FILE"), "{help}");
}

/// `status` says when the shared ticket pair was fetched and is due, never
/// its values.
async fn status_shows_the_shared_ticket_pairs_age_and_due_time(mysql: bool) {
    let Some(place) = Place::fresh(mysql) else {
        return;
    };
    let emulator = Emulator::start().await.unwrap();
    let tickets = place.shared_tickets(&emulator).await;
    let none = ok(place.faceid(&["status"]));
    assert!(none.contains("ticket pair: none shared"), "{none}");

    tickets.warm_up().await.unwrap();
    let shared = ok(place.faceid(&["status"]));
    let line = shared.lines().find(|line| line.contains("ticket pair"));
    let line = line.unwrap_or_else(|| panic!("no ticket pair line: {shared}"));
    assert!(line.contains("fetched 20"), "{line}");
    assert!(line.contains("s ago), due 20"), "{line}");
    assert!(line.contains("(in "), "due ahead: {line}");
    let ticket = emulator.current_sign_ticket().unwrap();
    assert!(!shared.contains(ticket.expose()), "{shared}");
    place.drop().await;
}

#[tokio::test]
async fn status_shows_the_shared_ticket_pair_on_postgres() {
    status_shows_the_shared_ticket_pairs_age_and_due_time(false).await;
}

#[tokio::test]
async fn status_shows_the_shared_ticket_pair_on_mysql() {
    status_shows_the_shared_ticket_pairs_age_and_due_time(true).await;
}
