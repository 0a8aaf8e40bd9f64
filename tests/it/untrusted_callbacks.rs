//! Callbacks nobody should trust, against the emulator over loopback HTTP:
//! the order is looked up first (a storm of forged callbacks costs no
//! vendor call, and cannot make the server rotate the app's token), and a
//! genuine callback signed with a SIGN ticket another system fetched is
//! judged by the vendor's record instead of being refused.

use faceid_test_support::random_alphanumeric;
use tencent_faceid::FaceId;
use tencent_faceid::UserId;
use tencent_faceid::callback::{BrowserCallback, RejectionKind};
use tencent_faceid::session::{StartSession, Started};
use tencent_faceid_emulator::{Counts, Emulator, Outcome};
use url::Url;

const FORGED: usize = 1_000;

async fn face_id(emulator: &Emulator) -> FaceId {
    emulator
        .face_id()
        .callback_url_per_request()
        .build()
        .await
        .unwrap()
}

/// A session started through the facade (browser binding on, as by
/// default).
async fn start(face_id: &FaceId, user: &str) -> Started {
    let callback = Url::parse("https://partner.example/face/callback").unwrap();
    let request = StartSession::new(UserId::new(user).unwrap(), callback)
        .name("Zhang Sanfeng")
        .id_number("110101199003074477");
    face_id.start(request).await.unwrap()
}

/// The browser binding cookie's value a session was started with.
fn cookie(started: &Started) -> String {
    let binding = started.binding.as_ref().expect("browser binding is on");
    binding.value().expose().to_owned()
}

/// A callback query for `order_no` with a random signature.
fn forged(order_no: &str) -> String {
    let signature: String = (0..40)
        .map(|_| char::from_digit(rand::random_range(0..16), 16).unwrap())
        .collect();
    format!("code=0&orderNo={order_no}&h5faceId=f&newSignature={signature}")
}

fn vendor_calls(counts: Counts) -> usize {
    let Counts {
        access_token,
        sign_ticket,
        nonce_ticket,
        start_session,
        start_enhanced,
        start_sdk,
        login_page,
        query_record,
        detect_auth,
        detect_info,
        tc3_other,
    } = counts;
    access_token
        + sign_ticket
        + nonce_ticket
        + start_session
        + start_enhanced
        + start_sdk
        + login_page
        + query_record
        + detect_auth
        + detect_info
        + tc3_other
}

#[tokio::test]
async fn a_storm_of_forged_callbacks_costs_no_vendor_call() {
    let emulator = Emulator::start().await.unwrap();
    let face_id = face_id(&emulator).await;
    // What the build fetched before taking traffic (the warm-up).
    let at_boot = vendor_calls(emulator.counts());
    for _ in 0..FORGED {
        let query = forged(&random_alphanumeric(32));
        let rejection = face_id.verifier().verify(&query).await.unwrap_err();
        assert_eq!(rejection.kind(), &RejectionKind::UnknownOrder);
        assert_eq!(rejection.status(), 404);
    }
    assert_eq!(
        vendor_calls(emulator.counts()),
        at_boot,
        "no token, ticket or record was fetched for orders this server never started"
    );
    let message = face_id
        .verifier()
        .verify(&forged("lostinarestart1"))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("was not started by this server, or was lost when it restarted"),
        "{message}"
    );
    assert!(message.contains("PostgresOrderStore"), "{message}");
}

#[tokio::test]
async fn forged_callbacks_for_a_pending_order_without_its_cookie_cost_no_vendor_call() {
    let emulator = Emulator::start().await.unwrap();
    let face_id = face_id(&emulator).await;
    let started = start(&face_id, "user1").await;
    let after_start = emulator.counts();
    for _ in 0..100 {
        let query = forged(started.order_no.as_str());
        let rejection = face_id.verifier().verify(&query).await.unwrap_err();
        assert_eq!(rejection.kind(), &RejectionKind::NoBindingCookie);
        assert!(
            rejection
                .to_string()
                .contains("carries no browser-binding cookie")
        );
    }
    let stranger = Some("a cookie of another browser");
    let query = forged(started.order_no.as_str());
    let rejection = face_id
        .verifier()
        .verify(BrowserCallback::new(&query, stranger))
        .await
        .unwrap_err();
    assert_eq!(
        rejection.kind(),
        &RejectionKind::BadSignature,
        "{rejection}"
    );
    assert_eq!(
        emulator.counts(),
        after_start,
        "no recovery and no record query for a request without the order's binding cookie"
    );
}

#[tokio::test]
async fn a_callback_signed_with_a_foreign_sign_ticket_is_judged_by_the_vendors_record() {
    let emulator = Emulator::start().await.unwrap();
    let face_id = face_id(&emulator).await;
    let started = start(&face_id, "user1").await;
    let cookie = cookie(&started);
    // Another system sharing the app id refreshes: the vendor signs the
    // next callback with a SIGN ticket this server never saw.
    emulator.rotate_sign_ticket();
    let callback = emulator
        .complete_login(started.redirect_url.as_str(), Outcome::Pass)
        .unwrap();
    let before = emulator.counts();
    let outcome = face_id
        .verifier()
        .verify(BrowserCallback::new(
            callback.query().unwrap(),
            Some(&cookie),
        ))
        .await
        .unwrap();
    assert!(outcome.passed());
    assert!(outcome.judged_by_record);
    let record = outcome.record.as_ref().expect("the record that judged");
    assert_eq!(record.order_no, started.order_no.as_str());
    assert_eq!(emulator.counts().query_record, before.query_record + 1);

    let replay = face_id
        .verifier()
        .verify(BrowserCallback::new(
            callback.query().unwrap(),
            Some("another browser"),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        replay.status(),
        401,
        "a consumed order is never judged again: {replay}"
    );
    assert_eq!(emulator.counts().query_record, before.query_record + 1);
}

#[tokio::test]
async fn a_forged_callback_from_the_orders_browser_is_judged_once_per_interval() {
    let emulator = Emulator::start().await.unwrap();
    let face_id = face_id(&emulator).await;
    let started = start(&face_id, "user1").await;
    let cookie = cookie(&started);
    for _ in 0..10 {
        let query = forged(started.order_no.as_str());
        let rejection = face_id
            .verifier()
            .verify(BrowserCallback::new(&query, Some(&cookie)))
            .await
            .unwrap_err();
        assert_eq!(
            rejection.kind(),
            &RejectionKind::BadSignature,
            "no record: {rejection}"
        );
    }
    assert_eq!(
        emulator.counts().query_record,
        1,
        "one record query per order per interval, however many forged callbacks"
    );
    // The order is still pending for the genuine callback.
    let callback = emulator
        .complete_login(started.redirect_url.as_str(), Outcome::Pass)
        .unwrap();
    let outcome = face_id
        .verifier()
        .verify(BrowserCallback::new(
            callback.query().unwrap(),
            Some(&cookie),
        ))
        .await
        .unwrap();
    assert!(outcome.passed() && !outcome.judged_by_record);
}
