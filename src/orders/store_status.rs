//! [`StoreStatus`]: what an operator asks of a durable order store
//! (`faceid status`): its schema's version, the work waiting in it, and
//! the ticket pair it shares.

use std::time::SystemTime;

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
    /// The access token and SIGN ticket the database shares between the
    /// app's instances (`PostgresTickets`, `MySqlTickets`), when it holds a
    /// pair.
    pub ticket_pair: Option<StoredTicketPairTimes>,
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
            ticket_pair: None,
        }
    }

    /// This status with the shared ticket pair's times.
    pub const fn with_ticket_pair(mut self, pair: Option<StoredTicketPairTimes>) -> Self {
        self.ticket_pair = pair;
        self
    }
}

/// When the access token and SIGN ticket stored in the database (a
/// `tickets::StoredTicketPair`) were fetched, are due for replacement and
/// end, by the clock of the instance that published them (never the
/// values). What one process holds in memory and signs with is a
/// `tickets::TicketPairStatus`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredTicketPairTimes {
    /// When the pair was fetched from the vendor.
    pub fetched_at: SystemTime,
    /// When the instance that published it replaces it.
    pub due_at: SystemTime,
    /// When the last of its token and tickets ends.
    pub expires_at: SystemTime,
}

impl StoredTicketPairTimes {
    /// A pair fetched at `fetched_at`, due at `due_at`, ending at
    /// `expires_at`.
    pub const fn new(fetched_at: SystemTime, due_at: SystemTime, expires_at: SystemTime) -> Self {
        Self {
            fetched_at,
            due_at,
            expires_at,
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
