//! What the crate counts, through the [`metrics`](https://docs.rs/metrics)
//! facade (feature `metrics`): install any recorder or exporter you like
//! (Prometheus, StatsD, ...); without one, or without the feature, nothing
//! is recorded and nothing costs.
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `faceid_callbacks_total` | counter | `verdict`: `passed`, `failed`, or the rejection kind (`replay`, `bad_signature`, ...) |
//! | `faceid_settlements_total` | counter | `state` (`passed`, `failed`, `abandoned`), `path` (`callback`, `reconciler`) |
//! | `faceid_hook_deliveries_total` | counter | `outcome`: `delivered`, `failed` |
//! | `faceid_vendor_calls_total` | counter | `endpoint` (`access_token`, `api_ticket`, `geth5faceid`, `queryfacerecord`), `outcome` (`answered`, `transport`, `http_status`, `too_large`, `decode`, `other`) |
//! | `faceid_vendor_call_seconds` | histogram | as `faceid_vendor_calls_total` |
//! | `faceid_ticket_refreshes_total` | counter | `outcome`: `ok`, `failed` |
//! | `faceid_ticket_refreshes_ahead_total` | counter | none: replacements of a due pair started in the background while the still-valid pair served |
//! | `faceid_record_judgements_total` | counter | `outcome`: `accepted`, `no_record`, `vendor_unavailable`, `rate_limited`: callbacks signed with a SIGN ticket this server never saw, judged by the vendor's record |
//! | `faceid_reconciler_backlog` | gauge | none: orders due for reconciliation at the last round |
//!
//! No label carries an order number, a user or any other unbounded or
//! personal value.

use std::time::Duration;

/// A callback answered with `verdict`.
pub(crate) fn callback(verdict: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("faceid_callbacks_total", "verdict" => verdict).increment(1);
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

/// A call to the vendor's `endpoint` ended with `outcome` after `took`.
pub(crate) fn vendor_call(endpoint: &'static str, outcome: &'static str, took: Duration) {
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
