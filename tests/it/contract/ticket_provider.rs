//! The ticket provider contract on every provider: one test per backend.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use tencent_faceid::ManualClock;
use tencent_faceid::UserId;
use tencent_faceid::client::Ticket;
use tencent_faceid::contract;
use tencent_faceid::tickets::{
    CachedTickets, SignTickets, StaticTickets, TicketError, TicketProvider,
};
use tencent_faceid::tickets::{LeaseTimings, PostgresTicketHome, PostgresTickets, RedisTickets};
use tencent_faceid::{Secret, async_trait};
use tencent_faceid_emulator::Emulator;
use tencent_faceid_mysql::{MySqlTicketHome, MySqlTickets};
use tokio::sync::Mutex;

use super::Redis;
use crate::support::mysql::Database;
use crate::support::postgres::Schema;
use faceid_test_support::random_alphanumeric;

#[tokio::test(flavor = "multi_thread")]
async fn static_tickets() {
    contract::ticket_provider(async || StaticTickets::new("sign-ticket", "nonce-ticket")).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cached_tickets_over_the_emulator() {
    let emulator = Emulator::builder()
        .clock(ManualClock::new())
        .start()
        .await
        .unwrap();
    let make = async || CachedTickets::builder(emulator.client()).build();
    contract::ticket_provider_with_clock(emulator.clock(), make).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_tickets_over_the_emulator() {
    let Some(redis) = Redis::connect().await else {
        return;
    };
    let emulator = Emulator::start().await.unwrap();
    let make = async || {
        let tickets = RedisTickets::builder(emulator.client(), redis.manager());
        tickets.prefix(redis.fresh_prefix()).build()
    };
    contract::ticket_provider(make).await;
    redis.remove_keys().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_tickets_over_the_emulator() {
    if crate::support::postgres::url().is_none() {
        return;
    }
    let emulator = Emulator::start().await.unwrap();
    // Each provider in a fresh schema: a fresh, empty home.
    let schemas = Mutex::new(Vec::new());
    let make = async || {
        let schema = Schema::new().await.expect("PostgreSQL answers");
        let store = schema.builder(emulator.app_id());
        let home = PostgresTicketHome::new(&store, LeaseTimings::default());
        let home = home.await.unwrap();
        schemas.lock().await.push(schema);
        PostgresTickets::builder(emulator.client(), home).build()
    };
    contract::ticket_provider(make).await;
    for schema in schemas.into_inner() {
        schema.drop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mysql_tickets_over_the_emulator() {
    let Some(database) = Database::new().await else {
        return;
    };
    let emulator = Emulator::start().await.unwrap();
    // Each provider under a fresh table prefix: a fresh, empty home.
    let make = async || {
        let prefix = format!("t{}_", random_alphanumeric(8).to_lowercase());
        let store = database.builder(emulator.app_id()).prefix(prefix);
        store.migrate().await.unwrap();
        let home = MySqlTicketHome::new(&store, LeaseTimings::default());
        let home = home.await.unwrap();
        MySqlTickets::builder(emulator.client(), home).build()
    };
    contract::ticket_provider(make).await;
    database.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_users_own_provider() {
    contract::ticket_provider(async || VaultTickets::default()).await;
}

#[tokio::test(flavor = "multi_thread")]
#[should_panic(expected = "verifies against the tickets a later call accepts now")]
async fn a_provider_rotating_on_every_call_breaks_it() {
    let make = async || VaultTickets {
        rotates: true,
        ..VaultTickets::default()
    };
    contract::ticket_provider(make).await;
}

/// A user's provider: tickets read from a secret manager (here a counter),
/// the SIGN ticket a new one on every read if `rotates`.
#[derive(Default)]
struct VaultTickets {
    reads: AtomicUsize,
    rotates: bool,
}

#[async_trait]
impl TicketProvider for VaultTickets {
    async fn sign_tickets(&self) -> Result<Arc<SignTickets>, TicketError> {
        let read = self.reads.fetch_add(1, Ordering::Relaxed);
        let version = if self.rotates { read } else { 0 };
        let expires_at = SystemTime::now() + Duration::from_secs(20 * 60);
        let ticket = Ticket::new(format!("sign-ticket-{version}"), expires_at);
        Ok(Arc::new(SignTickets::new(ticket)))
    }

    async fn nonce_ticket(&self, _user_id: &UserId) -> Result<Secret, TicketError> {
        Ok(Secret::new("nonce-ticket"))
    }
}
