//! What the tests and benches of `tencent-faceid` share (an unpublished
//! member of its workspace): the tests' outside services ([`redis`] for
//! the Redis tests, [`postgres`] for the PostgreSQL ones, [`mysql`] for the
//! MySQL ones, found or started
//! by [`service`]), throwaway Redis servers driven by their PID
//! ([`spare_redis`]), helpers for tests that drive the emulator ([`emu`])
//! or the demo as its HTTP client sees it ([`demo_client`]), a
//! fault-injecting proxy to PostgreSQL ([`proxy`]), the callback
//! benches' fixtures ([`callbacks`]) and loud skips ([`skip`]).
//!
//! A test or bench takes what it needs with `use faceid_test_support::…`;
//! what only the main test binary uses is in its own `support` module
//! (`tests/it/support`).
#![warn(missing_docs)]

pub mod callbacks;
pub mod demo_client;
pub mod emu;
pub mod mysql;
pub mod postgres;
pub mod proxy;
pub mod redis;
pub mod redis_cluster;
pub mod redis_sentinel;
pub mod service;
pub mod skip;
pub mod spare_redis;

/// `len` random ASCII letters and digits: names of users, key prefixes and
/// schemas that no other test run shares.
pub fn random_alphanumeric(len: usize) -> String {
    rand::distr::SampleString::sample_string(&rand::distr::Alphanumeric, &mut rand::rng(), len)
}
