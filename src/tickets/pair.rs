//! [`Pair`]: the access token and the SIGN tickets fetched with it, as
//! the refresh engine keeps them and a [`TicketHome`](super::TicketHome)
//! stores them.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::SignTickets;
use crate::credentials::{AccessToken, Ticket};

/// An access token and the SIGN tickets fetched with it: they live and are
/// replaced together.
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    pub token: AccessToken,
    pub sign: Arc<SignTickets>,
    pub fetched_at: SystemTime,
    /// The token is newer than the SIGN ticket: its own ticket fetch
    /// failed, and the next attempt fetches one with it.
    pub awaiting_ticket: bool,
}

impl Pair {
    /// This pair's tickets, ending at `ends` (the vendor has issued
    /// `token`, which ends them), with `token` awaiting its ticket.
    pub(super) fn awaiting(&self, token: AccessToken, ends: SystemTime) -> Pair {
        let current = &self.sign.current;
        let sign = SignTickets {
            current: Ticket::new(current.value(), current.expires_at().min(ends)),
            previous: self.sign.previous.clone(),
        };
        Pair {
            token,
            sign: Arc::new(sign),
            fetched_at: self.fetched_at,
            awaiting_ticket: true,
        }
    }

    /// When it is due for replacement: `every` after it was fetched, or at
    /// half its lifetime if the vendor granted less than twice that.
    pub(super) fn due_at(&self, every: Duration) -> SystemTime {
        let lifetime = self
            .sign
            .current
            .expires_at()
            .duration_since(self.fetched_at)
            .unwrap_or_default();
        self.fetched_at + every.min(lifetime / 2)
    }

    pub(super) fn is_fresh(&self, now: SystemTime, every: Duration) -> bool {
        !self.awaiting_ticket && now < self.due_at(every)
    }

    /// Whether the vendor still accepts it (the SIGN ticket's expiry is
    /// never later than its token's).
    pub(super) fn is_valid(&self, now: SystemTime) -> bool {
        self.sign.current.is_valid_at(now)
    }
}
