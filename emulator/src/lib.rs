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
//! Time is the emulator's [`Clock`](tencent_faceid::Clock): build it with a [`ManualClock`](tencent_faceid::ManualClock) and
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
//! crate's [`Tc3Client`](tencent_faceid::wechat::Tc3Client): every request's TC3
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
//! `EmulatorBuilder::field_encryption` (feature `wechat-encryption`)
//! asks for it, refused with `FailedOperation.DecryptSystemError`
//! otherwise. Not emulated: SM4-GCM and whole-answer encryption (refused
//! likewise), media, intention results, rate limits.

#![warn(missing_docs)]

mod builder;
mod counts;
mod emulator;
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

use std::sync::{Mutex, MutexGuard, PoisonError};

pub use builder::EmulatorBuilder;
pub use counts::Counts;
pub use emulator::Emulator;
use emulator::{Server, Shared};
pub use environment::{Configured, FromEnvOrEmulator, VendorChoice, WhenUnconfigured, vars};
pub use error::EmulatorError;
pub use fault::Fault;
pub use outcome::{Outcome, Refusal, SignatureParam};
pub use sdk::{SDK_RUN_PATH, SdkAnswer, SdkFailure};
pub use setup_error::SetupError;
#[cfg(feature = "wechat-encryption")]
pub use wechat::encryption::TEST_PUBLIC_KEY_PEM;
pub use wechat::{WeChatIdentity, WeChatOutcome};

/// Locks `mutex`, also after a panic in another critical section.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section leaves the data consistent, so a panic in one
    // does not make it unusable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
