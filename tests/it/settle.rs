//! Every session settles: by its callback or by the reconciler, exactly
//! once, against the emulator on a manual clock, with the memory store,
//! with Redis (REDIS_URL, default 127.0.0.1:6379, else a redis-server of
//! this binary's own: see `support::redis`) and with PostgreSQL (see
//! `support::postgres`). Nothing here sleeps:
//! time moves when the test moves the clock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use faceid_test_support::random_alphanumeric;
use tencent_faceid::ManualClock;
use tencent_faceid::callback::{CallbackVerifier, RejectionKind};
use tencent_faceid::client::Endpoint;
use tencent_faceid::client::Files;
use tencent_faceid::client::{FrontEndCode, ResultCode};
use tencent_faceid::orders::RedisOrderStore;
use tencent_faceid::orders::{Lookup, MemoryOrderStore, SettlementStore};
use tencent_faceid::session::{SessionStarter, StartSession, Started};
use tencent_faceid::settle::{
    Reconciled, Reconciler, SettledBy, SettledState, Settlement, Settler,
};
use tencent_faceid::tickets::CachedTickets;
use tencent_faceid::wiring::Wiring;
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::{Emulator, Fault, Outcome};

use crate::support;
use crate::support::postgres::Schema;

const MINUTE: Duration = Duration::from_secs(60);

/// Every settlement the hooks were handed, in order.
#[derive(Clone, Default)]
struct Log {
    calls: Arc<Mutex<Vec<Settlement>>>,
    /// Calls to refuse before accepting.
    refuse: Arc<AtomicUsize>,
}

impl Log {
    fn settler<S: SettlementStore>(&self, wiring: &Wiring<S>) -> Settler {
        let log = self.clone();
        Settler::builder(wiring)
            .on_settled(move |settlement: Settlement| {
                let log = log.clone();
                async move {
                    log.calls.lock().unwrap().push(settlement);
                    let refused = log
                        .refuse
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok();
                    if refused {
                        Err("the partner's database is down")
                    } else {
                        Ok(())
                    }
                }
            })
            .build()
    }

    fn calls(&self) -> Vec<Settlement> {
        self.calls.lock().unwrap().clone()
    }

    /// How many times each order was handed to a hook.
    fn per_order(&self) -> HashMap<OrderNo, usize> {
        let mut counts = HashMap::new();
        for call in self.calls() {
            *counts.entry(call.order_no).or_insert(0) += 1;
        }
        counts
    }
}

/// One server instance: starter, verifier and reconciler on one store.
struct Instance {
    starter: SessionStarter,
    verifier: CallbackVerifier,
    reconciler: Reconciler,
    store: Arc<dyn SettlementStore>,
}

/// An instance with tickets of its own.
fn instance(emulator: &Emulator, store: impl SettlementStore + Clone, log: &Log) -> Instance {
    let tickets = CachedTickets::builder(emulator.client()).build();
    instance_sharing(emulator, store, log, &tickets)
}

/// An instance sharing `tickets` with others (as `RedisTickets` would).
fn instance_sharing(
    emulator: &Emulator,
    store: impl SettlementStore + Clone,
    log: &Log,
    tickets: &CachedTickets,
) -> Instance {
    let wiring =
        Wiring::new(emulator.client(), tickets.clone(), store.clone()).browser_binding(false);
    let settler = log.settler(&wiring);
    let starter = SessionStarter::builder(&wiring).build().unwrap();
    let verifier = CallbackVerifier::settling(&settler).build().unwrap();
    let reconciler = Reconciler::builder(settler)
        .rate(10_000.0)
        .concurrency(1)
        .build();
    Instance {
        starter,
        verifier,
        reconciler,
        store: Arc::new(store),
    }
}

async fn emulator() -> Emulator {
    Emulator::builder()
        .clock(ManualClock::new())
        .start()
        .await
        .unwrap()
}

/// A session request for a new user.
fn session() -> StartSession {
    let user = UserId::new(random_alphanumeric(12)).unwrap();
    let callback = "https://partner.example/face/callback".parse().unwrap();
    StartSession::new(user, callback)
        .name("Zhang San")
        .id_number("110101199003074477")
}

async fn start(instance: &Instance) -> Started {
    instance.starter.start(session()).await.unwrap()
}

async fn redis_store(url: &str, prefix: &str) -> RedisOrderStore {
    redis_store_of(url, prefix, "TIDAemu1").await
}

async fn redis_store_of(url: &str, prefix: &str, app_id: &str) -> RedisOrderStore {
    let manager = tencent_faceid::redis::connect(url)
        .await
        .expect("the tests' Redis answers");
    RedisOrderStore::builder(manager, app_id)
        .prefix(prefix)
        .build()
}

#[test]
fn redis_is_available() {
    support::redis::require();
}

fn prefix() -> String {
    format!("faceid-settle-test:{}:", random_alphanumeric(12))
}

fn state_of(log: &Log, order_no: &OrderNo) -> Vec<(SettledState, SettledBy)> {
    log.calls()
        .into_iter()
        .filter(|call| &call.order_no == order_no)
        .map(|call| (call.state, call.settled_by))
        .collect()
}

/// Passed, failed and abandoned, each settled by the reconciler; the old
/// callbacks are replays afterwards.
async fn pass_fail_abandon(emulator: &Emulator, instance: &Instance, log: &Log) {
    let (pass, fail, gone) = (
        start(instance).await,
        start(instance).await,
        start(instance).await,
    );
    let code = ResultCode::from_code("66660016");
    let pass_back = emulator.complete(&pass.h5face_id, Outcome::Pass).unwrap();
    emulator
        .complete(&fail.h5face_id, Outcome::Fail(code.clone()))
        .unwrap();

    // Not yet due.
    let round = instance.reconciler.run_once().await.unwrap();
    assert_eq!(round.claimed, 0, "{round:?}");

    emulator.advance(11 * MINUTE).unwrap();
    let round = instance.reconciler.run_once().await.unwrap();
    assert_eq!(
        (
            round.claimed,
            round.passed,
            round.failed,
            round.still_pending
        ),
        (3, 1, 1, 1),
        "{round:?}"
    );
    assert_eq!(
        state_of(log, &pass.order_no),
        [(SettledState::Passed, SettledBy::Reconciler)]
    );
    assert_eq!(
        state_of(log, &fail.order_no),
        [(SettledState::Failed(code), SettledBy::Reconciler)]
    );
    assert!(state_of(log, &gone.order_no).is_empty());
    // The browser that closed the tab comes back: a replay.
    let late = instance
        .verifier
        .verify(pass_back.query().unwrap())
        .await
        .unwrap_err();
    assert_eq!((late.kind(), late.status()), (&RejectionKind::Replay, 409));

    // Asked again halfway to its deadline (30 min), still no record; then
    // at the deadline: abandoned.
    emulator.advance(3 * MINUTE).unwrap();
    let round = instance.reconciler.run_once().await.unwrap();
    assert_eq!(round.claimed, 0, "not before 20 min: {round:?}");
    emulator.advance(7 * MINUTE).unwrap();
    let round = instance.reconciler.run_once().await.unwrap();
    assert_eq!((round.claimed, round.still_pending), (1, 1), "{round:?}");
    emulator.advance(10 * MINUTE).unwrap();
    let round = instance.reconciler.run_once().await.unwrap();
    assert_eq!((round.claimed, round.abandoned), (1, 1), "{round:?}");
    assert_eq!(
        state_of(log, &gone.order_no),
        [(SettledState::Abandoned, SettledBy::Reconciler)]
    );

    // Nothing is left.
    emulator.advance(60 * MINUTE).unwrap();
    assert_eq!(instance.reconciler.run_once().await.unwrap().claimed, 0);
    assert_eq!(log.calls().len(), 3);
}

#[tokio::test]
async fn the_reconciler_settles_passed_failed_and_abandoned_orders_in_memory() {
    let emulator = emulator().await;
    let log = Log::default();
    let instance = instance(&emulator, MemoryOrderStore::new(), &log);
    pass_fail_abandon(&emulator, &instance, &log).await;
}

#[tokio::test]
async fn the_reconciler_settles_passed_failed_and_abandoned_orders_in_redis() {
    let Some(url) = support::redis::url() else {
        return;
    };
    let emulator = emulator().await;
    let log = Log::default();
    let prefix = prefix();
    let instance = instance(&emulator, redis_store(url, &prefix).await, &log);
    pass_fail_abandon(&emulator, &instance, &log).await;
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn the_reconciler_settles_passed_failed_and_abandoned_orders_in_postgres() {
    let Some(_) = support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.expect("PostgreSQL answers");
    let emulator = emulator().await;
    let log = Log::default();
    let instance = instance(&emulator, schema.store(emulator.app_id()).await, &log);
    pass_fail_abandon(&emulator, &instance, &log).await;
    schema.drop().await;
}

#[tokio::test]
async fn a_callback_settles_its_order_and_the_reconciler_leaves_it() {
    let emulator = emulator().await;
    let log = Log::default();
    let instance = instance(&emulator, MemoryOrderStore::new(), &log);
    let started = start(&instance).await;
    let back = emulator
        .complete(
            &started.h5face_id,
            Outcome::FrontEnd(FrontEndCode::Interrupted),
        )
        .unwrap();
    let outcome = instance
        .verifier
        .verify(back.query().unwrap())
        .await
        .unwrap();
    assert!(!outcome.passed());
    let calls = log.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].settled_by, SettledBy::Callback);
    assert_eq!(calls[0].state, SettledState::Failed(outcome.code.clone()));
    assert_eq!(
        calls[0].idempotency_key(),
        format!(
            "faceid-settlement-{}-{}",
            emulator.app_id(),
            started.order_no
        )
    );
    emulator.advance(60 * MINUTE).unwrap();
    assert_eq!(
        instance.reconciler.run_once().await.unwrap(),
        Reconciled::default()
    );
    assert_eq!(log.calls().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_callback_racing_the_reconciler_settles_once_with_one_hook_call() {
    let Some(url) = support::redis::url() else {
        return;
    };
    let emulator = emulator().await;
    let log = Log::default();
    let prefix = prefix();
    let tickets = CachedTickets::builder(emulator.client()).build();
    let one = instance_sharing(&emulator, redis_store(url, &prefix).await, &log, &tickets);
    let two = instance_sharing(&emulator, redis_store(url, &prefix).await, &log, &tickets);
    let mut by_callback = 0;
    for _ in 0..12 {
        let started = start(&one).await;
        let back = emulator
            .complete(&started.h5face_id, Outcome::Pass)
            .unwrap();
        emulator.advance(11 * MINUTE).unwrap();
        let (callback, round) = tokio::join!(
            two.verifier.verify(back.query().unwrap()),
            one.reconciler.run_once()
        );
        round.unwrap();
        let settled = state_of(&log, &started.order_no);
        match callback {
            Ok(outcome) => {
                assert!(outcome.passed());
                by_callback += 1;
                assert_eq!(settled, [(SettledState::Passed, SettledBy::Callback)]);
            }
            Err(rejection) => {
                assert_eq!(rejection.kind(), &RejectionKind::Replay);
                assert_eq!(settled, [(SettledState::Passed, SettledBy::Reconciler)]);
            }
        }
    }
    // The callback comes while the reconciler waits for the vendor.
    let started = start(&one).await;
    let back = emulator
        .complete(&started.h5face_id, Outcome::Pass)
        .unwrap();
    emulator.advance(11 * MINUTE).unwrap();
    let release = Arc::new(tokio::sync::Notify::new());
    emulator.inject(Fault::hold(Endpoint::QueryRecord, Arc::clone(&release)));
    let asked = emulator.counts().query_record;
    let reconciler = one.reconciler.clone();
    let round = tokio::spawn(async move { reconciler.run_once().await });
    emulator
        .wait_for_counts(|counts| counts.query_record == asked + 1)
        .await;
    let outcome = two.verifier.verify(back.query().unwrap()).await.unwrap();
    assert!(outcome.passed());
    release.notify_one();
    let round = round.await.unwrap().unwrap();
    assert_eq!((round.claimed, round.passed), (1, 0), "{round:?}");
    assert_eq!(
        state_of(&log, &started.order_no),
        [(SettledState::Passed, SettledBy::Callback)]
    );
    // The reconciler settles first; the callback is a replay.
    let started = start(&one).await;
    let back = emulator
        .complete(&started.h5face_id, Outcome::Pass)
        .unwrap();
    emulator.advance(11 * MINUTE).unwrap();
    assert_eq!(one.reconciler.run_once().await.unwrap().passed, 1);
    let replay = two
        .verifier
        .verify(back.query().unwrap())
        .await
        .unwrap_err();
    assert_eq!(replay.kind(), &RejectionKind::Replay);
    assert_eq!(
        state_of(&log, &started.order_no),
        [(SettledState::Passed, SettledBy::Reconciler)]
    );
    // Later rounds deliver nothing again.
    emulator.advance(60 * MINUTE).unwrap();
    one.reconciler.run_once().await.unwrap();
    two.reconciler.run_once().await.unwrap();
    assert!(
        log.per_order().values().all(|&calls| calls == 1),
        "{:?}",
        log.per_order()
    );
    assert_eq!(log.calls().len(), 14);
    eprintln!("{by_callback} of 12 free races settled by the callback");
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_share_a_backlog_and_take_over_a_killed_ones_leases() {
    let Some(url) = support::redis::url() else {
        return;
    };
    let prefix = prefix();
    share_a_backlog(async || redis_store(url, &prefix).await).await;
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_share_a_postgres_backlog_and_take_over_a_killed_ones_leases() {
    let Some(_) = support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.expect("PostgreSQL answers");
    share_a_backlog(async || schema.store("TIDAemu1").await).await;
    schema.drop().await;
}

#[test]
fn postgres_is_available() {
    support::postgres::require();
}

/// Three instances, each with a store made by `store` (sharing one
/// backend), reconcile 30 orders; one of them dies holding ten leases,
/// which the other two take over: each order is settled once.
async fn share_a_backlog<S: SettlementStore + Clone>(store: impl AsyncFn() -> S) {
    let emulator = emulator().await;
    let log = Log::default();
    let mut instances = Vec::new();
    let tickets = CachedTickets::builder(emulator.client()).build();
    for _ in 0..3 {
        instances.push(instance_sharing(&emulator, store().await, &log, &tickets));
    }
    let mut orders = Vec::new();
    for n in 0..30 {
        let started = start(&instances[n % 3]).await;
        emulator
            .complete(&started.h5face_id, Outcome::Pass)
            .unwrap();
        orders.push(started.order_no);
    }
    emulator.advance(11 * MINUTE).unwrap();
    // The third instance takes ten orders and dies before settling them.
    let now = emulator.clock().now() - 10 * MINUTE;
    let killed = instances[2]
        .store
        .claim_due(now, now + 5 * MINUTE, 10)
        .await
        .unwrap();
    assert_eq!(killed.len(), 10);
    let survivors = &instances[..2];
    let (a, b) = tokio::join!(
        survivors[0].reconciler.run_once(),
        survivors[1].reconciler.run_once()
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.passed + b.passed, 20, "{a:?} {b:?}");
    // Its leases run out; the survivors take them over.
    emulator.advance(6 * MINUTE).unwrap();
    let (a, b) = tokio::join!(
        survivors[0].reconciler.run_once(),
        survivors[1].reconciler.run_once()
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.passed + b.passed, 10, "{a:?} {b:?}");
    let per_order = log.per_order();
    assert_eq!(per_order.len(), 30);
    assert!(
        orders.iter().all(|order| per_order[order] == 1),
        "{per_order:?}"
    );
}

#[tokio::test]
async fn vendor_errors_leave_orders_pending_and_are_retried() {
    let Some(url) = support::redis::url() else {
        return;
    };
    let emulator = emulator().await;
    let log = Log::default();
    let prefix = prefix();
    let instance = instance(&emulator, redis_store(url, &prefix).await, &log);
    let first = start(&instance).await;
    let second = start(&instance).await;
    let back = emulator.complete(&first.h5face_id, Outcome::Pass).unwrap();
    emulator.complete(&second.h5face_id, Outcome::Pass).unwrap();
    emulator.advance(11 * MINUTE).unwrap();
    emulator.inject(Fault::http_status(Endpoint::QueryRecord, 502));
    let round = instance.reconciler.run_once().await.unwrap();
    // One query failed; the other order was not even asked about.
    assert_eq!((round.errors, round.passed), (2, 0), "{round:?}");
    assert_eq!(emulator.counts().query_record, 1);
    assert!(log.calls().is_empty());
    // The order is still pending: its callback is still accepted.
    let outcome = instance
        .verifier
        .verify(back.query().unwrap())
        .await
        .unwrap();
    assert!(outcome.passed());
    // The other is retried after the backoff.
    let round = instance.reconciler.run_once().await.unwrap();
    assert_eq!(round.claimed, 0, "backing off: {round:?}");
    emulator.advance(2 * MINUTE).unwrap();
    let round = instance.reconciler.run_once().await.unwrap();
    assert_eq!((round.claimed, round.passed), (1, 1), "{round:?}");
    assert_eq!(
        state_of(&log, &second.order_no),
        [(SettledState::Passed, SettledBy::Reconciler)]
    );
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn a_failing_hook_is_retried_until_it_takes_the_settlement() {
    let Some(url) = support::redis::url() else {
        return;
    };
    let emulator = emulator().await;
    let log = Log::default();
    log.refuse.store(2, Ordering::SeqCst);
    let prefix = prefix();
    let instance = instance(&emulator, redis_store(url, &prefix).await, &log);
    let started = start(&instance).await;
    let back = emulator
        .complete(&started.h5face_id, Outcome::Pass)
        .unwrap();
    // The hook's failure does not fail the callback.
    let outcome = instance
        .verifier
        .verify(back.query().unwrap())
        .await
        .unwrap();
    assert!(outcome.passed());
    assert_eq!(log.calls().len(), 1);
    let mut rounds = 0;
    while log.calls().len() < 3 {
        emulator.advance(2 * MINUTE).unwrap();
        instance.reconciler.run_once().await.unwrap();
        rounds += 1;
        assert!(rounds < 20, "never delivered: {:?}", log.calls().len());
    }
    emulator.advance(24 * 60 * MINUTE).unwrap();
    assert_eq!(instance.reconciler.run_once().await.unwrap().claimed, 0);
    let calls = log.calls();
    assert_eq!(calls.len(), 3, "delivered once it succeeded");
    assert!(
        calls
            .iter()
            .all(|call| call.idempotency_key() == calls[0].idempotency_key()
                && call.state == SettledState::Passed
                && call.settled_by == SettledBy::Callback)
    );
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_settling_and_delivering_loses_nothing() {
    let Some(url) = support::redis::url() else {
        return;
    };
    let emulator = emulator().await;
    let prefix = prefix();
    // The first instance's hook dies with the process (a panic here).
    let crashing = {
        let store = redis_store(url, &prefix).await;
        let tickets = CachedTickets::builder(emulator.client()).build();
        let wiring = Wiring::new(emulator.client(), tickets.clone(), store).browser_binding(false);
        let settler = Settler::builder(&wiring)
            .on_settled(|_: Settlement| async move { die() })
            .build();
        let starter = SessionStarter::builder(&wiring).build().unwrap();
        let verifier = CallbackVerifier::settling(&settler).build().unwrap();
        (starter, verifier, tickets)
    };
    let log = Log::default();
    let survivor = instance_sharing(
        &emulator,
        redis_store(url, &prefix).await,
        &log,
        &crashing.2,
    );
    let started = crashing.0.start(session()).await.unwrap();
    let back = emulator
        .complete(&started.h5face_id, Outcome::Pass)
        .unwrap();
    let verifier = crashing.1.clone();
    let query = back.query().unwrap().to_owned();
    let crashed = tokio::spawn(async move { verifier.verify(&query).await }).await;
    assert!(crashed.unwrap_err().is_panic());
    // The order is settled: its callback cannot be had again...
    let replay = survivor
        .verifier
        .verify(back.query().unwrap())
        .await
        .unwrap_err();
    assert_eq!(replay.kind(), &RejectionKind::Replay);
    assert!(log.calls().is_empty());
    // ...and the reconciler delivers what the crashed instance could not.
    emulator.advance(11 * MINUTE).unwrap();
    let round = survivor.reconciler.run_once().await.unwrap();
    assert_eq!(round.redelivered, 1, "{round:?}");
    assert_eq!(
        state_of(&log, &started.order_no),
        [(SettledState::Passed, SettledBy::Callback)]
    );
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn evidence_comes_with_the_settlement_when_asked_for() {
    let emulator = emulator().await;
    let log = Log::default();
    let store = MemoryOrderStore::new();
    let tickets = CachedTickets::builder(emulator.client()).build();
    let hook_log = log.clone();
    let wiring = Wiring::new(emulator.client(), tickets, store).browser_binding(false);
    let settler = Settler::builder(&wiring)
        .evidence(Files::Photo)
        .on_settled(move |settlement: Settlement| {
            let log = hook_log.clone();
            async move {
                log.calls.lock().unwrap().push(settlement);
                Ok::<(), std::io::Error>(())
            }
        })
        .build();
    let starter = SessionStarter::builder(&wiring).build().unwrap();
    let reconciler = Reconciler::builder(settler).rate(10_000.0).build();
    let started = starter.start(session()).await.unwrap();
    emulator
        .complete(&started.h5face_id, Outcome::Pass)
        .unwrap();
    emulator.advance(11 * MINUTE).unwrap();
    assert_eq!(reconciler.run_once().await.unwrap().passed, 1);
    let calls = log.calls();
    let evidence = calls[0]
        .evidence
        .as_ref()
        .expect("the record with the photo");
    assert!(
        evidence
            .photo
            .as_ref()
            .is_some_and(|photo| !photo.is_empty())
    );
    assert!(evidence.video.is_none());
    // Personal data stays out of Debug.
    let debug = format!("{:?}", calls[0]);
    assert!(debug.contains("redacted"), "{debug}");
}

/// A hook that takes its process down with it.
fn die() -> Result<(), std::io::Error> {
    panic!("the process dies")
}

#[tokio::test]
async fn two_apps_on_one_redis_and_prefix_never_reconcile_each_others_orders() {
    let Some(url) = support::redis::url() else {
        return;
    };
    let clock = ManualClock::new();
    let vendor = |app_id: &'static str| {
        Emulator::builder()
            .clock(clock.clone())
            .app_id(app_id)
            .start()
    };
    let (ours, theirs) = (
        vendor("TIDAemu1").await.unwrap(),
        vendor("TIDAemu2").await.unwrap(),
    );
    let prefix = prefix();
    let (our_log, their_log) = (Log::default(), Log::default());
    let our_store = redis_store_of(url, &prefix, ours.app_id()).await;
    let their_store = redis_store_of(url, &prefix, theirs.app_id()).await;
    let us = instance(&ours, our_store, &our_log);
    let them = instance(&theirs, their_store, &their_log);
    let mine = start(&us).await;
    let foreign = start(&them).await;

    clock.advance(Duration::from_secs(3600)); // past every deadline
    let round = us.reconciler.run_once().await.unwrap();
    assert_eq!(round.claimed, 1, "only our own order was due: {round:?}");
    assert_eq!(
        state_of(&our_log, &mine.order_no),
        [(SettledState::Abandoned, SettledBy::Reconciler)]
    );
    assert!(their_log.calls().is_empty(), "their hook heard nothing");
    assert!(
        matches!(
            them.store.lookup(&foreign.order_no).await.unwrap(),
            Lookup::Pending { .. }
        ),
        "their order is still pending"
    );
    let round = them.reconciler.run_once().await.unwrap();
    assert_eq!(round.claimed, 1, "{round:?}");
    assert_eq!(
        state_of(&their_log, &foreign.order_no),
        [(SettledState::Abandoned, SettledBy::Reconciler)]
    );
    support::redis::remove_keys(&prefix).await;
}
