//! Starting sessions against the emulator: nothing is paid for (no vendor
//! session opened) when the store is full or the admission check refuses;
//! a blank name is a 400 with a message in the demo; a vendor answer that
//! does not decode names the field and position, never the value.

use faceid_demo::axum_demo as demo;
use tencent_faceid::UserId;
use tencent_faceid::client::{ClientError, Endpoint};
use tencent_faceid::orders::{MemoryOrderStore, StoreError};
use tencent_faceid::session::{SessionStarter, StartError, StartSession};
use tencent_faceid::tickets::StaticTickets;
use tencent_faceid_emulator::{Emulator, Fault};
use url::Url;

fn request() -> StartSession {
    StartSession::new(
        UserId::new("user42").unwrap(),
        "https://shop.example/cb".parse().unwrap(),
    )
    .name("张三")
    .id_number("110101199003071234")
}

async fn starter(emulator: &Emulator, store: MemoryOrderStore) -> SessionStarter {
    let client = emulator.client();
    let tickets = tencent_faceid::tickets::CachedTickets::builder(client.clone()).build();
    let wiring = tencent_faceid::wiring::Wiring::new(client, tickets, store).browser_binding(false);
    SessionStarter::builder(&wiring).build().unwrap()
}

#[tokio::test]
async fn a_full_store_refuses_before_the_vendor_session_is_opened() {
    let emulator = Emulator::start().await.unwrap();
    let starter = starter(&emulator, MemoryOrderStore::with_capacity(1)).await;
    starter.start(request()).await.unwrap();
    let error = starter.start(request()).await.unwrap_err();
    assert!(matches!(
        error,
        StartError::Store(StoreError::Full { capacity: 1 })
    ));
    assert_eq!(error.status(), 503);
    assert_eq!(
        emulator.counts().start_session,
        1,
        "only the first was paid for"
    );
}

#[tokio::test]
async fn the_admission_check_refuses_before_anything_is_asked_of_the_vendor() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let tickets = StaticTickets::new("t", "n");
    let wiring = tencent_faceid::wiring::Wiring::new(client, tickets, MemoryOrderStore::new())
        .browser_binding(false);
    let starter = SessionStarter::builder(&wiring)
        .admit(|request| match request.requested_from() {
            Some(addr) if addr.is_loopback() => Err("no starts from loopback".to_owned()),
            _ => Ok(()),
        })
        .build()
        .unwrap();
    let local = request().client_addr([127, 0, 0, 1].into());
    let error = starter.start(local).await.unwrap_err();
    assert_eq!(error.status(), 429);
    assert_eq!(
        error.to_string(),
        "too many verifications started: no starts from loopback; try again later"
    );
    let counts = emulator.counts();
    assert_eq!((counts.start_session, counts.access_token), (0, 0));
}

#[tokio::test]
async fn the_demo_answers_a_blank_name_with_400_and_a_message() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url: Url = format!("http://{}/", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    let demo::Demo { router, emulator } = demo::demo(url.clone()).await.unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let response = reqwest::Client::new()
        .post(url.join("/start").unwrap())
        .form(&[("name", "  "), ("id_number", "110101199003071234")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("must not be blank"));
    let emulator = emulator.expect("the demo runs on the emulator");
    assert_eq!(emulator.counts().start_session, 0);
}

#[tokio::test]
async fn an_answer_that_does_not_decode_names_the_field_not_the_value() {
    let emulator = Emulator::start().await.unwrap();
    emulator.inject(Fault::raw_body(Endpoint::AccessToken, r#"{"code":"0","msg":"ok","access_token":"leakedTokenValue","expire_time":"20261130","expire_in":"leakedSecretValue"}"#));
    let error = emulator.client().access_token().await.unwrap_err();
    let ClientError::Decode { source, .. } = &error else {
        panic!("a decode error, not {error}");
    };
    assert_eq!(source.field(), "expire_in");
    assert!(source.column() > 0);
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("leaked"), "{shown}");
}
