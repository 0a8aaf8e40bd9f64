//! Four processes sharing one PostgreSQL, one MySQL, one Redis or one
//! Redis Cluster fetch one access token and one SIGN ticket for them all,
//! counted at the emulator (this process's), while every caller of every
//! process is served.
//!
//! The test re-executes its own binary four times, running only the
//! ignored `child_process_takes_tickets`, whose tickets fetch from this
//! process's emulator and share through the database or Redis; each waits on stdin
//! for the start signal so that all fire together, and the emulator holds
//! the first token request until all four have asked, so that the others
//! find the lease taken.

use std::sync::Arc;
use std::time::Duration;

use crate::support::children::{
    Children, ENV_BACKEND, ENV_SCHEMA, ENV_URL, var, vendor_client, vendor_env,
};
use crate::support::mysql::Database;
use crate::support::postgres::Schema;
use faceid_test_support::random_alphanumeric;
use faceid_test_support::redis_cluster::RedisCluster;
use faceid_test_support::spare_redis::SpareRedis;
use tencent_faceid::client::Endpoint;
use tencent_faceid::orders::PostgresOrderStore;
use tencent_faceid::redis::RedisTopology;
use tencent_faceid::tickets::{
    LeaseTimings, PostgresTicketHome, PostgresTickets, RedisTickets, TicketProvider,
};
use tencent_faceid_emulator::{Emulator, Fault};
use tencent_faceid_mysql::{MySqlOrderStore, MySqlTicketHome, MySqlTickets};
use tokio::sync::Notify;

const PROCESSES: usize = 4;
/// Concurrent callers in each process.
const CALLERS: usize = 25;

/// What a child needs: the backend (`postgres` or `mysql`), its URL, the
/// schema (PostgreSQL), and the emulator's address and credentials.

#[tokio::test(flavor = "multi_thread")]
async fn four_processes_sharing_postgres_fetch_one_token() {
    let Some(url) = crate::support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.expect("PostgreSQL answers");
    race("postgres", url, &schema.name).await;
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn four_processes_sharing_a_redis_fetch_one_token() {
    if !SpareRedis::available() {
        return SpareRedis::skip("four_processes_sharing_a_redis_fetch_one_token");
    }
    let redis = SpareRedis::start(&[]);
    let prefix = format!("faceid-test:{}:", random_alphanumeric(8));
    race("redis", &redis.url(), &prefix).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn four_processes_sharing_a_redis_cluster_fetch_one_token() {
    if !SpareRedis::available() {
        return SpareRedis::skip("four_processes_sharing_a_redis_cluster_fetch_one_token");
    }
    let cluster = tokio::task::spawn_blocking(RedisCluster::start)
        .await
        .unwrap();
    let prefix = format!("faceid-test:{}:", random_alphanumeric(8));
    race("redis-cluster", &cluster.urls().join(","), &prefix).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn four_processes_sharing_mysql_fetch_one_token() {
    let Some(database) = Database::new().await else {
        return;
    };
    race("mysql", &database.url, "").await;
    database.drop().await;
}

/// Starts four children on the database or Redis (`schema`: the key
/// prefix there; for a cluster, `url` lists its nodes), lets them all ask at once with
/// the first token request held, and counts the vendor's fetches.
async fn race(backend: &str, url: &str, schema: &str) {
    let emulator = Emulator::start().await.unwrap();
    let release = Arc::new(Notify::new());
    emulator.inject(Fault::hold(Endpoint::AccessToken, Arc::clone(&release)));
    let test = "processes_tickets::child_process_takes_tickets";
    let mut children = Children::ready(test, PROCESSES, |_, child| {
        vendor_env(child, &emulator)
            .env(ENV_BACKEND, backend)
            .env(ENV_URL, url)
            .env(ENV_SCHEMA, schema);
    });
    children.go();
    // One process holds the lease and its token request is held; the
    // others wait on the lease (or the vendor, if one asked anyway).
    let first = emulator.wait_for_counts(|counts| counts.access_token >= 1);
    tokio::time::timeout(Duration::from_secs(60), first)
        .await
        .expect("a token request within a minute");
    release.notify_one();

    let tickets = children.lines("ticket ");
    assert_eq!(
        tickets.len(),
        PROCESSES * CALLERS,
        "every caller was served"
    );
    let current = emulator.current_sign_ticket().unwrap();
    assert!(
        tickets.iter().all(|t| t == current.expose()),
        "one SIGN ticket for all"
    );
    let counts = emulator.counts();
    assert_eq!(
        (counts.access_token, counts.sign_ticket),
        (1, 1),
        "one token and one SIGN ticket for four processes"
    );
}

/// One of the four processes: its tickets on the database, fetching from
/// the parent's emulator; when told to, 25 concurrent callers ask for the
/// SIGN ticket, and each answer is printed.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a child process of four_processes_sharing_*_fetch_one_token"]
async fn child_process_takes_tickets() {
    let client = vendor_client().build().unwrap();
    let app_id = client.app_id().to_owned();
    let tickets: Arc<dyn TicketProvider> = if var(ENV_BACKEND) == "postgres" {
        let pool = tencent_faceid::orders::postgres_pool(&var(ENV_URL))
            .await
            .expect("the tests' PostgreSQL answers");
        let store = PostgresOrderStore::builder(pool, app_id).schema(var(ENV_SCHEMA));
        let home = PostgresTicketHome::new(&store, LeaseTimings::default());
        let home = home.await.expect("a migrated schema");
        Arc::new(PostgresTickets::builder(client, home).build())
    } else if let Some(mode) = var(ENV_BACKEND).strip_prefix("redis") {
        let mode = mode.strip_prefix('-');
        let topology = RedisTopology::parse(&var(ENV_URL), mode, None).expect("a Redis topology");
        let connection = topology.connect().await.expect("the spare Redis answers");
        let tickets = RedisTickets::builder(client, connection).prefix(var(ENV_SCHEMA));
        Arc::new(tickets.build())
    } else {
        let pool = tencent_faceid_mysql::mysql_pool(&var(ENV_URL))
            .await
            .expect("the tests' MySQL answers");
        let store = MySqlOrderStore::builder(pool, app_id);
        let home = MySqlTicketHome::new(&store, LeaseTimings::default());
        Arc::new(MySqlTickets::builder(client, home.await.expect("a migrated database")).build())
    };
    println!("ready");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).unwrap();
    let callers: Vec<_> = (0..CALLERS)
        .map(|_| {
            let tickets = Arc::clone(&tickets);
            tokio::spawn(async move { tickets.sign_tickets().await })
        })
        .collect();
    for caller in callers {
        let sign = caller.await.unwrap().expect("a SIGN ticket");
        println!("ticket {}", sign.current.value());
    }
}
