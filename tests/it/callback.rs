//! The callback verifier core, without a web framework.

use std::sync::Arc;
use std::time::Duration;

use crate::support::common::*;
use async_trait::async_trait;
use tencent_faceid::callback::BodyFormat;
use tencent_faceid::callback::{
    CallbackConfigError, CallbackVerifier, DEFAULT_MAX_QUERY_LEN, Malformed, NotConfirmed,
    RejectionKind,
};
use tencent_faceid::client::{Endpoint, FaceIdClient};
use tencent_faceid::client::{FrontEndCode, ResultCode};
use tencent_faceid::orders::{
    Claim, Consumed, Lookup, MemoryOrderStore, OrderStore, PendingOrder, StoreError,
};
use tencent_faceid::session::{SessionStarter, StartSession};
use tencent_faceid::sign::{ParseSignatureError, sign};
use tencent_faceid::tickets::CachedTickets;
use tencent_faceid::wiring::Wiring;
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::{Emulator, Fault, Outcome as EmulatorOutcome, SignatureParam};
use url::Url;

#[tokio::test]
async fn matrix_through_the_core() {
    let handled =
        run_matrix(|verifier, query| async move { verifier.verify(&query).await.into() }).await;
    assert!(handled > 0);
}

async fn malformed(query: &str) -> Malformed {
    let store = MemoryOrderStore::new();
    let rejection = verifier(Tickets::Current, &store)
        .verify(query)
        .await
        .expect_err("a malformed query is rejected");
    assert_eq!(rejection.status(), 400, "{query}");
    match rejection.kind() {
        RejectionKind::Malformed(detail) => detail.clone(),
        other => panic!("{query}: expected Malformed, got {other:?}"),
    }
}

#[tokio::test]
async fn each_malformation_is_reported_precisely() {
    let good = callback("order1", "0", TICKET);
    let signature_at = good.find("newSignature=").unwrap() + "newSignature=".len();
    let cases = [
        (good.replace("code=0&", ""), Malformed::Missing("code")),
        (format!("code=1&{good}"), Malformed::Duplicate("code")),
        (
            format!("{good}&liveRate=1&liveRate=1"),
            Malformed::Duplicate("liveRate"),
        ),
        (
            good.replace("h5faceId=h5face1", "h5faceId="),
            Malformed::Empty("h5faceId"),
        ),
        (
            good.replace("code=0", "code=%zz"),
            Malformed::InvalidPercentEncoding { position: 5 },
        ),
        (
            format!("{good}%4"),
            Malformed::InvalidPercentEncoding {
                position: good.len(),
            },
        ),
        (
            good.replace("code=0", "code=%C3"),
            Malformed::NotUtf8 { position: 5 },
        ),
        (
            format!("{good}&p={}", "x".repeat(DEFAULT_MAX_QUERY_LEN)),
            Malformed::TooLong {
                max: DEFAULT_MAX_QUERY_LEN,
                actual: good.len() + 3 + DEFAULT_MAX_QUERY_LEN,
            },
        ),
        (
            good[..good.len() - 1].to_owned(),
            Malformed::InvalidSignature(ParseSignatureError::WrongLength(39)),
        ),
        (
            format!("{}g{}", &good[..signature_at], &good[signature_at + 1..]),
            Malformed::InvalidSignature(ParseSignatureError::NotHex { position: 0 }),
        ),
    ];
    for (query, expected) in cases {
        assert_eq!(malformed(&query).await, expected, "{query}");
    }
    assert!(matches!(
        malformed(&callback(&"o".repeat(33), "0", TICKET)).await,
        Malformed::InvalidOrderNo(_)
    ));
}

#[tokio::test]
async fn outcome_carries_the_order_as_recorded() {
    let store = MemoryOrderStore::new();
    let order = PendingOrder::new(OrderNo::new("order1").unwrap(), USER.parse().unwrap());
    let created_at = order.created_at;
    store.put(order, TTL).await.unwrap();
    let outcome = verifier(Tickets::Current, &store)
        .verify(&callback("order1", "66661001", TICKET))
        .await
        .unwrap();
    assert_eq!(outcome.created_at, created_at);
    assert_eq!(outcome.code, ResultCode::from_code("66661001"));
    assert!(!outcome.passed());
    assert_eq!(outcome.record, None, "no confirmation was asked for");
    // Accepted means consumed.
    assert_eq!(
        store.consume(&outcome.order_no).await.unwrap(),
        Consumed::AlreadyConsumed
    );
}

#[tokio::test]
async fn max_query_len_is_configurable() {
    let store = MemoryOrderStore::new();
    let query = callback("order1", "0", TICKET);
    start_order(&store, "order1", TTL).await;
    let tight =
        CallbackVerifier::builder(&wiring(seed_tickets(), store.clone()).browser_binding(false))
            .max_query_len(query.len() - 1)
            .build()
            .unwrap();
    let rejection = tight.verify(&query).await.unwrap_err();
    assert!(matches!(
        rejection.kind(),
        RejectionKind::Malformed(Malformed::TooLong { .. })
    ));
    // The answer names the limit and the setting that raises it.
    let message = rejection.to_string();
    assert!(message.contains(&format!("more than the {} accepted", query.len() - 1)));
    assert!(
        message.contains("CallbackVerifierBuilder::max_query_len"),
        "{message}"
    );
    let exact = CallbackVerifier::builder(&wiring(seed_tickets(), store).browser_binding(false))
        .max_query_len(query.len())
        .build()
        .unwrap();
    assert!(exact.verify(&query).await.is_ok());
}

#[test]
fn impossible_configurations_are_refused() {
    // An empty app id is the client's to refuse; the verifier takes the
    // client's, so it cannot disagree with it.
    assert!(FaceIdClient::builder("", "secret").build().is_err());
    let wiring = wiring(seed_tickets(), MemoryOrderStore::new());
    assert_eq!(
        CallbackVerifier::builder(&wiring)
            .max_query_len(0)
            .build()
            .unwrap_err(),
        CallbackConfigError::ZeroMaxQueryLen
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_deliveries_of_one_callback_are_accepted_once() {
    const TASKS: usize = 32;
    let store = MemoryOrderStore::new();
    start_order(&store, "order1", TTL).await;
    let verifier = verifier(Tickets::Current, &store);
    let query = Arc::new(callback("order1", "0", TICKET));
    let barrier = Arc::new(tokio::sync::Barrier::new(TASKS));
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (verifier, query, barrier) =
                (verifier.clone(), Arc::clone(&query), Arc::clone(&barrier));
            tokio::spawn(async move {
                barrier.wait().await;
                verifier.verify(query.as_str()).await
            })
        })
        .collect();
    let (mut accepted, mut replays) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => accepted += 1,
            Err(rejection) if rejection.kind() == &RejectionKind::Replay => replays += 1,
            Err(other) => panic!("unexpected rejection {other}"),
        }
    }
    assert_eq!((accepted, replays), (1, TASKS - 1));
}

#[tokio::test]
async fn an_unavailable_ticket_source_does_not_burn_the_order() {
    let store = MemoryOrderStore::new();
    start_order(&store, "order1", TTL).await;
    let query = callback("order1", "0", TICKET);
    let down = verifier(Tickets::Unavailable, &store)
        .verify(&query)
        .await
        .unwrap_err();
    assert_eq!(
        (down.status(), down.kind()),
        (503, &RejectionKind::TicketsUnavailable)
    );
    assert!(down.kind().is_transient());
    assert!(
        std::error::Error::source(&down).is_some(),
        "the cause is kept for logs"
    );
    // Once tickets are back, the same callback succeeds.
    let outcome = verifier(Tickets::Current, &store)
        .verify(&query)
        .await
        .unwrap();
    assert!(outcome.passed());
}

/// A store whose backend is down (fault injection).
struct UnreachableStore;

#[async_trait]
impl OrderStore for UnreachableStore {
    async fn put(&self, _order: PendingOrder, _ttl: Duration) -> Result<(), StoreError> {
        Err(StoreError::Backend("connection refused".into()))
    }

    async fn consume_claim(
        &self,
        _order_no: &OrderNo,
        _claim: &Claim,
    ) -> Result<Consumed, StoreError> {
        Err(StoreError::Backend("connection refused".into()))
    }

    async fn lookup(&self, _order_no: &OrderNo) -> Result<Lookup, StoreError> {
        Err(StoreError::Backend("connection refused".into()))
    }
}

#[tokio::test]
async fn an_unavailable_store_is_503() {
    let verifier =
        CallbackVerifier::builder(&wiring(seed_tickets(), UnreachableStore).browser_binding(false))
            .build()
            .unwrap();
    let rejection = verifier
        .verify(&callback("order1", "0", TICKET))
        .await
        .unwrap_err();
    assert_eq!(rejection.kind(), &RejectionKind::StoreUnavailable);
    assert_eq!(rejection.status(), 503);
    assert_eq!(rejection.order_no().map(OrderNo::as_str), Some("order1"));
    // The backend's words are for logs, not for the browser.
    assert!(!rejection.to_string().contains("connection refused"));
    let source = std::error::Error::source(&rejection).map(ToString::to_string);
    assert!(source.is_some_and(|s| s.contains("connection refused")));
}

#[tokio::test]
async fn rejections_never_show_tickets_or_signatures() {
    let store = MemoryOrderStore::new();
    start_order(&store, "order1", TTL).await;
    let forged = sign(&[APP_ID, "order1", "0"], FOREIGN_TICKET).to_string();
    let verifier = verifier(Tickets::PreviousInGrace, &store);
    let rejection = verifier
        .verify(&callback_signed("order1", "0", &forged))
        .await
        .unwrap_err();
    assert_eq!(rejection.kind(), &RejectionKind::BadSignature);
    let shown = format!(
        "{rejection} {rejection:?} {} {verifier:?}",
        rejection.to_response(BodyFormat::Json).body
    );
    assert!(shown.contains("order1"), "the order is named: {shown}");
    for secret in [
        TICKET,
        PREVIOUS_TICKET,
        FOREIGN_TICKET,
        &forged,
        &forged.to_lowercase(),
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&rejection.to_response(BodyFormat::Json).body).unwrap();
    assert_eq!(json["error"], "bad_signature");
    assert_eq!(json["message"], rejection.to_string());
}

#[tokio::test]
async fn every_decision_is_logged_with_the_order_but_never_a_ticket() {
    // The other tests' events land in the capture too, so this test uses
    // order numbers of its own.
    let captured = crate::support::logs::capture();

    let store = MemoryOrderStore::new();
    start_order(&store, "logged1", TTL).await;
    start_order(&store, "logged2", TTL).await;
    start_order(&store, "logged3", TTL).await;
    let verifier = verifier(Tickets::PreviousInGrace, &store);
    let good = callback("logged1", "0", TICKET);
    let previous = callback("logged2", "0", PREVIOUS_TICKET);
    let forged = callback("logged3", "0", FOREIGN_TICKET);
    verifier.verify(&good).await.unwrap();
    verifier.verify(&good).await.unwrap_err();
    verifier.verify(&previous).await.unwrap();
    verifier.verify(&forged).await.unwrap_err();
    verifier.verify("h5faceId=a&h5faceId=b").await.unwrap_err();

    let logs = captured.text();
    for expected in [
        "callback accepted order_no=logged1 passed=true",
        "kind=replay order_no=logged1",
        "previous SIGN ticket, within its grace window order_no=logged2",
        "kind=bad_signature order_no=logged3",
        "parameter `h5faceId` appears more than once",
    ] {
        assert!(
            logs.contains(expected),
            "{expected:?} missing from:\n{logs}"
        );
    }
    for query in [&good, &previous, &forged] {
        let signature = &query[query.find("newSignature=").unwrap() + 13..];
        assert!(!logs.contains(signature), "signature logged:\n{logs}");
    }
    for secret in [TICKET, PREVIOUS_TICKET, FOREIGN_TICKET] {
        assert!(!logs.contains(secret), "ticket logged:\n{logs}");
    }
}

// Confirmation with the vendor's record, against the emulator.

#[tokio::test]
async fn a_genuine_pass_is_confirmed_by_the_vendors_record() {
    let partner = Partner::start(true).await;
    let (started, query) = partner.finished_session(EmulatorOutcome::Pass).await;
    let outcome = partner.verifier.verify(&query).await.unwrap();
    assert!(outcome.passed());
    assert_eq!(outcome.order_no, started.order_no);
    assert_eq!(outcome.h5face_id, started.h5face_id);
    assert_eq!(outcome.user_id.as_str(), USER);
    let record = outcome.record.expect("confirmed passes carry the record");
    assert_eq!(record.order_no, started.order_no.as_str());
    assert_eq!(record.app_id.as_deref(), Some(partner.emulator.app_id()));
    assert!(record.live_rate.is_some());
    assert!(record.photo.is_none() && record.video.is_none());
    assert_eq!(partner.emulator.counts().query_record, 1);
    // Consumed: the same callback again is a replay.
    let again = partner.verifier.verify(&query).await.unwrap_err();
    assert_eq!(again.kind(), &RejectionKind::Replay);
}

#[tokio::test]
async fn without_confirmation_the_vendor_is_not_asked() {
    let partner = Partner::start(false).await;
    let (_, query) = partner.finished_session(EmulatorOutcome::Pass).await;
    let outcome = partner.verifier.verify(&query).await.unwrap();
    assert!(outcome.passed() && outcome.record.is_none());
    assert_eq!(partner.emulator.counts().query_record, 0);
}

#[tokio::test]
async fn a_genuine_failure_is_an_outcome_without_a_vendor_query() {
    let partner = Partner::start(true).await;
    let failure = EmulatorOutcome::Fail(ResultCode::from_code("66660004"));
    let (started, query) = partner.finished_session(failure).await;
    let outcome = partner.verifier.verify(&query).await.unwrap();
    assert!(!outcome.passed());
    assert_eq!(outcome.code, ResultCode::from_code("66660004"));
    assert_eq!(outcome.order_no, started.order_no);
    assert!(outcome.record.is_none());
    assert_eq!(partner.emulator.counts().query_record, 0);
}

#[tokio::test]
async fn a_signed_pass_the_vendor_recorded_as_failed_is_not_confirmed() {
    let partner = Partner::start(true).await;
    let failure = EmulatorOutcome::Fail(ResultCode::from_code("66660004"));
    let (started, genuine) = partner.finished_session(failure).await;
    let forged = partner.forged_pass(&started);
    let rejection = partner.verifier.verify(&forged).await.unwrap_err();
    assert_eq!(
        rejection.kind(),
        &RejectionKind::NotConfirmed(NotConfirmed::RecordFailed(ResultCode::from_code(
            "66660004"
        )))
    );
    assert_eq!(rejection.status(), 403);
    // The order is still pending: the genuine failure is delivered.
    let outcome = partner.verifier.verify(&genuine).await.unwrap();
    assert_eq!(outcome.code, ResultCode::from_code("66660004"));
}

#[tokio::test]
async fn a_signed_pass_for_an_unfinished_session_is_not_confirmed() {
    let partner = Partner::start(true).await;
    let started = partner.start_session().await;
    let forged = partner.forged_pass(&started);
    let rejection = partner.verifier.verify(&forged).await.unwrap_err();
    assert_eq!(
        rejection.kind(),
        &RejectionKind::NotConfirmed(NotConfirmed::RecordMissing)
    );
    assert!(rejection.to_string().contains("no record"), "{rejection}");
}

#[tokio::test]
async fn a_record_for_another_order_is_not_confirmed() {
    let partner = Partner::start(true).await;
    let (_, query) = partner.finished_session(EmulatorOutcome::Pass).await;
    let body = format!(
        r#"{{"code":"0","msg":"ok","result":{{"orderNo":"someOtherOrder","appId":"{}"}}}}"#,
        partner.emulator.app_id()
    );
    partner
        .emulator
        .inject(Fault::raw_body(Endpoint::QueryRecord, body));
    let rejection = partner.verifier.verify(&query).await.unwrap_err();
    assert_eq!(
        rejection.kind(),
        &RejectionKind::NotConfirmed(NotConfirmed::RecordMismatch)
    );
    // The genuine record is there on the next try.
    assert!(partner.verifier.verify(&query).await.unwrap().passed());
}

#[tokio::test]
async fn an_unreachable_vendor_is_503_and_keeps_the_order() {
    let partner = Partner::start(true).await;
    let (started, query) = partner.finished_session(EmulatorOutcome::Pass).await;
    let faults = [
        Fault::http_status(Endpoint::QueryRecord, 502),
        // Refused, then refused again after one recovery of the tickets.
        Fault::vendor_error(Endpoint::QueryRecord, ResultCode::from_code("400500")).times(2),
        Fault::raw_body(Endpoint::QueryRecord, "<html>gateway</html>"),
    ];
    for fault in faults {
        let described = format!("{fault:?}");
        partner.emulator.inject(fault);
        let rejection = partner.verifier.verify(&query).await.unwrap_err();
        assert_eq!(
            rejection.kind(),
            &RejectionKind::VendorUnavailable,
            "{described}"
        );
        assert_eq!(rejection.status(), 503);
        assert_eq!(rejection.order_no(), Some(&started.order_no));
        assert!(std::error::Error::source(&rejection).is_some());
    }
    // The vendor answers again: the user's order was kept for this.
    let outcome = partner.verifier.verify(&query).await.unwrap();
    assert!(outcome.passed() && outcome.record.is_some());
    // Three faulted tries (the refused one tried twice) and the good one.
    assert_eq!(partner.emulator.counts().query_record, 5);
}

// The signature's two names: `newSignature` (H5 page) and `newSign`
// (PC-browser H5 page).

#[tokio::test]
async fn the_signature_may_come_as_new_sign() {
    let store = MemoryOrderStore::new();
    start_order(&store, "order1", TTL).await;
    let query = callback("order1", "0", TICKET).replace("newSignature=", "newSign=");
    let outcome = verifier(Tickets::Current, &store)
        .verify(&query)
        .await
        .unwrap();
    assert!(outcome.passed());
}

#[tokio::test]
async fn both_names_with_the_same_signature_verify() {
    let store = MemoryOrderStore::new();
    start_order(&store, "order1", TTL).await;
    let query = callback("order1", "0", TICKET);
    let signature = query.split("newSignature=").nth(1).unwrap().to_owned();
    let both = format!("{query}&newSign={}", signature.to_lowercase());
    let outcome = verifier(Tickets::Current, &store)
        .verify(&both)
        .await
        .unwrap();
    assert!(outcome.passed());
}

#[tokio::test]
async fn both_names_with_different_signatures_are_400() {
    let store = MemoryOrderStore::new();
    start_order(&store, "order1", TTL).await;
    let genuine = callback("order1", "0", TICKET);
    let other = sign(&[APP_ID, "order1", "0"], FOREIGN_TICKET);
    let query = format!("{genuine}&newSign={other}");
    assert_eq!(malformed(&query).await, Malformed::ConflictingSignatures);
    let rejection = verifier(Tickets::Current, &store)
        .verify(&query)
        .await
        .unwrap_err();
    assert!(rejection.to_string().contains("newSign"), "{rejection}");
    // Nothing was consumed: the genuine callback is still accepted.
    let outcome = verifier(Tickets::Current, &store)
        .verify(&genuine)
        .await
        .unwrap();
    assert!(outcome.passed());
}

#[tokio::test]
async fn callbacks_of_an_emulator_that_says_new_sign_verify() {
    let emulator = Emulator::builder()
        .signature_param(SignatureParam::NewSign)
        .start()
        .await
        .unwrap();
    let tickets = CachedTickets::builder(emulator.client()).build();
    let store = MemoryOrderStore::new();
    let wiring = Wiring::new(emulator.client(), tickets, store).browser_binding(false);
    let starter = SessionStarter::builder(&wiring).build().unwrap();
    let verifier = CallbackVerifier::builder(&wiring)
        .confirm(true)
        .build()
        .unwrap();
    let started = starter
        .start(
            StartSession::new(
                UserId::new(USER).unwrap(),
                Url::parse("https://partner.example/face/callback").unwrap(),
            )
            .name("Zhang San")
            .id_number("110101199003071234"),
        )
        .await
        .unwrap();
    let callback = emulator
        .complete(&started.h5face_id, EmulatorOutcome::Pass)
        .unwrap();
    let query = callback.query().unwrap();
    assert!(query.contains("newSign=") && !query.contains("newSignature="));
    let outcome = verifier.verify(query).await.unwrap();
    assert!(outcome.passed() && outcome.record.is_some());
}

#[tokio::test]
async fn a_refused_confirmation_recovers_the_tickets_once_and_succeeds() {
    let partner = Partner::start(true).await;
    let (_, query) = partner.finished_session(EmulatorOutcome::Pass).await;
    let before = partner.emulator.counts();
    partner.emulator.inject(Fault::vendor_error(
        Endpoint::QueryRecord,
        ResultCode::from_code("400101"),
    ));
    let outcome = partner.verifier.verify(&query).await.unwrap();
    assert!(outcome.passed() && outcome.record.is_some());
    let after = partner.emulator.counts();
    assert_eq!(
        (
            after.query_record - before.query_record,
            after.access_token - before.access_token,
            after.sign_ticket - before.sign_ticket,
        ),
        (2, 1, 1),
        "the refused query, one new pair, the query again"
    );
}

#[tokio::test]
async fn a_signed_pass_for_an_aborted_session_is_403_no_record() {
    let partner = Partner::start(true).await;
    let aborted = EmulatorOutcome::FrontEnd(FrontEndCode::NoCameraPermission);
    let (started, genuine) = partner.finished_session(aborted).await;
    let forged = partner.forged_pass(&started);
    let rejection = partner.verifier.verify(&forged).await.unwrap_err();
    assert_eq!(rejection.status(), 403);
    assert_eq!(
        rejection.kind(),
        &RejectionKind::NotConfirmed(NotConfirmed::RecordMissing)
    );
    assert!(
        rejection.to_string().contains("vendor has no record"),
        "{rejection}"
    );
    // The genuine callback reports the front-end code, without a query.
    let outcome = partner.verifier.verify(&genuine).await.unwrap();
    assert_eq!(
        outcome.code,
        ResultCode::FrontEnd(FrontEndCode::NoCameraPermission)
    );
    assert_eq!(partner.emulator.counts().query_record, 1);
}
