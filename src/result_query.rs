//! The result query (`queryfacerecord`, the vendor's "result query
//! (evidence)"): what to ask for, and the vendor's result with its photo
//! and video decoded.

use std::fmt;

use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::OrderNo;
use crate::json::lenient_optional_string;
use crate::result_code::ResultCode;
use crate::sign::Signature;

/// Which files a result query asks for (`getFile`); default none.
///
/// ```
/// use tencent_faceid::client::Files;
/// assert_eq!(Files::default(), Files::None);
/// assert_eq!(Files::PhotoAndVideo.get_file(), Some("1"));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Files {
    /// No file (`getFile` absent).
    #[default]
    None,
    /// The photo (`getFile=2`).
    Photo,
    /// The video (`getFile=3`).
    Video,
    /// The photo and the video (`getFile=1`).
    PhotoAndVideo,
}

impl Files {
    /// The `getFile` value the vendor documents, `None` for no file.
    pub fn get_file(self) -> Option<&'static str> {
        match self {
            Self::None => None,
            Self::PhotoAndVideo => Some("1"),
            Self::Photo => Some("2"),
            Self::Video => Some("3"),
        }
    }

    /// Reads a `getFile` value as the vendor does: `1`, `2`, `3`, anything
    /// else (or nothing) is no file.
    ///
    /// ```
    /// use tencent_faceid::client::Files;
    /// assert_eq!(Files::from_get_file(Some("3")), Files::Video);
    /// assert_eq!(Files::from_get_file(Some("4")), Files::None);
    /// ```
    pub fn from_get_file(value: Option<&str>) -> Self {
        match value {
            Some("1") => Self::PhotoAndVideo,
            Some("2") => Self::Photo,
            Some("3") => Self::Video,
            _ => Self::None,
        }
    }

    /// Whether the photo is asked for.
    ///
    /// ```
    /// use tencent_faceid::client::Files;
    /// assert!(Files::PhotoAndVideo.photo() && Files::Photo.photo());
    /// assert!(!Files::Video.photo() && !Files::None.photo());
    /// ```
    pub fn photo(self) -> bool {
        matches!(self, Self::Photo | Self::PhotoAndVideo)
    }

    /// Whether the video is asked for.
    ///
    /// ```
    /// use tencent_faceid::client::Files;
    /// assert!(Files::PhotoAndVideo.video() && Files::Video.video());
    /// assert!(!Files::Photo.video());
    /// ```
    pub fn video(self) -> bool {
        matches!(self, Self::Video | Self::PhotoAndVideo)
    }
}

/// What a result query asks for besides the result: files, and the SDK
/// version. The default asks for neither.
///
/// ```
/// use tencent_faceid::client::{Files, QueryOptions};
/// let options = QueryOptions::default().files(Files::Photo).sdk_version(true);
/// assert_eq!(options.get_files(), Files::Photo);
/// assert!(options.asks_sdk_version());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct QueryOptions {
    files: Files,
    sdk_version: bool,
}

impl QueryOptions {
    /// Which files to ask for.
    pub fn files(mut self, files: Files) -> Self {
        self.files = files;
        self
    }

    /// Whether to ask for the SDK version and TRTC flag (`queryVersion`
    /// `1.0`).
    pub fn sdk_version(mut self, ask: bool) -> Self {
        self.sdk_version = ask;
        self
    }

    /// The files asked for.
    pub fn get_files(&self) -> Files {
        self.files
    }

    /// Whether the SDK version is asked for.
    pub fn asks_sdk_version(&self) -> bool {
        self.sdk_version
    }
}

/// The `queryVersion` that adds the SDK version and TRTC flag.
pub const QUERY_VERSION: &str = "1.0";

/// Body of `POST /api/v2/base/queryfacerecord`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct QueryRecordRequest {
    /// The app id.
    pub app_id: String,
    /// [`VERSION`](crate::wire::VERSION).
    pub version: String,
    /// 32 random letters and digits.
    pub nonce: String,
    /// The order number.
    pub order_no: OrderNo,
    /// Signature of app id, order number, version, nonce with the SIGN ticket.
    pub sign: Signature,
    /// `"1"` photo and video, `"2"` photo, `"3"` video (see [`Files`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub get_file: Option<String>,
    /// [`QUERY_VERSION`] asks for the SDK version and TRTC flag.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_version: Option<String>,
}

/// A photo or video from the vendor's result, decoded: personal data, so
/// `Debug` shows only its size. On the wire it is base64.
///
/// ```
/// use tencent_faceid::client::Evidence;
/// let photo = Evidence::new(vec![0xFF, 0xD8, 0xFF]);
/// assert_eq!(format!("{photo:?}"), "Evidence([redacted, 3 bytes])");
/// assert_eq!(photo.expose(), &[0xFF, 0xD8, 0xFF]);
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Evidence(Vec<u8>);

impl Evidence {
    /// Wraps decoded bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Self(bytes.into())
    }

    /// The bytes: store them where they belong, never in a log.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The bytes, owned.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// The size in bytes.
    ///
    /// ```
    /// let video = tencent_faceid::client::Evidence::new(b"....ftypmp42".to_vec());
    /// assert_eq!(video.len(), 12);
    /// assert!(!video.is_empty());
    /// assert_eq!(video.into_bytes()[4..8], *b"ftyp");
    /// ```
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Evidence([redacted, {} bytes])", self.0.len())
    }
}

impl Serialize for Evidence {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Evidence {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        // The message never quotes the value: it is personal data.
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map(Self)
            .map_err(|_| serde::de::Error::custom("a photo or video that is not base64"))
    }
}

/// The vendor's result of one verification (queryfacerecord's `result`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct FaceResult {
    /// The order number.
    pub order_no: String,
    /// Liveness score, 0..=100.
    #[serde(
        default,
        deserialize_with = "lenient_optional_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub live_rate: Option<String>,
    /// Similarity to the comparison photo, 0..=100.
    #[serde(
        default,
        deserialize_with = "lenient_optional_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub similarity: Option<String>,
    /// When the verification happened (`yyyyMMddHHmmss`, Beijing time).
    #[serde(default)]
    pub occurred_time: Option<String>,
    /// The app id.
    #[serde(default)]
    pub app_id: Option<String>,
    /// The JPEG photo from the session, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photo: Option<Evidence>,
    /// The MP4 video from the session, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<Evidence>,
    /// The vendor's sequence number.
    #[serde(default)]
    pub biz_seq_no: Option<String>,
    /// The H5 SDK's version, when asked for with `queryVersion`.
    #[serde(
        default,
        deserialize_with = "lenient_optional_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub sdk_version: Option<String>,
    /// The TRTC flag, when asked for with `queryVersion`.
    #[serde(
        default,
        deserialize_with = "lenient_optional_string",
        skip_serializing_if = "Option::is_none"
    )]
    pub trtc_flag: Option<String>,
}

/// What [`crate::client::FaceIdClient::query_record`] answers: the
/// verification's code (`0`: verified, the same person) and the vendor's
/// result, which a failed verification has too.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct VerificationResult {
    /// The verification's result code.
    pub code: ResultCode,
    /// The vendor's message for it.
    pub msg: String,
    /// The result, with the evidence asked for.
    pub result: FaceResult,
}

impl VerificationResult {
    /// Whether the verification passed (`code` is `0`).
    pub fn passed(&self) -> bool {
        self.code.is_success()
    }
}
