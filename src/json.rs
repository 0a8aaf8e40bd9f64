//! Decoding JSON from the vendor or a shared store without ever quoting
//! it: a serde error message can hold a value from the body (a token, a
//! name), so [`DecodeError`] keeps only where decoding failed and why.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::error::Category;

/// Why a JSON document could not be decoded: the field and the position,
/// never a value (a serde error message can quote the body: a token, a
/// name).
///
/// ```
/// use tencent_faceid::client::DecodeError;
/// fn where_it_failed(error: &DecodeError) -> String {
///     format!("{} (line {}, column {})", error.field(), error.line(), error.column())
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem} at `{field}` (line {line}, column {column})")]
pub struct DecodeError {
    field: String,
    line: usize,
    column: usize,
    problem: &'static str,
}

impl DecodeError {
    /// A success answer that lacks `field`, which it must have.
    pub(crate) fn missing(field: &str) -> Self {
        Self {
            field: field.to_owned(),
            line: 0,
            column: 0,
            problem: "a required field is missing",
        }
    }

    /// A document longer than the reader accepts, refused unread.
    pub(crate) fn too_long() -> Self {
        Self {
            field: ".".to_owned(),
            line: 0,
            column: 0,
            problem: "a document longer than the maximum",
        }
    }

    /// The path of the field where decoding failed (`.` for the document,
    /// `result.orderNo` for a nested field).
    pub fn field(&self) -> &str {
        &self.field
    }

    /// The line (from 1) where decoding failed; 0 when not known.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The column (from 1) where decoding failed; 0 when not known.
    pub fn column(&self) -> usize {
        self.column
    }
}

/// Decodes `bytes` as a `T`, or says where and why not (see
/// [`DecodeError`]).
///
/// # Errors
/// [`DecodeError`] when `bytes` is not JSON or not a `T`.
pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        explain(path, error.inner())
    })?;
    deserializer
        .end()
        .map_err(|error| explain(".".to_owned(), &error))?;
    Ok(value)
}

/// The error at `field` without the message's words (which may quote the
/// document).
fn explain(mut field: String, inner: &serde_json::Error) -> DecodeError {
    // serde names a missing field (from the type, never the body) in
    // its message; every other message may quote the body.
    let message = inner.to_string();
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split_once('`'))
        .map(|(name, _)| name);
    let problem = match (inner.classify(), missing) {
        (Category::Syntax, _) => "not JSON",
        (Category::Eof, _) => "the document ends early",
        (Category::Data, Some(name)) => {
            field = if field == "." {
                name.to_owned()
            } else {
                format!("{field}.{name}")
            };
            "a required field is missing"
        }
        (Category::Data, None) => "a value of the wrong type or form",
        (Category::Io, _) => "the document could not be read",
    };
    DecodeError {
        field,
        line: inner.line(),
        column: inner.column(),
        problem,
    }
}

/// Accepts a JSON string or number as a string: the vendor is not
/// consistent about which it sends for codes, rates and lifetimes.
pub(crate) fn lenient_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StringOrNumber {
        String(String),
        Number(serde_json::Number),
    }
    Ok(match StringOrNumber::deserialize(deserializer)? {
        StringOrNumber::String(s) => s,
        StringOrNumber::Number(n) => n.to_string(),
    })
}

pub(crate) fn lenient_optional_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapper(#[serde(deserialize_with = "lenient_string")] String);
    Ok(Option::<Wrapper>::deserialize(deserializer)?.map(|Wrapper(s)| s))
}

pub(crate) fn lenient_seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let text = lenient_string(deserializer)?;
    text.parse().map_err(|_| {
        serde::de::Error::custom(format!("expected a number of seconds, got {text:?}"))
    })
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[derive(serde::Deserialize, Debug)]
    struct Answer {
        #[allow(dead_code)]
        result: Inner,
    }

    #[derive(serde::Deserialize, Debug)]
    struct Inner {
        #[allow(dead_code)]
        expire_in: u64,
    }

    #[test]
    fn an_error_says_where_and_never_quotes_the_body() {
        let error = decode::<Answer>(br#"{"result":{"expire_in":"s3cr3t"}}"#).unwrap_err();
        assert_eq!(
            error.to_string(),
            "a value of the wrong type or form at `result.expire_in` (line 1, column 31)"
        );
        assert!(!format!("{error:?}").contains("s3cr3t"));
        assert_eq!(
            (error.field(), error.line(), error.column()),
            ("result.expire_in", 1, 31)
        );
    }
}
