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
//! | `faceid_reconciler_backlog` | gauge | none: orders due for reconciliation at the last round |
//!
//! No label carries an order number, a user or any other unbounded or
//! personal value.

use std::time::Duration;

use crate::client::{ClientError, Endpoint};
use crate::settle::{SettledBy, SettledState};

/// A callback answered with `verdict`.
pub(crate) fn callback(verdict: &'static str) {
    #[cfg(feature = "metrics")]
    metrics::counter!("faceid_callbacks_total", "verdict" => verdict).increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = verdict;
}

/// An order settled.
pub(crate) fn settled(state: &SettledState, by: SettledBy) {
    #[cfg(feature = "metrics")]
    metrics::counter!("faceid_settlements_total", "state" => state.as_str(), "path" => by.as_str())
        .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = (state, by);
}

/// A settlement was handed to the hook.
pub(crate) fn hook_delivery(delivered: bool) {
    #[cfg(feature = "metrics")]
    metrics::counter!("faceid_hook_deliveries_total", "outcome" => if delivered { "delivered" } else { "failed" })
        .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = delivered;
}

/// A vendor call ended after `took`.
pub(crate) fn vendor_call<T>(endpoint: Endpoint, result: &Result<T, ClientError>, took: Duration) {
    #[cfg(feature = "metrics")]
    {
        let endpoint = match endpoint {
            Endpoint::AccessToken => "access_token",
            Endpoint::ApiTicket => "api_ticket",
            Endpoint::StartSession => "geth5faceid",
            Endpoint::QueryRecord => "queryfacerecord",
        };
        let outcome = match result {
            Ok(_) => "answered",
            Err(ClientError::Transport { .. }) => "transport",
            Err(ClientError::Status { .. }) => "http_status",
            Err(ClientError::TooLarge { .. }) => "too_large",
            Err(ClientError::Decode { .. }) => "decode",
            Err(_) => "other",
        };
        metrics::counter!("faceid_vendor_calls_total", "endpoint" => endpoint, "outcome" => outcome)
            .increment(1);
        metrics::histogram!("faceid_vendor_call_seconds", "endpoint" => endpoint, "outcome" => outcome)
            .record(took.as_secs_f64());
    }
    #[cfg(not(feature = "metrics"))]
    let _ = (endpoint, result, took);
}

/// The token and SIGN ticket were replaced, or not.
pub(crate) fn ticket_refresh(ok: bool) {
    #[cfg(feature = "metrics")]
    metrics::counter!("faceid_ticket_refreshes_total", "outcome" => if ok { "ok" } else { "failed" })
        .increment(1);
    #[cfg(not(feature = "metrics"))]
    let _ = ok;
}

/// Orders due for reconciliation.
pub(crate) fn backlog(due: u64) {
    #[cfg(feature = "metrics")]
    metrics::gauge!("faceid_reconciler_backlog").set(due as f64);
    #[cfg(not(feature = "metrics"))]
    let _ = due;
}
