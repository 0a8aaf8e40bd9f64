//! [`SettledState`]: how an order ended.

use std::fmt;

use crate::result_code::ResultCode;

/// How an order ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettledState {
    /// The face verification passed.
    Passed,
    /// It failed, with the vendor's code (including the H5 page's
    /// front-end codes, e.g. the user cancelled).
    Failed(ResultCode),
    /// The vendor has no record of it by the order's deadline: the user
    /// left before finishing.
    Abandoned,
}

impl SettledState {
    /// `passed`, `failed` or `abandoned`.
    ///
    /// ```
    /// use tencent_faceid::settle::SettledState;
    /// assert_eq!(SettledState::Abandoned.as_str(), "abandoned");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed(_) => "failed",
            Self::Abandoned => "abandoned",
        }
    }

    /// The vendor's code of a failed verification; `None` when it passed
    /// or was abandoned.
    ///
    /// ```
    /// use tencent_faceid::settle::SettledState;
    /// use tencent_faceid::client::ResultCode;
    /// let failed = SettledState::Failed(ResultCode::from_code("3001"));
    /// assert_eq!(failed.code().map(ResultCode::as_str), Some("3001"));
    /// assert_eq!(SettledState::Passed.code(), None);
    /// ```
    pub fn code(&self) -> Option<&ResultCode> {
        match self {
            Self::Failed(code) => Some(code),
            _ => None,
        }
    }

    /// The state a result code means: passed for `0`, else failed.
    pub(crate) fn of(code: &ResultCode) -> Self {
        if code.is_success() {
            Self::Passed
        } else {
            Self::Failed(code.clone())
        }
    }
}

impl fmt::Display for SettledState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed(code) => write!(f, "failed ({})", code.as_str()),
            other => f.write_str(other.as_str()),
        }
    }
}
