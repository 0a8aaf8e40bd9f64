//! The strict reader of a callback's query string: one pass over the
//! bytes, each defect its own [`Malformed`] variant (see the
//! [module documentation](super) for the rules).

use std::borrow::Cow;

use crate::ids::IdentifierError;
use crate::json::DecodeError;
use crate::sign::ParseSignatureError;

/// Why a callback's query string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The query string is longer than the configured maximum.
    #[error(
        "the query string is {actual} bytes long, more than the {max} accepted (CallbackVerifierBuilder::max_query_len)"
    )]
    TooLong {
        /// The configured maximum.
        max: usize,
        /// The query's length.
        actual: usize,
    },
    /// A required parameter is absent.
    #[error("parameter `{0}` is missing")]
    Missing(&'static str),
    /// A parameter appears more than once.
    #[error("parameter `{0}` appears more than once")]
    Duplicate(&'static str),
    /// A required parameter is empty.
    #[error("parameter `{0}` is empty")]
    Empty(&'static str),
    /// A `%` is not followed by two hex digits.
    #[error(
        "invalid percent-encoding at byte {position} of the query string: `%` must be followed by two hex digits"
    )]
    InvalidPercentEncoding {
        /// Zero-based byte offset of the `%` in the query string.
        position: usize,
    },
    /// A name or value is not UTF-8 once percent-decoded.
    #[error(
        "the name or value at byte {position} of the query string is not UTF-8 once percent-decoded"
    )]
    NotUtf8 {
        /// Zero-based byte offset of the name or value in the query string.
        position: usize,
    },
    /// `orderNo` is not a valid order number.
    #[error("parameter `orderNo` is not a valid order number")]
    InvalidOrderNo(#[source] IdentifierError),
    /// `newSignature` (or `newSign`) is not 40 hex digits.
    #[error("parameter `newSignature` (or `newSign`) is not 40 hex digits")]
    InvalidSignature(#[source] ParseSignatureError),
    /// `newSignature` and `newSign` are both present with different values.
    #[error(
        "parameters `newSignature` and `newSign` are both present with different values; the vendor sends one signature, under either name"
    )]
    ConflictingSignatures,
    /// An App SDK result's body is not the JSON object the SDK's result is
    /// forwarded as (`orderNo`, `code`, `sign` strings; see
    /// [`crate::sdk::SdkResult`]), or is longer than the maximum.
    #[error("the body is not an App SDK result (a JSON object with orderNo, code and sign): {0}")]
    NotSdkResult(#[source] DecodeError),
    /// A WeChat redirect's `BizToken`, or a mini program's `bizToken`, is
    /// not of the vendor's form.
    #[error("the BizToken is not one the vendor issues")]
    InvalidBizToken(#[source] crate::tc3::biz_token::InvalidBizToken),
    /// A mini program's body is not `{"bizToken": "..."}` (see
    /// [`crate::wechat::MiniProgramResult`]), or is longer than the
    /// maximum.
    #[error("the body is not a mini program's result (a JSON object with bizToken): {0}")]
    NotMiniProgramResult(#[source] DecodeError),
}

/// The parameters of a callback query, decoded, borrowed from the query
/// when they hold no escapes.
pub(super) struct RawCallback<'q> {
    pub(super) code: Cow<'q, str>,
    pub(super) order_no: Cow<'q, str>,
    pub(super) h5face_id: Cow<'q, str>,
    pub(super) new_signature: Cow<'q, str>,
    pub(super) live_rate: Option<Cow<'q, str>>,
}

/// The parameters read, in the order of [`RawCallback`]'s fields, then
/// `newSign`: the PC-browser H5 page's name for `newSignature`.
const PARAMETERS: [&str; 6] = [
    "code",
    "orderNo",
    "h5faceId",
    "newSignature",
    "liveRate",
    "newSign",
];

/// The index in [`PARAMETERS`] of a parameter name, if it is one.
fn parameter_index(name: &str) -> Option<usize> {
    match name {
        "code" => Some(0),
        "orderNo" => Some(1),
        "h5faceId" => Some(2),
        "newSignature" => Some(3),
        "liveRate" => Some(4),
        "newSign" => Some(5),
        // `signature` (legacy, untrusted) and parameters of the partner's own.
        _ => None,
    }
}

/// Reads the callback parameters strictly: see the module documentation.
///
/// One pass over the bytes; names and values are borrowed from the query
/// unless they hold escapes.
pub(super) fn parse(query: &str, max_len: usize) -> Result<RawCallback<'_>, Malformed> {
    if query.len() > max_len {
        return Err(Malformed::TooLong {
            max: max_len,
            actual: query.len(),
        });
    }
    let (query, base) = match query.strip_prefix('?') {
        Some(rest) => (rest, 1),
        None => (query, 0),
    };
    let mut fields = Fields {
        query,
        base,
        values: Default::default(),
    };
    let mut pair = Pair::at(0);
    for (i, &byte) in query.as_bytes().iter().enumerate() {
        if !SPECIAL[usize::from(byte)] {
            continue;
        }
        match byte {
            b'&' => {
                fields.read(&pair, i)?;
                pair = Pair::at(i + 1);
            }
            b'=' if pair.equals.is_none() => {
                pair.equals = Some(i);
                pair.name_escaped = pair.escaped;
                pair.escaped = false;
            }
            b'%' | b'+' => pair.escaped = true,
            _ => {} // a `=` inside a value is part of it
        }
    }
    fields.read(&pair, query.len())?;

    let [
        code,
        order_no,
        h5face_id,
        new_signature,
        live_rate,
        new_sign,
    ] = fields.values;
    fn required<'q>(index: usize, value: Option<Cow<'q, str>>) -> Result<Cow<'q, str>, Malformed> {
        match value {
            None => Err(Malformed::Missing(PARAMETERS[index])),
            Some(value) if value.is_empty() => Err(Malformed::Empty(PARAMETERS[index])),
            Some(value) => Ok(value),
        }
    }
    let code = required(0, code)?;
    let order_no = required(1, order_no)?;
    let h5face_id = required(2, h5face_id)?;
    // One signature under either name; hex digits compare in either case.
    let new_signature = match (new_signature, new_sign) {
        (Some(a), Some(b)) if !a.eq_ignore_ascii_case(&b) => {
            return Err(Malformed::ConflictingSignatures);
        }
        (None, Some(new_sign)) => required(5, Some(new_sign))?,
        (new_signature, _) => required(3, new_signature)?,
    };
    Ok(RawCallback {
        code,
        order_no,
        h5face_id,
        new_signature,
        // Some pages send an empty liveRate with a failure: same as absent.
        live_rate: live_rate.filter(|rate| !rate.is_empty()),
    })
}

/// The bytes [`parse`] stops at: separators, and escapes to decode.
const SPECIAL: [bool; 256] = {
    let mut special = [false; 256];
    special[b'&' as usize] = true;
    special[b'=' as usize] = true;
    special[b'%' as usize] = true;
    special[b'+' as usize] = true;
    special
};

/// What [`parse`] saw of the `name=value` pair it is in.
struct Pair {
    start: usize,
    equals: Option<usize>,
    /// Whether the name holds escapes (known once `=` is seen).
    name_escaped: bool,
    /// Whether the part being scanned (name, then value) holds escapes.
    escaped: bool,
}

impl Pair {
    fn at(start: usize) -> Self {
        Self {
            start,
            equals: None,
            name_escaped: false,
            escaped: false,
        }
    }
}

/// The known parameters found so far, in the order of [`PARAMETERS`].
struct Fields<'q> {
    query: &'q str,
    /// Where `query` starts in what the caller passed, for error positions.
    base: usize,
    values: [Option<Cow<'q, str>>; 6],
}

impl<'q> Fields<'q> {
    /// Takes in the pair that ends at `end` (a `&` or the end: `&`, `=`,
    /// `%` and `+` are ASCII, so every index here is a char boundary).
    fn read(&mut self, pair: &Pair, end: usize) -> Result<(), Malformed> {
        if pair.start == end {
            return Ok(()); // empty pair, as in `a=1&&b=2`
        }
        let (name_end, name_escaped, value_start, value_escaped) = match pair.equals {
            Some(equals) => (equals, pair.name_escaped, equals + 1, pair.escaped),
            None => (end, pair.escaped, end, false),
        };
        let name = &self.query[pair.start..name_end];
        let index = if name_escaped {
            parameter_index(&percent_decode(name, self.base + pair.start)?)
        } else {
            parameter_index(name)
        };
        let Some(index) = index else {
            return Ok(()); // its value is not even looked at
        };
        if self.values[index].is_some() {
            return Err(Malformed::Duplicate(PARAMETERS[index]));
        }
        let value = &self.query[value_start..end];
        self.values[index] = Some(if value_escaped {
            percent_decode(value, self.base + value_start)?
        } else {
            Cow::Borrowed(value)
        });
        Ok(())
    }
}

/// Decodes `application/x-www-form-urlencoded` text (`%XX` escapes, `+` for
/// space). `offset` is where `raw` starts in the query, for error positions.
fn percent_decode(raw: &str, offset: usize) -> Result<Cow<'_, str>, Malformed> {
    let hex = |b: Option<&u8>| b.and_then(|&b| char::from(b).to_digit(16));
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(high), Some(low)) => {
                    // Two hex digits: at most 0xff.
                    decoded.push((high << 4 | low) as u8);
                    i += 3;
                }
                _ => {
                    return Err(Malformed::InvalidPercentEncoding {
                        position: offset + i,
                    });
                }
            },
            b'+' => {
                decoded.push(b' ');
                i += 1;
            }
            _ => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(decoded)
        .map(Cow::Owned)
        .map_err(|_| Malformed::NotUtf8 { position: offset })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::callback::DEFAULT_MAX_QUERY_LEN;

    fn parsed(query: &str) -> Result<RawCallback<'_>, Malformed> {
        parse(query, DEFAULT_MAX_QUERY_LEN)
    }

    const GOOD: &str = "code=0&orderNo=o1&h5faceId=f1&newSignature=ABC";

    #[test]
    fn plain_values_are_borrowed() {
        let raw = parsed(GOOD).unwrap();
        assert!(matches!(raw.code, Cow::Borrowed("0")));
        assert!(matches!(raw.order_no, Cow::Borrowed("o1")));
        assert!(matches!(raw.h5face_id, Cow::Borrowed("f1")));
        assert!(matches!(raw.new_signature, Cow::Borrowed("ABC")));
        assert!(raw.live_rate.is_none());
    }

    #[test]
    fn escapes_and_plus_are_decoded() {
        let raw = parsed("%63ode=%30&orderNo=o1&h5faceId=a+b%2Fc&newSignature=x&liveRate=9%C3%A9")
            .unwrap();
        assert_eq!(raw.code, "0");
        assert_eq!(raw.h5face_id, "a b/c");
        assert_eq!(raw.live_rate.as_deref(), Some("9é"));
    }

    #[test]
    fn leading_question_mark_and_empty_pairs_are_tolerated() {
        let raw = parsed("?&code=0&&orderNo=o1&h5faceId=f1&newSignature=x&").unwrap();
        assert_eq!(raw.order_no, "o1");
    }

    #[test]
    fn unknown_and_legacy_parameters_are_ignored_even_when_repeated() {
        let query = format!("{GOOD}&signature=a&signature=b&ret=%zz&ret=2&liveRate=");
        let raw = parsed(&query).unwrap();
        assert_eq!(raw.code, "0");
        assert!(raw.live_rate.is_none());
    }

    #[test]
    fn each_defect_has_its_own_answer() {
        let cases: &[(&str, Malformed)] = &[
            (
                "orderNo=o1&h5faceId=f1&newSignature=x",
                Malformed::Missing("code"),
            ),
            (
                "code=0&h5faceId=f1&newSignature=x",
                Malformed::Missing("orderNo"),
            ),
            (
                "code=0&orderNo=o1&newSignature=x",
                Malformed::Missing("h5faceId"),
            ),
            (
                "code=0&orderNo=o1&h5faceId=f1",
                Malformed::Missing("newSignature"),
            ),
            (
                "code=1&code=0&orderNo=o1&h5faceId=f1&newSignature=x",
                Malformed::Duplicate("code"),
            ),
            (
                "code=0&orderNo=o1&%63ode=1&h5faceId=f1&newSignature=x",
                Malformed::Duplicate("code"),
            ),
            (
                "code=0&orderNo=o1&h5faceId=f1&newSignature=x&liveRate=1&liveRate=2",
                Malformed::Duplicate("liveRate"),
            ),
            (
                "code&orderNo=o1&h5faceId=f1&newSignature=x",
                Malformed::Empty("code"),
            ),
            (
                "code=0&orderNo=&h5faceId=f1&newSignature=x",
                Malformed::Empty("orderNo"),
            ),
            (
                "code=%zz&orderNo=o1&h5faceId=f1&newSignature=x",
                Malformed::InvalidPercentEncoding { position: 5 },
            ),
            (
                "code=0&orderNo=o1%4",
                Malformed::InvalidPercentEncoding { position: 17 },
            ),
            (
                "code=0&orderNo=o1%",
                Malformed::InvalidPercentEncoding { position: 17 },
            ),
            (
                "code=0&or%zzderNo=o1",
                Malformed::InvalidPercentEncoding { position: 9 },
            ),
            (
                "code=0&orderNo=%FF%FE&h5faceId=f1&newSignature=x",
                Malformed::NotUtf8 { position: 15 },
            ),
        ];
        for (query, expected) in cases {
            match parsed(query) {
                Err(actual) => assert_eq!(&actual, expected, "{query}"),
                Ok(_) => panic!("{query} was accepted"),
            }
        }
    }

    #[test]
    fn the_signature_may_be_named_new_sign() {
        let raw = parsed("code=0&orderNo=o1&h5faceId=f1&newSign=ABC").unwrap();
        assert_eq!(raw.new_signature, "ABC");
        // Both names with the same signature (hex in either case): one.
        let raw = parsed("code=0&orderNo=o1&h5faceId=f1&newSignature=abc&newSign=ABC").unwrap();
        assert_eq!(raw.new_signature, "abc");
    }

    #[test]
    fn two_different_signatures_are_refused() {
        for query in [
            "code=0&orderNo=o1&h5faceId=f1&newSignature=ABC&newSign=ABD",
            "code=0&orderNo=o1&h5faceId=f1&newSign=ABD&newSignature=ABC",
            "code=0&orderNo=o1&h5faceId=f1&newSign=&newSignature=ABC",
        ] {
            assert_eq!(
                parsed(query).err(),
                Some(Malformed::ConflictingSignatures),
                "{query}"
            );
        }
        let message = Malformed::ConflictingSignatures.to_string();
        assert!(message.contains("newSignature") && message.contains("newSign"));
    }

    #[test]
    fn new_sign_has_the_same_checks_as_new_signature() {
        let cases: &[(&str, Malformed)] = &[
            (
                "code=0&orderNo=o1&h5faceId=f1&newSign=x&newSign=x",
                Malformed::Duplicate("newSign"),
            ),
            (
                "code=0&orderNo=o1&h5faceId=f1&newSign=",
                Malformed::Empty("newSign"),
            ),
        ];
        for (query, expected) in cases {
            assert_eq!(parsed(query).err().as_ref(), Some(expected), "{query}");
        }
    }

    #[test]
    fn length_limit_is_inclusive() {
        assert!(parse(GOOD, GOOD.len()).is_ok());
        assert_eq!(
            parse(GOOD, GOOD.len() - 1).err(),
            Some(Malformed::TooLong {
                max: GOOD.len() - 1,
                actual: GOOD.len()
            })
        );
    }
}
