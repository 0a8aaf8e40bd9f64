//! [`LeaseTimings`]: how long a shared home's refresh lease outlives a
//! holder that died, and how long a caller waits for another holder,
//! clamped in one place.

use std::time::Duration;

/// How the refresh lease of a [`TicketHome`](super::TicketHome) lives, for
/// the homes of this crate and `tencent-faceid-mysql` (`RedisTickets`
/// takes the same two settings on its builder). Each setter clamps its
/// value into the range it documents.
///
/// ```
/// use std::time::Duration;
/// use tencent_faceid::tickets::LeaseTimings;
/// let lease = LeaseTimings::default().lock_ttl(Duration::from_secs(60));
/// assert_eq!((lease.ttl(), lease.wait()), (Duration::from_secs(60), Duration::from_secs(10)));
/// // Out-of-range values are clamped, not refused.
/// assert_eq!(lease.lock_ttl(Duration::ZERO).ttl(), Duration::from_millis(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseTimings {
    lock_ttl: Duration,
    wait_timeout: Duration,
}

impl Default for LeaseTimings {
    fn default() -> Self {
        Self {
            lock_ttl: Duration::from_secs(30),
            wait_timeout: Duration::from_secs(10),
        }
    }
}

impl LeaseTimings {
    /// The longest lock time to live or wait accepted (longer ones are
    /// cut): a day.
    pub const MAX: Duration = Duration::from_secs(24 * 3600);

    /// How long the lease lives if its holder dies mid-refresh; default
    /// 30 s, at least 1 ms, at most a day. Keep it above the longest
    /// refresh (two vendor calls, each up to the client's timeout).
    pub fn lock_ttl(mut self, lock_ttl: Duration) -> Self {
        self.lock_ttl = lock_ttl.clamp(Duration::from_millis(1), Self::MAX);
        self
    }

    /// How long a call with no valid ticket waits for another instance's
    /// refresh before failing; default 10 s, at most a day. Calls that
    /// still have a valid ticket never wait.
    pub fn wait_timeout(mut self, wait_timeout: Duration) -> Self {
        self.wait_timeout = wait_timeout.min(Self::MAX);
        self
    }

    /// The lease's time to live.
    pub fn ttl(&self) -> Duration {
        self.lock_ttl
    }

    /// The longest wait for another holder.
    pub fn wait(&self) -> Duration {
        self.wait_timeout
    }
}
