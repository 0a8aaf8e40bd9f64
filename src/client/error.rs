//! [`ClientError`]: how a call to the vendor fails, told apart.

use std::fmt;

use super::endpoint::Endpoint;
use crate::json::DecodeError;
use crate::result_code::ResultCode;

/// A call to the vendor failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The client could not be built: the message says which setting to fix.
    #[error("invalid FaceIdClient configuration: {0}")]
    Config(String),
    /// The request did not complete: connection, TLS or timeout.
    #[error("the request to {endpoint} did not complete; check the network and the base URL")]
    Transport {
        /// Which call.
        endpoint: Endpoint,
        /// The transport error, its URL removed.
        #[source]
        source: TransportError,
    },
    /// The vendor answered with an HTTP error status.
    #[error("{endpoint} answered HTTP {status}")]
    Status {
        /// Which call.
        endpoint: Endpoint,
        /// The HTTP status.
        status: u16,
    },
    /// The body was not the JSON the endpoint promises.
    #[error(
        "{endpoint} answered a body that is not the expected JSON; check that the base URL is the vendor's"
    )]
    Decode {
        /// Which call.
        endpoint: Endpoint,
        /// Where and why decoding failed (never a value from the body).
        #[source]
        source: DecodeError,
    },
    /// The answer's body is larger than
    /// [`FaceIdClientBuilder::max_body_bytes`](super::FaceIdClientBuilder::max_body_bytes);
    /// it was not read further.
    #[error(
        "{endpoint} answered a body larger than the {limit}-byte limit; raise FaceIdClientBuilder::max_body_bytes if records with video are this large"
    )]
    TooLarge {
        /// Which call.
        endpoint: Endpoint,
        /// The limit in bytes.
        limit: usize,
    },
    /// The vendor answered with an error code.
    #[error("{endpoint} answered error code {code}: {msg}")]
    Vendor {
        /// Which call.
        endpoint: Endpoint,
        /// The vendor's code.
        code: ResultCode,
        /// The vendor's message.
        msg: String,
    },
}

/// Why a request did not complete (connection, TLS, timeout), without
/// its URL (the access-token URL carries the secret). Opaque: the HTTP
/// client behind it is not part of this crate's API; its `Display` is the
/// HTTP client's message and its [`source`](std::error::Error::source)
/// that message's cause.
#[derive(Debug)]
pub struct TransportError(reqwest::Error);

impl TransportError {
    /// `error` without its URL, which may carry the secret.
    pub(crate) fn without_url(error: reqwest::Error) -> Self {
        Self(error.without_url())
    }

    /// Whether the request timed out.
    pub fn is_timeout(&self) -> bool {
        self.0.is_timeout()
    }

    /// Whether no connection could be made.
    pub fn is_connect(&self) -> bool {
        self.0.is_connect()
    }
}

impl fmt::Display for TransportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for TransportError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        std::error::Error::source(&self.0)
    }
}

impl ClientError {
    /// Its label in `faceid_vendor_calls_total`'s `outcome`.
    pub(crate) fn outcome(&self) -> &'static str {
        match self {
            Self::Transport { .. } => "transport",
            Self::Status { .. } => "http_status",
            Self::TooLarge { .. } => "too_large",
            Self::Decode { .. } => "decode",
            _ => "other",
        }
    }

    /// The vendor's code, for [`ClientError::Vendor`].
    ///
    /// ```
    /// use tencent_faceid::client::{ClientError, Endpoint};
    /// use tencent_faceid::client::ResultCode;
    /// let e = ClientError::Vendor { endpoint: Endpoint::ApiTicket, code: ResultCode::InvalidAccessToken, msg: "expired".into() };
    /// assert_eq!(e.vendor_code(), Some(&ResultCode::InvalidAccessToken));
    /// ```
    pub fn vendor_code(&self) -> Option<&ResultCode> {
        match self {
            Self::Vendor { code, .. } => Some(code),
            _ => None,
        }
    }

    /// Whether the vendor refused the call itself: an error code that is
    /// neither plainly about the user's input
    /// ([`ResultCode::is_about_input`]) nor an answer about the order
    /// ([`ResultCode::NoRecord`]). The vendor's code table is not public,
    /// so no single code decides: a call refused this way may have been
    /// made with a token or ticket the vendor no longer accepts, and the
    /// ticket providers recover once and retry.
    ///
    /// ```
    /// use tencent_faceid::client::{ClientError, Endpoint};
    /// use tencent_faceid::client::ResultCode;
    /// let vendor = |code: &str| ClientError::Vendor { endpoint: Endpoint::StartSession, code: ResultCode::from_code(code), msg: "".into() };
    /// assert!(vendor("400101").refuses_credentials());
    /// assert!(vendor("12345678").refuses_credentials());
    /// assert!(!vendor("66660015").refuses_credentials()); // the name or id number
    /// assert!(!vendor("66660011").refuses_credentials()); // no record of the order
    /// let status = ClientError::Status { endpoint: Endpoint::StartSession, status: 502 };
    /// assert!(!status.refuses_credentials());
    /// ```
    pub fn refuses_credentials(&self) -> bool {
        matches!(self, Self::Vendor { code, .. }
            if !code.is_success() && !code.is_about_input() && *code != ResultCode::NoRecord)
    }
}
