//! Why a session did not start: [`InvalidStart`] for a request to fix,
//! [`StartError`] for everything, with its HTTP status and public message.

use crate::client::ClientError;
use crate::ids::IdentifierError;
use crate::orders::StoreError;
use crate::render::{BodyFormat, ErrorResponse};
use crate::result_code::ResultCode;
use crate::tickets::TicketError;

/// A start request the vendor would refuse: the message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidStart {
    /// Neither a photo nor both name and id number.
    #[error(
        "give both the name and the id number (authoritative-source comparison) or a source photo"
    )]
    MissingIdentity,
    /// Name or id number is empty or blank.
    #[error("the name and id number must not be blank")]
    BlankIdentity,
    /// No callback URL: neither the request nor the `FaceId` has one.
    #[error(
        "no callback URL: give it once with FaceIdBuilder::callback_url (or FACEID_CALLBACK_URL), or per request with StartSession::callback_url"
    )]
    MissingCallbackUrl,
    /// The callback URL is not http(s).
    #[error("the callback URL must be an absolute http or https URL")]
    CallbackUrl,
    /// An App SDK session was asked for an H5 page.
    #[error(
        "the App SDK edition has no H5 page: start it with SessionStarter::start_sdk, which answers the SDK's launch parameters"
    )]
    NotH5,
    /// The photo is over the vendor's limit.
    #[error(
        "the source photo is {size} bytes; the vendor accepts at most {max} bytes before base64"
    )]
    PhotoTooLarge {
        /// The photo's size in bytes.
        size: usize,
        /// [`MAX_PHOTO_BYTES`](super::MAX_PHOTO_BYTES).
        max: usize,
    },
    /// The photo is not JPG, PNG or BMP.
    #[error("the source photo must be a JPG, PNG or BMP image")]
    PhotoFormat,
    /// The photo's base64 breaks the vendor's rules.
    #[error("the source photo's base64 is not acceptable: {0}")]
    PhotoBase64(&'static str),
    /// A WeChat session was given a source photo, which this crate does
    /// not send through `DetectAuth`.
    #[error(
        "the WeChat edition compares with the authority's record (name and id number) or what its RuleId configures: remove the source photo"
    )]
    PhotoInWeChat,
}

/// Starting a session failed; nothing was recorded.
///
/// Ready for HTTP: [`StartError::status`], [`StartError::is_transient`],
/// and a [`public_message`](StartError::public_message) for the user's
/// browser; with the `axum` feature it is an `IntoResponse`, with `actix`
/// a `ResponseError` (both through [`crate::render::ErrorResponse`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The request breaks the vendor's rules.
    #[error(transparent)]
    Invalid(#[from] InvalidStart),
    /// No SIGN or NONCE ticket could be had.
    #[error(transparent)]
    Tickets(#[from] TicketError),
    /// The vendor refused or could not be reached.
    #[error(
        "the vendor did not start the session; if the cause is a vendor code, fix what it names, else retry later"
    )]
    Vendor(#[from] ClientError),
    /// The vendor answered something this crate cannot use.
    #[error("the vendor's answer cannot be used: {0}")]
    Answer(String),
    /// The pending order could not be recorded (checked before the vendor
    /// is asked, when the store is full).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The [admission check](super::SessionStarterBuilder::admit) refused the
    /// request (a rate limit): nothing was asked of the vendor.
    #[error("too many verifications started: {0}; try again later")]
    Refused(String),
    /// No valid order number could be made (the prefix is not letters and
    /// digits, or too long).
    ///
    /// Not made from any [`IdentifierError`] by `?`: an invalid user id is
    /// your app's to report, not an order number this crate failed to make.
    #[error(
        "could not generate an order number; use an order prefix of at most 12 letters or digits"
    )]
    OrderNo(#[source] IdentifierError),
    /// An App SDK session was asked for, but no SDK licence (`keyLicence`)
    /// is configured: set
    /// [`SessionStarterBuilder::key_licence`](super::SessionStarterBuilder::key_licence).
    #[error(
        "no App SDK licence (keyLicence) is configured: set it on the session starter (SessionStarterBuilder::key_licence, FaceIdBuilder::starter, or FACEID_KEY_LICENCE)"
    )]
    NoKeyLicence,
    /// A WeChat session was asked for, but the wiring has no Tencent Cloud
    /// API 3.0 client: set [`Wiring::wechat`](crate::wiring::Wiring::wechat).
    #[error(
        "no Tencent Cloud API 3.0 client is configured for the WeChat edition: give one with Wiring::wechat"
    )]
    NoWeChatClient,
    /// `DetectAuth` failed: the vendor refused it or could not be reached.
    #[error(
        "the vendor did not start the WeChat session; if the cause is a vendor code, fix what it names, else retry later"
    )]
    WeChat(#[from] crate::tc3::Tc3Error),
}

impl StartError {
    /// The HTTP status to answer the user's request to start with: 400
    /// for a request to fix, 422 when the vendor refuses the name or id
    /// number, 429 when refused by the admission check, 503 when the order
    /// store or the tickets are unavailable, 502 when the vendor failed,
    /// 500 for this server's configuration.
    ///
    /// ```
    /// use tencent_faceid::client::{ClientError, Endpoint};
    /// use tencent_faceid::client::ResultCode;
    /// use tencent_faceid::session::{InvalidStart, StartError};
    /// assert_eq!(StartError::Invalid(InvalidStart::BlankIdentity).status(), 400);
    /// assert_eq!(StartError::Refused("5 a minute per address".into()).status(), 429);
    /// let refused = |code| StartError::Vendor(ClientError::Vendor {
    ///     endpoint: Endpoint::StartSession, code, msg: String::new() });
    /// assert_eq!(refused(ResultCode::InvalidNameOrIdNumber).status(), 422);
    /// assert_eq!(refused(ResultCode::InvalidAccessToken).status(), 502);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid(InvalidStart::MissingCallbackUrl) => 500,
            Self::Invalid(_) => 400,
            Self::Vendor(error) if error.vendor_code().is_some_and(ResultCode::is_about_input) => {
                422
            }
            Self::Refused(_) => 429,
            Self::Store(_) | Self::Tickets(_) => 503,
            Self::Vendor(_) | Self::Answer(_) | Self::WeChat(_) => 502,
            Self::OrderNo(_) | Self::NoKeyLicence | Self::NoWeChatClient => 500,
        }
    }

    /// Whether the same request may succeed later, unchanged: the vendor,
    /// the tickets or the store failed, or the admission check refused it
    /// for now. Requests to fix (400, 422) and this server's configuration
    /// (500) are not transient.
    ///
    /// ```
    /// use tencent_faceid::session::{InvalidStart, StartError};
    /// assert!(StartError::Refused("30 a minute".into()).is_transient());
    /// assert!(!StartError::Invalid(InvalidStart::MissingIdentity).is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        matches!(self.status(), 429 | 502 | 503)
    }

    /// A stable machine-readable name: `invalid_request`,
    /// `identity_refused`, `too_many_requests`, `unavailable`,
    /// `vendor_failed` or `server_misconfigured`.
    ///
    /// ```
    /// use tencent_faceid::session::StartError;
    /// assert_eq!(StartError::Refused("30 a minute".into()).kind(), "too_many_requests");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self.status() {
            400 => "invalid_request",
            422 => "identity_refused",
            429 => "too_many_requests",
            503 => "unavailable",
            502 => "vendor_failed",
            _ => "server_misconfigured",
        }
    }

    /// A message for the user's browser: what to fix or when to come
    /// back, never the vendor's own text, a secret or the request's
    /// personal data ([`Display`](std::fmt::Display) is for your logs).
    ///
    /// ```
    /// use tencent_faceid::session::{InvalidStart, StartError};
    /// let error = StartError::Invalid(InvalidStart::BlankIdentity);
    /// assert_eq!(error.public_message(), "the name and id number must not be blank");
    /// ```
    pub fn public_message(&self) -> String {
        match self {
            Self::Invalid(invalid) if self.status() == 400 => invalid.to_string(),
            Self::Refused(_) => {
                "too many face verifications were started; try again in a minute".to_owned()
            }
            _ => match self.status() {
                422 => {
                    "the name and id number were not accepted; check them and try again".to_owned()
                }
                502 | 503 => {
                    "face verification is unavailable right now; try again in a few minutes"
                        .to_owned()
                }
                _ => "face verification is not set up correctly on this server".to_owned(),
            },
        }
    }

    /// The HTTP answer: the [status](Self::status) and the
    /// [public message](Self::public_message), never the vendor's own text
    /// or the request's personal data. The full error is logged (at `warn`
    /// for a request to fix, `error` otherwise).
    ///
    /// ```
    /// use tencent_faceid::callback::BodyFormat;
    /// use tencent_faceid::session::{InvalidStart, StartError};
    /// let error = StartError::Invalid(InvalidStart::BlankIdentity);
    /// let response = error.to_response(BodyFormat::Json);
    /// assert_eq!(response.status, 400);
    /// assert_eq!(response.content_type, "application/json");
    /// ```
    pub fn to_response(&self, format: BodyFormat) -> ErrorResponse {
        if self.status() < 500 {
            tracing::warn!(error = %self, "face verification not started");
        } else {
            tracing::error!(error = %self, "face verification not started");
        }
        let message = self.public_message();
        ErrorResponse::new(self.status(), self.kind(), &message, format, None)
    }
}
