//! The rules the emulated [`Vendor`] plays by, and its state, free of
//! HTTP: access tokens and tickets here, [`sessions`] and [`records`]
//! beside, each request checked as the vendor checks it ([`checks`]),
//! every time read from the emulator's clock.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use subtle::ConstantTimeEq;
use url::Url;

use super::lifecycle::Credentials;
use super::outcome::{Refusal, SignatureParam};
use crate::wire::{AccessTokenResponse, ApiTicketResponse, TicketEntry};
use tencent_faceid::Clock;
use tencent_faceid::Secret;
use tencent_faceid::client::ResultCode;
use tencent_faceid::sign::sign;

mod checks;
mod records;
mod sdk;
mod sessions;

pub(super) use checks::{Params, Rejection};
use checks::{check_user_id, check_version, invalid_sign, parse_sign};
pub(super) use records::LIVE_RATE;
pub(super) use sessions::LoginPage;
use sessions::Order;

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
    pub key_licence: Secret,
    pub clock: Clock,
}

#[derive(Default)]
struct State {
    credentials: Credentials,
    /// By order number.
    orders: HashMap<String, Order>,
    /// h5faceId -> order number.
    sessions: HashMap<String, String>,
    /// The `nonce` of every login link opened and SDK launch run: each
    /// works once.
    used_login_links: HashSet<String>,
}

/// The vendor: settings plus state behind a short-held lock.
pub(super) struct Vendor {
    settings: Settings,
    base_url: Url,
    state: Mutex<State>,
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

    pub fn key_licence(&self) -> &Secret {
        &self.settings.key_licence
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
                ));
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
}

/// `yyyyMMddHHmmss` in Beijing time (UTC+8), as the vendor writes times.
pub(super) fn vendor_time(time: SystemTime) -> String {
    let seconds = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) + 8 * 3600;
    let (year, month, day, in_day) = tencent_faceid::civil(seconds);
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
}
