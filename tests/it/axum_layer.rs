//! The tower layer and the axum extractor, through an axum `Router`.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::common::*;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, Response, StatusCode, header};
use axum::routing::get;
use axum::{Json, Router};
use tencent_faceid::axum::{Verified, VerifiedRejection};
use tencent_faceid::callback::{CallbackRejection, CallbackVerifier, VerificationOutcome};
use tencent_faceid::client::ResultCode;
use tencent_faceid::orders::MemoryOrderStore;
use tencent_faceid::tower::{FaceCallbackLayer, FaceCallbackService};
use tencent_faceid_emulator::Outcome as EmulatorOutcome;
use tower::{Layer, ServiceExt};

/// Counts the handler's runs.
type Calls = Arc<AtomicUsize>;

async fn handler(State(calls): State<Calls>, Verified(outcome): Verified) -> Json<Summary> {
    calls.fetch_add(1, Ordering::SeqCst);
    Json(Summary::of(&outcome))
}

fn app(layer: FaceCallbackLayer, calls: &Calls) -> Router {
    Router::new()
        .route(CALLBACK_PATH, get(handler))
        .route_layer(layer)
        .with_state(Arc::clone(calls))
}

fn request(query: &str) -> Request<Body> {
    Request::get(format!("{CALLBACK_PATH}?{query}"))
        .body(Body::empty())
        .unwrap()
}

struct Answer {
    status: StatusCode,
    content_type: String,
    body: String,
}

async fn send(app: Router, query: &str) -> Answer {
    let response = app.oneshot(request(query)).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        content_type,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

#[tokio::test]
async fn matrix_through_route_layer_with_json_rejections() {
    let calls = Calls::default();
    let expected_calls = run_matrix(|verifier, query| {
        let app = app(FaceCallbackLayer::new(verifier).json_rejections(), &calls);
        async move {
            let answer = send(app, &query).await;
            if answer.status == StatusCode::OK {
                return Observed::Accepted(serde_json::from_str(&answer.body).unwrap());
            }
            assert_eq!(answer.content_type, "application/json");
            let json: serde_json::Value = serde_json::from_str(&answer.body).unwrap();
            Observed::Rejected {
                status: answer.status.as_u16(),
                kind: json["error"].as_str().map(str::to_owned),
            }
        }
    })
    .await;
    // The handler ran for every accepted callback, and for nothing else.
    assert_eq!(calls.load(Ordering::SeqCst), expected_calls);
}

#[tokio::test]
async fn rejections_are_plain_text_by_default_and_keep_secrets() {
    let store = MemoryOrderStore::new();
    start_order(&store, "order1", TTL).await;
    let calls = Calls::default();
    let layer = FaceCallbackLayer::new(verifier(Tickets::Current, &store));
    let forged = callback("order1", "0", FOREIGN_TICKET);
    let answer = send(app(layer, &calls), &forged).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.content_type, "text/plain; charset=utf-8");
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

async fn lenient(verified: Result<Verified, VerifiedRejection>) -> (StatusCode, String) {
    match verified {
        Ok(Verified(outcome)) => (StatusCode::OK, format!("welcome {}", outcome.user_id)),
        Err(VerifiedRejection::Rejected { rejection, .. }) => (
            StatusCode::OK,
            format!("own page for {}", rejection.kind().as_str()),
        ),
        Err(other) => (StatusCode::INTERNAL_SERVER_ERROR, other.to_string()),
    }
}

#[tokio::test]
async fn pass_through_lets_the_handler_render_rejections() {
    let store = MemoryOrderStore::new();
    start_order(&store, "order1", TTL).await;
    let app = Router::new()
        .route(CALLBACK_PATH, get(lenient))
        .route_layer(
            FaceCallbackLayer::new(verifier(Tickets::Current, &store)).pass_rejections_through(),
        );
    let good = callback("order1", "0", TICKET);
    let first = send(app.clone(), &good).await;
    assert_eq!(
        (first.status, first.body.as_str()),
        (StatusCode::OK, "welcome user42")
    );
    let replay = send(app.clone(), &good).await;
    assert_eq!(
        (replay.status, replay.body.as_str()),
        (StatusCode::OK, "own page for replay")
    );
    let forged = send(app, &callback("order1", "0", FOREIGN_TICKET)).await;
    assert_eq!(forged.body, "own page for bad_signature");
}

#[tokio::test]
async fn verified_without_the_layer_is_a_clear_500() {
    let calls = Calls::default();
    let app = Router::new()
        .route(CALLBACK_PATH, get(handler))
        .with_state(Arc::clone(&calls));
    let answer = send(app, &callback("order1", "0", TICKET)).await;
    assert_eq!(answer.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(answer.body.contains("FaceCallbackLayer"), "{}", answer.body);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn passed_through_rejection_without_result_answers_the_rejection() {
    let store = MemoryOrderStore::new();
    let calls = Calls::default();
    let layer =
        FaceCallbackLayer::new(verifier(Tickets::Current, &store)).pass_rejections_through();
    // The handler takes `Verified`, not a `Result`: the rejection answers.
    let answer = send(app(layer, &calls), &callback("order1", "0", TICKET)).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(
        answer
            .body
            .contains("order1 was not started by this server"),
        "{}",
        answer.body
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn router_layer_works_as_well_as_route_layer() {
    let store = MemoryOrderStore::new();
    start_order(&store, "order1", TTL).await;
    let calls = Calls::default();
    let app = Router::new()
        .route(CALLBACK_PATH, get(handler))
        .layer(FaceCallbackLayer::new(verifier(Tickets::Current, &store)))
        .with_state(Arc::clone(&calls));
    let ok = send(app.clone(), &callback("order1", "0", TICKET)).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let bad = send(app, "code=0").await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn any_body_types_and_the_outcome_in_extensions() {
    let store = MemoryOrderStore::new();
    start_order(&store, "order1", TTL).await;
    let verifier: CallbackVerifier = verifier(Tickets::Current, &store);
    // A plain tower service with `String` bodies, no axum involved.
    let inner = tower::service_fn(|request: Request<String>| async move {
        let outcome = request.extensions().get::<VerificationOutcome>().cloned();
        let seen = request.extensions().get::<CallbackRejection>().is_some();
        let text = format!(
            "{} {} {seen}",
            request.body(),
            outcome.map(|o| o.order_no.to_string()).unwrap_or_default()
        );
        Ok::<_, Infallible>(Response::new(text))
    });
    let service: FaceCallbackService<_> = FaceCallbackLayer::new(verifier).layer(inner);
    let make = |query: &str| {
        Request::get(format!("/cb?{query}"))
            .body("posted".to_owned())
            .unwrap()
    };
    let response = service
        .clone()
        .oneshot(make(&callback("order1", "0", TICKET)))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body(), "posted order1 false");
    let rejected = service.oneshot(make("orderNo=x")).await.unwrap();
    assert_eq!(rejected.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        rejected.body(),
        "malformed callback: parameter `code` is missing"
    );
}

#[tokio::test]
async fn end_to_end_with_the_emulator_and_confirmation() {
    let partner = Partner::start(true).await;
    let calls = Calls::default();
    let app = app(FaceCallbackLayer::new(partner.verifier.clone()), &calls);
    let (started, query) = partner.finished_session(EmulatorOutcome::Pass).await;
    let answer = send(app.clone(), &query).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let summary: Summary = serde_json::from_str(&answer.body).unwrap();
    assert_eq!(summary.order_no, started.order_no.as_str());
    assert!(summary.passed && summary.confirmed);

    // A pass forged with the vendor's ticket for a failed session: 403.
    let failure = EmulatorOutcome::Fail(ResultCode::from_code("66660004"));
    let (failed, _) = partner.finished_session(failure).await;
    let forged = send(app, &partner.forged_pass(&failed)).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
