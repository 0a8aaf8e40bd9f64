//! Browser binding over real HTTP: the browser that started a session gets
//! its outcome (again when it reloads, marked repeated, consumed once); any
//! other browser, or one without the cookie, gets 409 and leaves the order
//! pending for its owner. Through the axum layer, the actix extractor, and
//! the session starter against the emulator.

use std::time::Duration;

use crate::support::common::*;
use axum::Router;
use axum::routing::get;
use tencent_faceid::actix;
use tencent_faceid::axum::Verified;
use tencent_faceid::callback::{BindingHash, COOKIE_NAME};
use tencent_faceid::callback::{BrowserCallback, CallbackVerifier, VerificationOutcome};
use tencent_faceid::orders::{Claim, Consumed, MemoryOrderStore, OrderStore, PendingOrder};
use tencent_faceid::session::{SessionStarter, StartSession};
use tencent_faceid::tickets::CachedTickets;
use tencent_faceid::tower::FaceCallbackLayer;
use tencent_faceid::wiring::Wiring;
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::Emulator;
use url::Url;

const OWNER: &str = "ownersCookieValue0123456789abcdef";
const THIEF: &str = "anotherBrowsersValue0123456789ab";

fn binding_verifier(store: &MemoryOrderStore) -> CallbackVerifier {
    CallbackVerifier::builder(&wiring(seed_tickets(), store.clone()))
        .record_judge(false)
        .build()
        .unwrap()
}

async fn bound_order(store: &MemoryOrderStore, order_no: &str) {
    let order = PendingOrder::new(OrderNo::new(order_no).unwrap(), UserId::new(USER).unwrap())
        .bound_to(BindingHash::of(OWNER));
    store.put(order, TTL).await.unwrap();
}

fn page(outcome: &VerificationOutcome) -> String {
    format!("{} repeated={}", outcome.order_no, outcome.repeated)
}

/// GETs the genuine callback of `order_no` with `cookie` (a `Cookie`
/// header value) if any: status and body.
async fn visit(base: &Url, order_no: &str, cookie: Option<&str>) -> (u16, String) {
    let url = format!(
        "{}?{}",
        base.join(CALLBACK_PATH).unwrap(),
        callback(order_no, "0", TICKET)
    );
    let mut request = reqwest::Client::new().get(url);
    if let Some(cookie) = cookie {
        request = request.header(reqwest::header::COOKIE, cookie);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The whole matrix against a server at `base` over `store`.
async fn assert_bound(base: &Url, store: &MemoryOrderStore) {
    let owner = format!("theme=dark; {COOKIE_NAME}={OWNER}");
    let thief = format!("{COOKIE_NAME}={THIEF}");

    bound_order(store, "order1").await;
    let (status, body) = visit(base, "order1", None).await;
    assert_eq!(status, 409, "no cookie: {body}");
    assert!(body.contains("browser that started"), "{body}");
    let (status, body) = visit(base, "order1", Some(&thief)).await;
    assert_eq!(status, 409, "another browser: {body}");
    assert!(!body.contains(THIEF), "the cookie is never echoed: {body}");

    // Both refusals left the order pending for its owner.
    assert_eq!(
        visit(base, "order1", Some(&owner)).await,
        (200, "order1 repeated=false".to_owned())
    );
    // A reload shows the outcome again, marked, without a second consume.
    assert_eq!(
        visit(base, "order1", Some(&owner)).await,
        (200, "order1 repeated=true".to_owned())
    );
    // Others still get nothing.
    assert_eq!(visit(base, "order1", Some(&thief)).await.0, 409);
    assert_eq!(visit(base, "order1", None).await.0, 409);
    let claim = Claim::new().bound_to(BindingHash::of(THIEF));
    assert_eq!(
        store
            .consume_claim(&OrderNo::new("order1").unwrap(), &claim)
            .await
            .unwrap(),
        Consumed::AlreadyConsumed
    );
}

#[tokio::test]
async fn axum_layer_accepts_only_the_owners_browser() {
    let store = MemoryOrderStore::new();
    let app = Router::new()
        .route(
            CALLBACK_PATH,
            get(|Verified(outcome): Verified| async move { page(&outcome) }),
        )
        .route_layer(FaceCallbackLayer::new(binding_verifier(&store)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base: Url = format!("http://{}/", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    assert_bound(&base, &store).await;
}

#[actix_web::test]
async fn actix_extractor_accepts_only_the_owners_browser() {
    use actix_web::{App, HttpResponse, HttpServer, web};

    let store = MemoryOrderStore::new();
    let verifier = web::Data::new(binding_verifier(&store));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base: Url = format!("http://{}/", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    let server = HttpServer::new(move || {
        App::new().app_data(verifier.clone()).route(
            CALLBACK_PATH,
            web::get().to(|actix::Verified(outcome): actix::Verified| async move {
                HttpResponse::Ok().body(page(&outcome))
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    assert_bound(&base, &store).await;
    handle.stop(true).await;
}

#[tokio::test]
async fn the_starter_sets_the_cookie_and_records_only_its_hash() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let store = MemoryOrderStore::new();
    let tickets = CachedTickets::builder(client.clone()).build();
    let wiring = Wiring::new(client, tickets, store.clone());
    let starter = SessionStarter::builder(&wiring)
        .order_ttl(Duration::from_secs(600))
        .build()
        .unwrap();
    let start = |url: &str| {
        StartSession::new(UserId::new(USER).unwrap(), url.parse().unwrap())
            .name("张三")
            .id_number("110101199003071234")
    };

    let started = starter
        .start(start("https://shop.example/cb"))
        .await
        .unwrap();
    let cookie = started.binding.clone().expect("a binding cookie");
    let header = cookie.set_cookie();
    assert!(header.starts_with(&format!("{COOKIE_NAME}={}", cookie.value().expose())));
    for attribute in [
        "Path=/",
        "Max-Age=600",
        "HttpOnly",
        "SameSite=Lax",
        "Secure",
    ] {
        assert!(header.contains(attribute), "{attribute} in the cookie");
    }
    assert!(!format!("{started:?}").contains(cookie.value().expose()));
    let claim = Claim::new().bound_to(BindingHash::of(cookie.value().expose()));
    let Consumed::Accepted(order) = store
        .consume_claim(&started.order_no, &claim)
        .await
        .unwrap()
    else {
        panic!("the owner's claim is accepted");
    };
    assert_eq!(order.binding, Some(cookie.hash()));

    let plain = starter.start(start("http://localhost/cb")).await.unwrap();
    let header = plain.binding.expect("a binding cookie");
    assert!(
        !header.set_cookie().contains("Secure"),
        "not Secure over http"
    );
}

#[tokio::test]
async fn after_a_restart_the_owners_reload_gets_its_outcome_again_whatever_it_was_signed_with() {
    use tencent_faceid::client::ResultCode;
    use tencent_faceid_emulator::Outcome;

    let emulator = Emulator::start().await.unwrap();
    let store = MemoryOrderStore::new();
    let app = || {
        emulator
            .face_id()
            .store(store.clone())
            .callback_url("https://shop.example/face/callback")
            .build()
    };
    let before = app().await.unwrap();
    let person = StartSession::for_user(UserId::new(USER).unwrap())
        .name("张三")
        .id_number("110101199003071234");
    let started = before.start(person).await.unwrap();
    let cookie = started.binding.clone().expect("binding is on");
    let cookie = cookie.value().expose();
    let failed = Outcome::Fail(ResultCode::from_code("66660004"));
    let callback = emulator
        .complete_login(started.redirect_url.as_str(), failed)
        .unwrap();
    let query = callback.query().unwrap();
    let first = before
        .verifier()
        .verify(BrowserCallback::new(query, Some(cookie)))
        .await;
    let first = first.unwrap();
    assert!(!first.passed() && !first.repeated);

    // The restarted process fetched a new SIGN ticket: the callback's is
    // one it never saw. Its owner reloading the page gets the outcome
    // again, the vendor's, marked repeated: not "the callback was altered".
    drop(before);
    let after = app().await.unwrap();
    let reload = after
        .verifier()
        .verify(BrowserCallback::new(query, Some(cookie)))
        .await;
    let reload = reload.unwrap();
    assert!(reload.repeated && reload.judged_by_record, "{reload:?}");
    assert!(!reload.passed());
    assert_eq!(reload.code, ResultCode::from_code("66660004"));
    // Another browser gets nothing.
    let thief = after
        .verifier()
        .verify(BrowserCallback::new(query, Some(THIEF)))
        .await;
    assert!(thief.is_err(), "{thief:?}");
}
