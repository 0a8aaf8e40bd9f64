//! The emulator's vocabulary: how a session ends, what it refuses and
//! what it names the callback's signature.

use tencent_faceid::client::{FrontEndCode, ResultCode};

/// The name of the callback's signature parameter, for
/// [`EmulatorBuilder::signature_param`](super::EmulatorBuilder::signature_param).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum SignatureParam {
    /// `newSignature`, as the H5 page's documentation names it.
    #[default]
    NewSignature,
    /// `newSign`, as the PC-browser H5 page's documentation names it.
    NewSign,
}

impl SignatureParam {
    /// The parameter's name.
    ///
    /// ```
    /// use tencent_faceid_emulator::SignatureParam;
    /// assert_eq!(SignatureParam::NewSign.name(), "newSign");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::NewSignature => "newSignature",
            Self::NewSign => "newSign",
        }
    }
}

/// How a session ends, for [`Emulator::complete`](super::Emulator::complete).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The face was verified: code `0`, with a `liveRate`.
    Pass,
    /// Verification failed with this code; the vendor keeps a record
    /// answering it. [`ResultCode::Success`] counts as a pass, a
    /// [`ResultCode::FrontEnd`] code as [`Outcome::FrontEnd`].
    Fail(ResultCode),
    /// The page could not run (camera, browser, interruption...): the
    /// callback carries this code and the vendor keeps no record.
    FrontEnd(FrontEndCode),
}

impl Outcome {
    /// The code the callback carries.
    ///
    /// ```
    /// use tencent_faceid_emulator::Outcome;
    /// use tencent_faceid::client::FrontEndCode;
    /// assert_eq!(Outcome::FrontEnd(FrontEndCode::NoCameraPermission).code().as_str(), "3004");
    /// ```
    pub fn code(self) -> ResultCode {
        match self {
            Self::Pass => ResultCode::Success,
            Self::Fail(code) => code,
            Self::FrontEnd(front_end) => ResultCode::FrontEnd(front_end),
        }
    }
}

/// Why the emulator refuses a request, and the code it answers. The
/// vendor's code table is not public: where no evidence names a code
/// ([`ResultCode`]'s named variants), the emulator's code is its own
/// choice, so match on these in tests of the emulator only.
///
/// ```
/// use tencent_faceid_emulator::Refusal;
/// use tencent_faceid::client::ResultCode;
/// assert_eq!(Refusal::NoRecord.code(), ResultCode::NoRecord);
/// assert_eq!(Refusal::InvalidSign.code().as_str(), "400104");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// A parameter is missing or malformed: `400103` (the emulator's
    /// choice).
    InvalidRequest,
    /// The app id or secret is wrong: `400102` (the emulator's choice).
    InvalidCredentials,
    /// The access token is unknown or has ended:
    /// [`ResultCode::InvalidAccessToken`].
    InvalidAccessToken,
    /// The `sign` matches no live ticket: `400104` (the emulator's
    /// choice).
    InvalidSign,
    /// The order number was used before: `400105` (the emulator's choice).
    DuplicateOrderNo,
    /// No session has this order number, h5faceId and user id (login
    /// page): `400106` (the emulator's choice).
    UnknownSession,
    /// The login link was opened before (login page): `400107` (the
    /// emulator's choice).
    LoginLinkUsed,
    /// The name or id number is not well formed:
    /// [`ResultCode::InvalidNameOrIdNumber`].
    InvalidNameOrIdNumber,
    /// No record for the order: [`ResultCode::NoRecord`].
    NoRecord,
}

impl Refusal {
    /// The code the emulator answers.
    pub fn code(self) -> ResultCode {
        match self {
            Self::InvalidRequest => ResultCode::from_code("400103"),
            Self::InvalidCredentials => ResultCode::from_code("400102"),
            Self::InvalidAccessToken => ResultCode::InvalidAccessToken,
            Self::InvalidSign => ResultCode::from_code("400104"),
            Self::DuplicateOrderNo => ResultCode::from_code("400105"),
            Self::UnknownSession => ResultCode::from_code("400106"),
            Self::LoginLinkUsed => ResultCode::from_code("400107"),
            Self::InvalidNameOrIdNumber => ResultCode::InvalidNameOrIdNumber,
            Self::NoRecord => ResultCode::NoRecord,
        }
    }
}
