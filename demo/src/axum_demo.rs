//! The whole H5 face-verification flow in an axum app (`cargo run
//! --example demo`): a form at `/`, `/start` redirecting to the H5 page,
//! `/face/callback` behind the crate's layer showing the verified outcome,
//! the App SDK edition at `/sdk/start` and `/sdk/result`, a WeChat mini
//! program at `/wechat/start` and `/wechat/result`, and the sessions
//! list and metrics. The example's documentation lists its settings.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, Form, FromRef, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use tencent_faceid::FaceId;
use tencent_faceid::axum::{SdkVerified, Verified, VerifiedRejection, WeChatVerified};
use tencent_faceid::callback::BodyFormat;
use tencent_faceid::callback::CallbackVerifier;
use tencent_faceid::session::Started;
use tencent_faceid_emulator::Emulator;
use url::Url;

use crate::pages::Site;
use crate::wiring::{BoxError, Options};
use crate::{editions, pages, sessions, wiring};

/// The demo app and the emulator it uses when no vendor is configured.
pub struct Demo {
    /// The app's routes.
    pub router: Router,
    /// The embedded emulator, when the demo runs offline.
    pub emulator: Option<Emulator>,
}

/// Builds the demo for a server reachable at `public_url`, with the
/// [`Options`] of the environment.
pub async fn demo(public_url: Url) -> Result<Demo, BoxError> {
    demo_with(public_url, Options::from_env()).await
}

/// Builds the demo for a server reachable at `public_url`, with `options`.
pub async fn demo_with(public_url: Url, options: Options) -> Result<Demo, BoxError> {
    let (face_id, emulator) = wiring::face_id(options).await?;
    let state = AppState {
        callback_url: public_url.join("face/callback")?,
        site: Site::new(public_url.path()),
        face_id: face_id.clone(),
    };
    // At the root, and below the public URL's path prefix when it has one
    // (a proxy may strip it or keep it).
    let prefixed = wiring::prefix(&public_url).map(|prefix| format!("{prefix}/"));
    let mut router = Router::new();
    for base in std::iter::once("/".to_owned()).chain(prefixed) {
        // A GET verified by the layer (its rejections shown on a page);
        // 405 with `Allow: GET` otherwise.
        let layer = face_id.layer().pass_rejections_through();
        let callback = layer.callback_route(callback);
        router = router
            .route(&format!("{base}face/callback"), callback)
            .route(&base, get(index))
            .route(&format!("{base}start"), post(start))
            .route(&format!("{base}sdk/start"), post(sdk_start))
            .route(&format!("{base}sdk/result"), post(sdk_result))
            .route(&format!("{base}wechat/start"), post(wechat_start))
            .route(&format!("{base}wechat/result"), post(wechat_result))
            .route(&format!("{base}sessions"), get(sessions_page))
            .route(&format!("{base}sessions.json"), get(sessions_json))
            // 200 when ready, 503 otherwise: a Kubernetes readiness probe.
            .route(&format!("{base}ready"), face_id.health_route())
            .route(
                &format!("{base}metrics"),
                get(|| async { sessions::metrics() }),
            );
    }
    let router = router.with_state(state);
    Ok(Demo { router, emulator })
}

#[derive(Clone)]
struct AppState {
    face_id: FaceId,
    callback_url: Url,
    site: Site,
}

/// The verifier `SdkVerified` checks results with.
impl FromRef<AppState> for CallbackVerifier {
    fn from_ref(state: &AppState) -> Self {
        state.face_id.verifier().clone()
    }
}

async fn index(State(state): State<AppState>) -> Html<String> {
    Html(pages::index(&state.site, "axum"))
}

async fn start(
    State(state): State<AppState>,
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<editions::StartForm>,
) -> Result<Started, Response> {
    let problem = |status: u16, message: &str| {
        let page = pages::problem(&state.site, 1, "Could not start", message);
        (status_code(status), Html(page)).into_response()
    };
    let mut request = form
        .session(state.callback_url.clone())
        .map_err(|(status, message)| problem(status, &message))?;
    if let Some(Extension(ConnectInfo(addr))) = client {
        request = request.client_addr(addr.ip());
    }
    let started = state.face_id.start(request).await;
    let started = started.map_err(|error| problem(error.status(), &error.public_message()))?;
    sessions::started(&started.order_no);
    Ok(started)
}

/// `POST /sdk/start`: the App SDK's launch parameters, as JSON.
async fn sdk_start(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let request = match editions::sdk_request(content_type, &body) {
        Ok(request) => request,
        Err(message) => {
            return (StatusCode::BAD_REQUEST, Json(editions::problem(&message))).into_response();
        }
    };
    match state.face_id.start_sdk(request).await {
        Ok(launch) => {
            sessions::started(&launch.agreement_no);
            Json(launch).into_response()
        }
        Err(error) => error.to_response(BodyFormat::Json).into_response(),
    }
}

/// `POST /sdk/result`: the SDK's result, forwarded by the app, verified.
async fn sdk_result(SdkVerified(outcome): SdkVerified) -> Json<serde_json::Value> {
    Json(editions::sdk_outcome(&outcome))
}

/// `POST /wechat/start`: a WeChat mini program's session, its BizToken as
/// JSON.
async fn wechat_start(State(state): State<AppState>, body: Bytes) -> Response {
    let request = match editions::mini_program_request(&body) {
        Ok(request) => request,
        Err(message) => {
            return (StatusCode::BAD_REQUEST, Json(editions::problem(&message))).into_response();
        }
    };
    match state.face_id.start(request).await {
        Ok(started) => {
            sessions::started(&started.order_no);
            Json(editions::mini_program_started(&started)).into_response()
        }
        Err(error) => error.to_response(BodyFormat::Json).into_response(),
    }
}

/// `POST /wechat/result`: a WeChat mini program's BizToken
/// (`{"bizToken": …}`), verified with the vendor's record.
async fn wechat_result(WeChatVerified(outcome): WeChatVerified) -> Json<serde_json::Value> {
    Json(editions::sdk_outcome(&outcome))
}

async fn sessions_page(State(state): State<AppState>) -> Html<String> {
    Html(sessions::html(&state.site))
}

async fn sessions_json() -> Response {
    ([(CONTENT_TYPE, "application/json")], sessions::json()).into_response()
}

async fn callback(
    State(state): State<AppState>,
    verified: Result<Verified, VerifiedRejection>,
) -> Response {
    match verified {
        Ok(Verified(outcome)) => {
            let photo = wiring::evidence(&state.face_id, &outcome).await;
            Html(pages::outcome(&state.site, &outcome, photo.as_ref())).into_response()
        }
        // A HEAD: the crate's own answer, with `Allow: GET`.
        Err(rejection) if rejection.status() == 405 => rejection.to_response().into_response(),
        Err(rejection) => {
            let status = rejection.rejection().map_or(500, |r| r.status());
            let page = pages::problem(&state.site, 3, "Not accepted", &rejection.to_string());
            (status_code(status), Html(page)).into_response()
        }
    }
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
