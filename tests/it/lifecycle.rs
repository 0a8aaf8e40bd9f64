//! The vendor's token and ticket lifecycle, lived through on a virtual
//! clock: hours of traffic on three instances sharing Redis and one alone,
//! another system taking the app's token or SIGN ticket, and a storm of
//! forged callbacks. The emulator plays by the vendor's documented rules
//! (a new token ends the old one a minute later, tickets die with their
//! token); nothing here sleeps. The hours of traffic mix every edition:
//! basic and enhanced H5 sessions and App SDK launches live on the same
//! token and tickets.

use std::sync::Arc;
use std::time::Duration;

use crate::support;
use crate::support::emu::on_manual_clock;
use faceid_test_support::random_alphanumeric;
use tencent_faceid::ManualClock;
use tencent_faceid::callback::{CallbackVerifier, RejectionKind};
use tencent_faceid::orders::RedisOrderStore;
use tencent_faceid::orders::{MemoryOrderStore, OrderStore, PendingOrder};
use tencent_faceid::sdk::verify_result_body;
use tencent_faceid::session::Edition;
use tencent_faceid::session::{SessionStarter, StartSession};
use tencent_faceid::tickets::RedisTickets;
use tencent_faceid::tickets::{CachedTickets, TicketProvider, TicketTimings};
use tencent_faceid::wiring::Wiring;
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::{Emulator, Outcome, WeChatOutcome};

const MINUTE: Duration = Duration::from_secs(60);

/// One server instance: a starter and a verifier sharing tickets and
/// orders.
struct Instance {
    tickets: Arc<dyn TicketProvider>,
    starter: SessionStarter,
    verifier: CallbackVerifier,
}

impl Instance {
    fn new(
        emulator: &Emulator,
        tickets: impl TicketProvider,
        store: impl OrderStore + Clone,
    ) -> Self {
        let tickets: Arc<dyn TicketProvider> = Arc::new(tickets);
        let wiring = Wiring::new(emulator.client(), Arc::clone(&tickets), store)
            .browser_binding(false)
            .wechat(emulator.tc3_client());
        let starter = SessionStarter::builder(&wiring)
            .key_licence(emulator.key_licence())
            .build()
            .unwrap();
        let verifier = CallbackVerifier::builder(&wiring)
            .record_judge(false)
            .build()
            .unwrap();
        Self {
            tickets,
            starter,
            verifier,
        }
    }
}

/// Starts a basic session on `starter`, has the user pass it on the
/// emulator's page, and brings the callback to `verifier`: whether it was
/// accepted as a pass.
async fn genuine_round(emulator: &Emulator, starter: &Instance, verifier: &Instance) -> bool {
    genuine_round_in(Edition::Basic, emulator, starter, verifier).await
}

/// [`genuine_round`] in `edition`: the enhanced link is opened on the
/// emulator's page (its NONCE signature checked), the App SDK's launch run
/// by the emulator's SDK and its result forwarded to `verifier`.
async fn genuine_round_in(
    edition: Edition,
    emulator: &Emulator,
    starter: &Instance,
    verifier: &Instance,
) -> bool {
    let user = UserId::new(random_alphanumeric(12)).unwrap();
    let verdict = if edition == Edition::AppSdk {
        let request = StartSession::for_sdk(user)
            .name("Zhang San")
            .id_number("110101199003074477");
        let launch = match starter.starter.start_sdk(request).await {
            Ok(launch) => launch,
            Err(error) => {
                eprintln!("SDK start failed: {error}");
                return false;
            }
        };
        let answer = emulator.run_sdk(&launch, Outcome::Pass).unwrap();
        let body = serde_json::to_vec(&answer.forwarded()).unwrap();
        verify_result_body(&verifier.verifier, &body).await
    } else {
        let callback = "https://partner.example/face/callback".parse().unwrap();
        let request = StartSession::new(user, callback)
            .name("Zhang San")
            .id_number("110101199003074477")
            .edition(edition);
        let started = match starter.starter.start(request).await {
            Ok(started) => started,
            Err(error) => {
                eprintln!("{edition} start failed: {error}");
                return false;
            }
        };
        let back = match edition {
            Edition::Basic => emulator.complete(&started.h5face_id, Outcome::Pass),
            Edition::WeChat => emulator.complete_wechat(&started.h5face_id, WeChatOutcome::Pass),
            _ => emulator.complete_login(started.redirect_url.as_str(), Outcome::Pass),
        };
        verifier
            .verifier
            .verify(back.unwrap().query().unwrap_or(""))
            .await
    };
    match verdict {
        Ok(outcome) => outcome.passed() && outcome.edition == edition,
        Err(rejection) => {
            eprintln!("{edition} result refused: {rejection}");
            false
        }
    }
}

#[test]
fn redis_is_available() {
    support::redis::require();
}

async fn redis_instance(emulator: &Emulator, prefix: &str) -> Instance {
    let url = support::redis::url().expect("each Redis test returns first when there is none");
    let manager = tencent_faceid::redis::connect(url)
        .await
        .expect("the test binary's Redis answers");
    let tickets = RedisTickets::builder(emulator.client(), manager.clone())
        .prefix(prefix)
        .build();
    let store = RedisOrderStore::builder(manager, emulator.app_id())
        .prefix(prefix)
        .build();
    Instance::new(emulator, tickets, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn six_hours_of_traffic_every_minute_succeeds_with_one_token_per_twenty_minutes() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let clock = ManualClock::new();
    let cluster_vendor = Emulator::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let lone_vendor = Emulator::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    let prefix = format!("faceid-test:{}:", random_alphanumeric(12));
    let mut cluster = Vec::new();
    for _ in 0..3 {
        cluster.push(redis_instance(&cluster_vendor, &prefix).await);
    }
    let lone = Instance::new(
        &lone_vendor,
        CachedTickets::builder(lone_vendor.client()).build(),
        MemoryOrderStore::new(),
    );

    let mut failures = Vec::new();
    let mut tokens_at_period_start = (0, 0);
    for minute in 0..6 * 60 {
        if minute % 20 == 0 {
            tokens_at_period_start = (
                cluster_vendor.counts().access_token,
                lone_vendor.counts().access_token,
            );
        }
        for i in 0..3 {
            // Started on one instance, verified on the next; every edition.
            let edition = Edition::ALL[(minute + i) % Edition::ALL.len()];
            let (started_on, verified_on) = (&cluster[i], &cluster[(i + 1) % 3]);
            if !genuine_round_in(edition, &cluster_vendor, started_on, verified_on).await {
                failures.push(format!("minute {minute}: cluster instance {i}, {edition}"));
            }
        }
        let edition = Edition::ALL[minute % Edition::ALL.len()];
        if !genuine_round_in(edition, &lone_vendor, &lone, &lone).await {
            failures.push(format!("minute {minute}: the lone instance, {edition}"));
        }
        if minute % 20 == 19 {
            let fetched = (
                cluster_vendor.counts().access_token - tokens_at_period_start.0,
                lone_vendor.counts().access_token - tokens_at_period_start.1,
            );
            assert_eq!(
                fetched,
                (1, 1),
                "access tokens fetched in the 20 minutes to minute {minute} (cluster, lone)"
            );
        }
        clock.advance(MINUTE);
    }
    support::redis::remove_keys(&prefix).await;
    assert!(failures.is_empty(), "failed rounds: {failures:#?}");
}

/// A lone instance whose app id another system also uses, on a manual
/// clock.
async fn lone_instance() -> (ManualClock, Emulator, Instance) {
    let (clock, emulator) = on_manual_clock().await;
    let instance = Instance::new(
        &emulator,
        CachedTickets::builder(emulator.client()).build(),
        MemoryOrderStore::new(),
    );
    (clock, emulator, instance)
}

#[tokio::test]
async fn another_system_taking_a_new_token_costs_no_start_and_no_callback() {
    let (clock, emulator, instance) = lone_instance().await;
    assert!(genuine_round(&emulator, &instance, &instance).await);

    // Another system with the same app id takes a token; a minute later
    // the vendor ends ours, and the SIGN ticket it fetched.
    let other = emulator.client();
    other.access_token().await.unwrap();
    clock.advance(MINUTE + Duration::from_secs(1));

    let before = emulator.counts();
    assert!(genuine_round(&emulator, &instance, &instance).await);
    let after = emulator.counts();
    assert_eq!(
        (
            after.access_token - before.access_token,
            after.sign_ticket - before.sign_ticket
        ),
        (1, 1),
        "one recovery: a new token and a SIGN ticket with it"
    );
    assert!(genuine_round(&emulator, &instance, &instance).await);
}

#[tokio::test]
async fn another_system_taking_a_new_sign_ticket_costs_no_start_and_no_callback() {
    let (clock, emulator, instance) = lone_instance().await;
    assert!(genuine_round(&emulator, &instance, &instance).await);

    // Another system takes its own token and a SIGN ticket with it.
    let other = emulator.client();
    let token = other.access_token().await.unwrap();
    other.sign_ticket(token.secret()).await.unwrap();
    clock.advance(MINUTE + Duration::from_secs(1));

    assert!(genuine_round(&emulator, &instance, &instance).await);
    assert!(genuine_round(&emulator, &instance, &instance).await);
}

#[tokio::test]
async fn an_instance_learns_a_sign_ticket_rotated_by_its_sibling_from_redis() {
    let Some(_) = support::redis::url() else {
        return;
    };
    let emulator = Emulator::start().await.unwrap();
    let prefix = format!("faceid-test:{}:", random_alphanumeric(12));
    let a = redis_instance(&emulator, &prefix).await;
    let b = redis_instance(&emulator, &prefix).await;
    assert!(genuine_round(&emulator, &a, &b).await);

    // A replaces the pair (the vendor refused it, say); B still holds the
    // old one, and the vendor signs with A's new ticket at once.
    let stale = a.tickets.sign_tickets().await.unwrap();
    let replaced = a.tickets.recover(&stale).await.unwrap();
    assert_ne!(replaced.current.value(), stale.current.value());

    let before = emulator.counts();
    assert!(
        genuine_round(&emulator, &a, &b).await,
        "B re-reads Redis on the mismatch"
    );
    assert_eq!(
        emulator.counts().access_token,
        before.access_token,
        "B needed no token of its own"
    );
    support::redis::remove_keys(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_storm_of_forged_callbacks_costs_at_most_one_ticket_fetch_per_recovery_interval() {
    let (clock, emulator) = on_manual_clock().await;
    let interval = Duration::from_secs(5);
    let tickets = CachedTickets::builder(emulator.client())
        .timings(TicketTimings::default().recovery_interval(interval))
        .build();
    let store = MemoryOrderStore::new();
    let instance = Instance::new(&emulator, tickets, store.clone());
    assert!(genuine_round(&emulator, &instance, &instance).await);

    for window in 0..3 {
        let before = emulator.counts();
        // For orders of ours (no binding): the worst case, since a
        // callback for an order this server never started costs no fetch.
        for n in 0..1000 {
            let order_no = OrderNo::new(format!("forged{window}x{n}")).unwrap();
            let order = PendingOrder::new(order_no, UserId::new("u1").unwrap());
            store.put(order, Duration::from_secs(3600)).await.unwrap();
        }
        let forged = (0..1000).map(|n| {
            let verifier = instance.verifier.clone();
            tokio::spawn(async move {
                let query = format!(
                    "code=0&orderNo=forged{window}x{n}&h5faceId=f&newSignature={}",
                    "A".repeat(40)
                );
                verifier.verify(&query).await.unwrap_err()
            })
        });
        for rejection in forged.collect::<Vec<_>>() {
            assert_eq!(
                rejection.await.unwrap().kind(),
                &RejectionKind::BadSignature
            );
        }
        let after = emulator.counts();
        assert!(
            after.sign_ticket - before.sign_ticket <= 1
                && after.access_token - before.access_token <= 1,
            "window {window}: {} SIGN ticket and {} token fetches for 1,000 forged callbacks",
            after.sign_ticket - before.sign_ticket,
            after.access_token - before.access_token,
        );
        clock.advance(interval);
    }
    assert!(
        genuine_round(&emulator, &instance, &instance).await,
        "genuine callbacks still verify after the storm"
    );
}
