//! axum extractors for callbacks verified by [`FaceCallbackLayer`].
//!
//! Put the layer on the callback route and take [`Verified`] in the
//! handler: the handler then only runs for verified callbacks.
//!
//! ```
//! use axum::{routing::get, Router};
//! use tencent_faceid::axum::{Verified, VerifiedRejection};
//! use tencent_faceid::tower::FaceCallbackLayer;
//!
//! // Behind the default layer: rejections never reach the handler.
//! async fn strict(Verified(outcome): Verified) -> String {
//!     format!("order {} passed: {}", outcome.order_no, outcome.passed())
//! }
//!
//! // Behind `pass_rejections_through()`: the handler renders its own page.
//! async fn lenient(verified: Result<Verified, VerifiedRejection>) -> String {
//!     match verified {
//!         Ok(Verified(outcome)) => format!("order {} passed: {}", outcome.order_no, outcome.passed()),
//!         Err(rejection) => format!("sorry: {rejection}"),
//!     }
//! }
//!
//! // Or, when the reason does not matter: `None` for a rejected callback.
//! async fn optional(verified: Option<Verified>) -> &'static str {
//!     match verified {
//!         Some(Verified(outcome)) if outcome.passed() => "welcome",
//!         _ => "please try again",
//!     }
//! }
//!
//! # let verifier = tencent_faceid::__doctest::verifier()?;
//! let app: Router = Router::new()
//!     .route("/face/callback", get(strict))
//!     .route_layer(FaceCallbackLayer::new(verifier.clone()))
//!     .merge(
//!         Router::new()
//!             .route("/face/callback-lenient", get(lenient))
//!             .route_layer(FaceCallbackLayer::new(verifier).pass_rejections_through()),
//!     );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Starting a session is one `?` away too: [`StartError`] is an
//! `IntoResponse` (its status and public message) and so is
//! [`Started`] (a 303 to the vendor's page with the binding cookie).
//!
//! ```
//! use axum::extract::{Path, State};
//! use tencent_faceid::UserId;
//! use tencent_faceid::session::{SessionStarter, StartError, StartSession, Started};
//!
//! // POST /start/{user}
//! async fn start(State(starter): State<SessionStarter>, Path(user): Path<UserId>) -> Result<Started, StartError> {
//!     let callback = "https://shop.example/face/callback".parse().expect("a valid URL");
//!     starter.start(StartSession::new(user, callback).name("张三").id_number("110101199003071234")).await
//! }
//! ```
//!
//! In your handlers' tests, build the outcome with
//! [`VerificationOutcome::for_test`] and call the handler with
//! `Verified(outcome)`.
//!
//! [`FaceCallbackLayer`]: crate::tower::FaceCallbackLayer

use ::axum::extract::{FromRef, FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use ::axum::handler::Handler;
use ::axum::response::{IntoResponse, Response};
use ::axum::routing::{MethodRouter, get};
use http::StatusCode;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue, LOCATION, SET_COOKIE};
use http::request::Parts;

use crate::callback::{
    CallbackRejection, CallbackVerifier, VerificationOutcome, method_not_allowed,
};
use crate::facade::{FaceId, HealthReport};
use crate::render::{BodyFormat, ErrorResponse};
// The extractors' types, framework-free; only the axum traits are here.
#[doc(no_inline)]
pub use crate::extract::{SdkVerified, Verified, VerifiedRejection, WeChatVerified};
use crate::sdk::{MAX_RESULT_BODY, refuse_too_long, verify_result_body};
use crate::session::{StartError, Started};
use crate::tower::{FaceCallbackLayer, http_response, status_code};
use crate::wechat;

impl FaceCallbackLayer {
    /// The callback route: `handler` for a `GET`, behind this layer, and
    /// 405 with `Allow: GET` for every other method (`HEAD` included), as
    /// the actix-web adapter answers; no other method is verified or
    /// reaches the handler.
    ///
    /// ```
    /// use axum::Router;
    /// use tencent_faceid::axum::Verified;
    /// use tencent_faceid::tower::FaceCallbackLayer;
    /// # let verifier = tencent_faceid::__doctest::verifier()?;
    /// async fn callback(Verified(outcome): Verified) -> String {
    ///     format!("passed: {}", outcome.passed())
    /// }
    /// let app: Router = Router::new()
    ///     .route("/face/callback", FaceCallbackLayer::new(verifier).callback_route(callback));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn callback_route<H, T, S>(self, handler: H) -> MethodRouter<S>
    where
        H: Handler<T, S>,
        T: 'static,
        S: Clone + Send + Sync + 'static,
    {
        let format = self.format();
        get(handler)
            .route_layer(self)
            .fallback(move || async move { method_not_allowed().to_response(format) })
    }
}

impl FaceId {
    /// The callback route, verified by this app's [layer](FaceId::layer):
    /// [`FaceCallbackLayer::callback_route`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use axum::Router;
    /// use tencent_faceid::{axum::Verified, FaceId};
    /// async fn callback(Verified(outcome): Verified) -> String {
    ///     format!("passed: {}", outcome.passed())
    /// }
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .callback_url("https://shop.example/face/callback")
    ///     .build()
    ///     .await?;
    /// let app: Router = Router::new().route("/face/callback", face_id.callback_route(callback));
    /// # Ok(()) }
    /// ```
    pub fn callback_route<H, T, S>(&self, handler: H) -> MethodRouter<S>
    where
        H: Handler<T, S>,
        T: 'static,
        S: Clone + Send + Sync + 'static,
    {
        self.layer().callback_route(handler)
    }

    /// A readiness route (`/ready`, say): `GET` answers this app's
    /// [health report](FaceId::health) as JSON, with 200 when it is ready
    /// and 503 when not (`Cache-Control: no-store`); point a Kubernetes
    /// `readinessProbe` at it (README, "Health and readiness probes").
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use axum::Router;
    /// use tencent_faceid::facade::WarmUp;
    /// use tencent_faceid::FaceId;
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .callback_url("https://shop.example/face/callback")
    ///     .warm_up(WarmUp::Off)
    ///     .build()
    ///     .await?;
    /// let app: Router = Router::new().route("/ready", face_id.health_route());
    /// # Ok(()) }
    /// ```
    pub fn health_route<S>(&self) -> MethodRouter<S>
    where
        S: Clone + Send + Sync + 'static,
    {
        let face_id = self.clone();
        get(move || async move { health_response(&face_id.health().await) })
    }
}

/// A health report as a readiness route's answer.
fn health_response(report: &HealthReport) -> Response {
    let status = status_code(report.http_status());
    let headers = [
        (CONTENT_TYPE, HeaderValue::from_static("application/json")),
        (CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    (status, headers, report.to_json()).into_response()
}

/// Takes the layer's verdict out of the request: the outcome, the
/// rejection it passed through, or `Err` for another method or no layer.
fn take_verdict(
    parts: &mut Parts,
) -> Result<Result<VerificationOutcome, VerifiedRejection>, VerifiedRejection> {
    if parts.method != http::Method::GET {
        return Err(VerifiedRejection::Rejected {
            rejection: method_not_allowed(),
            format: parts.extensions.get().copied().unwrap_or_default(),
        });
    }
    // Taken, not cloned: a handler extracts it once.
    if let Some(outcome) = parts.extensions.remove::<VerificationOutcome>() {
        return Ok(Ok(outcome));
    }
    match parts.extensions.remove::<CallbackRejection>() {
        Some(rejection) => Ok(Err(VerifiedRejection::Rejected {
            rejection,
            format: parts.extensions.get().copied().unwrap_or_default(),
        })),
        None => {
            tracing::error!("Verified extractor used on a route without FaceCallbackLayer");
            Err(VerifiedRejection::NotConfigured)
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Verified {
    type Rejection = VerifiedRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        take_verdict(parts)?.map(Self)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for Verified {
    type Rejection = VerifiedRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        _state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(take_verdict(parts)?.ok().map(Self))
    }
}

/// [`SdkVerified`] from a JSON `POST` body, verified with the
/// [`CallbackVerifier`] of the router's state (`CallbackVerifier:
/// FromRef<S>`: a `FaceId` or a verifier as the state, or your state with
/// a `FromRef` impl).
///
/// ```
/// use axum::{routing::post, Json, Router};
/// use tencent_faceid::axum::SdkVerified;
/// use tencent_faceid::FaceId;
///
/// async fn sdk_result(SdkVerified(outcome): SdkVerified) -> Json<serde_json::Value> {
///     Json(serde_json::json!({ "orderNo": outcome.order_no.as_str(), "passed": outcome.passed() }))
/// }
///
/// # async fn app(face_id: FaceId) {
/// let app: Router = Router::new().route("/sdk/result", post(sdk_result)).with_state(face_id);
/// # }
/// ```
impl<S> FromRequest<S> for SdkVerified
where
    S: Send + Sync,
    CallbackVerifier: FromRef<S>,
{
    type Rejection = VerifiedRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = CallbackVerifier::from_ref(state);
        let rejected = |rejection| VerifiedRejection::Rejected {
            rejection,
            format: BodyFormat::Json,
        };
        let body = ::axum::body::to_bytes(request.into_body(), MAX_RESULT_BODY)
            .await
            .map_err(|_| rejected(refuse_too_long()))?;
        verify_result_body(&verifier, &body)
            .await
            .map(Self)
            .map_err(rejected)
    }
}

/// [`WeChatVerified`] from a mini program's JSON `POST` body
/// (`{"bizToken": "..."}`), verified with the [`CallbackVerifier`] of the
/// router's state, as [`SdkVerified`].
///
/// ```
/// use axum::{routing::post, Json, Router};
/// use tencent_faceid::axum::WeChatVerified;
/// use tencent_faceid::FaceId;
///
/// async fn wechat_result(WeChatVerified(outcome): WeChatVerified) -> Json<serde_json::Value> {
///     Json(serde_json::json!({ "passed": outcome.passed() }))
/// }
///
/// # async fn app(face_id: FaceId) {
/// let app: Router = Router::new().route("/wechat/result", post(wechat_result)).with_state(face_id);
/// # }
/// ```
impl<S> FromRequest<S> for WeChatVerified
where
    S: Send + Sync,
    CallbackVerifier: FromRef<S>,
{
    type Rejection = VerifiedRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = CallbackVerifier::from_ref(state);
        let rejected = |rejection| VerifiedRejection::Rejected {
            rejection,
            format: BodyFormat::Json,
        };
        let body = ::axum::body::to_bytes(request.into_body(), wechat::MAX_MINI_PROGRAM_BODY)
            .await
            .map_err(|_| rejected(wechat::refuse_too_long()))?;
        wechat::verify_mini_program_body(&verifier, &body)
            .await
            .map(Self)
            .map_err(rejected)
    }
}

impl FromRef<FaceId> for CallbackVerifier {
    fn from_ref(face_id: &FaceId) -> Self {
        face_id.verifier().clone()
    }
}

impl IntoResponse for ErrorResponse {
    fn into_response(self) -> Response {
        http_response(self)
    }
}

impl IntoResponse for CallbackRejection {
    /// The rejection's status with its message as plain text.
    fn into_response(self) -> Response {
        self.to_response(BodyFormat::Text).into_response()
    }
}

impl IntoResponse for VerifiedRejection {
    /// [`VerifiedRejection::to_response`]: the callback's rejection in the
    /// layer's format, or 500 with a message naming the missing layer.
    fn into_response(self) -> Response {
        http_response(self.to_response())
    }
}

impl IntoResponse for StartError {
    /// [`StartError::to_response`] as plain text: the status and the
    /// public message (the error itself is logged).
    fn into_response(self) -> Response {
        self.to_response(BodyFormat::Text).into_response()
    }
}

impl IntoResponse for Started {
    /// `303 See Other` to the vendor's page, setting the
    /// [binding cookie](crate::callback::BindingCookie) when there is one.
    fn into_response(self) -> Response {
        let mut response = StatusCode::SEE_OTHER.into_response();
        let headers = response.headers_mut();
        match HeaderValue::from_str(self.redirect_url.as_str()) {
            Ok(location) => headers.insert(LOCATION, location),
            // A `Url` is always a valid header value; never reached.
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        };
        if let Some(binding) = &self.binding {
            match HeaderValue::from_str(binding.set_cookie()) {
                Ok(cookie) => headers.insert(SET_COOKIE, cookie),
                // Letters, digits and fixed attributes; never reached.
                Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
            };
        }
        response
    }
}
