//! What operators see, against the emulator: the starts counter and
//! latency histogram through a real Prometheus recorder, the delivery of a
//! callback's settlement on its outcome (a hook that succeeds, one that
//! fails), and the dashboard and alert rules in `docs/observability`
//! querying only documented metrics. The spans are in `spans.rs`.
//!
//! Each test runs on its own current-thread runtime, with the recorder set
//! for that thread only: tests running side by side never see each other's
//! counts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use metrics_exporter_prometheus::PrometheusBuilder;
use tencent_faceid::callback::CallbackVerifier;
use tencent_faceid::client::Endpoint;
use tencent_faceid::orders::MemoryOrderStore;
use tencent_faceid::session::SessionStarter;
use tencent_faceid::settle::Delivery;
use tencent_faceid::tickets::CachedTickets;
use tencent_faceid::wiring::Wiring;
use tencent_faceid_emulator::Fault;

use crate::support::emu::wired::{emulator, session, verified, wired};

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
    let wiring = Wiring::new(
        emulator.client(),
        tickets,
        MemoryOrderStore::with_capacity(2),
    )
    .browser_binding(false);
    let starter = SessionStarter::builder(&wiring)
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
    let wiring = Wiring::new(emulator.client(), tickets, store).browser_binding(false);
    let starter = SessionStarter::builder(&wiring).build().unwrap();
    let verifier = CallbackVerifier::builder(&wiring)
        .record_judge(false)
        .build()
        .unwrap();
    assert_eq!(
        verified(&emulator, &starter, &verifier).await.delivery,
        None
    );
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
    let documented = read("README.md");
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
                "the {what} query {name}, which the README does not document"
            );
        }
    }
}
