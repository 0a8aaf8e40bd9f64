//! What the crate counts, through the [`metrics`](https://docs.rs/metrics)
//! facade (feature `metrics`; without it nothing is recorded and nothing
//! costs). The metrics and spans are listed in the README's
//! "Observability" section, the crate's documentation.

use std::time::Duration;

/// A session start of `edition` ended with `outcome` after `took`.
pub(crate) fn start(edition: &'static str, outcome: &'static str, took: Duration) {
    #[cfg(feature = "metrics")]
    {
        metrics::counter!("faceid_starts_total", "edition" => edition, "outcome" => outcome)
            .increment(1);
        metrics::histogram!("faceid_start_seconds", "edition" => edition, "outcome" => outcome)
            .record(took.as_secs_f64());
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (edition, outcome, took);
}

/// A callback answered with `verdict`.
pub(crate) fn callback(verdict: &'static str) {
    // The common verdicts get static keys: no label vector to allocate and
    // no key to hash on every callback (the rest are rare).
    #[cfg(feature = "metrics")]
    match verdict {
        "passed" => metrics::counter!("faceid_callbacks_total", "verdict" => "passed"),
        "failed" => metrics::counter!("faceid_callbacks_total", "verdict" => "failed"),
        other => metrics::counter!("faceid_callbacks_total", "verdict" => other),
    }
    .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = verdict;
}

/// An order settled in `state` by `path` (the callback or the reconciler).
pub(crate) fn settled(state: &'static str, path: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("faceid_settlements_total", "state" => state, "path" => path).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (state, path);
}

/// A settlement was handed to the hook.
pub(crate) fn hook_delivery(delivered: bool) {
    #[cfg(feature = "metrics")]
    metrics::counter!("faceid_hook_deliveries_total", "outcome" => if delivered { "delivered" } else { "failed" })
        .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = delivered;
}

/// Runs `call` to the vendor's `endpoint` (either API), counts and times
/// it by the outcome `outcome` names (`answered`, or the failure's label),
/// and notes it in the client's `contact` record (the health report's).
pub(crate) async fn vendor_call<T, E>(
    contact: &crate::contact::ContactLog,
    endpoint: &'static str,
    call: impl std::future::Future<Output = Result<T, E>>,
    outcome: impl FnOnce(&E) -> &'static str,
) -> Result<T, E> {
    let started = std::time::Instant::now();
    let result = call.await;
    let failure = result.as_ref().err().map(outcome);
    contact.record(endpoint, failure);
    vendor_call_ended(endpoint, failure.unwrap_or("answered"), started.elapsed());
    result
}

/// A call to the vendor's `endpoint` ended with `outcome` after `took`.
fn vendor_call_ended(endpoint: &'static str, outcome: &'static str, took: Duration) {
    #[cfg(feature = "metrics")]
    {
        metrics::counter!("faceid_vendor_calls_total", "endpoint" => endpoint, "outcome" => outcome)
            .increment(1);
        metrics::histogram!("faceid_vendor_call_seconds", "endpoint" => endpoint, "outcome" => outcome)
            .record(took.as_secs_f64());
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (endpoint, outcome, took);
}

/// The token and SIGN ticket were replaced, or not.
pub(crate) fn ticket_refresh(ok: bool) {
    #[cfg(feature = "metrics")]
    metrics::counter!("faceid_ticket_refreshes_total", "outcome" => if ok { "ok" } else { "failed" })
        .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = ok;
}

/// A background task started replacing a due pair.
pub(crate) fn ticket_refresh_ahead() {
    #[cfg(feature = "metrics")]
    metrics::counter!("faceid_ticket_refreshes_ahead_total").increment(1);
}

/// A callback signed with an unknown SIGN ticket was judged by the vendor's
/// record, with `outcome`.
pub(crate) fn record_judgement(outcome: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("faceid_record_judgements_total", "outcome" => outcome).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = outcome;
}

/// Orders due for reconciliation.
pub(crate) fn backlog(due: u64) {
    #[cfg(feature = "metrics")]
    metrics::gauge!("faceid_reconciler_backlog").set(due as f64);
    #[cfg(not(feature = "metrics"))]
    let _ = due;
}

/// The reconciler asked the vendor about an order, with `outcome`.
pub(crate) fn reconciler_query(outcome: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("faceid_reconciler_queries_total", "outcome" => outcome).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = outcome;
}

/// A health report found the instance ready, or not.
pub(crate) fn ready(ready: bool) {
    #[cfg(feature = "metrics")]
    metrics::gauge!("faceid_ready").set(if ready { 1.0 } else { 0.0 });
    #[cfg(not(feature = "metrics"))]
    let _ = ready;
}

/// A purge pass removed `purged`.
pub(crate) fn purged(purged: &crate::orders::Purged) {
    #[cfg(feature = "metrics")]
    for (class, count) in purged.by_class() {
        if count > 0 {
            metrics::counter!("faceid_purged_total", "class" => class).increment(count);
        }
    }
    #[cfg(not(feature = "metrics"))]
    let _ = purged;
}
