//! The vendor's request and response bodies.
//!
//! Field names follow the vendor's JSON (camelCase, a few snake_case);
//! `code` is a string on the wire and becomes a [`ResultCode`]. Secrets and
//! personal data are [`Secret`]s, so `Debug` never shows them.

use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::{OrderNo, UserId};
use crate::json::lenient_seconds;
use crate::result_code::ResultCode;
use crate::result_query::FaceResult;
use crate::secret::Secret;
use crate::sign::Signature;

/// The protocol version every request carries.
pub const VERSION: &str = "1.0.0";

/// What every vendor response starts with: a code and a message.
pub(crate) trait VendorResponse {
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct AccessTokenResponse {
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
    /// Seconds until the token expires; a string on the wire, as in the
    /// vendor's example (a number is read too).
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct ApiTicketResponse {
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
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(crate) struct TicketEntry {
    /// The ticket.
    pub value: Secret,
    /// Seconds until it expires; a string on the wire, as in the vendor's
    /// example (a number is read too).
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

/// Body of `POST /api/server/getAdvFaceId` (enhanced H5) and
/// `POST /api/server/getfaceid` (App SDK): the same fields, signed over
/// app id, user id, version and nonce only (see
/// [`crate::edition::face_id_sign`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceIdRequest {
    /// The app id (WBappid).
    pub app_id: String,
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
    /// Signature of app id, user id, version and nonce with the SIGN
    /// ticket.
    pub sign: Signature,
    /// 32 random letters and digits, signed.
    pub nonce: String,
}

/// The session `getfaceid` opened (App SDK edition).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FaceIdResult {
    /// The vendor's sequence number.
    #[serde(default)]
    pub biz_seq_no: Option<String>,
    /// When the vendor answered.
    #[serde(default)]
    pub transaction_time: Option<String>,
    /// The order number.
    pub order_no: String,
    /// The session's face id: for the enhanced H5 page's login link, or
    /// the App SDK's launch.
    pub face_id: String,
    /// The domain to send the browser to (enhanced H5).
    #[serde(default)]
    pub optimal_domain: Option<String>,
    /// A flag the vendor sets; not the verification result.
    #[serde(default)]
    pub success: bool,
}

/// Answer to getAdvFaceId and getfaceid.
pub(crate) type FaceIdResponse = ResultResponse<FaceIdResult>;

/// Answer to geth5faceid, getAdvFaceId, getfaceid and queryfacerecord: a code, a message and, on
/// success, a `result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResultResponse<T> {
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
pub(crate) type StartResponse = ResultResponse<StartResult>;

/// Answer to queryfacerecord: with a `result`, its code is the
/// verification's (a failed verification has a record too); without one,
/// the query was refused (for example [`ResultCode::NoRecord`]).
pub(crate) type QueryRecordResponse = ResultResponse<FaceResult>;

/// The session `geth5faceid` opened (an H5 edition).
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

        // The other way round: an int token lifetime, a string ticket one.
        let token: AccessTokenResponse =
            serde_json::from_str(r#"{"code":"0","access_token":"t","expire_in":7200}"#).unwrap();
        assert_eq!(token.expire_in, Some(7200));
        let ticket: ApiTicketResponse =
            serde_json::from_str(r#"{"code":"0","tickets":[{"value":"t","expire_in":"120"}]}"#)
                .unwrap();
        assert_eq!(ticket.tickets[0].expire_in, 120);
        assert!(
            serde_json::from_str::<AccessTokenResponse>(
                r#"{"code":"0","access_token":"t","expire_in":"soon"}"#
            )
            .is_err()
        );
    }

    #[test]
    fn record_response_keeps_unknown_codes_and_hides_files() {
        let response: QueryRecordResponse = serde_json::from_str(
            r#"{"code":"66660099","msg":"something new","bizSeqNo":"b",
                "result":{"orderNo":"o1","liveRate":99,"similarity":"92.016",
                          "photo":"aGVsbG8=","video":"d29ybGQ="},"transactionTime":"t"}"#,
        )
        .unwrap();
        assert_eq!(response.code, ResultCode::Other("66660099".into()));
        let result = response.result.as_ref().unwrap();
        assert_eq!(result.live_rate.as_deref(), Some("99"));
        assert_eq!(result.photo.as_ref().unwrap().expose(), b"hello");
        assert_eq!(result.video.as_ref().unwrap().expose(), b"world");
        let debug = format!("{response:?}");
        assert!(
            !debug.contains("aGVsbG8=") && !debug.contains("hello"),
            "{debug}"
        );
        let json = serde_json::to_value(&response).unwrap();
        assert_eq!(json["code"], "66660099");
        assert_eq!(json["result"]["photo"], "aGVsbG8=");
    }

    #[test]
    fn record_files_that_are_not_base64_are_refused_without_quoting_them() {
        let error = serde_json::from_str::<FaceResult>(r#"{"orderNo":"o1","photo":"not base64!"}"#)
            .unwrap_err();
        assert!(error.to_string().contains("not base64"));
        assert!(!error.to_string().contains("not base64!"));
    }
}
