//! What verifying callbacks costs a real server, measured over HTTP on
//! loopback: requests per second and latency of a route that verifies every
//! callback against the same route that does not.
//!
//! # Method
//!
//! - **Servers.** One at a time, on a `127.0.0.1` ephemeral port, each with
//!   2 worker threads: axum (`axum::serve` on a tokio multi-thread runtime
//!   with 2 workers, `TCP_NODELAY` as actix sets it) and actix-web
//!   (`HttpServer::workers(2)`, on a thread of its own). Each serves two
//!   routes of the same path length: a **bare** one, a plain `GET` handler
//!   answering `ok`, and a **verifying** one, the same handler taking
//!   `Verified` (axum: behind `FaceCallbackLayer` as a route layer; actix:
//!   the extractor). The verifier is the default one-instance setup:
//!   `StaticTickets` and a `MemoryOrderStore` (due index on), with no
//!   confirmation, settlement or browser binding.
//! - **Realistic callbacks.** Every request carries a fresh, genuine
//!   callback query, as the vendor's redirect does (`code=0`, `orderNo`,
//!   `h5faceId`, `newSignature`, `liveRate`). Before each verifying round,
//!   outside the timed window, its orders are put into the verifier's store
//!   and their queries signed; the bare route gets queries made the same way
//!   (their orders are not stored: it never looks). The store also holds a
//!   pool of other pending orders (`HTTP_LOAD_POOL`, 200 000) and keeps the
//!   consumed ones as tombstones, so its entries are mostly out of the CPU
//!   caches, as a busy server's would be.
//! - **Client.** hyper 1's HTTP/1.1 client connection over a
//!   `tokio::net::TcpStream`, in a runtime of its own
//!   (`HTTP_LOAD_CLIENT_THREADS`, 2). At 1 and 32 keep-alive connections,
//!   each one task sending requests back to back; the tasks take the next
//!   request from a shared counter until the round's fixed count is sent.
//!   Connections are opened before the timer starts.
//! - **Rounds.** A round sends `HTTP_LOAD_REQUESTS` requests (100 000) at
//!   32 connections, half of that at 1. Per (framework, connections): one
//!   warm-up round of each route, then `HTTP_LOAD_ROUNDS` (5) of each,
//!   interleaved (bare first in odd rounds, verifying first in even ones, so
//!   a drift of the machine weighs on both alike).
//! - **Checks.** Every response must be a 200 with the body `ok` (the
//!   verifying handler answers `failed` for a callback that did not pass):
//!   anything else is counted, printed and fails the bench, so a broken
//!   setup cannot report fake speed.
//! - **Figures.** Per round: requests per second (count over the wall time
//!   from the start signal to the last response) and the p50 and p99 of
//!   each request's latency (request sent to body read). The table shows the
//!   medians over the rounds, and the ratios verifying / bare of the median
//!   req/s and of the median p99.
//!
//! Client and servers share the machine's cores, so the client's own cost
//! per request is in both figures: the ratio is what one server on this
//! machine would lose, not the verification's cost alone (for that, see the
//! `callback` bench).
//!
//! Run with `cargo bench --bench http_load`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpServer, web};
use axum::Router;
use axum::routing::get;
use axum::serve::ListenerExt;
use faceid_test_support::callbacks::{APP_ID, TICKET, verifier};
use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper::header::{HOST, HeaderValue};
use hyper::{Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;
use tokio::sync::Barrier;

// All of the crate's API this bench uses, in one place.
use tencent_faceid::actix::Verified as ActixVerified;
use tencent_faceid::axum::Verified as AxumVerified;
use tencent_faceid::callback::CallbackVerifier;
use tencent_faceid::orders::{MemoryOrderStore, OrderStore, PendingOrder};
use tencent_faceid::sign::sign;
use tencent_faceid::tower::FaceCallbackLayer;
use tencent_faceid::{OrderNo, UserId};

/// An h5faceId as the vendor sends it (not signed, not checked).
const H5FACE_ID: &str = "wb04f10695c3651ce155fea7070b74c9";
const TTL: Duration = Duration::from_secs(3600);
const SERVER_WORKERS: usize = 2;
const CONNECTIONS: [usize; 2] = [1, 32];
const BARE_PATH: &str = "/callback/bare";
const VERIFYING_PATH: &str = "/callback/face";
/// A round that takes longer than this is a stuck server, not a slow one.
const ROUND_TIMEOUT: Duration = Duration::from_secs(300);

struct Config {
    /// Requests per round at 32 connections (half of it at 1).
    requests: usize,
    /// Measured rounds of each route, after one warm-up round each.
    rounds: usize,
    /// Other pending orders in the store.
    pool: usize,
    client_threads: usize,
}

impl Config {
    fn from_env() -> Self {
        fn var(name: &str, default: usize) -> usize {
            match std::env::var(name) {
                Ok(value) => value
                    .parse()
                    .unwrap_or_else(|_| panic!("{name}={value:?} is not a whole number")),
                Err(_) => default,
            }
        }
        Self {
            requests: var("HTTP_LOAD_REQUESTS", 100_000).max(2),
            rounds: var("HTTP_LOAD_ROUNDS", 5).max(1),
            pool: var("HTTP_LOAD_POOL", 200_000),
            client_threads: var("HTTP_LOAD_CLIENT_THREADS", 2).max(1),
        }
    }

    fn requests_at(&self, connections: usize) -> usize {
        if connections == 1 {
            self.requests / 2
        } else {
            self.requests
        }
    }

    /// Room for the pool and every verifying round's orders (consumed
    /// orders stay as tombstones).
    fn store_capacity(&self) -> usize {
        let verified: usize = CONNECTIONS
            .iter()
            .map(|&c| (self.rounds + 1) * self.requests_at(c))
            .sum();
        self.pool + verified
    }
}

#[derive(Clone, Copy)]
enum Framework {
    Axum,
    Actix,
}

impl Framework {
    fn name(self) -> &'static str {
        match self {
            Framework::Axum => "axum",
            Framework::Actix => "actix",
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Route {
    Bare,
    Verifying,
}

impl Route {
    fn name(self) -> &'static str {
        match self {
            Route::Bare => "bare",
            Route::Verifying => "verifying",
        }
    }
}

// The handlers: the verifying one differs only by its extractor.

async fn bare() -> &'static str {
    "ok"
}

async fn axum_verifying(AxumVerified(outcome): AxumVerified) -> &'static str {
    if outcome.passed() { "ok" } else { "failed" }
}

async fn actix_verifying(ActixVerified(outcome): ActixVerified) -> &'static str {
    if outcome.passed() { "ok" } else { "failed" }
}

/// A running server, stopped (and its store dropped) before the next one
/// starts.
struct Server {
    framework: Framework,
    addr: SocketAddr,
    running: Running,
}

enum Running {
    Axum(Runtime),
    Actix(ServerHandle, JoinHandle<std::io::Result<()>>),
}

impl Server {
    fn start(framework: Framework, verifier: CallbackVerifier) -> Self {
        match framework {
            Framework::Axum => Self::axum(verifier),
            Framework::Actix => Self::actix(verifier),
        }
    }

    fn axum(verifier: CallbackVerifier) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(SERVER_WORKERS)
            .thread_name("axum-server")
            .enable_all()
            .build()
            .expect("a runtime for the axum server");
        let app = Router::new()
            .route(VERIFYING_PATH, get(axum_verifying))
            .route_layer(FaceCallbackLayer::new(verifier))
            .route(BARE_PATH, get(bare));
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port for axum");
        let addr = listener.local_addr().expect("the bound address");
        let listener = listener.tap_io(|stream| {
            stream.set_nodelay(true).expect("TCP_NODELAY");
        });
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self {
            framework: Framework::Axum,
            addr,
            running: Running::Axum(runtime),
        }
    }

    fn actix(verifier: CallbackVerifier) -> Self {
        let (sender, receiver) = std::sync::mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("actix-system".into())
            .spawn(move || {
                actix_web::rt::System::new().block_on(async move {
                    let verifier = web::Data::new(verifier);
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(verifier.clone())
                            .route(BARE_PATH, web::get().to(bare))
                            .route(VERIFYING_PATH, web::get().to(actix_verifying))
                    })
                    .workers(SERVER_WORKERS)
                    .disable_signals()
                    .shutdown_timeout(1)
                    .bind(("127.0.0.1", 0))?;
                    let addr = server.addrs()[0];
                    let server = server.run();
                    sender
                        .send((addr, server.handle()))
                        .expect("the bench waits for the address");
                    server.await
                })
            })
            .expect("a thread for the actix server");
        let (addr, handle) = receiver.recv().expect("the actix server started");
        Self {
            framework: Framework::Actix,
            addr,
            running: Running::Actix(handle, thread),
        }
    }

    fn stop(self, client: &Runtime) {
        match self.running {
            Running::Axum(runtime) => runtime.shutdown_timeout(Duration::from_secs(1)),
            Running::Actix(handle, thread) => {
                client.block_on(handle.stop(true));
                thread
                    .join()
                    .expect("the actix thread ended")
                    .expect("the actix server ran");
            }
        }
    }
}

/// Hands out order numbers as `SessionStarter` makes them (prefix, time in
/// milliseconds, 32 characters), unique through a counter.
struct OrderNumbers {
    millis: u128,
    issued: u64,
}

impl OrderNumbers {
    fn new() -> Self {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("a clock after 1970")
            .as_millis();
        Self { millis, issued: 0 }
    }

    fn next(&mut self) -> String {
        self.issued += 1;
        format!("fid{}{:016}", self.millis, self.issued)
    }
}

/// Puts a pending order for `order_no` into the store.
async fn put(store: &MemoryOrderStore, order_no: &str, user: usize) {
    let order = PendingOrder::new(
        OrderNo::new(order_no).expect("a valid order number"),
        UserId::new(format!("user{user}")).expect("a valid user id"),
    );
    store.put(order, TTL).await.expect("room in the store");
}

/// A round's request URIs: fresh signed callbacks for `route`, their orders
/// put into the store for the verifying route. Untimed.
async fn prepare(
    route: Route,
    requests: usize,
    store: &MemoryOrderStore,
    numbers: &mut OrderNumbers,
) -> Vec<Uri> {
    let path = match route {
        Route::Bare => BARE_PATH,
        Route::Verifying => VERIFYING_PATH,
    };
    let mut uris = Vec::with_capacity(requests);
    for i in 0..requests {
        let order_no = numbers.next();
        if route == Route::Verifying {
            put(store, &order_no, i).await;
        }
        let signature = sign(&[APP_ID, &order_no, "0"], TICKET);
        let uri = format!(
            "{path}?code=0&orderNo={order_no}&h5faceId={H5FACE_ID}&newSignature={signature}&liveRate=99"
        );
        uris.push(uri.parse().expect("a valid URI"));
    }
    uris
}

/// What one round measured.
struct Round {
    requests_per_second: f64,
    p50: Duration,
    p99: Duration,
    failures: usize,
    /// The first few failures, to print.
    examples: Vec<String>,
}

/// What one connection saw.
#[derive(Default)]
struct Connection {
    latencies: Vec<Duration>,
    failures: usize,
    examples: Vec<String>,
}

/// Sends the round's requests over `connections` keep-alive connections.
async fn run_round(addr: SocketAddr, uris: Vec<Uri>, connections: usize) -> Round {
    let total = uris.len();
    let uris: Arc<[Uri]> = uris.into();
    let next = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(connections + 1));
    let host = HeaderValue::from_str(&addr.to_string()).expect("a valid Host");
    let tasks: Vec<_> = (0..connections)
        .map(|_| {
            let (uris, next, start, host) =
                (uris.clone(), next.clone(), start.clone(), host.clone());
            tokio::spawn(async move {
                let stream = TcpStream::connect(addr).await.expect("connect");
                stream.set_nodelay(true).expect("TCP_NODELAY");
                let (mut sender, connection) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream))
                        .await
                        .expect("HTTP/1 handshake");
                tokio::spawn(async move {
                    if let Err(error) = connection.await {
                        eprintln!("client connection failed: {error}");
                    }
                });
                let mut seen = Connection {
                    latencies: Vec::with_capacity(2 * total / connections + 1),
                    ..Connection::default()
                };
                start.wait().await;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(uri) = uris.get(i) else { break };
                    let request = Request::get(uri.clone())
                        .header(HOST, host.clone())
                        .body(Empty::<Bytes>::new())
                        .expect("a valid request");
                    let sent = Instant::now();
                    sender.ready().await.expect("the connection is usable");
                    let response = sender.send_request(request).await.expect("a response");
                    let status = response.status();
                    let body = response
                        .into_body()
                        .collect()
                        .await
                        .expect("the response body")
                        .to_bytes();
                    seen.latencies.push(sent.elapsed());
                    if status != 200 || body != "ok" {
                        seen.failures += 1;
                        if seen.examples.len() < 3 {
                            seen.examples.push(format!(
                                "{status} {:?} for {uri}",
                                String::from_utf8_lossy(&body)
                            ));
                        }
                    }
                }
                seen
            })
        })
        .collect();
    start.wait().await;
    let started = Instant::now();
    let mut latencies = Vec::with_capacity(total);
    let (mut failures, mut examples) = (0, Vec::new());
    for task in tasks {
        let seen = task.await.expect("a client connection task");
        latencies.extend(seen.latencies);
        failures += seen.failures;
        examples.extend(seen.examples);
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    Round {
        requests_per_second: total as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        failures,
        examples,
    }
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let rank = (sorted.len() as f64 * q).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

/// Medians over one route's measured rounds: req/s, p50 and p99 (µs).
struct Medians {
    requests_per_second: f64,
    p50: f64,
    p99: f64,
}

impl Medians {
    fn of(rounds: &[Round]) -> Self {
        let micros = |pick: fn(&Round) -> Duration| {
            median(rounds.iter().map(|r| pick(r).as_secs_f64() * 1e6).collect())
        };
        Self {
            requests_per_second: median(rounds.iter().map(|r| r.requests_per_second).collect()),
            p50: micros(|r| r.p50),
            p99: micros(|r| r.p99),
        }
    }
}

struct Row {
    framework: Framework,
    connections: usize,
    bare: Medians,
    verifying: Medians,
}

/// The CPU model and the number of logical CPUs, from /proc/cpuinfo.
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name")?.split_once(':'))
        .map_or("unknown CPU", |(_, model)| model.trim());
    let cpus = cpuinfo
        .lines()
        .filter(|line| line.starts_with("processor"))
        .count();
    format!("{model}, {cpus} logical CPUs")
}

/// Runs one round of `route` and prints it; exits the bench if any
/// response was not the expected one.
fn measure(
    client: &Runtime,
    server: &Server,
    route: Route,
    (connections, requests): (usize, usize),
    label: &str,
    (store, numbers): (&MemoryOrderStore, &mut OrderNumbers),
) -> Round {
    let uris = client.block_on(prepare(route, requests, store, numbers));
    let measured = client
        .block_on(async {
            tokio::time::timeout(ROUND_TIMEOUT, run_round(server.addr, uris, connections)).await
        })
        .expect("the round ended in time: is the server stuck?");
    println!(
        "{:<5} {connections:>2} conn {:<9} {label:<8} {:>8.0} req/s  p50 {:>7.1} µs  p99 {:>7.1} µs",
        server.framework.name(),
        route.name(),
        measured.requests_per_second,
        measured.p50.as_secs_f64() * 1e6,
        measured.p99.as_secs_f64() * 1e6,
    );
    if measured.failures > 0 {
        for example in &measured.examples {
            eprintln!("  unexpected response: {example}");
        }
        eprintln!(
            "FAILED: {} of {requests} {} requests did not answer 200 \"ok\"",
            measured.failures,
            route.name()
        );
        std::process::exit(1);
    }
    measured
}

fn print_table(rounds: usize, rows: &[Row]) {
    println!();
    println!(
        "medians of {rounds} rounds; targets: verifying >= 95% of bare req/s, p99 <= 1.2x bare"
    );
    println!(
        "{:<9} {:>5} | {:>11} {:>11} {:>6} | {:>9} {:>9} | {:>9} {:>9} | {:>9}",
        "framework",
        "conns",
        "bare req/s",
        "verif req/s",
        "ratio",
        "bare p50",
        "bare p99",
        "verif p50",
        "verif p99",
        "p99 ratio"
    );
    for row in rows {
        println!(
            "{:<9} {:>5} | {:>11.0} {:>11.0} {:>6.3} | {:>6.1} µs {:>6.1} µs | {:>6.1} µs {:>6.1} µs | {:>9.2}",
            row.framework.name(),
            row.connections,
            row.bare.requests_per_second,
            row.verifying.requests_per_second,
            row.verifying.requests_per_second / row.bare.requests_per_second,
            row.bare.p50,
            row.bare.p99,
            row.verifying.p50,
            row.verifying.p99,
            row.verifying.p99 / row.bare.p99,
        );
    }
}

fn main() {
    let config = Config::from_env();
    println!("http_load: callback verification over loopback HTTP");
    println!("machine: {}", machine());
    println!(
        "servers: {SERVER_WORKERS} workers each; client: hyper 1 http1, {} threads; \
         {} requests per round at 32 connections, {} at 1; {} rounds of each route after a warm-up; \
         {} other pending orders in the store",
        config.client_threads,
        config.requests_at(32),
        config.requests_at(1),
        config.rounds,
        config.pool,
    );
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.client_threads)
        .thread_name("http-client")
        .enable_all()
        .build()
        .expect("a runtime for the client");
    let mut numbers = OrderNumbers::new();
    let mut rows = Vec::new();
    for framework in [Framework::Axum, Framework::Actix] {
        let store = MemoryOrderStore::with_capacity(config.store_capacity());
        client.block_on(async {
            for user in 0..config.pool {
                put(&store, &numbers.next(), user).await;
            }
        });
        let server = Server::start(framework, verifier(store.clone()));
        for connections in CONNECTIONS {
            let load = (connections, config.requests_at(connections));
            let (mut bare, mut verifying) = (Vec::new(), Vec::new());
            for round in 0..=config.rounds {
                let label = match round {
                    0 => "warm-up".to_owned(),
                    _ => format!("round {round}"),
                };
                let order = match round % 2 {
                    1 => [Route::Bare, Route::Verifying],
                    _ => [Route::Verifying, Route::Bare],
                };
                for route in order {
                    let measured = measure(
                        &client,
                        &server,
                        route,
                        load,
                        &label,
                        (&store, &mut numbers),
                    );
                    match route {
                        _ if round == 0 => {}
                        Route::Bare => bare.push(measured),
                        Route::Verifying => verifying.push(measured),
                    }
                }
            }
            rows.push(Row {
                framework,
                connections,
                bare: Medians::of(&bare),
                verifying: Medians::of(&verifying),
            });
        }
        server.stop(&client);
    }
    print_table(config.rounds, &rows);
}
