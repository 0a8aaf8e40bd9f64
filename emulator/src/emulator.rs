//! [`Emulator`]: a running emulator, the handle a test holds.

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tencent_faceid::Clock;
use tencent_faceid::Secret;
use tencent_faceid::client::FaceIdClient;
use tencent_faceid::wechat::Tc3Client;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use url::Url;

use crate::counts::CountCells;
use crate::fault::FaultQueue;
use crate::rules::Vendor;
use crate::wechat::WeChatVendor;
use crate::{Counts, EmulatorBuilder, EmulatorError, Fault, WeChatIdentity, WeChatOutcome, lock};

/// A running emulator. Clones are handles to the same server, which runs
/// as a task of the Tokio runtime it was started on until
/// [`Emulator::shutdown`] or until that runtime stops: dropping the handles
/// does not stop it, so `Emulator::start().await?.client()` is a client of
/// a running emulator, and an emulator wired into a
/// [`FaceId`](tencent_faceid::FaceId) by [`FromEnvOrEmulator`](crate::FromEnvOrEmulator) serves for
/// the life of the process' runtime:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tencent_faceid_emulator::Emulator;
/// let client = Emulator::start().await?.client();
/// assert!(client.access_token().await.is_ok());
/// # Ok(()) }
/// ```
///
/// Start it inside a Tokio runtime with the I/O and time drivers enabled
/// (`#[tokio::test]`, `#[tokio::main]` and `#[actix_web::main]` enable
/// both). A release build refuses to start one unless
/// [`EmulatorBuilder::allow_in_release`] says otherwise: it verifies
/// anyone who presses "pass".
#[derive(Clone)]
pub struct Emulator {
    pub(crate) shared: Arc<Shared>,
    pub(crate) server: Arc<Server>,
    pub(crate) client: FaceIdClient,
    /// Boxed: an emulator handle stays small (it is held in enums such as
    /// [`VendorChoice`]).
    pub(crate) tc3_client: Arc<Tc3Client>,
}

/// What the request handlers share with the handles.
pub(crate) struct Shared {
    pub(crate) vendor: Vendor,
    pub(crate) wechat: WeChatVendor,
    pub(crate) faults: FaultQueue,
    pub(crate) counts: CountCells,
    /// Set by [`Emulator::shutdown`]; held by the server task too, so the
    /// server lives when every handle is gone.
    pub(crate) stop: watch::Sender<bool>,
}

/// The server task, awaited by [`Emulator::shutdown`].
pub(crate) struct Server {
    pub(crate) task: Mutex<Option<JoinHandle<()>>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url().as_str())
            .field("app_id", &self.app_id())
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator with the defaults of [`EmulatorBuilder`].
    ///
    /// # Errors
    /// When the loopback port cannot be bound.
    pub async fn start() -> io::Result<Emulator> {
        Self::builder().start().await
    }

    /// Configures an emulator.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use std::time::Duration;
    /// use tencent_faceid::ManualClock;
    /// use tencent_faceid_emulator::{Emulator, SignatureParam};
    /// let emulator = Emulator::builder()
    ///     .app_id("TIDAtest")
    ///     .clock(ManualClock::new())
    ///     .signature_param(SignatureParam::NewSign) // as the PC-browser page
    ///     .start()
    ///     .await?;
    /// assert_eq!(emulator.app_id(), "TIDAtest");
    /// # Ok(()) }
    /// ```
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The emulator's base URL, `http://127.0.0.1:<port>/` by default: the
    /// address it is bound to (see [`EmulatorBuilder::bind`]), loopback
    /// when bound to an unspecified address such as `0.0.0.0`.
    pub fn base_url(&self) -> &Url {
        self.client.base_url()
    }

    /// The app id (WBappid) it accepts.
    pub fn app_id(&self) -> &str {
        self.shared.vendor.app_id()
    }

    /// The secret it accepts (a test value, hence plain).
    pub fn secret(&self) -> &str {
        self.shared.vendor.secret().expose()
    }

    /// The App SDK licence (`keyLicence`) its SDK accepts (a test value,
    /// hence plain): configure your session starter with it.
    pub fn key_licence(&self) -> &str {
        self.shared.vendor.key_licence().expose()
    }

    /// A [`FaceIdClient`] with this emulator's base URL, app id, secret
    /// and clock, so ticket providers built on it share the emulator's
    /// time.
    pub fn client(&self) -> FaceIdClient {
        self.client.clone()
    }

    /// A [`Tc3Client`] for this emulator's API 3.0 actions (the WeChat
    /// channel): its base URL, SecretId, SecretKey, RuleId and clock, and
    /// the test public key when `EmulatorBuilder::field_encryption`
    /// asked for encryption.
    pub fn tc3_client(&self) -> Tc3Client {
        Tc3Client::clone(&self.tc3_client)
    }

    /// The API 3.0 SecretId it accepts.
    pub fn tc3_secret_id(&self) -> &str {
        &self.shared.wechat.settings().secret_id
    }

    /// The API 3.0 SecretKey it accepts (a test value, hence plain).
    pub fn tc3_secret_key(&self) -> &str {
        self.shared.wechat.settings().secret_key.expose()
    }

    /// The RuleId it accepts.
    pub fn rule_id(&self) -> &str {
        &self.shared.wechat.settings().rule_id
    }

    /// The name and id number `DetectAuth` gave for `biz_token`, as this
    /// emulator read them (decrypted, when they came encrypted); `None`
    /// for a BizToken it did not issue (or forgot).
    pub fn wechat_identity(&self, biz_token: &str) -> Option<WeChatIdentity> {
        self.shared.wechat.identity(biz_token)
    }

    /// The user finishes an attempt on the WeChat page of `biz_token`
    /// (from `DetectAuth`): recorded for `GetDetectInfoEnhanced`, and the
    /// URL the page sends the browser to is answered: the RedirectUrl with
    /// `BizToken=<token>` (and `Extra=` when set), no signature. A failed
    /// attempt may be followed by another; a user who abandons never calls
    /// this.
    ///
    /// # Errors
    /// [`EmulatorError::UnknownBizToken`], or
    /// [`EmulatorError::BizTokenFinal`] once the token passed or its
    /// 7,200 s are over.
    pub fn complete_wechat(
        &self,
        biz_token: &str,
        outcome: WeChatOutcome,
    ) -> Result<Url, EmulatorError> {
        self.shared.wechat.finish(biz_token, outcome)
    }

    /// The mini program's SDK (`verify_mpsdk`) runs `startVerify` with
    /// `biz_token`: the attempt is recorded as
    /// [`Emulator::complete_wechat`] records it, and the BizToken the SDK's
    /// callback hands the mini program is answered (the mini program then
    /// posts it to the partner's server).
    ///
    /// # Errors
    /// As [`Emulator::complete_wechat`].
    pub fn run_mini_program(
        &self,
        biz_token: &str,
        outcome: WeChatOutcome,
    ) -> Result<String, EmulatorError> {
        self.shared.wechat.finish(biz_token, outcome)?;
        Ok(biz_token.to_owned())
    }

    /// The host (and port) of the H5 login page, which geth5faceid answers
    /// as `optimalDomain`: `localhost:<port>` unless
    /// [`EmulatorBuilder::optimal_domain`] set another (or
    /// [`EmulatorBuilder::bind`] bound a non-loopback address).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use tencent_faceid_emulator::Emulator;
    /// let emulator = Emulator::start().await?;
    /// let port = emulator.base_url().port().unwrap();
    /// assert_eq!(emulator.optimal_domain(), format!("localhost:{port}"));
    ///
    /// let named = Emulator::builder().optimal_domain("kyc.test:8443").start().await?;
    /// assert_eq!(named.optimal_domain(), "kyc.test:8443");
    /// # Ok(()) }
    /// ```
    pub fn optimal_domain(&self) -> &str {
        self.shared.vendor.optimal_domain()
    }

    /// The emulator's clock.
    pub fn clock(&self) -> Clock {
        self.shared.vendor.clock().clone()
    }

    /// Moves the emulator's manual clock (and so its client's) forward.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use tencent_faceid::ManualClock;
    /// use tencent_faceid_emulator::{Emulator, EmulatorError};
    /// let emulator = Emulator::builder().clock(ManualClock::new()).start().await?;
    /// let before = emulator.clock().now();
    /// emulator.advance(Duration::from_secs(7200))?;
    /// assert_eq!(emulator.clock().now(), before + Duration::from_secs(7200));
    ///
    /// let on_system_time = Emulator::start().await?;
    /// assert_eq!(on_system_time.advance(Duration::from_secs(1)), Err(EmulatorError::SystemClock));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`EmulatorError::SystemClock`] when the emulator runs on the
    /// system's clock, which cannot be moved.
    pub fn advance(&self, by: Duration) -> Result<(), EmulatorError> {
        let clock = self.shared.vendor.clock();
        clock
            .manual()
            .ok_or(EmulatorError::SystemClock)?
            .advance(by);
        Ok(())
    }

    /// The SIGN ticket callbacks are signed with now: the newest one alive;
    /// `None` when none is (never fetched, or ended).
    pub fn current_sign_ticket(&self) -> Option<Secret> {
        self.shared.vendor.current_sign_ticket()
    }

    /// Another server of the app refreshes, as the vendor recommends: it
    /// fetches a new access token and a new SIGN ticket with it. Callbacks
    /// are signed with that ticket from now on; the previous token and
    /// SIGN tickets (and the tickets of that token) end one minute later.
    pub fn rotate_sign_ticket(&self) {
        self.shared.vendor.refresh_elsewhere();
        tracing::debug!("emulator rotated the access token and SIGN ticket");
    }

    /// Queues a fault. Faults apply in the order injected: each request to
    /// an endpoint takes the first queued fault for that endpoint, which
    /// lasts for its [`times`](Fault::times) requests.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use tencent_faceid::client::{ClientError, Endpoint};
    /// use tencent_faceid_emulator::{Emulator, Fault};
    /// use tencent_faceid::client::ResultCode;
    /// let emulator = Emulator::start().await?;
    /// emulator.inject(Fault::vendor_error(Endpoint::AccessToken, ResultCode::from_code("400500")));
    /// let error = emulator.client().access_token().await.unwrap_err();
    /// assert_eq!(error.vendor_code(), Some(&ResultCode::from_code("400500")));
    /// assert!(emulator.client().access_token().await.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn inject(&self, fault: Fault) {
        self.shared.faults.push(fault);
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.shared.faults.clear();
    }

    /// How many requests each endpoint received so far, faulted ones
    /// included.
    pub fn counts(&self) -> Counts {
        self.shared.counts.snapshot()
    }

    /// Waits until the request counts satisfy `done`: the way for a test to
    /// know that a request has reached the emulator (it is counted before
    /// any fault, so a held request is counted while it is held), without
    /// sleeping. Waits for ever if it never happens: bound it with
    /// `tokio::time::timeout` in tests.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid_emulator::Emulator;
    /// let emulator = Emulator::start().await?;
    /// let client = emulator.client();
    /// let fetch = tokio::spawn(async move { client.access_token().await });
    /// emulator.wait_for_counts(|counts| counts.access_token == 1).await;
    /// assert!(fetch.await?.is_ok());
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_counts(&self, done: impl Fn(&Counts) -> bool) {
        let mut changed = self.shared.counts.changed.subscribe();
        while !done(&self.counts()) {
            if changed.changed().await.is_err() {
                return;
            }
        }
    }

    /// Stops the server (for every handle and client) and waits until it
    /// has stopped; requests still held or delayed by a fault are answered
    /// HTTP 503.
    pub async fn shutdown(self) {
        self.shared.stop.send_replace(true);
        let task = lock(&self.server.task).take();
        if let Some(task) = task
            && let Err(error) = task.await
        {
            tracing::warn!(%error, "the emulator's server task failed");
        }
    }
}
