//! The spans, with their fields, through a tracing subscriber capturing
//! them: the order number in them, the user's name and id number nowhere.
//!
//! Alone in its binary, with the subscriber as the global default: a
//! subscriber set for one thread misses spans whose call sites another
//! test's thread registered first.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tencent_faceid::settle::Reconciler;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

use faceid_test_support::emu::wired::{emulator, verified, wired};
use faceid_test_support::emu::{ID_NO, NAME};

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
    tracing::subscriber::set_global_default(subscriber).unwrap();
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
            !value.contains(NAME) && !value.contains(ID_NO),
            "personal data in {value:?}"
        );
    }
    emulator.shutdown().await;
}
