//! Nothing is lost when a process using `PostgresOrderStore` is killed
//! (SIGKILL): not a session it started (a new process accepts its
//! callback), not a settlement whose hook had not run (a new process
//! delivers it, exactly once).
//!
//! The test re-executes its own binary, running only the ignored
//! `child_process`, which starts a session or verifies a callback against
//! the emulator this process runs, says so on stdout, and waits to be
//! killed. No sleeps: the parent waits for the child's line, and moves the
//! emulator's manual clock.
//!
//! The processes do not share tickets (in production they would, through
//! `RedisTickets`): the one verifying a callback signed with a SIGN ticket
//! another process fetched is handed that ticket (`StaticTickets`).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use crate::support;
use crate::support::postgres::Schema;
use tencent_faceid::ManualClock;
use tencent_faceid::Secret;
use tencent_faceid::UserId;
use tencent_faceid::callback::{CallbackVerifier, RejectionKind};
use tencent_faceid::orders::{PostgresOrderStore, postgres_pool};
use tencent_faceid::session::{SessionStarter, StartSession};
use tencent_faceid::settle::{Reconciler, SettledBy, SettledState, Settlement, Settler};
use tencent_faceid::tickets::{CachedTickets, StaticTickets, TicketProvider};
use tencent_faceid::wiring::Wiring;
use tencent_faceid_emulator::{Emulator, Outcome};

use crate::support::children::{ENV_APP_ID, ENV_SCHEMA, ENV_URL, var, vendor_client, vendor_env};

const MINUTE: Duration = Duration::from_secs(60);

/// What the child needs: what to do (`start` or `verify`), the database
/// and schema, the emulator, and the callback query to verify.
const ENV_MODE: &str = "FACEID_CHILD_MODE";
const ENV_QUERY: &str = "FACEID_CHILD_QUERY";
const ENV_TICKET: &str = "FACEID_CHILD_SIGN_TICKET";

#[test]
fn postgres_is_available() {
    support::postgres::require();
}

fn session() -> StartSession {
    let callback = "https://partner.example/face/callback".parse().unwrap();
    StartSession::new(UserId::new("user42").unwrap(), callback)
        .name("Zhang San")
        .id_number("110101199003074477")
}

/// Runs the child in `mode` and answers it with its first line, once it
/// printed it: it then waits, to be killed.
fn child(mode: &str, url: &str, schema: &str, emulator: &Emulator, query: &str) -> (Child, String) {
    let exe = std::env::current_exe().expect("the test binary");
    let mut command = Command::new(exe);
    let mut child = vendor_env(&mut command, emulator)
        .args([
            "--ignored",
            "--exact",
            "postgres_restart::child_process",
            "--nocapture",
        ])
        .env(ENV_MODE, mode)
        .env(ENV_URL, url)
        .env(ENV_SCHEMA, schema)
        .env(ENV_QUERY, query)
        .env(ENV_TICKET, sign_ticket(emulator).expose())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the test binary runs again");
    let out = child.stdout.take().expect("piped");
    let line = BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .find_map(|line| line.strip_prefix("child ").map(str::to_owned))
        .expect("the child says what it did before it exits");
    (child, line)
}

/// The emulator's newest SIGN ticket, which it signs callbacks with.
fn sign_ticket(emulator: &Emulator) -> Secret {
    let none = Secret::from("no ticket yet");
    emulator.current_sign_ticket().unwrap_or(none)
}

/// Kills `child` with SIGKILL and reaps it.
fn kill(mut child: Child) {
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("the child ends");
    assert!(!status.success(), "killed, not finished: {status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_process_loses_neither_sessions_nor_settlements() {
    let Some(url) = support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.expect("PostgreSQL answers");
    let emulator = Emulator::builder()
        .clock(ManualClock::new())
        .start()
        .await
        .unwrap();
    let store = schema.store(emulator.app_id()).await;
    let tickets = CachedTickets::builder(emulator.client()).build();
    let delivered: Arc<Mutex<Vec<Settlement>>> = Arc::default();
    let settler_on = |wiring: &Wiring<PostgresOrderStore>| {
        let hook_log = Arc::clone(&delivered);
        Settler::builder(wiring)
            .on_settled(move |settlement: Settlement| {
                let log = Arc::clone(&hook_log);
                async move {
                    log.lock().unwrap().push(settlement);
                    Ok::<(), std::io::Error>(())
                }
            })
            .build()
    };
    let wiring =
        Wiring::new(emulator.client(), tickets.clone(), store.clone()).browser_binding(false);
    let settler = settler_on(&wiring);
    // A verifier with tickets of its own, on the same store and hook.
    let verifier = |tickets: Arc<dyn TicketProvider>| {
        let wiring = Wiring::new(emulator.client(), tickets, store.clone()).browser_binding(false);
        CallbackVerifier::settling(&settler_on(&wiring))
            .record_judge(false)
            .build()
            .unwrap()
    };

    // A process starts a session and is killed; this one accepts its
    // callback.
    let (started, line) = child("start", url, &schema.name, &emulator, "");
    kill(started);
    let (order_no, h5face_id) = line.split_once(' ').expect("<order> <h5faceId>");
    let back = emulator.complete(h5face_id, Outcome::Pass).unwrap();
    let theirs = StaticTickets::new(sign_ticket(&emulator), "unused");
    let outcome = verifier(Arc::new(theirs))
        .verify(back.query().unwrap())
        .await
        .unwrap();
    assert_eq!(outcome.order_no.as_str(), order_no);
    assert!(outcome.passed());
    assert_eq!(delivered.lock().unwrap().len(), 1);

    // A process consumes a callback and is killed before its hook took
    // the settlement; this one delivers it, once.
    let starter = SessionStarter::builder(&wiring).build().unwrap();
    let started = starter.start(session()).await.unwrap();
    let back = emulator
        .complete(&started.h5face_id, Outcome::Pass)
        .unwrap();
    let query = back.query().unwrap();
    let (consuming, line) = child("verify", url, &schema.name, &emulator, query);
    assert_eq!(line, format!("hook {}", started.order_no));
    kill(consuming);
    let replay = verifier(Arc::new(tickets)).verify(query).await.unwrap_err();
    assert_eq!(
        replay.kind(),
        &RejectionKind::Replay,
        "consumed by the killed one"
    );
    assert_eq!(delivered.lock().unwrap().len(), 1, "not delivered yet");
    let reconciler = Reconciler::builder(settler).rate(10_000.0).build();
    emulator.advance(11 * MINUTE).unwrap();
    let round = reconciler.run_once().await.unwrap();
    assert_eq!(round.redelivered, 1, "{round:?}");
    emulator.advance(60 * MINUTE).unwrap();
    assert_eq!(reconciler.run_once().await.unwrap().claimed, 0);
    let calls = delivered.lock().unwrap().clone();
    let theirs: Vec<_> = calls
        .iter()
        .filter(|call| call.order_no == started.order_no)
        .map(|call| (call.state.clone(), call.settled_by))
        .collect();
    assert_eq!(theirs, [(SettledState::Passed, SettledBy::Callback)]);

    // The log shows both settlements, delivered.
    let logged = store
        .settlements(
            SystemTime::UNIX_EPOCH,
            SystemTime::now() + 24 * 60 * MINUTE,
            10,
        )
        .await
        .unwrap();
    assert_eq!(logged.len(), 2, "{logged:?}");
    assert!(
        logged.iter().all(|entry| entry.delivered_at.is_some()),
        "{logged:?}"
    );
    assert!(logged.iter().any(|entry| entry.order_no == started.order_no
        && entry.record.state == SettledState::Passed
        && entry.record.settled_by == SettledBy::Callback
        && entry.idempotency_key == calls.last().unwrap().idempotency_key()));
    schema.drop().await;
}

/// The killed process: starts a session (`start`) or verifies a callback
/// with a hook that never finishes (`verify`), prints `child …`, and waits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a child process of a_killed_process_loses_neither_sessions_nor_settlements"]
async fn child_process() {
    let pool = postgres_pool(&var(ENV_URL)).await.unwrap();
    let app_id = var(ENV_APP_ID);
    let store = PostgresOrderStore::builder(pool, &app_id)
        .schema(var(ENV_SCHEMA))
        .build()
        .await
        .unwrap();
    let client = vendor_client().build().unwrap();
    if var(ENV_MODE) == "start" {
        let tickets = CachedTickets::builder(client.clone()).build();
        let wiring = Wiring::new(client, tickets, store).browser_binding(false);
        let starter = SessionStarter::builder(&wiring).build().unwrap();
        let started = starter.start(session()).await.unwrap();
        println!("child {} {}", started.order_no, started.h5face_id);
    } else {
        let tickets = StaticTickets::new(var(ENV_TICKET), "unused");
        let wiring = Wiring::new(client, tickets, store).browser_binding(false);
        let settler = Settler::builder(&wiring)
            .on_settled(|settlement: Settlement| async move {
                println!("child hook {}", settlement.order_no);
                // Killed here, before the hook returns.
                std::future::pending::<Result<(), std::io::Error>>().await
            })
            .build();
        let verifier = CallbackVerifier::settling(&settler)
            .record_judge(false)
            .build()
            .unwrap();
        verifier.verify(&var(ENV_QUERY)).await.unwrap();
        unreachable!("the hook never returns");
    }
    // Wait to be killed.
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
}
