//! The vendor's record as the last judge: a callback for a pending order of
//! ours whose signature matches no SIGN ticket this server knows, even
//! after one recovery, is decided by the vendor's record of the order.
//!
//! That happens when another system sharing the app id fetched a SIGN
//! ticket: the vendor signs the next callback with a ticket this server
//! never saw. The record (`queryfacerecord`, signed with our own valid
//! ticket) says what really happened, so the user keeps their session.
//!
//! Bounded, so that nobody can make the server hammer the vendor: only for
//! a pending order (with browser binding on, only from the order's own
//! browser), and at most once per order per [`JUDGE_INTERVAL`], in this
//! process.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use crate::ids::OrderNo;

/// The least time between two record queries for one order: the ticket
/// providers' default recovery interval.
pub(super) const JUDGE_INTERVAL: Duration = Duration::from_secs(5);

/// Orders remembered at most; past it, no order is judged until older
/// entries lapse (a storm of distinct pending orders is itself suspect).
const MAX_REMEMBERED: usize = 10_000;

/// When each order was last judged, within [`JUDGE_INTERVAL`].
#[derive(Debug, Default)]
pub(super) struct JudgeLimiter {
    judged: Mutex<HashMap<OrderNo, SystemTime>>,
}

impl JudgeLimiter {
    /// Whether `order_no` may be judged at `now`; if so, it may not again
    /// until [`JUDGE_INTERVAL`] has passed.
    pub(super) fn admit(&self, order_no: &OrderNo, now: SystemTime) -> bool {
        let lapsed =
            |at: &SystemTime| now.duration_since(*at).unwrap_or_default() >= JUDGE_INTERVAL;
        let mut judged = self.judged.lock().unwrap_or_else(PoisonError::into_inner);
        if judged.get(order_no).is_some_and(|at| !lapsed(at)) {
            return false;
        }
        if judged.len() >= MAX_REMEMBERED {
            judged.retain(|_, at| !lapsed(at));
            if judged.len() >= MAX_REMEMBERED {
                return false;
            }
        }
        judged.insert(order_no.clone(), now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_is_judged_once_per_interval() {
        let limiter = JudgeLimiter::default();
        let order = OrderNo::new("o1").unwrap();
        let other = OrderNo::new("o2").unwrap();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(limiter.admit(&order, start));
        assert!(!limiter.admit(&order, start + Duration::from_secs(4)));
        assert!(
            limiter.admit(&other, start + Duration::from_secs(4)),
            "per order"
        );
        assert!(limiter.admit(&order, start + JUDGE_INTERVAL));
    }

    #[test]
    fn a_full_limiter_admits_only_once_entries_lapse() {
        let limiter = JudgeLimiter::default();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        for n in 0..MAX_REMEMBERED {
            assert!(limiter.admit(&OrderNo::new(format!("o{n}")).unwrap(), start));
        }
        let late = OrderNo::new("late").unwrap();
        assert!(!limiter.admit(&late, start + Duration::from_secs(1)));
        assert!(limiter.admit(&late, start + JUDGE_INTERVAL));
    }
}
