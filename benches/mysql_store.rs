//! Put + verify with `MySqlOrderStore` (crate tencent-faceid-mysql) against
//! the same SQL sent bare on the same connection, in one run (criterion
//! group `mysql`).
//!
//! The MySQL is the tests' (`MYSQL_URL`, else 127.0.0.1:3306, else a
//! throwaway MariaDB: see test-support/src/mysql.rs), in a database of the
//! bench's own, dropped at the end. Both sides use one pool of a single
//! connection:
//!
//! - `crate_put_verify`: `OrderStore::put`, then `CallbackVerifier::verify`
//!   of the signed callback (signature, then the consume);
//! - `bare_put_consume`: the crate's own statements
//!   (mysql/src/sql/statements/: the insert, then the transaction that
//!   locks the row and updates it) sent with bare `sqlx` calls.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use faceid_test_support::callbacks::{self, APP_ID, TICKET};
use faceid_test_support::mysql::Database;
use sqlx::mysql::{MySqlPool, MySqlPoolOptions};
use tencent_faceid::callback::CallbackVerifier;
use tencent_faceid::orders::{OrderStore, PendingOrder};
use tencent_faceid::sign::sign;
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_mysql::MySqlOrderStore;

const TTL: Duration = Duration::from_secs(600);

/// The crate's statements with the default tables written in.
struct Bare {
    put: String,
    lock_order: String,
    consume: String,
}

impl Bare {
    fn new() -> Self {
        let table = |sql: &str| sql.replace("{orders}", "`faceid_orders`");
        Self {
            put: table(include_str!("../mysql/src/sql/statements/put.sql")),
            lock_order: table(include_str!("../mysql/src/sql/statements/lock_order.sql")),
            consume: table(include_str!("../mysql/src/sql/statements/consume.sql")),
        }
    }

    /// The put, then the consume's transaction, as the store sends them, on
    /// one connection of `pool`.
    async fn run(&self, pool: &MySqlPool, order_no: &str) {
        let mut connection = pool.acquire().await.expect("a connection");
        let created = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let created = created.as_millis() as i64;
        sqlx::query(&self.put)
            .bind(APP_ID)
            .bind(order_no)
            .bind("benchuser")
            .bind(created)
            .bind(None::<String>)
            .bind(TTL.as_millis() as i64)
            .bind(created)
            .bind("basic")
            .execute(&mut *connection)
            .await
            .expect("put");
        let deadline = deadline_millis();
        let mut transaction = sqlx::Connection::begin(&mut *connection)
            .await
            .expect("begin");
        let found = sqlx::query(&self.lock_order)
            .bind(deadline)
            .bind(APP_ID)
            .bind(order_no)
            .fetch_optional(&mut *transaction)
            .await
            .expect("lock");
        assert!(found.is_some());
        let done = sqlx::query(&self.consume)
            .bind(tencent_faceid::orders::Claim::new().attempt() as i64)
            .bind(APP_ID)
            .bind(order_no)
            .bind(deadline)
            .execute(&mut *transaction)
            .await
            .expect("consume");
        assert_eq!(done.rows_affected(), 1);
        transaction.commit().await.expect("commit");
    }
}

/// The consume's deadline as the store sets it: half its timeout from now.
fn deadline_millis() -> i64 {
    let deadline = SystemTime::now() + Duration::from_millis(2500);
    deadline.duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

async fn put_and_verify(store: &MySqlOrderStore, verifier: &CallbackVerifier, n: u64) {
    let order_no = OrderNo::new(format!("crate{n}")).expect("valid order number");
    let user = UserId::new("benchuser").expect("valid user id");
    store
        .put(PendingOrder::new(order_no.clone(), user), TTL)
        .await
        .expect("put");
    let signature = sign(&[APP_ID, order_no.as_str(), "0"], TICKET);
    let query = format!("code=0&orderNo={order_no}&h5faceId=f1&newSignature={signature}");
    let outcome = verifier.verify(&query).await.expect("accepted");
    assert!(outcome.passed());
}

fn mysql(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let Some(database) = runtime.block_on(Database::new()) else {
        return;
    };
    let pool = runtime
        .block_on(
            MySqlPoolOptions::new()
                .max_connections(1)
                .connect(&database.url),
        )
        .expect("MySQL answers");
    let store = runtime
        .block_on(MySqlOrderStore::builder(pool.clone(), APP_ID).build())
        .expect("a migrated database");
    let verifier = callbacks::verifier(store.clone());
    let bare = Bare::new();
    let counter = AtomicU64::new(0);

    let mut group = c.benchmark_group("mysql");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
    group.sample_size(30);
    group.bench_function("crate_put_verify", |b| {
        b.iter(|| {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            runtime.block_on(put_and_verify(&store, &verifier, n));
        })
    });
    group.bench_function("bare_put_consume", |b| {
        b.iter(|| {
            let order_no = format!("bare{}", counter.fetch_add(1, Ordering::Relaxed));
            runtime.block_on(bare.run(&pool, &order_no));
        })
    });
    group.finish();
    runtime.block_on(pool.close());
    runtime.block_on(database.drop());
}

criterion_group!(benches, mysql);
criterion_main!(benches);
