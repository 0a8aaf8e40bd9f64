//! The demos survive what they are for (issue 26): each demo (axum and
//! actix-web), on PostgreSQL (the axum one on MySQL too) and a shared
//! emulator, starts two sessions
//! and is killed (SIGKILL). One user passes and closes the tab; the other
//! is still on the H5 page. A new process on the same address, database
//! and emulator settles the first through its reconciler (a session that
//! process never saw), accepts the second's callback once (again: 409),
//! lists both in `/sessions.json` with their state and path, and every
//! page answers. On PostgreSQL, restarted once more with retentions of 0 s
//! (`DEMO_ORDER_RETENTION`, `DEMO_LOG_RETENTION`), its purger removes the
//! settled orders and their settlements, and keeps the pending one.
//!
//! The test re-executes its own binary, running only the ignored
//! `demo_child`, which serves the demo that `FACEID_CHILD_DEMO` names with
//! the demo's own variables (`DEMO_DATABASE_URL` and a schema of the
//! test's own, `FACEID_EMULATOR_URL`, `DEMO_RECONCILE_AFTER`), prints its
//! URL and the reconciler's logs on stdout, and serves until killed. No
//! sleeps: the parent reads the child's lines (its URL, then its
//! reconciler's round), and the emulator's manual clock stands still, so
//! no login link or ticket ends meanwhile.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::support;
use crate::support::children::var;
use crate::support::demo_client::{session, start};
use crate::support::mysql::Database;
use crate::support::postgres::Schema;
use faceid_demo::{Options, actix_demo, axum_demo};
use sqlx::Row;
use tencent_faceid::ManualClock;
use tencent_faceid_emulator::{Emulator, Outcome};
use url::Url;

/// What the child serves: `axum` or `actix`.
const ENV_DEMO: &str = "FACEID_CHILD_DEMO";
/// Where it listens: `127.0.0.1:0` first, the same address after the
/// restart.
const ENV_ADDR: &str = "FACEID_CHILD_ADDR";
/// What the child prints before its URL.
const URL_LINE: &str = "child demo at ";
/// How long a child may print nothing while the test waits for a line:
/// far beyond what it takes, only so that a hung demo fails the test.
const SILENCE: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_axum_demo_survives_a_restart() {
    survives_a_restart("axum").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_actix_demo_survives_a_restart() {
    survives_a_restart("actix").await;
}

async fn survives_a_restart(demo: &str) {
    let Some(database) = support::postgres::url() else {
        return;
    };
    let schema = Schema::new().await.expect("PostgreSQL answers");
    let emulator = emulator().await;
    let env = [
        (ENV_DEMO, demo),
        ("DEMO_DATABASE_URL", database),
        ("DEMO_DATABASE_SCHEMA", &schema.name),
        ("FACEID_EMULATOR_URL", emulator.base_url().as_str()),
    ];
    let restarted = restarts(&env, &emulator).await;
    // Both settlements are in the test's schema (`DEMO_DATABASE_SCHEMA`),
    // delivered.
    let store = schema.store(emulator.app_id()).await;
    let day_after = SystemTime::now() + Duration::from_secs(24 * 3600);
    let log = store.settlements(UNIX_EPOCH, day_after, 10).await.unwrap();
    let mut logged: Vec<_> = log
        .iter()
        .map(|entry| {
            let settled_by = entry.record.settled_by.as_str().to_owned();
            (Some(settled_by), entry.delivered_at.is_some())
        })
        .collect();
    logged.sort();
    assert_eq!(logged, both_delivered(), "{log:?}");

    // Restarted with retentions of 0 s, the demo's purger (its first run
    // at once) removes the settled orders and their log entries, and
    // keeps the pending session.
    let purging = [("DEMO_ORDER_RETENTION", "0"), ("DEMO_LOG_RETENTION", "0")];
    let env: Vec<_> = env.iter().chain(&purging).copied().collect();
    let mut third = DemoProcess::spawn(&env, &restarted.addr, "600");
    let purged = third.line("purge line", |line| {
        line.contains("purged records past their retention")
    });
    assert!(purged.contains("settlement_log: 2"), "{purged}");
    let sessions = third.url.join("sessions.json").unwrap();
    assert_eq!(reqwest::get(sessions).await.unwrap().status(), 200);
    third.kill();
    let log = store.settlements(UNIX_EPOCH, day_after, 10).await.unwrap();
    assert!(log.is_empty(), "the log purged: {log:?}");
    let orders: Vec<String> =
        sqlx::query_scalar(&format!("SELECT order_no FROM \"{}\".orders", schema.name))
            .fetch_all(&schema.pool)
            .await
            .unwrap();
    assert_eq!(
        orders,
        [restarted.pending],
        "only the pending order is kept"
    );
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_axum_demo_survives_a_restart_on_mysql() {
    let Some(database) = Database::new().await else {
        return;
    };
    let emulator = emulator().await;
    let env = [
        (ENV_DEMO, "axum"),
        ("DEMO_DATABASE_URL", &database.url),
        ("FACEID_EMULATOR_URL", emulator.base_url().as_str()),
    ];
    restarts(&env, &emulator).await;
    let app_id = emulator.app_id();
    // Both settlements are in the test's database, delivered.
    let rows = sqlx::query(
        "SELECT CAST(settled_by AS CHAR), delivered_at IS NOT NULL FROM faceid_settlements \
         WHERE app_id = ? ORDER BY settled_by",
    )
    .bind(app_id)
    .fetch_all(&database.pool)
    .await
    .unwrap();
    let logged: Vec<(Option<String>, bool)> =
        rows.iter().map(|row| (row.get(0), row.get(1))).collect();
    assert_eq!(logged, both_delivered());
    database.drop().await;
}

/// Two settlements, one by each path, both delivered.
fn both_delivered() -> Vec<(Option<String>, bool)> {
    vec![
        (Some("callback".to_owned()), true),
        (Some("reconciler".to_owned()), true),
    ]
}

/// The shared emulator, on a clock that stands still (no login link or
/// ticket ends while the test runs).
async fn emulator() -> Emulator {
    Emulator::builder()
        .clock(ManualClock::new())
        .start()
        .await
        .unwrap()
}

/// Where a restarted demo listens, and the session it left pending.
struct Restarted {
    addr: String,
    pending: String,
}

/// The demo, database and `emulator` that `env` names, killed and
/// restarted as the module says.
async fn restarts(env: &[(&str, &str)], emulator: &Emulator) -> Restarted {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // A demo that stops answering fails the test instead of hanging it.
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();

    // The first process reconciles only after 10 minutes: not before it is
    // killed.
    let first = DemoProcess::spawn(env, "127.0.0.1:0", "600");
    let url = first.url.clone();
    let closed = start(&browser, &url).await;
    let returning = start(&browser, &url).await;
    first.kill();
    emulator
        .complete_login(closed.as_str(), Outcome::Pass)
        .unwrap();

    // The new process reconciles at once: its first round settles the
    // session whose tab was closed and leaves the other on its page.
    let addr = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let mut second = DemoProcess::spawn(env, &addr, "0");
    assert_eq!(second.url, url, "restarted on the same address");
    let round = second.line("reconciler round line", |line| {
        line.contains("reconciler round done")
    });
    assert!(round.contains("claimed: 2, passed: 1,"), "{round}");
    assert!(round.contains("still_pending: 1, errors: 0"), "{round}");

    // The other user passes and comes back: accepted once.
    let back = emulator
        .complete_login(returning.as_str(), Outcome::Pass)
        .unwrap();
    assert_eq!(back.origin(), url.origin(), "{back}");
    let page = browser.get(back.clone()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("id=outcome class=ok>Verified<"), "{page}");
    let replay = browser.get(back).send().await.unwrap();
    assert_eq!(replay.status(), 409, "a callback is accepted once");

    // The new process lists both, settled by their paths.
    let reconciled = session(&url, &order_no(&closed)).await;
    assert_eq!(reconciled["state"], "passed", "{reconciled}");
    assert_eq!(reconciled["settledBy"], "reconciler", "{reconciled}");
    let called_back = session(&url, &order_no(&returning)).await;
    assert_eq!(called_back["state"], "passed", "{called_back}");
    assert_eq!(called_back["settledBy"], "callback", "{called_back}");

    // Every page answers, and another session starts.
    for path in ["", "sessions", "sessions.json", "metrics"] {
        let answer = browser.get(url.join(path).unwrap()).send().await.unwrap();
        assert_eq!(answer.status(), 200, "/{path}");
    }
    let again = start(&browser, &url).await;
    assert_eq!(session(&url, &order_no(&again)).await["state"], "pending");
    // Only a GET reaches the callback.
    for method in [reqwest::Method::POST, reqwest::Method::HEAD] {
        let callback = url.join("face/callback").unwrap();
        let answer = browser.request(method.clone(), callback).send().await;
        let answer = answer.unwrap();
        assert_eq!(answer.status(), 405, "{method}");
        assert_eq!(answer.headers()["allow"], "GET", "{method}");
    }
    // The reconciler's two queries, counted.
    let metrics = browser.get(url.join("metrics").unwrap()).send().await;
    let metrics = metrics.unwrap().text().await.unwrap();
    for sample in [
        "faceid_reconciler_queries_total{outcome=\"record\"} 1",
        "faceid_reconciler_queries_total{outcome=\"no_record\"} 1",
        "faceid_settlements_total{state=\"passed\",path=\"reconciler\"} 1",
        "faceid_settlements_total{state=\"passed\",path=\"callback\"} 1",
    ] {
        assert!(
            metrics.lines().any(|line| line == sample),
            "{sample} in {metrics}"
        );
    }

    second.kill();
    Restarted {
        addr,
        pending: order_no(&again),
    }
}

/// The `orderNo` of the vendor's login URL.
fn order_no(login: &Url) -> String {
    login
        .query_pairs()
        .find(|(key, _)| key == "orderNo")
        .map(|(_, value)| value.into_owned())
        .expect("the login URL names its order")
}

/// A demo served by a child process.
struct DemoProcess {
    child: Child,
    url: Url,
    /// The child's stdout, line by line, read on a thread of its own (so
    /// that the child never blocks on a full pipe).
    lines: mpsc::Receiver<String>,
    /// Lines read but not asked for yet.
    unread: Vec<String>,
}

impl DemoProcess {
    /// Runs the demo child with `env`, listening on `addr`, reconciling
    /// sessions `reconcile_after` seconds after their start; returns once
    /// it printed its URL.
    fn spawn(env: &[(&str, &str)], addr: &str, reconcile_after: &str) -> DemoProcess {
        let exe = std::env::current_exe().expect("the test binary");
        let mut command = Command::new(exe);
        command.args([
            "--ignored",
            "--exact",
            "demo_restart::demo_child",
            "--nocapture",
        ]);
        // Only this test's configuration: none of the caller's.
        for (name, _) in std::env::vars() {
            if name.starts_with("FACEID_") || name.starts_with("DEMO_") {
                command.env_remove(name);
            }
        }
        let mut child = command
            .envs(env.iter().copied())
            .env(ENV_ADDR, addr)
            .env("DEMO_RECONCILE_AFTER", reconcile_after)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the test binary runs again");
        let out = child.stdout.take().expect("piped");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let mut process = DemoProcess {
            child,
            url: "http://unknown/".parse().unwrap(),
            lines,
            unread: Vec::new(),
        };
        let line = process.line("URL line", |line| line.starts_with(URL_LINE));
        process.url = line[URL_LINE.len()..].parse().expect("a URL");
        process
    }

    /// The first line of the child's output that `wanted` accepts (`what`
    /// it says, for the failure); fails when the child ends without one,
    /// or prints nothing for [`SILENCE`] (a demo that hangs fails the test
    /// instead of hanging it).
    fn line(&mut self, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        if let Some(index) = self.unread.iter().position(|line| wanted(line)) {
            return self.unread.remove(index);
        }
        loop {
            // The runtime's other tasks (the emulator) go on meanwhile.
            match tokio::task::block_in_place(|| self.lines.recv_timeout(SILENCE)) {
                Ok(line) if wanted(&line) => return line,
                Ok(line) => self.unread.push(line),
                Err(error) => panic!("no {what} ({error}) after:\n{}", self.unread.join("\n")),
            }
        }
    }

    /// Kills the child with SIGKILL and reaps it.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        let status = self.child.wait().expect("the child ends");
        assert!(!status.success(), "killed, not finished: {status}");
    }
}

/// A test that fails leaves no demo running.
impl Drop for DemoProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The demo's process: serves the demo `FACEID_CHILD_DEMO` names at
/// `FACEID_CHILD_ADDR`, configured by the demo's variables, with the
/// reconciler's logs on stdout, until killed.
#[test]
#[ignore = "a child process of the demo restart tests"]
fn demo_child() {
    tracing_subscriber::fmt()
        .with_ansi(false)
        .with_env_filter("tencent_faceid::settle=info")
        .init();
    let listener = std::net::TcpListener::bind(var(ENV_ADDR)).expect("the address is free");
    let addr = listener.local_addr().unwrap();
    let url: Url = format!("http://{addr}/").parse().unwrap();
    // This test's client keeps no cookies.
    let options = Options {
        browser_binding: false,
    };
    match var(ENV_DEMO).as_str() {
        "axum" => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let demo = axum_demo::demo_with(url.clone(), options).await.unwrap();
                listener.set_nonblocking(true).unwrap();
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                println!("{URL_LINE}{url}");
                let app = demo
                    .router
                    .into_make_service_with_connect_info::<SocketAddr>();
                axum::serve(listener, app).await.unwrap();
            });
        }
        "actix" => actix_web::rt::System::new().block_on(async {
            let (state, _) = actix_demo::demo_state_with(url.clone(), options)
                .await
                .unwrap();
            let server = actix_web::HttpServer::new(move || {
                actix_web::App::new().configure(actix_demo::configure(state.clone()))
            })
            .workers(1)
            .listen(listener)
            .unwrap()
            .run();
            println!("{URL_LINE}{url}");
            server.await.unwrap();
        }),
        other => panic!("no demo {other}"),
    }
}
