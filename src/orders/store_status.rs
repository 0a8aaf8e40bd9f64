//! [`StoreStatus`]: what an operator asks of a durable order store
//! (`faceid status`): its schema's version, and the work waiting in it.

/// The state of one app's orders in a database store, as
/// `PostgresOrderStoreBuilder::status` (feature `postgres`) and
/// `tencent_faceid_mysql::MySqlOrderStoreBuilder::status` read it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreStatus {
    /// The schema's version: 0 when it has no tables of this crate.
    pub version: i32,
    /// The version this crate reads and writes (migrate when `version` is
    /// lower).
    pub expected: i32,
    /// The work waiting, when the schema is at [`expected`](Self::expected)
    /// (`None` otherwise: its tables cannot be read as this crate's).
    pub backlog: Option<Backlog>,
}

impl StoreStatus {
    /// The status of tables at `version`, where the store expects
    /// `expected`, with the `backlog` read from them if any.
    ///
    /// ```
    /// use tencent_faceid::orders::{Backlog, StoreStatus};
    /// let status = StoreStatus::new(2, 2, Some(Backlog::new(3, 1)));
    /// assert_eq!(status.backlog.map(|backlog| backlog.pending_orders), Some(3));
    /// ```
    pub const fn new(version: i32, expected: i32, backlog: Option<Backlog>) -> Self {
        Self {
            version,
            expected,
            backlog,
        }
    }
}

/// The work waiting in the store for one app id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Backlog {
    /// Orders started and not yet consumed (live or expired): the
    /// reconciler's backlog.
    pub pending_orders: u64,
    /// Settlements the `on_settled` hook has not taken yet.
    pub undelivered_settlements: u64,
}

impl Backlog {
    /// `pending_orders` orders waiting for their callback or the
    /// reconciler, `undelivered_settlements` for the `on_settled` hook.
    pub const fn new(pending_orders: u64, undelivered_settlements: u64) -> Self {
        Self {
            pending_orders,
            undelivered_settlements,
        }
    }
}
