//! The demo apps of `tencent-faceid` (an unpublished member of its
//! workspace): the whole H5 flow in axum ([`axum_demo`], `cargo run
//! --example demo`) and in actix-web ([`actix_demo`], `cargo run --example
//! actix_demo`), on the embedded emulator unless a vendor is configured.
//! The examples are their `main`s; the crate's tests drive the same apps.
//!
//! What both apps share: the wiring of their `FaceId` ([`wiring`]: vendor,
//! browser binding, admission limit, settlement, PostgreSQL, public URL),
//! their pages, the editions' forms, and the sessions list with metrics.
#![warn(missing_docs)]

pub mod actix_demo;
pub mod axum_demo;
mod editions;
mod pages;
mod sessions;
pub mod wiring;

pub use wiring::{BoxError, Options};

/// `len` random ASCII letters and digits: the demo's user names.
fn random_alphanumeric(len: usize) -> String {
    rand::distr::SampleString::sample_string(&rand::distr::Alphanumeric, &mut rand::rng(), len)
}
