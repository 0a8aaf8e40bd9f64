//! [`SdkResult`]: the SDK's result as the app forwards it, verified by
//! [`CallbackVerifier::verify_sdk_result`] with the callback's own
//! pipeline.

use serde::{Deserialize, Serialize};

use crate::callback::{
    CallbackRejection, CallbackVerifier, Malformed, Origin, Submission, VerificationOutcome,
};
use crate::json;
use crate::orders::Claim;

/// The largest result body [`verify_result_body`] reads: 4 KiB, ten times
/// a genuine one.
pub const MAX_RESULT_BODY: usize = 4096;

/// The SDK's result, as your app forwards it to your server: a JSON
/// object with `orderNo`, `code` (`"0"` for a pass, else the SDK's error
/// code), the vendor's `sign`, and optionally `liveRate` and `similarity`
/// (not signed: read them from the vendor's record instead).
///
/// ```
/// use tencent_faceid::sdk::SdkResult;
/// let result: SdkResult = serde_json::from_str(
///     r#"{"orderNo":"test1480921551481","code":"0","sign":"526365E042766AE27A6E52D2E4829D4C6E156B5D","liveRate":"99"}"#)?;
/// assert_eq!(result.code, "0");
/// assert_eq!(result.similarity, None);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SdkResult {
    /// The order number (`agreementNo` at launch); signed.
    pub order_no: String,
    /// The result code; signed.
    #[serde(deserialize_with = "json::lenient_string")]
    pub code: String,
    /// The vendor's signature of app id, order number and code.
    pub sign: String,
    /// The liveness score the SDK reported; not signed.
    #[serde(default, deserialize_with = "json::lenient_optional_string")]
    pub live_rate: Option<String>,
    /// The similarity the SDK reported; not signed.
    #[serde(default, deserialize_with = "json::lenient_optional_string")]
    pub similarity: Option<String>,
}

impl SdkResult {
    /// A result with these signed values and no scores.
    ///
    /// ```
    /// use tencent_faceid::sdk::SdkResult;
    /// let result = SdkResult::new("order1", "0", "526365E042766AE27A6E52D2E4829D4C6E156B5D");
    /// assert!(result.live_rate.is_none());
    /// ```
    pub fn new(
        order_no: impl Into<String>,
        code: impl Into<String>,
        sign: impl Into<String>,
    ) -> Self {
        Self {
            order_no: order_no.into(),
            code: code.into(),
            sign: sign.into(),
            live_rate: None,
            similarity: None,
        }
    }
}

impl CallbackVerifier {
    /// Verifies an App SDK result your app forwarded, and consumes its order:
    /// the H5 callback's pipeline (order first, signature against the SIGN
    /// tickets with one recovery, the vendor's record as the last judge,
    /// confirmation, exactly once, settlement), with the same rejections and
    /// statuses. A pass is confirmed with the vendor's record whenever the
    /// verifier has the vendor's client (see [`crate::sdk`]).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use std::time::Duration;
    /// use tencent_faceid::callback::{CallbackVerifier, RejectionKind};
    /// use tencent_faceid::session::{result_sign, Edition};
    /// use tencent_faceid::{OrderNo, UserId};
    /// use tencent_faceid::orders::{MemoryOrderStore, OrderStore, PendingOrder};
    /// use tencent_faceid::sdk::SdkResult;
    /// use tencent_faceid::tickets::StaticTickets;
    ///
    /// let ticket = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe";
    /// let store = MemoryOrderStore::new();
    /// # let client = tencent_faceid::client::FaceIdClient::builder("appId001", "secret").build()?;
    /// let wiring = tencent_faceid::wiring::Wiring::new(client, StaticTickets::new(ticket, "nonce"), store.clone());
    /// // (No vendor here to confirm the pass with: see the module documentation.)
    /// let verifier = CallbackVerifier::builder(&wiring).record_judge(false).build()?;
    /// let order = PendingOrder::new(OrderNo::new("test1480921551481")?, UserId::new("u1")?).in_edition(Edition::AppSdk);
    /// store.put(order, Duration::from_secs(900)).await?;
    ///
    /// let sign = result_sign("appId001", "test1480921551481", "0", ticket);
    /// let result = SdkResult::new("test1480921551481", "0", sign.to_string());
    /// let outcome = verifier.verify_sdk_result(&result).await?;
    /// assert!(outcome.passed() && outcome.edition == Edition::AppSdk);
    /// assert_eq!(verifier.verify_sdk_result(&result).await.unwrap_err().kind(), &RejectionKind::Replay);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// A [`CallbackRejection`], as [`CallbackVerifier::verify`].
    pub async fn verify_sdk_result(
        &self,
        result: &SdkResult,
    ) -> Result<VerificationOutcome, CallbackRejection> {
        let submission = Submission::signed(
            Origin::App,
            &result.order_no,
            &result.code,
            &result.sign,
            Claim::new(),
        )
        .map(|submission| submission.reported(String::new(), result.live_rate.clone()));
        let verdict = self.verify_submission(submission).await;
        verdict.map_err(CallbackRejection::of_app_result)
    }
}

/// [`CallbackVerifier::verify_sdk_result`] for the request body as it
/// came, JSON: what the framework extractors call.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use tencent_faceid::sdk::verify_result_body;
/// # let verifier = tencent_faceid::__doctest::verifier()?;
/// let rejection = verify_result_body(&verifier, b"{\"orderNo\":\"o1\"}").await.unwrap_err();
/// assert_eq!(rejection.status(), 400);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
///
/// # Errors
/// [`Malformed::NotSdkResult`] (400) when the body is longer than
/// [`MAX_RESULT_BODY`] or not an [`SdkResult`]; otherwise as
/// [`CallbackVerifier::verify_sdk_result`].
pub async fn verify_result_body(
    verifier: &CallbackVerifier,
    body: &[u8],
) -> Result<VerificationOutcome, CallbackRejection> {
    if body.len() > MAX_RESULT_BODY {
        return Err(refuse(json::DecodeError::too_long()));
    }
    match json::decode::<SdkResult>(body) {
        Ok(result) => verifier.verify_sdk_result(&result).await,
        Err(error) => Err(refuse(error)),
    }
}

/// The rejection of a body longer than [`MAX_RESULT_BODY`] (or that could
/// not be read whole), counted with the others: for the framework
/// extractors, which stop reading at the limit.
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) fn refuse_too_long() -> CallbackRejection {
    refuse(json::DecodeError::too_long())
}

/// The rejection of a body that is not a result, counted with the
/// callbacks' verdicts.
fn refuse(error: json::DecodeError) -> CallbackRejection {
    let rejection = CallbackRejection::malformed(Malformed::NotSdkResult(error)).of_app_result();
    crate::metrics::callback(rejection.kind().as_str());
    rejection
}
