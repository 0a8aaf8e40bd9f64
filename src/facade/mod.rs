//! [`FaceId`]: everything wired once. One [`Wiring`] (client, ticket
//! provider, order store, and so app id and clock), shared by construction
//! between the [`SessionStarter`], the [`CallbackVerifier`] and the
//! [`Settler`], so that a callback is
//! always checked against the orders and tickets its session was started
//! with.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), tencent_faceid::facade::FaceIdError> {
//! use tencent_faceid::FaceId;
//! // In production: FACEID_APP_ID, FACEID_SECRET and FACEID_CALLBACK_URL
//! // (FACEID_BASE_URL, FACEID_REDIS_URL optional); in development FACEID_EMULATOR=1.
//! # let vars = |name: &str| (name == "FACEID_EMULATOR").then(|| "1".to_owned());
//! # let face_id = tencent_faceid::facade::FaceIdBuilder::from_vars(vars)?;
//! # let face_id = face_id.callback_url("http://127.0.0.1:3000/face/callback").build().await?;
//! # if false {
//! let face_id = FaceId::from_env().await?;
//! # }
//! let starter = face_id.starter(); // starts sessions
//! let verifier = face_id.verifier(); // checks callbacks (the layer and extractors use it)
//! assert_eq!(face_id.client().app_id(), verifier.app_id());
//! # Ok(()) }
//! ```
//!
//! The emulator is never a silent fallback: it is used only when asked for
//! (`FACEID_EMULATOR=1`, `FACEID_EMULATOR_URL`, [`FaceId::from_env_or_emulator`] in an
//! unconfigured debug build, or `FaceId::emulated` with feature `emulator`), announced with a
//! `tracing` warning, and refused in release builds unless
//! `FACEID_EMULATOR_IN_RELEASE=1` (or
//! [`FaceIdBuilder::allow_emulator_in_release`]) says otherwise.

use std::fmt;
use std::sync::Arc;

use crate::callback::CallbackVerifier;
use crate::client::{ClientError, FaceIdClient};
use crate::ids::OrderNo;
use crate::orders::{Retention, SettlementStore};
use crate::record::{QueryOptions, VerificationRecord};
use crate::render::BodyFormat;
use crate::sdk::{SdkLaunch, SdkResult};
use crate::secret::Secret;
use crate::session::{SessionStarter, StartError, StartSession, Started};
use crate::settle::{Purger, PurgerBuilder, Reconciler, ReconcilerBuilder, Settler};
use crate::tickets::{TicketError, call_with_recovery};
use crate::wiring::Wiring;

mod builder;
mod database;
mod env;
mod error;
mod health;
#[cfg(feature = "postgres")]
mod postgres;
mod release;
mod warm;

pub use builder::FaceIdBuilder;
use builder::Vendor;
pub use database::{DatabaseConnector, DatabaseParts, DatabaseSettings};
pub use env::{database_settings, vars};
pub use error::FaceIdError;
pub use health::{HealthReport, Readiness, StoreHealth, TicketHealth};
pub use warm::WarmUp;

/// The vendor's record could not be fetched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// No SIGN ticket to sign the query with.
    #[error(transparent)]
    Tickets(#[from] TicketError),
    /// The vendor refused or could not be reached; an order it has no
    /// record of is [`ClientError::Vendor`] with
    /// [`ResultCode::NoRecord`](crate::result_code::ResultCode::NoRecord).
    #[error(transparent)]
    Vendor(#[from] ClientError),
}

/// The emulator, when the feature is on; nothing can be one otherwise.
#[cfg(feature = "emulator")]
type EmulatorHandle = crate::emulator::Emulator;
#[cfg(not(feature = "emulator"))]
type EmulatorHandle = std::convert::Infallible;

/// The crate wired once: see the [module documentation](self).
///
/// Cheap to clone (a few `Arc`s): put it in your axum state or actix app
/// data (the actix `Verified` extractor, feature `actix`, finds a
/// `web::Data<FaceId>` there).
#[derive(Clone)]
pub struct FaceId {
    wiring: Wiring<dyn SettlementStore>,
    starter: SessionStarter,
    verifier: CallbackVerifier,
    rejection_format: BodyFormat,
    /// Keeps an emulator of this process running (read by `emulator()`).
    #[cfg_attr(not(feature = "emulator"), allow(dead_code))]
    emulator: Option<EmulatorHandle>,
    emulated: bool,
    settler: Option<Settler>,
    callback_url: Option<url::Url>,
    /// When [`FaceId::health`] calls the instance ready.
    readiness: Readiness,
}

impl fmt::Debug for FaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaceId")
            .field("client", self.client())
            .field("verifier", &self.verifier)
            .field("emulated", &self.is_emulated())
            .field("settles", &self.settler.is_some())
            .finish_non_exhaustive()
    }
}

impl FaceId {
    /// The settler shared by the verifier and the reconciler, when
    /// [`FaceIdBuilder::settle`] turned settlement on.
    pub fn settler(&self) -> Option<&Settler> {
        self.settler.as_ref()
    }

    /// A [`Reconciler`] on this app's settler, its deadline the orders'
    /// lifetime ([`SessionStarter::order_ttl`]), when
    /// [`FaceIdBuilder::settle`] turned settlement on: start one per
    /// process (see [`FaceIdBuilder::settle`]).
    pub fn reconciler(&self) -> Option<ReconcilerBuilder> {
        let reconciler = Reconciler::builder(self.settler.clone()?);
        Some(reconciler.deadline(self.starter.order_ttl()))
    }

    /// A [`Purger`] of this app's store, with the default [`Retention`]:
    /// start one per process, beside the reconciler. When
    /// [`FaceIdBuilder::settle`] did not turn settlement on, nothing
    /// settles an expired order, so unsettled orders are capped at the
    /// orders' lifetime plus [`Retention::DEFAULT_TOMBSTONES`] (a
    /// [`retention`](PurgerBuilder::retention) of your own replaces this).
    pub fn purger(&self) -> PurgerBuilder {
        let purger = Purger::on(self.wiring.clone());
        if self.settler.is_some() {
            return purger;
        }
        let cap = self.starter.order_ttl() + Retention::DEFAULT_TOMBSTONES;
        purger.retention(Retention::default().unsettled_orders(cap))
    }

    /// Starts configuring for the vendor with your WBappid and secret.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tencent_faceid::facade::FaceIdError> {
    /// use std::time::Duration;
    /// use tencent_faceid::facade::WarmUp;
    /// use tencent_faceid::FaceId;
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .callback_url("https://shop.example/face/callback")
    ///     .starter(|starter| starter.order_ttl(Duration::from_secs(15 * 60)))
    ///     .verifier(|verifier| verifier.confirm(true))
    ///     .warm_up(WarmUp::Off) // no vendor here to fetch the first pair from
    ///     .build()
    ///     .await?;
    /// assert_eq!(face_id.verifier().app_id(), "appId001");
    /// assert!(face_id.verifier().confirms() && face_id.verifier().binds_browsers());
    /// # Ok(()) }
    /// ```
    pub fn builder(app_id: impl Into<String>, secret: impl Into<Secret>) -> FaceIdBuilder {
        FaceIdBuilder::new(Vendor::Tencent {
            app_id: app_id.into(),
            secret: secret.into(),
        })
    }

    /// Starts configuring for a running emulator (its app id, secret, base
    /// URL and clock), for development and tests: an explicit choice,
    /// warned about at build, refused in release builds unless
    /// [allowed](FaceIdBuilder::allow_emulator_in_release). The `FaceId`
    /// keeps the emulator running.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid::emulator::Emulator;
    /// use tencent_faceid::FaceId;
    /// let emulator = Emulator::start().await?;
    /// let face_id = FaceId::emulated(&emulator)
    ///     .callback_url("http://127.0.0.1:3000/face/callback")
    ///     .build()
    ///     .await?;
    /// assert!(face_id.is_emulated());
    /// assert_eq!(face_id.verifier().app_id(), emulator.app_id());
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "emulator")]
    pub fn emulated(emulator: &crate::emulator::Emulator) -> FaceIdBuilder {
        FaceIdBuilder::new(Vendor::Emulator(emulator.clone()))
    }

    /// [`FaceIdBuilder::from_env`] with the defaults, built.
    ///
    /// # Errors
    /// As [`FaceIdBuilder::from_env`] and [`FaceIdBuilder::build`].
    pub async fn from_env() -> Result<Self, FaceIdError> {
        FaceIdBuilder::from_env()?.build().await
    }

    /// [`FaceIdBuilder::from_env_or_emulator`] with the defaults and
    /// `callback_url` (unless `FACEID_CALLBACK_URL` is set), built: the
    /// vendor when configured, and in a debug build with nothing
    /// configured the emulator (announced). The quick start's one line.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tencent_faceid::Report> {
    /// use tencent_faceid::FaceId;
    /// # if false {
    /// let face_id = FaceId::from_env_or_emulator("http://127.0.0.1:3000/face/callback").await?;
    /// # }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As [`FaceIdBuilder::from_env_or_emulator`] and [`FaceIdBuilder::build`].
    pub async fn from_env_or_emulator(callback_url: &str) -> Result<Self, FaceIdError> {
        let builder = FaceIdBuilder::from_env_or_emulator()?;
        builder.or_callback_url(callback_url).build().await
    }

    /// Starts sessions.
    pub fn starter(&self) -> &SessionStarter {
        &self.starter
    }

    /// Checks callbacks, against the same store, tickets and app id.
    pub fn verifier(&self) -> &CallbackVerifier {
        &self.verifier
    }

    /// The vendor client.
    pub fn client(&self) -> &FaceIdClient {
        self.wiring.client()
    }

    /// The client, tickets and store every part of this app is built from.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tencent_faceid::facade::FaceIdError> {
    /// use tencent_faceid::facade::WarmUp;
    /// use tencent_faceid::FaceId;
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .callback_url("https://shop.example/face/callback")
    ///     .warm_up(WarmUp::Off)
    ///     .build()
    ///     .await?;
    /// assert_eq!(face_id.wiring().app_id(), face_id.verifier().app_id());
    /// # Ok(()) }
    /// ```
    pub fn wiring(&self) -> &Wiring<dyn SettlementStore> {
        &self.wiring
    }

    /// Starts a session: [`SessionStarter::start`], coming back to the
    /// [callback URL](FaceIdBuilder::callback_url) unless the request has
    /// its own.
    ///
    /// # Errors
    /// [`StartError`]; [`InvalidStart::MissingCallbackUrl`](crate::session::InvalidStart::MissingCallbackUrl)
    /// (500) when neither has a callback URL.
    pub async fn start(&self, request: StartSession) -> Result<Started, StartError> {
        let request = match &self.callback_url {
            Some(url) if !request.has_callback_url() => request.callback_url(url.clone()),
            _ => request,
        };
        self.starter.start(request).await
    }

    /// The callback URL sessions come back to, when configured
    /// ([`FaceIdBuilder::callback_url`]).
    pub fn callback_url(&self) -> Option<&url::Url> {
        self.callback_url.as_ref()
    }

    /// Starts an App SDK session: [`SessionStarter::start_sdk`].
    ///
    /// # Errors
    /// [`StartError`].
    pub async fn start_sdk(&self, request: StartSession) -> Result<SdkLaunch, StartError> {
        self.starter.start_sdk(request).await
    }

    /// Verifies an App SDK result your app forwarded:
    /// [`CallbackVerifier::verify_sdk_result`](crate::callback::CallbackVerifier::verify_sdk_result) with this verifier (passes confirmed
    /// with the vendor's record).
    ///
    /// # Errors
    /// [`CallbackRejection`](crate::callback::CallbackRejection).
    pub async fn verify_sdk_result(
        &self,
        result: &SdkResult,
    ) -> Result<crate::callback::VerificationOutcome, crate::callback::CallbackRejection> {
        self.verifier.verify_sdk_result(result).await
    }

    /// The vendor's record of an order, signed with the shared SIGN
    /// tickets (renewed once if the vendor refuses them): for the evidence
    /// photo ([`Files::Photo`](crate::record::Files::Photo)) after a
    /// callback. Records last three days.
    ///
    /// # Errors
    /// [`RecordError`].
    pub async fn query_record(
        &self,
        order_no: &OrderNo,
        options: QueryOptions,
    ) -> Result<VerificationRecord, RecordError> {
        let provider = self.wiring.tickets();
        let tickets = provider.sign_tickets().await?;
        let query = |tickets: Arc<crate::tickets::SignTickets>| async move {
            self.client()
                .query_record(order_no, tickets.current.value(), options)
                .await
        };
        Ok(call_with_recovery(provider, tickets, query).await?)
    }

    /// How rejected callbacks are answered
    /// ([`FaceIdBuilder::json_rejections`]).
    pub fn rejection_format(&self) -> BodyFormat {
        self.rejection_format
    }

    /// The tower layer for the callback route, answering rejections in
    /// [`Self::rejection_format`].
    #[cfg(feature = "tower")]
    pub fn layer(&self) -> crate::tower::FaceCallbackLayer {
        let layer = crate::tower::FaceCallbackLayer::new(self.verifier.clone());
        match self.rejection_format {
            BodyFormat::Json => layer.json_rejections(),
            BodyFormat::Text => layer,
        }
    }

    /// Whether the vendor is the emulator.
    pub fn is_emulated(&self) -> bool {
        self.emulated
    }

    /// The emulator, when emulated by one in this process (not by a
    /// shared one at `FACEID_EMULATOR_URL`).
    #[cfg(feature = "emulator")]
    pub fn emulator(&self) -> Option<&crate::emulator::Emulator> {
        self.emulator.as_ref()
    }
}
