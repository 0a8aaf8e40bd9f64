//! [`TicketTimings`]: when the ticket providers refresh, retry and recover,
//! validated and clamped in one place.

use std::time::Duration;

/// When [`CachedTickets`](super::CachedTickets) and `RedisTickets` refresh
/// the access token and SIGN ticket, retry after a failure and recover
/// from a refusal. Each setter clamps its value into the range it
/// documents, so every `TicketTimings` is usable.
///
/// The defaults follow the vendor's documented lifecycle: refresh the token
/// and SIGN ticket together every 20 minutes (the vendor's token lives 2
/// hours, the ticket 1 hour, and a replaced one 1 more minute).
///
/// ```
/// use std::time::Duration;
/// use tencent_faceid::tickets::TicketTimings;
///
/// let timings = TicketTimings::default()
///     .refresh_every(Duration::from_secs(15 * 60))
///     .grace(Duration::from_secs(600));
/// // Out-of-range values are clamped, not refused.
/// assert_eq!(
///     timings.refresh_every(Duration::from_secs(24 * 3600)),
///     timings.refresh_every(TicketTimings::MAX_REFRESH_EVERY),
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketTimings {
    pub(crate) refresh_every: Duration,
    pub(crate) grace: Duration,
    pub(crate) retry_backoff: Duration,
    pub(crate) recovery_interval: Duration,
}

impl Default for TicketTimings {
    fn default() -> Self {
        Self {
            refresh_every: Duration::from_secs(20 * 60),
            grace: Duration::from_secs(5 * 60),
            retry_backoff: Duration::from_secs(2),
            recovery_interval: Duration::from_secs(5),
        }
    }
}

impl TicketTimings {
    /// The longest [`refresh_every`](Self::refresh_every): 50 minutes, well
    /// inside the SIGN ticket's hour.
    pub const MAX_REFRESH_EVERY: Duration = Duration::from_secs(50 * 60);
    /// The longest [`grace`](Self::grace), [`retry_backoff`](Self::retry_backoff)
    /// or [`recovery_interval`](Self::recovery_interval): one day.
    pub const MAX_WINDOW: Duration = Duration::from_secs(24 * 3600);

    /// How often the token and SIGN ticket are replaced, as a pair (default
    /// 20 minutes, the vendor's advice; clamped to 1 s ..= 50 min). A pair
    /// the vendor granted less than twice this is replaced at half its
    /// lifetime instead.
    pub fn refresh_every(mut self, every: Duration) -> Self {
        self.refresh_every = every.clamp(Duration::from_secs(1), Self::MAX_REFRESH_EVERY);
        self
    }

    /// How long the previous SIGN ticket stays accepted for callbacks after
    /// a rotation (default 5 minutes; at most a day; zero drops it at once).
    /// The vendor stops signing with it at once, but a browser may bring a
    /// callback it signed a little later.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace.min(Self::MAX_WINDOW);
        self
    }

    /// The least time between two refresh attempts after one failed
    /// (default 2 s; at most a day): callers meanwhile are served the
    /// still-valid pair, or that failure, so a failing vendor sees no retry
    /// storm.
    pub fn retry_backoff(mut self, backoff: Duration) -> Self {
        self.retry_backoff = backoff.min(Self::MAX_WINDOW);
        self
    }

    /// The least time between two recoveries (default 5 s; clamped to
    /// 1 s ..= a day). A recovery re-reads the shared state and replaces the
    /// pair when the vendor refused a call made with it or a callback
    /// matched no known SIGN ticket; this bound is what keeps a storm of
    /// forged callbacks from making the server hammer the vendor.
    pub fn recovery_interval(mut self, interval: Duration) -> Self {
        self.recovery_interval = interval.clamp(Duration::from_secs(1), Self::MAX_WINDOW);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setter_clamps() {
        let t = TicketTimings::default()
            .refresh_every(Duration::ZERO)
            .grace(Duration::MAX)
            .retry_backoff(Duration::MAX)
            .recovery_interval(Duration::ZERO);
        assert_eq!(t.refresh_every, Duration::from_secs(1));
        assert_eq!(t.grace, TicketTimings::MAX_WINDOW);
        assert_eq!(t.retry_backoff, TicketTimings::MAX_WINDOW);
        assert_eq!(t.recovery_interval, Duration::from_secs(1));
    }

    #[test]
    fn defaults_follow_the_vendor() {
        let t = TicketTimings::default();
        assert_eq!(t.refresh_every, Duration::from_secs(1200));
        assert!(t.recovery_interval >= Duration::from_secs(1));
    }
}
