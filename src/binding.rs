//! Browser binding, like OAuth's `state`: a callback is accepted only from
//! the browser that started its session.
//!
//! With [`Wiring::browser_binding`] on (the default; one setting of the
//! app, read by its starter and its verifier alike) the starter makes a
//! random value per session, hands it back as an `HttpOnly`,
//! `SameSite=Lax` cookie ([`Started::binding`]) and records only its
//! [`BindingHash`] with the order, and the verifier accepts a callback
//! only when the request carries that cookie:
//! - the browser that started the session gets the outcome, and gets it
//!   again when it reloads the callback page (marked
//!   [`repeated`](crate::callback::VerificationOutcome::repeated); the
//!   order is consumed once);
//! - any other browser (a stolen or shared callback URL, a missing cookie)
//!   gets 409 and leaves the order pending for its owner.
//!
//! `SameSite=Lax` cookies ride along on the top-level `GET` navigation the
//! vendor's page makes back to your callback, which is why callbacks are
//! `GET` only.
//!
//! [`Wiring::browser_binding`]: crate::wiring::Wiring::browser_binding
//! [`Started::binding`]: crate::session::Started::binding
//!
//! ```
//! use tencent_faceid::callback::{cookie_value, BindingCookie, COOKIE_NAME};
//! let cookie = BindingCookie::new(true, std::time::Duration::from_secs(600));
//! let header = cookie.set_cookie();
//! assert!(header.starts_with("faceid_binding="));
//! assert!(header.contains("; HttpOnly; SameSite=Lax; Secure"));
//! // The browser sends it back; the adapters read it like this:
//! let sent = format!("theme=dark; {COOKIE_NAME}={}", cookie.value().expose());
//! assert_eq!(cookie_value([sent.as_str()]), Some(cookie.value().expose()));
//! assert!(!format!("{cookie:?}").contains(cookie.value().expose()));
//! ```

use std::fmt;
use std::time::Duration;

use sha1::{Digest, Sha1};

use crate::random::random_alphanumeric;
use crate::secret::Secret;

/// The name of the binding cookie.
pub const COOKIE_NAME: &str = "faceid_binding";

/// Random letters and digits in a binding value: about 190 bits.
const VALUE_LEN: usize = 32;

/// A fresh binding value and the `Set-Cookie` header that gives it to the
/// browser. `Debug` never shows the value.
#[derive(Clone)]
pub struct BindingCookie {
    value: Secret,
    set_cookie: Secret,
}

impl fmt::Debug for BindingCookie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BindingCookie([redacted])")
    }
}

impl BindingCookie {
    /// A new random value, in a cookie for the whole site that lasts
    /// `max_age` (the order's time to live); `Secure` when `secure` (the
    /// callback URL is https).
    pub fn new(secure: bool, max_age: Duration) -> Self {
        let value = random_alphanumeric(VALUE_LEN);
        let secure = if secure { "; Secure" } else { "" };
        let set_cookie = format!(
            "{COOKIE_NAME}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
            max_age.as_secs().max(1)
        );
        Self {
            value: Secret::new(value),
            set_cookie: Secret::new(set_cookie),
        }
    }

    /// The value the browser will send back.
    pub fn value(&self) -> &Secret {
        &self.value
    }

    /// The `Set-Cookie` header value to send with the redirect to the
    /// vendor's page.
    pub fn set_cookie(&self) -> &str {
        self.set_cookie.expose()
    }

    /// The hash recorded with the order.
    pub fn hash(&self) -> BindingHash {
        BindingHash::of(self.value.expose())
    }
}

/// The SHA-1 of a binding value: what the order store keeps, so that a
/// store dump does not hold the cookies themselves.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct BindingHash([u8; 20]);

impl fmt::Debug for BindingHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BindingHash([redacted])")
    }
}

impl BindingHash {
    /// The hash of a binding value (as sent in the cookie).
    ///
    /// ```
    /// use tencent_faceid::callback::BindingHash;
    /// let hash = BindingHash::of("abc");
    /// assert_eq!(hash.to_hex(), "a9993e364706816aba3e25717850c26c9cd0d89d");
    /// assert_eq!(BindingHash::from_hex(&hash.to_hex()), Some(hash));
    /// ```
    pub fn of(value: &str) -> Self {
        Self(Sha1::digest(value.as_bytes()).into())
    }

    /// Lower-case hex, as the Redis store records it.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|byte| format!("{byte:02x}")).collect()
    }

    /// Reads [`Self::to_hex`] back; `None` unless 40 hex digits.
    pub fn from_hex(hex: &str) -> Option<Self> {
        if hex.len() != 40 || !hex.is_ascii() {
            return None;
        }
        let mut bytes = [0; 20];
        for (byte, pair) in bytes.iter_mut().zip(hex.as_bytes().chunks(2)) {
            let pair = std::str::from_utf8(pair).ok()?;
            *byte = u8::from_str_radix(pair, 16).ok()?;
        }
        Some(Self(bytes))
    }
}

/// The binding cookie's value among the request's `Cookie` header values,
/// if present and non-empty.
///
/// ```
/// use tencent_faceid::callback::cookie_value;
/// assert_eq!(cookie_value(["a=1; faceid_binding=xyz"]), Some("xyz"));
/// assert_eq!(cookie_value(["faceid_binding="]), None);
/// assert_eq!(cookie_value(Vec::<&str>::new()), None);
/// ```
pub fn cookie_value<'a>(headers: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    headers
        .into_iter()
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim_matches('"'))
        .filter(|value| !value.is_empty())
}
