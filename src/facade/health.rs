//! [`FaceId::health`]: what an operator (or a Kubernetes readiness probe)
//! asks of an instance. The ticket pair's age, the store's reachability
//! and latency, the vendor's last answer and failure, the reconciler's
//! backlog, and a verdict by the [`Readiness`] thresholds.

use std::time::{Duration, Instant, SystemTime};

use serde::Serialize;

use super::FaceId;
use crate::client::VendorContact;
use crate::clock::{rfc3339, serialize_rfc3339, serialize_seconds};
use crate::orders::StoreError;
use crate::tickets::TicketPairStatus;

/// When [`FaceId::health`] calls an instance not ready: each threshold
/// has a default and a setter, which clamps as it documents.
///
/// The instance is not ready when
/// - the order store does not answer a ping within
///   [`max_store_latency`](Self::max_store_latency) (default 1 s), or
///   fails it;
/// - a vendor client (the H5 one, and the WeChat one when configured)
///   failed its last [`vendor_failures`](Self::vendor_failures) calls in a
///   row (default 3) with no answer since;
/// - the tickets cannot sign: the vendor issued a new access token but no
///   SIGN ticket for it, or the SIGN ticket expired and the vendor's last
///   call failed;
/// - the reconciler's backlog is over
///   [`max_backlog`](Self::max_backlog) orders (default 10 000), when
///   settlement is on.
///
/// ```
/// use std::time::Duration;
/// use tencent_faceid::facade::Readiness;
/// let readiness = Readiness::default()
///     .max_store_latency(Duration::from_millis(250))
///     .vendor_failures(5)
///     .max_backlog(500);
/// // Out-of-range values are clamped, not refused.
/// assert_eq!(readiness.vendor_failures(0), readiness.vendor_failures(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    max_store_latency: Duration,
    vendor_failures: u32,
    max_backlog: u64,
}

impl Default for Readiness {
    fn default() -> Self {
        Self {
            max_store_latency: Duration::from_secs(1),
            vendor_failures: 3,
            max_backlog: 10_000,
        }
    }
}

impl Readiness {
    /// How long the store's ping (and the backlog's count) may take
    /// (default 1 s; clamped to 1 ms ..= 60 s): a slower store is
    /// reported as out of reach. Keep it under the probe's
    /// `timeoutSeconds`.
    pub fn max_store_latency(mut self, latency: Duration) -> Self {
        self.max_store_latency = latency.clamp(Duration::from_millis(1), Duration::from_secs(60));
        self
    }

    /// How many vendor calls in a row may fail, with no answer since,
    /// before the instance is not ready (default 3; at least 1).
    pub fn vendor_failures(mut self, failures: u32) -> Self {
        self.vendor_failures = failures.max(1);
        self
    }

    /// How many orders may wait for reconciliation before the instance is
    /// not ready (default 10 000): a reconciler that is not running or
    /// cannot keep up.
    pub fn max_backlog(mut self, orders: u64) -> Self {
        self.max_backlog = orders;
        self
    }
}

/// What [`FaceId::health`] found: serialize it as the body of a readiness
/// route (`FaceId::health_route` with feature `axum`,
/// `FaceId::health_resource` with feature `actix`). It holds no secret
/// and no personal data: times, counts, labels and the app id's
/// readiness. Times are written in RFC 3339 (UTC), durations in seconds.
#[derive(Debug, Clone, Serialize)]
#[non_exhaustive]
pub struct HealthReport {
    /// Whether the instance should take traffic: no reason against it.
    pub ready: bool,
    /// Why it should not, one sentence each (empty when ready).
    pub reasons: Vec<String>,
    /// When the report was made, on the app's clock.
    #[serde(serialize_with = "serialize_rfc3339")]
    pub checked_at: SystemTime,
    /// The access token and SIGN ticket this process signs with; `None`
    /// when the provider holds no pair of its own (fixed tickets, a
    /// provider of yours) or fetched none yet.
    pub tickets: Option<TicketHealth>,
    /// The order store's answer to a ping.
    pub store: StoreHealth,
    /// The H5 (SaaS) vendor client's last contacts.
    pub vendor: VendorContact,
    /// The WeChat edition's (API 3.0) client's last contacts, when
    /// configured.
    pub wechat_vendor: Option<VendorContact>,
    /// Orders due for reconciliation, when settlement is on and the store
    /// answered.
    pub backlog: Option<u64>,
}

impl HealthReport {
    /// The HTTP status a readiness route answers: 200 when ready, 503
    /// otherwise.
    pub fn http_status(&self) -> u16 {
        if self.ready { 200 } else { 503 }
    }

    /// The report as the JSON body of a readiness route.
    pub fn to_json(&self) -> Vec<u8> {
        // Strings, numbers, booleans and lists: serializing cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// The ticket pair at the report's time: its times, age and time left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct TicketHealth {
    /// When it was fetched, is due and expires.
    #[serde(flatten)]
    pub pair: TicketPairStatus,
    /// How long ago it was fetched.
    #[serde(rename = "age_seconds", serialize_with = "serialize_seconds")]
    pub age: Duration,
    /// How long until it is due for replacement (zero once due).
    #[serde(rename = "due_in_seconds", serialize_with = "serialize_seconds")]
    pub due_in: Duration,
}

/// The order store's answer to a ping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StoreHealth {
    /// Whether it answered within the threshold.
    pub reachable: bool,
    /// How long the ping took (the threshold when it did not answer).
    #[serde(rename = "latency_seconds", serialize_with = "serialize_seconds")]
    pub latency: Duration,
    /// Why it did not answer.
    pub error: Option<String>,
}

impl FaceId {
    /// How this instance is: the ticket pair's age and due time, the
    /// order store's reachability and latency (one ping, bounded by
    /// [`Readiness::max_store_latency`]), each vendor client's last answer
    /// and failure, the reconciler's backlog, and whether it is ready by
    /// the [`Readiness`] thresholds ([`FaceIdBuilder::readiness`](super::FaceIdBuilder::readiness)).
    /// Makes no vendor call: the vendor's state is what the app's own
    /// calls found. A report that is not ready is logged (`warn`) with its
    /// reasons.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid_emulator::Emulator;
    /// use tencent_faceid::FaceId;
    /// let emulator = Emulator::start().await?;
    /// let face_id = emulator.face_id()
    ///     .callback_url("http://127.0.0.1:3000/face/callback")
    ///     .build()
    ///     .await?;
    /// let report = face_id.health().await;
    /// assert!(report.ready, "{:?}", report.reasons);
    /// assert!(report.store.reachable);
    /// assert!(report.vendor.last_success.is_some(), "the warm-up reached the vendor");
    /// assert_eq!(report.tickets.map(|t| t.age.as_secs()), Some(0));
    /// # Ok(()) }
    /// ```
    pub async fn health(&self) -> HealthReport {
        let readiness = self.readiness;
        let now = self.client().clock().now();
        let mut reasons = Vec::new();
        let vendor = self.client().contact();
        let wechat_vendor = self.wiring.tc3().map(|tc3| tc3.contact());
        for (name, contact) in [("H5", Some(&vendor)), ("WeChat", wechat_vendor.as_ref())] {
            if let Some(reason) = contact.and_then(|c| vendor_reason(name, c, readiness)) {
                reasons.push(reason);
            }
        }
        let pair = self.wiring.tickets().pair_status();
        reasons.extend(pair.and_then(|pair| tickets_reason(&pair, &vendor, now)));
        let store = self.ping_store(readiness.max_store_latency).await;
        if let Some(error) = &store.error {
            reasons.push(format!(
                "the order store did not answer a ping: {error}; check that it is reachable"
            ));
        }
        let backlog = match (&self.settler, store.reachable) {
            (Some(settler), true) => self.backlog(settler, now, &mut reasons).await,
            _ => None,
        };
        let report = HealthReport {
            ready: reasons.is_empty(),
            reasons,
            checked_at: now,
            tickets: pair.map(|pair| TicketHealth {
                pair,
                age: pair.age_at(now),
                due_in: pair.due_in_at(now),
            }),
            store,
            vendor,
            wechat_vendor,
            backlog,
        };
        crate::metrics::ready(report.ready);
        if report.ready {
            tracing::debug!("health: ready");
        } else {
            let reasons = report.reasons.join(" ");
            tracing::warn!(%reasons, "health: this instance is not ready");
        }
        report
    }

    /// One ping of the store, within `bound`.
    async fn ping_store(&self, bound: Duration) -> StoreHealth {
        let started = Instant::now();
        let answer = tokio::time::timeout(bound, self.wiring.store().ping()).await;
        let latency = started.elapsed();
        let error = match answer {
            Ok(Ok(())) => None,
            Ok(Err(error)) => Some(error.to_string()),
            Err(_) => Some(format!("no answer within {bound:?}")),
        };
        StoreHealth {
            reachable: error.is_none(),
            latency: latency.min(bound),
            error,
        }
    }

    /// The reconciler's backlog at `now`, within the store's threshold; a
    /// reason when it is over the threshold or could not be counted.
    async fn backlog(
        &self,
        settler: &crate::settle::Settler,
        now: SystemTime,
        reasons: &mut Vec<String>,
    ) -> Option<u64> {
        let bound = self.readiness.max_store_latency;
        let count = self.wiring.store().due_backlog(settler.reconcile_due(now));
        let count = match tokio::time::timeout(bound, count).await {
            Ok(count) => count,
            Err(_) => Err(StoreError::Backend(
                format!("no answer within {bound:?}").into(),
            )),
        };
        match count {
            Ok(due) if due > self.readiness.max_backlog => {
                reasons.push(format!(
                    "{due} orders wait for reconciliation, over the threshold of {}; check that a reconciler runs and keeps up",
                    self.readiness.max_backlog
                ));
                Some(due)
            }
            Ok(due) => Some(due),
            Err(error) => {
                reasons.push(format!(
                    "the order store did not count the reconciler's backlog: {error}; check that it is reachable"
                ));
                None
            }
        }
    }
}

/// Why the vendor client `name` makes the instance not ready, if it does.
fn vendor_reason(name: &str, contact: &VendorContact, readiness: Readiness) -> Option<String> {
    let failures = contact.failures_since_success;
    if failures < readiness.vendor_failures {
        return None;
    }
    let last = contact.last_failure.as_ref()?;
    let since = match contact.last_success {
        Some(at) => format!("since {}", rfc3339(at)),
        None => "yet".to_owned(),
    };
    Some(format!(
        "the vendor failed the {name} client's last {failures} calls (the last: {} at {}, {}) and answered none {since}; check the vendor's reachability and the base URL",
        last.call,
        rfc3339(last.at),
        last.outcome
    ))
}

/// Why the ticket pair makes the instance not ready at `now`, if it does.
fn tickets_reason(
    pair: &TicketPairStatus,
    vendor: &VendorContact,
    now: SystemTime,
) -> Option<String> {
    if pair.awaiting_ticket {
        return Some(
            "the vendor issued a new access token but no SIGN ticket for it, and the old ticket ends a minute after the new token; check the vendor's reachability".to_owned(),
        );
    }
    (!pair.is_valid_at(now) && vendor.failures_since_success > 0).then(|| {
        format!(
            "the SIGN ticket expired at {} and the vendor's last call failed, so no callback can be verified until a new one is fetched; check the vendor's reachability",
            rfc3339(pair.expires_at)
        )
    })
}
