//! The order store contract on every store: one test per backend.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tencent_faceid::OrderNo;
use tencent_faceid::async_trait;
use tencent_faceid::contract;
use tencent_faceid::orders::RedisOrderStore;
use tencent_faceid::orders::{
    Claim, Consumed, Lookup, MemoryOrderStore, OrderStore, PendingOrder, StoreError,
};

use super::Redis;
use crate::support;
use crate::support::mysql::Database;
use crate::support::postgres::Schema;
use tencent_faceid_mysql::DueLeases;

#[tokio::test(flavor = "multi_thread")]
async fn memory_store() {
    let outcome = contract::settlement_store(async || MemoryOrderStore::new()).await;
    assert!(outcome.skipped.is_empty(), "{outcome:?}");
    checks_the_lifecycle(&outcome);
}

#[tokio::test(flavor = "multi_thread")]
async fn redis_store() {
    let Some(redis) = Redis::connect().await else {
        return;
    };
    let make = async || {
        RedisOrderStore::builder(redis.manager(), "appId001")
            .prefix(redis.fresh_prefix())
            .build()
    };
    let outcome = contract::settlement_store(make).await;
    assert!(outcome.skipped.is_empty(), "{outcome:?}");
    checks_the_lifecycle(&outcome);
    redis.remove_keys().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_store() {
    let schemas = Mutex::new(Vec::new());
    let make = async || {
        let schema = Schema::new().await.expect("PostgreSQL was found before");
        let store = schema.store("appId001").await;
        schemas.lock().unwrap().push(schema);
        store
    };
    if support::postgres::url().is_none() {
        return;
    }
    let outcome = contract::settlement_store(make).await;
    assert!(outcome.skipped.is_empty(), "{outcome:?}");
    checks_the_lifecycle(&outcome);
    for schema in schemas.into_inner().unwrap() {
        schema.drop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mysql_store() {
    let databases = Mutex::new(Vec::new());
    let make = async || {
        let database = Database::new().await.expect("MySQL was found before");
        let store = database.store("appId001").await;
        databases.lock().unwrap().push(database);
        store
    };
    if support::mysql::url().is_none() {
        return;
    }
    let outcome = contract::settlement_store(make).await;
    assert!(outcome.skipped.is_empty(), "{outcome:?}");
    checks_the_lifecycle(&outcome);
    for database in databases.into_inner().unwrap() {
        database.drop().await;
    }
}

/// The MySQL store with the lease of MySQL 5.7 (no SKIP LOCKED), on this
/// MariaDB.
#[tokio::test(flavor = "multi_thread")]
async fn mysql_store_with_the_lease_column() {
    let databases = Mutex::new(Vec::new());
    let make = async || {
        let database = Database::new().await.expect("MySQL was found before");
        let store = database
            .builder("appId001")
            .due_leases(DueLeases::LeaseColumn)
            .build()
            .await
            .expect("a migrated database");
        databases.lock().unwrap().push(database);
        store
    };
    if support::mysql::url().is_none() {
        return;
    }
    let outcome = contract::settlement_store(make).await;
    assert!(outcome.skipped.is_empty(), "{outcome:?}");
    for database in databases.into_inner().unwrap() {
        database.drop().await;
    }
}

/// The settlement store suite checked the data lifecycle.
fn checks_the_lifecycle(outcome: &contract::SuiteOutcome) {
    for part in ["erasure and legal hold", "purge"] {
        assert!(outcome.checked.contains(&part), "{part}: {outcome:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_users_own_store() {
    let outcome = contract::order_store(async || MapStore::new(Flaw::None)).await;
    // It keeps no due index and no settlements: it is no SettlementStore,
    // so only the order store's parts are checked.
    assert!(outcome.skipped.is_empty(), "{outcome:?}");
    assert!(outcome.checked.contains(&"expiry"), "{outcome:?}");
    assert!(!outcome.checked.contains(&"due index"), "{outcome:?}");
}

#[tokio::test(flavor = "multi_thread")]
#[should_panic(expected = "a consumed order answers AlreadyConsumed to the next consume")]
async fn a_store_accepting_twice_breaks_it() {
    contract::order_store(async || MapStore::new(Flaw::AcceptsTwice)).await;
}

#[tokio::test(flavor = "multi_thread")]
#[should_panic(expected = "accepted exactly once")]
async fn a_store_checking_then_setting_breaks_it() {
    contract::order_store(async || MapStore::new(Flaw::ChecksThenSets)).await;
}

/// How a [`MapStore`] is broken, if it is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Flaw {
    None,
    /// It never marks an order consumed.
    AcceptsTwice,
    /// It checks an order is pending, lets other tasks run, then marks it
    /// consumed: claims at once all see it pending.
    ChecksThenSets,
}

/// A user's store: orders in a map with their deadline and whether they
/// were consumed (a database table in real life); no settlements, no due
/// index.
struct MapStore {
    orders: Mutex<HashMap<OrderNo, (PendingOrder, Instant, bool)>>,
    flaw: Flaw,
}

impl MapStore {
    fn new(flaw: Flaw) -> Self {
        let orders = Mutex::default();
        MapStore { orders, flaw }
    }

    /// The verdict on `claim`, marking the order consumed if it is
    /// accepted and `mark`.
    fn consume(&self, order_no: &OrderNo, claim: &Claim, mark: bool) -> Consumed {
        let mut orders = self.orders.lock().unwrap();
        let Some((order, deadline, consumed)) = orders.get_mut(order_no) else {
            return Consumed::Unknown;
        };
        let its_browser = claim.binding().is_some() && claim.binding() == order.binding.as_ref();
        if *consumed && its_browser {
            Consumed::Repeated(order.clone())
        } else if *consumed {
            Consumed::AlreadyConsumed
        } else if Instant::now() >= *deadline && !claim.is_past_deadline() {
            Consumed::Expired
        } else if claim.binding().is_some() && !its_browser {
            Consumed::OtherBrowser
        } else {
            *consumed = mark;
            Consumed::Accepted(order.clone())
        }
    }
}

#[async_trait]
impl OrderStore for MapStore {
    async fn put(&self, order: PendingOrder, ttl: Duration) -> Result<(), StoreError> {
        let mut orders = self.orders.lock().unwrap();
        if orders.contains_key(&order.order_no) {
            return Err(StoreError::Duplicate(order.order_no));
        }
        let deadline = Instant::now() + ttl;
        orders.insert(order.order_no.clone(), (order, deadline, false));
        Ok(())
    }

    async fn consume_claim(
        &self,
        order_no: &OrderNo,
        claim: &Claim,
    ) -> Result<Consumed, StoreError> {
        Ok(match self.flaw {
            Flaw::None => self.consume(order_no, claim, true),
            Flaw::AcceptsTwice => self.consume(order_no, claim, false),
            Flaw::ChecksThenSets => {
                let verdict = self.consume(order_no, claim, false);
                for _ in 0..8 {
                    tokio::task::yield_now().await; // as a round trip to a database would
                }
                if matches!(verdict, Consumed::Accepted(_)) {
                    self.consume(order_no, claim, true);
                }
                verdict
            }
        })
    }

    async fn lookup(&self, order_no: &OrderNo) -> Result<Lookup, StoreError> {
        let orders = self.orders.lock().unwrap();
        Ok(match orders.get(order_no) {
            None => Lookup::Unknown,
            Some((_, _, true)) => Lookup::Consumed,
            Some((_, deadline, _)) if Instant::now() >= *deadline => Lookup::Expired,
            Some((order, _, _)) => Lookup::Pending {
                binding: order.binding,
            },
        })
    }
}
