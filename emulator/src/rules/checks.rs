//! A request checked as the vendor checks it: its parameters, identifiers,
//! identity, photo and signature; a failed check is the [`Rejection`] the
//! vendor answers.

use std::collections::HashMap;

use base64::Engine as _;
use serde::de::DeserializeOwned;

use crate::outcome::Refusal;
use tencent_faceid::Secret;
use tencent_faceid::client::VERSION;
use tencent_faceid::sign::Signature;
use tencent_faceid::{IdentifierError, OrderNo, UserId};

/// The largest comparison photo the vendor accepts, decoded.
const MAX_PHOTO_BYTES: usize = 500 * 1024;

/// A refusal the vendor answers with HTTP 200 and an error code.
#[derive(Debug)]
pub struct Rejection {
    pub refusal: Refusal,
    pub msg: String,
}

impl Rejection {
    pub(super) fn new(refusal: Refusal, msg: impl Into<String>) -> Self {
        Self {
            refusal,
            msg: msg.into(),
        }
    }
}

/// A query string's parameters, the first occurrence of each name kept.
pub struct Params(HashMap<String, String>);

impl Params {
    pub fn parse(query: Option<&str>) -> Self {
        let mut map = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            map.entry(name.into_owned())
                .or_insert_with(|| value.into_owned());
        }
        Self(map)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub(super) fn require(&self, name: &str) -> Result<&str, Rejection> {
        required(self.get(name), name)
    }

    /// The app id, under either name the vendor's pages use.
    pub(super) fn app_id(&self) -> Result<&str, Rejection> {
        required(self.get("app_id").or(self.get("appId")), "app_id")
    }
}

pub(super) fn invalid_sign() -> Rejection {
    Rejection::new(
        Refusal::InvalidSign,
        "sign does not match the signed values and a live ticket",
    )
}

pub(super) fn parse_sign(signature: Option<&str>) -> Result<Signature, Rejection> {
    signature
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Rejection::new(Refusal::InvalidSign, "the sign is missing"))?
        .parse()
        .map_err(|_| invalid_sign())
}

pub(super) fn check_version(version: &str) -> Result<(), Rejection> {
    if version == VERSION {
        Ok(())
    } else {
        Err(Rejection::new(
            Refusal::InvalidRequest,
            format!("version must be {VERSION}"),
        ))
    }
}

/// A present, non-empty value, or the vendor's "missing parameter".
pub(super) fn required<'a>(value: Option<&'a str>, name: &str) -> Result<&'a str, Rejection> {
    value.filter(|value| !value.is_empty()).ok_or_else(|| {
        Rejection::new(
            Refusal::InvalidRequest,
            format!("the parameter {name} is missing"),
        )
    })
}

pub(super) fn invalid_identifier(error: IdentifierError) -> Rejection {
    Rejection::new(Refusal::InvalidRequest, error.to_string())
}

/// A `nonce`: exactly 32 letters and digits.
pub(super) fn check_nonce(nonce: &str) -> Result<(), Rejection> {
    if nonce.len() == 32 && nonce.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(Rejection::new(
            Refusal::InvalidRequest,
            "nonce must be 32 letters and digits",
        ))
    }
}

pub(super) fn check_order_no(order_no: &str) -> Result<(), Rejection> {
    OrderNo::new(order_no).map(drop).map_err(invalid_identifier)
}

pub(super) fn check_user_id(user_id: &str) -> Result<(), Rejection> {
    UserId::new(user_id).map(drop).map_err(invalid_identifier)
}

/// A name that is not blank and a mainland id number: 18 characters, 17
/// digits and a digit or `X` (or the old 15 digits).
pub(super) fn check_identity(name: &Secret, id_no: &Secret) -> Result<(), Rejection> {
    let id_no = id_no.expose().as_bytes();
    let well_formed = match id_no {
        [head @ .., last] if id_no.len() == 18 => {
            head.iter().all(u8::is_ascii_digit)
                && (last.is_ascii_digit() || *last == b'X' || *last == b'x')
        }
        _ => id_no.len() == 15 && id_no.iter().all(u8::is_ascii_digit),
    };
    if name.expose().trim().is_empty() || !well_formed {
        // The message never quotes them: they are personal data.
        return Err(Rejection::new(
            Refusal::InvalidNameOrIdNumber,
            "the name or id number is not well formed",
        ));
    }
    Ok(())
}

pub(super) fn check_photo(photo: &Secret, kind: Option<&str>) -> Result<(), Rejection> {
    if !matches!(kind, Some("1" | "2")) {
        return Err(Rejection::new(
            Refusal::InvalidRequest,
            "sourcePhotoType must be 1 or 2 with a sourcePhotoStr",
        ));
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(photo.expose())
        .map_err(|_| {
            Rejection::new(
                Refusal::InvalidRequest,
                "sourcePhotoStr must be base64 without line breaks or prefix",
            )
        })?;
    if decoded.len() > MAX_PHOTO_BYTES {
        return Err(Rejection::new(
            Refusal::InvalidRequest,
            "sourcePhotoStr is larger than 500 KB",
        ));
    }
    Ok(())
}

pub(super) fn decode_body<T: DeserializeOwned>(body: &[u8]) -> Result<T, Rejection> {
    serde_json::from_slice(body).map_err(|_| {
        Rejection::new(
            Refusal::InvalidRequest,
            "the body is not the expected JSON object",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_keep_the_first_value() {
        let p = Params::parse(Some("a=1&b=x%20y&a=2"));
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), Some("x y"));
        assert!(p.require("c").is_err());
    }
}
