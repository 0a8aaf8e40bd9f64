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
    /// No BizToken of this emulator is `biz_token`
    /// ([`Emulator::complete_wechat`](super::Emulator::complete_wechat)).
    #[error(
        "no BizToken {biz_token:?} was issued by this emulator: start one with DetectAuth on its tc3_client"
    )]
    UnknownBizToken {
        /// The BizToken asked for.
        biz_token: String,
    },
    /// The BizToken is final: it passed already, or its 7,200 s of
    /// verification are over.
    #[error(
        "BizToken {biz_token:?} is final (passed, or issued more than 7,200 s ago): start a new one to verify again"
    )]
    BizTokenFinal {
        /// The BizToken asked for.
        biz_token: String,
    },
    /// The emulator runs on the system's clock, which cannot be moved.
    #[error(
        "the emulator runs on the system clock, which cannot be advanced: build it with EmulatorBuilder::clock(ManualClock::new())"
    )]
    SystemClock,
}
