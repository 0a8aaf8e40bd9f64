//! A local stand-in for the vendor (feature `emulator`): the KYC service's
//! endpoints and the H5 page, on an ephemeral loopback port, for demos and
//! tests — yours included.
//!
//! It behaves like the vendor where it matters: access tokens and tickets
//! expire (on the real clock), a new access token invalidates the previous
//! one, NONCE tickets are single use and bound to a user, every `sign` is
//! recomputed with [`crate::sign::sign`] and checked, order numbers are
//! validated and unique, and the H5 page's pass / fail buttons send the
//! browser back to your callback with a `newSignature` made with the
//! current SIGN ticket. Vendor-level refusals are HTTP 200 with an error
//! code, as the vendor answers them.
//!
//! For tests it adds what the vendor cannot: [`Fault`]s (HTTP errors,
//! vendor codes, delays, requests held until you release them, arbitrary
//! bodies), forced SIGN ticket rotation, request [`Counts`], short or zero
//! lifetimes, and [`Emulator::complete`] to finish a session without a
//! browser.
//!
//! # Example: a test against the emulator
//! ```
//! use tencent_faceid::emulator::{Emulator, Fault, Outcome};
//! use tencent_faceid::client::{ClientError, Endpoint};
//! use tencent_faceid::model::{OrderNo, UserId, StartRequest, VERSION};
//! use tencent_faceid::sign::sign;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let emulator = Emulator::start().await?;
//! let client = emulator.client();
//!
//! // Tokens and tickets, as from the vendor.
//! let token = client.access_token().await?;
//! let ticket = client.sign_ticket(&token.value).await?;
//!
//! // Start a session with a signed request.
//! let order_no = OrderNo::new("order1")?;
//! let user_id = UserId::new("user1")?;
//! let (name, id_no) = ("Zhang San", "110101199001011234");
//! let values = [client.app_id(), order_no.as_str(), name, id_no, user_id.as_str(), VERSION];
//! let session = client
//!     .start_session(&StartRequest {
//!         webank_app_id: client.app_id().to_owned(),
//!         order_no: order_no.clone(),
//!         name: Some(name.into()),
//!         id_no: Some(id_no.into()),
//!         user_id: user_id.clone(),
//!         source_photo_str: None,
//!         source_photo_type: None,
//!         version: VERSION.to_owned(),
//!         sign: sign(&values, ticket.value()),
//!     })
//!     .await?;
//!
//! // The user passes; the browser would go to this callback URL.
//! let callback = emulator.complete(&session.h5face_id, Outcome::Pass)?;
//! assert!(callback.query().unwrap().contains("code=0"));
//!
//! // The evidence.
//! let record = client.query_record(&order_no, ticket.value(), true).await?;
//! assert!(record.photo.is_some());
//!
//! // Faults: the next access-token request answers HTTP 503.
//! emulator.inject(Fault::HttpStatus { endpoint: Endpoint::AccessToken, status: 503, times: 1 });
//! assert!(matches!(client.access_token().await, Err(ClientError::Status { status: 503, .. })));
//! assert_eq!(emulator.counts().access_token, 2);
//!
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Endpoints
//! | path | what |
//! |---|---|
//! | `GET /api/oauth2/access_token` | access token (`appId`, `secret`, `grant_type=client_credential`, `version`) |
//! | `GET /api/oauth2/api_ticket` | a new SIGN ticket (`type=SIGN`) or a single-use NONCE ticket (`type=NONCE&user_id=`) |
//! | `POST /api/server/h5/geth5faceid` | start a session; `optimalDomain` is the emulator's `host:port` |
//! | `GET /api/web/login` | the H5 page; refusals are HTML pages with status 400, 403 or 404 |
//! | `POST /api/web/complete` | the H5 page's buttons: `302` to the callback URL |
//! | `POST /api/v2/base/queryfacerecord` | the record of a finished session |

mod routes;
mod vendor;

use std::collections::VecDeque;
use std::fmt;
use std::io;
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use url::Url;

use crate::client::{Endpoint, FaceIdClient};
use crate::model::ResultCode;
use crate::secret::Secret;
use vendor::{Settings, Vendor};

/// A running emulator. Clones are handles to the same server; it stops when
/// the last handle is dropped, or at [`Emulator::shutdown`].
///
/// Start it inside a Tokio runtime with the I/O and time drivers enabled
/// (`#[tokio::test]` and `#[tokio::main]` enable both); the server runs as a
/// task of that runtime.
#[derive(Clone)]
pub struct Emulator {
    shared: Arc<Shared>,
    server: Arc<Server>,
    client: FaceIdClient,
}

/// What the request handlers share with the handles.
struct Shared {
    vendor: Vendor,
    faults: Mutex<VecDeque<Fault>>,
    counts: CountCells,
    stop: watch::Receiver<bool>,
}

/// The server task; dropping the last handle stops it.
struct Server {
    stop: watch::Sender<bool>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves the data consistent, so a panic in one
    // does not make it unusable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
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
    /// use tencent_faceid::emulator::Emulator;
    /// let emulator = Emulator::builder()
    ///     .app_id("TIDAtest")
    ///     .sign_ticket_ttl(Duration::ZERO) // every SIGN ticket is born expired
    ///     .start()
    ///     .await?;
    /// assert_eq!(emulator.app_id(), "TIDAtest");
    /// # Ok(()) }
    /// ```
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// The emulator's base URL, `http://127.0.0.1:<port>/`.
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

    /// A [`FaceIdClient`] with this emulator's base URL, app id and secret.
    pub fn client(&self) -> FaceIdClient {
        self.client.clone()
    }

    /// The newest SIGN ticket, the one callbacks are signed with (even if
    /// it has expired); `None` before the first was issued.
    pub fn current_sign_ticket(&self) -> Option<Secret> {
        self.shared.vendor.current_sign_ticket()
    }

    /// Issues a new SIGN ticket now, as when another server refreshes it:
    /// callbacks are signed with it from now on. Earlier tickets stay
    /// valid until they expire.
    pub fn rotate_sign_ticket(&self) {
        self.shared.vendor.rotate_sign_ticket();
        tracing::debug!("emulator rotated the SIGN ticket");
    }

    /// Queues a fault. Faults apply in the order injected: each request to
    /// an endpoint takes the first queued fault for that endpoint, which
    /// lasts for its `times` requests.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use tencent_faceid::client::{ClientError, Endpoint};
    /// use tencent_faceid::emulator::{Emulator, Fault};
    /// use tencent_faceid::model::ResultCode;
    /// let emulator = Emulator::start().await?;
    /// emulator.inject(Fault::VendorError {
    ///     endpoint: Endpoint::AccessToken,
    ///     code: ResultCode::InternalError,
    ///     times: 1,
    /// });
    /// let error = emulator.client().access_token().await.unwrap_err();
    /// assert_eq!(error.vendor_code(), Some(&ResultCode::InternalError));
    /// assert!(emulator.client().access_token().await.is_ok());
    /// # Ok(()) }
    /// ```
    pub fn inject(&self, fault: Fault) {
        if fault.times() > 0 {
            lock(&self.shared.faults).push_back(fault);
        }
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
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
    /// use tencent_faceid::emulator::Emulator;
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

    /// What the H5 page's buttons do, without a browser: records the
    /// session's result and answers the callback URL the browser would be
    /// redirected to, with `code`, `orderNo`, `h5faceId`, `newSignature`
    /// (signed with the current SIGN ticket) and, on a pass, `liveRate`.
    ///
    /// The callback URL is the `url` the login page was opened with; if it
    /// was never opened, the placeholder `<base_url>callback` (not served).
    ///
    /// # Errors
    /// [`EmulatorError::UnknownSession`] for an h5faceId no session has,
    /// [`EmulatorError::AlreadyCompleted`] when the session already has a
    /// result.
    pub fn complete(&self, h5face_id: &str, outcome: Outcome) -> Result<Url, EmulatorError> {
        let code = match outcome {
            Outcome::Pass => ResultCode::Success,
            Outcome::Fail(code) => code,
        };
        self.shared.vendor.complete(h5face_id, code)
    }

    /// Stops the server (for every handle) and waits until it has stopped;
    /// requests still held or delayed by a fault are answered HTTP 503.
    pub async fn shutdown(self) {
        self.server.stop.send_replace(true);
        let task = lock(&self.server.task).take();
        if let Some(task) = task {
            if let Err(error) = task.await {
                tracing::warn!(%error, "the emulator's server task failed");
            }
        }
    }
}

/// Configures an [`Emulator`].
///
/// Defaults: app id `TIDAemu1`, secret `emulator-secret`, access tokens
/// live 20 minutes, SIGN tickets 60 minutes, NONCE tickets 120 seconds, and
/// a new access token invalidates the previous one.
#[derive(Debug, Clone)]
pub struct EmulatorBuilder {
    app_id: String,
    secret: Secret,
    access_token_ttl: Duration,
    sign_ticket_ttl: Duration,
    nonce_ticket_ttl: Duration,
    invalidate_previous_token: bool,
}

impl Default for EmulatorBuilder {
    fn default() -> Self {
        Self {
            app_id: "TIDAemu1".to_owned(),
            secret: Secret::new("emulator-secret"),
            access_token_ttl: Duration::from_secs(20 * 60),
            sign_ticket_ttl: Duration::from_secs(60 * 60),
            nonce_ticket_ttl: Duration::from_secs(120),
            invalidate_previous_token: true,
        }
    }
}

impl EmulatorBuilder {
    /// The app id (WBappid) to accept.
    pub fn app_id(mut self, app_id: impl Into<String>) -> Self {
        self.app_id = app_id.into();
        self
    }

    /// The secret to accept.
    pub fn secret(mut self, secret: impl Into<Secret>) -> Self {
        self.secret = secret.into();
        self
    }

    /// How long access tokens live; `Duration::ZERO` issues tokens that
    /// are already expired. `expire_in` is reported in whole seconds.
    pub fn access_token_ttl(mut self, ttl: Duration) -> Self {
        self.access_token_ttl = ttl;
        self
    }

    /// How long SIGN tickets live; `Duration::ZERO` issues expired ones.
    pub fn sign_ticket_ttl(mut self, ttl: Duration) -> Self {
        self.sign_ticket_ttl = ttl;
        self
    }

    /// How long NONCE tickets live; `Duration::ZERO` issues expired ones.
    pub fn nonce_ticket_ttl(mut self, ttl: Duration) -> Self {
        self.nonce_ticket_ttl = ttl;
        self
    }

    /// Whether issuing an access token invalidates the ones issued before
    /// (default `true`, as the vendor warns).
    pub fn invalidate_previous_token(mut self, invalidate: bool) -> Self {
        self.invalidate_previous_token = invalidate;
        self
    }

    /// Binds `127.0.0.1:0` and starts serving.
    ///
    /// # Errors
    /// When the port cannot be bound, or the app id or secret is empty
    /// ([`io::ErrorKind::InvalidInput`]).
    pub async fn start(self) -> io::Result<Emulator> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let base_url =
            Url::parse(&format!("http://{}/", listener.local_addr()?)).map_err(io::Error::other)?;
        let client = FaceIdClient::builder(self.app_id.clone(), self.secret.clone())
            .base_url(base_url.as_str())
            .build()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let settings = Settings {
            app_id: self.app_id,
            secret: self.secret,
            access_token_ttl: self.access_token_ttl,
            sign_ticket_ttl: self.sign_ticket_ttl,
            nonce_ticket_ttl: self.nonce_ticket_ttl,
            invalidate_previous_token: self.invalidate_previous_token,
        };
        let (stop, stopped) = watch::channel(false);
        let shared = Arc::new(Shared {
            vendor: Vendor::new(settings, base_url.clone()),
            faults: Mutex::default(),
            counts: CountCells::default(),
            stop: stopped.clone(),
        });
        let app = routes::router(Arc::clone(&shared));
        let mut signal = stopped;
        let task = tokio::spawn(async move {
            let stopping = async move {
                // An error means every handle is gone: stop as well.
                let _ = signal.wait_for(|stopped| *stopped).await;
            };
            if let Err(error) = axum::serve(listener, app)
                .with_graceful_shutdown(stopping)
                .await
            {
                tracing::warn!(%error, "the emulator's server stopped with an error");
            }
        });
        tracing::info!(%base_url, "emulator started");
        Ok(Emulator {
            shared,
            server: Arc::new(Server {
                stop,
                task: Mutex::new(Some(task)),
            }),
            client,
        })
    }
}

/// How a session ends, for [`Emulator::complete`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The face was verified: code `0`, with a `liveRate`.
    Pass,
    /// Verification failed with this code (for example
    /// [`ResultCode::FaceMismatch`]); [`ResultCode::Success`] counts as a
    /// pass.
    Fail(ResultCode),
}

/// Requests received per endpoint, faulted ones included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// `GET /api/oauth2/access_token`.
    pub access_token: usize,
    /// `GET /api/oauth2/api_ticket` with any type but `NONCE`.
    pub sign_ticket: usize,
    /// `GET /api/oauth2/api_ticket?type=NONCE`.
    pub nonce_ticket: usize,
    /// `POST /api/server/h5/geth5faceid`.
    pub start_session: usize,
    /// `GET /api/web/login`.
    pub login_page: usize,
    /// `POST /api/v2/base/queryfacerecord`.
    pub query_record: usize,
}

#[derive(Default)]
struct Counter(AtomicUsize);

impl Counter {
    fn increment(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

struct CountCells {
    access_token: Counter,
    sign_ticket: Counter,
    nonce_ticket: Counter,
    start_session: Counter,
    login_page: Counter,
    query_record: Counter,
    /// Bumped after every count, for [`Emulator::wait_for_counts`].
    changed: watch::Sender<()>,
}

impl Default for CountCells {
    fn default() -> Self {
        Self {
            access_token: Counter::default(),
            sign_ticket: Counter::default(),
            nonce_ticket: Counter::default(),
            start_session: Counter::default(),
            login_page: Counter::default(),
            query_record: Counter::default(),
            changed: watch::channel(()).0,
        }
    }
}

impl CountCells {
    /// Counts one request on the counter `pick` chooses and wakes waiters.
    fn add(&self, pick: impl Fn(&Self) -> &Counter) {
        pick(self).increment();
        self.changed.send_replace(());
    }

    fn snapshot(&self) -> Counts {
        Counts {
            access_token: self.access_token.get(),
            sign_ticket: self.sign_ticket.get(),
            nonce_ticket: self.nonce_ticket.get(),
            start_session: self.start_session.get(),
            login_page: self.login_page.get(),
            query_record: self.query_record.get(),
        }
    }
}

/// A fault for the next `times` requests to `endpoint` (see
/// [`Emulator::inject`]). `Endpoint::ApiTicket` covers SIGN and NONCE
/// tickets alike.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this HTTP status with an empty body (500 if `status` is not
    /// a valid status code).
    HttpStatus {
        /// The endpoint to fault.
        endpoint: Endpoint,
        /// The status to answer.
        status: u16,
        /// How many requests.
        times: usize,
    },
    /// Answer HTTP 200 with this vendor error code.
    VendorError {
        /// The endpoint to fault.
        endpoint: Endpoint,
        /// The code to answer.
        code: ResultCode,
        /// How many requests.
        times: usize,
    },
    /// Wait this long, then answer normally.
    Delay {
        /// The endpoint to fault.
        endpoint: Endpoint,
        /// How long to wait.
        delay: Duration,
        /// How many requests.
        times: usize,
    },
    /// Hold requests to `endpoint` until `release` is notified, then answer
    /// normally. Each held request waits for one notification:
    /// `release.notify_one()` releases one (or, sent before the request
    /// arrives, lets it through), `release.notify_waiters()` releases all
    /// those already waiting. The request is counted before it is held.
    Hold {
        /// The endpoint to fault.
        endpoint: Endpoint,
        /// Notify it to release.
        release: Arc<Notify>,
        /// How many requests.
        times: usize,
    },
    /// Answer HTTP 200 with this body as `application/json`, for example
    /// something that is not JSON at all.
    RawBody {
        /// The endpoint to fault.
        endpoint: Endpoint,
        /// The body to answer.
        body: String,
        /// How many requests.
        times: usize,
    },
}

impl Fault {
    fn endpoint(&self) -> Endpoint {
        match self {
            Self::HttpStatus { endpoint, .. }
            | Self::VendorError { endpoint, .. }
            | Self::Delay { endpoint, .. }
            | Self::Hold { endpoint, .. }
            | Self::RawBody { endpoint, .. } => *endpoint,
        }
    }

    fn times(&self) -> usize {
        match self {
            Self::HttpStatus { times, .. }
            | Self::VendorError { times, .. }
            | Self::Delay { times, .. }
            | Self::Hold { times, .. }
            | Self::RawBody { times, .. } => *times,
        }
    }

    fn times_mut(&mut self) -> &mut usize {
        match self {
            Self::HttpStatus { times, .. }
            | Self::VendorError { times, .. }
            | Self::Delay { times, .. }
            | Self::Hold { times, .. }
            | Self::RawBody { times, .. } => times,
        }
    }
}

impl Shared {
    /// Takes one use of the first queued fault for `endpoint`.
    fn take_fault(&self, endpoint: Endpoint) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let index = faults.iter().position(|f| f.endpoint() == endpoint)?;
        let times = faults[index].times_mut();
        *times = times.saturating_sub(1);
        if *times == 0 {
            faults.remove(index)
        } else {
            Some(faults[index].clone())
        }
    }
}

/// Why [`Emulator::complete`] could not finish a session.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmulatorError {
    /// No session has this h5faceId.
    #[error("no session has h5faceId {h5face_id:?}: start one with geth5faceid and use the h5faceId it answers")]
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
    /// No SIGN ticket was ever issued, so the callback cannot be signed.
    #[error("no SIGN ticket was issued yet, so the callback cannot be signed: fetch one first")]
    NoSignTicket,
}
