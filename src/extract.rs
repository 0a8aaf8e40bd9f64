//! What the axum and actix-web extractors answer, once for both
//! frameworks: [`Verified`] (a browser's callback), [`SdkVerified`] (an
//! App SDK result your app forwarded) and, when extraction fails,
//! [`VerifiedRejection`].
//!
//! The types are plain data; `axum` and `actix` only implement the
//! frameworks' extractor and response traits for them. In your handlers'
//! tests, build the outcome with
//! [`VerificationOutcome::for_test`] and call the handler with
//! `Verified(outcome)`.
//!
//! ```
//! use tencent_faceid::callback::VerificationOutcome;
//! use tencent_faceid::{OrderNo, UserId};
//! use tencent_faceid::client::ResultCode;
//! use tencent_faceid::Verified;
//!
//! fn greeting(Verified(outcome): Verified) -> String {
//!     format!("order {} passed: {}", outcome.order_no, outcome.passed())
//! }
//!
//! let outcome = VerificationOutcome::for_test(OrderNo::new("order1")?, UserId::new("user1")?, ResultCode::Success);
//! let verified = Verified(outcome);
//! assert!(verified.passed()); // `Deref` to the outcome
//! assert_eq!(greeting(verified), "order order1 passed: true");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::ops::Deref;

use crate::callback::{CallbackRejection, VerificationOutcome};
use crate::render::{BodyFormat, ErrorResponse};

/// A verified callback, extracted in a handler.
///
/// - axum (feature `axum`): put the route behind
///   `tower::FaceCallbackLayer` (or use `FaceId::callback_route`); the
///   layer verifies, the extractor takes the outcome out of the request.
///   `Option<Verified>` is `None` for a rejected callback.
/// - actix-web (feature `actix`): register a `FaceId` or a
///   [`CallbackVerifier`](crate::callback::CallbackVerifier) in the app
///   data (`web::Data`); extracting verifies the query and the
///   [binding cookie](crate::callback::BindingCookie).
///
/// Only a `GET` is verified: any other method is refused with 405. The
/// extractor fails with [`VerifiedRejection`]; extract
/// `Result<Verified, VerifiedRejection>` to render your own page.
///
/// In axum, extracting takes the outcome out of the request extensions (no
/// copy): extract it once per request. A middleware between the layer and
/// the handler can read it with
/// `request.extensions().get::<VerificationOutcome>()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified(pub VerificationOutcome);

impl Deref for Verified {
    type Target = VerificationOutcome;

    fn deref(&self) -> &VerificationOutcome {
        &self.0
    }
}

/// An App SDK result your app forwarded as a JSON `POST` body, verified
/// ([`crate::sdk::verify_result_body`]) with the
/// [`CallbackVerifier`](crate::callback::CallbackVerifier) of the app: in
/// axum the router's state (`CallbackVerifier: FromRef<S>`: a `FaceId` or
/// a verifier as the state, or your state with a `FromRef` impl), in
/// actix-web the app data (as for [`Verified`]).
///
/// Extraction fails with [`VerifiedRejection::Rejected`] in
/// [`BodyFormat::Json`]: the result's rejection (401 tampered, 404 not
/// ours, 409 replayed, 400 not a result...), an answer for an app.
#[derive(Debug, Clone, PartialEq)]
pub struct SdkVerified(pub VerificationOutcome);

impl Deref for SdkVerified {
    type Target = VerificationOutcome;

    fn deref(&self) -> &VerificationOutcome {
        &self.0
    }
}

/// A WeChat mini program's BizToken, posted as JSON
/// (`{"bizToken": "..."}`), verified ([`crate::wechat::verify_mini_program_body`])
/// with the [`CallbackVerifier`](crate::callback::CallbackVerifier) of the
/// app, found as for [`SdkVerified`].
///
/// Extraction fails with [`VerifiedRejection::Rejected`] in
/// [`BodyFormat::Json`] (404 not ours, 409 replayed or not finished, 400
/// not a BizToken...), an answer for the mini program.
#[derive(Debug, Clone, PartialEq)]
pub struct WeChatVerified(pub VerificationOutcome);

impl Deref for WeChatVerified {
    type Target = VerificationOutcome;

    fn deref(&self) -> &VerificationOutcome {
        &self.0
    }
}

/// Why [`Verified`] or [`SdkVerified`] could not be extracted, in axum and
/// in actix-web alike.
///
/// Extract `Result<Verified, VerifiedRejection>` to handle it yourself;
/// otherwise it answers [`to_response`](Self::to_response).
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum VerifiedRejection {
    /// The callback was rejected (in axum: the layer passed the rejection
    /// through), or the request is not a `GET`.
    #[error("{rejection}")]
    Rejected {
        /// Why.
        rejection: CallbackRejection,
        /// How to answer: the layer's format in axum
        /// ([`json_rejections`](crate::tower::FaceCallbackLayer::json_rejections)),
        /// the [`BodyFormat`] in the app data in actix-web.
        format: BodyFormat,
    },
    /// The app is not set up for the extractor: 500. In axum, the route
    /// is not behind the layer (or `Verified` was extracted twice); in
    /// actix-web, no verifier is registered in the app data.
    #[error(
        "the face callback extractor is not set up: in axum, put the route behind tencent_faceid::tower::FaceCallbackLayer (Router::route_layer) and extract Verified once; in actix-web, there is no CallbackVerifier in the app data: register one with App::app_data(web::Data::new(face_id)) (a tencent_faceid::FaceId) or App::app_data(web::Data::new(verifier))"
    )]
    NotConfigured,
}

impl VerifiedRejection {
    /// The callback's rejection, if that is why.
    pub fn rejection(&self) -> Option<&CallbackRejection> {
        match self {
            Self::Rejected { rejection, .. } => Some(rejection),
            Self::NotConfigured => None,
        }
    }

    /// The HTTP status: the rejection's, or 500 for
    /// [`NotConfigured`](Self::NotConfigured).
    pub fn status(&self) -> u16 {
        match self {
            Self::Rejected { rejection, .. } => rejection.status(),
            Self::NotConfigured => 500,
        }
    }

    /// The answer both adapters send: the callback's rejection in its
    /// format, or 500 with this message (naming what is missing) as plain
    /// text.
    ///
    /// ```
    /// use tencent_faceid::VerifiedRejection;
    /// let answer = VerifiedRejection::NotConfigured.to_response();
    /// assert_eq!(answer.status, 500);
    /// assert!(answer.body.contains("FaceCallbackLayer"));
    /// ```
    pub fn to_response(&self) -> ErrorResponse {
        match self {
            Self::Rejected { rejection, format } => rejection.to_response(*format),
            Self::NotConfigured => ErrorResponse::new(
                500,
                "not_configured",
                &self.to_string(),
                BodyFormat::Text,
                None,
            ),
        }
    }
}
