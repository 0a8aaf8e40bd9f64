//! The store round trips each operation costs, counted where the database
//! sees them: PostgreSQL's statements through the counting proxy
//! (`faceid_test_support::proxy`), Redis's commands in its `MONITOR` (a
//! throwaway `redis-server` of this test's, so that nothing else counts). `docs/BENCHMARKS.md` reports these figures.
//!
//! The floor: a start puts its order (one), a genuine callback consumes
//! and logs in one and marks the delivery in another (two), a reload or a
//! replay is refused by the consume itself (one), and only a callback
//! whose signature matches no ticket is looked up first (one, and no
//! vendor call for an order this server never started).

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, channel};

use crate::support;
use crate::support::postgres::Schema;
use crate::support::spare_redis::SpareRedis;
use faceid_test_support::proxy::Proxy;
use faceid_test_support::random_alphanumeric;
use tencent_faceid::FaceId;
use tencent_faceid::UserId;
use tencent_faceid::callback::RejectionKind;
use tencent_faceid::facade::FaceIdBuilder;
use tencent_faceid::orders::{PostgresPoolOptions, RedisOrderStore};
use tencent_faceid::session::StartSession;
use tencent_faceid::settle::Delivery;
use tencent_faceid_emulator::{Emulator, Outcome};

/// What one start, its genuine callback, the same callback again and a
/// forged callback for an order never started each cost.
#[derive(Debug, PartialEq, Eq)]
struct Costs {
    start: usize,
    callback: usize,
    replay: usize,
    forged: usize,
}

/// The floor, in both stores.
const FLOOR: Costs = Costs {
    start: 1,
    callback: 2,
    replay: 1,
    forged: 1,
};

/// Runs the four operations on a `FaceId` settling through `builder`'s
/// store, twice (the first run loads what a store loads once: prepared
/// statements, scripts), and answers the second run's costs as
/// `round_trips` counts them.
async fn costs(
    emulator: &Emulator,
    builder: FaceIdBuilder,
    round_trips: impl Fn() -> usize,
) -> Costs {
    let face_id = builder
        .callback_url("https://partner.example/face/callback")
        .browser_binding(false)
        .settle(|settler| settler)
        .build()
        .await
        .unwrap();
    let mut costs = None;
    for _ in 0..2 {
        costs = Some(once(emulator, &face_id, &round_trips).await);
    }
    costs.unwrap()
}

async fn once(emulator: &Emulator, face_id: &FaceId, round_trips: &impl Fn() -> usize) -> Costs {
    let cost = |before: usize| round_trips() - before;
    let before = round_trips();
    let user = UserId::new(format!("u{}", random_alphanumeric(8))).unwrap();
    let request = StartSession::for_user(user)
        .name("Zhang San")
        .id_number("110101199003074477");
    let started = face_id.start(request).await.unwrap();
    let start = cost(before);

    let callback = emulator
        .complete(&started.h5face_id, Outcome::Pass)
        .unwrap();
    let query = callback.query().unwrap();
    let before = round_trips();
    let outcome = face_id.verifier().verify(query).await.unwrap();
    assert_eq!(outcome.delivery, Some(Delivery::Delivered));
    let callback = cost(before);

    let before = round_trips();
    let replay = face_id.verifier().verify(query).await.unwrap_err();
    assert_eq!(replay.kind(), &RejectionKind::Replay);
    let replay = cost(before);

    let before = round_trips();
    let order = random_alphanumeric(20);
    let forged = format!(
        "code=0&orderNo={order}&h5faceId=f&newSignature=0000000000000000000000000000000000000000"
    );
    let unknown = face_id.verifier().verify(&forged).await.unwrap_err();
    assert_eq!(unknown.kind(), &RejectionKind::UnknownOrder);
    Costs {
        start,
        callback,
        replay,
        forged: cost(before),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_statements_per_operation_are_at_the_floor() {
    let Some(url) = support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.unwrap();
    let (proxy, proxied) = Proxy::to_postgres(url).await;
    let pool = PostgresPoolOptions::new().connect(&proxied).await.unwrap();
    let emulator = Emulator::start().await.unwrap();
    let builder = emulator
        .face_id()
        .callback_url_per_request()
        .postgres_pool(pool)
        .postgres_schema(&schema.name);
    let costs = costs(&emulator, builder, || proxy.statements()).await;
    assert_eq!(costs, FLOOR);
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_commands_per_operation_are_at_the_floor() {
    if !SpareRedis::available() {
        return SpareRedis::skip("redis_commands_per_operation_are_at_the_floor");
    }
    let redis = SpareRedis::start(&[]);
    let emulator = Emulator::start().await.unwrap();
    let manager = tencent_faceid::redis::connect(&redis.url()).await.unwrap();
    let store = RedisOrderStore::builder(manager, emulator.app_id())
        .prefix("faceid-test:")
        .build();
    let builder = emulator.face_id().callback_url_per_request().store(store);
    let monitor = Monitor::start(&redis.url());
    let costs = costs(&emulator, builder, || monitor.commands()).await;
    assert_eq!(costs, FLOOR);
}

/// Redis's `MONITOR` of a server, counting the commands clients send
/// (those a script runs inside Redis are not round trips).
struct Monitor {
    lines: Mutex<Receiver<String>>,
    marker: Mutex<redis::Connection>,
    counted: AtomicUsize,
    markers: AtomicUsize,
}

impl Monitor {
    fn start(url: &str) -> Monitor {
        let client = redis::Client::open(url).unwrap();
        let mut monitor = client.get_connection().unwrap();
        redis::cmd("MONITOR").exec(&mut monitor).unwrap();
        let (send, lines) = channel();
        std::thread::spawn(move || {
            while let Ok(redis::Value::SimpleString(line)) = monitor.recv_response() {
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        Monitor {
            lines: Mutex::new(lines),
            marker: Mutex::new(client.get_connection().unwrap()),
            counted: AtomicUsize::new(0),
            markers: AtomicUsize::new(0),
        }
    }

    /// The commands clients sent so far (this count's own markers left
    /// out): a marker `ECHO` is sent and the monitor read up to it, so
    /// every command sent before is counted.
    fn commands(&self) -> usize {
        let marker = format!(
            "round-trips-marker-{}",
            self.markers.fetch_add(1, Ordering::SeqCst)
        );
        let _: String = redis::cmd("ECHO")
            .arg(&marker)
            .query(&mut *self.marker.lock().unwrap())
            .unwrap();
        let lines = self.lines.lock().unwrap();
        for line in lines.iter() {
            if line.contains(&marker) {
                break;
            }
            let by_client = !line.contains(" lua]") && !line.contains("round-trips-marker-");
            if by_client {
                self.counted.fetch_add(1, Ordering::SeqCst);
            }
        }
        self.counted.load(Ordering::SeqCst)
    }
}
