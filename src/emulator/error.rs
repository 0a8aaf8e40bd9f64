//! [`EmulatorError`]: what the emulator's handle refuses to do.

use super::outcome::Refusal;

/// Why [`Emulator::complete`](super::Emulator::complete),
/// [`Emulator::complete_login`](super::Emulator::complete_login) or
/// [`Emulator::advance`](super::Emulator::advance) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// No session has this h5faceId.
    #[error(
        "no session has h5faceId {h5face_id:?}: start one with geth5faceid and use the h5faceId it answers"
    )]
    UnknownSession {
        /// The h5faceId asked for.
        h5face_id: String,
    },
    /// The session already has a result: the vendor records one per
    /// session.
    #[error("session {h5face_id:?} already has a result: start a new session to verify again")]
    AlreadyCompleted {
        /// The h5faceId asked for.
        h5face_id: String,
    },
    /// [`Emulator::complete_login`](super::Emulator::complete_login) was
    /// given another URL than this emulator's login page. Only the scheme,
    /// host, port and path of the URL are reported.
    #[error(
        "{found} is not this emulator's login page ({expected}?...): pass the Location your app redirected the browser to after starting a session on this emulator's client"
    )]
    NotLoginPage {
        /// What was given, without its query.
        found: String,
        /// Where the login page is.
        expected: String,
    },
    /// The login page refused the link, as the vendor's would.
    #[error("the login page refused the link: {reason} ({refusal:?})")]
    LoginRefused {
        /// What the page refused.
        refusal: Refusal,
        /// The page's explanation.
        reason: String,
    },
    /// The SDK refused its launch parameters ([`Emulator::run_sdk`](super::Emulator::run_sdk)).
    #[error("the SDK refused the launch parameters: {reason} ({refusal:?})")]
    SdkRefused {
        /// Why, as the vendor would refuse it.
        refusal: Refusal,
        /// The emulator's explanation.
        reason: String,
    },
    /// The emulator runs on the system's clock, which cannot be moved.
    #[error(
        "the emulator runs on the system clock, which cannot be advanced: build it with EmulatorBuilder::clock(ManualClock::new())"
    )]
    SystemClock,
}
