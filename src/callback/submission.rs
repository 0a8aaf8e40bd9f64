//! [`Submission`]: a verification's result come back to this server (a
//! browser's callback, an App SDK result, a WeChat BizToken), read into
//! what the verification pipeline needs of it, owned.

use super::rejection::reject;
use super::{CallbackRejection, Malformed};
use crate::ids::OrderNo;
use crate::orders::Claim;
use crate::result_code::ResultCode;
use crate::sign::Signature;
use crate::tc3::DetectInfo;
use crate::tc3::biz_token::order_no_of;

/// A result come back, read: its order, its claim on it, what it reports
/// and what vouches for it.
pub(crate) struct Submission {
    pub(super) claim: Claim,
    pub(super) order_no: OrderNo,
    pub(super) code: ResultCode,
    pub(super) h5face_id: String,
    pub(super) live_rate: Option<String>,
    pub(super) proof: Proof,
    pub(super) origin: Origin,
    /// A WeChat session's record, once pulled.
    pub(super) detect_info: Option<Box<DetectInfo>>,
}

/// What vouches for a result: the vendor's signature, or, for the WeChat
/// edition, nothing but the BizToken (the verdict is the vendor's record).
pub(super) enum Proof {
    /// `newSignature` (or the SDK's `sign`).
    Signed(Signature),
    /// A WeChat session's BizToken, as the vendor issued it.
    BizToken(String),
}

/// Who brings a result back.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Origin {
    /// The user's browser, redirected by the vendor's page: it may carry
    /// the binding cookie of the browser that started the session.
    Browser,
    /// The partner's app (an App SDK result, a mini program's BizToken):
    /// no browser to bind, and its result never passed the vendor's
    /// redirect.
    App,
}

impl Submission {
    /// A result the vendor signed: `order_no`, `code` and `signature` as
    /// they came, claiming the order with `claim`.
    pub(crate) fn signed(
        origin: Origin,
        order_no: &str,
        code: &str,
        signature: &str,
        claim: Claim,
    ) -> Result<Self, CallbackRejection> {
        let order_no = OrderNo::new(order_no)
            .map_err(|e| CallbackRejection::malformed(Malformed::InvalidOrderNo(e)))?;
        let signature: Signature = signature.parse().map_err(|e| {
            let kind = Malformed::InvalidSignature(e).into();
            reject(kind, Some(order_no.clone()), None)
        })?;
        Ok(Self {
            claim,
            order_no,
            code: ResultCode::from_code(code),
            h5face_id: String::new(),
            live_rate: None,
            proof: Proof::Signed(signature),
            origin,
            detect_info: None,
        })
    }

    /// A WeChat session's BizToken, come back with `claim` (its browser's,
    /// or none for a mini program).
    pub(crate) fn biz_token(
        origin: Origin,
        biz_token: &str,
        claim: Claim,
    ) -> Result<Self, CallbackRejection> {
        let order_no = order_no_of(biz_token)
            .map_err(|e| CallbackRejection::malformed(Malformed::InvalidBizToken(e)))?;
        Ok(Self {
            claim,
            order_no,
            // Until the vendor's record says.
            code: ResultCode::from_code(""),
            h5face_id: biz_token.to_owned(),
            live_rate: None,
            proof: Proof::BizToken(biz_token.to_owned()),
            origin,
            detect_info: None,
        })
    }

    /// The same result, with what it reports unsigned: the session's face
    /// id and the live rate.
    pub(crate) fn reported(mut self, h5face_id: String, live_rate: Option<String>) -> Self {
        self.h5face_id = h5face_id;
        self.live_rate = live_rate;
        self
    }
}
