//! Result codes: the vendor's `code`, named only where its meaning is
//! documented or evidenced (by the vendor's pages or public code that
//! handles it), raw otherwise.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

use crate::json::lenient_string;

/// A vendor result code: `"0"` is success, any other code a failure.
///
/// The vendor's error-code table is not public, so only codes whose
/// meaning is documented or well evidenced have a name; every other code
/// is [`ResultCode::Other`], kept as sent, with the vendor's `msg` beside
/// it in [`crate::client::ClientError::Vendor`]. Do not build recovery on
/// one code: [`ResultCode::is_about_input`] says which refusals retrying
/// cannot fix.
///
/// ```
/// use tencent_faceid::client::{FrontEndCode, ResultCode};
/// assert!(ResultCode::from_code("0").is_success());
/// assert_eq!(ResultCode::from_code("66660011"), ResultCode::NoRecord);
/// assert_eq!(ResultCode::from_code("3004"), ResultCode::FrontEnd(FrontEndCode::NoCameraPermission));
/// let unknown = ResultCode::from_code("66660004");
/// assert_eq!(unknown, ResultCode::Other("66660004".into()));
/// assert_eq!(unknown.as_str(), "66660004");
/// assert!(!unknown.is_success());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResultCode {
    /// `0`: the request succeeded, or the face was verified.
    Success,
    /// A code of the H5 page itself (3001-3005, 300101), returned in the
    /// callback when the session could not run; documented. Such a
    /// session has no record.
    FrontEnd(FrontEndCode),
    /// `15`: the access token expired (documented for another edition;
    /// treated so by public implementations).
    TokenExpired,
    /// `400101`: the access token is invalid or expired (inferred: public
    /// implementations refresh the token on it).
    InvalidAccessToken,
    /// `66660011`: the vendor has no record for the order (inferred:
    /// public implementations treat the order as "no data" on it).
    NoRecord,
    /// `66660015`: the name or id number is not well formed (evidenced by
    /// the vendor's message "姓名或身份证号格式不正确").
    InvalidNameOrIdNumber,
    /// `66660017`: too many verification attempts; retry after 24 hours
    /// (evidenced by an app's message).
    TooManyAttempts,
    /// Any other code, kept as sent.
    Other(String),
}

/// The named codes besides [`ResultCode::FrontEnd`]: code, meaning.
const KNOWN_CODES: &[(ResultCode, &str, &str)] = &[
    (ResultCode::Success, "0", "success"),
    (ResultCode::TokenExpired, "15", "the access token expired"),
    (
        ResultCode::InvalidAccessToken,
        "400101",
        "the access token is invalid or expired",
    ),
    (
        ResultCode::NoRecord,
        "66660011",
        "the vendor has no record for this order",
    ),
    (
        ResultCode::InvalidNameOrIdNumber,
        "66660015",
        "the name or id number is not well formed",
    ),
    (
        ResultCode::TooManyAttempts,
        "66660017",
        "too many verification attempts; retry after 24 hours",
    ),
];

impl ResultCode {
    /// Reads a code as the vendor sends it.
    ///
    /// ```
    /// use tencent_faceid::client::ResultCode;
    /// assert_eq!(ResultCode::from_code("66660015"), ResultCode::InvalidNameOrIdNumber);
    /// ```
    pub fn from_code(code: &str) -> Self {
        if let Some(front_end) = FrontEndCode::from_code(code) {
            return Self::FrontEnd(front_end);
        }
        KNOWN_CODES
            .iter()
            .find(|(_, raw, _)| *raw == code)
            .map_or_else(
                || Self::Other(code.to_owned()),
                |(known, _, _)| known.clone(),
            )
    }

    /// The code as the vendor writes it.
    ///
    /// ```
    /// use tencent_faceid::client::ResultCode;
    /// assert_eq!(ResultCode::TooManyAttempts.as_str(), "66660017");
    /// ```
    pub fn as_str(&self) -> &str {
        match self {
            Self::Other(raw) => raw,
            Self::FrontEnd(front_end) => front_end.as_str(),
            known => KNOWN_CODES
                .iter()
                .find(|(k, _, _)| k == known)
                .map_or("", |(_, raw, _)| raw),
        }
    }

    /// What the code means, in a few words (`None` for codes without a
    /// name: read the vendor's `msg` for those).
    ///
    /// ```
    /// use tencent_faceid::client::ResultCode;
    /// assert_eq!(ResultCode::NoRecord.description(), Some("the vendor has no record for this order"));
    /// assert_eq!(ResultCode::from_code("1").description(), None);
    /// ```
    pub fn description(&self) -> Option<&'static str> {
        if let Self::FrontEnd(front_end) = self {
            return Some(front_end.description());
        }
        KNOWN_CODES
            .iter()
            .find(|(k, _, _)| k == self)
            .map(|(_, _, text)| *text)
    }

    /// Whether this is `"0"`.
    ///
    /// ```
    /// assert!(tencent_faceid::client::ResultCode::Success.is_success());
    /// ```
    pub fn is_success(&self) -> bool {
        *self == Self::Success
    }

    /// Whether the code plainly says the user's input is wrong (today:
    /// `66660015`, name or id number not well formed), so that asking
    /// again with the same input, or with fresh credentials, cannot help.
    ///
    /// Deliberately narrow: only evidenced codes count, and a code this
    /// says `false` for may still be about the input.
    ///
    /// ```
    /// use tencent_faceid::client::ResultCode;
    /// assert!(ResultCode::InvalidNameOrIdNumber.is_about_input());
    /// assert!(!ResultCode::InvalidAccessToken.is_about_input());
    /// assert!(!ResultCode::from_code("66660004").is_about_input());
    /// ```
    pub fn is_about_input(&self) -> bool {
        matches!(self, Self::InvalidNameOrIdNumber)
    }
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.description() {
            Some(text) => write!(f, "{} ({text})", self.as_str()),
            None => f.write_str(self.as_str()),
        }
    }
}

impl Serialize for ResultCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ResultCode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Self::from_code(&lenient_string(deserializer)?))
    }
}

/// The H5 page's own codes, documented: the session could not run in the
/// user's browser, so the vendor keeps no record of it.
///
/// ```
/// use tencent_faceid::client::FrontEndCode;
/// let code = FrontEndCode::from_code("3005").unwrap();
/// assert_eq!(code, FrontEndCode::NoRealTimeDetection);
/// assert_eq!(code.advice(), "use another browser");
/// assert_eq!(FrontEndCode::ALL.len(), 6);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrontEndCode {
    /// `3001`: the browser cannot record video.
    BrowserCannotRecord,
    /// `3002`: the login state is abnormal (a cookie is missing).
    LoginStateLost,
    /// `3003`: verification was interrupted (for example the app went to
    /// the background).
    Interrupted,
    /// `3004`: no permission to use the camera.
    NoCameraPermission,
    /// `3005`: the browser does not support real-time detection.
    NoRealTimeDetection,
    /// `300101`: a problem with the message body.
    MessageBodyProblem,
}

/// Each front-end code: code, meaning, the vendor's advice.
const FRONT_END_CODES: [(FrontEndCode, &str, &str, &str); 6] = [
    (
        FrontEndCode::BrowserCannotRecord,
        "3001",
        "the browser cannot record video",
        "use another method",
    ),
    (
        FrontEndCode::LoginStateLost,
        "3002",
        "the login state is abnormal (cookie missing)",
        "start again",
    ),
    (
        FrontEndCode::Interrupted,
        "3003",
        "face verification was interrupted",
        "start again",
    ),
    (
        FrontEndCode::NoCameraPermission,
        "3004",
        "no permission to use the camera",
        "start again and allow the camera",
    ),
    (
        FrontEndCode::NoRealTimeDetection,
        "3005",
        "the browser does not support real-time detection",
        "use another browser",
    ),
    (
        FrontEndCode::MessageBodyProblem,
        "300101",
        "a problem with the message body",
        "start again",
    ),
];

impl FrontEndCode {
    /// Every front-end code, in the documentation's order.
    pub const ALL: [FrontEndCode; 6] = [
        Self::BrowserCannotRecord,
        Self::LoginStateLost,
        Self::Interrupted,
        Self::NoCameraPermission,
        Self::NoRealTimeDetection,
        Self::MessageBodyProblem,
    ];

    /// Reads a front-end code (`None` for any other code).
    ///
    /// ```
    /// use tencent_faceid::client::FrontEndCode;
    /// assert_eq!(FrontEndCode::from_code("300101"), Some(FrontEndCode::MessageBodyProblem));
    /// assert_eq!(FrontEndCode::from_code("0"), None);
    /// ```
    pub fn from_code(code: &str) -> Option<Self> {
        FRONT_END_CODES
            .iter()
            .find(|(_, raw, _, _)| *raw == code)
            .map(|(known, _, _, _)| *known)
    }

    fn entry(self) -> &'static (FrontEndCode, &'static str, &'static str, &'static str) {
        // ALL and FRONT_END_CODES list the variants in the same order.
        &FRONT_END_CODES[self as usize]
    }

    /// The code as the page writes it.
    ///
    /// ```
    /// assert_eq!(tencent_faceid::client::FrontEndCode::Interrupted.as_str(), "3003");
    /// ```
    pub fn as_str(self) -> &'static str {
        self.entry().1
    }

    /// What it means.
    ///
    /// ```
    /// use tencent_faceid::client::FrontEndCode;
    /// assert_eq!(FrontEndCode::NoCameraPermission.description(), "no permission to use the camera");
    /// ```
    pub fn description(self) -> &'static str {
        self.entry().2
    }

    /// What the vendor advises the user to do.
    ///
    /// ```
    /// use tencent_faceid::client::FrontEndCode;
    /// assert_eq!(FrontEndCode::BrowserCannotRecord.advice(), "use another method");
    /// ```
    pub fn advice(self) -> &'static str {
        self.entry().3
    }
}

impl From<FrontEndCode> for ResultCode {
    fn from(code: FrontEndCode) -> Self {
        Self::FrontEnd(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_code_round_trips() {
        for (code, raw, _) in KNOWN_CODES {
            assert_eq!(&ResultCode::from_code(raw), code);
            assert_eq!(code.as_str(), *raw);
        }
        for (i, code) in FrontEndCode::ALL.into_iter().enumerate() {
            assert_eq!(FRONT_END_CODES[i].0, code);
            let result = ResultCode::from(code);
            assert_eq!(ResultCode::from_code(result.as_str()), result);
            assert!(!result.is_success() && !result.is_about_input());
        }
    }

    #[test]
    fn codes_without_evidence_stay_raw() {
        for raw in [
            "66660004", "66660010", "66660016", "66661001", "400102", "400500",
        ] {
            let code = ResultCode::from_code(raw);
            assert_eq!(code, ResultCode::Other(raw.into()));
            assert_eq!(code.description(), None);
            assert_eq!(code.to_string(), raw);
        }
    }

    #[test]
    fn no_record_is_named_for_what_it_means() {
        assert_eq!(
            ResultCode::NoRecord.to_string(),
            "66660011 (the vendor has no record for this order)"
        );
    }

    #[test]
    fn codes_read_from_strings_or_numbers() {
        let code: ResultCode = serde_json::from_str("3004").unwrap();
        assert_eq!(code, ResultCode::FrontEnd(FrontEndCode::NoCameraPermission));
        let code: ResultCode = serde_json::from_str("\"0\"").unwrap();
        assert!(code.is_success());
        assert_eq!(serde_json::to_string(&code).unwrap(), "\"0\"");
    }
}
