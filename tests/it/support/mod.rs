//! What the tests of this binary share: the workspace's test-support
//! crate (the tests' Redis and PostgreSQL, spare Redis servers, emulator
//! and demo helpers), re-exported so that a test reads
//! `support::redis::url()`, and what only these tests use.

pub use faceid_test_support::{demo_client, emu, mysql, postgres, redis, skip, spare_redis};

pub mod actix_server;
pub mod children;
pub mod common;
pub mod demos;
pub mod env;
pub mod logs;
