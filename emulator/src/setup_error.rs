//! [`SetupError`]: why an emulator could not be chosen, started or wired.

use std::io;

use tencent_faceid::facade::FaceIdError;

/// Why [`Configured`](crate::Configured) (and so
/// [`FromEnvOrEmulator`](crate::FromEnvOrEmulator)) could not give a
/// `FaceId`, or a release build refused an emulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SetupError {
    /// An emulator was asked for in a release build.
    #[error(
        "the FaceID emulator verifies anyone who presses \"pass\" and is refused in release builds; configure the vendor (FACEID_APP_ID, FACEID_SECRET), or set FACEID_EMULATOR_IN_RELEASE=1 (EmulatorBuilder::allow_in_release) if this build really is not production"
    )]
    InRelease,
    /// Both a vendor app id and the embedded emulator are configured.
    #[error(
        "both FACEID_APP_ID and FACEID_EMULATOR=1 are set: unset FACEID_EMULATOR to talk to the vendor, or FACEID_APP_ID to use the emulator"
    )]
    VendorAndEmulator,
    /// Both the embedded emulator and a shared one are configured.
    #[error(
        "both FACEID_EMULATOR=1 and FACEID_EMULATOR_URL are set: keep one (the embedded emulator, or the shared one at FACEID_EMULATOR_URL)"
    )]
    TwoEmulators,
    /// An emulator variable has a value this crate cannot use (the value
    /// itself is not repeated).
    #[error(
        "the environment variable {name} must be 1 (or true) to turn it on, 0 (or false) or unset to leave it off"
    )]
    InvalidFlag {
        /// The variable.
        name: &'static str,
    },
    /// The embedded emulator could not start.
    #[error("the FaceID emulator could not start; check that it may listen on a loopback port")]
    Start(#[source] io::Error),
    /// The rest of the configuration, or the `FaceId`'s build.
    #[error(transparent)]
    FaceId(#[from] FaceIdError),
}

impl SetupError {
    /// [`SetupError::InRelease`] in a release build unless `allowed`.
    pub(crate) fn check_release(allowed: bool) -> Result<(), SetupError> {
        if cfg!(debug_assertions) || allowed {
            Ok(())
        } else {
            Err(SetupError::InRelease)
        }
    }
}
