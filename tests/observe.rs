//! What operators see, against the emulator: the starts counter and
//! latency histogram through a real Prometheus recorder, the delivery of a
//! callback's settlement on its outcome (a hook that succeeds, one that
//! fails), and the spans with their fields through a tracing subscriber
//! (the order number in them, the user's name and id number nowhere).
//!
//! Each test runs on its own current-thread runtime, with the recorder or
//! subscriber set for that thread only: tests running side by side never
//! see each other's counts or spans.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use metrics_exporter_prometheus::PrometheusBuilder;
use tencent_faceid::callback::{CallbackVerifier, VerificationOutcome};
use tencent_faceid::client::Endpoint;
use tencent_faceid::clock::ManualClock;
use tencent_faceid::emulator::{Emulator, Fault, Outcome};
use tencent_faceid::ids::UserId;
use tencent_faceid::orders::MemoryOrderStore;
use tencent_faceid::random::random_alphanumeric;
use tencent_faceid::session::{SessionStarter, StartSession};
use tencent_faceid::settle::{Delivery, Reconciler, Settlement, Settler};
use tencent_faceid::tickets::CachedTickets;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

const NAME: &str = "Zhang San";
const ID_NUMBER: &str = "110101199003074477";

async fn emulator() -> Emulator {
    Emulator::builder()
        .clock(ManualClock::new())
        .start()
        .await
        .unwrap()
}

fn session() -> StartSession {
    let user = UserId::new(format!("user{}", random_alphanumeric(12))).unwrap();
    let callback = "https://partner.example/face/callback".parse().unwrap();
    StartSession::new(user, callback)
        .name(NAME)
        .id_number(ID_NUMBER)
}

/// A starter, and a verifier settling through a hook that fails while
/// `failing` is set.
fn wired(
    emulator: &Emulator,
    failing: &Arc<AtomicBool>,
) -> (SessionStarter, CallbackVerifier, Settler) {
    let tickets = CachedTickets::builder(emulator.client()).build();
    let store = MemoryOrderStore::new();
    let failing = Arc::clone(failing);
    let settler = Settler::builder(emulator.client(), tickets.clone(), store.clone())
        .clock(emulator.clock())
        .on_settled(move |_settlement: Settlement| {
            let fail = failing.load(Ordering::SeqCst);
            async move {
                match fail {
                    true => Err("the partner's database is down"),
                    false => Ok(()),
                }
            }
        })
        .build();
    let starter = SessionStarter::builder(emulator.client(), tickets.clone(), store.clone())
        .build()
        .unwrap();
    let verifier = CallbackVerifier::builder(emulator.app_id(), tickets, store)
        .clock(emulator.clock())
        .settle_with(settler.clone())
        .build()
        .unwrap();
    (starter, verifier, settler)
}

/// Starts a session, presses pass, verifies the callback.
async fn verified(
    emulator: &Emulator,
    starter: &SessionStarter,
    verifier: &CallbackVerifier,
) -> VerificationOutcome {
    let started = starter.start(session()).await.unwrap();
    let back = emulator
        .complete(&started.h5face_id, Outcome::Pass)
        .unwrap();
    verifier.verify(back.query().unwrap()).await.unwrap()
}

/// The value of the sample `name{labels}` in a Prometheus text exposition.
fn sample(text: &str, name_and_labels: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(name_and_labels)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no sample {name_and_labels} in:\n{text}"))
        .parse()
        .unwrap()
}

#[tokio::test]
async fn starts_are_counted_by_outcome_and_timed() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);
    let emulator = emulator().await;
    let tickets = CachedTickets::builder(emulator.client()).build();
    let admitted = Arc::new(AtomicBool::new(true));
    let admit = Arc::clone(&admitted);
    let starter = SessionStarter::builder(
        emulator.client(),
        tickets,
        MemoryOrderStore::with_capacity(2),
    )
    .admit(move |_| match admit.load(Ordering::SeqCst) {
        true => Ok(()),
        false => Err("the test refuses".to_owned()),
    })
    .build()
    .unwrap();

    starter.start(session()).await.unwrap();
    emulator.inject(Fault::http_status(Endpoint::StartSession, 503));
    starter.start(session()).await.unwrap_err();
    starter.start(session()).await.unwrap();
    // The store holds its two pending orders.
    starter.start(session()).await.unwrap_err();
    admitted.store(false, Ordering::SeqCst);
    starter.start(session()).await.unwrap_err();

    let text = handle.render();
    let starts = |outcome: &str| {
        sample(
            &text,
            &format!("faceid_starts_total{{edition=\"basic\",outcome=\"{outcome}\"}}"),
        )
    };
    assert_eq!(starts("started"), 2.0);
    assert_eq!(starts("vendor_error"), 1.0);
    assert_eq!(starts("store_full"), 1.0);
    assert_eq!(starts("refused"), 1.0);
    let timed = |outcome: &str| {
        sample(
            &text,
            &format!("faceid_start_seconds_count{{edition=\"basic\",outcome=\"{outcome}\"}}"),
        )
    };
    assert_eq!(timed("started"), 2.0);
    assert_eq!(timed("refused"), 1.0);
    let took = sample(
        &text,
        "faceid_start_seconds_sum{edition=\"basic\",outcome=\"started\"}",
    );
    assert!(took > 0.0, "{text}");
    emulator.shutdown().await;
}

#[tokio::test]
async fn the_outcome_says_whether_the_hook_took_its_settlement() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);
    let emulator = emulator().await;
    let failing = Arc::new(AtomicBool::new(false));
    let (starter, verifier, _) = wired(&emulator, &failing);

    let delivered = verified(&emulator, &starter, &verifier).await;
    assert_eq!(delivered.delivery, Some(Delivery::Delivered));
    assert!(!delivered.awaits_delivery());

    failing.store(true, Ordering::SeqCst);
    let deferred = verified(&emulator, &starter, &verifier).await;
    assert_eq!(deferred.delivery, Some(Delivery::Deferred));
    assert!(deferred.awaits_delivery());

    let text = handle.render();
    let hook = |outcome: &str| {
        sample(
            &text,
            &format!("faceid_hook_deliveries_total{{outcome=\"{outcome}\"}}"),
        )
    };
    assert_eq!((hook("delivered"), hook("failed")), (1.0, 1.0));

    // Without a settler, no settlement and so no delivery.
    let tickets = CachedTickets::builder(emulator.client()).build();
    let store = MemoryOrderStore::new();
    let starter = SessionStarter::builder(emulator.client(), tickets.clone(), store.clone())
        .build()
        .unwrap();
    let verifier = CallbackVerifier::builder(emulator.app_id(), tickets, store)
        .build()
        .unwrap();
    assert_eq!(
        verified(&emulator, &starter, &verifier).await.delivery,
        None
    );
    emulator.shutdown().await;
}

/// A span's or an event's fields, by name.
type FieldValues = BTreeMap<String, String>;

/// Every span opened (its name and fields), and every event's fields.
#[derive(Clone, Default)]
struct Captured {
    spans: Arc<Mutex<Vec<(String, FieldValues)>>>,
    events: Arc<Mutex<Vec<FieldValues>>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Captured {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, _ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        fields.insert("#id".to_owned(), id.into_u64().to_string());
        attrs.record(&mut Fields(&mut fields));
        let name = attrs.metadata().name().to_owned();
        self.spans.lock().unwrap().push((name, fields));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut spans = self.spans.lock().unwrap();
        let key = id.into_u64().to_string();
        if let Some((_, fields)) = spans.iter_mut().rev().find(|(_, f)| f["#id"] == key) {
            values.record(&mut Fields(fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.events.lock().unwrap().push(fields);
    }
}

impl Captured {
    fn spans_named(&self, name: &str) -> Vec<BTreeMap<String, String>> {
        let spans = self.spans.lock().unwrap();
        spans
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, fields)| fields.clone())
            .collect()
    }
}

#[tokio::test]
async fn spans_carry_the_order_number_and_no_personal_data() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::registry().with(captured.clone());
    let _default = tracing::subscriber::set_default(subscriber);
    let emulator = emulator().await;
    let failing = Arc::new(AtomicBool::new(true));
    let (starter, verifier, settler) = wired(&emulator, &failing);

    // Settled by its callback; the hook fails, then the reconciler
    // delivers it again.
    let outcome = verified(&emulator, &starter, &verifier).await;
    let order_no = outcome.order_no.to_string();
    failing.store(false, Ordering::SeqCst);
    emulator.advance(Duration::from_secs(3600)).unwrap();
    let round = Reconciler::builder(settler)
        .rate(10_000.0)
        .build()
        .run_once()
        .await
        .unwrap();
    assert_eq!(round.claimed, 1, "{round:?}");

    let start = captured.spans_named("faceid.start");
    assert_eq!(start.len(), 1);
    assert_eq!(start[0]["order_no"], order_no);
    assert_eq!(start[0]["outcome"], "started");
    assert_eq!(start[0]["edition"], "basic");
    let verify = captured.spans_named("faceid.verify");
    assert_eq!(
        (
            verify[0]["order_no"].as_str(),
            verify[0]["verdict"].as_str()
        ),
        (order_no.as_str(), "passed")
    );
    let refresh = captured.spans_named("faceid.ticket_refresh");
    assert_eq!(
        refresh.first().map(|f| f["recovery"].as_str()),
        Some("false")
    );
    let reconcile = captured.spans_named("faceid.reconcile");
    assert_eq!(reconcile.len(), 1);
    assert_eq!(reconcile[0]["order_no"], order_no);
    let hook: Vec<_> = captured
        .spans_named("faceid.hook")
        .into_iter()
        .map(|f| {
            (
                f["order_no"].clone(),
                f["settled_by"].clone(),
                f["delivered"].clone(),
            )
        })
        .collect();
    let by =
        |path: &str, delivered: &str| (order_no.clone(), path.to_owned(), delivered.to_owned());
    assert_eq!(hook, [by("callback", "false"), by("callback", "true")]);

    let spans = captured.spans.lock().unwrap().clone();
    let events = captured.events.lock().unwrap().clone();
    assert!(!events.is_empty());
    let values = spans
        .iter()
        .flat_map(|(_, fields)| fields.values())
        .chain(events.iter().flat_map(BTreeMap::values));
    for value in values {
        assert!(
            !value.contains(NAME) && !value.contains(ID_NUMBER),
            "personal data in {value:?}"
        );
    }
    emulator.shutdown().await;
}

/// The `faceid_*` metric names in `text`, without the `_bucket`, `_count`
/// and `_sum` of a histogram's series.
fn metric_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .match_indices("faceid_")
        .map(|(at, _)| {
            let name: String = text[at..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            ["_bucket", "_count", "_sum"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .map_or(name.clone(), str::to_owned)
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn the_dashboard_and_the_alerts_query_documented_metrics() {
    let read = |path: &str| {
        std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
    };
    let documented = read("src/metrics.rs");
    let dashboard: serde_json::Value =
        serde_json::from_str(&read("docs/observability/grafana-dashboard.json")).unwrap();
    let queries: String = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|panel| panel["targets"].as_array().unwrap())
        .map(|target| format!("{}\n", target["expr"].as_str().unwrap()))
        .collect();
    let alerts = read("docs/observability/prometheus-alerts.yml");
    for (what, text) in [("dashboard", &queries), ("alert rules", &alerts)] {
        let names = metric_names(text);
        assert!(names.len() >= 5, "{what}: {names:?}");
        for name in names {
            assert!(
                documented.contains(&format!("| `{name}` |")),
                "the {what} query {name}, which src/metrics.rs does not document"
            );
        }
    }
}
