//! A string that never shows itself: secrets, tickets, personal data.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A string whose `Debug` and `Display` print `[redacted]`.
///
/// Used for the app secret, access tokens, tickets, names, id numbers and
/// photos, so that logging a request or an error can never leak them. Read
/// the value on purpose with [`Secret::expose`]. On the wire it is the plain
/// string.
///
/// ```
/// use tencent_faceid::Secret;
/// let secret = Secret::new("hunter2");
/// assert_eq!(format!("{secret:?} {secret}"), "[redacted] [redacted]");
/// assert_eq!(secret.expose(), "hunter2");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    ///
    /// ```
    /// let s = tencent_faceid::Secret::new(String::from("x"));
    /// assert_eq!(s.expose(), "x");
    /// ```
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself: use it only where the value must go (a hash, the
    /// wire), never a log.
    ///
    /// ```
    /// assert_eq!(tencent_faceid::Secret::new("x").expose(), "x");
    /// ```
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is empty.
    ///
    /// ```
    /// assert!(tencent_faceid::Secret::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}
