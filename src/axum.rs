//! axum extractors for callbacks verified by [`FaceCallbackLayer`].
//!
//! Put the layer on the callback route and take [`Verified`] in the
//! handler: the handler then only runs for verified callbacks.
//!
//! ```
//! use axum::{routing::get, Router};
//! use tencent_faceid::axum::{Verified, VerifiedRejection};
//! # use tencent_faceid::{callback::CallbackVerifier, store::MemoryOrderStore, ticket::StaticTickets};
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
//! # let verifier = CallbackVerifier::builder("appId001", StaticTickets::new("t", "n"), MemoryOrderStore::new()).build()?;
//! let app: Router = Router::new()
//!     .route("/face/callback", get(strict))
//!     .route_layer(FaceCallbackLayer::new(verifier.clone()))
//!     .merge(
//!         Router::new()
//!             .route("/face/callback-lenient", get(lenient))
//!             .route_layer(FaceCallbackLayer::new(verifier).pass_rejections_through()),
//!     );
//! # Ok::<(), tencent_faceid::callback::CallbackConfigError>(())
//! ```
//!
//! [`FaceCallbackLayer`]: crate::tower::FaceCallbackLayer

use std::ops::Deref;

use ::axum::extract::FromRequestParts;
use ::axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::StatusCode;

use crate::callback::{method_not_allowed, CallbackRejection, VerificationOutcome};
use crate::tower::rejection_response;

/// The verified callback, for handlers behind
/// [`FaceCallbackLayer`](crate::tower::FaceCallbackLayer).
///
/// Extraction fails with [`VerifiedRejection`]: the callback's rejection
/// (only behind a layer that passes rejections through), 405 for a request
/// that is not a `GET`, or a 500 when the route has no layer.
///
/// Extracting takes the outcome out of the request extensions (no copy):
/// extract it once per request. A middleware between the layer and the
/// handler can read it with `request.extensions().get::<VerificationOutcome>()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified(pub VerificationOutcome);

impl Deref for Verified {
    type Target = VerificationOutcome;

    fn deref(&self) -> &VerificationOutcome {
        &self.0
    }
}

/// Why [`Verified`] could not be extracted.
///
/// Extract `Result<Verified, VerifiedRejection>` to handle it yourself.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum VerifiedRejection {
    /// The layer rejected the callback and passed the rejection through.
    #[error(transparent)]
    Rejected(CallbackRejection),
    /// Neither an outcome nor a rejection is in the request: the route is
    /// not behind the layer (or `Verified` was extracted twice).
    #[error("no verified face callback in this request: put the route behind tencent_faceid::tower::FaceCallbackLayer (Router::route_layer), and extract Verified once")]
    MissingLayer,
}

impl<S: Send + Sync> FromRequestParts<S> for Verified {
    type Rejection = VerifiedRejection;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if parts.method != http::Method::GET {
            return Err(VerifiedRejection::Rejected(method_not_allowed()));
        }
        // Taken, not cloned: a handler extracts it once.
        if let Some(outcome) = parts.extensions.remove::<VerificationOutcome>() {
            return Ok(Self(outcome));
        }
        match parts.extensions.remove::<CallbackRejection>() {
            Some(rejection) => Err(VerifiedRejection::Rejected(rejection)),
            None => {
                tracing::error!("Verified extractor used on a route without FaceCallbackLayer");
                Err(VerifiedRejection::MissingLayer)
            }
        }
    }
}

impl IntoResponse for CallbackRejection {
    /// The rejection's status with its message as plain text.
    fn into_response(self) -> Response {
        rejection_response(&self, false)
    }
}

impl IntoResponse for VerifiedRejection {
    /// The callback's rejection, or 500 with a message naming the missing
    /// layer.
    fn into_response(self) -> Response {
        match self {
            Self::Rejected(rejection) => rejection.into_response(),
            Self::MissingLayer => {
                (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
            }
        }
    }
}
