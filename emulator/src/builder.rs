//! [`EmulatorBuilder`]: the emulator's rules and address, and starting it.

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use url::Url;

use super::counts::CountCells;
use super::fault::FaultQueue;
use super::rules::{Settings, Vendor};
use super::wechat::{self, WeChatVendor};
use super::{Emulator, Server, SetupError, Shared, SignatureParam, routes};
use tencent_faceid::Clock;
use tencent_faceid::Secret;
use tencent_faceid::client::FaceIdClient;
use tencent_faceid::wechat::Tc3Client;

/// The app id an emulator accepts unless built with another.
pub(crate) const DEFAULT_APP_ID: &str = "TIDAemu1";
/// The secret an emulator accepts unless built with another.
pub(crate) const DEFAULT_SECRET: &str = "emulator-secret";

/// Configures an [`Emulator`].
///
/// Defaults, the vendor's documented ones: app id `TIDAemu1`, secret
/// `emulator-secret`, App SDK licence `emulator-key-licence`, the system clock, access tokens live 7200 s, SIGN
/// tickets 3600 s, NONCE tickets 120 s, a replaced token or SIGN ticket
/// keeps working 60 s, callbacks carry `newSignature`, and the login page's
/// domain is `localhost:<port>`; it listens on `127.0.0.1` on a port the
/// system picks; a release build refuses to start it.
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    app_id: String,
    secret: Secret,
    access_token_ttl: Duration,
    sign_ticket_ttl: Duration,
    nonce_ticket_ttl: Duration,
    overlap: Duration,
    clock: Clock,
    signature_param: SignatureParam,
    optimal_domain: Option<String>,
    key_licence: Secret,
    bind: SocketAddr,
    tc3_secret_id: String,
    tc3_secret_key: Secret,
    rule_id: String,
    #[cfg(feature = "wechat-encryption")]
    field_encryption: bool,
    in_release: bool,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            app_id: DEFAULT_APP_ID.to_owned(),
            secret: Secret::new(DEFAULT_SECRET),
            access_token_ttl: Duration::from_secs(7200),
            sign_ticket_ttl: Duration::from_secs(3600),
            nonce_ticket_ttl: Duration::from_secs(120),
            overlap: Duration::from_secs(60),
            clock: Clock::system(),
            signature_param: SignatureParam::default(),
            optimal_domain: None,
            key_licence: Secret::new("emulator-key-licence"),
            bind: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            tc3_secret_id: "AKIDemulatorSecretId000000000000000".to_owned(),
            tc3_secret_key: Secret::new("emulator-tc3-secret-key"),
            rule_id: "1".to_owned(),
            #[cfg(feature = "wechat-encryption")]
            field_encryption: false,
            in_release: false,
        }
    }
}

impl EmulatorBuilder {
    /// The app id (WBappid) to accept.
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = app_id.into();
        self
    }

    /// The App SDK licence (`keyLicence`) its SDK accepts; default
    /// `emulator-key-licence`.
    pub fn key_licence(mut self, licence: impl Into<Secret>) -> Self {
        self.key_licence = licence.into();
        self
    }

    /// The API 3.0 key (SecretId, SecretKey) to accept (the WeChat
    /// channel); default `AKIDemulatorSecretId000000000000000` and
    /// `emulator-tc3-secret-key`.
    pub fn tc3_key(mut self, secret_id: impl Into<String>, secret_key: impl Into<Secret>) -> Self {
        self.tc3_secret_id = secret_id.into();
        self.tc3_secret_key = secret_key.into();
        self
    }

    /// The RuleId `DetectAuth` and `GetDetectInfoEnhanced` accept; default `1`.
    pub fn rule_id(mut self, rule_id: impl Into<String>) -> Self {
        self.rule_id = rule_id.into();
        self
    }

    /// Holds the published test key pair ([`TEST_PUBLIC_KEY_PEM`](super::TEST_PUBLIC_KEY_PEM))
    /// and serves the API 3.0 `Encryption` option with it (AES-256-CBC):
    /// `DetectAuth`'s encrypted fields are decrypted, `GetDetectInfoEnhanced`
    /// answers encrypted ones when asked, and [`Emulator::tc3_client`]
    /// encrypts. Default off: the option is refused with
    /// `FailedOperation.DecryptSystemError`.
    #[cfg(feature = "wechat-encryption")]
    pub fn field_encryption(mut self) -> Self {
        self.field_encryption = true;
        self
    }

    /// The secret to accept.
    pub fn secret(mut self, secret: impl Into<Secret>) -> Self {
        self.secret = secret.into();
        self
    }

    /// The clock every lifetime is measured on (default the system's):
    /// pass a [`ManualClock`](tencent_faceid::ManualClock) to move time with [`Emulator::advance`].
    pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
        self.clock = clock.into();
        self
    }

    /// How long access tokens live (default 7200 s); `Duration::ZERO`
    /// issues tokens that are already expired. `expire_in` is reported in
    /// whole seconds.
    pub fn access_token_ttl(mut self, ttl: Duration) -> Self {
        self.access_token_ttl = ttl;
        self
    }

    /// How long SIGN tickets live (default 3600 s); `Duration::ZERO`
    /// issues expired ones.
    pub fn sign_ticket_ttl(mut self, ttl: Duration) -> Self {
        self.sign_ticket_ttl = ttl;
        self
    }

    /// How long NONCE tickets live (default 120 s); `Duration::ZERO`
    /// issues expired ones.
    pub fn nonce_ticket_ttl(mut self, ttl: Duration) -> Self {
        self.nonce_ticket_ttl = ttl;
        self
    }

    /// How long an access token keeps working once a newer one is issued,
    /// and a SIGN ticket once a newer one is (default 60 s, the vendor's
    /// "one minute of coexistence"); `Duration::ZERO` ends them at once.
    pub fn overlap(mut self, overlap: Duration) -> Self {
        self.overlap = overlap;
        self
    }

    /// The name of the callback's signature parameter (default
    /// [`SignatureParam::NewSignature`]).
    pub fn signature_param(mut self, param: SignatureParam) -> Self {
        self.signature_param = param;
        self
    }

    /// The host (and port) geth5faceid answers as `optimalDomain`, where
    /// the login page is; default `localhost:<port>`. The emulator serves
    /// the page on its own port only, so another domain must reach it.
    pub fn optimal_domain(mut self, domain: impl Into<String>) -> Self {
        self.optimal_domain = Some(domain.into());
        self
    }

    /// Where to listen; default `127.0.0.1:0` (loopback, a port the system
    /// picks). Port 0 picks a free port; `0.0.0.0` or `[::]` listens on
    /// every interface, for a browser on another machine or in a container
    /// (then give [`EmulatorBuilder::optimal_domain`] a name that browser
    /// reaches). [`Emulator::base_url`] is the bound address, or loopback
    /// for an unspecified one; the login page's domain defaults to
    /// `localhost:<port>` on a loopback or unspecified address, to the
    /// bound address otherwise.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::net::SocketAddr;
    /// use tencent_faceid_emulator::Emulator;
    /// let emulator = Emulator::builder()
    ///     .bind(SocketAddr::from(([0, 0, 0, 0], 0)))
    ///     .optimal_domain("kyc.test:8443")
    ///     .start()
    ///     .await?;
    /// assert_eq!(emulator.base_url().host_str(), Some("127.0.0.1"));
    /// assert!(emulator.client().access_token().await.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn bind(mut self, address: SocketAddr) -> Self {
        self.bind = address;
        self
    }

    /// Lets a release build (no `debug_assertions`) start this emulator:
    /// refused there by default, because it verifies anyone who presses
    /// "pass". For what really is not production, such as benchmarks
    /// (built in release) or a staging cluster's shared emulator.
    pub fn allow_in_release(mut self, allow: bool) -> Self {
        self.in_release = allow;
        self
    }

    /// Binds the address of [`EmulatorBuilder::bind`] and starts serving,
    /// as a task of the current Tokio runtime: it serves until
    /// [`Emulator::shutdown`] or until that runtime stops.
    ///
    /// # Errors
    /// When the address cannot be bound (the error names it), the app id
    /// or secret is empty ([`io::ErrorKind::InvalidInput`]), or in a
    /// release build without [`allow_in_release`](Self::allow_in_release)
    /// ([`io::ErrorKind::PermissionDenied`], its source
    /// [`SetupError::InRelease`]).
    pub async fn start(self) -> io::Result<Emulator> {
        SetupError::check_release(self.in_release)
            .map_err(|error| io::Error::new(io::ErrorKind::PermissionDenied, error))?;
        let listener = tokio::net::TcpListener::bind(self.bind)
            .await
            .map_err(|error| {
                io::Error::new(
                    error.kind(),
                    format!("the emulator cannot listen on {}: {error}", self.bind),
                )
            })?;
        let bound = listener.local_addr()?;
        let address = reachable(bound);
        let base_url = Url::parse(&format!("http://{address}/")).map_err(io::Error::other)?;
        let client = FaceIdClient::builder(self.app_id.clone(), self.secret.clone())
            .base_url(base_url.as_str())
            .clock(self.clock.clone())
            .build()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        #[cfg_attr(not(feature = "wechat-encryption"), allow(unused_mut))]
        let mut tc3_client = Tc3Client::builder(
            self.tc3_secret_id.clone(),
            self.tc3_secret_key.clone(),
            self.rule_id.clone(),
        )
        .base_url(base_url.as_str())
        .clock(self.clock.clone());
        #[cfg(feature = "wechat-encryption")]
        let keys = match self.field_encryption {
            true => {
                let public_key = tencent_faceid::wechat::FieldEncryption::aes_256_cbc(
                    super::TEST_PUBLIC_KEY_PEM,
                )
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                tc3_client = tc3_client.field_encryption(public_key);
                Some(wechat::encryption::Keys::test_pair()?)
            }
            false => None,
        };
        let tc3_client = tc3_client
            .build()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let wechat = WeChatVendor::new(
            wechat::Settings {
                secret_id: self.tc3_secret_id,
                secret_key: self.tc3_secret_key,
                rule_id: self.rule_id,
                #[cfg(feature = "wechat-encryption")]
                keys,
            },
            self.clock.clone(),
            base_url.clone(),
        );
        let settings = Settings {
            app_id: self.app_id,
            secret: self.secret,
            access_token_ttl: self.access_token_ttl,
            sign_ticket_ttl: self.sign_ticket_ttl,
            nonce_ticket_ttl: self.nonce_ticket_ttl,
            overlap: self.overlap,
            signature_param: self.signature_param,
            key_licence: self.key_licence,
            optimal_domain: self.optimal_domain.unwrap_or_else(|| {
                if address.ip().is_loopback() {
                    format!("localhost:{}", address.port())
                } else {
                    address.to_string()
                }
            }),
            clock: self.clock,
        };
        let (stop, mut signal) = watch::channel(false);
        let shared = Arc::new(Shared {
            vendor: Vendor::new(settings, base_url.clone()),
            wechat,
            faults: FaultQueue::default(),
            counts: CountCells::default(),
            stop,
        });
        let app =
            routes::router(Arc::clone(&shared)).merge(wechat::routes::router(Arc::clone(&shared)));
        let task = tokio::spawn(async move {
            let stopping = async move {
                // The sender lives in the router's state: `wait_for` ends
                // when [`Emulator::shutdown`] sets it.
                let _ = signal.wait_for(|stopped| *stopped).await;
            };
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(stopping)
                .await
            {
                tracing::warn!(%error, "the emulator's server stopped with an error");
            }
        });
        tracing::info!(%base_url, %bound, "emulator started");
        let server = Arc::new(Server {
            task: Mutex::new(Some(task)),
        });
        Ok(Emulator {
            shared,
            client,
            tc3_client: Arc::new(tc3_client),
            server,
        })
    }
}

/// Where a client reaches a server bound to `bound`: the address itself,
/// or loopback (of the same family) for an unspecified one.
fn reachable(bound: SocketAddr) -> SocketAddr {
    let ip = match bound.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bound.port())
}
