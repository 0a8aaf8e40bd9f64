//! [`CliError`]: what stops a command, each saying what to fix.

use std::error::Error;

use tencent_faceid::facade::FaceIdError;
use tencent_faceid::orders::{PostgresStoreError, StoreError};
use tencent_faceid_mysql::MySqlStoreError;

/// Why a command could not run.
#[derive(Debug)]
pub enum CliError {
    /// The command line is not one the tool knows.
    Usage(String),
    /// A variable the command needs is not set: its name, what it holds.
    Missing(&'static str, &'static str),
    /// A variable holds what the tool cannot use: its name, what it must be.
    Variable(&'static str, &'static str),
    /// A variable of the database holds what `FaceId::from_env` refuses.
    Config(FaceIdError),
    /// The store (PostgreSQL or MySQL) failed, or cannot start.
    Store(Box<dyn Error + Send + Sync>),
    /// The store refused (a legal hold) or failed during a lifecycle call.
    Lifecycle(StoreError),
    /// The output could not be written.
    Output(std::io::Error),
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Usage(what) => write!(f, "{what}; run `faceid help` for the commands"),
            Self::Missing(name, holds) => {
                write!(f, "the environment variable {name} is not set: set it to {holds}")
            }
            Self::Variable(name, must) => write!(f, "the environment variable {name} must be {must}"),
            Self::Config(error) => error.fmt(f),
            Self::Store(error) => error.fmt(f),
            Self::Lifecycle(StoreError::Held) => f.write_str(
                "the user is under a legal hold, so nothing was erased: release the hold first (faceid release USER) if the erasure is lawful",
            ),
            Self::Lifecycle(error) => error.fmt(f),
            Self::Output(_) => f.write_str("the output could not be written"),
        }
    }
}

impl Error for CliError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            Self::Config(error) => error.source(),
            Self::Store(error) => error.source(),
            Self::Lifecycle(error) => error.source(),
            Self::Output(error) => Some(error),
            _ => None,
        }
    }
}

impl From<FaceIdError> for CliError {
    fn from(error: FaceIdError) -> Self {
        Self::Config(error)
    }
}

impl From<PostgresStoreError> for CliError {
    fn from(error: PostgresStoreError) -> Self {
        Self::Store(Box::new(error))
    }
}

impl From<MySqlStoreError> for CliError {
    fn from(error: MySqlStoreError) -> Self {
        Self::Store(Box::new(error))
    }
}

impl From<StoreError> for CliError {
    fn from(error: StoreError) -> Self {
        Self::Lifecycle(error)
    }
}

impl From<std::io::Error> for CliError {
    fn from(error: std::io::Error) -> Self {
        Self::Output(error)
    }
}
