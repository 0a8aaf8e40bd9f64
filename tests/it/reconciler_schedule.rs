//! What an abandoned session costs the vendor: the reconciler asks about
//! an order with no record at most `queries_per_order` times (3 by
//! default: at `reconcile_after`, halfway to the deadline and at the
//! deadline), however often its rounds run, and counts its queries in
//! `faceid_reconciler_queries_total`. Against the emulator on a manual
//! clock (its request counts are the vendor's bill), on a current-thread
//! runtime whose thread alone sees the metrics recorder.

use std::time::Duration;

use metrics_exporter_prometheus::PrometheusBuilder;
use tencent_faceid::orders::MemoryOrderStore;
use tencent_faceid::session::SessionStarter;
use tencent_faceid::settle::{Reconciler, ReconcilerBuilder, Settler};
use tencent_faceid::tickets::CachedTickets;
use tencent_faceid::wiring::Wiring;
use tencent_faceid_emulator::{Emulator, Outcome};

use crate::support::emu::wired::{emulator, session};

const MINUTE: Duration = Duration::from_secs(60);

/// A starter and a reconciler (configured by `configure`) on one wiring.
fn instance(
    emulator: &Emulator,
    configure: impl FnOnce(ReconcilerBuilder) -> ReconcilerBuilder,
) -> (SessionStarter, Reconciler) {
    let tickets = CachedTickets::builder(emulator.client()).build();
    let wiring = Wiring::new(emulator.client(), tickets, MemoryOrderStore::new());
    let starter = SessionStarter::builder(&wiring).build().unwrap();
    let reconciler = Reconciler::builder(Settler::builder(&wiring).build()).rate(10_000.0);
    (starter, configure(reconciler).build())
}

/// Runs a round, then moves the clock a minute, for each of `minutes`
/// (the minutes since the order's start): the minutes whose round asked
/// the vendor, and the one whose round settled an order abandoned.
async fn rounds(
    emulator: &Emulator,
    reconciler: &Reconciler,
    minutes: std::ops::RangeInclusive<u32>,
) -> (Vec<u32>, Option<u32>) {
    let (mut asked, mut abandoned) = (Vec::new(), None);
    for minute in minutes {
        let before = emulator.counts().query_record;
        let round = reconciler.run_once().await.unwrap();
        if emulator.counts().query_record > before {
            asked.push(minute);
        }
        if round.abandoned > 0 {
            abandoned = Some(minute);
        }
        emulator.advance(MINUTE).unwrap();
    }
    (asked, abandoned)
}

#[tokio::test]
async fn an_abandoned_order_costs_three_queries_by_its_deadline() {
    let recorder = PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let _local = metrics::set_default_local_recorder(&recorder);
    let emulator = emulator().await;
    let (starter, reconciler) = instance(&emulator, |reconciler| reconciler);
    starter.start(session()).await.unwrap();

    let (asked, abandoned) = rounds(&emulator, &reconciler, 0..=45).await;
    assert_eq!(asked, [10, 20, 30]);
    assert_eq!(abandoned, Some(30));
    // Answered queries, as the vendor bills them: the emulator's raw count
    // may hold one more, a query signed with the pair a refresh (due at 20
    // minutes, in the background) replaced meanwhile, refused and asked
    // again with the new pair.
    let queried = emulator.counts().query_record;
    assert!((3..=4).contains(&queried), "{queried} queries");
    let text = handle.render();
    let sample = "faceid_reconciler_queries_total{outcome=\"no_record\"} 3";
    assert!(
        text.lines().any(|line| line == sample),
        "{sample} in {text}"
    );
}

#[tokio::test]
async fn the_queries_per_order_are_configurable_and_a_late_round_skips_missed_ones() {
    let emulator = emulator().await;
    let (starter, reconciler) = instance(&emulator, |reconciler| reconciler.queries_per_order(5));
    starter.start(session()).await.unwrap();
    let (asked, settled) = rounds(&emulator, &reconciler, 0..=45).await;
    assert_eq!(asked, [10, 15, 20, 25, 30]);
    assert_eq!(settled, Some(30));
    // Five answered; one more at most, a query refused for the pair a
    // background refresh replaced and asked again (see above).
    let queried = emulator.counts().query_record;
    assert!((5..=6).contains(&queried), "{queried} queries");

    // Its first round 22 minutes after the start: asked at 22, 25 and 30.
    let (starter, reconciler) = instance(&emulator, |reconciler| reconciler.queries_per_order(5));
    starter.start(session()).await.unwrap();
    emulator.advance(22 * MINUTE).unwrap();
    let (asked, settled) = rounds(&emulator, &reconciler, 22..=45).await;
    assert_eq!((asked, settled), (vec![22, 25, 30], Some(30)));
}

#[tokio::test]
async fn an_order_whose_record_comes_late_is_settled_at_its_next_query() {
    let emulator = emulator().await;
    let (starter, reconciler) = instance(&emulator, |reconciler| reconciler);
    let started = starter.start(session()).await.unwrap();
    let (asked, _) = rounds(&emulator, &reconciler, 0..=14).await;
    assert_eq!(asked, [10]);
    // The user passes 15 minutes after the start and closes the tab.
    emulator
        .complete(&started.h5face_id, Outcome::Pass)
        .unwrap();
    let before = emulator.counts().query_record;
    for _ in 15..20 {
        assert_eq!(reconciler.run_once().await.unwrap().claimed, 0);
        emulator.advance(MINUTE).unwrap();
    }
    let round = reconciler.run_once().await.unwrap();
    assert_eq!((round.claimed, round.passed), (1, 1), "{round:?}");
    // Asked once at 20 minutes; once more at most, for a refused pair.
    let queried = emulator.counts().query_record - before;
    assert!(
        (1..=2).contains(&queried),
        "{queried} queries at 20 minutes"
    );
}
