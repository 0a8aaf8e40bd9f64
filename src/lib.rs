//! Tencent Cloud FaceID H5 face verification (the WeBank "SaaS H5" flow)
//! for axum / tower and actix-web servers.
//!
//! The flow: your server starts a session with the vendor and sends the
//! user's browser to the vendor's H5 page; the user verifies their face;
//! the browser comes back to your callback URL with the result and a
//! `newSignature`. This crate does each of your server's parts safely:
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
//! - [`settle`]: every order ends passed, failed or abandoned, exactly
//!   once, by its callback or by the [`settle::Reconciler`], and one
//!   `on_settled` hook hears of it.
//! - [`metrics`]: what the crate counts (feature `metrics`).
//! - `emulator` (feature `emulator`): the vendor on a loopback port, for
//!   demos and tests.
//!
//! ```
//! use axum::{routing::get, Router};
//! use tencent_faceid::axum::Verified;
//! use tencent_faceid::callback::CallbackVerifier;
//! use tencent_faceid::store::MemoryOrderStore;
//! use tencent_faceid::ticket::StaticTickets;
//! use tencent_faceid::tower::FaceCallbackLayer;
//!
//! let store = MemoryOrderStore::new(); // share it with your SessionStarter
//! let verifier = CallbackVerifier::builder("appId001", StaticTickets::new("sign", "nonce"), store)
//!     .build()?;
//! let app: Router = Router::new()
//!     .route("/face/callback", get(|Verified(outcome): Verified| async move {
//!         if outcome.passed() { "verified" } else { "please try again" }
//!     }))
//!     .route_layer(FaceCallbackLayer::new(verifier));
//! # Ok::<(), tencent_faceid::callback::CallbackConfigError>(())
//! ```
//!
//! Secrets (the app secret, access tokens, tickets) and personal data
//! (name, id number, photos) are [`Secret`]s: they never appear in `Debug`,
//! logs or error messages.
//!
//! # Features
//! | feature | default | what it adds |
//! |---|---|---|
//! | `tower` | yes | the callback `Layer` |
//! | `axum` | no | the `Verified` extractor |
//! | `actix` | no | the `VerifiedCallback` extractor |
//! | `redis` | no | tickets and orders shared by many instances |
//! | `emulator` | no | a local stand-in for the vendor, for demos and tests |
//! | `metrics` | no | counters and histograms through the `metrics` facade |
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
pub mod metrics;
pub mod model;
pub mod nonce;
#[cfg(feature = "redis")]
pub mod redis;
pub mod secret;
pub mod session;
pub mod settle;
pub mod sign;
pub mod store;
pub mod ticket;
#[cfg(feature = "tower")]
pub mod tower;

pub use secret::Secret;
