//! The actix-web extractor, through `actix_web::test`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::common::*;
use actix_web::http::{StatusCode, header};
use actix_web::{App, HttpResponse, test, web};
use tencent_faceid::actix::{Verified, VerifiedRejection};
use tencent_faceid::callback::CallbackVerifier;
use tencent_faceid::orders::MemoryOrderStore;
use tencent_faceid_emulator::Outcome as EmulatorOutcome;

async fn handler(calls: web::Data<AtomicUsize>, Verified(outcome): Verified) -> HttpResponse {
    calls.fetch_add(1, Ordering::SeqCst);
    HttpResponse::Ok().json(Summary::of(&outcome))
}

async fn lenient(verified: Result<Verified, VerifiedRejection>) -> HttpResponse {
    match verified {
        Ok(Verified(outcome)) => HttpResponse::Ok().body(format!("welcome {}", outcome.user_id)),
        Err(VerifiedRejection::Rejected { rejection, .. }) => {
            HttpResponse::Ok().body(format!("own page for {}", rejection.kind().as_str()))
        }
        Err(other) => HttpResponse::InternalServerError().body(other.to_string()),
    }
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

/// How the verifier is registered in the app data.
enum Registered {
    Data(CallbackVerifier),
    Plain(CallbackVerifier),
    Nothing,
}

/// Sends `query` to an app with `registered` in its app data, whose
/// callback route runs [`handler`] (or [`lenient`]).
async fn send(
    registered: Registered,
    lenient_route: bool,
    calls: &Arc<AtomicUsize>,
    query: &str,
) -> Answer {
    let app = App::new().app_data(web::Data::from(Arc::clone(calls)));
    let app = match registered {
        Registered::Data(verifier) => app.app_data(web::Data::new(verifier)),
        Registered::Plain(verifier) => app.app_data(verifier),
        Registered::Nothing => app,
    };
    let app = if lenient_route {
        app.route(CALLBACK_PATH, web::get().to(lenient))
    } else {
        app.route(CALLBACK_PATH, web::get().to(handler))
    };
    let service = test::init_service(app).await;
    let request = test::TestRequest::get()
        .uri(&format!("{CALLBACK_PATH}?{query}"))
        .to_request();
    let response = test::call_service(&service, request).await;
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let body = test::read_body(response).await;
    Answer {
        status,
        content_type,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

#[actix_web::test]
async fn matrix_through_actix() {
    let calls = Arc::new(AtomicUsize::new(0));
    let expected_calls = run_matrix(|verifier, query| {
        let calls = Arc::clone(&calls);
        async move {
            let answer = send(Registered::Data(verifier), false, &calls, &query).await;
            if answer.status == StatusCode::OK {
                Observed::Accepted(serde_json::from_str(&answer.body).unwrap())
            } else {
                assert_eq!(answer.content_type, "text/plain; charset=utf-8");
                Observed::Rejected {
                    status: answer.status.as_u16(),
                    kind: None,
                }
            }
        }
    })
    .await;
    assert_eq!(calls.load(Ordering::SeqCst), expected_calls);
}

#[actix_web::test]
async fn rejection_bodies_say_what_was_wrong_without_secrets() {
    let store = MemoryOrderStore::new();
    start_order(&store, "order1", TTL).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let forged = callback("order1", "0", FOREIGN_TICKET);
    let answer = send(
        Registered::Data(verifier(Tickets::Current, &store)),
        false,
        &calls,
        &forged,
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert!(
        answer
            .body
            .starts_with("newSignature does not match for order order1"),
        "{}",
        answer.body
    );
    let signature = &forged[forged.find("newSignature=").unwrap() + 13..];
    assert!(!answer.body.contains(signature) && !answer.body.contains(TICKET));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn a_plain_verifier_in_app_data_works_too() {
    let store = MemoryOrderStore::new();
    start_order(&store, "order1", TTL).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let registered = Registered::Plain(verifier(Tickets::Current, &store));
    let answer = send(registered, false, &calls, &callback("order1", "0", TICKET)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[actix_web::test]
async fn a_missing_verifier_is_a_clear_500() {
    let calls = Arc::new(AtomicUsize::new(0));
    let answer = send(
        Registered::Nothing,
        false,
        &calls,
        &callback("order1", "0", TICKET),
    )
    .await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        answer.body.contains("no CallbackVerifier in the app data"),
        "{}",
        answer.body
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[actix_web::test]
async fn the_result_form_lets_the_handler_render_rejections() {
    let store = MemoryOrderStore::new();
    start_order(&store, "order1", TTL).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let verifier = verifier(Tickets::Current, &store);
    let good = callback("order1", "0", TICKET);
    let first = send(Registered::Data(verifier.clone()), true, &calls, &good).await;
    assert_eq!(
        (first.status, first.body.as_str()),
        (StatusCode::OK, "welcome user42")
    );
    let replay = send(Registered::Data(verifier), true, &calls, &good).await;
    assert_eq!(
        (replay.status, replay.body.as_str()),
        (StatusCode::OK, "own page for replay")
    );
}

#[actix_web::test]
async fn end_to_end_with_the_emulator_and_confirmation() {
    let partner = Partner::start(true).await;
    let calls = Arc::new(AtomicUsize::new(0));
    let (started, query) = partner.finished_session(EmulatorOutcome::Pass).await;
    let registered = Registered::Data(partner.verifier.clone());
    let answer = send(registered, false, &calls, &query).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let summary: Summary = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(summary.order_no, started.order_no.as_str());
    assert!(summary.passed && summary.confirmed);
    // Replayed: 409, and the handler does not run again.
    let registered = Registered::Data(partner.verifier.clone());
    let replay = send(registered, false, &calls, &query).await;
    assert_eq!(replay.status, StatusCode::CONFLICT);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
