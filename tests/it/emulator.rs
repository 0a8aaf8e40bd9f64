//! The emulator itself: the H5 page and its buttons, callbacks signed with
//! the current SIGN ticket, rotation, counts, faults and shutdown.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use crate::support::emu as emu_support;
use crate::support::emu::{ID_NO, NAME, browser, login_url, query_param, start_session};
use reqwest::StatusCode;
use tencent_faceid::ManualClock;
use tencent_faceid::client::{ClientError, Endpoint, FaceIdClient};
use tencent_faceid::client::{Files, QueryOptions};
use tencent_faceid::client::{FrontEndCode, ResultCode};
use tencent_faceid::orders::MemoryOrderStore;
use tencent_faceid::session::{SessionStarter, StartSession, Started};
use tencent_faceid::sign::{Signature, verify};
use tencent_faceid::tickets::{CachedTickets, TicketProvider};
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::{
    Counts, Emulator, EmulatorError, Fault, Outcome, Refusal, SignatureParam,
};
use tokio::sync::Notify;
use url::Url;

const CALLBACK: &str = "https://partner.example/face/callback?session=abc";

/// Starts a session and opens its login page; answers the page's response
/// and the h5faceId.
async fn open_page(emulator: &Emulator, order_no: &str, user_id: &str) -> (String, String) {
    let client = emulator.client();
    let session = start_session(&client, order_no, user_id).await;
    let token = client.access_token().await.unwrap();
    let nonce = client
        .nonce_ticket(token.secret(), &UserId::new(user_id).unwrap())
        .await
        .unwrap();
    let url = login_url(
        emulator,
        nonce.value(),
        order_no,
        user_id,
        &session.h5face_id,
        CALLBACK,
    );
    let response = browser().get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    (response.text().await.unwrap(), session.h5face_id)
}

/// Presses a button of the page: answers the redirect target.
async fn press(emulator: &Emulator, form: &[(&str, &str)]) -> reqwest::Response {
    browser()
        .post(emulator.base_url().join("api/web/complete").unwrap())
        .form(form)
        .send()
        .await
        .unwrap()
}

fn location(response: &reqwest::Response) -> Url {
    assert_eq!(response.status(), StatusCode::FOUND);
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

fn signature_of(callback: &Url) -> Signature {
    query_param(callback, "newSignature")
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn defaults_are_loopback_and_documented_credentials() {
    let emulator = Emulator::start().await.unwrap();
    assert_eq!(emulator.base_url().host_str(), Some("127.0.0.1"));
    assert_ne!(emulator.base_url().port(), Some(0));
    assert_eq!(emulator.app_id(), "TIDAemu1");
    assert_eq!(emulator.secret(), "emulator-secret");
    assert_eq!(emulator.client().base_url(), emulator.base_url());
    assert_eq!(emulator.current_sign_ticket(), None);
    assert_eq!(emulator.counts(), Counts::default());
    let port = emulator.base_url().port().unwrap();
    assert_eq!(emulator.optimal_domain(), format!("localhost:{port}"));
    assert!(emulator.clock().manual().is_none());
    assert!(emulator.client().clock().manual().is_none());
}

#[tokio::test]
async fn login_page_has_the_buttons_and_pass_redirects_with_a_valid_signature() {
    let emulator = Emulator::start().await.unwrap();
    let (page, h5face_id) = open_page(&emulator, "orderPass1", "user1").await;
    for needle in [
        "id=\"pass\"",
        "id=\"fail\"",
        "id=\"code\"",
        "value=\"66660004\"",
        &h5face_id,
    ] {
        assert!(page.contains(needle), "page lacks {needle}: {page}");
    }

    let response = press(
        &emulator,
        &[
            ("h5faceId", &h5face_id),
            ("code", "66660004"),
            ("outcome", "pass"),
        ],
    )
    .await;
    let callback = location(&response);
    assert_eq!(callback.path(), "/face/callback");
    assert_eq!(query_param(&callback, "session").as_deref(), Some("abc"));
    assert_eq!(query_param(&callback, "code").as_deref(), Some("0"));
    assert_eq!(
        query_param(&callback, "orderNo").as_deref(),
        Some("orderPass1")
    );
    assert_eq!(
        query_param(&callback, "h5faceId").as_deref(),
        Some(h5face_id.as_str())
    );
    assert!(query_param(&callback, "liveRate").is_some());
    let ticket = emulator.current_sign_ticket().unwrap();
    assert!(verify(
        &[emulator.app_id(), "orderPass1", "0"],
        ticket.expose(),
        &signature_of(&callback)
    ));
    assert_eq!(emulator.counts().login_page, 1);
}

#[tokio::test]
async fn fail_button_sends_the_typed_code_and_the_record_answers_it() {
    let emulator = Emulator::start().await.unwrap();
    let (_, h5face_id) = open_page(&emulator, "orderFail1", "user1").await;
    let response = press(
        &emulator,
        &[
            ("h5faceId", &h5face_id),
            ("code", "66660017"),
            ("outcome", "fail"),
        ],
    )
    .await;
    let callback = location(&response);
    assert_eq!(query_param(&callback, "code").as_deref(), Some("66660017"));
    assert_eq!(query_param(&callback, "liveRate"), None);
    let ticket = emulator.current_sign_ticket().unwrap();
    assert!(verify(
        &[emulator.app_id(), "orderFail1", "66660017"],
        ticket.expose(),
        &signature_of(&callback)
    ));

    let answer = emulator
        .client()
        .query_record(
            &OrderNo::new("orderFail1").unwrap(),
            ticket.expose(),
            QueryOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(answer.code, ResultCode::TooManyAttempts);
    assert_eq!(answer.result.order_no, "orderFail1");

    // The session has its result: the buttons cannot change it.
    let again = press(&emulator, &[("h5faceId", &h5face_id), ("outcome", "pass")]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn buttons_reject_bad_forms() {
    let emulator = Emulator::start().await.unwrap();
    let (_, h5face_id) = open_page(&emulator, "orderForm1", "user1").await;
    for form in [
        vec![("outcome", "pass")],
        vec![("h5faceId", h5face_id.as_str()), ("outcome", "maybe")],
        vec![
            ("h5faceId", h5face_id.as_str()),
            ("outcome", "fail"),
            ("code", "<b>"),
        ],
        vec![
            ("h5faceId", h5face_id.as_str()),
            ("outcome", "fail"),
            ("code", ""),
        ],
    ] {
        assert_eq!(
            press(&emulator, &form).await.status(),
            StatusCode::BAD_REQUEST,
            "{form:?}"
        );
    }
    let unknown = press(&emulator, &[("h5faceId", "wbnope"), ("outcome", "pass")]).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn nonce_ticket_is_single_use_and_bound_to_its_user() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let session = start_session(&client, "orderNonce1", "user1").await;
    let token = client.access_token().await.unwrap();
    let user1 = UserId::new("user1").unwrap();
    let user2 = UserId::new("user2").unwrap();
    let nonce_user2 = client.nonce_ticket(token.secret(), &user2).await.unwrap();
    let nonce_user1 = client.nonce_ticket(token.secret(), &user1).await.unwrap();
    assert_ne!(nonce_user1.value(), nonce_user2.value());

    // user2's ticket does not sign user1's page.
    let foreign = login_url(
        &emulator,
        nonce_user2.value(),
        "orderNonce1",
        "user1",
        &session.h5face_id,
        CALLBACK,
    );
    let response = browser().get(foreign).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("400104"));

    let url = login_url(
        &emulator,
        nonce_user1.value(),
        "orderNonce1",
        "user1",
        &session.h5face_id,
        CALLBACK,
    );
    let first = browser().get(url.clone()).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    // The login link works once.
    let replay = browser().get(url).send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::FORBIDDEN);
    let page = replay.text().await.unwrap();
    assert!(page.contains("used already"), "{page}");
    assert!(
        page.contains(Refusal::LoginLinkUsed.code().as_str()),
        "{page}"
    );
    assert_eq!(emulator.counts().nonce_ticket, 2);
    assert_eq!(emulator.counts().login_page, 3);
}

#[tokio::test]
async fn login_page_rejects_unknown_sessions_and_missing_parameters() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let session = start_session(&client, "orderPage1", "user1").await;
    let token = client.access_token().await.unwrap();
    let nonce = client
        .nonce_ticket(token.secret(), &UserId::new("user1").unwrap())
        .await
        .unwrap();

    // Another user than the session's.
    let wrong_user = login_url(
        &emulator,
        nonce.value(),
        "orderPage1",
        "user9",
        &session.h5face_id,
        CALLBACK,
    );
    let response = browser().get(wrong_user).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    let mut missing_url = login_url(
        &emulator,
        nonce.value(),
        "orderPage1",
        "user1",
        &session.h5face_id,
        CALLBACK,
    );
    let kept: Vec<(String, String)> = missing_url
        .query_pairs()
        .filter(|(k, _)| k != "url")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    missing_url.query_pairs_mut().clear().extend_pairs(kept);
    let response = browser().get(missing_url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let code = Refusal::InvalidRequest.code();
    assert!(response.text().await.unwrap().contains(code.as_str()));
}

#[tokio::test]
async fn complete_without_a_browser_and_its_errors() {
    let emulator = Emulator::start().await.unwrap();
    let session = start_session(&emulator.client(), "orderDirect1", "user1").await;

    assert_eq!(
        emulator.complete("wbunknown", Outcome::Pass),
        Err(EmulatorError::UnknownSession {
            h5face_id: "wbunknown".into()
        })
    );
    let callback = emulator
        .complete(
            &session.h5face_id,
            Outcome::Fail(ResultCode::from_code("66660010")),
        )
        .unwrap();
    // The login page was never opened: the placeholder callback.
    assert_eq!(
        callback.as_str().split('?').next(),
        Some(emulator.base_url().join("callback").unwrap().as_str())
    );
    assert_eq!(query_param(&callback, "code").as_deref(), Some("66660010"));
    assert!(matches!(
        emulator.complete(&session.h5face_id, Outcome::Pass),
        Err(EmulatorError::AlreadyCompleted { .. })
    ));
}

/// A session started through a [`SessionStarter`] on the emulator's
/// client, calling back to `https://partner.example/face/callback`.
async fn started_session(emulator: &Emulator) -> Started {
    let client = emulator.client();
    let tickets = CachedTickets::builder(client.clone()).build();
    let wiring = tencent_faceid::wiring::Wiring::new(client, tickets, MemoryOrderStore::new())
        .browser_binding(false);
    let starter = SessionStarter::builder(&wiring).build().unwrap();
    let request = StartSession::new(
        UserId::new("user7").unwrap(),
        "https://partner.example/face/callback".parse().unwrap(),
    )
    .name(NAME)
    .id_number(ID_NO);
    starter.start(request).await.unwrap()
}

#[tokio::test]
async fn complete_login_opens_the_apps_redirect_and_answers_the_callback() {
    let emulator = Emulator::start().await.unwrap();
    let started = started_session(&emulator).await;
    assert_eq!(
        started.redirect_url.host_str(),
        Some("localhost"),
        "the app redirects to the optimal domain"
    );

    let callback = emulator
        .complete_login(
            started.redirect_url.as_str(),
            Outcome::Fail(ResultCode::from_code("66660010")),
        )
        .unwrap();
    assert_eq!(
        callback.as_str().split('?').next(),
        Some("https://partner.example/face/callback")
    );
    assert_eq!(query_param(&callback, "code").as_deref(), Some("66660010"));
    assert_eq!(
        query_param(&callback, "orderNo").as_deref(),
        Some(started.order_no.as_str())
    );
    let ticket = emulator.current_sign_ticket().unwrap();
    let values = [emulator.app_id(), started.order_no.as_str(), "66660010"];
    assert!(verify(&values, ticket.expose(), &signature_of(&callback)));
    assert_eq!(emulator.counts().login_page, 1);

    // The link is single-use, as a browser would find: counted and refused.
    let again = emulator.complete_login(started.redirect_url.as_str(), Outcome::Pass);
    let Err(EmulatorError::LoginRefused { refusal, reason }) = again else {
        panic!("a used link must be refused: {again:?}");
    };
    assert_eq!(refusal, Refusal::LoginLinkUsed);
    assert!(reason.contains("once"), "{reason}");
    assert_eq!(emulator.counts().login_page, 2);
}

#[tokio::test]
async fn complete_login_takes_the_link_on_the_base_url_too() {
    let emulator = Emulator::start().await.unwrap();
    let started = started_session(&emulator).await;
    let mut on_base_url = started.redirect_url.clone();
    on_base_url
        .set_host(emulator.base_url().host_str())
        .unwrap();
    let callback = emulator
        .complete_login(on_base_url.as_str(), Outcome::Pass)
        .unwrap();
    assert_eq!(query_param(&callback, "code").as_deref(), Some("0"));
    assert!(matches!(
        emulator.complete(&started.h5face_id, Outcome::Pass),
        Err(EmulatorError::AlreadyCompleted { .. })
    ));
}

#[tokio::test]
async fn complete_login_refuses_what_is_not_its_login_page_without_the_query() {
    let emulator = Emulator::start().await.unwrap();
    let started = started_session(&emulator).await;
    let port = emulator.base_url().port().unwrap();
    let other_port = port.checked_add(1).unwrap_or(port - 1);
    let mut elsewhere = started.redirect_url.clone();
    elsewhere.set_port(Some(other_port)).unwrap();
    let mut other_path = started.redirect_url.clone();
    other_path.set_path("/api/web/other");
    let mut other_host = started.redirect_url.clone();
    other_host.set_host(Some("vendor.example")).unwrap();
    for (url, found) in [
        (
            elsewhere.as_str(),
            format!("http://localhost:{other_port}/api/web/login"),
        ),
        (
            other_path.as_str(),
            format!("http://localhost:{port}/api/web/other"),
        ),
        (
            other_host.as_str(),
            format!("http://vendor.example:{port}/api/web/login"),
        ),
    ] {
        let error = emulator.complete_login(url, Outcome::Pass).unwrap_err();
        assert_eq!(
            error,
            EmulatorError::NotLoginPage {
                found,
                expected: format!("http://localhost:{port}/api/web/login"),
            }
        );
        let message = error.to_string();
        assert!(
            !message.contains("user7") && !message.contains("sign="),
            "no query in the message: {message}"
        );
    }
    let error = emulator
        .complete_login("/api/web/login?x=1", Outcome::Pass)
        .unwrap_err();
    assert!(error.to_string().contains("not an absolute URL"), "{error}");
    assert_eq!(emulator.counts().login_page, 0, "no page was opened");
    // The link is still unused.
    assert!(
        emulator
            .complete_login(started.redirect_url.as_str(), Outcome::Pass)
            .is_ok()
    );
}

#[tokio::test]
async fn a_client_keeps_its_emulator_running() {
    let client = Emulator::start().await.unwrap().client();
    assert!(client.access_token().await.is_ok());
    let tickets = CachedTickets::builder(client).build();
    assert!(tickets.sign_tickets().await.is_ok());
}

#[tokio::test]
async fn bind_listens_where_asked() {
    // Every interface: the base URL is loopback, the login page localhost.
    let everywhere = Emulator::builder()
        .bind(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0)))
        .start()
        .await
        .unwrap();
    assert_eq!(everywhere.base_url().host_str(), Some("127.0.0.1"));
    let port = everywhere.base_url().port().unwrap();
    assert_eq!(everywhere.optimal_domain(), format!("localhost:{port}"));
    assert!(everywhere.client().access_token().await.is_ok());

    // A port of one's choosing, taken from a listener that gives it back.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let chosen = free.local_addr().unwrap();
    drop(free);
    let fixed = Emulator::builder().bind(chosen).start().await.unwrap();
    assert_eq!(fixed.base_url().port(), Some(chosen.port()));
    assert!(fixed.client().access_token().await.is_ok());

    // A port already taken: an error naming the address.
    let error = Emulator::builder().bind(chosen).start().await.unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::AddrInUse);
    assert!(error.to_string().contains(&chosen.to_string()), "{error}");
}

#[tokio::test]
async fn callbacks_are_signed_with_the_newest_ticket_after_rotation() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let token = client.access_token().await.unwrap();
    let old = client.sign_ticket(token.secret()).await.unwrap();
    assert_eq!(
        emulator.current_sign_ticket().unwrap().expose(),
        old.value()
    );
    emulator.rotate_sign_ticket();
    let new = emulator.current_sign_ticket().unwrap();
    assert_ne!(new.expose(), old.value());

    // The old ticket still signs requests until it expires...
    let session = client
        .start_session(&emu_support::start_request(
            client.app_id(),
            old.value(),
            "orderRotate1",
            "user1",
        ))
        .await
        .unwrap();
    // ...but callbacks carry the newest one.
    let callback = emulator
        .complete(&session.h5face_id, Outcome::Pass)
        .unwrap();
    let signature = signature_of(&callback);
    let values = [emulator.app_id(), "orderRotate1", "0"];
    assert!(verify(&values, new.expose(), &signature));
    assert!(!verify(&values, old.value(), &signature));

    // A ticket fetched over HTTP is a rotation too.
    let newest = client.sign_ticket(token.secret()).await.unwrap();
    assert_eq!(
        emulator.current_sign_ticket().unwrap().expose(),
        newest.value()
    );
}

#[tokio::test]
async fn faults_apply_in_order_for_their_times_and_can_be_cleared() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    emulator.inject(Fault::http_status(Endpoint::AccessToken, 502).times(2));
    emulator.inject(Fault::vendor_error(
        Endpoint::AccessToken,
        ResultCode::from_code("400500"),
    ));
    // No request at all.
    emulator.inject(Fault::http_status(Endpoint::QueryRecord, 500).times(0));
    for _ in 0..2 {
        assert!(matches!(
            client.access_token().await,
            Err(ClientError::Status { status: 502, .. })
        ));
    }
    assert_eq!(
        client.access_token().await.unwrap_err().vendor_code(),
        Some(&ResultCode::from_code("400500"))
    );
    assert!(client.access_token().await.is_ok());

    emulator.inject(Fault::http_status(Endpoint::AccessToken, 500).times(5));
    emulator.clear_faults();
    assert!(client.access_token().await.is_ok());
    assert_eq!(emulator.counts().access_token, 5);
}

#[tokio::test]
async fn delay_then_answers_normally() {
    let emulator = Emulator::start().await.unwrap();
    emulator.inject(Fault::delay(
        Endpoint::AccessToken,
        Duration::from_millis(20),
    ));
    assert!(emulator.client().access_token().await.is_ok());
    assert_eq!(emulator.counts().access_token, 1);
}

#[tokio::test]
async fn hold_waits_for_release() {
    let emulator = Emulator::start().await.unwrap();
    emulator.inject(Fault::hold(Endpoint::AccessToken, Arc::new(Notify::new())));
    let release = Arc::new(Notify::new());
    emulator.inject(Fault::hold(Endpoint::AccessToken, Arc::clone(&release)));
    // Never released: the client gives up (a request that could complete
    // would be answered at once).
    let impatient = FaceIdClient::builder(emulator.app_id(), emulator.secret())
        .base_url(emulator.base_url().as_str())
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = impatient.access_token().await.unwrap_err();
    assert!(matches!(error, ClientError::Transport { .. }), "{error:?}");
    assert_eq!(emulator.counts().access_token, 1);

    // Released (the permit waits if the request has not arrived yet).
    let client = emulator.client();
    let held = tokio::spawn(async move { client.access_token().await });
    release.notify_one();
    assert!(held.await.unwrap().is_ok());
    assert_eq!(emulator.counts().access_token, 2);
}

#[tokio::test]
async fn the_server_outlives_its_handles_and_answers_a_held_request_503_at_shutdown() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let release = Arc::new(Notify::new());
    emulator.inject(Fault::hold(Endpoint::QueryRecord, release));
    let order_no = OrderNo::new("orderHeld1").unwrap();
    let second = emulator.clone();
    let held = tokio::spawn(async move {
        client
            .query_record(&order_no, "t", QueryOptions::default())
            .await
    });
    // Let the request reach the emulator (it is counted before it is held).
    emulator
        .wait_for_counts(|counts| counts.query_record == 1)
        .await;
    drop(emulator);
    // Handles come and go: the server serves until shut down.
    assert!(second.client().access_token().await.is_ok());
    let third = second.clone();
    drop(second);
    assert!(third.client().access_token().await.is_ok());
    third.shutdown().await;
    assert!(matches!(
        held.await.unwrap(),
        Err(ClientError::Status { status: 503, .. })
    ));
}

#[tokio::test]
async fn shutdown_closes_the_port() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    assert!(client.access_token().await.is_ok());
    emulator.shutdown().await;
    assert!(matches!(
        client.access_token().await,
        Err(ClientError::Transport { .. })
    ));
}

#[tokio::test]
async fn logs_show_no_personal_data_secrets_or_tickets() {
    let captured = crate::support::logs::capture();

    let emulator = Emulator::start().await.unwrap();
    let (_, h5face_id) = open_page(&emulator, "orderLogs1", "user1").await;
    emulator.complete(&h5face_id, Outcome::Pass).unwrap();
    let ticket = emulator.current_sign_ticket().unwrap();
    let order_no = OrderNo::new("orderLogs1").unwrap();
    emulator
        .client()
        .query_record(
            &order_no,
            ticket.expose(),
            QueryOptions::default().files(Files::PhotoAndVideo),
        )
        .await
        .unwrap();
    let token = emulator.client().access_token().await.unwrap();

    let logs = captured.text();
    assert!(logs.contains("emulator started a session"), "{logs}");
    for secret in [
        NAME,
        ID_NO,
        emulator.secret(),
        ticket.expose(),
        token.value(),
    ] {
        assert!(!logs.contains(secret), "logs show a secret: {logs}");
    }
}

// The vendor's documented lifetimes, on a manual clock.

const MINUTE: Duration = Duration::from_secs(60);

async fn on_manual_clock() -> Emulator {
    Emulator::builder()
        .clock(ManualClock::new())
        .start()
        .await
        .unwrap()
}

/// Starts a session signed with `ticket`: answers the vendor's code.
async fn start_code(emulator: &Emulator, ticket: &str, order_no: &str) -> ResultCode {
    let client = emulator.client();
    let request = emu_support::start_request(client.app_id(), ticket, order_no, "user1");
    match client.start_session(&request).await {
        Ok(_) => ResultCode::Success,
        Err(error) => error.vendor_code().cloned().unwrap(),
    }
}

#[tokio::test]
async fn advancing_the_system_clock_is_a_typed_error() {
    let emulator = Emulator::start().await.unwrap();
    let error = emulator.advance(MINUTE).unwrap_err();
    assert_eq!(error, EmulatorError::SystemClock);
    assert!(error.to_string().contains("ManualClock"), "{error}");
}

#[tokio::test]
async fn the_emulator_and_its_client_share_the_manual_clock() {
    let emulator = on_manual_clock().await;
    let before = emulator.client().clock().now();
    emulator.advance(Duration::from_secs(86_400)).unwrap();
    assert_eq!(emulator.clock().now(), before + Duration::from_secs(86_400));
    assert_eq!(emulator.client().clock().now(), emulator.clock().now());
}

#[tokio::test]
async fn sign_tickets_live_an_hour() {
    let emulator = on_manual_clock().await;
    let ticket = emu_support::fresh_sign_ticket(&emulator.client()).await;
    emulator.advance(Duration::from_secs(3599)).unwrap();
    assert_eq!(
        start_code(&emulator, ticket.value(), "orderHour1").await,
        ResultCode::Success
    );
    emulator.advance(Duration::from_secs(1)).unwrap();
    assert_eq!(
        start_code(&emulator, ticket.value(), "orderHour2").await,
        Refusal::InvalidSign.code()
    );
    assert_eq!(emulator.current_sign_ticket(), None);
}

#[tokio::test]
async fn a_new_sign_ticket_ends_the_previous_one_a_minute_later() {
    let emulator = on_manual_clock().await;
    let client = emulator.client();
    let token = client.access_token().await.unwrap();
    let old = client.sign_ticket(token.secret()).await.unwrap();
    let new = client.sign_ticket(token.secret()).await.unwrap();
    assert_eq!(
        emulator.current_sign_ticket().unwrap().expose(),
        new.value()
    );
    emulator.advance(MINUTE - Duration::from_secs(1)).unwrap();
    assert_eq!(
        start_code(&emulator, old.value(), "orderOld1").await,
        ResultCode::Success
    );
    emulator.advance(Duration::from_secs(1)).unwrap();
    assert_eq!(
        start_code(&emulator, old.value(), "orderOld2").await,
        Refusal::InvalidSign.code()
    );
    assert_eq!(
        start_code(&emulator, new.value(), "orderNew1").await,
        ResultCode::Success
    );
}

#[tokio::test]
async fn tickets_die_with_the_access_token_that_fetched_them() {
    let emulator = on_manual_clock().await;
    let client = emulator.client();
    let first = client.access_token().await.unwrap();
    let sign_ticket = client.sign_ticket(first.secret()).await.unwrap();
    let user = UserId::new("user1").unwrap();
    let session = start_session(&client, "orderDies1", "user1").await;
    // start_session fetched a second token and SIGN ticket: back to ours.
    let nonce = client.nonce_ticket(first.secret(), &user).await.unwrap();

    // A third token ends the first one a minute later, and its tickets with it.
    let _third = client.access_token().await.unwrap();
    emulator.advance(MINUTE).unwrap();
    assert_eq!(
        start_code(&emulator, sign_ticket.value(), "orderDies2").await,
        Refusal::InvalidSign.code()
    );
    let url = login_url(
        &emulator,
        nonce.value(),
        "orderDies1",
        "user1",
        &session.h5face_id,
        CALLBACK,
    );
    let page = browser().get(url).send().await.unwrap();
    assert_eq!(
        page.status(),
        StatusCode::FORBIDDEN,
        "the NONCE ticket died too"
    );
    // The SIGN ticket had 59 minutes left of its own.
    assert!(sign_ticket.is_valid_at(emulator.clock().now()));
}

#[tokio::test]
async fn nonce_tickets_live_120_seconds() {
    let emulator = on_manual_clock().await;
    let client = emulator.client();
    let session = start_session(&client, "orderNonce2", "user1").await;
    let token = client.access_token().await.unwrap();
    let user = UserId::new("user1").unwrap();
    let nonce = client.nonce_ticket(token.secret(), &user).await.unwrap();
    emulator.advance(Duration::from_secs(120)).unwrap();
    let url = login_url(
        &emulator,
        nonce.value(),
        "orderNonce2",
        "user1",
        &session.h5face_id,
        CALLBACK,
    );
    let page = browser().get(url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn with_no_sign_ticket_alive_the_callback_is_unsigned() {
    let emulator = on_manual_clock().await;
    let session = start_session(&emulator.client(), "orderUnsigned1", "user1").await;
    emulator.advance(Duration::from_secs(3600)).unwrap();
    assert_eq!(emulator.current_sign_ticket(), None);
    let callback = emulator
        .complete(&session.h5face_id, Outcome::Pass)
        .unwrap();
    assert_eq!(query_param(&callback, "code").as_deref(), Some("0"));
    assert_eq!(query_param(&callback, "newSignature"), None);
    assert_eq!(query_param(&callback, "newSign"), None);
}

#[tokio::test]
async fn the_page_offers_every_front_end_code_and_such_sessions_have_no_record() {
    let emulator = Emulator::start().await.unwrap();
    let (page, h5face_id) = open_page(&emulator, "orderFront1", "user1").await;
    for code in FrontEndCode::ALL {
        let button = format!("id=\"front-end-{}\"", code.as_str());
        assert!(page.contains(&button), "page lacks {button}: {page}");
    }
    let response = press(
        &emulator,
        &[("h5faceId", &h5face_id), ("outcome", "front-end-300101")],
    )
    .await;
    let callback = location(&response);
    assert_eq!(query_param(&callback, "code").as_deref(), Some("300101"));
    assert_eq!(query_param(&callback, "liveRate"), None);
    let ticket = emulator.current_sign_ticket().unwrap();
    assert!(verify(
        &[emulator.app_id(), "orderFront1", "300101"],
        ticket.expose(),
        &signature_of(&callback)
    ));
    let error = emulator
        .client()
        .query_record(
            &OrderNo::new("orderFront1").unwrap(),
            ticket.expose(),
            QueryOptions::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(error.vendor_code(), Some(&ResultCode::NoRecord));
}

#[tokio::test]
async fn complete_takes_every_front_end_code() {
    let emulator = Emulator::start().await.unwrap();
    for (i, code) in FrontEndCode::ALL.into_iter().enumerate() {
        let order_no = format!("orderFrontEnd{i}");
        let session = start_session(&emulator.client(), &order_no, "user1").await;
        let callback = emulator
            .complete(&session.h5face_id, Outcome::FrontEnd(code))
            .unwrap();
        assert_eq!(
            query_param(&callback, "code").as_deref(),
            Some(code.as_str())
        );
    }
}

#[tokio::test]
async fn the_signature_parameter_can_be_named_new_sign() {
    let emulator = Emulator::builder()
        .signature_param(SignatureParam::NewSign)
        .start()
        .await
        .unwrap();
    let session = start_session(&emulator.client(), "orderNewSign1", "user1").await;
    let callback = emulator
        .complete(&session.h5face_id, Outcome::Pass)
        .unwrap();
    assert_eq!(query_param(&callback, "newSignature"), None);
    let signature: Signature = query_param(&callback, "newSign").unwrap().parse().unwrap();
    let ticket = emulator.current_sign_ticket().unwrap();
    assert!(verify(
        &[emulator.app_id(), "orderNewSign1", "0"],
        ticket.expose(),
        &signature
    ));
}

#[tokio::test]
async fn a_refresh_elsewhere_ends_our_token_and_tickets_a_minute_later() {
    let emulator = on_manual_clock().await;
    let client = emulator.client();
    let token = client.access_token().await.unwrap();
    let ours = client.sign_ticket(token.secret()).await.unwrap();
    emulator.rotate_sign_ticket();
    let theirs = emulator.current_sign_ticket().unwrap();
    assert_ne!(theirs.expose(), ours.value());

    emulator.advance(MINUTE - Duration::from_secs(1)).unwrap();
    assert_eq!(
        start_code(&emulator, ours.value(), "orderElse1").await,
        ResultCode::Success
    );
    assert!(client.sign_ticket(token.secret()).await.is_ok());
    emulator.advance(Duration::from_secs(1)).unwrap();
    assert_eq!(
        start_code(&emulator, ours.value(), "orderElse2").await,
        Refusal::InvalidSign.code()
    );
    assert_eq!(
        client
            .sign_ticket(token.secret())
            .await
            .unwrap_err()
            .vendor_code(),
        Some(&ResultCode::InvalidAccessToken)
    );
    assert_eq!(
        start_code(&emulator, theirs.expose(), "orderElse3").await,
        ResultCode::Success
    );
}
