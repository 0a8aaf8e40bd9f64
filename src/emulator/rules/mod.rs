//! The emulated vendor's state and rules, free of HTTP: tokens, tickets,
//! sessions and records, each request checked as the vendor checks it,
//! every time read from the emulator's clock.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use serde::Deserialize;
use subtle::ConstantTimeEq;
use url::Url;

use super::lifecycle::Credentials;
use super::{EmulatorError, Refusal, SignatureParam};
use crate::clock::Clock;
use crate::ids::{IdentifierError, OrderNo, UserId};
use crate::random::random_alphanumeric;
use crate::record::{Evidence, FaceRecord, Files, QUERY_VERSION};
use crate::result_code::ResultCode;
use crate::secret::Secret;
use crate::sign::{sign, Signature};
use crate::wire::{
    AccessTokenResponse, ApiTicketResponse, QueryRecordResponse, StartResponse, StartResult,
    TicketEntry, VERSION,
};

/// The liveness score a passed verification reports.
const LIVE_RATE: &str = "99";
/// The similarity a passed verification reports.
const SIMILARITY: &str = "92.016";
/// The SDK version a record reports with `queryVersion`.
const SDK_VERSION: &str = "emulator-1.0";
/// The TRTC flag a record reports with `queryVersion`.
const TRTC_FLAG: &str = "N";
/// The largest comparison photo the vendor accepts, decoded.
const MAX_PHOTO_BYTES: usize = 500 * 1024;
/// How long the vendor keeps a record ("临时为您缓存3天").
pub(super) const RECORD_RETENTION: Duration = Duration::from_secs(3 * 24 * 3600);

/// What the builder configured.
pub(super) struct Settings {
    pub app_id: String,
    pub secret: Secret,
    pub access_token_ttl: Duration,
    pub sign_ticket_ttl: Duration,
    pub nonce_ticket_ttl: Duration,
    pub overlap: Duration,
    pub signature_param: SignatureParam,
    pub optimal_domain: String,
    pub clock: Clock,
}

/// A refusal the vendor answers with HTTP 200 and an error code.
#[derive(Debug)]
pub(super) struct Rejection {
    pub refusal: Refusal,
    pub msg: String,
}

impl Rejection {
    fn new(refusal: Refusal, msg: impl Into<String>) -> Self {
        Self {
            refusal,
            msg: msg.into(),
        }
    }
}

/// A query string's parameters, the first occurrence of each name kept.
pub(super) struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(query: Option<&str>) -> Self {
        let mut map = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            map.entry(name.into_owned())
                .or_insert_with(|| value.into_owned());
        }
        Self(map)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn require(&self, name: &str) -> Result<&str, Rejection> {
        required(self.get(name), name)
    }

    /// The app id, under either name the vendor's pages use.
    fn app_id(&self) -> Result<&str, Rejection> {
        required(self.get("app_id").or(self.get("appId")), "app_id")
    }
}

/// The H5 page to show for a session.
pub(super) struct LoginPage {
    pub order_no: String,
    pub h5face_id: String,
}

struct Order {
    user_id: String,
    h5face_id: String,
    callback_url: Option<Url>,
    result: Option<Finished>,
}

/// How a session ended.
struct Finished {
    code: ResultCode,
    occurred_at: SystemTime,
}

impl Finished {
    /// Whether the vendor has a record of it at `now`: not for a session
    /// the page could not run (a front-end code), and for three days.
    fn recorded_at(&self, now: SystemTime) -> bool {
        !matches!(self.code, ResultCode::FrontEnd(_)) && now < self.occurred_at + RECORD_RETENTION
    }
}

#[derive(Default)]
struct State {
    credentials: Credentials,
    /// By order number.
    orders: HashMap<String, Order>,
    /// h5faceId -> order number.
    sessions: HashMap<String, String>,
    /// The `nonce` of every login link opened: each link works once.
    used_login_links: HashSet<String>,
}

/// The vendor: settings plus state behind a short-held lock.
pub(super) struct Vendor {
    settings: Settings,
    base_url: Url,
    state: Mutex<State>,
}

/// geth5faceid's body, every field optional so that the vendor, not serde,
/// decides what is missing. Name and id number stay secret.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct StartBody {
    webank_app_id: Option<String>,
    app_id: Option<String>,
    order_no: Option<String>,
    name: Option<Secret>,
    id_no: Option<Secret>,
    user_id: Option<String>,
    source_photo_str: Option<Secret>,
    source_photo_type: Option<String>,
    version: Option<String>,
    sign: Option<String>,
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
    pub fn new(settings: Settings, base_url: Url) -> Self {
        Self {
            settings,
            base_url,
            state: Mutex::default(),
        }
    }

    pub fn app_id(&self) -> &str {
        &self.settings.app_id
    }

    pub fn secret(&self) -> &Secret {
        &self.settings.secret
    }

    pub fn optimal_domain(&self) -> &str {
        &self.settings.optimal_domain
    }

    pub fn clock(&self) -> &Clock {
        &self.settings.clock
    }

    /// The time now, on the emulator's clock.
    pub fn now(&self) -> SystemTime {
        self.settings.clock.now()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        super::lock(&self.state)
    }

    fn check_app_id(&self, app_id: &str) -> Result<(), Rejection> {
        if app_id == self.settings.app_id {
            Ok(())
        } else {
            Err(Rejection::new(
                Refusal::InvalidCredentials,
                "unknown app id",
            ))
        }
    }

    /// `GET /api/oauth2/access_token`.
    pub fn access_token(&self, params: &Params) -> Result<AccessTokenResponse, Rejection> {
        let app_id = params.app_id()?;
        let secret = params.require("secret")?;
        if params.require("grant_type")? != "client_credential" {
            return Err(Rejection::new(
                Refusal::InvalidRequest,
                "grant_type must be client_credential",
            ));
        }
        check_version(params.require("version")?)?;
        let secret_matches: bool = secret
            .as_bytes()
            .ct_eq(self.settings.secret.expose().as_bytes())
            .into();
        if app_id != self.settings.app_id || !secret_matches {
            return Err(Rejection::new(
                Refusal::InvalidCredentials,
                "the app id or secret is wrong",
            ));
        }
        let now = self.now();
        let ttl = self.settings.access_token_ttl;
        let token = self
            .state()
            .credentials
            .issue_token(now, ttl, self.settings.overlap);
        tracing::debug!(ttl_s = ttl.as_secs(), "emulator issued an access token");
        Ok(AccessTokenResponse {
            code: ResultCode::Success,
            msg: "success".into(),
            transaction_time: Some(vendor_time(now)),
            access_token: Some(token),
            expire_time: Some(vendor_time(now + ttl)),
            expire_in: Some(ttl.as_secs()),
        })
    }

    /// `GET /api/oauth2/api_ticket`, SIGN or NONCE.
    pub fn api_ticket(&self, params: &Params) -> Result<ApiTicketResponse, Rejection> {
        self.check_app_id(params.app_id()?)?;
        let token = params.require("access_token")?;
        let kind = params.require("type")?;
        check_version(params.require("version")?)?;
        let user_id = match kind {
            "SIGN" => None,
            "NONCE" => {
                let user_id = params.require("user_id")?;
                check_user_id(user_id)?;
                Some(user_id)
            }
            _ => {
                return Err(Rejection::new(
                    Refusal::InvalidRequest,
                    "type must be SIGN or NONCE",
                ))
            }
        };
        let now = self.now();
        let mut state = self.state();
        let credentials = &mut state.credentials;
        let token = credentials.live_token(token, now).ok_or_else(|| {
            Rejection::new(
                Refusal::InvalidAccessToken,
                "the access token is unknown, expired or replaced by a newer one",
            )
        })?;
        let (ttl, value) = match user_id {
            None => {
                let ttl = self.settings.sign_ticket_ttl;
                let overlap = self.settings.overlap;
                (ttl, credentials.issue_sign_ticket(token, now, ttl, overlap))
            }
            Some(user_id) => {
                let ttl = self.settings.nonce_ticket_ttl;
                (
                    ttl,
                    credentials.issue_nonce_ticket(token, user_id, now, ttl),
                )
            }
        };
        drop(state);
        tracing::debug!(kind, ttl_s = ttl.as_secs(), "emulator issued a ticket");
        Ok(ApiTicketResponse {
            code: ResultCode::Success,
            msg: "success".into(),
            transaction_time: Some(vendor_time(now)),
            tickets: vec![TicketEntry {
                value,
                expire_in: ttl.as_secs(),
                expire_time: Some(vendor_time(now + ttl)),
            }],
        })
    }

    /// Another server of the app refreshes: a new access token (ending the
    /// previous ones a minute later) and a new SIGN ticket with it.
    pub fn refresh_elsewhere(&self) {
        let now = self.now();
        let settings = &self.settings;
        let mut state = self.state();
        let credentials = &mut state.credentials;
        let token = credentials.issue_token(now, settings.access_token_ttl, settings.overlap);
        if let Some(token) = credentials.live_token(token.expose(), now) {
            credentials.issue_sign_ticket(token, now, settings.sign_ticket_ttl, settings.overlap);
        }
    }

    /// The SIGN ticket callbacks are signed with now, if one is alive.
    pub fn current_sign_ticket(&self) -> Option<Secret> {
        let now = self.now();
        self.state().credentials.current_sign_ticket(now).cloned()
    }

    /// Whether `signature` signs `values` with a SIGN ticket alive at `now`.
    fn signed_with_sign_ticket(
        state: &State,
        values: &[&str],
        signature: Option<&str>,
        now: SystemTime,
    ) -> Result<(), Rejection> {
        let signature = parse_sign(signature)?;
        if state
            .credentials
            .live_sign_tickets(now)
            .any(|ticket| sign(values, ticket.expose()) == signature)
        {
            Ok(())
        } else {
            Err(invalid_sign())
        }
    }

    /// `POST /api/server/h5/geth5faceid`.
    pub fn start_session(&self, body: &[u8]) -> Result<StartResponse, Rejection> {
        let body: StartBody = decode_body(body)?;
        let app_id = required(
            body.webank_app_id.as_deref().or(body.app_id.as_deref()),
            "webankAppId",
        )?;
        let order_no = required(body.order_no.as_deref(), "orderNo")?;
        let user_id = required(body.user_id.as_deref(), "userId")?;
        let version = required(body.version.as_deref(), "version")?;
        self.check_app_id(app_id)?;
        check_order_no(order_no)?;
        check_user_id(user_id)?;
        check_version(version)?;
        match (&body.source_photo_str, &body.name, &body.id_no) {
            (Some(photo), _, _) => check_photo(photo, body.source_photo_type.as_deref())?,
            (None, Some(name), Some(id_no)) => check_identity(name, id_no)?,
            (None, _, _) => {
                return Err(Rejection::new(
                    Refusal::InvalidRequest,
                    "name and idNo are required when no sourcePhotoStr is given",
                ))
            }
        }
        let values: Vec<&str> = [
            Some(app_id),
            Some(order_no),
            body.name.as_ref().map(Secret::expose),
            body.id_no.as_ref().map(Secret::expose),
            Some(user_id),
            Some(version),
        ]
        .into_iter()
        .flatten()
        .collect();
        let now = self.now();
        let mut state = self.state();
        Self::signed_with_sign_ticket(&state, &values, body.sign.as_deref(), now)?;
        if state.orders.contains_key(order_no) {
            return Err(Rejection::new(
                Refusal::DuplicateOrderNo,
                "this orderNo was used before",
            ));
        }
        let h5face_id = format!("wb{}", random_alphanumeric(30));
        state.orders.insert(
            order_no.to_owned(),
            Order {
                user_id: user_id.to_owned(),
                h5face_id: h5face_id.clone(),
                callback_url: None,
                result: None,
            },
        );
        state
            .sessions
            .insert(h5face_id.clone(), order_no.to_owned());
        drop(state);
        tracing::debug!(order_no, "emulator started a session");
        let biz_seq_no = random_alphanumeric(32);
        Ok(StartResponse {
            code: ResultCode::Success,
            msg: "success".into(),
            biz_seq_no: Some(biz_seq_no.clone()),
            result: Some(StartResult {
                biz_seq_no: Some(biz_seq_no),
                transaction_time: Some(vendor_time(now)),
                order_no: order_no.to_owned(),
                h5face_id,
                optimal_domain: Some(self.settings.optimal_domain.clone()),
                success: false,
            }),
            transaction_time: Some(vendor_time(now)),
        })
    }

    /// `GET /api/web/login`: checks the URL's NONCE signature (using the
    /// ticket up), uses the link up and remembers the callback URL.
    pub fn open_login_page(&self, params: &Params) -> Result<LoginPage, Rejection> {
        let app_id = params.require("webankAppId")?;
        let version = params.require("version")?;
        let nonce = params.require("nonce")?;
        let order_no = params.require("orderNo")?;
        let h5face_id = params.require("h5faceId")?;
        let callback = params.require("url")?;
        let user_id = params.require("userId")?;
        let signature = params.get("sign");
        self.check_app_id(app_id)?;
        check_version(version)?;
        let callback_url = Url::parse(callback)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https"))
            .ok_or_else(|| {
                Rejection::new(
                    Refusal::InvalidRequest,
                    "url must be an absolute http(s) URL",
                )
            })?;
        let signature = parse_sign(signature)?;
        let values = [app_id, order_no, user_id, version, h5face_id, nonce];
        let now = self.now();
        let mut state = self.state();
        if state.used_login_links.contains(nonce) {
            return Err(Rejection::new(
                Refusal::LoginLinkUsed,
                "this login link was used already: each link works once, start a new login",
            ));
        }
        let session_matches = state
            .orders
            .get(order_no)
            .is_some_and(|order| order.h5face_id == h5face_id && order.user_id == user_id);
        if !session_matches {
            return Err(Rejection::new(
                Refusal::UnknownSession,
                "no session with this orderNo, h5faceId and userId",
            ));
        }
        let signed = state.credentials.use_nonce_ticket(user_id, now, |ticket| {
            sign(&values, ticket.expose()) == signature
        });
        if !signed {
            return Err(invalid_sign());
        }
        state.used_login_links.insert(nonce.to_owned());
        if let Some(order) = state.orders.get_mut(order_no) {
            order.callback_url = Some(callback_url);
        }
        drop(state);
        tracing::debug!(order_no, "emulator served the login page");
        Ok(LoginPage {
            order_no: order_no.to_owned(),
            h5face_id: h5face_id.to_owned(),
        })
    }

    /// Records a session's result and answers the callback URL, signed
    /// with the current SIGN ticket (unsigned when none is alive).
    pub fn complete(&self, h5face_id: &str, code: ResultCode) -> Result<Url, EmulatorError> {
        let now = self.now();
        let mut state = self.state();
        let unknown = || EmulatorError::UnknownSession {
            h5face_id: h5face_id.to_owned(),
        };
        let order_no = state.sessions.get(h5face_id).cloned().ok_or_else(unknown)?;
        let ticket = state.credentials.current_sign_ticket(now).cloned();
        let order = state.orders.get_mut(&order_no).ok_or_else(unknown)?;
        if order.result.is_some() {
            return Err(EmulatorError::AlreadyCompleted {
                h5face_id: h5face_id.to_owned(),
            });
        }
        let mut url = order.callback_url.clone().unwrap_or_else(|| {
            let mut url = self.base_url.clone();
            url.set_path("/callback");
            url
        });
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("code", code.as_str())
                .append_pair("orderNo", &order_no)
                .append_pair("h5faceId", h5face_id);
            // Without a cached SIGN ticket the vendor cannot sign.
            if let Some(ticket) = &ticket {
                let signature = sign(
                    &[&self.settings.app_id, &order_no, code.as_str()],
                    ticket.expose(),
                );
                query.append_pair(self.settings.signature_param.name(), &signature.to_string());
            }
            if code.is_success() {
                query.append_pair("liveRate", LIVE_RATE);
            }
        }
        tracing::debug!(
            order_no,
            code = code.as_str(),
            signed = ticket.is_some(),
            "emulator recorded a verification"
        );
        order.result = Some(Finished {
            code,
            occurred_at: now,
        });
        Ok(url)
    }

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
            result: Some(FaceRecord {
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

fn invalid_sign() -> Rejection {
    Rejection::new(
        Refusal::InvalidSign,
        "sign does not match the signed values and a live ticket",
    )
}

fn parse_sign(signature: Option<&str>) -> Result<Signature, Rejection> {
    signature
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Rejection::new(Refusal::InvalidSign, "the sign is missing"))?
        .parse()
        .map_err(|_| invalid_sign())
}

fn check_version(version: &str) -> Result<(), Rejection> {
    if version == VERSION {
        Ok(())
    } else {
        Err(Rejection::new(
            Refusal::InvalidRequest,
            format!("version must be {VERSION}"),
        ))
    }
}

/// A present, non-empty value, or the vendor's "missing parameter".
fn required<'a>(value: Option<&'a str>, name: &str) -> Result<&'a str, Rejection> {
    value.filter(|value| !value.is_empty()).ok_or_else(|| {
        Rejection::new(
            Refusal::InvalidRequest,
            format!("the parameter {name} is missing"),
        )
    })
}

fn invalid_identifier(error: IdentifierError) -> Rejection {
    Rejection::new(Refusal::InvalidRequest, error.to_string())
}

fn check_order_no(order_no: &str) -> Result<(), Rejection> {
    OrderNo::new(order_no).map(drop).map_err(invalid_identifier)
}

fn check_user_id(user_id: &str) -> Result<(), Rejection> {
    UserId::new(user_id).map(drop).map_err(invalid_identifier)
}

/// A name that is not blank and a mainland id number: 18 characters, 17
/// digits and a digit or `X` (or the old 15 digits).
fn check_identity(name: &Secret, id_no: &Secret) -> Result<(), Rejection> {
    let id_no = id_no.expose().as_bytes();
    let well_formed = match id_no {
        [head @ .., last] if id_no.len() == 18 => {
            head.iter().all(u8::is_ascii_digit)
                && (last.is_ascii_digit() || *last == b'X' || *last == b'x')
        }
        _ => id_no.len() == 15 && id_no.iter().all(u8::is_ascii_digit),
    };
    if name.expose().trim().is_empty() || !well_formed {
        // The message never quotes them: they are personal data.
        return Err(Rejection::new(
            Refusal::InvalidNameOrIdNumber,
            "the name or id number is not well formed",
        ));
    }
    Ok(())
}

fn check_photo(photo: &Secret, kind: Option<&str>) -> Result<(), Rejection> {
    if !matches!(kind, Some("1" | "2")) {
        return Err(Rejection::new(
            Refusal::InvalidRequest,
            "sourcePhotoType must be 1 or 2 with a sourcePhotoStr",
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(photo.expose())
        .map_err(|_| {
            Rejection::new(
                Refusal::InvalidRequest,
                "sourcePhotoStr must be base64 without line breaks or prefix",
            )
        })?;
    if decoded.len() > MAX_PHOTO_BYTES {
        return Err(Rejection::new(
            Refusal::InvalidRequest,
            "sourcePhotoStr is larger than 500 KB",
        ));
    }
    Ok(())
}

fn decode_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Rejection> {
    serde_json::from_slice(body).map_err(|_| {
        Rejection::new(
            Refusal::InvalidRequest,
            "the body is not the expected JSON object",
        )
    })
}

/// A small fake JPEG and MP4 for an order.
fn evidence(order_no: &str) -> (Evidence, Evidence) {
    let photo = [
        b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00",
        order_no.as_bytes(),
        b"\xFF\xD9",
    ]
    .concat();
    let video = [b"\x00\x00\x00\x18ftypmp42", order_no.as_bytes()].concat();
    (Evidence::new(photo), Evidence::new(video))
}

/// `yyyyMMddHHmmss` in Beijing time (UTC+8), as the vendor writes times.
pub(super) fn vendor_time(time: SystemTime) -> String {
    const DAY: u64 = 86_400;
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) + 8 * 3600;
    let (days, in_day) = (seconds / DAY, seconds % DAY);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_time_is_beijing_time() {
        assert_eq!(vendor_time(UNIX_EPOCH), "19700101080000");
        // 2001-09-09T01:46:40Z
        let t = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(vendor_time(t), "20010909094640");
        // 2024-02-29T16:00:00Z is 2024-03-01 00:00 in Beijing.
        let t = UNIX_EPOCH + Duration::from_secs(1_709_222_400);
        assert_eq!(vendor_time(t), "20240301000000");
    }

    #[test]
    fn params_keep_the_first_value() {
        let p = Params::parse(Some("a=1&b=x%20y&a=2"));
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), Some("x y"));
        assert!(p.require("c").is_err());
    }
}
