//! [`Endpoint`]: the vendor's calls, their paths and names.

use std::fmt;

/// The vendor endpoint a [`ClientError`](super::ClientError) came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `GET /api/oauth2/access_token`.
    AccessToken,
    /// `GET /api/oauth2/api_ticket` (SIGN or NONCE).
    ApiTicket,
    /// `POST /api/server/h5/geth5faceid`.
    StartSession,
    /// `POST /api/v2/base/queryfacerecord`.
    QueryRecord,
    /// `POST /api/server/getAdvFaceId`: the enhanced H5 edition's start.
    StartEnhanced,
    /// `POST /api/server/getfaceid`: the App SDK edition's start.
    StartSdk,
}

impl Endpoint {
    /// The endpoint's path below the base URL.
    ///
    /// ```
    /// use tencent_faceid::client::Endpoint;
    /// assert_eq!(Endpoint::StartSession.path(), "/api/server/h5/geth5faceid");
    /// ```
    pub const fn path(self) -> &'static str {
        match self {
            Self::AccessToken => "/api/oauth2/access_token",
            Self::ApiTicket => "/api/oauth2/api_ticket",
            Self::StartSession => "/api/server/h5/geth5faceid",
            Self::QueryRecord => "/api/v2/base/queryfacerecord",
            Self::StartEnhanced => "/api/server/getAdvFaceId",
            Self::StartSdk => "/api/server/getfaceid",
        }
    }

    /// The endpoint's short name, as the vendor's documents call it and as
    /// metrics label it.
    ///
    /// ```
    /// use tencent_faceid::client::Endpoint;
    /// assert_eq!(Endpoint::StartSession.name(), "geth5faceid");
    /// ```
    pub const fn name(self) -> &'static str {
        match self {
            Self::AccessToken => "access_token",
            Self::ApiTicket => "api_ticket",
            Self::StartSession => "geth5faceid",
            Self::QueryRecord => "queryfacerecord",
            Self::StartEnhanced => "getAdvFaceId",
            Self::StartSdk => "getfaceid",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.path())
    }
}
