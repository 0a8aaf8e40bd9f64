//! [`FaceIdClientBuilder`]: the client's settings and their defaults.

use std::time::Duration;

use url::Url;

use super::FaceIdClient;
use super::error::ClientError;
use crate::clock::Clock;
use crate::contact::ContactLog;
use crate::secret::Secret;

/// The vendor's base URL.
pub const DEFAULT_BASE_URL: &str = "https://miniprogram-kyc.tencentcloudapi.com";

/// The default of [`FaceIdClientBuilder::max_body_bytes`]: 16 MiB, room
/// for a record with its photo and a short video in base64.
pub const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// Configures a [`FaceIdClient`].
///
/// ```
/// use std::time::Duration;
/// use tencent_faceid::client::FaceIdClient;
/// let client = FaceIdClient::builder("appId001", "secret")
///     .base_url("http://127.0.0.1:8080")
///     .timeout(Duration::from_secs(5))
///     .build()?;
/// assert_eq!(client.app_id(), "appId001");
/// # Ok::<(), tencent_faceid::client::ClientError>(())
/// ```
#[derive(Debug)]
pub struct FaceIdClientBuilder {
    app_id: String,
    secret: Secret,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    http: Option<reqwest::Client>,
    clock: Clock,
    max_body_bytes: usize,
}

impl FaceIdClientBuilder {
    /// The defaults, for `app_id` and `secret`: see [`FaceIdClient::builder`].
    pub(super) fn new(app_id: String, secret: Secret) -> Self {
        Self {
            app_id,
            secret,
            base_url: DEFAULT_BASE_URL.to_owned(),
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            http: None,
            clock: Clock::system(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// The vendor (or emulator) base URL; default [`DEFAULT_BASE_URL`].
    /// A path in it (a gateway prefix) is kept: endpoint paths go below it.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Whole-request timeout; default 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connect timeout; default 3 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Uses this `reqwest::Client` (its own timeouts then apply) instead
    /// of building one.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The clock that stamps the expiry of fetched tokens and tickets, and
    /// that the ticket providers built on this client read; default the
    /// system's. Tests share a [`ManualClock`](crate::clock::ManualClock)
    /// with the emulator to jump hours without sleeping.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The largest answer body read, in bytes; default
    /// [`DEFAULT_MAX_BODY_BYTES`]. A larger one is
    /// [`ClientError::TooLarge`], found from `Content-Length` before
    /// reading, or while reading when the length is not announced.
    ///
    /// ```
    /// use tencent_faceid::client::FaceIdClient;
    /// // Records with long videos: allow 64 MiB.
    /// let client = FaceIdClient::builder("appId001", "secret")
    ///     .max_body_bytes(64 * 1024 * 1024)
    ///     .build()?;
    /// # Ok::<(), tencent_faceid::client::ClientError>(())
    /// ```
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`ClientError::Config`] when the app id or secret is empty or the
    /// base URL is not an absolute http(s) URL.
    pub fn build(self) -> Result<FaceIdClient, ClientError> {
        if self.app_id.is_empty() {
            return Err(ClientError::Config("the app id (WBappid) is empty".into()));
        }
        if self.secret.is_empty() {
            return Err(ClientError::Config("the secret is empty".into()));
        }
        let base_url = Url::parse(&self.base_url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
            .ok_or_else(|| {
                ClientError::Config(format!(
                    "the base URL {:?} is not an absolute http(s) URL such as {DEFAULT_BASE_URL}",
                    self.base_url
                ))
            })?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(self.timeout)
                .connect_timeout(self.connect_timeout)
                .build()
                .map_err(|e| {
                    ClientError::Config(format!("the HTTP client failed to build: {e}"))
                })?,
        };
        Ok(FaceIdClient {
            http,
            base_url,
            app_id: self.app_id,
            secret: self.secret,
            contact: ContactLog::new(self.clock.clone()),
            clock: self.clock,
            max_body_bytes: self.max_body_bytes,
        })
    }
}
