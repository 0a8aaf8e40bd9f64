//! The bodies of `DetectAuth` and `GetDetectInfoEnhanced` (the vendor's DetectAuth
//! documentation), and the `{"Response": {...}}` envelope around every answer.
//!
//! Personal data in an answer (names, id numbers, OCR fields, the
//! partner's `Extra`) is [`Secret`]: it never shows in `Debug`.

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

/// The API version of the FaceID actions.
pub const VERSION: &str = "2018-03-01";

/// The `DetectAuth` request body.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DetectAuthRequest {
    /// The business flow configured in the console.
    pub rule_id: String,
    /// Where the vendor's WeChat H5 page sends the browser back, with
    /// `BizToken=` on the query (WeChat H5 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_url: Option<String>,
    /// The ID card number (upper-case `X`), when the RuleId compares with
    /// the authority's record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_card: Option<Secret>,
    /// The name, at most 32 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Secret>,
    /// Passed through to the result (at most 1024 characters): the
    /// crate's own correlation, never a user's credential.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra: Option<String>,
    /// How `name` and `id_card` are encrypted: set by a client with a
    /// [`FieldEncryption`](super::FieldEncryption), which encrypts them
    /// (leave it `None`).
    #[cfg(feature = "wechat-encryption")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
}

impl DetectAuthRequest {
    /// A request for `rule_id`, nothing else set.
    pub fn new(rule_id: impl Into<String>) -> Self {
        Self {
            rule_id: rule_id.into(),
            ..Self::default()
        }
    }
}

/// What `DetectAuth` answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DetectAuthAnswer {
    /// The verification's id: valid for verification 7,200 s, its result
    /// pullable three days.
    pub biz_token: String,
    /// The vendor's page that starts the verification (WeChat H5 only).
    #[serde(default)]
    pub url: Option<String>,
    /// The vendor's request id.
    pub request_id: String,
}

/// The `GetDetectInfoEnhanced` request body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DetectInfoRequest {
    /// The BizToken from `DetectAuth`.
    pub biz_token: String,
    /// The RuleId it was started with.
    pub rule_id: String,
    /// Which parts: `"1"` the text only (what the crate asks), `"0"` all,
    /// `"13"` text and best frame, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_type: Option<String>,
    /// The caller's wrapped key, for the vendor to encrypt the answer's
    /// sensitive fields with (set by a client with a
    /// [`FieldEncryption`](super::FieldEncryption)).
    #[cfg(feature = "wechat-encryption")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<Encryption>,
}

/// What `GetDetectInfoEnhanced` answers: `Text` is `None` (or has no
/// `ErrCode`) until the user has finished an attempt.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DetectInfo {
    /// The result, text fields.
    #[serde(default)]
    pub text: Option<DetectInfoText>,
    /// How the answer's sensitive fields were encrypted (the client has
    /// decrypted them already).
    #[cfg(feature = "wechat-encryption")]
    #[serde(default)]
    pub encryption: Option<Encryption>,
    /// The vendor's request id.
    #[serde(default)]
    pub request_id: String,
}

impl DetectInfo {
    /// The final verdict's code: `Some(0)` passed, `Some(other)` failed,
    /// `None` not finished.
    pub fn err_code(&self) -> Option<i64> {
        self.text.as_ref().and_then(|text| text.err_code)
    }

    /// The attempts, one per liveness and comparison, in order.
    pub fn attempts(&self) -> &[DetectDetail] {
        self.text
            .as_ref()
            .and_then(|text| text.liveness_detail.as_deref())
            .unwrap_or_default()
    }

    /// How many attempts the vendor bills: the count of
    /// `IsNeedCharge == true` (the vendor's reconciliation rule; `ErrCode`
    /// says nothing about billing).
    pub fn billed_attempts(&self) -> usize {
        self.attempts()
            .iter()
            .filter(|attempt| attempt.is_need_charge)
            .count()
    }
}

/// `Response.Text` of `GetDetectInfoEnhanced` (the fields the crate reads).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct DetectInfoText {
    /// The final result: 0 passed; `None` before the user finished.
    #[serde(default)]
    pub err_code: Option<i64>,
    /// The vendor's text for `err_code` (descriptive only).
    #[serde(default)]
    pub err_msg: Option<String>,
    /// The ID card number verified (personal data).
    #[serde(default)]
    pub id_card: Option<Secret>,
    /// The name verified (personal data).
    #[serde(default)]
    pub name: Option<Secret>,
    /// The ID card number read by OCR (personal data).
    #[serde(default)]
    pub ocr_id_card: Option<Secret>,
    /// The name read by OCR (personal data).
    #[serde(default)]
    pub ocr_name: Option<Secret>,
    /// The similarity, `"0.00"`-`"100.00"`.
    #[serde(default)]
    pub sim: Option<String>,
    /// `DetectAuth`'s `Extra`, echoed.
    #[serde(default)]
    pub extra: Option<Secret>,
    /// One entry per attempt.
    #[serde(default)]
    pub liveness_detail: Option<Vec<DetectDetail>>,
}

/// One attempt (`DetectDetail`); note the vendor's casing, `Errcode`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DetectDetail {
    /// When, 13-digit milliseconds.
    #[serde(rename = "ReqTime", default)]
    pub req_time: Option<String>,
    /// The attempt's id.
    #[serde(rename = "Seq", default)]
    pub seq: Option<String>,
    /// Whether the vendor bills this attempt.
    #[serde(rename = "IsNeedCharge", default)]
    pub is_need_charge: bool,
    /// The attempt's code: 0 passed.
    #[serde(rename = "Errcode", default)]
    pub errcode: Option<i64>,
    /// The vendor's text for it.
    #[serde(rename = "Errmsg", default)]
    pub errmsg: Option<String>,
}

/// `Encryption`, the vendor's field encryption: which fields are
/// ciphertext, the symmetric key wrapped with the vendor's public key, the
/// IV (base64), the algorithm.
#[cfg(feature = "wechat-encryption")]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
#[non_exhaustive]
pub struct Encryption {
    /// The encrypted fields: `IdCard`, `Name` in a request; JSON paths
    /// such as `Response.Text.IdCard` in an answer.
    #[serde(default)]
    pub encrypt_list: Vec<String>,
    /// The symmetric key, wrapped with the vendor's public key, base64.
    #[serde(default)]
    pub ciphertext_blob: String,
    /// The IV, base64 (empty when the vendor picks it, for an answer).
    #[serde(default)]
    pub iv: Option<String>,
    /// `AES-256-CBC` (the vendor's default) or `SM4-GCM`.
    #[serde(default)]
    pub algorithm: String,
    /// The SM4-GCM tags, one per encrypted field (empty for AES-256-CBC).
    #[serde(default)]
    pub tag_list: Vec<String>,
}

/// `{"Response": {...}}`: an answer, or `Error` inside it.
#[derive(Deserialize)]
pub(crate) struct Envelope<T> {
    #[serde(rename = "Response")]
    pub response: EnvelopeBody<T>,
}

#[derive(Deserialize)]
#[serde(untagged)]
pub(crate) enum EnvelopeBody<T> {
    Error {
        #[serde(rename = "Error")]
        error: ErrorBody,
        #[serde(rename = "RequestId", default)]
        request_id: String,
    },
    Answer(T),
}

/// `Response.Error`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ErrorBody {
    pub code: String,
    pub message: String,
}
