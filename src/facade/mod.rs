//! [`FaceId`]: everything wired once. One client, one ticket provider, one
//! order store and one app id, shared by construction between the
//! [`SessionStarter`] and the [`CallbackVerifier`], so that a callback is
//! always checked against the orders and tickets its session was started
//! with.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), tencent_faceid::facade::FaceIdError> {
//! use tencent_faceid::FaceId;
//! // In production: FACEID_APP_ID and FACEID_SECRET (FACEID_BASE_URL,
//! // FACEID_REDIS_URL optional); in development FACEID_EMULATOR=1.
//! # let vars = |name: &str| (name == "FACEID_EMULATOR").then(|| "1".to_owned());
//! # let face_id = tencent_faceid::facade::FaceIdBuilder::from_vars(vars)?.build().await?;
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
//! (`FACEID_EMULATOR=1`, or [`FaceId::emulated`]), announced with a
//! `tracing` warning, and refused in release builds unless
//! `FACEID_EMULATOR_IN_RELEASE=1` (or
//! [`FaceIdBuilder::allow_emulator_in_release`]) says otherwise.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::callback::{CallbackConfigError, CallbackVerifier};
use crate::client::{ClientError, FaceIdClient};
use crate::ids::{IdentifierError, OrderNo};
use crate::orders::{MemoryOrderStore, OrderStore};
use crate::record::{QueryOptions, VerificationRecord};
use crate::render::BodyFormat;
use crate::secret::Secret;
use crate::session::{SessionStarter, StartError, StartSession, Started};
use crate::settle::{Reconciler, ReconcilerBuilder, Settler, SettlerBuilder};
use crate::tickets::{call_with_recovery, CachedTickets, TicketError, TicketProvider};

/// The environment variables [`FaceIdBuilder::from_env`] reads.
pub mod vars {
    /// Your WBappid from the FaceID console.
    pub const APP_ID: &str = "FACEID_APP_ID";
    /// The secret that goes with it.
    pub const SECRET: &str = "FACEID_SECRET";
    /// The vendor's base URL (default
    /// [`DEFAULT_BASE_URL`](crate::client::DEFAULT_BASE_URL)).
    pub const BASE_URL: &str = "FACEID_BASE_URL";
    /// A Redis URL: tickets and orders shared by all instances (feature
    /// `redis`).
    pub const REDIS_URL: &str = "FACEID_REDIS_URL";
    /// `1`: use the local emulator instead of the vendor (feature
    /// `emulator`; development and tests only).
    pub const EMULATOR: &str = "FACEID_EMULATOR";
    /// `1`: allow the emulator in a release build too.
    pub const EMULATOR_IN_RELEASE: &str = "FACEID_EMULATOR_IN_RELEASE";
}

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
    /// Both a vendor app id and the emulator are configured.
    #[error("both FACEID_APP_ID and FACEID_EMULATOR=1 are set: unset FACEID_EMULATOR to talk to the vendor, or FACEID_APP_ID to use the emulator")]
    VendorAndEmulator,
    /// The configuration needs a crate feature that is not enabled.
    #[error("{what} needs the tencent-faceid feature `{feature}`: enable it in Cargo.toml")]
    FeatureMissing {
        /// What asked for it.
        what: &'static str,
        /// The feature.
        feature: &'static str,
    },
    /// The emulator was asked for in a release build.
    #[error("the FaceID emulator verifies anyone who presses \"pass\" and is refused in release builds; configure the vendor (FACEID_APP_ID, FACEID_SECRET), or set FACEID_EMULATOR_IN_RELEASE=1 (FaceIdBuilder::allow_emulator_in_release) if this build really is not production")]
    EmulatorInRelease,
    /// The emulator could not start (no loopback port).
    #[error("the FaceID emulator could not start: {0}")]
    EmulatorStart(#[source] std::io::Error),
    /// The vendor client's settings (app id, secret, base URL).
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The callback verifier's settings.
    #[error(transparent)]
    Callback(#[from] CallbackConfigError),
    /// The order number prefix.
    #[error("invalid order number prefix: {0}")]
    OrderPrefix(#[from] IdentifierError),
    /// Redis could not be reached.
    #[cfg(feature = "redis")]
    #[error("Redis (FACEID_REDIS_URL / FaceIdBuilder::redis) could not be reached: {0}")]
    Redis(#[from] crate::redis::RedisBackendError),
}

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

/// Decides whether a request may start a session; see
/// [`FaceIdBuilder::admit`].
type Admission = dyn Fn(&StartSession) -> Result<(), String> + Send + Sync;

/// Who answers the vendor's calls.
enum Vendor {
    Tencent {
        app_id: String,
        secret: Secret,
    },
    #[cfg(feature = "emulator")]
    Emulator(crate::emulator::Emulator),
    #[cfg(feature = "emulator")]
    StartEmulator,
}

/// Configures a [`FaceId`]; made by [`FaceId::builder`],
/// [`FaceId::emulated`] or [`FaceIdBuilder::from_env`].
///
/// Defaults: cached tickets and an in-memory order store (or both in Redis
/// with [`redis`](Self::redis)), browser binding on, orders live 30 min,
/// passes not confirmed with the vendor's record, plain-text rejections.
pub struct FaceIdBuilder {
    vendor: Vendor,
    base_url: Option<String>,
    tickets: Option<Arc<dyn TicketProvider>>,
    store: Option<Arc<dyn OrderStore>>,
    #[cfg(feature = "redis")]
    redis_url: Option<String>,
    browser_binding: bool,
    order_ttl: Option<Duration>,
    order_prefix: Option<String>,
    confirm: bool,
    rejection_format: BodyFormat,
    admit: Option<Box<Admission>>,
    emulator_in_release: bool,
    settle: Option<Box<SettleConfig>>,
}

/// What [`FaceIdBuilder::settle`] does to the settler it builds.
type SettleConfig = dyn FnOnce(SettlerBuilder) -> SettlerBuilder + Send;

impl fmt::Debug for FaceIdBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaceIdBuilder")
            .field("emulated", &!matches!(self.vendor, Vendor::Tencent { .. }))
            .field("browser_binding", &self.browser_binding)
            .field("confirm", &self.confirm)
            .finish_non_exhaustive()
    }
}

impl FaceIdBuilder {
    fn new(vendor: Vendor) -> Self {
        Self {
            vendor,
            base_url: None,
            tickets: None,
            store: None,
            #[cfg(feature = "redis")]
            redis_url: None,
            browser_binding: true,
            order_ttl: None,
            order_prefix: None,
            confirm: false,
            rejection_format: BodyFormat::Text,
            admit: None,
            emulator_in_release: false,
            settle: None,
        }
    }

    /// Configuration from the environment: [`vars::APP_ID`] and
    /// [`vars::SECRET`] (required), [`vars::BASE_URL`] and
    /// [`vars::REDIS_URL`] (optional); or [`vars::EMULATOR`]`=1` for the
    /// emulator (with [`vars::EMULATOR_IN_RELEASE`]`=1` to allow it in a
    /// release build). Set the other options on the builder it returns.
    ///
    /// # Errors
    /// [`FaceIdError::MissingVariable`] naming the variable to set,
    /// [`FaceIdError::InvalidVariable`], [`FaceIdError::VendorAndEmulator`],
    /// [`FaceIdError::FeatureMissing`].
    pub fn from_env() -> Result<Self, FaceIdError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Self::from_env`] reading the variables from `var` instead of the
    /// process environment (for tests, or a configuration file). Empty
    /// values count as unset.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use tencent_faceid::facade::{FaceIdBuilder, FaceIdError};
    /// let vars = HashMap::from([("FACEID_APP_ID", "appId001")]);
    /// let error = FaceIdBuilder::from_vars(|name| vars.get(name).map(|v| v.to_string())).unwrap_err();
    /// assert!(matches!(error, FaceIdError::MissingVariable { name: "FACEID_SECRET", .. }));
    /// // No vendor configured is an error, never a silent emulator.
    /// let error = FaceIdBuilder::from_vars(|_| None).unwrap_err();
    /// assert!(matches!(error, FaceIdError::MissingVariable { name: "FACEID_APP_ID", .. }));
    /// ```
    ///
    /// # Errors
    /// As [`Self::from_env`].
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, FaceIdError> {
        let get = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let flag = |name: &'static str| match get(name).as_deref().map(str::trim) {
            None | Some("0") | Some("false") => Ok(false),
            Some("1") | Some("true") => Ok(true),
            Some(_) => Err(FaceIdError::InvalidVariable {
                name,
                expected: "1 (or true) to turn it on, 0 (or false) or unset to leave it off",
            }),
        };
        let app_id = get(vars::APP_ID);
        let mut builder = if flag(vars::EMULATOR)? {
            if app_id.is_some() {
                return Err(FaceIdError::VendorAndEmulator);
            }
            Self::start_emulator()?
        } else {
            let app_id = app_id.ok_or(FaceIdError::MissingVariable {
                name: vars::APP_ID,
                hint: "set it to your WBappid from the FaceID console (with FACEID_SECRET), or set FACEID_EMULATOR=1 to use the local emulator in development",
            })?;
            let secret = get(vars::SECRET).ok_or(FaceIdError::MissingVariable {
                name: vars::SECRET,
                hint: "set it to the secret of FACEID_APP_ID from the FaceID console",
            })?;
            let mut builder = FaceId::builder(app_id, secret);
            builder.base_url = get(vars::BASE_URL);
            builder
        };
        builder.emulator_in_release = flag(vars::EMULATOR_IN_RELEASE)?;
        if let Some(url) = get(vars::REDIS_URL) {
            builder = builder.redis_from_env(url)?;
        }
        Ok(builder)
    }

    #[cfg(feature = "emulator")]
    fn start_emulator() -> Result<Self, FaceIdError> {
        Ok(Self::new(Vendor::StartEmulator))
    }

    #[cfg(not(feature = "emulator"))]
    fn start_emulator() -> Result<Self, FaceIdError> {
        Err(FaceIdError::FeatureMissing {
            what: "FACEID_EMULATOR=1",
            feature: "emulator",
        })
    }

    #[cfg(feature = "redis")]
    fn redis_from_env(self, url: String) -> Result<Self, FaceIdError> {
        Ok(self.redis(url))
    }

    #[cfg(not(feature = "redis"))]
    fn redis_from_env(self, _url: String) -> Result<Self, FaceIdError> {
        Err(FaceIdError::FeatureMissing {
            what: "FACEID_REDIS_URL",
            feature: "redis",
        })
    }

    /// The vendor's base URL; default
    /// [`DEFAULT_BASE_URL`](crate::client::DEFAULT_BASE_URL). Ignored by
    /// an emulated `FaceId`.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Where SIGN and NONCE tickets come from; default
    /// [`CachedTickets`] on this app's client (or `RedisTickets` with
    /// [`redis`](Self::redis)).
    pub fn tickets(mut self, tickets: impl TicketProvider) -> Self {
        self.tickets = Some(Arc::new(tickets));
        self
    }

    /// Where pending orders are kept; default a [`MemoryOrderStore`] (or
    /// `RedisOrderStore` with [`redis`](Self::redis)).
    pub fn store(mut self, store: impl OrderStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Shares tickets and orders between instances through the Redis at
    /// `url` (`RedisTickets`, `RedisOrderStore` with their defaults); a
    /// [`tickets`](Self::tickets) or [`store`](Self::store) of your own
    /// takes precedence. Connected by [`build`](Self::build).
    #[cfg(feature = "redis")]
    pub fn redis(mut self, url: impl Into<String>) -> Self {
        self.redis_url = Some(url.into());
        self
    }

    /// Binds each callback to the browser that started its session (see
    /// [`crate::binding`]); on by default. The starter's
    /// [`Started::binding`] cookie must reach the browser: answer with the
    /// [`Started`] itself (it is an axum `IntoResponse` and an actix
    /// `Responder`), or set its `Set-Cookie` on your redirect.
    pub fn browser_binding(mut self, on: bool) -> Self {
        self.browser_binding = on;
        self
    }

    /// How long a started session may take to come back; default 30 min.
    pub fn order_ttl(mut self, ttl: Duration) -> Self {
        self.order_ttl = Some(ttl);
        self
    }

    /// Letters or digits (at most 12) every order number starts with;
    /// default `"fid"`.
    pub fn order_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.order_prefix = Some(prefix.into());
        self
    }

    /// Confirms every pass with the vendor's record before accepting it
    /// (see [`CallbackVerifierBuilder::confirm_with`](crate::callback::CallbackVerifierBuilder::confirm_with));
    /// off by default. The outcome then carries the record (live rate,
    /// similarity).
    pub fn confirm(mut self, on: bool) -> Self {
        self.confirm = on;
        self
    }

    /// Answers rejected callbacks as JSON (`{"error", "message"}`) instead
    /// of plain text, in the tower layer and the actix extractor alike.
    pub fn json_rejections(mut self) -> Self {
        self.rejection_format = BodyFormat::Json;
        self
    }

    /// A check every valid start request passes before anything costs
    /// money; see [`SessionStarterBuilder::admit`](crate::session::SessionStarterBuilder::admit).
    pub fn admit(
        mut self,
        check: impl Fn(&StartSession) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.admit = Some(Box::new(check));
        self
    }

    /// Settles every order exactly once (passed, failed, abandoned) by its
    /// callback or by a [`Reconciler`]: `configure` sets up the
    /// [`Settler`] (its `on_settled` hook, evidence, delays) that the
    /// verifier and [`FaceId::reconciler`] share. Off by default.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid::settle::Settlement;
    /// use tencent_faceid::FaceId;
    /// # let emulator = tencent_faceid::emulator::Emulator::start().await?;
    /// let face_id = FaceId::emulated(&emulator)
    ///     .settle(|settler| settler.on_settled(|settlement: Settlement| async move {
    ///         println!("{} {}", settlement.order_no, settlement.state.as_str());
    ///         Ok::<(), std::convert::Infallible>(())
    ///     }))
    ///     .build()
    ///     .await?;
    /// let reconciler = face_id.reconciler().expect("settlement is on").build().spawn();
    /// reconciler.stop().await;
    /// # Ok(()) }
    /// ```
    pub fn settle(
        mut self,
        configure: impl FnOnce(SettlerBuilder) -> SettlerBuilder + Send + 'static,
    ) -> Self {
        self.settle = Some(Box::new(configure));
        self
    }

    /// Allows the emulator in a release build (refused there by default,
    /// because it verifies anyone who presses "pass").
    pub fn allow_emulator_in_release(mut self, allow: bool) -> Self {
        self.emulator_in_release = allow;
        self
    }

    /// Builds the app's parts: starts the emulator if asked to, connects
    /// to Redis if configured.
    ///
    /// # Errors
    /// [`FaceIdError`]: an empty app id or secret, an invalid base URL or
    /// order prefix, the emulator in a release build, Redis unreachable.
    pub async fn build(self) -> Result<FaceId, FaceIdError> {
        let (client, emulator) = match self.vendor {
            Vendor::Tencent { app_id, secret } => {
                let mut client = FaceIdClient::builder(app_id, secret);
                if let Some(base_url) = self.base_url {
                    client = client.base_url(base_url);
                }
                (client.build()?, None)
            }
            #[cfg(feature = "emulator")]
            Vendor::Emulator(emulator) => {
                emulator_allowed(cfg!(debug_assertions), self.emulator_in_release)?;
                (emulator.client(), Some(announce(emulator)))
            }
            #[cfg(feature = "emulator")]
            Vendor::StartEmulator => {
                emulator_allowed(cfg!(debug_assertions), self.emulator_in_release)?;
                let emulator = crate::emulator::Emulator::start()
                    .await
                    .map_err(FaceIdError::EmulatorStart)?;
                (emulator.client(), Some(announce(emulator)))
            }
        };

        #[cfg_attr(not(feature = "redis"), allow(unused_mut))]
        let (mut tickets, mut store) = (self.tickets, self.store);
        #[cfg(feature = "redis")]
        if let Some(url) = &self.redis_url {
            if tickets.is_none() || store.is_none() {
                let manager = crate::redis::connect(url).await?;
                if tickets.is_none() {
                    let redis =
                        crate::tickets::RedisTickets::builder(client.clone(), manager.clone());
                    tickets = Some(Arc::new(redis.build()) as Arc<dyn TicketProvider>);
                }
                if store.is_none() {
                    let redis = crate::orders::RedisOrderStore::new(manager);
                    store = Some(Arc::new(redis) as Arc<dyn OrderStore>);
                }
            }
        }
        let tickets: Arc<dyn TicketProvider> =
            tickets.unwrap_or_else(|| Arc::new(CachedTickets::builder(client.clone()).build()));
        let store: Arc<dyn OrderStore> = store.unwrap_or_else(|| Arc::new(MemoryOrderStore::new()));

        let mut verifier =
            CallbackVerifier::builder(client.app_id(), tickets.clone(), store.clone())
                .browser_binding(self.browser_binding)
                .clock(client.clock().clone());
        if self.confirm {
            verifier = verifier.confirm_with(client.clone());
        }
        let settler = self.settle.map(|configure| {
            let settler = Settler::builder(client.clone(), tickets.clone(), store.clone())
                .clock(client.clock().clone());
            configure(settler).build()
        });
        if let Some(settler) = &settler {
            verifier = verifier.settle_with(settler.clone());
        }
        let mut starter = SessionStarter::builder(client.clone(), tickets.clone(), store)
            .browser_binding(self.browser_binding);
        if let Some(ttl) = self.order_ttl {
            starter = starter.order_ttl(ttl);
        }
        if let Some(prefix) = self.order_prefix {
            starter = starter.order_prefix(prefix);
        }
        if let Some(admit) = self.admit {
            starter = starter.admit(admit);
        }
        Ok(FaceId {
            verifier: verifier.build()?,
            starter: starter.build()?,
            client,
            tickets,
            rejection_format: self.rejection_format,
            emulator,
            settler,
            order_ttl: self.order_ttl,
        })
    }
}

/// The emulator, when the feature is on; nothing can be one otherwise.
#[cfg(feature = "emulator")]
type EmulatorHandle = crate::emulator::Emulator;
#[cfg(not(feature = "emulator"))]
type EmulatorHandle = std::convert::Infallible;

/// Warns, loudly, that verification is emulated.
#[cfg(feature = "emulator")]
fn announce(emulator: EmulatorHandle) -> EmulatorHandle {
    tracing::warn!(
        base_url = %emulator.base_url(),
        "FACE VERIFICATION IS EMULATED: anyone who presses \"pass\" is verified. For development and tests only; configure FACEID_APP_ID and FACEID_SECRET for the vendor"
    );
    emulator
}

/// Whether the emulator may run: always in a debug build, in a release
/// build only when allowed.
#[cfg(feature = "emulator")]
fn emulator_allowed(debug_build: bool, allowed_in_release: bool) -> Result<(), FaceIdError> {
    if debug_build || allowed_in_release {
        Ok(())
    } else {
        Err(FaceIdError::EmulatorInRelease)
    }
}

/// The crate wired once: see the [module documentation](self).
///
/// Cheap to clone (a few `Arc`s): put it in your axum state or actix app
/// data (the actix [`Verified`](crate::actix::Verified) extractor finds a
/// `web::Data<FaceId>` there).
#[derive(Clone)]
pub struct FaceId {
    client: FaceIdClient,
    starter: SessionStarter,
    verifier: CallbackVerifier,
    tickets: Arc<dyn TicketProvider>,
    rejection_format: BodyFormat,
    emulator: Option<EmulatorHandle>,
    settler: Option<Settler>,
    order_ttl: Option<Duration>,
}

impl fmt::Debug for FaceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaceId")
            .field("client", &self.client)
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
    /// lifetime, when [`FaceIdBuilder::settle`] turned settlement on: start
    /// one per process (see [`FaceIdBuilder::settle`]).
    pub fn reconciler(&self) -> Option<ReconcilerBuilder> {
        let reconciler = Reconciler::builder(self.settler.clone()?);
        Some(match self.order_ttl {
            Some(ttl) => reconciler.deadline(ttl),
            None => reconciler,
        })
    }

    /// Starts configuring for the vendor with your WBappid and secret.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tencent_faceid::facade::FaceIdError> {
    /// use std::time::Duration;
    /// use tencent_faceid::FaceId;
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .order_ttl(Duration::from_secs(15 * 60))
    ///     .confirm(true)
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
    /// let face_id = FaceId::emulated(&emulator).build().await?;
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
        &self.client
    }

    /// Starts a session: [`SessionStarter::start`].
    ///
    /// # Errors
    /// [`StartError`].
    pub async fn start(&self, request: StartSession) -> Result<Started, StartError> {
        self.starter.start(request).await
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
        let tickets = self.tickets.sign_tickets().await?;
        let query = |tickets: Arc<crate::tickets::SignTickets>| async move {
            self.client
                .query_record(order_no, tickets.current.value(), options)
                .await
        };
        Ok(call_with_recovery(&*self.tickets, tickets, query).await?)
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
        self.emulator.is_some()
    }

    /// The emulator, when emulated.
    #[cfg(feature = "emulator")]
    pub fn emulator(&self) -> Option<&crate::emulator::Emulator> {
        self.emulator.as_ref()
    }
}

#[cfg(all(test, feature = "emulator"))]
mod tests {
    use super::*;

    #[test]
    fn the_emulator_is_refused_in_release_unless_allowed() {
        assert!(emulator_allowed(true, false).is_ok());
        assert!(emulator_allowed(false, true).is_ok());
        let error = emulator_allowed(false, false).unwrap_err();
        assert!(matches!(error, FaceIdError::EmulatorInRelease));
        assert!(error.to_string().contains("FACEID_EMULATOR_IN_RELEASE=1"));
    }
}
