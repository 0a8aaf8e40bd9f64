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
//! // FACEID_APP_ID, FACEID_SECRET and FACEID_CALLBACK_URL
//! // (FACEID_BASE_URL, FACEID_REDIS_URL optional).
//! # let vars = |name: &str| match name {
//! #     "FACEID_APP_ID" => Some("appId001".to_owned()),
//! #     "FACEID_SECRET" => Some("secret".to_owned()),
//! #     "FACEID_CALLBACK_URL" => Some("https://shop.example/face/callback".to_owned()),
//! #     _ => None,
//! # };
//! # let face_id = tencent_faceid::facade::FaceIdBuilder::from_vars(vars)?;
//! # let face_id = face_id.warm_up(tencent_faceid::facade::WarmUp::Off).build().await?;
//! # if false {
//! let face_id = FaceId::from_env().await?;
//! # }
//! let starter = face_id.starter(); // starts sessions
//! let verifier = face_id.verifier(); // checks callbacks (the layer and extractors use it)
//! assert_eq!(face_id.client().app_id(), verifier.app_id());
//! # Ok(()) }
//! ```
//!
//! In development and tests, the crate `tencent-faceid-emulator` stands in
//! for the vendor: its `Emulator::face_id` is a [`FaceIdBuilder`] on a
//! local emulator ([`FaceId::with_client`]), and its `FromEnvOrEmulator`
//! falls back to one when the environment configures no vendor.

use std::fmt;
use std::sync::Arc;

use crate::callback::CallbackVerifier;
use crate::client::{ClientError, FaceIdClient};
use crate::ids::OrderNo;
use crate::orders::{Retention, SettlementStore};
use crate::render::BodyFormat;
use crate::result_query::{QueryOptions, VerificationResult};
use crate::sdk::{SdkLaunch, SdkResult};
use crate::secret::Secret;
use crate::session::{SessionStarter, StartError, StartSession, Started};
use crate::settle::{Purger, PurgerBuilder, Reconciler, ReconcilerBuilder, Settler};
use crate::tickets::{TicketError, call_with_recovery};
use crate::wiring::Wiring;

mod backend;
mod build;
mod builder;
mod database;
mod env;
mod error;
mod health;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;
mod release;
mod vendor;
mod warm;

pub use builder::FaceIdBuilder;
pub use database::{DatabaseConnector, DatabaseParts, DatabaseSettings};
pub use env::{database_settings, vars};
pub use error::FaceIdError;
pub use health::{HealthReport, Readiness, StoreHealth, TicketHealth};
use vendor::Vendor;
pub use warm::WarmUp;

/// The vendor's result of a verification could not be fetched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResultQueryError {
    /// No SIGN ticket to sign the query with.
    #[error(transparent)]
    Tickets(#[from] TicketError),
    /// The vendor refused or could not be reached; an order it has no
    /// record of is [`ClientError::Vendor`] with
    /// [`ResultCode::NoRecord`](crate::result_code::ResultCode::NoRecord).
    #[error(transparent)]
    Vendor(#[from] ClientError),
}

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
            base_url: None,
        })
    }

    /// Starts configuring for a vendor client you configured yourself
    /// (its app id, secret, base URL, clock): a vendor endpoint of your
    /// own, or a stand-in such as `tencent-faceid-emulator`'s
    /// `Emulator::face_id`, which uses this. The facade's
    /// [`base_url`](FaceIdBuilder::base_url) is the client's then.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid::client::FaceIdClient;
    /// use tencent_faceid::facade::WarmUp;
    /// use tencent_faceid::FaceId;
    /// let client = FaceIdClient::builder("appId001", "secret")
    ///     .base_url("https://kyc.internal.example/")
    ///     .build()?;
    /// let face_id = FaceId::with_client(client)
    ///     .callback_url("https://shop.example/face/callback")
    ///     .warm_up(WarmUp::Off)
    ///     .build()
    ///     .await?;
    /// assert_eq!(face_id.client().base_url().as_str(), "https://kyc.internal.example/");
    /// # Ok(()) }
    /// ```
    pub fn with_client(client: FaceIdClient) -> FaceIdBuilder {
        FaceIdBuilder::new(Vendor::Client(client))
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
    /// photo ([`Files::Photo`](crate::result_query::Files::Photo)) after a
    /// callback. Records last three days.
    ///
    /// # Errors
    /// [`ResultQueryError`].
    pub async fn query_record(
        &self,
        order_no: &OrderNo,
        options: QueryOptions,
    ) -> Result<VerificationResult, ResultQueryError> {
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
}
