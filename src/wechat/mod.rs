//! The WeChat edition's orders and the mini program's result: the guide
//! is [the WeChat edition](crate::tc3#the-wechat-edition).

use serde::{Deserialize, Serialize};

use crate::callback::{
    CallbackRejection, CallbackVerifier, Malformed, Origin, Submission, VerificationOutcome,
};
use crate::json;
use crate::orders::Claim;

pub use crate::tc3::biz_token::{BIZ_TOKEN_LIFETIME, InvalidBizToken, biz_token_of, order_no_of};

/// The largest mini program body [`verify_mini_program_body`] reads:
/// 1 KiB, ten times a genuine one.
pub const MAX_MINI_PROGRAM_BODY: usize = 1024;

/// What the mini program posts to your server once the vendor's SDK
/// answered it: `{"bizToken": "..."}`.
///
/// ```
/// use tencent_faceid::tc3::MiniProgramResult;
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
/// the redirect's pipeline (see [the WeChat edition](crate::tc3#the-wechat-edition)), with no
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
