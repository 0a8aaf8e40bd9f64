//! A local stand-in for Tencent Cloud FaceID, the vendor of
//! [`tencent_faceid`]: the KYC service's endpoints and the H5 page, on a
//! loopback port of its own (or where [`EmulatorBuilder::bind`] says), for
//! demos and tests — yours included. Add it as a dev-dependency (or as a
//! dependency of a development binary):
//!
//! ```toml
//! [dev-dependencies]
//! tencent-faceid-emulator = "0.1"
//! ```
//!
//! Beside the [`Emulator`] it has [`testing::Browser`], which drives your
//! app through start, the emulator's page and the callback, keeping
//! cookies; [`Emulator::face_id`], a [`FaceIdBuilder`](tencent_faceid::facade::FaceIdBuilder) wired to an
//! emulator; and [`FromEnvOrEmulator`], the quick start's one line: the
//! vendor when the environment configures it, an embedded emulator
//! otherwise (see [`Configured`] for the variables).
//!
//! It plays by the vendor's documented rules, by default:
//! - **Access tokens** live 7200 s (`expire_in` is written `"7200"`, a
//!   string, as in the vendor's example). A new token ends every previous
//!   one of the app one minute later (the documented coexistence).
//! - **SIGN tickets** live 3600 s; a new one ends the previous ones one
//!   minute later. **Every ticket dies with the access token that fetched
//!   it.** geth5faceid and queryfacerecord signatures are checked against
//!   the SIGN tickets alive now, and callbacks are signed with the current
//!   one (the newest alive). With none alive the vendor cannot sign: the
//!   callback then carries no signature.
//! - **NONCE tickets** live 120 s, are bound to their `user_id` and used up
//!   by the login page; each **login link works once**.
//! - **Records** are kept three days; a session the page could not run
//!   (a [`FrontEndCode`](tencent_faceid::client::FrontEndCode)) has none; a failed
//!   verification has one, answered with its non-zero code and a `result`. `getFile` (`1` photo and video,
//!   `2` photo, `3` video) and `queryVersion` (`1.0`) are honoured.
//! - Every `sign` is recomputed with [`tencent_faceid::sign::sign`] and checked,
//!   identifiers are validated, order numbers are unique, and refusals are
//!   HTTP 200 with an error code ([`Refusal`]) as the vendor answers them.
//! - `app_id` and `appId` are both accepted for tokens and tickets,
//!   `webankAppId` and `appId` for geth5faceid.
//! - **Editions** (see [`Edition`](tencent_faceid::session::Edition)): `getAdvFaceId` (enhanced H5) and
//!   `getfaceid` (App SDK) take `appId` and a 32-character `nonce` and are
//!   signed over app id, user id, version and nonce with a SIGN ticket. An
//!   enhanced login link (`appId`, `faceId`) opens only an enhanced
//!   session, a basic one (`webankAppId`, `h5faceId`) only a basic one;
//!   both are signed with the NONCE ticket over the same six values.
//!   *Inferred* (no vendor page found): the enhanced page sends the browser
//!   back with the basic callback's parameters and recipe; the SDK
//!   ([`Emulator::run_sdk`]) refuses a bad launch before the face check,
//!   runs each launch once, and names its error domains
//!   `WBFaceErrorDomainCompareServer` / `WBFaceErrorDomainNativeProcess`.
//!   Not enforced: the vendor's 5-minute validity of a face id.
//! - The login page is on the **optimal domain**, `localhost:<port>` by
//!   default: the same server as the API at `127.0.0.1:<port>`, under
//!   another name, as the vendor's page is on another host than its API.
//!
//! Time is the emulator's [`Clock`]: build it with a [`ManualClock`](tencent_faceid::ManualClock) and
//! [`Emulator::advance`] it to cross hours or days without sleeping; its
//! [`Emulator::client`] reads the same clock.
//!
//! For tests it adds what the vendor cannot: [`Fault`]s (HTTP errors,
//! vendor codes, delays, requests held until you release them, arbitrary
//! bodies), a refresh by "another server" ([`Emulator::rotate_sign_ticket`]),
//! request [`Counts`], other lifetimes, and, to finish a session without a
//! browser, [`Emulator::complete_login`] (from your app's redirect to the
//! login page) and [`Emulator::complete`] (from an h5faceId).
//!
//! # Testing your app
//! Give your app the emulator's [`client`](Emulator::client) (or build its
//! `FaceId` with [`Emulator::face_id`]), drive it as a browser would, and let
//! [`Emulator::complete_login`] stand in for the user on the vendor's page.
//! With [browser binding](tencent_faceid::wiring::Wiring::browser_binding) on (the
//! default) the callback must carry
//! the start's cookie: [`testing::Browser`] does all of it, as
//! [Testing your app](tencent_faceid#testing-your-app) shows for axum and
//! actix-web; here are the steps by hand, without binding, for actix-web.
//!
//! ## Testing an actix-web app
//! With `actix_web::test`, no port of your own is needed:
//! ```
//! use actix_web::http::{header, StatusCode};
//! use actix_web::{error, test, web, App, HttpResponse};
//! use tencent_faceid::actix::Verified;
//! use tencent_faceid::callback::CallbackVerifier;
//! use tencent_faceid_emulator::{Emulator, Outcome};
//! use tencent_faceid::UserId;
//! use tencent_faceid::session::{SessionStarter, StartSession};
//! use tencent_faceid::orders::MemoryOrderStore;
//! use tencent_faceid::tickets::CachedTickets;
//!
//! // Your app's handlers.
//! async fn start(starter: web::Data<SessionStarter>) -> actix_web::Result<HttpResponse> {
//!     let user = UserId::new("user42").map_err(error::ErrorBadRequest)?;
//!     let callback = "https://shop.example/face/callback".parse().map_err(error::ErrorInternalServerError)?;
//!     let started = starter
//!         .start(StartSession::new(user, callback).name("Zhang San").id_number("110101199003071234"))
//!         .await
//!         .map_err(error::ErrorBadGateway)?;
//!     Ok(HttpResponse::SeeOther()
//!         .insert_header((header::LOCATION, started.redirect_url.as_str()))
//!         .finish())
//! }
//!
//! async fn callback(Verified(outcome): Verified) -> String {
//!     format!("passed: {}", outcome.passed())
//! }
//!
//! # #[actix_web::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // In an #[actix_web::test]: your app, on the emulator's client.
//! let emulator = Emulator::start().await?;
//! let client = emulator.client();
//! let tickets = CachedTickets::builder(client.clone()).build();
//! let store = MemoryOrderStore::new();
//! let wiring = tencent_faceid::wiring::Wiring::new(client, tickets, store).browser_binding(false);
//! let verifier = CallbackVerifier::builder(&wiring).build()?;
//! let starter = SessionStarter::builder(&wiring).build()?;
//! let app = test::init_service(
//!     App::new()
//!         .app_data(web::Data::new(verifier))
//!         .app_data(web::Data::new(starter))
//!         .route("/start", web::post().to(start))
//!         .route("/face/callback", web::get().to(callback)),
//! )
//! .await;
//!
//! // The user starts: your app redirects the browser to the vendor's page.
//! let response = test::call_service(&app, test::TestRequest::post().uri("/start").to_request()).await;
//! assert_eq!(response.status(), StatusCode::SEE_OTHER);
//! let location = response.headers().get(header::LOCATION).ok_or("no Location")?.to_str()?;
//!
//! // The user passes on that page, which sends the browser back to your callback.
//! let callback = emulator.complete_login(location, Outcome::Pass)?;
//! let request = test::TestRequest::get().uri(callback.as_str()).to_request();
//! assert_eq!(test::call_and_read_body(&app, request).await, "passed: true");
//! # Ok(()) }
//! ```
//!
//! # Example: a test against the emulator
//! ```
//! use std::time::Duration;
//! use tencent_faceid::ManualClock;
//! use tencent_faceid_emulator::{Emulator, Fault, Outcome};
//! use tencent_faceid::client::{ClientError, Endpoint};
//! use tencent_faceid::{OrderNo, UserId};
//! use tencent_faceid::client::{Files, QueryOptions};
//! use tencent_faceid::client::ResultCode;
//! use tencent_faceid::client::{StartRequest, VERSION};
//! use tencent_faceid::sign::sign;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let clock = ManualClock::new();
//! let emulator = Emulator::builder().clock(clock.clone()).start().await?;
//! let client = emulator.client();
//!
//! // Tokens and tickets, as from the vendor.
//! let token = client.access_token().await?;
//! let ticket = client.sign_ticket(token.secret()).await?;
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
//! // The evidence, decoded.
//! let options = QueryOptions::default().files(Files::PhotoAndVideo);
//! let answer = client.query_record(&order_no, ticket.value(), options).await?;
//! assert!(answer.passed() && answer.result.photo.is_some());
//!
//! // An hour later the SIGN ticket has ended: the vendor refuses it.
//! emulator.advance(Duration::from_secs(3600))?;
//! let refused = client.query_record(&order_no, ticket.value(), options).await;
//! assert!(matches!(refused, Err(ClientError::Vendor { .. })));
//!
//! // Faults: the next access-token request answers HTTP 503.
//! emulator.inject(Fault::http_status(Endpoint::AccessToken, 503));
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
//! | `GET /api/oauth2/access_token` | access token (`app_id` or `appId`, `secret`, `grant_type=client_credential`, `version`) |
//! | `GET /api/oauth2/api_ticket` | a new SIGN ticket (`type=SIGN`) or a single-use NONCE ticket (`type=NONCE&user_id=`) |
//! | `POST /api/server/h5/geth5faceid` | start a basic H5 session; `optimalDomain` is [`Emulator::optimal_domain`] |
//! | `POST /api/server/getAdvFaceId` | start an enhanced H5 session (`appId`, `nonce`; signed over app id, user id, version, nonce); answers `faceId` |
//! | `POST /api/server/getfaceid` | start an App SDK session (the same body and signature); answers `faceId` for [`Emulator::run_sdk`] |
//! | `GET /api/web/login` | the H5 page: basic (`webankAppId`, `h5faceId`) or enhanced (`appId`, `faceId`) link; refusals are HTML pages with status 400, 403 or 404 |
//! | `POST /api/web/complete` | the H5 page's buttons: `302` to the callback URL |
//! | `POST /api/v2/base/queryfacerecord` | the record of a finished session |
//! | `POST /` | Tencent Cloud API 3.0 (the WeChat channel): `DetectAuth`, `GetDetectInfoEnhanced`, by `X-TC-Action` |
//! | `GET`, `POST /wechat/verify` | the WeChat-style page of a BizToken (`?token=`): pass, fail with an `ErrCode`, or close it |
//!
//! # The WeChat channel (API 3.0)
//! Built from the vendor's DetectAuth documentation, not from the
//! crate's [`Tc3Client`]: every request's TC3
//! signature is recomputed from the bytes and headers received and the
//! `SignedHeaders` it declares (`content-type` and `host` required), with
//! the documented codes (`AuthFailure.InvalidAuthorization`,
//! `.SecretIdNotFound`, `.SignatureExpire` beyond five minutes,
//! `.SignatureFailure`); `NoSuchVersion` and `InvalidAction` otherwise.
//! Errors are HTTP 200 with `Response.Error`. A BizToken can be verified
//! for 7,200 s and pulled for 259,200 s from issue, then it is forgotten
//! (`InvalidParameterValue.BizTokenExpired`); before an attempt the
//! record has no `ErrCode`; each attempt adds a `LivenessDetail` entry
//! with `IsNeedCharge`; a pass is final. [`Emulator::complete_wechat`]
//! stands in for the user on the page, [`Emulator::run_mini_program`] for
//! the mini program's SDK. *Inferred*: the redirect's `BizToken=` and
//! `Extra=` parameters and the absence of a signature on it, the
//! BizToken's format, `ErrCode` mirroring the last attempt, which codes are
//! billed (0, 1002, 2006, 2016), the error for a RuleId other than the
//! token's (`InvalidParameter`), and `MissingParameter` / `UnknownParameter`
//! for a body without a required field or with an undocumented one (the
//! bodies are read by the documented field names, not through the crate's
//! types). Field encryption (`Encryption`, AES-256-CBC) is served with
//! the published test key pair when
//! [`EmulatorBuilder::field_encryption`] (feature `wechat-encryption`)
//! asks for it, refused with `FailedOperation.DecryptSystemError`
//! otherwise. Not emulated: SM4-GCM and whole-answer encryption (refused
//! likewise), media, intention results, rate limits.

#![warn(missing_docs)]

mod builder;
mod counts;
mod environment;
mod error;
mod face_id;
mod fault;
mod lifecycle;
mod outcome;
mod page;
mod random;
mod routes;
mod rules;
mod sdk;
mod setup_error;
pub mod testing;
mod user;
mod wechat;
mod wire;

use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tencent_faceid::Clock;
use tencent_faceid::Secret;
use tencent_faceid::client::FaceIdClient;
use tencent_faceid::wechat::Tc3Client;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use url::Url;

pub use builder::EmulatorBuilder;
use counts::CountCells;
pub use counts::Counts;
pub use environment::{Configured, FromEnvOrEmulator, VendorChoice, WhenUnconfigured, vars};
pub use error::EmulatorError;
pub use fault::Fault;
use fault::FaultQueue;
pub use outcome::{Outcome, Refusal, SignatureParam};
use rules::Vendor;
pub use sdk::{SDK_RUN_PATH, SdkAnswer, SdkFailure};
pub use setup_error::SetupError;
use wechat::WeChatVendor;
#[cfg(feature = "wechat-encryption")]
pub use wechat::encryption::TEST_PUBLIC_KEY_PEM;
pub use wechat::{WeChatIdentity, WeChatOutcome};

/// A running emulator. Clones are handles to the same server, which runs
/// as a task of the Tokio runtime it was started on until
/// [`Emulator::shutdown`] or until that runtime stops: dropping the handles
/// does not stop it, so `Emulator::start().await?.client()` is a client of
/// a running emulator, and an emulator wired into a
/// [`FaceId`](tencent_faceid::FaceId) by [`FromEnvOrEmulator`] serves for
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
    shared: Arc<Shared>,
    server: Arc<Server>,
    client: FaceIdClient,
    /// Boxed: an emulator handle stays small (it is held in enums such as
    /// [`VendorChoice`]).
    tc3_client: Arc<Tc3Client>,
}

/// What the request handlers share with the handles.
struct Shared {
    vendor: Vendor,
    wechat: WeChatVendor,
    faults: FaultQueue,
    counts: CountCells,
    /// Set by [`Emulator::shutdown`]; held by the server task too, so the
    /// server lives when every handle is gone.
    stop: watch::Sender<bool>,
}

/// The server task, awaited by [`Emulator::shutdown`].
struct Server {
    task: Mutex<Option<JoinHandle<()>>>,
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
    /// the test public key when [`EmulatorBuilder::field_encryption`]
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
