//! [`Tc3Error`]: how a Tencent Cloud API 3.0 call fails, and
//! [`ApiErrorCode`], the `Response.Error.Code` it answered, typed.

use std::fmt;

use crate::client::TransportError;
use crate::json::DecodeError;

/// An API 3.0 action this crate calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Action {
    /// `DetectAuth`: starts a verification, answers a BizToken.
    DetectAuth,
    /// `GetDetectInfoEnhanced`: the vendor's record of a BizToken.
    GetDetectInfoEnhanced,
}

impl Action {
    /// The `X-TC-Action` value.
    pub fn name(self) -> &'static str {
        match self {
            Self::DetectAuth => "DetectAuth",
            Self::GetDetectInfoEnhanced => "GetDetectInfoEnhanced",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `Response.Error.Code`: the documented codes this crate acts on, typed;
/// every other one raw ([`ApiErrorCode::Other`]).
///
/// ```
/// use tencent_faceid::wechat::ApiErrorCode;
/// let code = ApiErrorCode::from_code("AuthFailure.SignatureExpire");
/// assert_eq!(code, ApiErrorCode::SignatureExpire);
/// assert!(code.is_clock_skew() && !code.is_retryable());
/// assert!(ApiErrorCode::from_code("RequestLimitExceeded.UinLimitExceeded").is_retryable());
/// assert_eq!(ApiErrorCode::from_code("ResourceNotFound").as_str(), "ResourceNotFound");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ApiErrorCode {
    /// `AuthFailure.SignatureFailure`: the signature is wrong (the
    /// SecretKey does not match the SecretId, or the signer is broken).
    SignatureFailure,
    /// `AuthFailure.SignatureExpire`: `X-TC-Timestamp` is more than five
    /// minutes off the vendor's clock.
    SignatureExpire,
    /// `AuthFailure.InvalidAuthorization`: the `Authorization` header is
    /// not in the TC3 format.
    InvalidAuthorization,
    /// `AuthFailure.SecretIdNotFound`: the vendor knows no such SecretId
    /// (or it is disabled).
    SecretIdNotFound,
    /// `RequestLimitExceeded` (and its sub-codes): too many requests; retry
    /// with back-off.
    RequestLimitExceeded,
    /// `InternalError` or `FailedOperation.UnKnown`: the vendor failed;
    /// retry a bounded number of times.
    InternalError,
    /// `FailedOperation.DecryptSystemError`: the vendor could not decrypt
    /// the `Encryption` option's key or fields (another public key).
    DecryptSystemError,
    /// `InvalidParameter.UnsupportEncryptField`: `Encryption` names a
    /// field the action does not encrypt.
    UnsupportEncryptField,
    /// `InvalidParameter`: a bad parameter; for a result pull, a BizToken
    /// the vendor never issued (`非法BizToken。`).
    InvalidParameter,
    /// `InvalidParameterValue.BizTokenExpired`: the BizToken's three days
    /// of results are over.
    BizTokenExpired,
    /// `InvalidParameterValue.RuleIdNotExist`: no such RuleId.
    RuleIdNotExist,
    /// `InvalidParameterValue.RuleIdDisabled`: the RuleId is disabled.
    RuleIdDisabled,
    /// Any other code, as answered.
    Other(String),
}

impl ApiErrorCode {
    const NAMED: [(&'static str, ApiErrorCode); 12] = [
        ("AuthFailure.SignatureFailure", Self::SignatureFailure),
        ("AuthFailure.SignatureExpire", Self::SignatureExpire),
        (
            "AuthFailure.InvalidAuthorization",
            Self::InvalidAuthorization,
        ),
        ("AuthFailure.SecretIdNotFound", Self::SecretIdNotFound),
        ("RequestLimitExceeded", Self::RequestLimitExceeded),
        ("InternalError", Self::InternalError),
        ("InvalidParameter", Self::InvalidParameter),
        (
            "FailedOperation.DecryptSystemError",
            Self::DecryptSystemError,
        ),
        (
            "InvalidParameter.UnsupportEncryptField",
            Self::UnsupportEncryptField,
        ),
        (
            "InvalidParameterValue.BizTokenExpired",
            Self::BizTokenExpired,
        ),
        ("InvalidParameterValue.RuleIdNotExist", Self::RuleIdNotExist),
        ("InvalidParameterValue.RuleIdDisabled", Self::RuleIdDisabled),
    ];

    /// The typed code for `code`.
    pub fn from_code(code: &str) -> Self {
        if code.starts_with("RequestLimitExceeded") {
            return Self::RequestLimitExceeded;
        }
        if code == "FailedOperation.UnKnown" {
            return Self::InternalError;
        }
        Self::NAMED
            .iter()
            .find(|(name, _)| *name == code)
            .map_or_else(|| Self::Other(code.to_owned()), |(_, typed)| typed.clone())
    }

    /// The code as the vendor writes it (the family's name for
    /// [`RequestLimitExceeded`](Self::RequestLimitExceeded) and
    /// [`InternalError`](Self::InternalError)).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(code) => code,
            typed => Self::NAMED
                .iter()
                .find(|(_, named)| named == typed)
                .map_or("", |(name, _)| name),
        }
    }

    /// Whether the same request may succeed later: rate limits and the
    /// vendor's internal failures.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::RequestLimitExceeded | Self::InternalError)
    }

    /// Whether the vendor refused the request's timestamp: this server's
    /// clock is off by more than five minutes.
    pub fn is_clock_skew(&self) -> bool {
        *self == Self::SignatureExpire
    }

    /// Whether the vendor refused the credentials or the signature.
    pub fn is_authentication(&self) -> bool {
        matches!(
            self,
            Self::SignatureFailure | Self::InvalidAuthorization | Self::SecretIdNotFound
        ) || self.as_str().starts_with("AuthFailure")
    }
}

impl fmt::Display for ApiErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Tencent Cloud API 3.0 call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Tc3Error {
    /// The client could not be built: the message says which setting to fix.
    #[error("invalid Tc3Client configuration: {0}")]
    Config(String),
    /// The request did not complete: connection, TLS or timeout.
    #[error("the {action} request did not complete; check the network and the base URL")]
    Transport {
        /// Which call.
        action: Action,
        /// The transport error, its URL removed.
        #[source]
        source: TransportError,
    },
    /// The vendor answered with an HTTP error status.
    #[error("{action} answered HTTP {status}")]
    Status {
        /// Which call.
        action: Action,
        /// The HTTP status.
        status: u16,
    },
    /// The body was not the JSON the action promises.
    #[error(
        "{action} answered a body that is not the expected JSON; check that the base URL is the vendor's"
    )]
    Decode {
        /// Which call.
        action: Action,
        /// Where and why decoding failed (never a value from the body).
        #[source]
        source: DecodeError,
    },
    /// The answer's body is larger than the client's limit.
    #[error("{action} answered a body larger than the {limit}-byte limit")]
    TooLarge {
        /// Which call.
        action: Action,
        /// The limit in bytes.
        limit: usize,
    },
    /// The vendor refused the request's timestamp: this server's clock is
    /// more than five minutes off.
    #[error(
        "{action} was refused because this server's clock is more than 5 minutes off the vendor's; synchronise the clock (NTP)"
    )]
    ClockSkew {
        /// Which call.
        action: Action,
        /// The vendor's `RequestId`, for its support.
        request_id: String,
    },
    /// The vendor could not decrypt the encrypted fields
    /// (`FailedOperation.DecryptSystemError`): the public key is not the
    /// vendor's.
    #[error(
        "{action} was refused because the vendor could not decrypt the encrypted fields; set the public key (FACEID_TC3_PUBLIC_KEY) to the one the FaceID console shows"
    )]
    KeyRejected {
        /// Which call.
        action: Action,
        /// The vendor's `RequestId`, for its support.
        request_id: String,
    },
    /// The client could not encrypt the request's fields or decrypt the
    /// answer's.
    #[cfg(feature = "wechat-encryption")]
    #[error(
        "{action}'s field encryption failed; check the public key (FACEID_TC3_PUBLIC_KEY) and the algorithm (FACEID_TC3_ENCRYPTION)"
    )]
    Encryption {
        /// Which call.
        action: Action,
        /// What failed (never a key or a value).
        #[source]
        source: super::FieldCryptoError,
    },
    /// The vendor answered `Response.Error`.
    #[error("{action} answered error {code}: {message}")]
    Api {
        /// Which call.
        action: Action,
        /// `Response.Error.Code`.
        code: ApiErrorCode,
        /// `Response.Error.Message`, the vendor's text.
        message: String,
        /// The vendor's `RequestId`, for its support.
        request_id: String,
    },
}

impl Tc3Error {
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

    /// The vendor's error code, for [`Tc3Error::Api`],
    /// [`Tc3Error::ClockSkew`] and [`Tc3Error::KeyRejected`].
    pub fn code(&self) -> Option<ApiErrorCode> {
        match self {
            Self::Api { code, .. } => Some(code.clone()),
            Self::ClockSkew { .. } => Some(ApiErrorCode::SignatureExpire),
            Self::KeyRejected { .. } => Some(ApiErrorCode::DecryptSystemError),
            _ => None,
        }
    }

    /// Whether the same call may succeed later: a transport failure, an
    /// HTTP 5xx, or a retryable vendor code
    /// ([`ApiErrorCode::is_retryable`]).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { .. } => true,
            Self::Status { status, .. } => *status >= 500,
            Self::Api { code, .. } => code.is_retryable(),
            _ => false,
        }
    }
}
