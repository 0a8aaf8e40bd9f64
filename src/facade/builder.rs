//! [`FaceIdBuilder`]: what a [`FaceId`](super::FaceId) is made of, and how it is built.

use std::fmt;
use std::sync::Arc;

use super::backend::BackendSettings;
use super::database::{DatabaseConnector, DatabaseSettings};
use super::health::Readiness;
use super::vendor::Vendor;
use super::warm::WarmUp;
use crate::callback::CallbackVerifierBuilder;
use crate::orders::SettlementStore;
use crate::render::BodyFormat;
use crate::session::SessionStarterBuilder;
use crate::settle::SettlerBuilder;
use crate::tc3::Tc3Client;
use crate::tickets::TicketProvider;

/// Configures a [`FaceId`](super::FaceId); made by [`FaceId::builder`](super::FaceId::builder),
/// [`FaceId::with_client`](super::FaceId::with_client) or [`FaceIdBuilder::from_env`].
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
    pub(super) vendor: Vendor,
    /// The orders' and tickets' backends, as the setters said.
    pub(super) backend: BackendSettings,
    pub(super) callback_url: Option<String>,
    pub(super) callback_url_per_request: bool,
    pub(super) http_callback_in_release: bool,
    pub(super) browser_binding: bool,
    /// The WeChat edition's client, if any.
    pub(super) tc3: Option<Tc3Client>,
    pub(super) rejection_format: BodyFormat,
    pub(super) settle: Option<Configure<SettlerBuilder>>,
    pub(super) starter: Option<Configure<SessionStarterBuilder>>,
    pub(super) verifier: Option<Configure<CallbackVerifierBuilder>>,
    pub(super) warm_up: WarmUp,
    pub(super) readiness: Readiness,
}

/// What [`FaceIdBuilder::settle`], [`FaceIdBuilder::starter`] or
/// [`FaceIdBuilder::verifier`] does to the builder of its part.
pub(super) type Configure<B> = Box<dyn FnOnce(B) -> B + Send>;

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
            .field("settles", &self.settle.is_some())
            .finish_non_exhaustive()
    }
}

impl FaceIdBuilder {
    /// The defaults, for `vendor`.
    pub(super) fn new(vendor: Vendor) -> Self {
        Self {
            vendor,
            backend: BackendSettings::default(),
            callback_url: None,
            callback_url_per_request: false,
            http_callback_in_release: false,
            browser_binding: true,
            tc3: None,
            rejection_format: BodyFormat::Text,
            settle: None,
            starter: None,
            verifier: None,
            warm_up: WarmUp::default(),
            readiness: Readiness::default(),
        }
    }

    /// The WeChat edition's Tencent Cloud API 3.0 client ([`Wiring::wechat`](crate::wiring::Wiring::wechat)):
    /// with it, [`FaceId::start`](super::FaceId::start) takes `Edition::WeChat` (see
    /// [the WeChat edition](crate::wechat)). [`FaceIdBuilder::from_env`] reads it from the
    /// `FACEID_TC3_*` variables when `FACEID_TC3_SECRET_ID` is set.
    pub fn wechat(mut self, client: Tc3Client) -> Self {
        self.tc3 = Some(client);
        self
    }

    /// The vendor's base URL; default
    /// [`DEFAULT_BASE_URL`](crate::client::DEFAULT_BASE_URL). Ignored by
    /// a builder of [`FaceId::with_client`](super::FaceId::with_client), whose client has its own.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.vendor = self.vendor.base_url(base_url.into());
        self
    }

    /// Your callback route's absolute URL, where the browser comes back
    /// to after the vendor's page: [`FaceId::start`](super::FaceId::start) sends every
    /// [`StartSession::for_user`](crate::session::StartSession::for_user) there (a request's own
    /// [`StartSession::callback_url`](crate::session::StartSession::callback_url) wins). [`FaceIdBuilder::from_env`]
    /// reads it from `FACEID_CALLBACK_URL`; set here, it replaces that.
    ///
    /// # Errors
    /// At [build](Self::build): [`FaceIdError::CallbackUrl`](super::FaceIdError::CallbackUrl) when it is not
    /// an absolute http(s) URL; [`FaceIdError::NoCallbackUrl`](super::FaceIdError::NoCallbackUrl) when none
    /// is set and [`callback_url_per_request`](Self::callback_url_per_request)
    /// was not called; [`FaceIdError::HttpCallbackUrl`](super::FaceIdError::HttpCallbackUrl) for an `http://`
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
    /// ([`FaceIdError::NoCallbackUrl`](super::FaceIdError::NoCallbackUrl)) rather than a 500 on every start.
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

    /// Where SIGN and NONCE tickets come from; default
    /// [`CachedTickets`](crate::tickets::CachedTickets) on this app's client (or `RedisTickets` with
    /// `redis`, feature `redis`; or the database's with a database and no
    /// Redis).
    pub fn tickets(mut self, tickets: impl TicketProvider) -> Self {
        self.backend.tickets = Some(Arc::new(tickets));
        self
    }

    /// Where pending orders are kept. A [`SettlementStore`], as the
    /// [settler](Self::settle) needs one (all of this crate's stores are).
    ///
    /// One rule chooses the backend at [build](Self::build), whatever the
    /// order of the setters: a store given here wins, else PostgreSQL
    /// (`postgres`, feature `postgres`), else a connector's database
    /// ([`database`](Self::database)), else Redis (`redis`, feature `redis`),
    /// else a [`MemoryOrderStore`](crate::orders::MemoryOrderStore). The
    /// tickets follow one rule too: [`tickets`](Self::tickets) of your own
    /// win, else Redis's when Redis is configured, else the chosen
    /// database's, else [`CachedTickets`](crate::tickets::CachedTickets)
    /// on the client.
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
        self.backend.store = Some(Arc::new(store));
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
        self.backend.redis.topology = Some(topology);
        self
    }

    /// The key prefix of the Redis tickets and orders [`redis`](Self::redis)
    /// makes; default [`crate::redis::DEFAULT_PREFIX`]. Every key also
    /// holds the app id, so apps sharing one Redis need no prefix of their
    /// own; give one to keep environments (or tests) apart.
    #[cfg(feature = "redis")]
    pub fn redis_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.backend.redis.prefix = Some(prefix.into());
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
        self.backend.postgres.url = Some(url.into());
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
        self.backend.postgres.pool = Some(pool);
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
        self.backend.postgres.pool_options = options;
        self
    }

    /// The longest one call of the PostgreSQL order store may take;
    /// default 5 s (see
    /// [`PostgresOrderStoreBuilder::timeout`](crate::orders::PostgresOrderStoreBuilder::timeout)).
    #[cfg(feature = "postgres")]
    pub fn postgres_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.backend.postgres.timeout = Some(timeout);
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
    /// [`FaceIdError::NoDatabaseConnector`](super::FaceIdError::NoDatabaseConnector) when no connector opens it.
    pub fn database(mut self, settings: DatabaseSettings) -> Self {
        self.backend.database = Some(settings);
        self
    }

    /// Lets [`database`](Self::database) (and so `FACEID_DATABASE_URL`)
    /// open the URLs of `connector`'s schemes: for MySQL and MariaDB,
    /// `tencent_faceid_mysql::MySqlConnector` (a crate of its own, so that
    /// users of other databases do not carry its driver).
    pub fn database_connector(mut self, connector: impl DatabaseConnector) -> Self {
        self.backend.connectors.push(Arc::new(connector));
        self
    }

    /// The schema of the PostgreSQL order store [`postgres`](Self::postgres)
    /// makes; default `faceid`
    /// (`PostgresOrderStoreBuilder::DEFAULT_SCHEMA`).
    #[cfg(feature = "postgres")]
    pub fn postgres_schema(mut self, schema: impl Into<String>) -> Self {
        self.backend.postgres.schema = Some(schema.into());
        self
    }

    /// Configures the [`SessionStarter`](crate::session::SessionStarter) through its own builder, whose
    /// defaults are the starter's (orders live 30 min, order numbers start
    /// with `fid`; see [`SessionStarterBuilder`]). Each call adds to the
    /// previous ones ([`FaceIdBuilder::from_env`] sets the App SDK licence
    /// of `FACEID_KEY_LICENCE` this way).
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

    /// Configures the [`CallbackVerifier`](crate::callback::CallbackVerifier) through its own builder, whose
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
    /// app's [`Wiring::browser_binding`](crate::wiring::Wiring::browser_binding) (which says why it is on by
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
    /// [`Settler`](crate::settle::Settler) (its `on_settled` hook, evidence, delays) that the
    /// verifier and [`FaceId::reconciler`](super::FaceId::reconciler) share. Off by default. Each call
    /// adds to the previous ones.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid::settle::Settlement;
    /// use tencent_faceid::FaceId;
    /// # let emulator = tencent_faceid_emulator::Emulator::start().await?;
    /// let face_id = emulator.face_id()
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

    /// When [`FaceId::health`](super::FaceId::health) calls the instance ready (default
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
}
