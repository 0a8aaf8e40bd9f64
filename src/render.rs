//! HTTP answers for this crate's errors, framework-free: the status, the
//! content type and the body, rendered once here and mapped by each
//! adapter (`tower`, `axum`, `actix`) to its own response type.
//!
//! Bodies say what went wrong and what the user can do, never a secret
//! or personal data; the full error, with its sources, is for your logs.
//!
//! ```
//! use tencent_faceid::render::{BodyFormat, ErrorResponse};
//! use tencent_faceid::session::{InvalidStart, StartError};
//! let error = StartError::Invalid(InvalidStart::BlankIdentity);
//! let response = ErrorResponse::for_start(&error, BodyFormat::Json);
//! assert_eq!(response.status, 400);
//! assert_eq!(response.content_type, "application/json");
//! assert_eq!(response.body, r#"{"error":"invalid_request","message":"the name and id number must not be blank"}"#);
//! ```

use crate::callback::{CallbackRejection, RejectionKind};
use crate::session::StartError;

/// How an error body is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BodyFormat {
    /// The message as `text/plain; charset=utf-8` (the default).
    #[default]
    Text,
    /// `{"error": <kind>, "message": <message>}` as `application/json`.
    Json,
}

/// An error as an HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorResponse {
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type` header value.
    pub content_type: &'static str,
    /// The body: a message for the user, or JSON with a machine-readable
    /// kind and that message.
    pub body: String,
    /// The `Allow` header value, for a 405.
    pub allow: Option<&'static str>,
}

impl ErrorResponse {
    /// The answer to a rejected callback: its [status](CallbackRejection::status),
    /// its message, and `Allow: GET` with a 405.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use tencent_faceid::callback::CallbackVerifier;
    /// use tencent_faceid::render::{BodyFormat, ErrorResponse};
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::tickets::StaticTickets;
    /// let verifier = CallbackVerifier::builder("appId001", StaticTickets::new("t", "n"), MemoryOrderStore::new()).build()?;
    /// let rejection = verifier.verify("code=0").await.unwrap_err();
    /// let response = ErrorResponse::for_rejection(&rejection, BodyFormat::Text);
    /// assert_eq!((response.status, response.content_type), (400, "text/plain; charset=utf-8"));
    /// assert_eq!(response.body, "malformed callback: parameter `orderNo` is missing");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn for_rejection(rejection: &CallbackRejection, format: BodyFormat) -> Self {
        let allow = (rejection.kind() == &RejectionKind::MethodNotAllowed).then_some("GET");
        Self::new(
            rejection.status(),
            rejection.kind().as_str(),
            &rejection.to_string(),
            format,
            allow,
        )
    }

    /// The answer to a session that could not be started: its
    /// [status](StartError::status) and its
    /// [public message](StartError::public_message), never the vendor's
    /// own text or the request's personal data. The full error is logged
    /// (at `warn` for a request to fix, `error` otherwise).
    pub fn for_start(error: &StartError, format: BodyFormat) -> Self {
        if error.status() < 500 {
            tracing::warn!(error = %error, "face verification not started");
        } else {
            tracing::error!(error = %error, "face verification not started");
        }
        Self::new(
            error.status(),
            error.kind(),
            &error.public_message(),
            format,
            None,
        )
    }

    fn new(
        status: u16,
        kind: &str,
        message: &str,
        format: BodyFormat,
        allow: Option<&'static str>,
    ) -> Self {
        let (content_type, body) = match format {
            BodyFormat::Text => ("text/plain; charset=utf-8", message.to_owned()),
            BodyFormat::Json => (
                "application/json",
                serde_json::json!({ "error": kind, "message": message }).to_string(),
            ),
        };
        Self {
            status,
            content_type,
            body,
            allow,
        }
    }
}
