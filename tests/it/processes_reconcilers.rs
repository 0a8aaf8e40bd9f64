//! Four processes reconciling one backlog in one PostgreSQL schema or one
//! MySQL database: every order is settled once (one settlement-log row
//! each) and delivered to one hook once, across the four, and the vendor
//! is asked about each order at most `queries_per_order` times.
//!
//! This process starts the emulator (on a manual clock) and puts 40
//! orders, whose sessions the emulator finished (passed or failed), in
//! the database; then it re-executes its own binary four times, running
//! only the ignored `child_process_reconciles`: a settler and its
//! reconciler on the database, querying this process's emulator, on a
//! manual clock set to the emulator's time (so the orders are due and no
//! lease runs out), whose hook prints each order it is handed. Each child
//! waits on stdin for the start signal, then runs rounds until one finds
//! nothing to take. The emulator holds the first record query until the
//! other children have asked about every order the held child cannot have
//! leased (at most one batch): so more than one child does work, always.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tencent_faceid::ManualClock;
use tencent_faceid::OrderNo;
use tencent_faceid::client::Endpoint;
use tencent_faceid::client::ResultCode;
use tencent_faceid::orders::{LoggedSettlement, PostgresOrderStore, SettlementStore};
use tencent_faceid::session::SessionStarter;
use tencent_faceid::settle::{Reconciler, SettledBy, SettledState, Settlement, Settler};
use tencent_faceid::tickets::CachedTickets;
use tencent_faceid::wiring::Wiring;
use tencent_faceid_emulator::{Emulator, Fault, Outcome};
use tencent_faceid_mysql::MySqlOrderStore;
use tokio::sync::Notify;

use crate::support;
use crate::support::children::{
    Children, ENV_BACKEND, ENV_SCHEMA, ENV_URL, var, vendor_client, vendor_env,
};
use crate::support::emu::wired::{emulator, session};
use crate::support::mysql::Database;
use crate::support::postgres::Schema;

const PROCESSES: usize = 4;
const ORDERS: usize = 40;
/// The most orders one child's round takes.
const BATCH: usize = 10;
/// How long the children may take, far beyond what they need.
const PATIENCE: Duration = Duration::from_secs(120);
/// The code of the failed sessions.
const FAILED: &str = "66660016";

/// What a child needs: the backend (`postgres` or `mysql`), its URL, the
/// schema (PostgreSQL), the emulator's address, credentials and time (in
/// milliseconds since the epoch), and the child's number.
const ENV_NOW: &str = "FACEID_CHILD_NOW";
const ENV_CHILD: &str = "FACEID_CHILD_NUMBER";

#[tokio::test(flavor = "multi_thread")]
async fn four_processes_reconciling_one_postgres_backlog_settle_and_deliver_each_order_once() {
    let Some(url) = support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.expect("PostgreSQL answers");
    let emulator = emulator().await;
    let store = schema.store(emulator.app_id()).await;
    let outcomes = due_orders(&emulator, store.clone()).await;
    let delivered = reconcile_in_children(&emulator, "postgres", url, &schema.name).await;
    let logged = store.settlements(UNIX_EPOCH, far_future(), 2 * ORDERS);
    check(&emulator, &outcomes, &delivered, &logged.await.unwrap());
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn four_processes_reconciling_one_mysql_backlog_settle_and_deliver_each_order_once() {
    let Some(database) = Database::new().await else {
        return;
    };
    let emulator = emulator().await;
    let store = database.store(emulator.app_id()).await;
    let outcomes = due_orders(&emulator, store.clone()).await;
    let delivered = reconcile_in_children(&emulator, "mysql", &database.url, "").await;
    let logged = store.settlements(UNIX_EPOCH, far_future(), 2 * ORDERS);
    check(&emulator, &outcomes, &delivered, &logged.await.unwrap());
    database.drop().await;
}

fn far_future() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(100 * 365 * 86_400)
}

/// Starts `ORDERS` sessions on `store`, has the emulator finish them
/// (every third failed, the others passed) and moves its clock until they
/// are due: the outcome of each, by order.
async fn due_orders(
    emulator: &Emulator,
    store: impl SettlementStore,
) -> HashMap<OrderNo, Option<ResultCode>> {
    let tickets = CachedTickets::builder(emulator.client()).build();
    let wiring = Wiring::new(emulator.client(), tickets, store).browser_binding(false);
    let starter = SessionStarter::builder(&wiring).build().unwrap();
    let mut outcomes = HashMap::new();
    for n in 0..ORDERS {
        let started = starter.start(session()).await.unwrap();
        let failed = (n % 3 == 0).then(|| ResultCode::from_code(FAILED));
        let outcome = failed.clone().map_or(Outcome::Pass, Outcome::Fail);
        emulator.complete(&started.h5face_id, outcome).unwrap();
        outcomes.insert(started.order_no, failed);
    }
    // Past the settler's default `reconcile_after` (10 minutes).
    emulator.advance(Duration::from_secs(11 * 60)).unwrap();
    outcomes
}

/// Starts four children reconciling the backlog at the emulator's time,
/// releases them together and waits until all have ended: each delivery
/// they printed, as (order, child).
async fn reconcile_in_children(
    emulator: &Emulator,
    backend: &str,
    url: &str,
    schema: &str,
) -> Vec<(String, String)> {
    let release = Arc::new(Notify::new());
    emulator.inject(Fault::hold(Endpoint::QueryRecord, Arc::clone(&release)));
    let now = emulator.clock().now().duration_since(UNIX_EPOCH).unwrap();
    let test = "processes_reconcilers::child_process_reconciles";
    let mut children = Children::ready(test, PROCESSES, |i, child| {
        vendor_env(child, emulator)
            .env(ENV_BACKEND, backend)
            .env(ENV_URL, url)
            .env(ENV_SCHEMA, schema)
            .env(ENV_NOW, now.as_millis().to_string())
            .env(ENV_CHILD, i.to_string());
    });
    children.go();
    // The held child leased at most a batch; the others ask about the
    // rest while it waits.
    let others_asked = emulator.wait_for_counts(|c| c.query_record > ORDERS - BATCH);
    tokio::time::timeout(PATIENCE, others_asked)
        .await
        .expect("the other children ask about the rest within two minutes");
    release.notify_one();
    let lines = tokio::task::spawn_blocking(move || children.lines("settled "));
    let lines = tokio::time::timeout(PATIENCE, lines)
        .await
        .expect("the children end within two minutes")
        .unwrap();
    lines
        .iter()
        .map(|line| {
            let (order, child) = line.split_once(' ').expect("`settled ORDER CHILD`");
            (order.to_owned(), child.to_owned())
        })
        .collect()
}

/// Every order settled by the reconciler as the emulator finished it,
/// logged once, delivered once, by more than one child; the vendor asked
/// at most `queries_per_order` times an order.
fn check(
    emulator: &Emulator,
    outcomes: &HashMap<OrderNo, Option<ResultCode>>,
    delivered: &[(String, String)],
    logged: &[LoggedSettlement],
) {
    assert_eq!(logged.len(), ORDERS, "one settlement-log row an order");
    for entry in logged {
        let failed = &outcomes[&entry.order_no];
        let state = match failed {
            Some(code) => SettledState::Failed(code.clone()),
            None => SettledState::Passed,
        };
        assert_eq!(entry.record.state, state, "{entry:?}");
        assert_eq!(entry.record.settled_by, SettledBy::Reconciler, "{entry:?}");
        assert!(entry.delivered_at.is_some(), "{entry:?}");
    }
    let logged_orders: HashSet<_> = logged.iter().map(|entry| &entry.order_no).collect();
    assert_eq!(logged_orders.len(), ORDERS, "no order logged twice");

    let mut deliveries: HashMap<&str, usize> = HashMap::new();
    for (order, _) in delivered {
        *deliveries.entry(order).or_default() += 1;
    }
    assert_eq!(delivered.len(), ORDERS, "{deliveries:?}");
    assert!(
        outcomes
            .keys()
            .all(|order| deliveries.get(order.as_str()) == Some(&1)),
        "each order delivered once: {deliveries:?}"
    );
    let workers: HashSet<_> = delivered.iter().map(|(_, child)| child).collect();
    assert!(
        workers.len() > 1,
        "more than one child delivered: {workers:?}"
    );

    let queries = emulator.counts().query_record;
    let per_order = Reconciler::DEFAULT_QUERIES_PER_ORDER as usize;
    assert!(queries <= ORDERS * per_order, "{queries} record queries");
    eprintln!(
        "{queries} record queries for {ORDERS} orders, deliveries by {} children",
        workers.len()
    );
}

/// A settler on `wiring` whose hook prints each order it is handed, with
/// the child's number.
fn printing_settler<S: SettlementStore>(wiring: &Wiring<S>, child: String) -> Settler {
    Settler::builder(wiring)
        .on_settled(move |settlement: Settlement| {
            let child = child.clone();
            async move {
                println!("settled {} {child}", settlement.order_no);
                Ok::<(), std::io::Error>(())
            }
        })
        .build()
}

/// One of the four processes: when told to, reconciles the backlog round
/// by round until a round finds nothing to take.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a child process of four_processes_reconciling_one_*_backlog_settle_and_deliver_each_order_once"]
async fn child_process_reconciles() {
    let now = UNIX_EPOCH + Duration::from_millis(var(ENV_NOW).parse().unwrap());
    let client = vendor_client()
        .clock(ManualClock::starting_at(now).into())
        // The held query waits for the other children.
        .timeout(PATIENCE)
        .build()
        .unwrap();
    let app_id = client.app_id().to_owned();
    let tickets = CachedTickets::builder(client.clone()).build();
    let child = var(ENV_CHILD);
    let settler = if var(ENV_BACKEND) == "postgres" {
        let pool = tencent_faceid::orders::postgres_pool(&var(ENV_URL))
            .await
            .expect("the tests' PostgreSQL answers");
        let store = PostgresOrderStore::builder(pool, app_id).schema(var(ENV_SCHEMA));
        let store = store.build().await.expect("a migrated schema");
        printing_settler(&Wiring::new(client, tickets, store), child)
    } else {
        let pool = tencent_faceid_mysql::mysql_pool(&var(ENV_URL))
            .await
            .expect("the tests' MySQL answers");
        let store = MySqlOrderStore::builder(pool, app_id).build().await;
        let store = store.expect("a migrated database");
        printing_settler(&Wiring::new(client, tickets, store), child)
    };
    let reconciler = Reconciler::builder(settler)
        .rate(10_000.0)
        .concurrency(1)
        .batch(BATCH)
        .build();
    println!("ready");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    while reconciler.run_once().await.unwrap().claimed > 0 {}
}
