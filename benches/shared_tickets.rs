//! What a server pays at boot for its access token and SIGN ticket
//! (`warm_up` of a new provider, criterion group `boot`): fetched from the
//! vendor (`CachedTickets` over the emulator: a token and a ticket, two
//! HTTP round trips), or taken from the database where a sibling, or the
//! same server before its restart, published them (`PostgresTickets`,
//! `MySqlTickets`: the schema's check and one read). The databases are the
//! tests' (see test-support), in a schema or database of the bench's own,
//! dropped at the end.

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use faceid_test_support::mysql::Database;
use faceid_test_support::postgres::Schema;
use tencent_faceid::tickets::{
    CachedTickets, LeaseTimings, PostgresTicketHome, PostgresTickets, TicketProvider,
};
use tencent_faceid_emulator::Emulator;
use tencent_faceid_mysql::{MySqlTicketHome, MySqlTickets};

/// `iters` boots by `boot`, one after the other, timed on `runtime`.
fn boots<F: Future<Output = ()>>(
    runtime: &tokio::runtime::Runtime,
    iters: u64,
    boot: impl Fn() -> F,
) -> Duration {
    runtime.block_on(async {
        let began = Instant::now();
        for _ in 0..iters {
            boot().await;
        }
        began.elapsed()
    })
}

fn boot(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    let emulator = runtime
        .block_on(Emulator::builder().allow_in_release(true).start())
        .expect("the emulator starts");
    let schema = runtime.block_on(Schema::new());
    let database = runtime.block_on(Database::new());
    let postgres = async |schema: &Schema| {
        let store = schema.builder(emulator.app_id());
        let home = PostgresTicketHome::new(&store, LeaseTimings::default()).await;
        PostgresTickets::builder(emulator.client(), home.expect("a migrated schema")).build()
    };
    let mysql = async |database: &Database| {
        let store = database.builder(emulator.app_id());
        let home = MySqlTicketHome::new(&store, LeaseTimings::default()).await;
        MySqlTickets::builder(emulator.client(), home.expect("a migrated database")).build()
    };

    let mut group = c.benchmark_group("boot");
    group
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(20);
    group.bench_function("fetched_from_the_vendor", |b| {
        b.iter_custom(|iters| {
            boots(&runtime, iters, || async {
                let tickets = CachedTickets::builder(emulator.client()).build();
                tickets.warm_up().await.expect("the emulator answers");
            })
        })
    });
    if let Some(schema) = &schema {
        runtime.block_on(async {
            postgres(schema)
                .await
                .warm_up()
                .await
                .expect("a first fetch")
        });
        group.bench_function("taken_from_postgres", |b| {
            b.iter_custom(|iters| {
                boots(&runtime, iters, || async {
                    postgres(schema).await.warm_up().await.expect("the pair");
                })
            })
        });
    }
    if let Some(database) = &database {
        runtime.block_on(async {
            mysql(database)
                .await
                .warm_up()
                .await
                .expect("a first fetch")
        });
        group.bench_function("taken_from_mysql", |b| {
            b.iter_custom(|iters| {
                boots(&runtime, iters, || async {
                    mysql(database).await.warm_up().await.expect("the pair");
                })
            })
        });
    }
    group.finish();
    runtime.block_on(async {
        if let Some(schema) = schema {
            schema.drop().await;
        }
        if let Some(database) = database {
            database.drop().await;
        }
    });
}

criterion_group!(benches, boot);
criterion_main!(benches);
