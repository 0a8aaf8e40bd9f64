//! [`Report`]: an error for `main` that prints what to fix.

use std::error::Error as StdError;
use std::fmt;

/// Any error, shown by its message and causes. It is not an error itself,
/// so that `?` can make one from any error.
///
/// `fn main() -> Result<(), E>` prints a returned error with `Debug`,
/// which for an enum is its variant (`MissingVariable { name: .. }`), not
/// its message. Return `Result<(), Report>` instead: `?` turns any error
/// into a `Report`, whose `Debug` is the error's message followed by its
/// causes, each once.
///
/// ```
/// use tencent_faceid::facade::FaceIdBuilder;
/// use tencent_faceid::Report;
/// let error = FaceIdBuilder::from_vars(|_| None).unwrap_err();
/// let report = format!("{:?}", Report::from(error));
/// assert!(report.starts_with("the environment variable FACEID_APP_ID is not set"));
/// ```
pub struct Report(Box<dyn StdError + Send + Sync + 'static>);

impl Report {
    /// The error reported.
    pub fn error(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.0
    }
}

impl<E: StdError + Send + Sync + 'static> From<E> for Report {
    fn from(error: E) -> Self {
        Self(Box::new(error))
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Report {
    /// The message, then `Caused by:` and each cause on a line of its own.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        if source.is_some() {
            f.write_str("\n\nCaused by:")?;
        }
        while let Some(cause) = source {
            write!(f, "\n    {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
