//! The vendor's Tencent Cloud API 3.0 FaceID actions for the WeChat
//! channel, built from the vendor's DetectAuth documentation: the rules
//! and state here, the TC3 check in [`auth`], HTTP in [`routes`].
//!
//! Documented: the 5-minute timestamp window and the error codes, a
//! BizToken verifiable 7,200 s and pullable 259,200 s from issue, `Text`
//! without a verdict before the user finishes, one `LivenessDetail` entry
//! per attempt with its `IsNeedCharge`, final once `ErrCode` is 0 or two
//! hours have passed, `InvalidParameter` "非法BizToken。" for a token never
//! issued. *Inferred* (no vendor page states it): the redirect's
//! `BizToken=` (and `Extra=`) parameters, no signature on it, the
//! BizToken's format, `Text.ErrCode` mirroring the last attempt,
//! `BizTokenExpired` after three days, `InvalidParameter` for a RuleId
//! other than the token's, and which attempts are billed (0, 1002, 2006,
//! 2016, as the Plus page says).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use url::Url;

use super::{EmulatorError, lock};
use tencent_faceid::Clock;
use tencent_faceid::Secret;

pub(super) mod auth;
#[cfg(feature = "wechat-encryption")]
pub(super) mod encryption;
mod request;
pub(super) mod routes;

/// How long a BizToken can be verified (documented).
pub(super) const VERIFY_WINDOW: Duration = Duration::from_secs(7_200);
/// How long its result can be pulled (documented).
pub(super) const PULL_WINDOW: Duration = Duration::from_secs(259_200);
/// Where the vendor sends the browser when `DetectAuth` had no RedirectUrl.
const DEFAULT_REDIRECT: &str = "https://cloud.tencent.com/product/faceid?Is=sdk-topnav";
/// Why the `Encryption` option is refused without a key pair.
const NO_KEY_PAIR: &str =
    "the Encryption option without a key pair (EmulatorBuilder::field_encryption)";
/// The WeChat-style verification page.
pub(super) const PAGE_PATH: &str = "/wechat/verify";

/// What the user does on the WeChat page, for
/// [`Emulator::complete_wechat`](super::Emulator::complete_wechat).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum WeChatOutcome {
    /// Liveness and comparison pass: `ErrCode` 0, billed.
    Pass,
    /// The attempt fails with this `ErrCode` (the vendor's DetectAuth documentation, e.g.
    /// 2006 name and ID mismatch, billed; 1001 liveness timeout, not
    /// billed). The user may try again with the same BizToken.
    Fail(i64),
}

impl WeChatOutcome {
    fn code(self) -> i64 {
        match self {
            Self::Pass => 0,
            Self::Fail(code) => code,
        }
    }
}

/// The name and id number a `DetectAuth` gave, as the emulator read them
/// (decrypted when they came encrypted), for
/// [`Emulator::wechat_identity`](super::Emulator::wechat_identity).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WeChatIdentity {
    /// `Name`.
    pub name: Option<Secret>,
    /// `IdCard`.
    pub id_card: Option<Secret>,
    /// Whether they came encrypted (the `Encryption` option).
    pub encrypted: bool,
}

/// Whether an attempt ending in `code` is billed (the Plus page's table).
fn billed(code: i64) -> bool {
    matches!(code, 0 | 1002 | 2006 | 2016)
}

/// The vendor's text for a code (descriptive only).
fn message(code: i64) -> &'static str {
    match code {
        0 => "成功",
        15 => "Token 过期，请重试",
        1001 => "活体检测超时",
        2006 => "姓名和身份证号不一致",
        2016 => "比对相似度未达到通过标准",
        _ => "验证失败",
    }
}

/// What the builder configured.
pub(super) struct Settings {
    pub secret_id: String,
    pub secret_key: Secret,
    pub rule_id: String,
    /// The vendor's key pair for the `Encryption` option; without one the
    /// option is refused.
    #[cfg(feature = "wechat-encryption")]
    pub keys: Option<encryption::Keys>,
}

/// A refusal: `Response.Error.Code` and `Message`.
#[derive(Debug)]
pub(super) struct ApiRefusal {
    pub code: &'static str,
    pub message: String,
}

impl ApiRefusal {
    pub(super) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

struct Attempt {
    at: SystemTime,
    code: i64,
    seq: String,
}

struct BizToken {
    issued: SystemTime,
    rule_id: String,
    redirect: Url,
    extra: Option<String>,
    name: Option<Secret>,
    id_card: Option<Secret>,
    /// Whether `name` and `id_card` came encrypted.
    encrypted: bool,
    attempts: Vec<Attempt>,
}

impl BizToken {
    fn passed(&self) -> bool {
        self.attempts
            .last()
            .is_some_and(|attempt| attempt.code == 0)
    }
}

/// The WeChat channel's vendor: settings and BizTokens.
pub(super) struct WeChatVendor {
    settings: Settings,
    clock: Clock,
    base_url: Url,
    tokens: Mutex<HashMap<String, BizToken>>,
}

impl WeChatVendor {
    pub(super) fn new(settings: Settings, clock: Clock, base_url: Url) -> Self {
        Self {
            settings,
            clock,
            base_url,
            tokens: Mutex::default(),
        }
    }

    pub(super) fn settings(&self) -> &Settings {
        &self.settings
    }

    pub(super) fn now(&self) -> SystemTime {
        self.clock.now()
    }

    fn check_rule(&self, rule_id: &str) -> Result<(), ApiRefusal> {
        if rule_id == self.settings.rule_id {
            Ok(())
        } else {
            Err(ApiRefusal::new(
                "InvalidParameterValue.RuleIdNotExist",
                "RuleId不存在，请到人脸核身控制台申请。",
            ))
        }
    }

    /// `DetectAuth`: checks the fields' documented limits and issues a
    /// BizToken whose `Url` is this emulator's page.
    pub(super) fn detect_auth(&self, body: &[u8]) -> Result<Value, ApiRefusal> {
        let mut request: request::DetectAuth = request::read(body)?;
        self.open_fields(
            request.encryption.as_ref(),
            &mut request.name,
            &mut request.id_card,
        )?;
        self.check_rule(&request.rule_id)?;
        if request
            .image_base64
            .as_ref()
            .is_some_and(|image| image.expose().len() > 3 * 1024 * 1024)
        {
            return Err(ApiRefusal::new(
                "InvalidParameter",
                "ImageBase64 超过 3 MB。",
            ));
        }
        let too_long =
            |value: Option<&str>, max: usize| value.is_some_and(|v| v.chars().count() > max);
        if too_long(request.name.as_ref().map(Secret::expose), 32) {
            return Err(ApiRefusal::new("InvalidParameter", "Name 超过 32 个字符。"));
        }
        if too_long(request.extra.as_deref(), 1024) {
            return Err(ApiRefusal::new(
                "InvalidParameter",
                "Extra 超过 1024 个字符。",
            ));
        }
        let redirect = request.redirect_url.as_deref().unwrap_or(DEFAULT_REDIRECT);
        let redirect = Url::parse(redirect)
            .ok()
            .filter(|url| {
                matches!(url.scheme(), "http" | "https") && redirect.chars().count() <= 1024
            })
            .ok_or_else(|| {
                ApiRefusal::new(
                    "InvalidParameter",
                    "RedirectUrl 须以 http:// 或 https:// 开头，且不超过 1024 个字符。",
                )
            })?;
        if request
            .id_card
            .as_ref()
            .is_some_and(|id| id.expose().contains('x'))
        {
            return Err(ApiRefusal::new(
                "InvalidParameter",
                "IdCard 中的 X 须大写。",
            ));
        }
        let biz_token = new_biz_token();
        let mut url = self.base_url.clone();
        url.set_path(PAGE_PATH);
        url.query_pairs_mut().append_pair("token", &biz_token);
        lock(&self.tokens).insert(
            biz_token.clone(),
            BizToken {
                issued: self.now(),
                rule_id: request.rule_id,
                redirect,
                extra: request.extra,
                name: request.name,
                id_card: request.id_card,
                encrypted: request::asks_encryption(request.encryption.as_ref()),
                attempts: Vec::new(),
            },
        );
        Ok(json!({ "BizToken": biz_token, "Url": url.as_str() }))
    }

    /// `GetDetectInfoEnhanced` (the text part: `InfoType` is not needed
    /// for it).
    pub(super) fn detect_info(&self, body: &[u8]) -> Result<Value, ApiRefusal> {
        let request: request::DetectInfo = request::read(body)?;
        self.check_rule(&request.rule_id)?;
        let now = self.now();
        let mut tokens = lock(&self.tokens);
        let illegal = || ApiRefusal::new("InvalidParameter", "非法BizToken。");
        let token = tokens.get(&request.biz_token).ok_or_else(illegal)?;
        if token.rule_id != request.rule_id {
            return Err(illegal());
        }
        if elapsed(token.issued, now) > PULL_WINDOW {
            // The vendor keeps results three days: forget it.
            tokens.remove(&request.biz_token);
            return Err(ApiRefusal::new(
                "InvalidParameterValue.BizTokenExpired",
                "BizToken过期",
            ));
        }
        let details: Vec<Value> = token
            .attempts
            .iter()
            .map(|attempt| {
                json!({
                    "ReqTime": millis(attempt.at).to_string(),
                    "Seq": attempt.seq,
                    "Idcard": token.id_card.as_ref().map(Secret::expose),
                    "Name": token.name.as_ref().map(Secret::expose),
                    "Sim": if attempt.code == 0 { "95.51" } else { "12.30" },
                    "IsNeedCharge": billed(attempt.code),
                    "Errcode": attempt.code,
                    "Errmsg": message(attempt.code),
                })
            })
            .collect();
        let last = token.attempts.last();
        let answer = json!({
            "Text": {
                "ErrCode": last.map(|a| a.code),
                "ErrMsg": last.map(|a| message(a.code)),
                "IdCard": token.id_card.as_ref().map_or("", Secret::expose),
                "Name": token.name.as_ref().map_or("", Secret::expose),
                "Sim": last.map(|a| if a.code == 0 { "95.51" } else { "12.30" }),
                "Extra": token.extra.as_deref().unwrap_or(""),
                "LivenessDetail": details,
            },
            "IdCardData": null,
            "BestFrame": null,
            "VideoData": null,
            "EncryptedBody": "",
            "IsVerifyIntention": false,
            "IntentionVerifyType": "",
        });
        self.seal_answer(
            request.encryption.as_ref(),
            request.is_encrypt_response == Some(true),
            answer,
        )
    }

    /// `DetectAuth`'s name and id number in plain text: decrypted as its
    /// `Encryption` says; the option refused without a key pair.
    #[cfg_attr(not(feature = "wechat-encryption"), allow(unused_variables))]
    fn open_fields(
        &self,
        encryption: Option<&Value>,
        name: &mut Option<Secret>,
        id_card: &mut Option<Secret>,
    ) -> Result<(), ApiRefusal> {
        if !request::asks_encryption(encryption) {
            return Ok(());
        }
        #[cfg(feature = "wechat-encryption")]
        if let (Some(keys), Some(encryption)) = (&self.settings.keys, encryption) {
            return keys.open_request(encryption, [("IdCard", id_card), ("Name", name)]);
        }
        Err(request::refuse_encryption(NO_KEY_PAIR))
    }

    /// `GetDetectInfoEnhanced`'s answer as its `Encryption` asks: the
    /// sensitive fields encrypted with the caller's key; the option refused
    /// without a key pair, whole-answer encryption always.
    #[cfg_attr(not(feature = "wechat-encryption"), allow(unused_mut))]
    fn seal_answer(
        &self,
        encryption: Option<&Value>,
        whole_body: bool,
        mut answer: Value,
    ) -> Result<Value, ApiRefusal> {
        if whole_body {
            return Err(request::refuse_encryption(
                "whole-answer encryption (IsEncryptResponse)",
            ));
        }
        if !request::asks_encryption(encryption) {
            return Ok(answer);
        }
        #[cfg(feature = "wechat-encryption")]
        if let (Some(keys), Some(encryption)) = (&self.settings.keys, encryption) {
            keys.answer_key(encryption)?.seal(&mut answer);
            return Ok(answer);
        }
        Err(request::refuse_encryption(NO_KEY_PAIR))
    }

    /// The name and id number `DetectAuth` gave for `biz_token`.
    pub(super) fn identity(&self, biz_token: &str) -> Option<WeChatIdentity> {
        lock(&self.tokens)
            .get(biz_token)
            .map(|token| WeChatIdentity {
                name: token.name.clone(),
                id_card: token.id_card.clone(),
                encrypted: token.encrypted,
            })
    }

    /// The user finishes an attempt on the page: records it and answers
    /// where the browser goes (RedirectUrl with `BizToken=`, and `Extra=`
    /// when set).
    ///
    /// # Errors
    /// [`EmulatorError::UnknownBizToken`]; [`EmulatorError::BizTokenFinal`]
    /// when the token passed already or its 7,200 s are over.
    pub(super) fn finish(
        &self,
        biz_token: &str,
        outcome: WeChatOutcome,
    ) -> Result<Url, EmulatorError> {
        let now = self.now();
        let mut tokens = lock(&self.tokens);
        let token = tokens
            .get_mut(biz_token)
            .ok_or_else(|| EmulatorError::UnknownBizToken {
                biz_token: biz_token.to_owned(),
            })?;
        if token.passed() || elapsed(token.issued, now) > VERIFY_WINDOW {
            return Err(EmulatorError::BizTokenFinal {
                biz_token: biz_token.to_owned(),
            });
        }
        token.attempts.push(Attempt {
            at: now,
            code: outcome.code(),
            seq: new_biz_token().to_lowercase(),
        });
        let mut url = token.redirect.clone();
        url.query_pairs_mut().append_pair("BizToken", biz_token);
        if let Some(extra) = &token.extra {
            url.query_pairs_mut().append_pair("Extra", extra);
        }
        Ok(url)
    }

    /// Whether `biz_token` is one this vendor issued and can still be
    /// verified.
    pub(super) fn verifiable(&self, biz_token: &str) -> bool {
        let now = self.now();
        lock(&self.tokens)
            .get(biz_token)
            .is_some_and(|token| !token.passed() && elapsed(token.issued, now) <= VERIFY_WINDOW)
    }
}

fn elapsed(since: SystemTime, now: SystemTime) -> Duration {
    now.duration_since(since).unwrap_or_default()
}

fn millis(time: SystemTime) -> u128 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis())
}

/// A 36-character upper-case UUID-like token, as in every example.
fn new_biz_token() -> String {
    let hex = format!("{:032X}", rand::random::<u128>());
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}
