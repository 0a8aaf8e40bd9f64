//! [`TicketPairStatus`]: the times of the access token and SIGN ticket a
//! caching provider holds, for the health report.

use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::clock::serialize_rfc3339;

/// When the pair (access token and SIGN ticket) a caching provider holds
/// was fetched, is due for replacement and expires: no ticket value, only
/// times. Serialized with times in RFC 3339 and durations in seconds.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use std::time::Duration;
/// use tencent_faceid_emulator::Emulator;
/// use tencent_faceid::tickets::{CachedTickets, TicketProvider};
/// let emulator = Emulator::start().await?;
/// let tickets = CachedTickets::builder(emulator.client()).build();
/// assert!(tickets.pair_status().is_none(), "nothing fetched yet");
/// tickets.warm_up().await?;
/// let status = tickets.pair_status().expect("a pair");
/// // Replaced every 20 minutes by default.
/// assert_eq!(status.due_at, status.fetched_at + Duration::from_secs(20 * 60));
/// assert!(status.expires_at > status.due_at);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
///
/// A provider of your own that caches a pair answers one from
/// [`TicketProvider::pair_status`](super::TicketProvider::pair_status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TicketPairStatus {
    /// When the pair was fetched (by this process or, for shared tickets,
    /// by the instance that published it).
    #[serde(serialize_with = "serialize_rfc3339")]
    pub fetched_at: SystemTime,
    /// When it is due for replacement: the next call after this replaces
    /// it (in the background while it is still valid).
    #[serde(serialize_with = "serialize_rfc3339")]
    pub due_at: SystemTime,
    /// When its SIGN ticket stops being accepted.
    #[serde(serialize_with = "serialize_rfc3339")]
    pub expires_at: SystemTime,
    /// The vendor issued a new access token but no SIGN ticket for it yet
    /// (that fetch failed): the old ticket ends a minute after the new
    /// token, and the next attempt fetches a ticket with it.
    pub awaiting_ticket: bool,
}

impl TicketPairStatus {
    /// How long ago the pair was fetched, at `now`.
    pub fn age_at(&self, now: SystemTime) -> Duration {
        now.duration_since(self.fetched_at).unwrap_or_default()
    }

    /// How long until the pair is due, at `now` (zero once due).
    pub fn due_in_at(&self, now: SystemTime) -> Duration {
        self.due_at.duration_since(now).unwrap_or_default()
    }

    /// Whether its SIGN ticket is still accepted at `now`.
    pub fn is_valid_at(&self, now: SystemTime) -> bool {
        now < self.expires_at
    }
}
