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
//!   `axum::Verified` and `actix::VerifiedCallback` put it in front of your
//!   handler.
//! - `emulator` (feature `emulator`): the vendor on a local port, for
//!   demos and tests.
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
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod json;
pub mod model;
pub mod nonce;
#[cfg(feature = "redis")]
pub mod redis;
pub mod secret;
pub mod session;
pub mod sign;
pub mod store;
pub mod ticket;
#[cfg(feature = "tower")]
pub mod tower;

pub use secret::Secret;
