//! The crate's integration tests, in one binary (linked once instead of
//! once per file): a module per area, the Redis and PostgreSQL tests and
//! the contract suites included, all sharing this process's Redis and
//! PostgreSQL (`support`).
//!
//! Kept out, each in a binary of its own because it owns process-wide
//! state the others would disturb: `tests/spans.rs` (the process's
//! tracing subscriber, which a process has only one of, here the logs'
//! capture, and whose every span it checks) and `tests/demo_sessions.rs`
//! (the demo's global metrics recorder, whose counts it checks exactly).
//!
//! What these modules may and may not do, sharing one process:
//!
//! - No environment variable is set: the demos take their options in code
//!   (`faceid_demo::Options`), configuration goes through `from_vars`.
//! - A metrics recorder is set per thread only (`observe`); the demos
//!   install the global one, whose counts nothing here checks.
//! - The process's tracing subscriber is `support::logs`'s capture,
//!   installed by the first test that checks logs (`callback`,
//!   `emulator`); each finds its own events by its order numbers among
//!   the others'. None scopes a subscriber to its thread (that races over
//!   the call sites' cached interest).
//! - Tests that re-execute this binary (`processes`, `processes_reconcilers`,
//!   `processes_tickets`, `postgres_restart`, `demo_restart`) name their
//!   child test by its full path (`module::test`), and configure the child
//!   through its environment.

mod support;

mod actix;
mod actix_demo_sessions;
mod axum_layer;
mod binding;
mod browser;
mod callback;
mod client;
mod configured_once;
mod contract;
mod demo_editions;
mod demo_flow;
mod demo_restart;
mod docs;
mod editions;
mod emulator;
mod errors;
mod facade;
mod health;
mod lifecycle;
mod lifecycle_purge;
mod messages;
mod methods;
mod mysql;
mod observe;
mod package;
mod postgres;
mod postgres_faults;
mod postgres_restart;
mod processes;
mod processes_reconcilers;
mod processes_tickets;
mod quickstart;
mod reconciler_schedule;
mod redis;
mod redis_cluster;
mod redis_faults;
mod redis_probe;
mod redis_sentinel;
mod redis_topologies;
mod round_trips;
mod session;
mod settle;
mod settle_wechat;
mod settlement_records;
mod signing;
mod sql_tickets;
mod start_limits;
mod tickets;
mod untrusted_callbacks;
mod wechat;
mod wechat_encryption;
mod wechat_vendor;
