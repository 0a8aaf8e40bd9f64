//! The request bodies as the vendor's DetectAuth documentation defines them: the
//! documented field names, read here rather than through the crate's
//! client types, so a client that named a field otherwise is refused.

use serde::Deserialize;
use serde_json::Value;

use super::ApiRefusal;
use tencent_faceid::Secret;

/// `DetectAuth`'s documented fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DetectAuth {
    #[serde(rename = "RuleId")]
    pub rule_id: String,
    #[serde(rename = "TerminalType", default)]
    _terminal_type: Option<String>,
    #[serde(rename = "IdCard", default)]
    pub id_card: Option<Secret>,
    #[serde(rename = "Name", default)]
    pub name: Option<Secret>,
    #[serde(rename = "RedirectUrl", default)]
    pub redirect_url: Option<String>,
    #[serde(rename = "Extra", default)]
    pub extra: Option<String>,
    #[serde(rename = "ImageBase64", default)]
    pub image_base64: Option<Secret>,
    #[serde(rename = "Encryption", default)]
    pub encryption: Option<Value>,
    #[serde(rename = "IntentionVerifyText", default)]
    _intention_verify_text: Option<String>,
    #[serde(rename = "IntentionQuestions", default)]
    _intention_questions: Option<Value>,
    #[serde(rename = "IntentionActions", default)]
    _intention_actions: Option<Value>,
    #[serde(rename = "Config", default)]
    _config: Option<Value>,
}

/// `GetDetectInfoEnhanced`'s documented fields.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DetectInfo {
    #[serde(rename = "BizToken")]
    pub biz_token: String,
    #[serde(rename = "RuleId")]
    pub rule_id: String,
    #[serde(rename = "InfoType", default)]
    _info_type: Option<String>,
    #[serde(rename = "BestFramesCount", default)]
    _best_frames_count: Option<u64>,
    #[serde(rename = "IsCutIdCardImage", default)]
    _is_cut_id_card_image: Option<bool>,
    #[serde(rename = "IsNeedIdCardAvatar", default)]
    _is_need_id_card_avatar: Option<bool>,
    #[serde(rename = "IsEncrypt", default)]
    _is_encrypt: Option<bool>,
    #[serde(rename = "Encryption", default)]
    pub encryption: Option<Value>,
    #[serde(rename = "IsEncryptResponse", default)]
    pub is_encrypt_response: Option<bool>,
    #[serde(rename = "IsReturnAllVideo", default)]
    _is_return_all_video: Option<bool>,
}

/// The body as `T`: a missing required field is `MissingParameter`, an
/// undocumented one `UnknownParameter`, a wrong type `InvalidParameter`
/// (the common codes; which one the vendor picks is inferred).
pub(super) fn read<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiRefusal> {
    serde_json::from_slice(body).map_err(refusal)
}

/// A JSON object of the body (such as `Encryption`) as `T`, refused as
/// [`read`] refuses.
#[cfg(feature = "wechat-encryption")]
pub(super) fn read_value<T: serde::de::DeserializeOwned>(value: &Value) -> Result<T, ApiRefusal> {
    T::deserialize(value).map_err(refusal)
}

fn refusal(error: serde_json::Error) -> ApiRefusal {
    let text = error.to_string();
    if text.starts_with("missing field") {
        ApiRefusal::new("MissingParameter", "缺少必填参数。")
    } else if text.starts_with("unknown field") {
        ApiRefusal::new("UnknownParameter", "未定义的参数。")
    } else {
        ApiRefusal::new("InvalidParameter", "参数格式错误。")
    }
}

/// Whether the request has the `Encryption` option (an object, not `null`).
pub(super) fn asks_encryption(encryption: Option<&Value>) -> bool {
    encryption.is_some_and(|value| !value.is_null())
}

/// Refuses the encryption option the emulator cannot serve: without a key
/// pair, or the whole answer encrypted (not emulated).
pub(super) fn refuse_encryption(why: &str) -> ApiRefusal {
    ApiRefusal::new(
        "FailedOperation.DecryptSystemError",
        format!("the emulator does not emulate {why}"),
    )
}
