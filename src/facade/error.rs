//! [`FaceIdError`]: configuration a [`FaceId`](super::FaceId) cannot be
//! built with, each variant saying what to fix.

use crate::callback::CallbackConfigError;
use crate::client::ClientError;
use crate::ids::IdentifierError;

/// Configuration that cannot work; the message says what to fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FaceIdError {
    /// A required environment variable is not set (or empty).
    #[error("the environment variable {name} is not set: {hint}")]
    MissingVariable {
        /// The variable.
        name: &'static str,
        /// What to set it to.
        hint: &'static str,
    },
    /// An environment variable has a value this crate cannot use (the
    /// value itself is not repeated).
    #[error("the environment variable {name} must be {expected}")]
    InvalidVariable {
        /// The variable.
        name: &'static str,
        /// What it may be.
        expected: &'static str,
    },
    /// The configuration needs a crate feature that is not enabled.
    #[error("{what} needs the tencent-faceid feature `{feature}`: enable it in Cargo.toml")]
    FeatureMissing {
        /// What asked for it.
        what: &'static str,
        /// The feature.
        feature: &'static str,
    },
    /// The callback URL is not an absolute http(s) URL.
    #[error(
        "the callback URL (FACEID_CALLBACK_URL / FaceIdBuilder::callback_url) must be an absolute http or https URL, such as https://shop.example/face/callback"
    )]
    CallbackUrl,
    /// No callback URL is configured, and
    /// [`FaceIdBuilder::callback_url_per_request`](super::FaceIdBuilder::callback_url_per_request)
    /// does not say that every start brings its own.
    #[error(
        "no callback URL is configured: set FACEID_CALLBACK_URL (FaceIdBuilder::callback_url) to your callback route's absolute URL, or call FaceIdBuilder::callback_url_per_request if every start brings its own"
    )]
    NoCallbackUrl,
    /// An `http://` callback URL to a host other than loopback, in a
    /// release build.
    #[error(
        "the callback URL is http:// to a host other than loopback, which a release build refuses (the callback and its binding cookie would travel in clear): use your https:// URL, or set FACEID_HTTP_CALLBACK_IN_RELEASE=1 (FaceIdBuilder::allow_http_callback_url) if this build really is not production"
    )]
    HttpCallbackUrl,
    /// The vendor client's settings (app id, secret, base URL).
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The WeChat edition's API 3.0 client could not be configured (the
    /// `FACEID_TC3_*` variables).
    #[error(transparent)]
    WeChat(#[from] crate::tc3::Tc3Error),
    /// The callback verifier's settings.
    #[error(transparent)]
    Callback(#[from] CallbackConfigError),
    /// The order number prefix.
    #[error("the order number prefix is invalid; use at most 12 letters or digits")]
    OrderPrefix(#[from] IdentifierError),
    /// [`WarmUp::Strict`](super::WarmUp::Strict): the access token and SIGN ticket could not be
    /// fetched at boot.
    #[error(
        "the access token and SIGN ticket could not be fetched at boot (strict warm-up): check FACEID_APP_ID, FACEID_SECRET and that the vendor is reachable, or warm up with WarmUp::BestEffort to start anyway"
    )]
    WarmUp(#[source] crate::tickets::TicketError),
    /// The vendor refused the app id or secret when the access token was
    /// fetched at boot (with [`WarmUp::BestEffort`](super::WarmUp::BestEffort)
    /// too: no user could be served).
    #[error(
        "the vendor refused the app id or secret at boot: check FACEID_APP_ID and FACEID_SECRET against the FaceID console"
    )]
    CredentialsRefused(#[source] crate::tickets::TicketError),
    /// Redis could not be reached.
    #[cfg(feature = "redis")]
    #[error(
        "Redis (FACEID_REDIS_URL / FaceIdBuilder::redis) could not be reached; check the URL and that Redis is running"
    )]
    Redis(#[from] crate::redis::RedisBackendError),
    /// The Redis topology (`FACEID_REDIS_MODE` and its companions) cannot
    /// work.
    #[cfg(feature = "redis")]
    #[error(transparent)]
    RedisTopology(#[from] crate::redis::RedisTopologyError),
    /// Redis lacks a capability the store or tickets need (its version,
    /// Lua scripts).
    #[cfg(feature = "redis")]
    #[error(transparent)]
    RedisCapability(crate::redis::RedisCapabilityError),
    /// `FACEID_DATABASE_URL` names a database no connector was given for.
    #[error(
        "FACEID_DATABASE_URL is a {scheme}:// URL, which tencent-faceid opens through a connector of another crate: for MySQL or MariaDB add the crate tencent-faceid-mysql and call FaceIdBuilder::database_connector(tencent_faceid_mysql::MySqlConnector)"
    )]
    NoDatabaseConnector {
        /// The URL's scheme.
        scheme: String,
    },
    /// The order store a [`DatabaseConnector`](super::DatabaseConnector)
    /// opens cannot be used (its message says what to fix).
    #[error(transparent)]
    Database(Box<dyn std::error::Error + Send + Sync>),
    /// The PostgreSQL order store cannot be used (unreachable, or its
    /// schema missing or older than this crate).
    #[cfg(feature = "postgres")]
    #[error(transparent)]
    Postgres(#[from] crate::orders::PostgresStoreError),
}

#[cfg(feature = "redis")]
impl From<crate::redis::RedisCapabilityError> for FaceIdError {
    fn from(error: crate::redis::RedisCapabilityError) -> Self {
        match error {
            crate::redis::RedisCapabilityError::Backend(error) => Self::Redis(error),
            missing => Self::RedisCapability(missing),
        }
    }
}
