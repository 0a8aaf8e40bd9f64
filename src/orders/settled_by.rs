//! [`SettledBy`]: which path settled an order.

use std::fmt;

/// Which path settled an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SettledBy {
    /// Its verified callback.
    Callback,
    /// The [`Reconciler`](crate::settle::Reconciler), from the vendor's
    /// record (or its absence).
    Reconciler,
}

impl SettledBy {
    /// `callback` or `reconciler`.
    ///
    /// ```
    /// use tencent_faceid::settle::SettledBy;
    /// assert_eq!(SettledBy::Reconciler.as_str(), "reconciler");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Callback => "callback",
            Self::Reconciler => "reconciler",
        }
    }
}

impl fmt::Display for SettledBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
