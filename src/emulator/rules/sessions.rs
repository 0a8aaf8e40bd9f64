//! Sessions: geth5faceid starts one, its login link opens the H5 page
//! once, and the page's buttons record its result and send the browser
//! back to the callback URL.

use serde::Deserialize;
use url::Url;

use super::checks::{
    check_identity, check_order_no, check_photo, check_user_id, check_version, decode_body,
    invalid_sign, parse_sign, required, Params, Rejection,
};
use super::records::{Finished, LIVE_RATE};
use super::{vendor_time, Vendor};
use crate::emulator::error::EmulatorError;
use crate::emulator::outcome::Refusal;
use crate::random::random_alphanumeric;
use crate::result_code::ResultCode;
use crate::secret::Secret;
use crate::sign::sign;
use crate::wire::{StartResponse, StartResult};

/// The H5 page to show for a session.
pub struct LoginPage {
    pub order_no: String,
    pub h5face_id: String,
}

/// A session, by its order number.
pub(super) struct Order {
    user_id: String,
    h5face_id: String,
    callback_url: Option<Url>,
    /// How it ended, once it has.
    pub(super) result: Option<Finished>,
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

impl Vendor {
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
}
