//! Sessions: geth5faceid starts one, its login link opens the H5 page
//! once, and the page's buttons record its result and send the browser
//! back to the callback URL.

use std::time::SystemTime;

use serde::Deserialize;
use url::Url;

use super::checks::{
    Params, Rejection, check_identity, check_nonce, check_order_no, check_photo, check_user_id,
    check_version, decode_body, invalid_sign, parse_sign, required,
};
use super::records::{Finished, LIVE_RATE};
use super::{State, Vendor, vendor_time};
use crate::error::EmulatorError;
use crate::outcome::Refusal;
use crate::random::random_alphanumeric;
use crate::wire::{FaceIdResponse, FaceIdResult, StartResponse, StartResult};
use tencent_faceid::Secret;
use tencent_faceid::client::ResultCode;
use tencent_faceid::session::Edition;
use tencent_faceid::sign::{Signature, sign};

/// The H5 page to show for a session.
pub struct LoginPage {
    pub order_no: String,
    pub h5face_id: String,
}

/// A session, by its order number.
pub(super) struct Order {
    pub(super) user_id: String,
    pub(super) h5face_id: String,
    /// The edition it was started in: its face id opens only that
    /// edition's page (or, for the App SDK, the SDK).
    pub(super) edition: Edition,
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
    nonce: Option<String>,
}

/// An upload's checked values.
struct Upload<'a> {
    app_id: &'a str,
    order_no: &'a str,
    user_id: &'a str,
    version: &'a str,
}

/// A session the vendor opened.
struct Opened {
    face_id: String,
    biz_seq_no: String,
    now: SystemTime,
}

impl Vendor {
    /// `POST /api/server/h5/geth5faceid`.
    pub fn start_session(&self, body: &[u8]) -> Result<StartResponse, Rejection> {
        let body: StartBody = decode_body(body)?;
        let app_id = body.webank_app_id.as_deref().or(body.app_id.as_deref());
        let upload = self.check_upload(&body, required(app_id, "webankAppId")?)?;
        let values: Vec<&str> = [
            Some(upload.app_id),
            Some(upload.order_no),
            body.name.as_ref().map(Secret::expose),
            body.id_no.as_ref().map(Secret::expose),
            Some(upload.user_id),
            Some(upload.version),
        ]
        .into_iter()
        .flatten()
        .collect();
        let opened = self.open_session(&upload, &values, body.sign.as_deref(), Edition::Basic)?;
        Ok(StartResponse {
            code: ResultCode::Success,
            msg: "success".into(),
            biz_seq_no: Some(opened.biz_seq_no.clone()),
            result: Some(StartResult {
                biz_seq_no: Some(opened.biz_seq_no),
                transaction_time: Some(vendor_time(opened.now)),
                order_no: upload.order_no.to_owned(),
                h5face_id: opened.face_id,
                optimal_domain: Some(self.settings.optimal_domain.clone()),
                success: false,
            }),
            transaction_time: Some(vendor_time(opened.now)),
        })
    }

    /// `POST /api/server/getAdvFaceId` (enhanced H5) and
    /// `POST /api/server/getfaceid` (App SDK): the same body with `appId`
    /// and a `nonce`, signed over app id, user id, version and nonce with
    /// a SIGN ticket.
    pub fn start_face_id(
        &self,
        body: &[u8],
        edition: Edition,
    ) -> Result<FaceIdResponse, Rejection> {
        let body: StartBody = decode_body(body)?;
        let upload = self.check_upload(&body, required(body.app_id.as_deref(), "appId")?)?;
        let nonce = required(body.nonce.as_deref(), "nonce")?;
        check_nonce(nonce)?;
        let values = [upload.app_id, upload.user_id, upload.version, nonce];
        let opened = self.open_session(&upload, &values, body.sign.as_deref(), edition)?;
        Ok(FaceIdResponse {
            code: ResultCode::Success,
            msg: "success".into(),
            biz_seq_no: Some(opened.biz_seq_no.clone()),
            result: Some(FaceIdResult {
                biz_seq_no: Some(opened.biz_seq_no),
                transaction_time: Some(vendor_time(opened.now)),
                order_no: upload.order_no.to_owned(),
                face_id: opened.face_id,
                optimal_domain: Some(self.settings.optimal_domain.clone()),
                success: false,
            }),
            transaction_time: Some(vendor_time(opened.now)),
        })
    }

    /// The checks every upload passes: identifiers, version, and the
    /// identity or photo.
    fn check_upload<'a>(
        &self,
        body: &'a StartBody,
        app_id: &'a str,
    ) -> Result<Upload<'a>, Rejection> {
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
                ));
            }
        }
        Ok(Upload {
            app_id,
            order_no,
            user_id,
            version,
        })
    }

    /// Checks the upload's `sign` over `values` against the live SIGN
    /// tickets and opens a session of `edition` under a new face id.
    fn open_session(
        &self,
        upload: &Upload<'_>,
        values: &[&str],
        signature: Option<&str>,
        edition: Edition,
    ) -> Result<Opened, Rejection> {
        let now = self.now();
        let mut state = self.state();
        Self::signed_with_sign_ticket(&state, values, signature, now)?;
        if state.orders.contains_key(upload.order_no) {
            return Err(Rejection::new(
                Refusal::DuplicateOrderNo,
                "this orderNo was used before",
            ));
        }
        let face_id = format!("wb{}", random_alphanumeric(30));
        state.orders.insert(
            upload.order_no.to_owned(),
            Order {
                user_id: upload.user_id.to_owned(),
                h5face_id: face_id.clone(),
                edition,
                callback_url: None,
                result: None,
            },
        );
        state
            .sessions
            .insert(face_id.clone(), upload.order_no.to_owned());
        drop(state);
        tracing::debug!(order_no = upload.order_no, %edition, "emulator started a session");
        Ok(Opened {
            face_id,
            biz_seq_no: random_alphanumeric(32),
            now,
        })
    }

    /// `GET /api/web/login`: checks the URL's NONCE signature (using the
    /// ticket up), uses the link up and remembers the callback URL. A link
    /// with `faceId` (and `appId`) is the enhanced edition's, one with
    /// `h5faceId` (and `webankAppId`) the basic one's; each opens only a
    /// session of its edition.
    pub fn open_login_page(&self, params: &Params) -> Result<LoginPage, Rejection> {
        let (edition, app_id, h5face_id) = match params.get("faceId") {
            Some(_) => (
                Edition::Enhanced,
                params.require("appId")?,
                params.require("faceId")?,
            ),
            None => (
                Edition::Basic,
                params.require("webankAppId")?,
                params.require("h5faceId")?,
            ),
        };
        let version = params.require("version")?;
        let nonce = params.require("nonce")?;
        let order_no = params.require("orderNo")?;
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
        state.use_link(
            &Link {
                nonce,
                order_no,
                face_id: h5face_id,
                user_id,
                edition,
                values: &values,
                signature,
            },
            now,
        )?;
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
        let finished = self.finish(h5face_id, &code)?;
        let mut url = finished.callback_url.unwrap_or_else(|| {
            let mut url = self.base_url.clone();
            url.set_path("/callback");
            url
        });
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("code", code.as_str())
                .append_pair("orderNo", &finished.order_no)
                .append_pair("h5faceId", h5face_id);
            if let Some(signature) = &finished.signature {
                query.append_pair(self.settings.signature_param.name(), &signature.to_string());
            }
            if code.is_success() {
                query.append_pair("liveRate", LIVE_RATE);
            }
        }
        Ok(url)
    }

    /// Records the result of the session `face_id`, once, and signs it
    /// (app id, order number, code) with the current SIGN ticket; without
    /// one alive the vendor cannot sign.
    pub(super) fn finish(&self, face_id: &str, code: &ResultCode) -> Result<Signed, EmulatorError> {
        let now = self.now();
        let mut state = self.state();
        let unknown = || EmulatorError::UnknownSession {
            h5face_id: face_id.to_owned(),
        };
        let order_no = state.sessions.get(face_id).cloned().ok_or_else(unknown)?;
        let ticket = state.credentials.current_sign_ticket(now).cloned();
        let order = state.orders.get_mut(&order_no).ok_or_else(unknown)?;
        if order.result.is_some() {
            return Err(EmulatorError::AlreadyCompleted {
                h5face_id: face_id.to_owned(),
            });
        }
        let signature = ticket.as_ref().map(|ticket| {
            sign(
                &[&self.settings.app_id, &order_no, code.as_str()],
                ticket.expose(),
            )
        });
        tracing::debug!(
            order_no,
            code = code.as_str(),
            signed = ticket.is_some(),
            "emulator recorded a verification"
        );
        order.result = Some(Finished {
            code: code.clone(),
            occurred_at: now,
        });
        Ok(Signed {
            callback_url: order.callback_url.clone(),
            order_no,
            signature,
        })
    }
}

/// A login link or SDK launch: signed over `values` with a NONCE ticket of
/// `user_id`, for the session `face_id` of `order_no` in `edition`.
pub(super) struct Link<'a> {
    pub(super) nonce: &'a str,
    pub(super) order_no: &'a str,
    pub(super) face_id: &'a str,
    pub(super) user_id: &'a str,
    pub(super) edition: Edition,
    pub(super) values: &'a [&'a str],
    pub(super) signature: Signature,
}

impl State {
    /// Checks a login link or SDK launch and uses it up (with its NONCE
    /// ticket): each works once, for its own session and edition.
    pub(super) fn use_link(&mut self, link: &Link<'_>, now: SystemTime) -> Result<(), Rejection> {
        if self.used_login_links.contains(link.nonce) {
            return Err(Rejection::new(
                Refusal::LoginLinkUsed,
                "this link was used already: each login link or SDK launch works once, start a new session",
            ));
        }
        let session_matches = self.orders.get(link.order_no).is_some_and(|order| {
            order.h5face_id == link.face_id
                && order.user_id == link.user_id
                && order.edition == link.edition
        });
        if !session_matches {
            return Err(Rejection::new(
                Refusal::UnknownSession,
                format!(
                    "no {} session with this order number, face id and user id",
                    link.edition
                ),
            ));
        }
        let signed = self
            .credentials
            .use_nonce_ticket(link.user_id, now, |ticket| {
                sign(link.values, ticket.expose()) == link.signature
            });
        if !signed {
            return Err(invalid_sign());
        }
        self.used_login_links.insert(link.nonce.to_owned());
        Ok(())
    }
}

/// A result recorded by [`Vendor::finish`].
pub struct Signed {
    pub order_no: String,
    pub callback_url: Option<Url>,
    /// `None` when no SIGN ticket was alive to sign with.
    pub signature: Option<Signature>,
}
