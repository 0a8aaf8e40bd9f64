//! Records: what queryfacerecord answers about a finished session, for
//! three days.

use std::time::{Duration, SystemTime};

use serde::Deserialize;

use super::checks::{Rejection, check_order_no, check_version, decode_body, required};
use super::{Vendor, vendor_time};
use crate::outcome::Refusal;
use crate::random::random_alphanumeric;
use crate::wire::{FaceResult, QueryRecordResponse};
use tencent_faceid::client::ResultCode;
use tencent_faceid::client::{Evidence, Files, QUERY_VERSION};

/// The liveness score a passed verification reports.
pub const LIVE_RATE: &str = "99";
/// The similarity a passed verification reports.
const SIMILARITY: &str = "92.016";
/// The SDK version a record reports with `queryVersion`.
const SDK_VERSION: &str = "emulator-1.0";
/// The TRTC flag a record reports with `queryVersion`.
const TRTC_FLAG: &str = "N";
/// How long the vendor keeps a record ("临时为您缓存3天").
const RECORD_RETENTION: Duration = Duration::from_secs(3 * 24 * 3600);

/// How a session ended.
pub(super) struct Finished {
    pub(super) code: ResultCode,
    pub(super) occurred_at: SystemTime,
}

impl Finished {
    /// Whether the vendor has a record of it at `now`: not for a session
    /// the page could not run (a front-end code), and for three days.
    fn recorded_at(&self, now: SystemTime) -> bool {
        !matches!(self.code, ResultCode::FrontEnd(_)) && now < self.occurred_at + RECORD_RETENTION
    }
}

/// queryfacerecord's body, every field optional.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryBody {
    app_id: Option<String>,
    version: Option<String>,
    nonce: Option<String>,
    order_no: Option<String>,
    sign: Option<String>,
    get_file: Option<String>,
    query_version: Option<String>,
}

impl Vendor {
    /// `POST /api/v2/base/queryfacerecord`.
    pub fn query_record(&self, body: &[u8]) -> Result<QueryRecordResponse, Rejection> {
        let body: QueryBody = decode_body(body)?;
        let app_id = required(body.app_id.as_deref(), "appId")?;
        let version = required(body.version.as_deref(), "version")?;
        let nonce = required(body.nonce.as_deref(), "nonce")?;
        let order_no = required(body.order_no.as_deref(), "orderNo")?;
        self.check_app_id(app_id)?;
        check_version(version)?;
        check_order_no(order_no)?;
        let now = self.now();
        let state = self.state();
        Self::signed_with_sign_ticket(
            &state,
            &[app_id, order_no, version, nonce],
            body.sign.as_deref(),
            now,
        )?;
        let finished = state
            .orders
            .get(order_no)
            .and_then(|order| order.result.as_ref())
            .filter(|finished| finished.recorded_at(now))
            .ok_or_else(|| {
                Rejection::new(
                    Refusal::NoRecord,
                    "no record for this orderNo: not finished, aborted, or older than 3 days",
                )
            })?;
        let code = finished.code.clone();
        let occurred_time = vendor_time(finished.occurred_at);
        drop(state);
        let files = Files::from_get_file(body.get_file.as_deref());
        let (photo, video) = evidence(order_no);
        let with_version = body.query_version.as_deref() == Some(QUERY_VERSION);
        let passed = code.is_success();
        let biz_seq_no = random_alphanumeric(32);
        Ok(QueryRecordResponse {
            msg: code
                .description()
                .unwrap_or("the verification failed")
                .into(),
            code,
            biz_seq_no: Some(biz_seq_no.clone()),
            result: Some(FaceResult {
                order_no: order_no.to_owned(),
                live_rate: passed.then(|| LIVE_RATE.into()),
                similarity: passed.then(|| SIMILARITY.into()),
                occurred_time: Some(occurred_time),
                app_id: Some(app_id.to_owned()),
                photo: files.photo().then_some(photo),
                video: files.video().then_some(video),
                biz_seq_no: Some(biz_seq_no),
                sdk_version: with_version.then(|| SDK_VERSION.into()),
                trtc_flag: with_version.then(|| TRTC_FLAG.into()),
            }),
            transaction_time: Some(vendor_time(now)),
        })
    }
}

/// The photo of every record: a drawn face, a real JPEG of 96×112 pixels.
const PHOTO: &[u8] = include_bytes!("evidence.jpg");

/// A small JPEG and a fake MP4 for an order. The photo carries the order
/// number in a comment segment (`FF FE`) right after its start: each
/// order's photo is its own, and still an image browsers show.
fn evidence(order_no: &str) -> (Evidence, Evidence) {
    // Order numbers are at most 32 bytes: the length fits.
    let length = (order_no.len() as u16 + 2).to_be_bytes();
    let photo = [
        &PHOTO[..2],
        b"\xFF\xFE",
        &length,
        order_no.as_bytes(),
        &PHOTO[2..],
    ]
    .concat();
    let video = [b"\x00\x00\x00\x18ftypmp42", order_no.as_bytes()].concat();
    (Evidence::new(photo), Evidence::new(video))
}
