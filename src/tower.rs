//! [`FaceCallbackLayer`]: wrap your callback route so that its handler only
//! ever runs for a verified callback.
//!
//! Only `GET` requests are callbacks. Other methods pass through to the
//! inner service untouched (so a `get(..)` route answers 405 as usual),
//! except `HEAD`, which the layer answers 405 itself: axum would otherwise
//! run the `GET` handler for it. Neither is verified, so neither consumes
//! an order.
//!
//! For a `GET` the layer reads the request URI's query and the [binding
//! cookie](crate::callback::BindingCookie), runs [`CallbackVerifier::verify`]
//! before the inner service, and then either
//! - puts the [`VerificationOutcome`] into the request extensions and calls
//!   the inner service (a correctly signed *failure* is an outcome too:
//!   check [`VerificationOutcome::passed`]), or
//! - answers the [`CallbackRejection`] itself with its status and message
//!   (plain text by default, JSON with
//!   [`FaceCallbackLayer::json_rejections`]) without calling the inner
//!   service, or, with [`FaceCallbackLayer::pass_rejections_through`],
//!   puts the rejection into the extensions and calls the inner service.
//!
//! It works with any request body type and with any response body that
//! can be made from a `String` (`ResBody: From<String>`, for the
//! rejections it answers itself), which covers axum's `Body`, `String`,
//! and `http_body_util::Full<Bytes>`: no body crate (`http-body`, `bytes`)
//! is needed.
//!
//! ```
//! use axum::{routing::get, Router};
//! use tencent_faceid::axum::Verified;
//! use tencent_faceid::callback::CallbackVerifier;
//! use tencent_faceid::tower::FaceCallbackLayer;
//!
//! async fn callback(Verified(outcome): Verified) -> String {
//!     if outcome.passed() {
//!         format!("welcome, {}", outcome.user_id)
//!     } else {
//!         format!("verification failed: {}", outcome.code)
//!     }
//! }
//!
//! # let wiring = tencent_faceid::__doctest::wiring()?;
//! let verifier = CallbackVerifier::builder(&wiring).build()?;
//! let app: Router = Router::new()
//!     .route("/face/callback", get(callback))
//!     .route_layer(FaceCallbackLayer::new(verifier));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::header::{ALLOW, CONTENT_TYPE, COOKIE, HeaderValue, RETRY_AFTER};
use http::{Method, Request, Response, StatusCode};
use tower_layer::Layer;
use tower_service::Service;

use crate::binding;
use crate::callback::{
    BrowserCallback, CallbackRejection, CallbackVerifier, VerificationOutcome, method_not_allowed,
};
use crate::render::{BodyFormat, ErrorResponse};

/// What the layer does with a rejected callback: answers it in `format`,
/// or passes it through to the inner service (which renders it in
/// `format` when it answers with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OnRejection {
    format: BodyFormat,
    pass_through: bool,
}

/// Verifies callbacks before the wrapped service sees them; see the
/// [module documentation](self).
///
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct FaceCallbackLayer {
    verifier: CallbackVerifier,
    on_rejection: OnRejection,
}

impl FaceCallbackLayer {
    /// A layer verifying with `verifier` and answering rejections in plain
    /// text.
    pub fn new(verifier: CallbackVerifier) -> Self {
        Self {
            verifier,
            on_rejection: OnRejection {
                format: BodyFormat::Text,
                pass_through: false,
            },
        }
    }

    /// Answers rejections as `application/json`:
    /// `{"error": "<kind>", "message": "<what was wrong>"}`, where `kind`
    /// is [`RejectionKind::as_str`](crate::callback::RejectionKind::as_str)
    /// (rejections passed through too, when the handler answers with them).
    ///
    /// ```
    /// use tencent_faceid::tower::FaceCallbackLayer;
    /// # let verifier = tencent_faceid::__doctest::verifier()?;
    /// let layer = FaceCallbackLayer::new(verifier).json_rejections();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn json_rejections(mut self) -> Self {
        self.on_rejection.format = BodyFormat::Json;
        self
    }

    /// Calls the inner service for rejected callbacks too, with the
    /// [`CallbackRejection`] (and the [`BodyFormat`] to answer it in) in
    /// the request extensions instead of a [`VerificationOutcome`]: for handlers that render their own error
    /// page (with axum, extract `Result<Verified, VerifiedRejection>`).
    ///
    /// ```
    /// use tencent_faceid::tower::FaceCallbackLayer;
    /// # let verifier = tencent_faceid::__doctest::verifier()?;
    /// let layer = FaceCallbackLayer::new(verifier).pass_rejections_through();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn pass_rejections_through(mut self) -> Self {
        self.on_rejection.pass_through = true;
        self
    }

    /// The format rejections are answered in.
    #[cfg(feature = "axum")]
    pub(crate) fn format(&self) -> BodyFormat {
        self.on_rejection.format
    }
}

impl<S> Layer<S> for FaceCallbackLayer {
    type Service = FaceCallbackService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        FaceCallbackService {
            inner,
            verifier: self.verifier.clone(),
            on_rejection: self.on_rejection,
        }
    }
}

/// The service [`FaceCallbackLayer`] wraps around `S`.
#[derive(Debug, Clone)]
pub struct FaceCallbackService<S> {
    inner: S,
    verifier: CallbackVerifier,
    on_rejection: OnRejection,
}

impl<S> FaceCallbackService<S> {
    /// Wraps `inner`, like [`FaceCallbackLayer::new`]`(verifier).layer(inner)`.
    pub fn new(inner: S, verifier: CallbackVerifier) -> Self {
        FaceCallbackLayer::new(verifier).layer(inner)
    }

    /// The wrapped service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// Unwraps the inner service.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for FaceCallbackService<S>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: From<String> + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<ResBody, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let is_get = match *request.method() {
            Method::GET => true,
            Method::HEAD => false,
            _ => return ResponseFuture(Box::pin(self.inner.call(request))),
        };
        let verifier = self.verifier.clone();
        let on_rejection = self.on_rejection;
        // The inner service is called once verification is done: keep the
        // instance that was polled ready, leave a clone in its place.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        ResponseFuture(Box::pin(async move {
            let verdict = if is_get {
                let callback = browser_callback(&request);
                verifier.verify(callback).await
            } else {
                Err(method_not_allowed())
            };
            match on_rejection.apply(verdict, request) {
                Ok(request) => inner.call(request).await,
                Err(answer) => Ok(http_response(answer)),
            }
        }))
    }
}

impl OnRejection {
    /// The request to call the inner service with (carrying the outcome,
    /// or the rejection when it is passed through), or the answer to a
    /// rejection.
    fn apply<B>(
        self,
        verdict: Result<VerificationOutcome, CallbackRejection>,
        mut request: Request<B>,
    ) -> Result<Request<B>, ErrorResponse> {
        let extensions = request.extensions_mut();
        match verdict {
            Ok(outcome) => {
                extensions.insert(outcome);
            }
            Err(rejection) if self.pass_through => {
                extensions.insert(rejection);
                extensions.insert(self.format);
            }
            Err(rejection) => return Err(rejection.to_response(self.format)),
        }
        Ok(request)
    }
}

/// The callback `request` brings: its query and binding cookie.
fn browser_callback<B>(request: &Request<B>) -> BrowserCallback<'_> {
    let query = request.uri().query().unwrap_or_default();
    let cookies = request.headers().get_all(COOKIE).iter();
    let binding = binding::cookie_value(cookies.filter_map(|value| value.to_str().ok()));
    BrowserCallback::new(query, binding)
}

/// The response future of [`FaceCallbackService`]: the verification, then
/// the inner service's response (or the rejection's answer).
pub struct ResponseFuture<ResBody, E>(
    Pin<Box<dyn Future<Output = Result<Response<ResBody>, E>> + Send>>,
);

impl<ResBody, E> fmt::Debug for ResponseFuture<ResBody, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

impl<ResBody, E> Future for ResponseFuture<ResBody, E> {
    type Output = Result<Response<ResBody>, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.0.as_mut().poll(cx)
    }
}

/// `status` as an `http` status code; 500 for a number outside 100..=999.
pub(crate) fn status_code(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// An [`ErrorResponse`] as an `http` response.
pub(crate) fn http_response<B: From<String>>(answer: ErrorResponse) -> Response<B> {
    let mut response = Response::new(B::from(answer.body));
    *response.status_mut() = status_code(answer.status);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(answer.content_type));
    if let Some(allow) = answer.allow {
        headers.insert(ALLOW, HeaderValue::from_static(allow));
    }
    if let Some(seconds) = answer.retry_after {
        headers.insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}
