//! The contract suites of `tencent_faceid::contract` on every backend: the
//! crate's own and ones a user might write. A new backend is one test in
//! `order_store.rs` or `ticket_provider.rs`.
//!
//! The Redis backends use the test binary's Redis (see `support::redis`),
//! each backend under a fresh key prefix, and remove their keys at the end;
//! the PostgreSQL store uses the binary's PostgreSQL (`support::postgres`),
//! each backend in a fresh schema, dropped at the end; the MySQL store the
//! binary's MySQL (`support::mysql`), each backend in a fresh database,
//! dropped at the end.

mod order_store;
mod ticket_provider;

use crate::support;
use faceid_test_support::random_alphanumeric;
use redis::aio::ConnectionManager;

#[test]
fn redis_is_available() {
    support::redis::require();
}

#[test]
fn postgres_is_available() {
    support::postgres::require();
}

#[test]
fn mysql_is_available() {
    support::mysql::require();
}

/// The test binary's Redis, for the Redis backends of one test.
pub struct Redis {
    manager: ConnectionManager,
    base: String,
}

impl Redis {
    /// `None` when there is no Redis (the test then returns at once).
    pub async fn connect() -> Option<Redis> {
        let url = support::redis::url()?;
        let manager = tencent_faceid::redis::connect(url)
            .await
            .expect("the test binary's Redis answers");
        let base = format!("faceid-contract:{}:", random_alphanumeric(12));
        Some(Redis { manager, base })
    }

    pub fn manager(&self) -> ConnectionManager {
        self.manager.clone()
    }

    /// A key prefix no backend used yet: a fresh, empty backend.
    pub fn fresh_prefix(&self) -> String {
        format!("{}{}:", self.base, random_alphanumeric(8))
    }

    /// Removes the keys of every backend of this test.
    pub async fn remove_keys(self) {
        support::redis::remove_keys(&self.base).await;
    }
}
