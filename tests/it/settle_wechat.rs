//! WeChat orders settle like the others: by their redirect, or by the
//! reconciler from `GetDetectInfoEnhanced` (never `queryfacerecord`),
//! final once the verdict is in or the BizToken's two hours have passed;
//! in every store (memory, Redis, PostgreSQL, MySQL), on the emulator's
//! manual clock.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use faceid_test_support::random_alphanumeric;
use tencent_faceid::ManualClock;
use tencent_faceid::callback::{CallbackVerifier, RejectionKind};
use tencent_faceid::client::ResultCode;
use tencent_faceid::orders::{MemoryOrderStore, SettlementStore};
use tencent_faceid::session::Edition;
use tencent_faceid::session::{SessionStarter, StartSession, Started};
use tencent_faceid::settle::{Reconciler, SettledBy, SettledState, Settlement, Settler};
use tencent_faceid::tickets::CachedTickets;
use tencent_faceid::wiring::Wiring;
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::{Emulator, WeChatOutcome};

use crate::support;
use crate::support::postgres::Schema;

const MINUTE: Duration = Duration::from_secs(60);

type Log = Arc<Mutex<Vec<Settlement>>>;

struct Instance {
    starter: SessionStarter,
    verifier: CallbackVerifier,
    reconciler: Reconciler,
    log: Log,
}

fn instance(emulator: &Emulator, store: impl SettlementStore) -> Instance {
    let tickets = CachedTickets::builder(emulator.client()).build();
    let wiring = Wiring::new(emulator.client(), tickets, store)
        .browser_binding(false)
        .wechat(emulator.tc3_client());
    let log = Log::default();
    let hooked = Arc::clone(&log);
    let settler = Settler::builder(&wiring)
        .on_settled(move |settlement: Settlement| {
            hooked.lock().unwrap().push(settlement);
            async { Ok::<(), &str>(()) }
        })
        .build();
    Instance {
        starter: SessionStarter::builder(&wiring).build().unwrap(),
        verifier: CallbackVerifier::settling(&settler).build().unwrap(),
        reconciler: Reconciler::builder(settler)
            .rate(10_000.0)
            .concurrency(1)
            .build(),
        log,
    }
}

async fn emulator() -> Emulator {
    Emulator::builder()
        .clock(ManualClock::new())
        .start()
        .await
        .unwrap()
}

async fn start(instance: &Instance) -> Started {
    let user = UserId::new(random_alphanumeric(12)).unwrap();
    let callback = "https://partner.example/face/callback".parse().unwrap();
    let request = StartSession::new(user, callback).edition(Edition::WeChat);
    instance.starter.start(request).await.unwrap()
}

fn settled(instance: &Instance, order_no: &OrderNo) -> Vec<(SettledState, SettledBy, Edition)> {
    let log = instance.log.lock().unwrap();
    log.iter()
        .filter(|settlement| &settlement.order_no == order_no)
        .map(|s| (s.state.clone(), s.settled_by, s.edition))
        .collect()
}

/// The billed attempts each settlement of `order_no` carried.
fn billed(instance: &Instance, order_no: &OrderNo) -> Vec<Option<usize>> {
    let log = instance.log.lock().unwrap();
    log.iter()
        .filter(|settlement| &settlement.order_no == order_no)
        .map(|settlement| settlement.billed_attempts)
        .collect()
}

/// A redirect settles its order; the reconciler settles a pass and a
/// failure nobody came back for, and calls the third abandoned only once
/// the BizToken's two hours are over.
async fn redirect_pass_fail_abandon(emulator: &Emulator, instance: &Instance) {
    let (back, pass, fail, gone) = (
        start(instance).await,
        start(instance).await,
        start(instance).await,
        start(instance).await,
    );
    let redirect = emulator
        .complete_wechat(&back.h5face_id, WeChatOutcome::Pass)
        .unwrap();
    let outcome = instance
        .verifier
        .verify(redirect.query().unwrap())
        .await
        .unwrap();
    assert!(outcome.passed() && outcome.delivery.is_some());
    assert_eq!(
        settled(instance, &back.order_no),
        [(SettledState::Passed, SettledBy::Callback, Edition::WeChat)]
    );
    let late = emulator
        .complete_wechat(&pass.h5face_id, WeChatOutcome::Pass)
        .unwrap();
    emulator
        .complete_wechat(&fail.h5face_id, WeChatOutcome::Fail(2006))
        .unwrap();

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
        settled(instance, &pass.order_no),
        [(SettledState::Passed, SettledBy::Reconciler, Edition::WeChat)]
    );
    assert_eq!(
        settled(instance, &fail.order_no),
        [(
            SettledState::Failed(ResultCode::from_code("2006")),
            SettledBy::Reconciler,
            Edition::WeChat
        )]
    );
    let replay = instance
        .verifier
        .verify(late.query().unwrap())
        .await
        .unwrap_err();
    assert_eq!(replay.kind(), &RejectionKind::Replay);

    // Asked again at 20 and 30 minutes, then at the end of the BizToken's
    // 7,200 s: only then abandoned.
    for _ in 0..2 {
        emulator.advance(10 * MINUTE).unwrap();
        let round = instance.reconciler.run_once().await.unwrap();
        assert_eq!((round.claimed, round.still_pending), (1, 1), "{round:?}");
    }
    emulator.advance(60 * MINUTE).unwrap();
    assert_eq!(instance.reconciler.run_once().await.unwrap().claimed, 0);
    emulator.advance(30 * MINUTE).unwrap();
    let round = instance.reconciler.run_once().await.unwrap();
    assert_eq!((round.claimed, round.abandoned), (1, 1), "{round:?}");
    assert_eq!(
        settled(instance, &gone.order_no),
        [(
            SettledState::Abandoned,
            SettledBy::Reconciler,
            Edition::WeChat
        )]
    );
    // The billing count, as the vendor's record says (2006 is billed).
    assert_eq!(billed(instance, &back.order_no), [Some(1)]);
    assert_eq!(billed(instance, &pass.order_no), [Some(1)]);
    assert_eq!(billed(instance, &fail.order_no), [Some(1)]);
    assert_eq!(billed(instance, &gone.order_no), [None]);
    assert_eq!(
        emulator.counts().query_record,
        0,
        "never queryfacerecord about a BizToken"
    );
    assert_eq!(instance.log.lock().unwrap().len(), 4);
    emulator.advance(60 * MINUTE).unwrap();
    assert_eq!(instance.reconciler.run_once().await.unwrap().claimed, 0);
}

#[tokio::test]
async fn wechat_orders_settle_in_memory() {
    let emulator = emulator().await;
    let instance = instance(&emulator, MemoryOrderStore::new());
    redirect_pass_fail_abandon(&emulator, &instance).await;
}

#[tokio::test]
async fn wechat_orders_settle_in_redis() {
    let Some(url) = support::redis::url() else {
        return;
    };
    let emulator = emulator().await;
    let prefix = format!("faceid-wechat-test:{}:", random_alphanumeric(12));
    let manager = tencent_faceid::redis::connect(url).await.unwrap();
    let store = tencent_faceid::orders::RedisOrderStore::builder(manager, emulator.app_id())
        .prefix(&prefix)
        .build();
    let instance = instance(&emulator, store);
    redirect_pass_fail_abandon(&emulator, &instance).await;
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test]
async fn wechat_orders_settle_in_postgres() {
    let Some(_) = support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.expect("PostgreSQL answers");
    let emulator = emulator().await;
    let instance = instance(&emulator, schema.store(emulator.app_id()).await);
    redirect_pass_fail_abandon(&emulator, &instance).await;
    schema.drop().await;
}

#[tokio::test]
async fn wechat_orders_settle_in_mysql() {
    let Some(database) = support::mysql::Database::new().await else {
        return;
    };
    let emulator = emulator().await;
    let instance = instance(&emulator, database.store(emulator.app_id()).await);
    redirect_pass_fail_abandon(&emulator, &instance).await;
    database.drop().await;
}
