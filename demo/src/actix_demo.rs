//! The same flow as [`axum_demo`](crate::axum_demo), in actix-web with the
//! crate's `Verified` extractor (`cargo run --example actix_demo`).

use actix_web::http::{StatusCode, header};
use actix_web::{Either, HttpRequest, HttpResponse, web};
use tencent_faceid::FaceId;
use tencent_faceid::actix::{SdkVerified, Verified, VerifiedRejection, WeChatVerified};
use tencent_faceid::callback::BodyFormat;
use tencent_faceid::session::Started;
use tencent_faceid_emulator::Emulator;
use url::Url;

use crate::pages::Site;
use crate::wiring::{BoxError, Options};
use crate::{editions, pages, sessions, wiring};

/// What the actix app needs: built once, cloned into every worker.
#[derive(Clone)]
pub struct DemoState {
    face_id: FaceId,
    callback_url: Url,
    site: Site,
    prefix: Option<String>,
}

/// Builds the demo's state for a server reachable at `public_url`, with
/// the [`Options`] of the environment, and the emulator it uses when no
/// vendor is configured.
pub async fn demo_state(public_url: Url) -> Result<(DemoState, Option<Emulator>), BoxError> {
    demo_state_with(public_url, Options::from_env()).await
}

/// Builds the demo's state for a server reachable at `public_url`, with
/// `options`, and the emulator it uses when no vendor is configured.
pub async fn demo_state_with(
    public_url: Url,
    options: Options,
) -> Result<(DemoState, Option<Emulator>), BoxError> {
    let (face_id, emulator) = wiring::face_id(options).await?;
    let state = DemoState {
        face_id,
        callback_url: public_url.join("face/callback")?,
        site: Site::new(public_url.path()),
        prefix: wiring::prefix(&public_url),
    };
    Ok((state, emulator))
}

/// Registers the demo's routes and data on an actix `App`: at the root,
/// and below the public URL's path prefix when it has one.
pub fn configure(state: DemoState) -> impl FnOnce(&mut web::ServiceConfig) {
    move |config| {
        let (prefix, face_id) = (state.prefix.clone(), state.face_id.clone());
        // The SDK result's extractor finds the verifier in the `FaceId`.
        config
            .app_data(web::Data::new(face_id.clone()))
            .app_data(web::Data::new(state));
        if let Some(prefix) = prefix {
            config.service(web::scope(&prefix).configure(|scope| routes(scope, &face_id)));
        }
        routes(config, &face_id);
    }
}

fn routes(config: &mut web::ServiceConfig, face_id: &FaceId) {
    config
        .route("/", web::get().to(index))
        .route("/start", web::post().to(start))
        .route("/sdk/start", web::post().to(sdk_start))
        .route("/sdk/result", web::post().to(sdk_result))
        .route("/wechat/start", web::post().to(wechat_start))
        .route("/wechat/result", web::post().to(wechat_result))
        // A GET verified by the extractor; 405 with `Allow: GET` otherwise.
        .service(face_id.callback_resource("/face/callback", callback))
        .route("/sessions", web::get().to(sessions_page))
        // 200 when ready, 503 otherwise: a Kubernetes readiness probe.
        .service(face_id.health_resource("/ready"))
        .route(
            "/sessions.json",
            web::get().to(|| async {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(sessions::json())
            }),
        )
        .route("/metrics", web::get().to(|| async { sessions::metrics() }));
}

async fn sessions_page(state: web::Data<DemoState>) -> HttpResponse {
    html(StatusCode::OK, sessions::html(&state.site))
}

async fn index(state: web::Data<DemoState>) -> HttpResponse {
    html(StatusCode::OK, pages::index(&state.site, "actix-web"))
}

async fn start(
    http: HttpRequest,
    state: web::Data<DemoState>,
    form: web::Form<editions::StartForm>,
) -> Either<Started, HttpResponse> {
    let problem = |status: u16, message: &str| {
        let page = pages::problem(&state.site, 1, "Could not start", message);
        html(status_code(status), page)
    };
    let mut request = match form.into_inner().session(state.callback_url.clone()) {
        Ok(request) => request,
        Err((status, message)) => return Either::Right(problem(status, &message)),
    };
    if let Some(addr) = http.peer_addr() {
        request = request.client_addr(addr.ip());
    }
    match state.face_id.start(request).await {
        Ok(started) => {
            sessions::started(&started.order_no);
            Either::Left(started)
        }
        Err(error) => Either::Right(problem(error.status(), &error.public_message())),
    }
}

/// `POST /sdk/start`: the App SDK's launch parameters, as JSON.
async fn sdk_start(
    http: HttpRequest,
    state: web::Data<DemoState>,
    body: web::Bytes,
) -> HttpResponse {
    let content_type = http
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let request = match editions::sdk_request(content_type, &body) {
        Ok(request) => request,
        Err(message) => return HttpResponse::BadRequest().json(editions::problem(&message)),
    };
    match state.face_id.start_sdk(request).await {
        Ok(launch) => {
            sessions::started(&launch.agreement_no);
            HttpResponse::Ok().json(launch)
        }
        Err(error) => {
            let answer = error.to_response(BodyFormat::Json);
            actix_web::Responder::respond_to(answer, &http)
        }
    }
}

/// `POST /sdk/result`: the SDK's result, forwarded by the app, verified.
async fn sdk_result(SdkVerified(outcome): SdkVerified) -> HttpResponse {
    HttpResponse::Ok().json(editions::sdk_outcome(&outcome))
}

/// `POST /wechat/start`: a WeChat mini program's session, its BizToken as
/// JSON.
async fn wechat_start(
    http: HttpRequest,
    state: web::Data<DemoState>,
    body: web::Bytes,
) -> HttpResponse {
    let request = match editions::mini_program_request(&body) {
        Ok(request) => request,
        Err(message) => return HttpResponse::BadRequest().json(editions::problem(&message)),
    };
    match state.face_id.start(request).await {
        Ok(started) => {
            sessions::started(&started.order_no);
            HttpResponse::Ok().json(editions::mini_program_started(&started))
        }
        Err(error) => {
            let answer = error.to_response(BodyFormat::Json);
            actix_web::Responder::respond_to(answer, &http)
        }
    }
}

/// `POST /wechat/result`: a WeChat mini program's BizToken
/// (`{"bizToken": …}`), verified with the vendor's record.
async fn wechat_result(WeChatVerified(outcome): WeChatVerified) -> HttpResponse {
    HttpResponse::Ok().json(editions::sdk_outcome(&outcome))
}

async fn callback(
    state: web::Data<DemoState>,
    verified: Result<Verified, VerifiedRejection>,
) -> HttpResponse {
    match verified {
        Ok(Verified(outcome)) => {
            let photo = wiring::evidence(&state.face_id, &outcome).await;
            let page = pages::outcome(&state.site, &outcome, photo.as_ref());
            html(StatusCode::OK, page)
        }
        Err(rejection) => {
            let status = rejection.rejection().map_or(500, |r| r.status());
            let page = pages::problem(&state.site, 3, "Not accepted", &rejection.to_string());
            html(status_code(status), page)
        }
    }
}

fn html(status: StatusCode, page: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(page)
}

fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
