//! Put + verify with `PostgresOrderStore` against the same SQL sent bare
//! on the same connection, in one run (criterion group `postgres`).
//!
//! The PostgreSQL is the tests' (`DATABASE_URL`, else 127.0.0.1:5432, else
//! a throwaway cluster: see test-support/src/postgres.rs), in a schema of the
//! bench's own, dropped at the end. Both sides use one pool of a single
//! connection:
//!
//! - `crate_put_verify`: `OrderStore::put`, then `CallbackVerifier::verify`
//!   of the signed callback (signature, then the consume: a genuine
//!   callback is not looked up first);
//! - `bare_put_consume`: the crate's own two statements
//!   (src/orders/postgres/sql/statements/) sent with bare `sqlx` calls;
//! - `bare_put_find_consume`: the same with the look-up a callback whose
//!   signature matches no ticket costs, for comparison.

#[allow(dead_code)]
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use criterion::{Criterion, criterion_group, criterion_main};
use faceid_test_support::callbacks::{self, APP_ID, TICKET};
use faceid_test_support::postgres::{self, Schema};
use sqlx::postgres::{PgPool, PgPoolOptions};
use tencent_faceid::callback::CallbackVerifier;
use tencent_faceid::orders::{OrderStore, PendingOrder, PostgresOrderStore};
use tencent_faceid::sign::sign;
use tencent_faceid::{OrderNo, UserId};

const TTL: Duration = Duration::from_secs(600);

/// The crate's statements with the tables of `schema` written in.
struct Bare {
    put: String,
    find: String,
    consume: String,
}

impl Bare {
    fn new(schema: &str) -> Self {
        let table = |sql: &str| {
            sql.replace("{orders}", &format!("\"{schema}\".orders"))
                .replace("{settlements}", &format!("\"{schema}\".settlements"))
        };
        Self {
            put: table(include_str!(
                "../src/orders/postgres/sql/statements/put.sql"
            )),
            find: table(include_str!(
                "../src/orders/postgres/sql/statements/find.sql"
            )),
            consume: table(include_str!(
                "../src/orders/postgres/sql/statements/consume.sql"
            )),
        }
    }

    /// The put, the lookup (`find`) if asked, and the consume, as the store
    /// sends them, on one connection of `pool`.
    async fn run(&self, pool: &PgPool, order_no: &str, find: bool) {
        let mut connection = pool.acquire().await.expect("a connection");
        let created = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let put = sqlx::query(&self.put)
            .bind(APP_ID)
            .bind(order_no)
            .bind("benchuser")
            .bind(created.as_millis() as i64)
            .bind(None::<String>)
            .bind(TTL.as_millis() as i64)
            .bind(true)
            .bind("basic")
            .execute(&mut *connection)
            .await
            .expect("put");
        assert_eq!(put.rows_affected(), 1);
        if find {
            let found = sqlx::query(&self.find)
                .bind(APP_ID)
                .bind(order_no)
                .fetch_optional(&mut *connection)
                .await
                .expect("find");
            assert!(found.is_some());
        }
        let consumed = sqlx::query(&self.consume)
            .bind(APP_ID)
            .bind(order_no)
            .bind(rand_attempt())
            .bind(None::<String>)
            .bind(false)
            .bind(None::<String>)
            .bind(None::<String>)
            .bind(None::<String>)
            .bind(None::<String>)
            .bind(None::<i64>)
            .bind(deadline_millis())
            .fetch_optional(&mut *connection)
            .await
            .expect("consume");
        let won: bool = sqlx::Row::get(&consumed.expect("a known order"), 0);
        assert!(won);
    }
}

/// The consume's deadline as the store sets it: half its timeout from now.
fn deadline_millis() -> i64 {
    let deadline = SystemTime::now() + Duration::from_millis(2500);
    deadline.duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

fn rand_attempt() -> i64 {
    tencent_faceid::orders::Claim::new().attempt() as i64
}

async fn put_and_verify(store: &PostgresOrderStore, verifier: &CallbackVerifier, n: u64) {
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

fn postgres(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let Some(url) = postgres::url() else {
        return;
    };
    let schema = runtime.block_on(Schema::new()).expect("PostgreSQL answers");
    let pool = runtime
        .block_on(PgPoolOptions::new().max_connections(1).connect(url))
        .expect("PostgreSQL answers");
    let store = runtime
        .block_on(
            PostgresOrderStore::builder(pool.clone(), APP_ID)
                .schema(&schema.name)
                .build(),
        )
        .expect("a migrated schema");
    let verifier = callbacks::verifier(store.clone());
    let bare = Bare::new(&schema.name);
    let counter = AtomicU64::new(0);

    let mut group = c.benchmark_group("postgres");
    group.measurement_time(Duration::from_secs(3));
    group.warm_up_time(Duration::from_secs(1));
    group.sample_size(30);
    group.bench_function("crate_put_verify", |b| {
        b.iter(|| {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            runtime.block_on(put_and_verify(&store, &verifier, n));
        })
    });
    for (name, find) in [("bare_put_find_consume", true), ("bare_put_consume", false)] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let order_no = format!("bare{}", counter.fetch_add(1, Ordering::Relaxed));
                runtime.block_on(bare.run(&pool, &order_no, find));
            })
        });
    }
    group.finish();
    runtime.block_on(schema.drop());
}

criterion_group!(benches, postgres);
criterion_main!(benches);
