//! actix-web extractor for verified callbacks.
//!
//! Register the verifier in the app data (a [`FaceId`], or
//! a [`CallbackVerifier`], as `web::Data`) and take [`Verified`] in the
//! callback handler: the callback is verified while the handler's
//! arguments are extracted, so the handler only runs for a verified
//! callback. Rejections answer with their status and message, as plain
//! text, or as JSON when the app data holds [`BodyFormat::Json`] (or the
//! `FaceId` was built with
//! [`json_rejections`](crate::facade::FaceIdBuilder::json_rejections)).
//!
//! ```
//! use actix_web::{web, App, HttpResponse};
//! use tencent_faceid::actix::Verified;
//! use tencent_faceid::callback::BodyFormat;
//!
//! async fn callback(Verified(outcome): Verified) -> HttpResponse {
//!     HttpResponse::Ok().body(format!("order {} passed: {}", outcome.order_no, outcome.passed()))
//! }
//!
//! # let verifier = tencent_faceid::__doctest::verifier()?;
//! let verifier = web::Data::new(verifier);
//! let app = App::new()
//!     .app_data(verifier.clone())
//!     .app_data(BodyFormat::Json) // optional: JSON rejections
//!     .route("/face/callback", web::get().to(callback));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! With a [`FaceId`] in the app data, one registration
//! serves both the start handler and the extractor:
//!
//! ```
//! use actix_web::{web, App};
//! use tencent_faceid::actix::Verified;
//! use tencent_faceid::UserId;
//! use tencent_faceid::session::{StartError, StartSession, Started};
//! use tencent_faceid::FaceId;
//!
//! // POST /start/{user}
//! async fn start(face_id: web::Data<FaceId>, user: web::Path<UserId>) -> Result<Started, StartError> {
//!     let callback = "https://shop.example/face/callback".parse().expect("a valid URL");
//!     face_id.start(StartSession::new(user.into_inner(), callback).name("张三").id_number("110101199003071234")).await
//! }
//!
//! async fn callback(Verified(outcome): Verified) -> &'static str {
//!     if outcome.passed() { "verified" } else { "please try again" }
//! }
//!
//! # #[actix_web::main]
//! # async fn main() -> Result<(), tencent_faceid::facade::FaceIdError> {
//! let face_id = FaceId::builder("appId001", "secret") // or FaceId::from_env()
//!     .callback_url("https://shop.example/face/callback")
//!     .build()
//!     .await?;
//! let app = App::new()
//!     .app_data(web::Data::new(face_id.clone()))
//!     .route("/start/{user}", web::post().to(start))
//!     // GET verified; any other method 405 with `Allow: GET`, as in axum
//!     .service(face_id.callback_resource("/face/callback", callback));
//! # Ok(()) }
//! ```
//!
//! To render your own page for rejections, extract
//! `Result<Verified, VerifiedRejection>` instead. Starting a session is one
//! `?` away too: [`StartError`] is a [`ResponseError`] and [`Started`] a
//! [`Responder`] (a 303 to the vendor's page with the binding cookie). In
//! your handlers' tests, build the outcome with
//! [`VerificationOutcome::for_test`](crate::VerificationOutcome::for_test)
//! and call the handler with
//! `Verified(outcome)`.

use std::future::Future;
use std::pin::Pin;

use actix_web::body::BoxBody;
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{
    FromRequest, Handler, HttpRequest, HttpResponse, Resource, Responder, ResponseError, web,
};

use crate::binding;
use crate::callback::{BrowserCallback, CallbackRejection, CallbackVerifier, method_not_allowed};
use crate::facade::{FaceId, HealthReport};
use crate::render::{BodyFormat, ErrorResponse};
// The extractors' types, framework-free; only the actix-web traits are here.
#[doc(no_inline)]
pub use crate::extract::{SdkVerified, Verified, VerifiedRejection, WeChatVerified};
use crate::sdk::{refuse_too_long, verify_result_body};
use crate::session::{StartError, Started};
use crate::wechat;

/// The verifier in the app data and the format to answer rejections in.
fn configured(request: &HttpRequest) -> Option<(CallbackVerifier, BodyFormat)> {
    let format = request
        .app_data::<BodyFormat>()
        .or_else(|| request.app_data::<web::Data<BodyFormat>>().map(|d| &***d))
        .copied();
    if let Some(verifier) = request
        .app_data::<web::Data<CallbackVerifier>>()
        .map(|data| CallbackVerifier::clone(data))
        .or_else(|| request.app_data::<CallbackVerifier>().cloned())
    {
        return Some((verifier, format.unwrap_or_default()));
    }
    let face_id = request.app_data::<web::Data<FaceId>>()?;
    Some((
        face_id.verifier().clone(),
        format.unwrap_or(face_id.rejection_format()),
    ))
}

impl FaceId {
    /// The callback resource at `path`: `handler` for a `GET` (this
    /// `FaceId` is in the resource's app data, for [`Verified`]), and 405
    /// with `Allow: GET` for every other method (`HEAD` included), as the
    /// axum adapter answers; no other method is verified or reaches the
    /// handler. Register it with `App::service`.
    ///
    /// ```
    /// # #[actix_web::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use actix_web::App;
    /// use tencent_faceid::{actix::Verified, FaceId};
    /// async fn callback(Verified(outcome): Verified) -> String {
    ///     format!("passed: {}", outcome.passed())
    /// }
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .callback_url("https://shop.example/face/callback")
    ///     .build()
    ///     .await?;
    /// let app = App::new().service(face_id.callback_resource("/face/callback", callback));
    /// # Ok(()) }
    /// ```
    pub fn callback_resource<F, Args>(&self, path: &str, handler: F) -> Resource
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        let format = self.rejection_format();
        let refuse = move || async move { method_not_allowed().to_response(format) };
        web::resource(path)
            .app_data(web::Data::new(self.clone()))
            .route(web::get().to(handler))
            .default_service(web::to(refuse))
    }

    /// A readiness resource at `path` (`/ready`, say): `GET` answers this
    /// app's [health report](FaceId::health) as JSON, with 200 when it is
    /// ready and 503 when not (`Cache-Control: no-store`); point a
    /// Kubernetes `readinessProbe` at it (README, "Health and readiness
    /// probes"). Register
    /// it with `App::service`.
    ///
    /// ```
    /// # #[actix_web::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use actix_web::App;
    /// use tencent_faceid::facade::WarmUp;
    /// use tencent_faceid::FaceId;
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .callback_url("https://shop.example/face/callback")
    ///     .warm_up(WarmUp::Off)
    ///     .build()
    ///     .await?;
    /// let app = App::new().service(face_id.health_resource("/ready"));
    /// # Ok(()) }
    /// ```
    pub fn health_resource(&self, path: &str) -> Resource {
        let face_id = self.clone();
        web::resource(path).route(web::get().to(move || {
            let face_id = face_id.clone();
            async move { health_response(&face_id.health().await) }
        }))
    }
}

/// A health report as a readiness resource's answer.
fn health_response(report: &HealthReport) -> HttpResponse {
    let status = status_code(report.http_status());
    HttpResponse::build(status)
        .content_type("application/json")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(report.to_json())
}

/// [`Verified`]: extracting it verifies the request's query (and
/// [binding cookie](crate::callback::BindingCookie)) with the verifier in the app data:
/// `web::Data<CallbackVerifier>`, a plain `CallbackVerifier`, or
/// `web::Data<FaceId>`. Only a `GET` is verified: any other method is
/// refused with 405 before verification.
impl FromRequest for Verified {
    type Error = VerifiedRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let configured = configured(request);
        // Cloning a `Uri` shares its bytes; the query is not copied.
        let uri = request.uri().clone();
        let is_get = request.method() == actix_web::http::Method::GET;
        let cookies = request.headers().get_all(header::COOKIE);
        let binding = binding::cookie_value(cookies.filter_map(|value| value.to_str().ok()))
            .map(str::to_owned);
        Box::pin(async move {
            let Some((verifier, format)) = configured else {
                tracing::error!("actix Verified extracted without a CallbackVerifier in app data");
                return Err(VerifiedRejection::NotConfigured);
            };
            let rejected = |rejection| VerifiedRejection::Rejected { rejection, format };
            if !is_get {
                return Err(rejected(method_not_allowed()));
            }
            verifier
                .verify(BrowserCallback::new(
                    uri.query().unwrap_or_default(),
                    binding.as_deref(),
                ))
                .await
                .map(Self)
                .map_err(rejected)
        })
    }
}

/// [`SdkVerified`] from a JSON `POST` body, verified with the verifier in
/// the app data (as for [`Verified`]). Rejections answer as JSON, an answer for an app:
/// 401 tampered, 404 not ours, 409 replayed, 400 not a result.
///
/// ```
/// use actix_web::{web, App, HttpResponse};
/// use tencent_faceid::actix::SdkVerified;
///
/// async fn sdk_result(SdkVerified(outcome): SdkVerified) -> HttpResponse {
///     HttpResponse::Ok().json(serde_json::json!({ "orderNo": outcome.order_no.as_str(), "passed": outcome.passed() }))
/// }
///
/// # fn app(face_id: tencent_faceid::FaceId) {
/// let app = App::new()
///     .app_data(web::Data::new(face_id))
///     .route("/sdk/result", web::post().to(sdk_result));
/// # }
/// ```
impl FromRequest for SdkVerified {
    type Error = VerifiedRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let configured = configured(request);
        let body = web::Bytes::from_request(request, payload);
        Box::pin(async move {
            let Some((verifier, _)) = configured else {
                tracing::error!(
                    "actix SdkVerified extracted without a CallbackVerifier in app data"
                );
                return Err(VerifiedRejection::NotConfigured);
            };
            let rejected = |rejection| VerifiedRejection::Rejected {
                rejection,
                format: BodyFormat::Json,
            };
            let body = body.await.map_err(|_| rejected(refuse_too_long()))?;
            verify_result_body(&verifier, &body)
                .await
                .map(Self)
                .map_err(rejected)
        })
    }
}

/// [`WeChatVerified`] from a mini program's JSON `POST` body
/// (`{"bizToken": "..."}`), verified with the verifier in the app data, as
/// [`SdkVerified`].
///
/// ```
/// use actix_web::{web, App, HttpResponse};
/// use tencent_faceid::actix::WeChatVerified;
///
/// async fn wechat_result(WeChatVerified(outcome): WeChatVerified) -> HttpResponse {
///     HttpResponse::Ok().json(serde_json::json!({ "passed": outcome.passed() }))
/// }
///
/// # fn app(face_id: tencent_faceid::FaceId) {
/// let app = App::new()
///     .app_data(web::Data::new(face_id))
///     .route("/wechat/result", web::post().to(wechat_result));
/// # }
/// ```
impl FromRequest for WeChatVerified {
    type Error = VerifiedRejection;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let configured = configured(request);
        let body = web::Bytes::from_request(request, payload);
        Box::pin(async move {
            let Some((verifier, _)) = configured else {
                tracing::error!(
                    "actix WeChatVerified extracted without a CallbackVerifier in app data"
                );
                return Err(VerifiedRejection::NotConfigured);
            };
            let rejected = |rejection| VerifiedRejection::Rejected {
                rejection,
                format: BodyFormat::Json,
            };
            let body = body
                .await
                .map_err(|_| rejected(wechat::refuse_too_long()))?;
            wechat::verify_mini_program_body(&verifier, &body)
                .await
                .map(Self)
                .map_err(rejected)
        })
    }
}

impl Responder for ErrorResponse {
    type Body = BoxBody;

    fn respond_to(self, _request: &HttpRequest) -> HttpResponse {
        http_response(self)
    }
}

/// `status` as an actix status code; 500 for a number outside 100..=999.
fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// An [`ErrorResponse`] as an actix response.
fn http_response(answer: ErrorResponse) -> HttpResponse {
    let mut response = HttpResponse::build(status_code(answer.status));
    if let Some(allow) = answer.allow {
        response.insert_header((header::ALLOW, allow));
    }
    if let Some(seconds) = answer.retry_after {
        response.insert_header((header::RETRY_AFTER, seconds));
    }
    response
        .insert_header((header::CONTENT_TYPE, answer.content_type))
        .body(answer.body)
}

impl ResponseError for CallbackRejection {
    fn status_code(&self) -> StatusCode {
        status_code(self.status())
    }

    /// The status with the message as plain text (and `Allow: GET` with a
    /// 405).
    fn error_response(&self) -> HttpResponse {
        http_response(self.to_response(BodyFormat::Text))
    }
}

impl ResponseError for VerifiedRejection {
    fn status_code(&self) -> StatusCode {
        status_code(self.status())
    }

    /// [`VerifiedRejection::to_response`]: the callback's rejection in
    /// the app data's format, or 500 with a message naming what is
    /// missing.
    fn error_response(&self) -> HttpResponse {
        http_response(self.to_response())
    }
}

impl ResponseError for StartError {
    fn status_code(&self) -> StatusCode {
        status_code(self.status())
    }

    /// [`StartError::to_response`] as plain text: the status and the
    /// public message (the error itself is logged).
    fn error_response(&self) -> HttpResponse {
        http_response(self.to_response(BodyFormat::Text))
    }
}

impl Responder for Started {
    type Body = BoxBody;

    /// `303 See Other` to the vendor's page, setting the
    /// [binding cookie](crate::callback::BindingCookie) when there is one.
    fn respond_to(self, _request: &HttpRequest) -> HttpResponse {
        let mut response = HttpResponse::SeeOther();
        response.insert_header((header::LOCATION, self.redirect_url.as_str()));
        if let Some(binding) = &self.binding {
            response.append_header((header::SET_COOKIE, binding.set_cookie()));
        }
        response.finish()
    }
}
