//! [`Vendor`]: who answers a [`FaceId`](super::FaceId)'s vendor calls.

use super::FaceIdError;
use crate::client::FaceIdClient;
use crate::secret::Secret;

/// Who answers the vendor's calls.
pub(super) enum Vendor {
    /// The vendor, with the app's credentials and, when given, another
    /// base URL ([`FaceIdBuilder::base_url`](super::FaceIdBuilder::base_url)).
    Tencent {
        app_id: String,
        secret: Secret,
        base_url: Option<String>,
    },
    /// A client configured by the caller
    /// ([`FaceId::with_client`](super::FaceId::with_client)).
    Client(FaceIdClient),
}

impl Vendor {
    /// This vendor at `base_url`; a configured client keeps its own.
    pub(super) fn base_url(self, base_url: String) -> Self {
        match self {
            Vendor::Tencent { app_id, secret, .. } => Vendor::Tencent {
                app_id,
                secret,
                base_url: Some(base_url),
            },
            Vendor::Client(client) => Vendor::Client(client),
        }
    }

    /// The client that talks to it.
    pub(super) fn client(self) -> Result<FaceIdClient, FaceIdError> {
        match self {
            Vendor::Tencent {
                app_id,
                secret,
                base_url,
            } => {
                let client = FaceIdClient::builder(app_id, secret);
                let client = match base_url {
                    Some(base_url) => client.base_url(base_url),
                    None => client,
                };
                Ok(client.build()?)
            }
            Vendor::Client(client) => Ok(client),
        }
    }
}
