//! When a vendor client last reached the vendor and last failed to: the
//! [`VendorContact`] a client's clones share, written by
//! [`metrics::vendor_call`](crate::metrics) around every vendor call and
//! read by the [health report](crate::facade::HealthReport).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use serde::Serialize;

use crate::clock::{Clock, serialize_rfc3339, serialize_rfc3339_option};

/// A client's last contacts with the vendor: when a call was last
/// answered, when one last failed and how, and how many failed since the
/// last answer. An answer with a vendor error code (a refused ticket, no
/// record) counts as an answer: the vendor was reached.
///
/// Serialized with times in RFC 3339 (UTC, to the millisecond).
///
/// ```
/// use tencent_faceid::client::{FaceIdClient, VendorContact};
/// let client = FaceIdClient::builder("appId001", "secret").build()?;
/// assert_eq!(client.contact(), VendorContact::default(), "no call made yet");
/// # Ok::<(), tencent_faceid::client::ClientError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct VendorContact {
    /// When a call was last answered.
    #[serde(serialize_with = "serialize_rfc3339_option")]
    pub last_success: Option<SystemTime>,
    /// The last call that failed.
    pub last_failure: Option<VendorFailure>,
    /// Calls failed since the last answer (all of them when none was
    /// answered yet).
    pub failures_since_success: u32,
}

/// A vendor call that failed: when, which call, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct VendorFailure {
    /// When it failed.
    #[serde(serialize_with = "serialize_rfc3339")]
    pub at: SystemTime,
    /// The endpoint or API 3.0 action (`access_token`, `geth5faceid`,
    /// `DetectAuth`, ...), as the metrics label it.
    pub call: &'static str,
    /// How it failed, as the metrics label it: `transport`, `http_status`,
    /// `too_large`, `decode` or `other`.
    pub outcome: &'static str,
}

/// The contact record a client and its clones share, stamped on the
/// client's clock.
#[derive(Clone)]
pub(crate) struct ContactLog {
    clock: Clock,
    state: Arc<Mutex<VendorContact>>,
}

impl ContactLog {
    /// An empty record, stamped on `clock`.
    pub fn new(clock: Clock) -> Self {
        Self {
            clock,
            state: Arc::default(),
        }
    }

    /// A call to `call` was answered (`failure` `None`), or failed with the
    /// outcome label `failure`.
    pub fn record(&self, call: &'static str, failure: Option<&'static str>) {
        let at = self.clock.now();
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        match failure {
            None => {
                state.last_success = Some(at);
                state.failures_since_success = 0;
            }
            Some(outcome) => {
                state.last_failure = Some(VendorFailure { at, call, outcome });
                state.failures_since_success = state.failures_since_success.saturating_add(1);
            }
        }
    }

    /// The record as it is now.
    pub fn snapshot(&self) -> VendorContact {
        self.state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn an_answer_resets_the_failures_and_keeps_the_last_one() {
        let manual = ManualClock::new();
        let log = ContactLog::new(manual.clone().into());
        log.record("access_token", Some("transport"));
        manual.advance(Duration::from_secs(1));
        log.record("api_ticket", Some("http_status"));
        let failed = log.snapshot();
        assert_eq!(failed.failures_since_success, 2);
        assert_eq!(failed.last_success, None);
        let failure = failed.last_failure.clone().unwrap();
        assert_eq!(
            (failure.call, failure.outcome),
            ("api_ticket", "http_status")
        );
        assert_eq!(failure.at, manual.now());

        manual.advance(Duration::from_secs(1));
        log.clone().record("access_token", None);
        let answered = log.snapshot();
        assert_eq!(answered.failures_since_success, 0);
        assert_eq!(answered.last_success, Some(manual.now()));
        assert_eq!(answered.last_failure, failed.last_failure, "kept");
    }
}
