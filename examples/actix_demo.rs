//! The same flow as `demo`, in actix-web with the `VerifiedCallback`
//! extractor: `cargo run --example actix_demo`, then open the printed URL.
//!
//! Configuration: the same environment variables as `demo`
//! (`FACEID_APP_ID`, `FACEID_SECRET`, `FACEID_BASE_URL`, `DEMO_PUBLIC_URL`,
//! `DEMO_BROWSER_BINDING`, `DEMO_ADDR`, default `127.0.0.1:3001` here).

use std::net::TcpListener;

use actix_web::http::{header, StatusCode};
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde::Deserialize;
use tencent_faceid::actix::VerifiedCallback;
use tencent_faceid::callback::CallbackVerifier;
use tencent_faceid::emulator::Emulator;
use tencent_faceid::model::UserId;
use tencent_faceid::nonce::random_alphanumeric;
use tencent_faceid::session::{SessionStarter, StartSession};
use url::Url;

#[path = "support/sessions.rs"]
mod sessions;
#[path = "support/wiring.rs"]
mod wiring;

use wiring::{
    announce, describe, html_page, init_tracing, public_url, wire, BoxError, Wiring, INDEX_FORM,
};

/// What the actix app needs: built once, cloned into every worker.
#[derive(Clone)]
pub struct DemoState {
    starter: SessionStarter,
    verifier: CallbackVerifier,
    callback_url: Url,
}

/// Builds the demo's state for a server reachable at `public_url`, and the
/// emulator it uses when no vendor is configured (keep it alive).
pub async fn demo_state(public_url: Url) -> Result<(DemoState, Option<Emulator>), BoxError> {
    let Wiring {
        starter,
        verifier,
        callback_url,
        emulator,
    } = wire(&public_url).await?;
    let state = DemoState {
        starter,
        verifier,
        callback_url,
    };
    Ok((state, emulator))
}

/// Registers the demo's routes and data on an actix `App`.
pub fn configure(state: DemoState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        config
            .app_data(web::Data::new(state.verifier.clone()))
            .app_data(web::Data::new(state))
            .route("/", web::get().to(index))
            .route("/start", web::post().to(start))
            .route(
                "/sessions",
                web::get().to(|| async { page(&sessions::html()) }),
            )
            .route(
                "/sessions.json",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(sessions::json())
                }),
            )
            .route("/metrics", web::get().to(|| async { sessions::metrics() }))
            .route("/face/callback", web::get().to(callback));
    }
}

async fn index() -> HttpResponse {
    page(&format!(
        "<h1>Face verification demo (actix-web)</h1>{INDEX_FORM}"
    ))
}

#[derive(Deserialize)]
struct StartForm {
    name: String,
    id_number: String,
}

async fn start(
    http: HttpRequest,
    state: web::Data<DemoState>,
    form: web::Form<StartForm>,
) -> HttpResponse {
    let form = form.into_inner();
    let user_id = match UserId::new(format!("demo{}", random_alphanumeric(12))) {
        Ok(user_id) => user_id,
        Err(error) => return HttpResponse::InternalServerError().body(error.to_string()),
    };
    let mut request = StartSession::new(user_id, state.callback_url.clone())
        .name(form.name)
        .id_number(form.id_number);
    if let Some(addr) = http.peer_addr() {
        request = request.client_addr(addr.ip());
    }
    match state.starter.start(request).await {
        Ok(started) => {
            sessions::started(&started.order_no);
            let mut response = HttpResponse::SeeOther();
            response.insert_header((header::LOCATION, started.redirect_url.as_str()));
            if let Some(binding) = &started.binding {
                response.append_header((header::SET_COOKIE, binding.set_cookie()));
            }
            response.finish()
        }
        Err(error) => HttpResponse::build(
            StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_GATEWAY),
        )
        .body(format!("Could not start verification: {error}")),
    }
}

async fn callback(VerifiedCallback(outcome): VerifiedCallback) -> HttpResponse {
    page(&describe(&outcome))
}

fn page(body: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html_page(body))
}

#[actix_web::main]
async fn main() -> Result<(), BoxError> {
    init_tracing();
    let addr = std::env::var("DEMO_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    let listener = TcpListener::bind(&addr)?;
    let public_url = public_url(listener.local_addr()?)?;
    let (state, emulator) = demo_state(public_url.clone()).await?;
    announce(emulator.as_ref(), &public_url);
    HttpServer::new(move || App::new().configure(configure(state.clone())))
        .listen(listener)?
        .run()
        .await?;
    Ok(())
}
