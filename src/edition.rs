//! [`Edition`]: the vendor's editions, and the signing recipe of each.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

use crate::sign::{Signature, sign};
use crate::wire::VERSION;

/// One of the vendor's editions of face verification, and what differs
/// between them: which call uploads the identity, what its signature
/// covers, and how the user is sent to the face check.
///
/// | edition | upload | signed with the SIGN ticket | then |
/// |---|---|---|---|
/// | [`Edition::Basic`] | `geth5faceid` | app id, order, name, id number, user, version | the H5 page, `h5faceId` |
/// | [`Edition::Enhanced`] | `getAdvFaceId` | app id, user, version, nonce | the H5 page, `faceId` |
/// | [`Edition::AppSdk`] | `getfaceid` | app id, user, version, nonce | the native SDK ([`crate::sdk`]) |
/// | [`Edition::WeChat`] | `DetectAuth` (API 3.0, [`crate::wechat`]) | nothing: TC3-HMAC-SHA256 | the WeChat H5 page, or the mini program ([the WeChat edition](crate::wechat)) |
///
/// The first three share the rest: the access token, the SIGN and NONCE
/// tickets, order numbers, `queryfacerecord`, and the result's signature
/// (app id, order number and code with the SIGN ticket). The H5 login link
/// (either H5 edition) and the SDK's `openApiSign` are signed with a fresh
/// NONCE ticket for the user.
///
/// The signing recipes ([`geth5faceid_sign`], [`face_id_sign`],
/// [`login_sign`], [`launch_sign`], [`result_sign`]) are for anyone who
/// signs by hand; the [session starter](crate::session::SessionStarter)
/// uses them.
///
/// ```
/// use tencent_faceid::session::{face_id_sign, Edition};
/// let ticket = "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS";
/// let sign = face_id_sign("IDAXXXXX", "userID19959248596551", "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T", ticket);
/// assert_eq!(sign.to_string(), "D7606F1741DDCF90757DA924EDCF152A200AC7F0");
/// assert_eq!("enhanced".parse::<Edition>()?, Edition::Enhanced);
/// # Ok::<(), tencent_faceid::session::ParseEditionError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Edition {
    /// The basic H5 page (`geth5faceid`), for mobile and PC browsers.
    #[default]
    Basic,
    /// The enhanced H5 page (`getAdvFaceId`).
    Enhanced,
    /// The native App SDK (`getfaceid`), launched by the partner's app.
    AppSdk,
    /// WeChat H5 and mini programs, through Tencent Cloud API 3.0
    /// (`DetectAuth`, then `GetDetectInfoEnhanced`): see [the WeChat edition](crate::wechat).
    WeChat,
}

impl Edition {
    /// Every edition.
    pub const ALL: [Edition; 4] = [Self::Basic, Self::Enhanced, Self::AppSdk, Self::WeChat];

    /// The edition's name: `basic`, `enhanced`, `sdk` or `wechat` (what
    /// [`FromStr`] reads).
    ///
    /// ```
    /// use tencent_faceid::session::Edition;
    /// assert_eq!(Edition::AppSdk.as_str(), "sdk");
    /// assert_eq!(Edition::default(), Edition::Basic);
    /// ```
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "basic",
            Self::Enhanced => "enhanced",
            Self::AppSdk => "sdk",
            Self::WeChat => "wechat",
        }
    }

    /// Whether the user is sent to the vendor's SaaS H5 page (basic and
    /// enhanced), rather than to the native SDK or to WeChat.
    ///
    /// ```
    /// use tencent_faceid::session::Edition;
    /// assert!(Edition::Enhanced.is_h5() && !Edition::AppSdk.is_h5());
    /// assert!(!Edition::WeChat.is_h5());
    /// ```
    pub const fn is_h5(self) -> bool {
        matches!(self, Self::Basic | Self::Enhanced)
    }

    /// The names of the H5 login link's app id and face id parameters:
    /// `webankAppId` and `h5faceId` (basic), `appId` and `faceId`
    /// (enhanced; the App SDK has no login link).
    pub(crate) const fn login_params(self) -> (&'static str, &'static str) {
        match self {
            Self::Basic => ("webankAppId", "h5faceId"),
            Self::Enhanced | Self::AppSdk | Self::WeChat => ("appId", "faceId"),
        }
    }
}

impl fmt::Display for Edition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A string that names no edition.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown edition: use basic, enhanced, sdk or wechat")]
pub struct ParseEditionError;

impl FromStr for Edition {
    type Err = ParseEditionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|edition| edition.as_str() == s)
            .ok_or(ParseEditionError)
    }
}

impl Serialize for Edition {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Edition {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The basic edition's `geth5faceid` signature: app id, order number, name
/// and id number (when given), user id and version, with the SIGN ticket.
///
/// ```
/// use tencent_faceid::session::geth5faceid_sign;
/// let ticket = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe";
/// let sign = geth5faceid_sign("appId001", "orderNo19959248596551", Some("testName"),
///     Some("4300000000000"), "userID19959248596551", ticket);
/// assert_eq!(sign.to_string(), "EE57F7C1EDDE7B6BB0DFB54CD902836B8EB0575B");
/// ```
pub fn geth5faceid_sign(
    app_id: &str,
    order_no: &str,
    name: Option<&str>,
    id_no: Option<&str>,
    user_id: &str,
    sign_ticket: &str,
) -> Signature {
    let mut values = vec![app_id, order_no, user_id, VERSION];
    values.extend(name);
    values.extend(id_no);
    sign(&values, sign_ticket)
}

/// The signature over app id, user id, version and `nonce`: the enhanced
/// (`getAdvFaceId`) and App SDK (`getfaceid`) uploads with the SIGN
/// ticket, and the SDK's `openApiSign` with a NONCE ticket for the user
/// ([`launch_sign`]).
pub fn face_id_sign(app_id: &str, user_id: &str, nonce: &str, ticket: &str) -> Signature {
    sign(&[app_id, user_id, VERSION, nonce], ticket)
}

/// The App SDK's `openApiSign`: [`face_id_sign`] with a fresh NONCE ticket
/// fetched for `user_id` (never the SIGN ticket).
///
/// ```
/// use tencent_faceid::session::launch_sign;
/// let nonce_ticket = "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS";
/// let sign = launch_sign("IDAXXXXX", "userID19959248596551", "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T", nonce_ticket);
/// assert_eq!(sign.to_string(), "D7606F1741DDCF90757DA924EDCF152A200AC7F0");
/// ```
pub fn launch_sign(app_id: &str, user_id: &str, nonce: &str, nonce_ticket: &str) -> Signature {
    face_id_sign(app_id, user_id, nonce, nonce_ticket)
}

/// The H5 login link's signature, either H5 edition: app id, order
/// number, user id, version, the session's face id (`h5faceId` or
/// `faceId`) and `nonce`, with a fresh NONCE ticket for the user.
///
/// ```
/// use tencent_faceid::session::login_sign;
/// let nonce_ticket = "zxc9Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS";
/// let sign = login_sign("appId001", "aabc1457895464", "userID19959248596551",
///     "bwiwe1457895464", "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T", nonce_ticket);
/// assert_eq!(sign.to_string(), "4E9DFABF938BF37BDB7A7DC25CCA1233D12D986B");
/// ```
pub fn login_sign(
    app_id: &str,
    order_no: &str,
    user_id: &str,
    face_id: &str,
    nonce: &str,
    nonce_ticket: &str,
) -> Signature {
    sign(
        &[app_id, order_no, user_id, VERSION, face_id, nonce],
        nonce_ticket,
    )
}

/// The result's signature, every edition alike (the H5 callback's
/// `newSignature`, the SDK's `sign`): app id, order number and code, with
/// the SIGN ticket.
///
/// ```
/// use tencent_faceid::session::result_sign;
/// let ticket = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe";
/// let sign = result_sign("appId001", "test1480921551481", "0", ticket);
/// assert_eq!(sign.to_string(), "526365E042766AE27A6E52D2E4829D4C6E156B5D");
/// ```
pub fn result_sign(app_id: &str, order_no: &str, code: &str, sign_ticket: &str) -> Signature {
    sign(&[app_id, order_no, code], sign_ticket)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TICKET: &str = "XO99Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS";
    const NONCE: &str = "kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T";
    const USER: &str = "userID19959248596551";

    #[test]
    fn enhanced_and_sdk_upload_vector() {
        let sign = face_id_sign("IDAXXXXX", USER, NONCE, TICKET);
        assert_eq!(sign.to_string(), "D7606F1741DDCF90757DA924EDCF152A200AC7F0");
    }

    #[test]
    fn sdk_launch_vector() {
        let sign = launch_sign("IDAXXXXX", USER, NONCE, TICKET);
        assert_eq!(sign.to_string(), "D7606F1741DDCF90757DA924EDCF152A200AC7F0");
    }

    #[test]
    fn h5_login_vector_basic_and_enhanced() {
        let nonce_ticket = "zxc9Qfxlti9iTVgHAjwvJdAZKN3nMuUhrsPdPlPVKlcyS50N6tlLnfuFBPIucaMS";
        let sign = login_sign(
            "appId001",
            "aabc1457895464",
            USER,
            "bwiwe1457895464",
            NONCE,
            nonce_ticket,
        );
        assert_eq!(sign.to_string(), "4E9DFABF938BF37BDB7A7DC25CCA1233D12D986B");
    }

    #[test]
    fn sdk_or_h5_result_vector() {
        let ticket = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe";
        let sign = result_sign("appId001", "test1480921551481", "0", ticket);
        assert_eq!(sign.to_string(), "526365E042766AE27A6E52D2E4829D4C6E156B5D");
    }

    #[test]
    fn geth5faceid_vector() {
        let ticket = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe";
        let sign = geth5faceid_sign(
            "appId001",
            "orderNo19959248596551",
            Some("testName"),
            Some("4300000000000"),
            USER,
            ticket,
        );
        assert_eq!(sign.to_string(), "EE57F7C1EDDE7B6BB0DFB54CD902836B8EB0575B");
    }

    #[test]
    fn names_round_trip() {
        for edition in Edition::ALL {
            assert_eq!(edition.as_str().parse::<Edition>(), Ok(edition));
            let json = serde_json::to_string(&edition).unwrap();
            assert_eq!(serde_json::from_str::<Edition>(&json).unwrap(), edition);
        }
        assert_eq!("Basic".parse::<Edition>(), Err(ParseEditionError));
    }
}
