//! actix-web extractor for verified callbacks.
//!
//! Register one [`CallbackVerifier`] as `web::Data` and take
//! [`VerifiedCallback`] in the callback handler: the callback is verified
//! while the handler's arguments are extracted, so the handler only runs
//! for a verified callback. Rejections answer with their status and
//! message ([`CallbackRejection`] is a [`ResponseError`]).
//!
//! ```
//! use actix_web::{web, App, HttpResponse};
//! use tencent_faceid::actix::VerifiedCallback;
//! # use tencent_faceid::{callback::CallbackVerifier, store::MemoryOrderStore, ticket::StaticTickets};
//!
//! async fn callback(VerifiedCallback(outcome): VerifiedCallback) -> HttpResponse {
//!     HttpResponse::Ok().body(format!("order {} passed: {}", outcome.order_no, outcome.passed()))
//! }
//!
//! # let verifier = CallbackVerifier::builder("appId001", StaticTickets::new("t", "n"), MemoryOrderStore::new()).build()?;
//! let verifier = web::Data::new(verifier);
//! let app = App::new()
//!     .app_data(verifier.clone())
//!     .route("/face/callback", web::get().to(callback));
//! # Ok::<(), tencent_faceid::callback::CallbackConfigError>(())
//! ```
//!
//! To render your own page for rejections, extract
//! `Result<VerifiedCallback, VerifiedCallbackError>` instead.

use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::ContentType;
use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};

use crate::binding;
use crate::callback::{
    method_not_allowed, CallbackRejection, CallbackVerifier, RejectionKind, VerificationOutcome,
};

/// A verified callback: extracting it verifies the request's query (and
/// [binding cookie](crate::binding)) with the `web::Data<CallbackVerifier>`
/// (or plain `CallbackVerifier`) in app data. Only a `GET` is verified:
/// any other method is refused with 405 before verification.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedCallback(pub VerificationOutcome);

impl Deref for VerifiedCallback {
    type Target = VerificationOutcome;

    fn deref(&self) -> &VerificationOutcome {
        &self.0
    }
}

/// Why [`VerifiedCallback`] could not be extracted.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum VerifiedCallbackError {
    /// The callback was rejected.
    #[error(transparent)]
    Rejected(CallbackRejection),
    /// No verifier is registered in the app data: 500.
    #[error("no CallbackVerifier in the app data: register one with App::app_data(web::Data::new(verifier))")]
    MissingVerifier,
}

impl FromRequest for VerifiedCallback {
    type Error = VerifiedCallbackError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let verifier = request
            .app_data::<web::Data<CallbackVerifier>>()
            .map(|data| CallbackVerifier::clone(data))
            .or_else(|| request.app_data::<CallbackVerifier>().cloned());
        // Cloning a `Uri` shares its bytes; the query is not copied.
        let uri = request.uri().clone();
        let is_get = request.method() == actix_web::http::Method::GET;
        let cookies = request.headers().get_all(actix_web::http::header::COOKIE);
        let binding = binding::cookie_value(cookies.filter_map(|value| value.to_str().ok()))
            .map(str::to_owned);
        Box::pin(async move {
            if !is_get {
                return Err(VerifiedCallbackError::Rejected(method_not_allowed()));
            }
            let Some(verifier) = verifier else {
                tracing::error!(
                    "VerifiedCallback extracted without a CallbackVerifier in app data"
                );
                return Err(VerifiedCallbackError::MissingVerifier);
            };
            verifier
                .verify_in_browser(uri.query().unwrap_or_default(), binding.as_deref())
                .await
                .map(Self)
                .map_err(VerifiedCallbackError::Rejected)
        })
    }
}

impl ResponseError for CallbackRejection {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The status with the message as plain text (and `Allow: GET` with a
    /// 405).
    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status_code());
        if self.kind() == &RejectionKind::MethodNotAllowed {
            response.insert_header((actix_web::http::header::ALLOW, "GET"));
        }
        response
            .content_type(ContentType::plaintext())
            .body(self.to_string())
    }
}

impl ResponseError for VerifiedCallbackError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Rejected(rejection) => rejection.status_code(),
            Self::MissingVerifier => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            Self::Rejected(rejection) => rejection.error_response(),
            Self::MissingVerifier => HttpResponse::build(self.status_code())
                .content_type(ContentType::plaintext())
                .body(self.to_string()),
        }
    }
}
