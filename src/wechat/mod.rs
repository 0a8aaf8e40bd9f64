//! The WeChat edition ([`Edition::WeChat`](crate::session::Edition::WeChat)):
//! face verification for WeChat H5 (official accounts, the WeChat
//! browser) and WeChat mini programs, through Tencent Cloud API 3.0
//! (`DetectAuth`, `GetDetectInfoEnhanced`), on the same orders, settlement and reconciliation as
//! the other editions.
//!
//! 1. **Start** with the one [`StartSession`](crate::session::StartSession)
//!    API: `.edition(Edition::WeChat)` for WeChat H5, or
//!    [`StartSession::for_mini_program`](crate::session::StartSession::for_mini_program).
//!    The starter calls `DetectAuth` (the wiring's
//!    [`Tc3Client`], [`Wiring::wechat`](crate::wiring::Wiring::wechat))
//!    with the RuleId, `RedirectUrl` = the callback URL (H5 only), the
//!    name and id number when given, and `Extra` = the user id (the
//!    crate's correlation, never a credential), with the same admission,
//!    room check, metrics and span as the other editions. The pending
//!    order is keyed by the BizToken ([`order_no_of`]: its hex digits
//!    without dashes), bound to the browser for H5 (as the other H5
//!    editions) and to none for a mini program (which has no cookies: as
//!    an App SDK order). Send the browser to
//!    [`Started::redirect_url`](crate::session::Started::redirect_url), or
//!    hand the mini program the BizToken
//!    ([`Started::h5face_id`](crate::session::Started::h5face_id)).
//! 2. **Verify**: the vendor's page sends the browser back to the callback
//!    URL with `?BizToken=` and no signature, so the same
//!    [`CallbackVerifier`] (and the tower layer, the axum and actix
//!    adapters) takes the verdict from `GetDetectInfoEnhanced`, always:
//!    the order first (a BizToken this server never issued is a 404 that
//!    costs no vendor call), then its browser (409 from another), then the
//!    vendor's record (`ErrCode`: [`VerificationOutcome::code`], the
//!    record in [`VerificationOutcome::wechat`], with each attempt and
//!    whether it is billed), consumed exactly once and settled. A record
//!    with no verdict yet is [`RejectionKind::NotFinished`](crate::callback::RejectionKind::NotFinished)
//!    (409, the order stays pending). The mini program posts the BizToken
//!    to your endpoint as JSON (`{"bizToken": "..."}`): [`verify_mini_program`]
//!    (or the `axum::WeChatVerified` / `actix::WeChatVerified` extractors)
//!    runs the same pipeline.
//! 3. **Settle and reconcile**: the order remembers its edition in every
//!    store; the [reconciler](crate::settle::Reconciler) pulls
//!    `GetDetectInfoEnhanced` (never `queryfacerecord`) for WeChat orders
//!    nobody came back for: final when the verdict is in, abandoned once
//!    [`BIZ_TOKEN_LIFETIME`] has passed without one. It tells them by
//!    their order number (32 hex digits, which the starter never gives an
//!    order of another edition).
//!
//! The first verdict that comes back is the outcome, as in the other
//! editions: a failed attempt consumes the order (the vendor would let the
//! user try again with the same BizToken; start a new session instead).
//! Personal data in the record (name, id number) are
//! [`Secret`](crate::Secret)s, never logged; photos and video are never
//! fetched (`InfoType` 1, the text only).

use serde::{Deserialize, Serialize};

use crate::callback::{
    CallbackRejection, CallbackVerifier, Malformed, Origin, Submission, VerificationOutcome,
};
use crate::json;
use crate::orders::Claim;

pub use crate::tc3::biz_token::{BIZ_TOKEN_LIFETIME, InvalidBizToken, biz_token_of, order_no_of};
#[cfg(feature = "wechat-encryption")]
pub use crate::tc3::{AES_256_CBC, Encryption, FieldCryptoError, FieldEncryption, aes_cbc};
pub use crate::tc3::{
    Action, ApiErrorCode, CONTENT_TYPE_JSON, DEFAULT_TC3_BASE_URL, DetectAuthAnswer,
    DetectAuthRequest, DetectDetail, DetectInfo, DetectInfoRequest, DetectInfoText, SERVICE,
    Tc3Client, Tc3ClientBuilder, Tc3Error, VERSION, sign,
};

/// The largest mini program body [`verify_mini_program_body`] reads:
/// 1 KiB, ten times a genuine one.
pub const MAX_MINI_PROGRAM_BODY: usize = 1024;

/// What the mini program posts to your server once the vendor's SDK
/// answered it: `{"bizToken": "..."}`.
///
/// ```
/// use tencent_faceid::wechat::MiniProgramResult;
/// let result: MiniProgramResult = serde_json::from_str(r#"{"bizToken":"3C5D3A49-0D34-4E4B-9B73-1B2D3E4F5A6B"}"#)?;
/// assert_eq!(result.biz_token, "3C5D3A49-0D34-4E4B-9B73-1B2D3E4F5A6B");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MiniProgramResult {
    /// The BizToken the session was started with.
    pub biz_token: String,
}

impl MiniProgramResult {
    /// A result for `biz_token`.
    pub fn new(biz_token: impl Into<String>) -> Self {
        Self {
            biz_token: biz_token.into(),
        }
    }
}

/// Verifies the BizToken a mini program posted, and consumes its order:
/// the redirect's pipeline (see [the WeChat edition](crate::wechat)), with no
/// browser binding (a mini program has no cookies: an order started for
/// WeChat H5, bound to its browser, is refused here with 409).
///
/// # Errors
/// A [`CallbackRejection`]: 400 not a BizToken, 404 not started by this
/// server, 409 replayed, not finished or bound to a browser, 410 expired,
/// 503 the store or the vendor unavailable.
pub async fn verify_mini_program(
    verifier: &CallbackVerifier,
    result: &MiniProgramResult,
) -> Result<VerificationOutcome, CallbackRejection> {
    let submission = Submission::biz_token(Origin::App, &result.biz_token, Claim::new());
    verifier.verify_submission(submission).await
}

/// [`verify_mini_program`] for the request body as it came, JSON: what the
/// framework extractors call.
///
/// # Errors
/// [`Malformed::NotMiniProgramResult`] (400) when the body is longer than
/// [`MAX_MINI_PROGRAM_BODY`] or not a [`MiniProgramResult`]; otherwise as
/// [`verify_mini_program`].
pub async fn verify_mini_program_body(
    verifier: &CallbackVerifier,
    body: &[u8],
) -> Result<VerificationOutcome, CallbackRejection> {
    if body.len() > MAX_MINI_PROGRAM_BODY {
        return Err(refuse(json::DecodeError::too_long()));
    }
    match json::decode::<MiniProgramResult>(body) {
        Ok(result) => verify_mini_program(verifier, &result).await,
        Err(error) => Err(refuse(error)),
    }
}

/// The rejection of a body longer than [`MAX_MINI_PROGRAM_BODY`] (or that
/// could not be read whole): for the framework extractors.
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) fn refuse_too_long() -> CallbackRejection {
    refuse(json::DecodeError::too_long())
}

/// The rejection of a body that is not a mini program's result, counted
/// with the callbacks' verdicts.
fn refuse(error: json::DecodeError) -> CallbackRejection {
    let rejection = CallbackRejection::malformed(Malformed::NotMiniProgramResult(error));
    crate::metrics::callback(rejection.kind().as_str());
    rejection
}
