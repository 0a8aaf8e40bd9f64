//! Credentials: a secret the vendor hands out and the moment it stops
//! accepting it. An access token and a ticket are the same shape, one
//! type under two names.

use std::time::SystemTime;

use crate::secret::Secret;

/// A secret from the vendor (an access token or a ticket) and the moment it
/// stops being accepted. `Debug` never shows the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    value: Secret,
    expires_at: SystemTime,
}

/// An access token: the credential that fetches tickets.
pub type AccessToken = Credential;

/// A SIGN or NONCE ticket: the credential that signs.
pub type Ticket = Credential;

impl Credential {
    /// A credential valid until `expires_at`.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use tencent_faceid::client::Ticket;
    /// let t = Ticket::new("abc", SystemTime::now() + Duration::from_secs(60));
    /// assert_eq!(t.value(), "abc");
    /// assert!(t.is_valid_at(SystemTime::now()));
    /// ```
    pub fn new(value: impl Into<Secret>, expires_at: SystemTime) -> Self {
        Self {
            value: value.into(),
            expires_at,
        }
    }

    /// The secret itself, exposed: do not log it.
    pub fn value(&self) -> &str {
        self.value.expose()
    }

    /// The secret, still wrapped.
    pub fn secret(&self) -> &Secret {
        &self.value
    }

    /// When it stops being accepted.
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// Whether it is still accepted at `now`.
    pub fn is_valid_at(&self, now: SystemTime) -> bool {
        now < self.expires_at
    }
}
