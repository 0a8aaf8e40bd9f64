//! What both demos show of settlement: the recent sessions, filled by the
//! `on_settled` hook, at `/sessions` (HTML) and `/sessions.json`; the
//! reconciler that settles a session whose browser never came back, after
//! `DEMO_RECONCILE_AFTER` seconds (default 600); and the crate's metrics at
//! `/metrics` (Prometheus text).
//!
//! Try it: start a verification, press "pass" on the emulator's page, then
//! close the tab instead of following the redirect. After the delay the
//! session shows `passed` by the `reconciler`; opening the old callback URL
//! then answers 409.
//!
//! A purger runs beside the reconciler: settled orders go after
//! `DEMO_ORDER_RETENTION` seconds and the settlement log after
//! `DEMO_LOG_RETENTION` seconds (defaults: the crate's `Retention`), so a
//! staging run can watch rows go.

use std::collections::VecDeque;
use std::error::Error;
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tencent_faceid::FaceId;
use tencent_faceid::OrderNo;
use tencent_faceid::orders::Retention;
use tencent_faceid::settle::{Settlement, Settler, SettlerBuilder, TaskHandle};

/// How many sessions the list keeps.
const RECENT: usize = 100;

/// One session in the list.
struct Session {
    order_no: String,
    state: &'static str,
    settled_by: Option<&'static str>,
    code: Option<String>,
}

/// The recent sessions, newest first.
static SESSIONS: Mutex<VecDeque<Session>> = Mutex::new(VecDeque::new());
/// The running reconcilers, kept for as long as the process runs.
static RECONCILERS: Mutex<Vec<TaskHandle>> = Mutex::new(Vec::new());
/// The running purgers, kept for as long as the process runs.
static PURGERS: Mutex<Vec<TaskHandle>> = Mutex::new(Vec::new());
/// The bucket bounds of the `*_seconds` histograms: vendor calls and starts.
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// The Prometheus recorder, installed once per process.
static METRICS: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `DEMO_RECONCILE_AFTER`: how long a session waits before the reconciler
/// asks the vendor about it (default 10 minutes).
pub fn reconcile_after() -> Result<Duration, Box<dyn Error + Send + Sync>> {
    match std::env::var("DEMO_RECONCILE_AFTER") {
        Ok(seconds) => {
            Ok(Duration::from_secs(seconds.parse().map_err(
                |_| "DEMO_RECONCILE_AFTER must be a number of seconds",
            )?))
        }
        Err(_) => Ok(Settler::DEFAULT_RECONCILE_AFTER),
    }
}

/// The demo's settler: its hook fills the list, and orders are reconciled
/// `after` their start; the metrics recorder is installed on the way.
pub fn hooked(settler: SettlerBuilder, after: Duration) -> SettlerBuilder {
    METRICS.get_or_init(|| {
        // Histograms as buckets, as the dashboard in docs/observability
        // expects (the exporter's default is a summary).
        PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), SECONDS_BUCKETS)
            .ok()?
            .install_recorder()
            .ok()
    });
    settler
        .reconcile_after(after)
        .on_settled(|settlement: Settlement| async move {
            settled(&settlement);
            Ok::<(), std::convert::Infallible>(())
        })
}

/// Runs a reconciler on the app's settler, looking often enough for a
/// short `after` to be watched, for as long as the process runs (the
/// vendor is asked about a session at most three times: the crate's
/// default).
pub fn reconcile(face_id: &FaceId, after: Duration) {
    let every = (after / 4).clamp(Duration::from_secs(1), Duration::from_secs(30));
    if let Some(reconciler) = face_id.reconciler() {
        let handle = reconciler.interval(every).build().spawn();
        lock(&RECONCILERS).push(handle);
    }
}

/// The seconds in the variable `name`, if set.
fn seconds(name: &str) -> Result<Option<Duration>, Box<dyn Error + Send + Sync>> {
    match std::env::var(name) {
        Ok(seconds) => match seconds.parse() {
            Ok(seconds) => Ok(Some(Duration::from_secs(seconds))),
            Err(_) => Err(format!("{name} must be a number of seconds").into()),
        },
        Err(_) => Ok(None),
    }
}

/// The demo's retention: `DEMO_ORDER_RETENTION` seconds for a settled
/// order (its tombstone goes with it), `DEMO_LOG_RETENTION` seconds for
/// the settlement log; the crate's defaults for what is not set.
pub fn retention() -> Result<Retention, Box<dyn Error + Send + Sync>> {
    let mut retention = Retention::default();
    if let Some(orders) = seconds("DEMO_ORDER_RETENTION")? {
        retention = retention.settled_orders(orders).tombstones(orders);
    }
    if let Some(log) = seconds("DEMO_LOG_RETENTION")? {
        retention = retention.settlement_log(log);
    }
    Ok(retention)
}

/// Runs a purger on the app's store with `retention`, often enough for a
/// short retention to be watched, for as long as the process runs.
pub fn purge(face_id: &FaceId, retention: Retention) {
    let shortest = retention
        .settled_orders_for()
        .min(retention.settlement_log_for());
    let every = (shortest / 4).clamp(Duration::from_secs(1), Duration::from_secs(600));
    let handle = face_id
        .purger()
        .retention(retention)
        .interval(every)
        .build()
        .spawn();
    lock(&PURGERS).push(handle);
}

/// Adds a session just started, pending.
pub fn started(order_no: &OrderNo) {
    push_pending(&mut lock(&SESSIONS), order_no);
}

/// Adds `order_no` to the front of the list (held locked by the caller),
/// pending.
fn push_pending(sessions: &mut VecDeque<Session>, order_no: &OrderNo) {
    sessions.push_front(Session {
        order_no: order_no.to_string(),
        state: "pending",
        settled_by: None,
        code: None,
    });
    sessions.truncate(RECENT);
}

/// Marks a session settled (the hook). A session the list does not hold
/// (started before a restart, or by another instance) joins it; the lock
/// is taken once, so the hook never waits on itself.
fn settled(settlement: &Settlement) {
    let mut sessions = lock(&SESSIONS);
    let order_no = settlement.order_no.as_str();
    let index = match sessions.iter().position(|s| s.order_no == order_no) {
        Some(index) => index,
        None => {
            push_pending(&mut sessions, &settlement.order_no);
            0
        }
    };
    let session = &mut sessions[index];
    session.state = settlement.state.as_str();
    session.settled_by = Some(settlement.settled_by.as_str());
    session.code = match &settlement.state {
        tencent_faceid::settle::SettledState::Failed(code) => Some(code.as_str().to_owned()),
        _ => None,
    };
}

/// `/sessions.json`: `[{orderNo, state, settledBy, code}]`, newest first.
pub fn json() -> String {
    let sessions = lock(&SESSIONS);
    let list: Vec<_> = sessions
        .iter()
        .map(|s| {
            serde_json::json!({
                "orderNo": s.order_no,
                "state": s.state,
                "settledBy": s.settled_by,
                "code": s.code,
            })
        })
        .collect();
    serde_json::Value::Array(list).to_string()
}

/// `/sessions`: the list as an HTML table, on the demo's page.
pub fn html(site: &super::pages::Site) -> String {
    let sessions = lock(&SESSIONS);
    let rows: String = sessions
        .iter()
        .map(|s| {
            // Three columns fit a phone: the code goes under the state.
            format!(
                "<tr><td><code>{}</code><td class={state}>{state}{}<td>{}</tr>",
                s.order_no,
                s.code.as_deref().map_or_else(String::new, |code| format!(
                    "<br><code>{}</code>",
                    super::pages::escape(code)
                )),
                s.settled_by.unwrap_or("-"),
                state = s.state,
            )
        })
        .collect();
    let body = format!(
        "<h1>Recent sessions</h1><table id=sessions><tr><th>order<th>state, code<th>settled by</tr>{rows}</table>\
         <p class=\"note links\"><a href=\"{}\">Start another</a><a href=\"{}\">JSON</a><a href=\"{}\">metrics</a></p>",
        site.link(""),
        site.link("sessions.json"),
        site.link("metrics"),
    );
    super::pages::page(3, &body)
}

/// `/metrics`: the Prometheus text exposition.
pub fn metrics() -> String {
    METRICS
        .get()
        .and_then(Option::as_ref)
        .map_or_else(String::new, PrometheusHandle::render)
}
