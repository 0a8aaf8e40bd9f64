//! What the crate counts, through the [`metrics`](https://docs.rs/metrics)
//! facade (feature `metrics`): install any recorder or exporter you like
//! (Prometheus, StatsD, ...); without one, or without the feature, nothing
//! is recorded and nothing costs. And the [`tracing`](https://docs.rs/tracing)
//! spans it opens, which any subscriber (an OpenTelemetry layer, `fmt`) can
//! time and export.
//!
//! # Metrics
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `faceid_starts_total` | counter | `edition` (`basic`, `enhanced`, `sdk`, `wechat`), `outcome`: `started`, `refused` (the [admission check](crate::session::SessionStarterBuilder::admit)), `store_full`, `vendor_error` (the vendor failed or answered unusably), `identity_refused` (the vendor refused the name or id number), `invalid` (a request to fix), `tickets_unavailable`, `store_unavailable`, `misconfigured` |
//! | `faceid_start_seconds` | histogram | as `faceid_starts_total`: the whole [`SessionStarter::start`](crate::session::SessionStarter::start) |
//! | `faceid_callbacks_total` | counter | `verdict`: `passed`, `failed`, or the rejection kind (`replay`, `bad_signature`, ...) |
//! | `faceid_settlements_total` | counter | `state` (`passed`, `failed`, `abandoned`), `path` (`callback`, `reconciler`) |
//! | `faceid_hook_deliveries_total` | counter | `outcome`: `delivered`, `failed` |
//! | `faceid_vendor_calls_total` | counter | `endpoint` (`access_token`, `api_ticket`, `geth5faceid`, `getAdvFaceId`, `getfaceid`, `queryfacerecord`; API 3.0: `DetectAuth`, `GetDetectInfoEnhanced`), `outcome` (`answered`, `transport`, `http_status`, `too_large`, `decode`, `other`) |
//! | `faceid_vendor_call_seconds` | histogram | as `faceid_vendor_calls_total` |
//! | `faceid_ticket_refreshes_total` | counter | `outcome`: `ok`, `failed` |
//! | `faceid_ticket_refreshes_ahead_total` | counter | none: replacements of a due pair started in the background while the still-valid pair served |
//! | `faceid_record_judgements_total` | counter | `outcome`: `accepted`, `no_record`, `vendor_unavailable`, `rate_limited`: callbacks signed with a SIGN ticket this server never saw, judged by the vendor's record |
//! | `faceid_reconciler_backlog` | gauge | none: orders due for reconciliation at the last round |
//! | `faceid_reconciler_queries_total` | counter | `outcome`: `record` (the vendor had the order's record), `no_record` (asked again later, or abandoned at the deadline), `failed`: the reconciler's vendor queries, at most [`queries_per_order`](crate::settle::ReconcilerBuilder::queries_per_order) answered ones per order |
//! | `faceid_ready` | gauge | none: 1 when the last [health report](crate::FaceId::health) found the instance ready, 0 when not |
//! | `faceid_purged_total` | counter | `class`: `unsettled_orders`, `settled_orders` (shrunk to tombstones without the user), `tombstones`, `settlement_log`: records the [purger](crate::settle::Purger) removed |
//!
//! No label carries an order number, a user or any other unbounded or
//! personal value.
//!
//! # Spans
//!
//! At `info` level; the order number is the only thing they say of an
//! order, never the user id, name, id number or photo.
//!
//! | name | around | fields |
//! |---|---|---|
//! | `faceid.start` | [`SessionStarter::start`](crate::session::SessionStarter::start), vendor calls and ticket fetches included | `edition`, `order_no` (once made), `outcome` (as the starts counter) |
//! | `faceid.verify` | a callback's verification, from its order's look-up to its settlement's delivery | `order_no` (when the query has a valid one), `verdict` (as the callbacks counter) |
//! | `faceid.ticket_refresh` | replacing the access token and SIGN ticket | `recovery`: `true` when a signature matched no ticket or the vendor refused the ticket |
//! | `faceid.reconcile` | the reconciler's work on one due order | `order_no` |
//! | `faceid.hook` | one call of the [`on_settled`](crate::settle::SettlerBuilder::on_settled) hook | `order_no`, `state`, `settled_by`, `delivered` |

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
