//! The vendor's record in verification: it confirms passes
//! ([`CallbackVerifierBuilder::confirm`](super::CallbackVerifierBuilder::confirm)),
//! and it is the last judge of a callback for a pending order of ours whose
//! signature matches no SIGN ticket this server knows, even after one
//! recovery ([`CallbackVerifierBuilder::record_judge`](super::CallbackVerifierBuilder::record_judge)).
//!
//! That happens when another system sharing the app id fetched a SIGN
//! ticket (the vendor signs the next callback with a ticket this server
//! never saw), or when the callback was altered (a user editing `code` in
//! the address bar): the two cannot be told apart. The record
//! (`queryfacerecord`, signed with our own valid ticket) says what really
//! happened, so the user keeps their session and nobody can fake a pass:
//! the callback is answered 200 with the record's verdict, marked
//! [`judged_by_record`](super::VerificationOutcome::judged_by_record), and
//! its order is consumed (a genuine callback that follows is a replay,
//! 409). Without a record (a session never finished) it is 401.
//!
//! Bounded, so that nobody can make the server hammer the vendor: only for
//! a pending order (with browser binding on, only from the order's own
//! browser), and at most once per order per [`JUDGE_INTERVAL`], in this
//! process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use super::rejection::reject;
use super::submission::Submission;
use super::{CallbackRejection, CallbackVerifier, NotConfirmed, RejectionKind};
use crate::client::FaceIdClient;
use crate::ids::OrderNo;
use crate::result_query::{FaceResult, QueryOptions, VerificationResult};
use crate::tickets::{SignTickets, query_record};

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

impl CallbackVerifier {
    /// Asks the vendor for its record of `order_no`, which the callback
    /// says passed.
    pub(super) async fn confirm(
        &self,
        client: &FaceIdClient,
        order_no: &OrderNo,
        tickets: Arc<SignTickets>,
    ) -> Result<FaceResult, CallbackRejection> {
        let not_confirmed = |why: NotConfirmed| {
            let kind = RejectionKind::NotConfirmed(why);
            reject(kind, Some(order_no.clone()), None)
        };
        match self.fetch_record(client, order_no, tickets).await? {
            None => Err(not_confirmed(NotConfirmed::RecordMissing)),
            Some(answer) if !answer.code.is_success() => {
                Err(not_confirmed(NotConfirmed::RecordFailed(answer.code)))
            }
            Some(answer) => {
                tracing::debug!(order_no = %order_no, "the vendor's record confirms the pass");
                Ok(answer.result)
            }
        }
    }

    /// Lets the vendor's record decide a callback whose signature matches
    /// no known SIGN ticket (see [`judge`]): gives the callback the
    /// record's code and answers the record; else 401.
    pub(super) async fn judge(
        &self,
        callback: &mut Submission,
        recoverable: bool,
        tickets: Arc<SignTickets>,
    ) -> Result<Box<FaceResult>, CallbackRejection> {
        let inner = &*self.inner;
        let order_no = &callback.order_no;
        let bad_signature = || reject(RejectionKind::BadSignature, Some(order_no.clone()), None);
        if !(inner.record_judge && recoverable) {
            return Err(bad_signature());
        }
        let client = inner.wiring.client();
        if !inner.judged.admit(order_no, inner.wiring.clock().now()) {
            crate::metrics::record_judgement("rate_limited");
            return Err(bad_signature());
        }
        tracing::info!(order_no = %order_no, "newSignature matches no SIGN ticket this server knows; asking the vendor's record");
        let fetched = self.fetch_record(client, order_no, tickets).await;
        crate::metrics::record_judgement(match &fetched {
            Ok(Some(_)) => "accepted",
            Ok(None) => "no_record",
            Err(_) => "vendor_unavailable",
        });
        let Some(answer) = fetched? else {
            return Err(bad_signature());
        };
        tracing::warn!(order_no = %order_no, code = answer.code.as_str(), "accepted a callback on the vendor's record, whose verdict replaced the callback's: its signature matches no SIGN ticket this server knows, because it was altered (tampering) or signed with a ticket another system sharing the app id fetched");
        callback.code = answer.code;
        Ok(Box::new(answer.result))
    }

    /// The vendor's record of `order_no` for this app, without files;
    /// `None` when it has none.
    async fn fetch_record(
        &self,
        client: &FaceIdClient,
        order_no: &OrderNo,
        tickets: Arc<SignTickets>,
    ) -> Result<Option<VerificationResult>, CallbackRejection> {
        let provider = self.inner.wiring.tickets();
        let options = QueryOptions::default();
        match query_record(provider, client, tickets, order_no, options).await {
            Ok(Some(mut answer)) => {
                // Asked without files; make sure none are kept regardless.
                answer.result.photo = None;
                answer.result.video = None;
                let other_app = answer
                    .result
                    .app_id
                    .as_deref()
                    .is_some_and(|app_id| app_id != self.inner.wiring.app_id());
                if answer.result.order_no != order_no.as_str() || other_app {
                    let kind = RejectionKind::NotConfirmed(NotConfirmed::RecordMismatch);
                    return Err(reject(kind, Some(order_no.clone()), None));
                }
                Ok(Some(answer))
            }
            Ok(None) => Ok(None),
            // A verification, failed or not, has a record: any other
            // refusal is about the query itself (credentials, sign, the
            // vendor's health), not about the verification.
            Err(e) => {
                let kind = RejectionKind::VendorUnavailable;
                Err(reject(kind, Some(order_no.clone()), Some(Arc::new(e))))
            }
        }
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
