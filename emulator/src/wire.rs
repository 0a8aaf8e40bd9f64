//! The bodies the vendor answers, by the field names its documentation
//! gives: written here from the documents, not borrowed from the client
//! that reads them.

use serde::{Serialize, Serializer};
use tencent_faceid::Secret;
use tencent_faceid::client::{Evidence, ResultCode};

/// Answer to `GET /api/oauth2/access_token`.
#[derive(Serialize)]
pub(crate) struct AccessTokenResponse {
    pub code: ResultCode,
    pub msg: String,
    #[serde(rename = "transactionTime")]
    pub transaction_time: Option<String>,
    pub access_token: Option<Secret>,
    pub expire_time: Option<String>,
    /// Seconds, written as a string, as in the vendor's example.
    #[serde(serialize_with = "optional_seconds_as_string")]
    pub expire_in: Option<u64>,
}

/// Answer to `GET /api/oauth2/api_ticket` (SIGN or NONCE).
#[derive(Serialize)]
pub(crate) struct ApiTicketResponse {
    pub code: ResultCode,
    pub msg: String,
    #[serde(rename = "transactionTime")]
    pub transaction_time: Option<String>,
    pub tickets: Vec<TicketEntry>,
}

/// One ticket of an [`ApiTicketResponse`].
#[derive(Serialize)]
pub(crate) struct TicketEntry {
    pub value: Secret,
    /// Seconds, written as a string, as in the vendor's example.
    #[serde(serialize_with = "seconds_as_string")]
    pub expire_in: u64,
    pub expire_time: Option<String>,
}

/// Answer to geth5faceid, getAdvFaceId, getfaceid and queryfacerecord: a
/// code, a message and, on success, a `result`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ResultResponse<T> {
    pub code: ResultCode,
    pub msg: String,
    pub biz_seq_no: Option<String>,
    pub result: Option<T>,
    pub transaction_time: Option<String>,
}

/// The session geth5faceid opened.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StartResult {
    pub biz_seq_no: Option<String>,
    pub transaction_time: Option<String>,
    pub order_no: String,
    pub h5face_id: String,
    pub optimal_domain: Option<String>,
    pub success: bool,
}

/// The session getAdvFaceId or getfaceid opened.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FaceIdResult {
    pub biz_seq_no: Option<String>,
    pub transaction_time: Option<String>,
    pub order_no: String,
    pub face_id: String,
    pub optimal_domain: Option<String>,
    pub success: bool,
}

/// queryfacerecord's `result`: the record of one verification.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FaceResult {
    pub order_no: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_rate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<String>,
    pub occurred_time: Option<String>,
    pub app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photo: Option<Evidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video: Option<Evidence>,
    pub biz_seq_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trtc_flag: Option<String>,
}

/// Answer to geth5faceid.
pub(crate) type StartResponse = ResultResponse<StartResult>;
/// Answer to getAdvFaceId and getfaceid.
pub(crate) type FaceIdResponse = ResultResponse<FaceIdResult>;
/// Answer to queryfacerecord.
pub(crate) type QueryRecordResponse = ResultResponse<FaceResult>;

fn seconds_as_string<S: Serializer>(seconds: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(seconds)
}

fn optional_seconds_as_string<S: Serializer>(
    seconds: &Option<u64>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match seconds {
        Some(seconds) => seconds_as_string(seconds, serializer),
        None => serializer.serialize_none(),
    }
}
