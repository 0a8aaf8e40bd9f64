//! The emulator's HTTP face: the vendor's endpoints, the H5 page, faults.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;

use super::fault::FaultKind;
use super::page::{self, COMPLETE_PATH, FRONT_END_OUTCOME};
use super::rules::{LoginPage, Params, Rejection, Vendor, vendor_time};
use super::{EmulatorError, Refusal, Shared};
use tencent_faceid::client::Endpoint;
use tencent_faceid::client::{FrontEndCode, ResultCode};
use tencent_faceid::session::Edition;

/// The H5 login page.
pub(super) const LOGIN_PATH: &str = "/api/web/login";

pub(super) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(Endpoint::AccessToken.path(), get(access_token))
        .route(Endpoint::ApiTicket.path(), get(api_ticket))
        .route(Endpoint::StartSession.path(), post(start_session))
        .route(Endpoint::QueryRecord.path(), post(query_record))
        .route(Endpoint::StartEnhanced.path(), post(start_enhanced))
        .route(Endpoint::StartSdk.path(), post(start_sdk))
        .route(LOGIN_PATH, get(login_page))
        .route(COMPLETE_PATH, post(complete))
        .route(super::sdk::SDK_RUN_PATH, post(run_sdk))
        .with_state(shared)
}

/// A vendor error answer: HTTP 200 with the code, as the vendor does.
#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a ResultCode,
    msg: &'a str,
    #[serde(rename = "transactionTime")]
    transaction_time: String,
}

impl Vendor {
    fn error_answer(&self, code: &ResultCode, msg: &str) -> Response {
        Json(ErrorBody {
            code,
            msg,
            transaction_time: vendor_time(self.now()),
        })
        .into_response()
    }

    fn answer<T: Serialize>(&self, endpoint: Endpoint, result: Result<T, Rejection>) -> Response {
        match result {
            Ok(body) => Json(body).into_response(),
            Err(rejection) => {
                let code = rejection.refusal.code();
                tracing::debug!(
                    %endpoint,
                    code = code.as_str(),
                    msg = rejection.msg,
                    "emulator rejected a request"
                );
                self.error_answer(&code, &rejection.msg)
            }
        }
    }
}

impl Shared {
    /// Runs the next queued fault for `endpoint`, if any: `Some` answer
    /// replaces the endpoint's own.
    async fn fault(&self, endpoint: Endpoint) -> Option<Response> {
        let fault = self.faults.take(endpoint)?;
        tracing::debug!(%endpoint, ?fault, "emulator injects a fault");
        let stopped = || async {
            let mut stop = self.stop.subscribe();
            // The sender lives in `self`: `wait_for` ends when it is set.
            let _ = stop.wait_for(|stopped| *stopped).await;
            Some(StatusCode::SERVICE_UNAVAILABLE.into_response())
        };
        match fault {
            FaultKind::HttpStatus(status) => Some(
                StatusCode::from_u16(status)
                    .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
                    .into_response(),
            ),
            FaultKind::VendorError(code) => Some(
                self.vendor
                    .error_answer(&code, code.description().unwrap_or("injected error")),
            ),
            FaultKind::RawBody(body) => {
                Some(([(header::CONTENT_TYPE, "application/json")], body).into_response())
            }
            FaultKind::Delay(delay) => tokio::select! {
                () = tokio::time::sleep(delay) => None,
                stopped = stopped() => stopped,
            },
            FaultKind::Hold(release) => tokio::select! {
                () = release.notified() => None,
                stopped = stopped() => stopped,
            },
        }
    }
}

impl Shared {
    /// The login page opened with `query`, by a browser or by
    /// [`Emulator::complete_login`](super::Emulator::complete_login): counted,
    /// then checked as the vendor's page checks its link.
    pub(super) fn open_login_page(&self, query: Option<&str>) -> Result<LoginPage, Rejection> {
        self.counts.add(|c| &c.login_page);
        self.vendor.open_login_page(&Params::parse(query))
    }

    /// A vendor endpoint: the next fault for it, or the vendor's answer.
    async fn vendor_call<T: Serialize>(
        &self,
        endpoint: Endpoint,
        call: impl FnOnce(&Vendor) -> Result<T, Rejection>,
    ) -> Response {
        match self.fault(endpoint).await {
            Some(response) => response,
            None => self.vendor.answer(endpoint, call(&self.vendor)),
        }
    }
}

async fn access_token(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    shared.counts.add(|c| &c.access_token);
    let params = Params::parse(query.as_deref());
    shared
        .vendor_call(Endpoint::AccessToken, |vendor| vendor.access_token(&params))
        .await
}

async fn api_ticket(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    let params = Params::parse(query.as_deref());
    if params.get("type") == Some("NONCE") {
        shared.counts.add(|c| &c.nonce_ticket);
    } else {
        shared.counts.add(|c| &c.sign_ticket);
    }
    shared
        .vendor_call(Endpoint::ApiTicket, |vendor| vendor.api_ticket(&params))
        .await
}

async fn start_session(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    shared.counts.add(|c| &c.start_session);
    shared
        .vendor_call(Endpoint::StartSession, |vendor| vendor.start_session(&body))
        .await
}

async fn start_enhanced(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    shared.counts.add(|c| &c.start_enhanced);
    shared
        .vendor_call(Endpoint::StartEnhanced, |vendor| {
            vendor.start_face_id(&body, Edition::Enhanced)
        })
        .await
}

async fn start_sdk(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    shared.counts.add(|c| &c.start_sdk);
    shared
        .vendor_call(Endpoint::StartSdk, |vendor| {
            vendor.start_face_id(&body, Edition::AppSdk)
        })
        .await
}

async fn query_record(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    shared.counts.add(|c| &c.query_record);
    shared
        .vendor_call(Endpoint::QueryRecord, |vendor| vendor.query_record(&body))
        .await
}

/// An error page (see [`page::error`]) with `status`.
fn error_page(status: StatusCode, code: &ResultCode, msg: &str) -> Response {
    (status, Html(page::error(code.as_str(), msg))).into_response()
}

fn page_rejection(rejection: &Rejection) -> Response {
    let status = match rejection.refusal {
        Refusal::InvalidSign | Refusal::InvalidCredentials | Refusal::LoginLinkUsed => {
            StatusCode::FORBIDDEN
        }
        Refusal::UnknownSession => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    };
    let code = rejection.refusal.code();
    tracing::debug!(
        code = code.as_str(),
        msg = rejection.msg,
        "emulator refused the login page"
    );
    error_page(status, &code, &rejection.msg)
}

async fn login_page(State(shared): State<Arc<Shared>>, RawQuery(query): RawQuery) -> Response {
    match shared.open_login_page(query.as_deref()) {
        Ok(LoginPage {
            order_no,
            h5face_id,
        }) => Html(page::login(&order_no, &h5face_id)).into_response(),
        Err(rejection) => page_rejection(&rejection),
    }
}

/// The H5 page's buttons: record the outcome, send the browser back.
/// The outcome `params` ask for: `outcome=pass`, `outcome=fail` with a
/// `code` of 1 to 16 digits, or a front-end code; else what is wrong.
fn outcome_code(params: &Params) -> Result<ResultCode, &'static str> {
    match (params.get("outcome"), params.get("code")) {
        (Some("pass"), _) => Ok(ResultCode::Success),
        (Some("fail"), Some(code))
            if (1..=16).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(ResultCode::from_code(code))
        }
        (Some("fail"), _) => Err("the error code must be 1 to 16 digits"),
        (Some(outcome), _) => outcome
            .strip_prefix(FRONT_END_OUTCOME)
            .and_then(FrontEndCode::from_code)
            .map(ResultCode::FrontEnd)
            .ok_or("outcome must be pass, fail or a front-end code"),
        _ => Err("outcome must be pass, fail or a front-end code"),
    }
}

/// `POST /emulator/sdk/run` ([`SDK_RUN_PATH`](super::sdk::SDK_RUN_PATH)):
/// the SDK played over HTTP, answering the body the app forwards.
async fn run_sdk(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let refused = |message: String| {
        let body = Json(serde_json::json!({ "error": message }));
        (StatusCode::BAD_REQUEST, body).into_response()
    };
    let code = match outcome_code(&Params::parse(query.as_deref())) {
        Ok(code) => code,
        Err(message) => return refused(message.to_owned()),
    };
    let Ok(launch) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return refused("the body must be the launch parameters, as JSON".to_owned());
    };
    match super::sdk::run(&shared.vendor, &launch, code) {
        Ok(answer) => Json(answer.forwarded()).into_response(),
        Err(error) => refused(error.to_string()),
    }
}

async fn complete(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let form = Params::parse(std::str::from_utf8(&body).ok());
    let bad = |msg: &str| {
        let code = Refusal::InvalidRequest.code();
        error_page(StatusCode::BAD_REQUEST, &code, msg)
    };
    let Some(h5face_id) = form.get("h5faceId") else {
        return bad("the form has no h5faceId");
    };
    let code = match outcome_code(&form) {
        Ok(code) => code,
        Err(msg) => return bad(msg),
    };
    match shared.vendor.complete(h5face_id, code) {
        Ok(url) => (StatusCode::FOUND, [(header::LOCATION, url.as_str())]).into_response(),
        Err(error) => {
            // Static messages: the error's own text would reflect the form.
            let (status, msg) = match error {
                EmulatorError::UnknownSession { .. } => {
                    (StatusCode::NOT_FOUND, "no session with this h5faceId")
                }
                EmulatorError::AlreadyCompleted { .. } => {
                    (StatusCode::CONFLICT, "this session already has a result")
                }
                _ => (StatusCode::BAD_REQUEST, "the session cannot be completed"),
            };
            error_page(status, &Refusal::InvalidRequest.code(), msg)
        }
    }
}
