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
///
/// A cause that repeats the one before it (`error returned from database:
/// database "x" does not exist`, then `database "x" does not exist`) is
/// printed once:
///
/// ```
/// # use std::fmt;
/// #[derive(Debug)]
/// struct Inner;
/// impl fmt::Display for Inner {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str("no such database") }
/// }
/// impl std::error::Error for Inner {}
/// #[derive(Debug)]
/// struct Outer(Inner);
/// impl fmt::Display for Outer {
///     fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { write!(f, "database error: {}", self.0) }
/// }
/// impl std::error::Error for Outer {
///     fn source(&self) -> Option<&(dyn std::error::Error + 'static)> { Some(&self.0) }
/// }
/// #[derive(Debug, thiserror::Error)]
/// #[error("the store cannot start")]
/// struct Top(#[source] Outer);
/// let report = format!("{:?}", tencent_faceid::Report::from(Top(Outer(Inner))));
/// assert_eq!(report, "the store cannot start\n\nCaused by:\n    database error: no such database");
/// ```
pub struct Report(Box<dyn StdError + Send + Sync + 'static>);

impl Report {
    /// A report of an error already boxed (`Box<dyn Error + Send + Sync>`,
    /// which `?` cannot convert: a box is not an error itself).
    ///
    /// ```
    /// use tencent_faceid::Report;
    /// fn configure() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    ///     Err("DEMO_ADDR must be an address such as 127.0.0.1:3000".into())
    /// }
    /// let report = configure().map_err(Report::boxed).unwrap_err();
    /// assert_eq!(format!("{report:?}"), "DEMO_ADDR must be an address such as 127.0.0.1:3000");
    /// ```
    pub fn boxed(error: Box<dyn StdError + Send + Sync + 'static>) -> Self {
        Self(error)
    }

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
    /// The message, then `Caused by:` and each cause on a line of its own;
    /// a cause whose text the line before already holds (as libraries
    /// that repeat their source's message make) is not printed again.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut said = self.0.to_string();
        f.write_str(&said)?;
        let mut source = self.0.source();
        let mut heading = "\n\nCaused by:";
        while let Some(cause) = source {
            let text = cause.to_string();
            if !said.contains(&text) {
                write!(f, "{heading}\n    {text}")?;
                heading = "";
                said = text;
            }
            source = cause.source();
        }
        Ok(())
    }
}
