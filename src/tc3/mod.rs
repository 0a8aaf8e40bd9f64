//! The Tencent Cloud API 3.0 client for FaceID's WeChat channel (WeChat
//! H5 and mini programs): [`Tc3Client::detect_auth`] starts a
//! verification and answers a BizToken, [`Tc3Client::detect_info`] pulls
//! the vendor's record of it (`GetDetectInfoEnhanced`).
//!
//! Every request is signed with TC3-HMAC-SHA256 ([`sign`]) over
//! `content-type;host`, as the vendor's own SDKs sign; `X-TC-Timestamp`
//! comes from the client's [`Clock`]. The vendor answers errors with HTTP
//! 200 and `Response.Error`: they are [`Tc3Error::Api`] with a typed
//! [`ApiErrorCode`], and a timestamp refused as more than five minutes off
//! is [`Tc3Error::ClockSkew`]. The SecretKey is a [`Secret`]: never in
//! `Debug`, logs or errors.
//!
//! With the feature `wechat-encryption` and a `FieldEncryption` on the
//! builder, names and id numbers travel encrypted (AES-256-CBC under a key
//! wrapped with the vendor's RSA public key) both ways; without, in the
//! TLS body as the vendor's default. A key the vendor cannot unwrap is
//! [`Tc3Error::KeyRejected`].
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use tencent_faceid_emulator::{Emulator, WeChatOutcome};
//! use tencent_faceid::tc3::DetectAuthRequest;
//! let emulator = Emulator::start().await?;
//! let client = emulator.tc3_client();
//! let mut request = DetectAuthRequest::new(client.rule_id());
//! request.redirect_url = Some("https://shop.example/wechat/back".into());
//! let started = client.detect_auth(&request).await?;
//!
//! // Before the user finishes, the record has no verdict.
//! assert_eq!(client.detect_info(&started.biz_token).await?.err_code(), None);
//!
//! // The user passes on the WeChat page, which sends the browser back.
//! let back = emulator.complete_wechat(&started.biz_token, WeChatOutcome::Pass)?;
//! assert!(back.as_str().starts_with("https://shop.example/wechat/back?BizToken="));
//! let info = client.detect_info(&started.biz_token).await?;
//! assert_eq!(info.err_code(), Some(0));
//! assert_eq!(info.billed_attempts(), 1);
//! # Ok(()) }
//! ```
//!
//! # The WeChat edition
//! [`Edition::WeChat`](crate::session::Edition::WeChat) is face
//! verification for WeChat H5 (official accounts, the WeChat
//! browser) and WeChat mini programs, through this client, on the same
//! orders, settlement and reconciliation as the other editions.
//!
//! 1. **Start** with the one [`StartSession`](crate::session::StartSession)
//!    API: `.edition(Edition::WeChat)` for WeChat H5, or
//!    [`StartSession::for_mini_program`](crate::session::StartSession::for_mini_program).
//!    The starter calls `DetectAuth` (the wiring's
//!    [`Tc3Client`], [`Wiring::wechat`](crate::wiring::Wiring::wechat))
//!    with the RuleId, `RedirectUrl` = the callback URL (H5 only), the
//!    name and id number when given, and `Extra` = the user id (the
//!    crate's correlation, never a credential), with the same admission,
//!    room check, metrics and span as the other editions. The pending
//!    order is keyed by the BizToken ([`order_no_of`]: its hex digits
//!    without dashes), bound to the browser for H5 (as the other H5
//!    editions) and to none for a mini program (which has no cookies: as
//!    an App SDK order). Send the browser to
//!    [`Started::redirect_url`](crate::session::Started::redirect_url), or
//!    hand the mini program the BizToken
//!    ([`Started::h5face_id`](crate::session::Started::h5face_id)).
//! 2. **Verify**: the vendor's page sends the browser back to the callback
//!    URL with `?BizToken=` and no signature, so the same
//!    [`CallbackVerifier`](crate::callback::CallbackVerifier) (and the tower layer, the axum and actix
//!    adapters) takes the verdict from `GetDetectInfoEnhanced`, always:
//!    the order first (a BizToken this server never issued is a 404 that
//!    costs no vendor call), then its browser (409 from another), then the
//!    vendor's record (`ErrCode`: [`VerificationOutcome::code`](crate::callback::VerificationOutcome::code), the
//!    record in [`VerificationOutcome::wechat`](crate::callback::VerificationOutcome::wechat), with each attempt and
//!    whether it is billed), consumed exactly once and settled. A record
//!    with no verdict yet is [`RejectionKind::NotFinished`](crate::callback::RejectionKind::NotFinished)
//!    (409, the order stays pending). The mini program posts the BizToken
//!    to your endpoint as JSON (`{"bizToken": "..."}`): [`verify_mini_program`]
//!    (or the `axum::WeChatVerified` / `actix::WeChatVerified` extractors)
//!    runs the same pipeline.
//! 3. **Settle and reconcile**: the order remembers its edition in every
//!    store; the [reconciler](crate::settle::Reconciler) pulls
//!    `GetDetectInfoEnhanced` (never `queryfacerecord`) for WeChat orders
//!    nobody came back for: final when the verdict is in, abandoned once
//!    [`BIZ_TOKEN_LIFETIME`] has passed without one. It tells them by
//!    their order number (32 hex digits, which the starter never gives an
//!    order of another edition).
//!
//! The first verdict that comes back is the outcome, as in the other
//! editions: a failed attempt consumes the order (the vendor would let the
//! user try again with the same BizToken; start a new session instead).
//! Personal data in the record (name, id number) are
//! [`Secret`]s, never logged; photos and video are never
//! fetched (`InfoType` 1, the text only).

use std::fmt;
use std::time::UNIX_EPOCH;

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::client::{BodyError, TransportError, read_body};
use crate::clock::Clock;
use crate::contact::ContactLog;
use crate::json;
use crate::secret::Secret;

pub(crate) mod biz_token;
mod builder;
#[cfg(feature = "wechat-encryption")]
pub(crate) mod encryption;
mod error;
pub mod sign;
mod wire;

pub use crate::wechat::{
    BIZ_TOKEN_LIFETIME, InvalidBizToken, MAX_MINI_PROGRAM_BODY, MiniProgramResult, biz_token_of,
    order_no_of, verify_mini_program, verify_mini_program_body,
};
pub use builder::{DEFAULT_TC3_BASE_URL, Tc3ClientBuilder};
#[cfg(feature = "wechat-encryption")]
pub use encryption::aes_cbc;
#[cfg(feature = "wechat-encryption")]
pub use encryption::{AES_256_CBC, FieldCryptoError, FieldEncryption};
pub use error::{Action, ApiErrorCode, Tc3Error};
#[cfg(feature = "wechat-encryption")]
pub use wire::Encryption;
pub use wire::{
    DetectAuthAnswer, DetectAuthRequest, DetectDetail, DetectInfo, DetectInfoRequest,
    DetectInfoText, VERSION,
};
pub(crate) use wire::{Envelope, EnvelopeBody};

/// The service name in the credential scope.
pub const SERVICE: &str = "faceid";
/// The content type sent and signed, without a charset (as the vendor's
/// SDKs send it: the signed value must equal the sent one).
pub const CONTENT_TYPE_JSON: &str = "application/json";

/// The vendor's API 3.0 for FaceID, over one connection pool. Cheap to
/// clone.
#[derive(Clone)]
pub struct Tc3Client {
    http: reqwest::Client,
    base_url: Url,
    host: String,
    secret_id: String,
    secret_key: Secret,
    rule_id: String,
    region: Option<String>,
    clock: Clock,
    max_body_bytes: usize,
    /// When the vendor last answered and last failed, shared by clones.
    contact: ContactLog,
    /// The vendor's public key, when names and id numbers go encrypted.
    #[cfg(feature = "wechat-encryption")]
    encryption: Option<FieldEncryption>,
}

impl fmt::Debug for Tc3Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Tc3Client");
        debug
            .field("base_url", &self.base_url.as_str())
            .field("secret_id", &self.secret_id)
            .field("secret_key", &self.secret_key)
            .field("rule_id", &self.rule_id)
            .field("region", &self.region);
        #[cfg(feature = "wechat-encryption")]
        debug.field("encryption", &self.encryption);
        debug.finish_non_exhaustive()
    }
}

impl Tc3Client {
    /// Starts configuring a client with the API key (`SecretId`,
    /// `SecretKey`) and the business flow's `RuleId`.
    pub fn builder(
        secret_id: impl Into<String>,
        secret_key: impl Into<Secret>,
        rule_id: impl Into<String>,
    ) -> Tc3ClientBuilder {
        Tc3ClientBuilder::new(secret_id.into(), secret_key.into(), rule_id.into())
    }

    /// The RuleId every call names.
    pub fn rule_id(&self) -> &str {
        &self.rule_id
    }

    /// The SecretId (not a secret: it names the key).
    pub fn secret_id(&self) -> &str {
        &self.secret_id
    }

    /// Where requests go.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// When the vendor last answered this client (or a clone) and last
    /// failed to, as the health report shows it
    /// ([`FaceId::health`](crate::FaceId::health)).
    pub fn contact(&self) -> crate::client::VendorContact {
        self.contact.snapshot()
    }

    /// The clock `X-TC-Timestamp` is read from.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// `DetectAuth`: starts a verification. Its `RuleId` is `request`'s
    /// (usually [`Tc3Client::rule_id`]). With a `FieldEncryption`, its
    /// name and id number are sent encrypted.
    ///
    /// # Errors
    /// Any [`Tc3Error`].
    pub async fn detect_auth(
        &self,
        request: &DetectAuthRequest,
    ) -> Result<DetectAuthAnswer, Tc3Error> {
        let action = Action::DetectAuth;
        #[cfg(feature = "wechat-encryption")]
        if let Some(encryption) = &self.encryption {
            let sealed = encryption
                .encrypt_detect_auth(request)
                .map_err(|source| Tc3Error::Encryption { action, source })?;
            if let Some(sealed) = sealed {
                return self.call(action, &sealed).await;
            }
        }
        self.call(action, request).await
    }

    /// `GetDetectInfoEnhanced` with `InfoType` `1` (the text: verdict,
    /// attempts, billing): the vendor's record of `biz_token`, with no
    /// verdict ([`DetectInfo::err_code`] `None`) until the user finished.
    ///
    /// With a `FieldEncryption`, the vendor encrypts the answer's names
    /// and id numbers under a key of this call, and they are decrypted
    /// here.
    ///
    /// # Errors
    /// Any [`Tc3Error`]; a BizToken the vendor never issued is
    /// [`ApiErrorCode::InvalidParameter`], one past its three days
    /// [`ApiErrorCode::BizTokenExpired`].
    pub async fn detect_info(&self, biz_token: &str) -> Result<DetectInfo, Tc3Error> {
        let action = Action::GetDetectInfoEnhanced;
        #[cfg_attr(not(feature = "wechat-encryption"), allow(unused_mut))]
        let mut request = DetectInfoRequest {
            biz_token: biz_token.to_owned(),
            rule_id: self.rule_id.clone(),
            info_type: Some("1".to_owned()),
            #[cfg(feature = "wechat-encryption")]
            encryption: None,
        };
        #[cfg(feature = "wechat-encryption")]
        if let Some(encryption) = &self.encryption {
            let failed = |source| Tc3Error::Encryption { action, source };
            let (key, sent) = encryption.answer_key().map_err(failed)?;
            request.encryption = Some(sent);
            let mut info = self.call(action, &request).await?;
            key.decrypt_answer(&mut info).map_err(failed)?;
            return Ok(info);
        }
        self.call(action, &request).await
    }

    /// Signs and sends `body` for `action`, and decodes the envelope.
    async fn call<T: DeserializeOwned>(
        &self,
        action: Action,
        body: &impl Serialize,
    ) -> Result<T, Tc3Error> {
        let call = self.call_unmeasured(action, body);
        crate::metrics::vendor_call(&self.contact, action.name(), call, Tc3Error::outcome).await
    }

    async fn call_unmeasured<T: DeserializeOwned>(
        &self,
        action: Action,
        body: &impl Serialize,
    ) -> Result<T, Tc3Error> {
        let payload = serde_json::to_vec(body)
            .map_err(|e| Tc3Error::Config(format!("the {action} body failed to encode: {e}")))?;
        let timestamp = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let input = sign::SigningInput {
            method: "POST",
            query: "",
            headers: &[
                (CONTENT_TYPE.as_str(), CONTENT_TYPE_JSON),
                (HOST.as_str(), &self.host),
            ],
            payload: &payload,
            service: SERVICE,
            timestamp,
        };
        let authorization = sign::authorization(&self.secret_id, &self.secret_key, &input);
        let mut request = self
            .http
            .post(self.base_url.clone())
            .header(HOST, &self.host)
            .header(CONTENT_TYPE, CONTENT_TYPE_JSON)
            .header("X-TC-Action", action.name())
            .header("X-TC-Version", VERSION)
            .header("X-TC-Timestamp", timestamp.to_string())
            .header(AUTHORIZATION, authorization);
        if let Some(region) = &self.region {
            request = request.header("X-TC-Region", region);
        }
        let transport = |source: reqwest::Error| Tc3Error::Transport {
            action,
            source: TransportError::without_url(source),
        };
        let mut response = request.body(payload).send().await.map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            tracing::warn!(%action, status = status.as_u16(), "vendor answered an HTTP error");
            return Err(Tc3Error::Status {
                action,
                status: status.as_u16(),
            });
        }
        let limit = self.max_body_bytes;
        let body = read_body(&mut response, limit)
            .await
            .map_err(|error| match error {
                BodyError::Transport(source) => transport(source),
                BodyError::TooLarge => Tc3Error::TooLarge { action, limit },
            })?;
        let envelope: Envelope<T> =
            json::decode(&body).map_err(|source| Tc3Error::Decode { action, source })?;
        match envelope.response {
            EnvelopeBody::Answer(answer) => {
                tracing::debug!(%action, "vendor call succeeded");
                Ok(answer)
            }
            EnvelopeBody::Error { error, request_id } => {
                let code = ApiErrorCode::from_code(&error.code);
                tracing::warn!(%action, code = error.code, request_id, "vendor answered an error");
                Err(if code.is_clock_skew() {
                    Tc3Error::ClockSkew { action, request_id }
                } else if code == ApiErrorCode::DecryptSystemError {
                    Tc3Error::KeyRejected { action, request_id }
                } else {
                    Tc3Error::Api {
                        action,
                        code,
                        message: error.message,
                        request_id,
                    }
                })
            }
        }
    }
}
