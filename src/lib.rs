#![doc = include_str!("../README.md")]
//!
//! ## Modules
//!
//! - [`sign`]: the vendor's SHA-1 signature, fast and exact (Java string
//!   order on all of Unicode), with [`sign::explain`] for debugging a
//!   mismatch.
//! - [`model`]: the wire types, [`model::ResultCode`], and validated
//!   [`model::OrderNo`] / [`model::UserId`].
//! - [`client`]: [`client::FaceIdClient`], every vendor call with typed
//!   errors.
//! - [`ticket`]: where SIGN and NONCE tickets come from:
//!   [`ticket::StaticTickets`] for tests, [`ticket::CachedTickets`] for one
//!   server, `redis::RedisTickets` (feature `redis`) for many; the caching
//!   ones live by the vendor's token and ticket lifecycle.
//! - [`clock`]: the time the lifecycle is measured on, injectable so that
//!   tests jump hours without sleeping.
//! - [`store`]: the sessions this server started, each accepted once:
//!   [`store::MemoryOrderStore`], `redis::RedisOrderStore`.
//! - [`session`]: [`session::SessionStarter`] starts a session and gives
//!   the URL to send the browser to.
//! - [`callback`]: [`callback::CallbackVerifier`] turns a callback query
//!   into a [`callback::VerificationOutcome`] or a
//!   [`callback::CallbackRejection`]; `tower::FaceCallbackLayer`,
//!   `axum::Verified` and `actix::Verified` put it in front of your
//!   handler.
//! - [`render`]: the HTTP answers (status, body) to rejected callbacks
//!   and failed starts, once for every framework.
//! - [`facade`]: [`FaceId`], all of the above wired once.
//! - [`settle`]: every order ends passed, failed or abandoned, exactly
//!   once, by its callback or by the [`settle::Reconciler`], and one
//!   `on_settled` hook hears of it.
//! - [`metrics`]: what the crate counts (feature `metrics`).
//! - `emulator` (feature `emulator`): the vendor on a local port, for
//!   demos and tests.
//! - `contract` (feature `contract`): the suites a store or ticket
//!   provider of your own must pass, one call in a test.
//!
//! Secrets (the app secret, access tokens, tickets) and personal data
//! (name, id number, photos) are [`Secret`]s: they never appear in `Debug`,
//! logs or error messages.
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "actix")]
pub mod actix;
#[cfg(feature = "axum")]
pub mod axum;
pub mod binding;
pub mod callback;
pub mod client;
pub mod clock;
#[cfg(feature = "contract")]
pub mod contract;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod facade;
pub mod json;
pub mod metrics;
pub mod model;
pub mod nonce;
#[cfg(feature = "redis")]
pub mod redis;
pub mod render;
pub mod secret;
pub mod session;
pub mod settle;
pub mod sign;
pub mod store;
pub mod ticket;
#[cfg(feature = "tower")]
pub mod tower;

pub use facade::FaceId;
pub use secret::Secret;

/// The `async_trait` attribute, re-exported: implement [`store::OrderStore`]
/// or [`ticket::TicketProvider`] with no dependency of your own.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
/// use std::time::{Duration, SystemTime};
/// use tencent_faceid::async_trait;
/// use tencent_faceid::model::{OrderNo, UserId};
/// use tencent_faceid::store::{Claim, Consumed, OrderStore, PendingOrder, StoreError};
/// use tencent_faceid::ticket::{SignTickets, Ticket, TicketError, TicketProvider};
/// use tencent_faceid::{FaceId, Secret};
///
/// /// Orders in a map (`None` once consumed); yours would be a database,
/// /// expiring orders after `ttl`.
/// #[derive(Default)]
/// struct MapStore(Mutex<HashMap<OrderNo, Option<PendingOrder>>>);
///
/// #[async_trait]
/// impl OrderStore for MapStore {
///     async fn put(&self, order: PendingOrder, _ttl: Duration) -> Result<(), StoreError> {
///         let mut orders = self.0.lock().map_err(|_| StoreError::Backend("poisoned".into()))?;
///         if orders.contains_key(&order.order_no) {
///             return Err(StoreError::Duplicate(order.order_no));
///         }
///         orders.insert(order.order_no.clone(), Some(order));
///         Ok(())
///     }
///
///     async fn consume_claim(&self, order_no: &OrderNo, claim: &Claim) -> Result<Consumed, StoreError> {
///         let mut orders = self.0.lock().map_err(|_| StoreError::Backend("poisoned".into()))?;
///         let Some(slot) = orders.get_mut(order_no) else { return Ok(Consumed::Unknown) };
///         Ok(match slot.take() {
///             Some(order) if order.binding.is_some() && order.binding.as_ref() != claim.binding() => {
///                 *slot = Some(order); // left for the browser that started it
///                 Consumed::OtherBrowser
///             }
///             Some(order) => Consumed::Accepted(order),
///             None => Consumed::AlreadyConsumed,
///         })
///     }
/// }
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
///     .store(MapStore::default())
///     .tickets(tickets)
///     .build()
///     .await?;
/// # assert!(!face_id.is_emulated());
/// # Ok(()) }
/// ```
pub use async_trait::async_trait;
