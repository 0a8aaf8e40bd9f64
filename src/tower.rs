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
//! cookie](crate::binding), runs [`CallbackVerifier::verify_in_browser`]
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
//! When the SIGN tickets are at hand and the order store answers at once
//! (cached tickets, [`MemoryOrderStore`](crate::orders::MemoryOrderStore)),
//! the callback is verified inside [`Service::call`], with no boxed
//! future; otherwise (a ticket refresh, a confirmation with the
//! vendor, a Redis store) the response future waits for it.
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
//! use tencent_faceid::orders::MemoryOrderStore;
//! use tencent_faceid::tickets::StaticTickets;
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
//! let verifier = CallbackVerifier::builder("appId001", StaticTickets::new("t", "n"), MemoryOrderStore::new())
//!     .build()?;
//! let app: Router = Router::new()
//!     .route("/face/callback", get(callback))
//!     .route_layer(FaceCallbackLayer::new(verifier));
//! # Ok::<(), tencent_faceid::callback::CallbackConfigError>(())
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{ready, Context, Poll};

use http::header::{HeaderValue, ALLOW, CONTENT_TYPE, COOKIE};
use http::{Method, Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower_layer::Layer;
use tower_service::Service;

use crate::binding;
use crate::callback::{
    method_not_allowed, CallbackRejection, CallbackVerifier, VerificationOutcome,
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
    /// # use tencent_faceid::{callback::CallbackVerifier, orders::MemoryOrderStore, tickets::StaticTickets};
    /// use tencent_faceid::tower::FaceCallbackLayer;
    /// # let verifier = CallbackVerifier::builder("appId001", StaticTickets::new("t", "n"), MemoryOrderStore::new()).build()?;
    /// let layer = FaceCallbackLayer::new(verifier).json_rejections();
    /// # Ok::<(), tencent_faceid::callback::CallbackConfigError>(())
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
    /// # use tencent_faceid::{callback::CallbackVerifier, orders::MemoryOrderStore, tickets::StaticTickets};
    /// use tencent_faceid::tower::FaceCallbackLayer;
    /// # let verifier = CallbackVerifier::builder("appId001", StaticTickets::new("t", "n"), MemoryOrderStore::new()).build()?;
    /// let layer = FaceCallbackLayer::new(verifier).pass_rejections_through();
    /// # Ok::<(), tencent_faceid::callback::CallbackConfigError>(())
    /// ```
    pub fn pass_rejections_through(mut self) -> Self {
        self.on_rejection.pass_through = true;
        self
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
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    ResBody: From<String>,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        let method = request.method();
        if method == Method::HEAD {
            let verdict = Err(method_not_allowed());
            let state = State::after(verdict, request, &mut self.inner, self.on_rejection);
            return ResponseFuture { state };
        }
        if method != Method::GET {
            let future = self.inner.call(request);
            return ResponseFuture {
                state: State::Inner { future },
            };
        }
        let query = request.uri().query().unwrap_or_default();
        let cookies = request.headers().get_all(COOKIE).iter();
        let binding = binding::cookie_value(cookies.filter_map(|value| value.to_str().ok()));
        let settled = match self.verifier.read(query, binding) {
            Ok(callback) => self.verifier.settle_now(callback),
            Err(rejection) => Ok(Err(rejection)),
        };
        let state = match settled {
            // Settled at once (tickets at hand, an in-process store): call
            // the inner service that was polled ready.
            Ok(verdict) => State::after(verdict, request, &mut self.inner, self.on_rejection),
            Err(callback) => {
                let verifier = self.verifier.clone();
                // The inner service is called once verification is done:
                // keep the instance that was polled ready, leave a fresh
                // clone in its place.
                let clone = self.inner.clone();
                State::Verifying {
                    settle: Box::pin(async move { verifier.settle(*callback).await }),
                    pending: Some((request, std::mem::replace(&mut self.inner, clone))),
                    on_rejection: self.on_rejection,
                }
            }
        };
        ResponseFuture { state }
    }
}

/// A verification that waits (for a ticket refresh, the vendor, or a
/// remote store).
///
/// Boxed because [`CallbackVerifier::settle`] is an `async fn`, whose
/// future type cannot be named on stable Rust; the ticket provider and the
/// store box their futures already (`async_trait`).
type SettleFuture =
    Pin<Box<dyn Future<Output = Result<VerificationOutcome, CallbackRejection>> + Send>>;

pin_project! {
    /// The response future of [`FaceCallbackService`].
    pub struct ResponseFuture<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        #[pin]
        state: State<S, ReqBody>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, ReqBody>
    where
        S: Service<Request<ReqBody>>,
    {
        Verifying {
            settle: SettleFuture,
            // The request and the inner service to call with it, taken on
            // the way out of this state.
            pending: Option<(Request<ReqBody>, S)>,
            on_rejection: OnRejection,
        },
        Inner {
            #[pin]
            future: S::Future,
        },
        Answered {
            // Taken when returned.
            response: Option<S::Response>,
        },
    }
}

impl<S, ReqBody, ResBody> State<S, ReqBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: From<String>,
{
    /// What a verdict makes of the request: `inner` called with it (carrying
    /// the outcome, or the rejection when it is passed through), or the
    /// rejection answered.
    fn after(
        verdict: Result<VerificationOutcome, CallbackRejection>,
        mut request: Request<ReqBody>,
        inner: &mut S,
        on_rejection: OnRejection,
    ) -> Self {
        match verdict {
            Ok(outcome) => {
                request.extensions_mut().insert(outcome);
            }
            Err(rejection) if on_rejection.pass_through => {
                let extensions = request.extensions_mut();
                extensions.insert(rejection);
                extensions.insert(on_rejection.format);
            }
            Err(rejection) => {
                let answer = ErrorResponse::for_rejection(&rejection, on_rejection.format);
                return State::Answered {
                    response: Some(http_response(answer)),
                };
            }
        }
        State::Inner {
            future: inner.call(request),
        }
    }
}

impl<S, ReqBody, ResBody> Future for ResponseFuture<S, ReqBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
    ResBody: From<String>,
{
    type Output = Result<Response<ResBody>, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Verifying {
                    settle,
                    pending,
                    on_rejection,
                } => {
                    let verdict = ready!(settle.as_mut().poll(cx));
                    let next = match pending.take() {
                        Some((request, mut inner)) => {
                            State::after(verdict, request, &mut inner, *on_rejection)
                        }
                        // Never: the state is left as soon as it is taken.
                        None => State::Answered { response: None },
                    };
                    this.state.set(next);
                }
                StateProj::Inner { future } => return future.poll(cx),
                // Polled after completion: like a fused future, never ready.
                StateProj::Answered { response } => {
                    return match response.take() {
                        Some(response) => Poll::Ready(Ok(response)),
                        None => Poll::Pending,
                    }
                }
            }
        }
    }
}

/// An [`ErrorResponse`] as an `http` response.
pub(crate) fn http_response<B: From<String>>(answer: ErrorResponse) -> Response<B> {
    let mut response = Response::new(B::from(answer.body));
    *response.status_mut() =
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(answer.content_type));
    if let Some(allow) = answer.allow {
        headers.insert(ALLOW, HeaderValue::from_static(allow));
    }
    response
}
