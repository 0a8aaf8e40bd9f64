//! Validated identifiers: the order number and the user id every exchange
//! names, checked once against the vendor's rules so that a bad one fails
//! here, with a message saying which character to fix, rather than at the
//! vendor.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Why an [`OrderNo`] or [`UserId`] was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentifierError {
    /// The value is empty.
    #[error("{what} must not be empty")]
    Empty {
        /// `"order number"` or `"user id"`.
        what: &'static str,
    },
    /// The value is longer than the vendor allows.
    #[error("{what} is at most {max} characters, this one has {actual}")]
    TooLong {
        /// `"order number"` or `"user id"`.
        what: &'static str,
        /// The vendor's limit.
        max: usize,
        /// The value's length in characters.
        actual: usize,
    },
    /// The value holds a character the vendor does not accept.
    #[error(
        "{what} may only hold {allowed}; character {} (counting from 1) is not one of them",
        .position + 1
    )]
    InvalidCharacter {
        /// `"order number"` or `"user id"`.
        what: &'static str,
        /// The characters allowed.
        allowed: &'static str,
        /// Zero-based position of the first offending character (the
        /// message counts from 1).
        position: usize,
    },
}

fn validate_identifier(
    value: &str,
    what: &'static str,
    allowed: &'static str,
    is_allowed: fn(char) -> bool,
) -> Result<(), IdentifierError> {
    const MAX: usize = 32;
    if value.is_empty() {
        return Err(IdentifierError::Empty { what });
    }
    if let Some(position) = value.chars().position(|c| !is_allowed(c)) {
        return Err(IdentifierError::InvalidCharacter {
            what,
            allowed,
            position,
        });
    }
    // Only ASCII is allowed past this point, so bytes are characters.
    if value.len() > MAX {
        return Err(IdentifierError::TooLong {
            what,
            max: MAX,
            actual: value.len(),
        });
    }
    Ok(())
}

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident, $what:literal, $allowed:literal, $is_allowed:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps a value.
            pub fn new(value: impl Into<String>) -> Result<Self, IdentifierError> {
                let value = value.into();
                validate_identifier(&value, $what, $allowed, $is_allowed)?;
                Ok(Self(value))
            }

            /// The value as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Wraps a value that was this identifier before (as a store
            /// keeps it), without validating it again.
            pub(crate) fn revalidated(value: &str) -> Self {
                Self(value.to_owned())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdentifierError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::new(s)
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdentifierError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::new(value)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Self::new(String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
            }
        }
    };
}

identifier!(
    /// An order number: ASCII letters and digits, 1 to 32 characters,
    /// unique per verification.
    ///
    /// ```
    /// use tencent_faceid::OrderNo;
    /// assert!(OrderNo::new("order20261123A1").is_ok());
    /// assert!(OrderNo::new("order-1").is_err());
    /// assert!(OrderNo::new("a".repeat(33)).is_err());
    /// ```
    OrderNo,
    "order number",
    "ASCII letters and digits",
    |c| c.is_ascii_alphanumeric()
);

identifier!(
    /// A user id: ASCII letters and digits, 1 to 32 characters (the vendor
    /// forbids special characters). The same in geth5faceid, the NONCE
    /// ticket and the login URL.
    ///
    /// ```
    /// use tencent_faceid::UserId;
    /// assert!(UserId::new("user42").is_ok());
    /// assert!(UserId::new("user_42").is_err());
    /// assert!(UserId::new("user 42").is_err());
    /// assert!(UserId::new("").is_err());
    /// ```
    UserId,
    "user id",
    "ASCII letters and digits (the vendor forbids special characters)",
    |c| c.is_ascii_alphanumeric()
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_explain_what_is_wrong() {
        let err = OrderNo::new("abc_1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "order number may only hold ASCII letters and digits; character 4 (counting from 1) is not one of them"
        );
        let err = UserId::new("user-1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "user id may only hold ASCII letters and digits (the vendor forbids special characters); character 5 (counting from 1) is not one of them"
        );
        let err = UserId::new("u".repeat(33)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "user id is at most 32 characters, this one has 33"
        );
        assert!(serde_json::from_str::<OrderNo>("\"\"").is_err());
    }
}
