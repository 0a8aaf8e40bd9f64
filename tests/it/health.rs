//! `FaceId::health` and its readiness routes over loopback HTTP, on the
//! emulator: ready when all is well, the ticket pair's age moving with the
//! manual clock, not ready while the vendor fails, while PostgreSQL is
//! cut off (through the fault-injecting proxy) or Redis is dead, and
//! ready again once each comes back; the JSON holds no secret.

use std::time::Duration;

use crate::support;
use crate::support::actix_server::Loopback;
use crate::support::postgres::Schema;
use crate::support::spare_redis::SpareRedis;
use faceid_test_support::emu::on_manual_clock;
use faceid_test_support::emu::wired::session;
use faceid_test_support::proxy::Proxy;
use serde_json::Value;
use tencent_faceid::FaceId;
use tencent_faceid::client::Endpoint;
use tencent_faceid::facade::{FaceIdBuilder, Readiness};
use tencent_faceid::orders::{OrderStore, PostgresOrderStore, PostgresPoolOptions};
use tencent_faceid::wechat::Tc3Client;
use tencent_faceid_emulator::{Emulator, Fault};
use url::Url;

const CALLBACK: &str = "http://127.0.0.1:3000/face/callback";
/// The stores' own bound, and the readiness threshold on their pings.
const BOUND: Duration = Duration::from_secs(1);

/// A `FaceId` on `emulator`, configured further by `configure`.
async fn face_id(
    emulator: &Emulator,
    configure: impl FnOnce(FaceIdBuilder) -> FaceIdBuilder,
) -> FaceId {
    let builder = emulator
        .face_id()
        .callback_url(CALLBACK)
        .readiness(Readiness::default().max_store_latency(BOUND));
    configure(builder).build().await.unwrap()
}

/// `face_id`'s readiness route served by axum on a free loopback port: its
/// URL.
async fn serve_axum(face_id: &FaceId) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ready", listener.local_addr().unwrap());
    let router = axum::Router::new().route("/ready", face_id.health_route());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url.parse().unwrap()
}

/// The readiness route's status and JSON body, checked for its headers.
async fn probe(url: &Url) -> (u16, Value) {
    let response = reqwest::get(url.clone()).await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers();
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["cache-control"], "no-store");
    (status, response.json().await.unwrap())
}

/// The report's reasons, joined.
fn reasons(report: &Value) -> String {
    let reasons = report["reasons"].as_array().unwrap();
    let reasons: Vec<_> = reasons.iter().map(|r| r.as_str().unwrap()).collect();
    reasons.join(" ")
}

#[tokio::test]
async fn a_ready_instance_answers_200_with_a_report_without_secrets() {
    let (_clock, emulator) = on_manual_clock().await;
    let face_id = face_id(&emulator, |builder| builder.settle(|settler| settler)).await;
    let url = serve_axum(&face_id).await;

    let (status, report) = probe(&url).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["ready"], true);
    assert_eq!(report["reasons"], serde_json::json!([]));
    assert_eq!(report["store"]["reachable"], true);
    assert_eq!(report["store"]["error"], Value::Null);
    assert_eq!(report["backlog"], 0, "settlement is on, nothing is due");
    let tickets = &report["tickets"];
    assert_eq!(tickets["age_seconds"], 0.0, "fetched by the warm-up");
    assert_eq!(tickets["due_in_seconds"], 1200.0, "due after 20 minutes");
    assert_eq!(tickets["awaiting_ticket"], false);
    assert!(tickets["fetched_at"].as_str().unwrap().ends_with('Z'));
    let vendor = &report["vendor"];
    assert_eq!(vendor["last_success"], report["checked_at"], "the warm-up");
    assert_eq!(vendor["last_failure"], Value::Null);
    assert_eq!(vendor["failures_since_success"], 0);
    assert_eq!(report["wechat_vendor"]["last_success"], Value::Null);

    // A session started: its secrets and personal data are nowhere in the
    // report.
    let started = face_id.start(session()).await.unwrap();
    let sign = face_id.wiring().tickets().sign_tickets().await.unwrap();
    let body = reqwest::get(url).await.unwrap().text().await.unwrap();
    let secrets = [
        emulator.secret(),
        emulator.key_licence(),
        sign.current.value(),
        started.h5face_id.as_str(),
        support::emu::NAME,
        support::emu::ID_NO,
    ];
    for secret in secrets {
        assert!(!body.contains(secret), "{secret:?} in {body}");
    }
}

#[tokio::test]
async fn the_ticket_pair_ages_with_the_clock() {
    let (clock, emulator) = on_manual_clock().await;
    let face_id = face_id(&emulator, |builder| builder).await;
    let report = face_id.health().await;
    let tickets = report.tickets.expect("cached tickets report their pair");
    assert_eq!(tickets.age, Duration::ZERO);
    assert_eq!(tickets.pair.fetched_at, clock.now());

    clock.advance(Duration::from_secs(7 * 60));
    let tickets = face_id.health().await.tickets.unwrap();
    assert_eq!(tickets.age, Duration::from_secs(7 * 60));
    assert_eq!(tickets.due_in, Duration::from_secs(13 * 60));

    // Due, on an idle instance: the next call replaces it, nothing is
    // wrong meanwhile.
    clock.advance(Duration::from_secs(15 * 60));
    let report = face_id.health().await;
    assert!(report.ready, "{:?}", report.reasons);
    let tickets = report.tickets.unwrap();
    assert_eq!(tickets.age, Duration::from_secs(22 * 60));
    assert_eq!(tickets.due_in, Duration::ZERO);
    assert_eq!(emulator.counts().sign_ticket, 1, "the report calls nobody");
}

#[tokio::test]
async fn a_failing_vendor_makes_the_instance_not_ready_until_it_answers() {
    let (_clock, emulator) = on_manual_clock().await;
    let face_id = face_id(&emulator, |builder| builder).await;
    let url = serve_axum(&face_id).await;
    emulator.inject(Fault::http_status(Endpoint::StartSession, 503).times(3));

    face_id.start(session()).await.unwrap_err();
    face_id.start(session()).await.unwrap_err();
    let (status, report) = probe(&url).await;
    assert_eq!(status, 200, "two failures are under the threshold of 3");
    assert_eq!(report["vendor"]["failures_since_success"], 2);

    face_id.start(session()).await.unwrap_err();
    let (status, report) = probe(&url).await;
    assert_eq!(status, 503, "{report}");
    assert_eq!(report["ready"], false);
    let failure = &report["vendor"]["last_failure"];
    assert_eq!(failure["call"], "geth5faceid");
    assert_eq!(failure["outcome"], "http_status");
    let why = reasons(&report);
    assert!(
        why.contains("the vendor failed the H5 client's last 3 calls (the last: geth5faceid"),
        "{why}"
    );

    face_id.start(session()).await.unwrap();
    let (status, report) = probe(&url).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["vendor"]["failures_since_success"], 0);
    assert_eq!(report["vendor"]["last_failure"]["call"], "geth5faceid");
}

#[actix_web::test]
async fn postgres_cut_off_makes_the_instance_not_ready_in_actix() {
    let Some(url) = support::postgres::url() else {
        return support::skip::skipped("postgres_cut_off_makes_the_instance_not_ready_in_actix");
    };
    let schema = Schema::new().await.unwrap();
    let (proxy, proxied) = Proxy::to_postgres(url).await;
    let (_clock, emulator) = on_manual_clock().await;
    let pool = PostgresPoolOptions::new()
        .max_connections(1)
        .connect(&proxied)
        .await
        .unwrap();
    let store = PostgresOrderStore::builder(pool, emulator.app_id())
        .schema(&schema.name)
        .timeout(BOUND)
        .build()
        .await
        .unwrap();
    let face_id = face_id(&emulator, |builder| {
        builder.store(store).settle(|settler| settler)
    })
    .await;
    let server = Loopback::bind("/ready");
    let ready = server.url.clone();
    let served = face_id.clone();
    let handle = server.serve(move |config| {
        config.service(served.health_resource("/ready"));
    });

    let (status, report) = probe(&ready).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["backlog"], 0);
    let latency = report["store"]["latency_seconds"].as_f64().unwrap();
    assert!(latency > 0.0, "a round trip, in microseconds: {report}");

    proxy.refuse(true);
    proxy.cut_all();
    let (status, report) = probe(&ready).await;
    assert_eq!(status, 503, "{report}");
    assert_eq!(report["store"]["reachable"], false);
    assert_eq!(
        report["backlog"],
        Value::Null,
        "not counted without a store"
    );
    let why = reasons(&report);
    assert!(
        why.starts_with("the order store did not answer a ping: "),
        "{why}"
    );
    assert!(!why.contains(&proxied), "no database URL in {why}");

    proxy.refuse(false);
    let (status, report) = probe(&ready).await;
    assert_eq!(status, 200, "{report}");
    handle.stop(true).await;
    schema.drop().await;
}

#[tokio::test]
async fn a_dead_redis_makes_the_instance_not_ready() {
    if !SpareRedis::available() {
        return SpareRedis::skip("a_dead_redis_makes_the_instance_not_ready");
    }
    let mut redis = SpareRedis::start(&[]);
    let (_clock, emulator) = on_manual_clock().await;
    let prefix = format!("health{}:", faceid_test_support::random_alphanumeric(8));
    // RedisTickets and RedisOrderStore.
    let face_id = face_id(&emulator, |builder| {
        builder.redis(redis.url()).redis_prefix(prefix)
    })
    .await;
    let report = face_id.health().await;
    assert!(report.ready, "{:?}", report.reasons);
    assert_eq!(report.backlog, None, "settlement is off");
    let tickets = report.tickets.expect("RedisTickets report their pair");
    assert_eq!(tickets.age, Duration::ZERO);

    redis.stop();
    let report = face_id.health().await;
    assert!(!report.ready);
    assert!(!report.store.reachable);
    assert!(
        report.reasons[0].starts_with("the order store did not answer a ping: "),
        "{:?}",
        report.reasons
    );
}

#[tokio::test]
async fn a_mysql_store_answers_the_ping_until_its_pool_closes() {
    let Some(database) = support::mysql::Database::new().await else {
        return support::skip::skipped("a_mysql_store_answers_the_ping_until_its_pool_closes");
    };
    let (_clock, emulator) = on_manual_clock().await;
    let store = database
        .builder(emulator.app_id())
        .timeout(BOUND)
        .build()
        .await
        .unwrap();
    store.ping().await.unwrap();
    let face_id = face_id(&emulator, |builder| {
        builder.store(store).settle(|settler| settler)
    })
    .await;
    let report = face_id.health().await;
    assert!(report.ready, "{:?}", report.reasons);
    assert_eq!(report.backlog, Some(0));

    database.pool.close().await;
    let report = face_id.health().await;
    assert!(!report.ready);
    assert!(!report.store.reachable);
    assert_eq!(report.backlog, None);
    database.drop().await;
}

#[tokio::test]
async fn a_wechat_client_out_of_reach_makes_the_instance_not_ready() {
    let (clock, emulator) = on_manual_clock().await;
    // A port nothing listens on: every call is refused at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let tc3 = Tc3Client::builder("AKIDexample", "the secret key", "1")
        .base_url(format!("http://{address}/"))
        .clock(clock)
        .build()
        .unwrap();
    let face_id = face_id(&emulator, |builder| builder.wechat(tc3)).await;
    let wechat = face_id.wiring().tc3().unwrap();
    for _ in 0..3 {
        wechat.detect_info("biz-token").await.unwrap_err();
    }
    let report = face_id.health().await;
    assert!(!report.ready);
    let contact = report.wechat_vendor.unwrap();
    assert_eq!(contact.failures_since_success, 3);
    let failure = contact.last_failure.unwrap();
    assert_eq!(
        (failure.call, failure.outcome),
        ("GetDetectInfoEnhanced", "transport")
    );
    assert_eq!(report.reasons.len(), 1, "{:?}", report.reasons);
    assert!(
        report.reasons[0].starts_with("the vendor failed the WeChat client's last 3 calls"),
        "{:?}",
        report.reasons
    );
    assert_eq!(
        report.vendor.failures_since_success, 0,
        "the H5 client answers"
    );
}
