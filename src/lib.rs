// The README's screenshot, for rustdoc, which cannot reach `docs/demo.png`:
// the first definition of a link reference wins, so this one (the same
// image, inline) stands in for the README's relative one.
#![doc = concat!("[demo-screenshot]: data:image/png;base64,", include_str!("../docs/demo.png.b64"))]
#![doc = include_str!("../README.md")]
//!
//! ## Modules
//!
//! The everyday types are at the root: start a session ([`SessionStarter`],
//! [`StartSession`], [`Started`], [`StartError`]), verify its callback
//! ([`CallbackVerifier`], extracted as `Verified` in axum and actix-web),
//! the [`VerificationOutcome`] or the [`CallbackRejection`], the order
//! stores ([`OrderStore`], [`SettlementStore`], [`MemoryOrderStore`],
//! `RedisOrderStore`, `PostgresOrderStore`), settlement ([`Settler`],
//! [`Reconciler`]), the tickets ([`TicketProvider`], [`CachedTickets`],
//! [`StaticTickets`], `RedisTickets`), the [`Wiring`] every part is built
//! from, and the facade that wires them all ([`FaceId`]).
//! The modules hold the rest, from the ground up; each module uses only
//! those above it.
//!
//! - [`Secret`], [`Clock`] / [`ManualClock`], [`Report`], [`OrderNo`] /
//!   [`UserId`]: a secret that never shows in `Debug`, the injectable time
//!   the lifecycle is measured on, an error report for `main` that prints
//!   an error's message and causes, and the validated identifiers.
//! - [`sign`]: the vendor's SHA-1 [`sign::Signature`], exact (Java string
//!   order on all of Unicode), with [`sign::explain`] for debugging a
//!   mismatch.
//! - [`client`]: [`client::FaceIdClient`], every vendor call with typed
//!   errors, and the vendor's own data: the [`client::ResultCode`], the
//!   evidence [`client::FaceResult`], the session-start bodies, and an
//!   access token or ticket with its expiry ([`client::Credential`]).
//! - [`tickets`]: where SIGN and NONCE tickets come from:
//!   [`StaticTickets`] for tests, [`CachedTickets`] for one server,
//!   `RedisTickets`, `PostgresTickets` or a [`tickets::TicketHome`] of your
//!   own for many; the caching ones live by the vendor's token and ticket
//!   lifecycle.
//! - [`orders`]: the sessions this server started, each accepted once, and
//!   their [`orders::SettlementRecord`]: [`MemoryOrderStore`],
//!   `RedisOrderStore`, `PostgresOrderStore`.
//! - [`wiring`]: [`wiring::Wiring`], the client, tickets and store every
//!   part below is built from, and whether they bind sessions to browsers,
//!   so that they cannot disagree.
//! - [`session`]: [`SessionStarter`] starts a session and gives the URL to
//!   send the browser to; the vendor's editions ([`session::Edition`]:
//!   basic H5, enhanced H5, App SDK, WeChat) and their signing recipes.
//! - [`settle`]: every order ends passed, failed or abandoned, exactly
//!   once, by its callback or by the [`settle::Reconciler`], and one
//!   `on_settled` hook hears of it; the [`settle::Purger`] of the data
//!   lifecycle.
//! - [`callback`]: [`CallbackVerifier`] turns a [`callback::BrowserCallback`]
//!   into a [`VerificationOutcome`] or a [`CallbackRejection`]; the cookie
//!   that binds a session to its browser ([`callback::BindingCookie`]) and
//!   an error as an HTTP answer ([`callback::ErrorResponse`]), once for
//!   every framework.
//! - [`sdk`]: the App SDK edition: the launch parameters the native SDK
//!   takes ([`sdk::SdkLaunch`]) and the SDK's result, verified by the
//!   callback's pipeline ([`callback::CallbackVerifier::verify_sdk_result`]).
//! - [`wechat`]: the WeChat H5 and mini program channel through Tencent
//!   Cloud API 3.0: [`wechat::Tc3Client`] (`DetectAuth`,
//!   `GetDetectInfoEnhanced`, TC3-HMAC-SHA256 signing), the BizToken and
//!   the mini program's result.
//! - `tower` (feature `tower`, default), `axum` (feature `axum`), `actix`
//!   (feature `actix`): the verifier in front of your handler:
//!   `tower::FaceCallbackLayer`, and the extractors `Verified`,
//!   `SdkVerified`, `WeChatVerified` and their `VerifiedRejection`, one set
//!   of types for both frameworks (only the frameworks' traits are in
//!   `axum` and `actix`).
//! - [`facade`]: [`FaceId`], all of the above wired once, and its
//!   [health report](FaceId::health) for readiness probes.
//! - `redis` (feature `redis`): connecting to Redis (standalone, Cluster,
//!   Sentinel), for the Redis-backed tickets and orders.
//! - `contract` (feature `contract`): the suites a store or ticket
//!   provider of your own must pass, one call in a test.
//!
//! What the crate counts (feature `metrics`) and the `tracing` spans it
//! opens are listed under [Observability](#observability).
//!
//! ## Conventions
//!
//! A configurable type `X` is made by `X::builder(required…)`, which
//! answers an `XBuilder`. Its setters take and return the builder by value
//! and never fail: a number out of range is clamped, and the setter's
//! documentation says so. `build()` answers `Result<X, XConfigError>` only
//! when settings can be unusable (an empty app id, an invalid order
//! number prefix), and `X` otherwise. The parts of one app (starter,
//! verifier, settler, reconciler) are built from one [`Wiring`], so they
//! cannot disagree on the client, tickets, store or browser binding. A type whose settings
//! all have defaults also has `X::new(required…)`, the builder built with
//! them (as `reqwest::Client::new`). Tower layers are the exception: they
//! are configured as tower's own layers are,
//! `FaceCallbackLayer::new(verifier).json_rejections()`.
//!
//! Secrets (the app secret, access tokens, tickets) and personal data
//! (name, id number, photos) are [`Secret`]s: they never appear in `Debug`,
//! logs or error messages.
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[doc(hidden)]
pub mod __doctest;
#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
mod binding;
pub mod callback;
pub mod client;
mod clock;
mod contact;
#[cfg(feature = "contract")]
pub mod contract;
mod credentials;
mod edition;
#[cfg(any(feature = "axum", feature = "actix"))]
mod extract;
pub mod facade;
mod ids;
mod json;
mod metrics;
pub mod orders;
mod random;
#[cfg(feature = "redis")]
pub mod redis;
mod render;
mod report;
mod result_code;
mod result_query;
pub mod sdk;
mod secret;
pub mod session;
pub mod settle;
pub mod sign;
mod tc3;
pub mod tickets;
#[cfg(feature = "tower")]
pub mod tower;
pub mod wechat;
mod wire;
pub mod wiring;

// The product, at the root: start, verify, the outcome and the rejection,
// the stores, the tickets, settlement, the wiring, the facade.
pub use callback::{CallbackRejection, CallbackVerifier, VerificationOutcome};
pub use clock::{Clock, ManualClock, civil, from_unix_millis, unix_millis};
#[cfg(any(feature = "axum", feature = "actix"))]
pub use extract::{SdkVerified, Verified, VerifiedRejection, WeChatVerified};
pub use facade::FaceId;
pub use ids::{IdentifierError, OrderNo, UserId};
#[cfg(feature = "postgres")]
pub use orders::PostgresOrderStore;
#[cfg(feature = "redis")]
pub use orders::RedisOrderStore;
pub use orders::{MemoryOrderStore, OrderStore, SettlementStore};
pub use report::Report;
pub use secret::Secret;
pub use session::{SessionStarter, StartError, StartSession, Started};
pub use settle::{Reconciler, Settler};
#[cfg(feature = "redis")]
pub use tickets::RedisTickets;
pub use tickets::{CachedTickets, StaticTickets, TicketProvider};
pub use wiring::Wiring;

/// The `async_trait` attribute, re-exported: implement [`orders::OrderStore`]
/// or [`tickets::TicketProvider`] with no dependency of your own. A store of
/// your own (a database) has more rules to keep (binding, repeats, expiry,
/// exactly once): the `contract` module (feature `contract`) shows one and
/// checks yours in one call.
///
/// ```
/// use std::sync::Arc;
/// use std::time::{Duration, SystemTime};
/// use tencent_faceid::async_trait;
/// use tencent_faceid::client::Ticket;
/// use tencent_faceid::UserId;
/// use tencent_faceid::tickets::{SignTickets, TicketError, TicketProvider};
/// use tencent_faceid::{FaceId, Secret};
///
/// /// Tickets from your own secret manager.
/// struct VaultTickets { sign: Secret, nonce: Secret }
///
/// #[async_trait]
/// impl TicketProvider for VaultTickets {
///     async fn sign_tickets(&self) -> Result<Arc<SignTickets>, TicketError> {
///         let expires_at = SystemTime::now() + Duration::from_secs(20 * 60);
///         Ok(Arc::new(SignTickets::new(Ticket::new(self.sign.clone(), expires_at))))
///     }
///
///     async fn nonce_ticket(&self, _user_id: &UserId) -> Result<Secret, TicketError> {
///         Ok(self.nonce.clone())
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let tickets = VaultTickets { sign: "sign-ticket".into(), nonce: "nonce-ticket".into() };
/// let face_id = FaceId::builder("appId001", "secret")
///     .callback_url("https://shop.example/face/callback")
///     .tickets(tickets)
///     .build().await?;
/// # Ok(()) }
/// ```
pub use async_trait::async_trait;

/// The `sqlx` crate this one is built with (feature `postgres`): make a
/// pool of your own (`sqlx::PgPool`, `sqlx::postgres::PgPoolOptions`)
/// through it, so that it and the crate's cannot come from two versions.
#[cfg(feature = "postgres")]
pub use sqlx;
