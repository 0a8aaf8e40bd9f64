//! [`FaceIdBuilder`]: what a [`FaceId`] is made of, and how it is built.

use std::fmt;
use std::sync::Arc;

use super::database::{DatabaseConnector, DatabaseSettings};
use super::health::Readiness;
use super::release::Release;
use super::warm::{WarmUp, warm_up};
use super::{FaceId, FaceIdError};
use crate::callback::{CallbackVerifier, CallbackVerifierBuilder};
use crate::client::FaceIdClient;
use crate::orders::{MemoryOrderStore, SettlementStore};
use crate::render::BodyFormat;
use crate::secret::Secret;
use crate::session::{SessionStarter, SessionStarterBuilder};
use crate::settle::{Settler, SettlerBuilder};
use crate::tc3::Tc3Client;
use crate::tickets::{CachedTickets, TicketProvider};
use crate::wiring::Wiring;

/// Who answers the vendor's calls.
pub(super) enum Vendor {
    Tencent {
        app_id: String,
        secret: Secret,
    },
    /// An emulator in another process, at `base_url` (`FACEID_EMULATOR_URL`).
    SharedEmulator {
        base_url: String,
        app_id: String,
        secret: Secret,
    },
    #[cfg(feature = "emulator")]
    Emulator(crate::emulator::Emulator),
    #[cfg(feature = "emulator")]
    StartEmulator,
}

/// Configures a [`FaceId`]; made by [`FaceId::builder`],
/// `FaceId::emulated` (feature `emulator`) or [`FaceIdBuilder::from_env`].
///
/// Defaults: cached tickets and an in-memory order store (or both in Redis
/// with `redis`, feature `redis`; or both in the database with a database
/// and no Redis: [`postgres`](Self::postgres), [`database`](Self::database)),
/// browser binding on (the wiring's
/// default: see [`browser_binding`](Self::browser_binding)), plain-text
/// rejections, no settlement; the starter and the verifier with their own
/// builders' defaults ([`starter`](Self::starter),
/// [`verifier`](Self::verifier): orders live 30 min, passes not confirmed
/// with the vendor's record, which judges callbacks signed with a ticket
/// this server never saw).
pub struct FaceIdBuilder {
    vendor: Vendor,
    base_url: Option<String>,
    tickets: Option<Arc<dyn TicketProvider>>,
    store: Option<Arc<dyn SettlementStore>>,
    callback_url: Option<String>,
    callback_url_per_request: bool,
    http_callback_in_release: bool,
    #[cfg(feature = "redis")]
    redis: Option<crate::redis::RedisTopology>,
    #[cfg(feature = "redis")]
    redis_prefix: Option<String>,
    #[cfg(feature = "postgres")]
    pub(super) postgres: super::postgres::PostgresSettings,
    database: Option<DatabaseSettings>,
    connectors: Vec<Arc<dyn DatabaseConnector>>,
    browser_binding: bool,
    /// The WeChat edition's client, if any.
    tc3: Option<Tc3Client>,
    rejection_format: BodyFormat,
    emulator_in_release: bool,
    /// The emulator was chosen because no vendor is configured
    /// ([`FaceIdBuilder::from_env_or_emulator`]).
    pub(super) emulator_for_want_of_vendor: bool,
    settle: Option<Configure<SettlerBuilder>>,
    starter: Option<Configure<SessionStarterBuilder>>,
    verifier: Option<Configure<CallbackVerifierBuilder>>,
    warm_up: WarmUp,
    readiness: Readiness,
}

/// What [`FaceIdBuilder::settle`], [`FaceIdBuilder::starter`] or
/// [`FaceIdBuilder::verifier`] does to the builder of its part.
type Configure<B> = Box<dyn FnOnce(B) -> B + Send>;

/// `then` after `first`, if any.
fn and_then<B: 'static>(
    first: Option<Configure<B>>,
    then: impl FnOnce(B) -> B + Send + 'static,
) -> Configure<B> {
    match first {
        Some(first) => Box::new(move |builder| then(first(builder))),
        None => Box::new(then),
    }
}

impl fmt::Debug for FaceIdBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaceIdBuilder")
            .field("emulated", &!matches!(self.vendor, Vendor::Tencent { .. }))
            .field("settles", &self.settle.is_some())
            .finish_non_exhaustive()
    }
}

impl FaceIdBuilder {
    /// The defaults, for `vendor`.
    pub(super) fn new(vendor: Vendor) -> Self {
        Self {
            vendor,
            base_url: None,
            tickets: None,
            store: None,
            callback_url: None,
            callback_url_per_request: false,
            http_callback_in_release: false,
            #[cfg(feature = "redis")]
            redis: None,
            #[cfg(feature = "redis")]
            redis_prefix: None,
            #[cfg(feature = "postgres")]
            postgres: super::postgres::PostgresSettings::default(),
            database: None,
            connectors: Vec::new(),
            browser_binding: true,
            tc3: None,
            rejection_format: BodyFormat::Text,
            emulator_in_release: false,
            emulator_for_want_of_vendor: false,
            settle: None,
            starter: None,
            verifier: None,
            warm_up: WarmUp::default(),
            readiness: Readiness::default(),
        }
    }

    /// The WeChat edition's Tencent Cloud API 3.0 client ([`Wiring::wechat`]):
    /// with it, [`FaceId::start`] takes `Edition::WeChat` (see
    /// [`crate::wechat`]). [`FaceIdBuilder::from_env`] reads it from the
    /// `FACEID_TC3_*` variables when `FACEID_TC3_SECRET_ID` is set; an
    /// emulated `FaceId` uses the emulator's unless given another.
    pub fn wechat(mut self, client: Tc3Client) -> Self {
        self.tc3 = Some(client);
        self
    }

    /// The vendor's base URL; default
    /// [`DEFAULT_BASE_URL`](crate::client::DEFAULT_BASE_URL). Ignored by
    /// an emulated `FaceId`.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// Your callback route's absolute URL, where the browser comes back
    /// to after the vendor's page: [`FaceId::start`] sends every
    /// [`StartSession::for_user`](crate::session::StartSession::for_user) there (a request's own
    /// [`StartSession::callback_url`](crate::session::StartSession::callback_url) wins). [`FaceIdBuilder::from_env`]
    /// reads it from `FACEID_CALLBACK_URL`; set here, it replaces that.
    ///
    /// # Errors
    /// At [build](Self::build): [`FaceIdError::CallbackUrl`] when it is not
    /// an absolute http(s) URL; [`FaceIdError::NoCallbackUrl`] when none
    /// is set and [`callback_url_per_request`](Self::callback_url_per_request)
    /// was not called; [`FaceIdError::HttpCallbackUrl`] for an `http://`
    /// URL in a release build, unless its host is loopback or
    /// [`allow_http_callback_url`](Self::allow_http_callback_url) says so.
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// Builds without a callback URL: every [`StartSession`](crate::session::StartSession)
    /// of the H5 editions brings its own
    /// ([`StartSession::new`](crate::session::StartSession::new)), or the
    /// app starts App SDK sessions only. Without it, a `FaceId` with no
    /// [callback URL](Self::callback_url) is a build error
    /// ([`FaceIdError::NoCallbackUrl`]) rather than a 500 on every start.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tencent_faceid::facade::FaceIdError> {
    /// use tencent_faceid::facade::{FaceIdError, WarmUp};
    /// use tencent_faceid::FaceId;
    /// let built = FaceId::builder("appId001", "secret").warm_up(WarmUp::Off).build().await;
    /// assert!(matches!(built, Err(FaceIdError::NoCallbackUrl)));
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .callback_url_per_request()
    ///     .warm_up(WarmUp::Off)
    ///     .build()
    ///     .await?;
    /// assert!(face_id.callback_url().is_none());
    /// # Ok(()) }
    /// ```
    pub fn callback_url_per_request(mut self) -> Self {
        self.callback_url_per_request = true;
        self
    }

    /// Allows an `http://` [callback URL](Self::callback_url) whose host
    /// is not loopback in a release build (refused there by default: the
    /// callback and its binding cookie, which is `Secure` only for an
    /// `https` callback URL, would travel in clear). For a release build
    /// that really is not production; [`FaceIdBuilder::from_env`] reads
    /// it from `FACEID_HTTP_CALLBACK_IN_RELEASE=1`.
    pub fn allow_http_callback_url(mut self, allow: bool) -> Self {
        self.http_callback_in_release = allow;
        self
    }

    /// `url` as the callback URL unless one is set (by
    /// `FACEID_CALLBACK_URL`).
    pub(super) fn or_callback_url(mut self, url: &str) -> Self {
        self.callback_url.get_or_insert_with(|| url.to_owned());
        self
    }

    /// Where SIGN and NONCE tickets come from; default
    /// [`CachedTickets`] on this app's client (or `RedisTickets` with
    /// `redis`, feature `redis`; or the database's with a database and no
    /// Redis).
    pub fn tickets(mut self, tickets: impl TicketProvider) -> Self {
        self.tickets = Some(Arc::new(tickets));
        self
    }

    /// Where pending orders are kept; default a [`MemoryOrderStore`] (or
    /// `RedisOrderStore` with `redis`, feature `redis`). A
    /// [`SettlementStore`], as the [settler](Self::settle) needs one (all
    /// of this crate's stores are).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid::facade::WarmUp;
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::FaceId;
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .callback_url("https://shop.example/face/callback")
    ///     .store(MemoryOrderStore::with_capacity(10_000))
    ///     .warm_up(WarmUp::Off)
    ///     .build()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn store(mut self, store: impl SettlementStore) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Shares tickets and orders between instances through the Redis at
    /// `url` (`RedisTickets`, `RedisOrderStore` with their defaults); a
    /// [`tickets`](Self::tickets) or [`store`](Self::store) of your own
    /// takes precedence. Connected by [`build`](Self::build), which
    /// [probes](crate::redis::probe) it (version 5.0 or later, Lua scripts
    /// allowed).
    #[cfg(feature = "redis")]
    pub fn redis(self, url: impl Into<String>) -> Self {
        self.redis_topology(crate::redis::RedisTopology::Standalone(url.into()))
    }

    /// Like [`redis`](Self::redis), through a Redis Cluster or the master
    /// of a set of Redis Sentinels (followed across failovers).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid::FaceId;
    /// use tencent_faceid::redis::RedisTopology;
    /// let sentinels = "redis://10.0.0.1:26379,redis://10.0.0.2:26379";
    /// let topology = RedisTopology::parse(sentinels, Some("sentinel"), Some("mymaster"))?;
    /// let faceid = FaceId::builder("TIDAxxxx", "secret")
    ///     .callback_url("https://shop.example/face/callback")
    ///     .redis_topology(topology)
    ///     .build()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "redis")]
    pub fn redis_topology(mut self, topology: crate::redis::RedisTopology) -> Self {
        self.redis = Some(topology);
        self
    }

    /// The key prefix of the Redis tickets and orders [`redis`](Self::redis)
    /// makes; default [`crate::redis::DEFAULT_PREFIX`]. Every key also
    /// holds the app id, so apps sharing one Redis need no prefix of their
    /// own; give one to keep environments (or tests) apart.
    #[cfg(feature = "redis")]
    pub fn redis_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.redis_prefix = Some(prefix.into());
        self
    }

    /// Keeps orders and settlements in the PostgreSQL at `url`
    /// (`postgres://user:password@host:port/database`): a
    /// `PostgresOrderStore` of this app id, in the schema
    /// [`postgres_schema`](Self::postgres_schema). A [`store`](Self::store)
    /// of your own takes precedence; with `redis` (feature `redis`) too,
    /// Redis keeps the tickets and PostgreSQL the orders. Without Redis or
    /// [`tickets`](Self::tickets) of your own, the schema keeps the access
    /// token and SIGN ticket too (`tickets::PostgresTickets`): several
    /// instances fetch one token, and a restart keeps the pair. Connected by
    /// [`build`](Self::build), which fails unless the schema was migrated
    /// (`PostgresOrderStoreBuilder::migrate`, at deployment): it never
    /// creates tables itself.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid::FaceId;
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .callback_url("https://shop.example/face/callback")
    ///     .postgres("postgres://app@db/app")
    ///     .build()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    ///
    /// The pool it connects has the bounds of
    /// [`postgres_pool_options`](Self::postgres_pool_options); bring a pool
    /// of your own with [`postgres_pool`](Self::postgres_pool) instead.
    #[cfg(feature = "postgres")]
    pub fn postgres(mut self, url: impl Into<String>) -> Self {
        self.postgres.url = Some(url.into());
        self
    }

    /// Keeps orders and settlements in PostgreSQL through a pool of your
    /// own (made with [`crate::sqlx`], so that its version is the crate's),
    /// as [`postgres`](Self::postgres) does with a URL; it takes precedence
    /// over a URL. Give it bounds a web request can live with (see
    /// [`PostgresPoolOptions`](crate::orders::PostgresPoolOptions)).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use tencent_faceid::FaceId;
    /// use tencent_faceid::sqlx::postgres::PgPoolOptions;
    /// let pool = PgPoolOptions::new()
    ///     .max_connections(30)
    ///     .acquire_timeout(Duration::from_secs(1))
    ///     .connect("postgres://app@db/app")
    ///     .await?;
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .callback_url("https://shop.example/face/callback")
    ///     .postgres_pool(pool)
    ///     .build()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "postgres")]
    pub fn postgres_pool(mut self, pool: sqlx::PgPool) -> Self {
        self.postgres.pool = Some(pool);
        self
    }

    /// The bounds of the pool [`postgres`](Self::postgres) connects;
    /// default [`PostgresPoolOptions::new`](crate::orders::PostgresPoolOptions::new)
    /// (10 connections, acquire 2 s, statements 3 s).
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid::FaceId;
    /// use tencent_faceid::orders::PostgresPoolOptions;
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .callback_url("https://shop.example/face/callback")
    ///     .postgres("postgres://app@db/app")
    ///     .postgres_pool_options(PostgresPoolOptions::new().max_connections(30))
    ///     .build()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    #[cfg(feature = "postgres")]
    pub fn postgres_pool_options(mut self, options: crate::orders::PostgresPoolOptions) -> Self {
        self.postgres.pool_options = options;
        self
    }

    /// The longest one call of the PostgreSQL order store may take;
    /// default 5 s (see
    /// [`PostgresOrderStoreBuilder::timeout`](crate::orders::PostgresOrderStoreBuilder::timeout)).
    #[cfg(feature = "postgres")]
    pub fn postgres_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.postgres.timeout = Some(timeout);
        self
    }

    /// Keeps orders and settlements in the database `settings` describe,
    /// opened by the [`database_connector`](Self::database_connector) of
    /// its URL's scheme (what `from_env` does with
    /// `FACEID_DATABASE_URL=mysql://…`); a [`store`](Self::store) of your
    /// own takes precedence. Without Redis or [`tickets`](Self::tickets) of
    /// your own, the database keeps the access token and SIGN ticket too
    /// ([`DatabaseConnector::connect_with_tickets`]). Opened by
    /// [`build`](Self::build), which fails with
    /// [`FaceIdError::NoDatabaseConnector`] when no connector opens it.
    pub fn database(mut self, settings: DatabaseSettings) -> Self {
        self.database = Some(settings);
        self
    }

    /// Lets [`database`](Self::database) (and so `FACEID_DATABASE_URL`)
    /// open the URLs of `connector`'s schemes: for MySQL and MariaDB,
    /// `tencent_faceid_mysql::MySqlConnector` (a crate of its own, so that
    /// users of other databases do not carry its driver).
    pub fn database_connector(mut self, connector: impl DatabaseConnector) -> Self {
        self.connectors.push(Arc::new(connector));
        self
    }

    /// The schema of the PostgreSQL order store [`postgres`](Self::postgres)
    /// makes; default `faceid`
    /// (`PostgresOrderStoreBuilder::DEFAULT_SCHEMA`).
    #[cfg(feature = "postgres")]
    pub fn postgres_schema(mut self, schema: impl Into<String>) -> Self {
        self.postgres.schema = Some(schema.into());
        self
    }

    /// Configures the [`SessionStarter`] through its own builder, whose
    /// defaults are the starter's (orders live 30 min, order numbers start
    /// with `fid`; see [`SessionStarterBuilder`]). Each call adds to the
    /// previous ones. With the emulator, the starter has its App SDK
    /// licence unless `configure` sets one ([`FaceIdBuilder::from_env`]
    /// sets `FACEID_KEY_LICENCE`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tencent_faceid::facade::FaceIdError> {
    /// use std::time::Duration;
    /// use tencent_faceid::facade::WarmUp;
    /// use tencent_faceid::FaceId;
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .callback_url("https://shop.example/face/callback")
    ///     .starter(|starter| starter.order_ttl(Duration::from_secs(15 * 60)).order_prefix("shop"))
    ///     .warm_up(WarmUp::Off)
    ///     .build()
    ///     .await?;
    /// assert_eq!(face_id.starter().order_ttl(), Duration::from_secs(15 * 60));
    /// # Ok(()) }
    /// ```
    pub fn starter(
        mut self,
        configure: impl FnOnce(SessionStarterBuilder) -> SessionStarterBuilder + Send + 'static,
    ) -> Self {
        self.starter = Some(and_then(self.starter.take(), configure));
        self
    }

    /// Configures the [`CallbackVerifier`] through its own builder, whose
    /// defaults are the verifier's (passes not confirmed, the vendor's
    /// record judging callbacks signed with a ticket this server never
    /// saw; see [`CallbackVerifierBuilder`]).
    /// Each call adds to the previous ones.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tencent_faceid::facade::FaceIdError> {
    /// use tencent_faceid::facade::WarmUp;
    /// use tencent_faceid::FaceId;
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .callback_url("https://shop.example/face/callback")
    ///     .verifier(|verifier| verifier.confirm(true))
    ///     .warm_up(WarmUp::Off)
    ///     .build()
    ///     .await?;
    /// assert!(face_id.verifier().confirms() && face_id.verifier().binds_browsers());
    /// # Ok(()) }
    /// ```
    pub fn verifier(
        mut self,
        configure: impl FnOnce(CallbackVerifierBuilder) -> CallbackVerifierBuilder + Send + 'static,
    ) -> Self {
        self.verifier = Some(and_then(self.verifier.take(), configure));
        self
    }

    /// Whether each session is bound to the browser that starts it: the
    /// app's [`Wiring::browser_binding`] (which says why it is on by
    /// default), read by the starter and the verifier alike.
    ///
    /// With binding on, the starter's
    /// [`Started::binding`](crate::session::Started::binding) cookie must
    /// reach the browser: answer with the
    /// [`Started`](crate::session::Started) itself (it is an axum
    /// `IntoResponse` and an actix `Responder`), or set its `Set-Cookie` on
    /// your redirect.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tencent_faceid::facade::FaceIdError> {
    /// use tencent_faceid::facade::WarmUp;
    /// use tencent_faceid::FaceId;
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .callback_url("https://shop.example/face/callback")
    ///     .browser_binding(false)
    ///     .warm_up(WarmUp::Off)
    ///     .build()
    ///     .await?;
    /// assert!(!face_id.starter().binds_browsers() && !face_id.verifier().binds_browsers());
    /// # Ok(()) }
    /// ```
    pub fn browser_binding(mut self, on: bool) -> Self {
        self.browser_binding = on;
        self
    }

    /// Answers rejected callbacks as JSON (`{"error", "message"}`) instead
    /// of plain text, in the tower layer and the actix extractor alike.
    pub fn json_rejections(mut self) -> Self {
        self.rejection_format = BodyFormat::Json;
        self
    }

    /// Settles every order exactly once (passed, failed, abandoned) by its
    /// callback or by a [`Reconciler`](crate::settle::Reconciler):
    /// `configure` sets up the
    /// [`Settler`] (its `on_settled` hook, evidence, delays) that the
    /// verifier and [`FaceId::reconciler`] share. Off by default. Each call
    /// adds to the previous ones.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid::settle::Settlement;
    /// use tencent_faceid::FaceId;
    /// # let emulator = tencent_faceid::emulator::Emulator::start().await?;
    /// let face_id = FaceId::emulated(&emulator)
    ///     .callback_url("https://shop.example/face/callback")
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
        self.settle = Some(and_then(self.settle.take(), configure));
        self
    }

    /// Whether [`build`](Self::build) fetches the access token and SIGN
    /// ticket before returning, so that the first user does not wait for
    /// them; default [`WarmUp::BestEffort`] (a vendor out of reach is a
    /// warning, not a failure to start).
    pub fn warm_up(mut self, mode: WarmUp) -> Self {
        self.warm_up = mode;
        self
    }

    /// When [`FaceId::health`] calls the instance ready (default
    /// [`Readiness::default`]).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), tencent_faceid::facade::FaceIdError> {
    /// use std::time::Duration;
    /// use tencent_faceid::facade::{Readiness, WarmUp};
    /// use tencent_faceid::FaceId;
    /// let face_id = FaceId::builder("appId001", "secret")
    ///     .callback_url("https://shop.example/face/callback")
    ///     .readiness(Readiness::default().max_store_latency(Duration::from_millis(300)))
    ///     .warm_up(WarmUp::Off)
    ///     .build()
    ///     .await?;
    /// assert!(face_id.health().await.ready, "a memory store, no vendor call yet");
    /// # Ok(()) }
    /// ```
    pub fn readiness(mut self, readiness: Readiness) -> Self {
        self.readiness = readiness;
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
    /// Then fetches the access token and SIGN ticket as
    /// [`warm_up`](Self::warm_up) says.
    ///
    /// # Errors
    /// [`FaceIdError`]: an empty app id or secret, an invalid base URL or
    /// order prefix, no callback URL, an `http://` callback URL in a
    /// release build, the emulator in a release build, Redis unreachable
    /// or lacking a capability (`redis::probe`, feature `redis`),
    /// PostgreSQL unreachable or its schema not migrated, the vendor
    /// refusing the app id or secret at warm-up (unless [`WarmUp::Off`]),
    /// the vendor out of reach with [`WarmUp::Strict`].
    ///
    /// In a debug build, what a release build would refuse (the emulator,
    /// an `http://` callback URL) is said once on stderr, with or without
    /// a `tracing` subscriber.
    pub async fn build(self) -> Result<FaceId, FaceIdError> {
        let release = Release {
            build: !cfg!(debug_assertions),
            emulator_allowed: self.emulator_in_release,
            http_callback_allowed: self.http_callback_in_release,
        };
        let callback_url = match &self.callback_url {
            Some(url) => Some(release.check_callback_url(parse_callback_url(url)?)?),
            None if self.callback_url_per_request => None,
            None => return Err(FaceIdError::NoCallbackUrl),
        };
        let emulated = !matches!(self.vendor, Vendor::Tencent { .. });
        if emulated {
            release.check_emulator()?;
        }
        if let Some(line) = release.refusals_line(emulated, callback_url.as_ref()) {
            say_once(&line);
        }
        let shared_emulator = matches!(self.vendor, Vendor::SharedEmulator { .. });
        #[cfg_attr(not(feature = "emulator"), allow(unused_mut))]
        let mut key_licence: Option<Secret> = None;
        #[cfg_attr(not(feature = "emulator"), allow(unused_mut))]
        let mut tc3 = self.tc3;
        let (client, emulator) = match self.vendor {
            Vendor::Tencent { app_id, secret } => {
                let mut client = FaceIdClient::builder(app_id, secret);
                if let Some(base_url) = self.base_url {
                    client = client.base_url(base_url);
                }
                (client.build()?, None)
            }
            Vendor::SharedEmulator {
                base_url,
                app_id,
                secret,
            } => {
                let client = FaceIdClient::builder(app_id, secret).base_url(base_url.as_str());
                tracing::warn!(
                    %base_url,
                    "FACE VERIFICATION IS EMULATED by the shared emulator at FACEID_EMULATOR_URL: anyone who presses \"pass\" is verified. For development and staging only"
                );
                (client.build()?, None)
            }
            #[cfg(feature = "emulator")]
            Vendor::Emulator(emulator) => {
                key_licence = Some(emulator.key_licence().into());
                tc3.get_or_insert_with(|| emulator.tc3_client());
                (emulator.client(), Some(announce(emulator)))
            }
            #[cfg(feature = "emulator")]
            Vendor::StartEmulator => {
                let emulator = crate::emulator::Emulator::start()
                    .await
                    .map_err(FaceIdError::EmulatorStart)?;
                if self.emulator_for_want_of_vendor {
                    // Chosen for the user, not by them: said where it is
                    // seen without a tracing subscriber too.
                    eprintln!(
                        "tencent-faceid: no FACEID_APP_ID is set, so this debug build verifies faces with the local emulator at {} (anyone who presses \"pass\" is verified); set FACEID_APP_ID and FACEID_SECRET to use the vendor",
                        emulator.base_url()
                    );
                }
                key_licence = Some(emulator.key_licence().into());
                tc3.get_or_insert_with(|| emulator.tc3_client());
                (emulator.client(), Some(announce(emulator)))
            }
        };

        let mut tickets = self.tickets;
        let mut store = self.store;
        // The database shares the tickets too when nothing else does.
        #[cfg(feature = "redis")]
        let redis_shares = self.redis.is_some();
        #[cfg(not(feature = "redis"))]
        let redis_shares = false;
        let database_tickets = tickets.is_none() && !redis_shares;
        #[cfg(feature = "postgres")]
        if store.is_none()
            && let Some((postgres, shared)) = self.postgres.open(&client, database_tickets).await?
        {
            (store, tickets) = (Some(postgres), tickets.or(shared));
        }
        if let (None, Some(database)) = (&store, &self.database) {
            let (opened, shared) = database
                .open(&self.connectors, &client, database_tickets)
                .await?;
            (store, tickets) = (Some(opened), tickets.or(shared));
        }
        #[cfg(feature = "redis")]
        if let Some(topology) = &self.redis
            && (tickets.is_none() || store.is_none())
        {
            let connection = topology.connect().await?;
            let prefix = self.redis_prefix.as_deref();
            let prefix = prefix.unwrap_or(crate::redis::DEFAULT_PREFIX);
            let probe_key = format!("{prefix}{{{}}}:probe", client.app_id());
            crate::redis::probe(&connection, &probe_key, false).await?;
            if tickets.is_none() {
                let redis =
                    crate::tickets::RedisTickets::builder(client.clone(), connection.clone());
                let redis = redis.prefix(prefix).build();
                tickets = Some(Arc::new(redis) as Arc<dyn TicketProvider>);
            }
            if store.is_none() {
                let redis = crate::orders::RedisOrderStore::builder(connection, client.app_id());
                let redis = redis.prefix(prefix).build();
                store = Some(Arc::new(redis) as Arc<dyn SettlementStore>);
            }
        }
        let tickets: Arc<dyn TicketProvider> =
            tickets.unwrap_or_else(|| Arc::new(CachedTickets::builder(client.clone()).build()));
        let store: Arc<dyn SettlementStore> =
            store.unwrap_or_else(|| Arc::new(MemoryOrderStore::new()));
        let mut wiring =
            Wiring::shared(client, tickets, store).browser_binding(self.browser_binding);
        if let Some(tc3) = tc3 {
            wiring = wiring.wechat(tc3);
        }

        let settler = self
            .settle
            .map(|configure| configure(Settler::on(wiring.clone())).build());
        let verifier = match &settler {
            Some(settler) => CallbackVerifier::settling(settler),
            None => CallbackVerifier::builder(&wiring),
        };
        let verifier = match self.verifier {
            Some(configure) => configure(verifier),
            None => verifier,
        };
        let mut starter = SessionStarter::builder(&wiring);
        if let Some(licence) = key_licence {
            starter = starter.key_licence(licence);
        }
        let starter = match self.starter {
            Some(configure) => configure(starter),
            None => starter,
        };
        let (verifier, starter) = (verifier.build()?, starter.build()?);
        warm_up(wiring.tickets(), self.warm_up).await?;
        Ok(FaceId {
            callback_url,
            verifier,
            starter,
            wiring,
            rejection_format: self.rejection_format,
            emulated: emulator.is_some() || shared_emulator,
            emulator,
            settler,
            readiness: self.readiness,
        })
    }
}

/// `url` as a callback URL: absolute, http or https.
fn parse_callback_url(url: &str) -> Result<url::Url, FaceIdError> {
    match url::Url::parse(url.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        _ => Err(FaceIdError::CallbackUrl),
    }
}

/// Warns, loudly, that verification is emulated.
#[cfg(feature = "emulator")]
fn announce(emulator: crate::emulator::Emulator) -> crate::emulator::Emulator {
    tracing::warn!(
        base_url = %emulator.base_url(),
        "FACE VERIFICATION IS EMULATED: anyone who presses \"pass\" is verified. For development and tests only; configure FACEID_APP_ID and FACEID_SECRET for the vendor"
    );
    emulator
}

/// Prints `line` on stderr, once per process.
fn say_once(line: &str) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| eprintln!("{line}"));
}
