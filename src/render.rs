//! HTTP answers for this crate's errors, framework-free: the status, the
//! content type and the body, rendered once here and mapped by each
//! adapter (`tower`, `axum`, `actix`) to its own response type.
//!
//! Bodies say what went wrong and what the user can do, never a secret
//! or personal data; the full error, with its sources, is for your logs.
//!
//! ```
//! use tencent_faceid::callback::{BodyFormat, ErrorResponse};
//! use tencent_faceid::session::{InvalidStart, StartError};
//! let error = StartError::Invalid(InvalidStart::BlankIdentity);
//! let response = error.to_response(BodyFormat::Json);
//! assert_eq!(response.status, 400);
//! assert_eq!(response.content_type, "application/json");
//! assert_eq!(response.body, r#"{"error":"invalid_request","message":"the name and id number must not be blank"}"#);
//! ```

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
    /// The `Retry-After` header value in seconds, for a 503: the request
    /// may succeed when asked again (the store, the tickets or the vendor
    /// were unavailable; nothing was consumed).
    pub retry_after: Option<u32>,
}

/// The `Retry-After` of every 503: a browser or client asking again this
/// much later finds a store or vendor that recovered from a blip.
pub const RETRY_AFTER_SECONDS: u32 = 5;

impl ErrorResponse {
    /// An answer with `status`, and `message` as the body: as is in
    /// [`BodyFormat::Text`], or `{"error": kind, "message": message}` in
    /// [`BodyFormat::Json`].
    pub(crate) fn new(
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
            retry_after: (status == 503).then_some(RETRY_AFTER_SECONDS),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{BodyFormat, ErrorResponse};

    #[test]
    fn json_bodies_carry_the_kind_and_the_message() {
        let answer = ErrorResponse::new(503, "busy", "try again later", BodyFormat::Json, None);
        assert_eq!(
            answer.body,
            r#"{"error":"busy","message":"try again later"}"#
        );
        assert_eq!(answer.content_type, "application/json");
    }

    #[test]
    fn only_a_503_says_when_to_ask_again() {
        let unavailable = ErrorResponse::new(503, "busy", "later", BodyFormat::Text, None);
        assert_eq!(unavailable.retry_after, Some(super::RETRY_AFTER_SECONDS));
        let refused = ErrorResponse::new(409, "replay", "no", BodyFormat::Text, None);
        assert_eq!(refused.retry_after, None);
    }
}
