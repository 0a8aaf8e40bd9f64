//! The vendor's wire types, result codes and validated identifiers.
//!
//! Field names follow the vendor's JSON (camelCase, a few snake_case);
//! `code` is a string on the wire and becomes a [`ResultCode`]. Secrets and
//! personal data are [`Secret`]s, so `Debug` never shows them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::secret::Secret;
use crate::sign::Signature;

/// The protocol version every request carries.
pub const VERSION: &str = "1.0.0";

/// A vendor result code: `"0"` is success; known error codes are named, the
/// others keep their raw text.
///
/// The names cover the codes this crate and its emulator meet most; any
/// other code is [`ResultCode::Other`] and round-trips unchanged.
///
/// ```
/// use tencent_faceid::model::ResultCode;
/// assert!(ResultCode::from_code("0").is_success());
/// assert_eq!(ResultCode::from_code("66660004"), ResultCode::FaceMismatch);
/// let unknown = ResultCode::from_code("12345678");
/// assert_eq!(unknown.as_str(), "12345678");
/// assert!(!unknown.is_success());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// `0`: the request succeeded, or the face was verified.
    Success,
    /// `66660004`: the face could not be confirmed as the same person.
    FaceMismatch,
    /// `66660010`: name and id number do not match.
    NameIdMismatch,
    /// `66660011`: no such id number in the authoritative source.
    IdNumberNotFound,
    /// `66660016`: the video's format or size is not acceptable.
    InvalidVideo,
    /// `66660017`: too many verification attempts.
    TooManyAttempts,
    /// `66661001`: the user cancelled verification.
    UserCancelled,
    /// `400101`: the request is not acceptable (missing or malformed parameter).
    InvalidRequest,
    /// `400102`: the app id or secret is wrong.
    InvalidCredentials,
    /// `400103`: the access token is invalid or expired.
    InvalidAccessToken,
    /// `400104`: the request's `sign` does not match.
    InvalidSign,
    /// `400105`: the order number was used before.
    DuplicateOrderNo,
    /// `400106`: no record for this order number.
    OrderNotFound,
    /// `400500`: the vendor failed internally; retrying may help.
    InternalError,
    /// Any other code, kept as sent.
    Other(String),
}

const KNOWN_CODES: &[(ResultCode, &str, &str)] = &[
    (ResultCode::Success, "0", "success"),
    (
        ResultCode::FaceMismatch,
        "66660004",
        "the face could not be confirmed as the same person",
    ),
    (
        ResultCode::NameIdMismatch,
        "66660010",
        "name and id number do not match",
    ),
    (
        ResultCode::IdNumberNotFound,
        "66660011",
        "no such id number",
    ),
    (
        ResultCode::InvalidVideo,
        "66660016",
        "the video's format or size is not acceptable",
    ),
    (
        ResultCode::TooManyAttempts,
        "66660017",
        "too many verification attempts",
    ),
    (
        ResultCode::UserCancelled,
        "66661001",
        "the user cancelled verification",
    ),
    (
        ResultCode::InvalidRequest,
        "400101",
        "invalid request: a parameter is missing or malformed",
    ),
    (
        ResultCode::InvalidCredentials,
        "400102",
        "the app id or secret is wrong",
    ),
    (
        ResultCode::InvalidAccessToken,
        "400103",
        "the access token is invalid or expired",
    ),
    (
        ResultCode::InvalidSign,
        "400104",
        "the request's sign does not match",
    ),
    (
        ResultCode::DuplicateOrderNo,
        "400105",
        "the order number was used before",
    ),
    (
        ResultCode::OrderNotFound,
        "400106",
        "no record for this order number",
    ),
    (
        ResultCode::InternalError,
        "400500",
        "the vendor failed internally",
    ),
];

impl ResultCode {
    /// Reads a code as the vendor sends it.
    ///
    /// ```
    /// use tencent_faceid::model::ResultCode;
    /// assert_eq!(ResultCode::from_code("400104"), ResultCode::InvalidSign);
    /// ```
    pub fn from_code(code: &str) -> Self {
        KNOWN_CODES
            .iter()
            .find(|(_, raw, _)| *raw == code)
            .map_or_else(
                || Self::Other(code.to_owned()),
                |(known, _, _)| known.clone(),
            )
    }

    /// The code as the vendor writes it.
    ///
    /// ```
    /// use tencent_faceid::model::ResultCode;
    /// assert_eq!(ResultCode::TooManyAttempts.as_str(), "66660017");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(raw) => raw,
            known => KNOWN_CODES
                .iter()
                .find(|(k, _, _)| k == known)
                .map_or("", |(_, raw, _)| raw),
        }
    }

    /// What the code means, in a few words (`None` for unknown codes).
    ///
    /// ```
    /// use tencent_faceid::model::ResultCode;
    /// assert_eq!(ResultCode::UserCancelled.description(), Some("the user cancelled verification"));
    /// assert_eq!(ResultCode::from_code("1").description(), None);
    /// ```
    pub fn description(&self) -> Option<&'static str> {
        KNOWN_CODES
            .iter()
            .find(|(k, _, _)| k == self)
            .map(|(_, _, text)| *text)
    }

    /// Whether this is `"0"`.
    ///
    /// ```
    /// assert!(tencent_faceid::model::ResultCode::Success.is_success());
    /// ```
    pub fn is_success(&self) -> bool {
        *self == Self::Success
    }

    /// Whether the code is plainly about the user's input (TEMPORARY).
    pub fn is_about_input(&self) -> bool {
        matches!(self.as_str(), "66660015")
    }
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.description() {
            Some(text) => write!(f, "{} ({text})", self.as_str()),
            None => f.write_str(self.as_str()),
        }
    }
}

impl Serialize for ResultCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ResultCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::from_code(&lenient_string(deserializer)?))
    }
}

impl Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Accepts a JSON string or number as a string: the vendor is not
/// consistent about which it sends for codes, rates and lifetimes.
fn lenient_string<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StringOrNumber {
        String(String),
        Number(serde_json::Number),
    }
    Ok(match StringOrNumber::deserialize(deserializer)? {
        StringOrNumber::String(s) => s,
        StringOrNumber::Number(n) => n.to_string(),
    })
}

fn lenient_optional_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapper(#[serde(deserialize_with = "lenient_string")] String);
    Ok(Option::<Wrapper>::deserialize(deserializer)?.map(|Wrapper(s)| s))
}

fn lenient_seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let text = lenient_string(deserializer)?;
    text.parse().map_err(|_| {
        serde::de::Error::custom(format!("expected a number of seconds, got {text:?}"))
    })
}

/// Why an [`OrderNo`] or [`UserId`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    /// The value is empty.
    #[error("{what} must not be empty")]
    Empty {
        /// `"order number"` or `"user id"`.
        what: &'static str,
    },
    /// The value is longer than the vendor allows.
    #[error("{what} is at most {max} characters, this one has {actual}")]
    TooLong {
        /// `"order number"` or `"user id"`.
        what: &'static str,
        /// The vendor's limit.
        max: usize,
        /// The value's length in characters.
        actual: usize,
    },
    /// The value holds a character the vendor does not accept.
    #[error("{what} may only hold {allowed}; character {position} is not one of them")]
    InvalidCharacter {
        /// `"order number"` or `"user id"`.
        what: &'static str,
        /// The characters allowed.
        allowed: &'static str,
        /// Zero-based position of the first offending character.
        position: usize,
    },
}

fn validate_identifier(
    value: &str,
    what: &'static str,
    allowed: &'static str,
    is_allowed: fn(char) -> bool,
) -> Result<(), IdentifierError> {
    const MAX: usize = 32;
    if value.is_empty() {
        return Err(IdentifierError::Empty { what });
    }
    if let Some(position) = value.chars().position(|c| !is_allowed(c)) {
        return Err(IdentifierError::InvalidCharacter {
            what,
            allowed,
            position,
        });
    }
    // Only ASCII is allowed past this point, so bytes are characters.
    if value.len() > MAX {
        return Err(IdentifierError::TooLong {
            what,
            max: MAX,
            actual: value.len(),
        });
    }
    Ok(())
}

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, $what:literal, $allowed:literal, $is_allowed:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps a value.
            pub fn new(value: impl Into<String>) -> Result<Self, IdentifierError> {
                let value = value.into();
                validate_identifier(&value, $what, $allowed, $is_allowed)?;
                Ok(Self(value))
            }

            /// The value as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdentifierError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdentifierError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Self::new(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
            }
        }
    };
}

identifier!(
    /// An order number: ASCII letters and digits, 1 to 32 characters,
    /// unique per verification.
    ///
    /// ```
    /// use tencent_faceid::model::OrderNo;
    /// assert!(OrderNo::new("order20261123A1").is_ok());
    /// assert!(OrderNo::new("order-1").is_err());
    /// assert!(OrderNo::new("a".repeat(33)).is_err());
    /// ```
    OrderNo,
    "order number",
    "ASCII letters and digits",
    |c| c.is_ascii_alphanumeric()
);

identifier!(
    /// A user id: ASCII letters, digits, `_` and `-`, 1 to 32 characters
    /// (the vendor forbids special characters).
    ///
    /// ```
    /// use tencent_faceid::model::UserId;
    /// assert!(UserId::new("user_42").is_ok());
    /// assert!(UserId::new("user 42").is_err());
    /// assert!(UserId::new("").is_err());
    /// ```
    UserId,
    "user id",
    "ASCII letters, digits, '_' and '-'",
    |c| c.is_ascii_alphanumeric() || c == '_' || c == '-'
);

/// What every vendor response starts with: a code and a message.
pub trait VendorResponse {
    /// The response's result code.
    fn code(&self) -> &ResultCode;
    /// The vendor's message for it.
    fn msg(&self) -> &str;
}

macro_rules! vendor_response {
    ($($t:ty),*) => {$(
        impl VendorResponse for $t {
            fn code(&self) -> &ResultCode {
                &self.code
            }
            fn msg(&self) -> &str {
                &self.msg
            }
        }
    )*};
}

/// Answer to `GET /api/oauth2/access_token`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessTokenResponse {
    /// Result code.
    pub code: ResultCode,
    /// Message.
    #[serde(default)]
    pub msg: String,
    /// When the vendor answered (`yyyyMMddHHmmss`).
    #[serde(rename = "transactionTime", default)]
    pub transaction_time: Option<String>,
    /// The token, on success.
    #[serde(default)]
    pub access_token: Option<Secret>,
    /// When the token expires (`yyyyMMddHHmmss`).
    #[serde(default)]
    pub expire_time: Option<String>,
    /// Seconds until the token expires.
    #[serde(default, deserialize_with = "lenient_optional_seconds")]
    pub expire_in: Option<u64>,
}

fn lenient_optional_seconds<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<u64>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapper(#[serde(deserialize_with = "lenient_seconds")] u64);
    Ok(Option::<Wrapper>::deserialize(deserializer)?.map(|Wrapper(s)| s))
}

/// Answer to `GET /api/oauth2/api_ticket` (SIGN or NONCE).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiTicketResponse {
    /// Result code.
    pub code: ResultCode,
    /// Message.
    #[serde(default)]
    pub msg: String,
    /// When the vendor answered.
    #[serde(rename = "transactionTime", default)]
    pub transaction_time: Option<String>,
    /// The tickets, on success (one).
    #[serde(default)]
    pub tickets: Vec<TicketEntry>,
}

/// One ticket in an [`ApiTicketResponse`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketEntry {
    /// The ticket.
    pub value: Secret,
    /// Seconds until it expires.
    #[serde(deserialize_with = "lenient_seconds")]
    pub expire_in: u64,
    /// When it expires (`yyyyMMddHHmmss`).
    #[serde(default)]
    pub expire_time: Option<String>,
}

/// Which kind of comparison photo a session start carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SourcePhotoType {
    /// `"1"`: a water-marked frontal photo (from an id card source).
    #[serde(rename = "1")]
    Watermarked,
    /// `"2"`: a high-definition frontal photo without water marks.
    #[serde(rename = "2")]
    HighDefinition,
}

/// Body of `POST /api/server/h5/geth5faceid`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartRequest {
    /// The app id (WBappid).
    pub webank_app_id: String,
    /// The order number.
    pub order_no: OrderNo,
    /// The user's name (authoritative-source comparison).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Secret>,
    /// The user's id number (authoritative-source comparison).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_no: Option<Secret>,
    /// The user id.
    pub user_id: UserId,
    /// Base64 comparison photo, without line breaks or `data:` prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_photo_str: Option<Secret>,
    /// The photo's kind, with a photo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_photo_type: Option<SourcePhotoType>,
    /// [`VERSION`].
    pub version: String,
    /// Signature of app id, order number, name, id number, user id, version
    /// with the SIGN ticket.
    pub sign: Signature,
}

/// Answer to geth5faceid and queryfacerecord: a code, a message and, on
/// success, a `result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultResponse<T> {
    /// Result code.
    pub code: ResultCode,
    /// Message.
    #[serde(default)]
    pub msg: String,
    /// The vendor's sequence number for the request.
    #[serde(default)]
    pub biz_seq_no: Option<String>,
    /// The result, on success.
    #[serde(default = "Option::default")]
    pub result: Option<T>,
    /// When the vendor answered.
    #[serde(default)]
    pub transaction_time: Option<String>,
}

/// Answer to geth5faceid.
pub type StartResponse = ResultResponse<StartResult>;

/// Answer to queryfacerecord: its code is the query's, and the
/// verification's when `"0"`.
pub type QueryRecordResponse = ResultResponse<FaceRecord>;

/// The session a [`StartResponse`] opened.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartResult {
    /// The vendor's sequence number.
    #[serde(default)]
    pub biz_seq_no: Option<String>,
    /// When the vendor answered.
    #[serde(default)]
    pub transaction_time: Option<String>,
    /// The order number.
    pub order_no: String,
    /// The session's face id, passed on to the H5 page.
    pub h5face_id: String,
    /// The domain to send the browser to.
    #[serde(default)]
    pub optimal_domain: Option<String>,
    /// A flag the vendor sets; not the verification result.
    #[serde(default)]
    pub success: bool,
}

/// Body of `POST /api/v2/base/queryfacerecord`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryRecordRequest {
    /// The app id.
    pub app_id: String,
    /// [`VERSION`].
    pub version: String,
    /// 32 random letters and digits.
    pub nonce: String,
    /// The order number.
    pub order_no: OrderNo,
    /// Signature of app id, order number, version, nonce with the SIGN ticket.
    pub sign: Signature,
    /// `"1"` asks for the photo and video as well.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_file: Option<String>,
}

/// The vendor's record of one verification: the evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceRecord {
    /// The order number.
    pub order_no: String,
    /// Liveness score, 0..=100.
    #[serde(default, deserialize_with = "lenient_optional_string")]
    pub live_rate: Option<String>,
    /// Similarity to the comparison photo, 0..=100.
    #[serde(default, deserialize_with = "lenient_optional_string")]
    pub similarity: Option<String>,
    /// When the verification happened (`yyyyMMddHHmmss`).
    #[serde(default)]
    pub occurred_time: Option<String>,
    /// The app id.
    #[serde(default)]
    pub app_id: Option<String>,
    /// Base64 photo from the session, when asked for.
    #[serde(default)]
    pub photo: Option<Secret>,
    /// Base64 video from the session, when asked for.
    #[serde(default)]
    pub video: Option<Secret>,
    /// The vendor's sequence number.
    #[serde(default)]
    pub biz_seq_no: Option<String>,
}

vendor_response!(AccessTokenResponse, ApiTicketResponse);

impl<T> VendorResponse for ResultResponse<T> {
    fn code(&self) -> &ResultCode {
        &self.code
    }
    fn msg(&self) -> &str {
        &self.msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn start_response_sample_round_trips() {
        let sample = r#"{
            "code":"0",
            "msg":"请求成功",
            "bizSeqNo":"210621200011******18322908010297",
            "result":{
                "bizSeqNo":"210621200011******18322908010297",
                "transactionTime":"20210621183229",
                "orderNo":"1617091885609174325769165850",
                "h5faceId":"wb0375fa*******ea7b7013f13795",
                "optimalDomain":"miniprogram-kyc.tencentcloudapi.com",
                "success":false
            },
            "transactionTime":"20210621183229"
        }"#;
        let parsed: StartResponse = serde_json::from_str(sample).unwrap();
        assert!(parsed.code.is_success());
        let result = parsed.result.as_ref().unwrap();
        assert_eq!(result.h5face_id, "wb0375fa*******ea7b7013f13795");
        assert_eq!(
            result.optimal_domain.as_deref(),
            Some("miniprogram-kyc.tencentcloudapi.com")
        );
        let again: StartResponse =
            serde_json::from_str(&serde_json::to_string(&parsed).unwrap()).unwrap();
        assert_eq!(again, parsed);
    }

    #[test]
    fn start_request_uses_vendor_field_names_and_hides_personal_data() {
        let request = StartRequest {
            webank_app_id: "appId001".into(),
            order_no: OrderNo::new("orderNo19959248596551").unwrap(),
            name: Some("testName".into()),
            id_no: Some("4300000000000".into()),
            user_id: UserId::new("userID19959248596551").unwrap(),
            source_photo_str: None,
            source_photo_type: Some(SourcePhotoType::HighDefinition),
            version: VERSION.into(),
            sign: "EE57F7C1EDDE7B6BB0DFB54CD902836B8EB0575B".parse().unwrap(),
        };
        let json: serde_json::Value = serde_json::to_value(&request).unwrap();
        assert_eq!(json["webankAppId"], "appId001");
        assert_eq!(json["idNo"], "4300000000000");
        assert_eq!(json["sourcePhotoType"], "2");
        assert_eq!(json["sign"], "EE57F7C1EDDE7B6BB0DFB54CD902836B8EB0575B");
        assert!(json.get("sourcePhotoStr").is_none());
        let debug = format!("{request:?}");
        assert!(!debug.contains("testName") && !debug.contains("4300000000000"));
        let back: StartRequest = serde_json::from_value(json).unwrap();
        assert_eq!(back, request);
    }

    #[test]
    fn tokens_and_tickets_accept_numbers_or_strings() {
        let token: AccessTokenResponse = serde_json::from_str(
            r#"{"code":"0","msg":"请求成功","transactionTime":"20151022043831",
                "access_token":"accessToken_string","expire_time":"20151022043831","expire_in":"7200"}"#,
        )
        .unwrap();
        assert_eq!(token.expire_in, Some(7200));
        assert_eq!(
            token.access_token.as_ref().unwrap().expose(),
            "accessToken_string"
        );
        assert!(!format!("{token:?}").contains("accessToken_string"));

        let ticket: ApiTicketResponse = serde_json::from_str(
            r#"{"code":0,"msg":"请求成功","transactionTime":"20151022044027",
                "tickets":[{"value":"ticket_string","expire_in":3600,"expire_time":"20151022044027"}]}"#,
        )
        .unwrap();
        assert!(ticket.code.is_success());
        assert_eq!(ticket.tickets[0].expire_in, 3600);
    }

    #[test]
    fn record_response_keeps_unknown_codes_and_hides_files() {
        let record: QueryRecordResponse = serde_json::from_str(
            r#"{"code":"66660099","msg":"something new","bizSeqNo":"b",
                "result":{"orderNo":"o1","liveRate":99,"similarity":"92.016",
                          "photo":"aGVsbG8=","video":"d29ybGQ="},"transactionTime":"t"}"#,
        )
        .unwrap();
        assert_eq!(record.code, ResultCode::Other("66660099".into()));
        let result = record.result.as_ref().unwrap();
        assert_eq!(result.live_rate.as_deref(), Some("99"));
        assert!(!format!("{record:?}").contains("aGVsbG8="));
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["code"], "66660099");
    }

    #[test]
    fn every_known_code_round_trips() {
        for (code, raw, _) in KNOWN_CODES {
            assert_eq!(&ResultCode::from_code(raw), code);
            assert_eq!(code.as_str(), *raw);
        }
    }

    #[test]
    fn identifiers_explain_what_is_wrong() {
        let err = OrderNo::new("abc_1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "order number may only hold ASCII letters and digits; character 3 is not one of them"
        );
        let err = UserId::new("u".repeat(33)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "user id is at most 32 characters, this one has 33"
        );
        assert!(serde_json::from_str::<OrderNo>("\"\"").is_err());
    }
}
