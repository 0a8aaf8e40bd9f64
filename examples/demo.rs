//! The whole H5 face-verification flow in an axum app, wired to the
//! embedded emulator: `cargo run --example demo`, then open the printed URL.
//!
//! `/` shows a form, `/start` starts a session and redirects to the H5
//! page, whose "pass" and "fail" buttons come back to `/face/callback`,
//! which sits behind `FaceCallbackLayer` and shows the verified outcome.
//!
//! To talk to the real vendor instead, set:
//!
//! | variable | meaning |
//! |---|---|
//! | `FACEID_APP_ID` | your WBappid (its presence switches the emulator off) |
//! | `FACEID_SECRET` | your secret |
//! | `FACEID_BASE_URL` | the vendor's base URL (default `https://miniprogram-kyc.tencentcloudapi.com`) |
//! | `DEMO_PUBLIC_URL` | this server's public URL, which the browser is sent back to |
//! | `DEMO_BROWSER_BINDING` | `0` accepts callbacks from any browser (default: only from the one that started) |
//! | `DEMO_ADDR` | where to listen (default `127.0.0.1:3000`; `127.0.0.1:0` picks a port) |

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Form, State};
use axum::http::header::{HeaderValue, CONTENT_TYPE, SET_COOKIE};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde::Deserialize;
use tencent_faceid::axum::Verified;
use tencent_faceid::emulator::Emulator;
use tencent_faceid::model::UserId;
use tencent_faceid::nonce::random_alphanumeric;
use tencent_faceid::session::{SessionStarter, StartSession};
use tencent_faceid::tower::FaceCallbackLayer;
use url::Url;

#[path = "support/sessions.rs"]
mod sessions;
#[path = "support/wiring.rs"]
mod wiring;

use wiring::{
    announce, describe, html_page, init_tracing, public_url, wire, BoxError, Wiring, INDEX_FORM,
};

/// The demo app and, when no vendor is configured, the emulator it uses
/// (kept alive with the app).
pub struct Demo {
    /// The app's routes.
    pub router: Router,
    /// The embedded emulator, when the demo runs offline.
    pub emulator: Option<Emulator>,
}

/// Builds the demo for a server reachable at `public_url`.
pub async fn demo(public_url: Url) -> Result<Demo, BoxError> {
    let Wiring {
        starter,
        verifier,
        callback_url,
        emulator,
    } = wire(&public_url).await?;
    let router = Router::new()
        .route("/face/callback", get(callback))
        .route_layer(FaceCallbackLayer::new(verifier))
        .route("/", get(index))
        .route("/start", post(start))
        .route(
            "/sessions",
            get(|| async { page(StatusCode::OK, &sessions::html()) }),
        )
        .route(
            "/sessions.json",
            get(|| async { ([(CONTENT_TYPE, "application/json")], sessions::json()) }),
        )
        .route("/metrics", get(|| async { sessions::metrics() }))
        .with_state(AppState {
            starter,
            callback_url,
        });
    Ok(Demo { router, emulator })
}

#[derive(Clone)]
struct AppState {
    starter: SessionStarter,
    callback_url: Url,
}

async fn index() -> Response {
    page(
        StatusCode::OK,
        &format!("<h1>Face verification demo</h1>{INDEX_FORM}"),
    )
}

#[derive(Deserialize)]
struct StartForm {
    name: String,
    id_number: String,
}

async fn start(
    State(state): State<AppState>,
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<StartForm>,
) -> Response {
    let user_id = match UserId::new(format!("demo{}", random_alphanumeric(12))) {
        Ok(user_id) => user_id,
        Err(error) => return page(StatusCode::INTERNAL_SERVER_ERROR, &error.to_string()),
    };
    let mut request = StartSession::new(user_id, state.callback_url)
        .name(form.name)
        .id_number(form.id_number);
    if let Some(Extension(ConnectInfo(addr))) = client {
        request = request.client_addr(addr.ip());
    }
    match state.starter.start(request).await {
        Ok(started) => {
            sessions::started(&started.order_no);
            let mut response = Redirect::to(started.redirect_url.as_str()).into_response();
            if let Some(binding) = &started.binding {
                match HeaderValue::from_str(binding.set_cookie()) {
                    Ok(cookie) => response.headers_mut().append(SET_COOKIE, cookie),
                    Err(_) => {
                        return page(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "the binding cookie is not a valid header",
                        )
                    }
                };
            }
            response
        }
        Err(error) => page(
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_GATEWAY),
            &format!("Could not start verification: {error}"),
        ),
    }
}

async fn callback(Verified(outcome): Verified) -> Response {
    page(StatusCode::OK, &describe(&outcome))
}

fn page(status: StatusCode, body: &str) -> Response {
    (status, Html(html_page(body))).into_response()
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    init_tracing();
    let addr: SocketAddr = std::env::var("DEMO_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:3000".to_owned())
        .parse()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let public_url = public_url(listener.local_addr()?)?;
    let Demo { router, emulator } = demo(public_url.clone()).await?;
    announce(emulator.as_ref(), &public_url);
    let app = router.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).await?;
    Ok(())
}
