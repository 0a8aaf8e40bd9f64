//! What a user feels of this crate: the wait between pressing "verify" and
//! the vendor's page, i.e. one session start, against the emulator with
//! every vendor endpoint answering [`DELAY`] late, printed in units of that
//! delay (round trips to the vendor; loopback and the crate's own work
//! add a few hundredths).
//!
//! - **steady**: the access token and SIGN ticket cached;
//! - **due**: the first start after the pair is due (20 minutes after it
//!   was fetched, on the emulator's manual clock);
//! - **cold**: the first start after the process started, with
//!   `FaceIdBuilder::build`'s warm-up off and on (best effort, the default).
//!
//! Then the WeChat edition, whose API 3.0 endpoint answers [`DELAY`] late
//! through a delaying proxy on loopback (the emulator's faults are the
//! SaaS endpoints'): a start (`DetectAuth`) and a verification of the
//! redirect (`GetDetectInfoEnhanced`, always asked: the redirect is not
//! signed).
//!
//! `cargo bench --bench latency` (a few seconds per row).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use tencent_faceid::FaceId;
use tencent_faceid::ManualClock;
use tencent_faceid::UserId;
use tencent_faceid::client::Endpoint;
use tencent_faceid::facade::WarmUp;
use tencent_faceid::session::Edition;
use tencent_faceid::session::StartSession;
use tencent_faceid::wechat::Tc3Client;
use tencent_faceid_emulator::{Emulator, Fault, WeChatOutcome};

/// How late every vendor endpoint answers.
const DELAY: Duration = Duration::from_millis(60);
/// Samples per row (each a new emulator and `FaceId` but for `steady`).
const SAMPLES: usize = 7;
/// The vendor's advised refresh period, the crate's default.
const REFRESH_EVERY: Duration = Duration::from_secs(20 * 60);

/// An emulator on `clock` whose every endpoint answers [`DELAY`] late.
async fn slow_vendor(clock: ManualClock) -> Emulator {
    let emulator = Emulator::builder()
        .allow_in_release(true) // benches build in release
        .clock(clock)
        .start()
        .await
        .expect("the emulator starts");
    for endpoint in [
        Endpoint::AccessToken,
        Endpoint::ApiTicket,
        Endpoint::StartSession,
        Endpoint::QueryRecord,
    ] {
        emulator.inject(Fault::delay(endpoint, DELAY).times(usize::MAX));
    }
    emulator
}

async fn face_id(emulator: &Emulator, warm_up: WarmUp) -> FaceId {
    emulator
        .face_id()
        .callback_url_per_request()
        .warm_up(warm_up)
        .build()
        .await
        .expect("the app builds")
}

/// One session start: how long it took, in units of [`DELAY`].
async fn start(face_id: &FaceId) -> f64 {
    let request = StartSession::new(
        UserId::new("user42").expect("a valid user id"),
        "https://partner.example/face/callback"
            .parse()
            .expect("a valid URL"),
    )
    .name("Zhang San")
    .id_number("110101199003074477");
    let began = Instant::now();
    face_id.start(request).await.expect("the session starts");
    began.elapsed().as_secs_f64() / DELAY.as_secs_f64()
}

/// The first start on a new app; with `due`, the first after the pair it
/// fetched for an earlier start is due.
async fn first_start(warm_up: WarmUp, due: bool) -> f64 {
    let clock = ManualClock::new();
    let emulator = slow_vendor(clock.clone()).await;
    let face_id = face_id(&emulator, warm_up).await;
    if due {
        start(&face_id).await;
        clock.advance(REFRESH_EVERY);
    }
    start(&face_id).await
}

fn median(mut samples: Vec<f64>) -> (f64, f64, f64) {
    samples.sort_by(f64::total_cmp);
    (
        samples[samples.len() / 2],
        samples[0],
        samples[samples.len() - 1],
    )
}

fn row(name: &str, samples: Vec<f64>) {
    let (median, min, max) = median(samples);
    println!("| {name} | {median:.2} | {min:.2} | {max:.2} |");
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not, and
    // then only checks that it builds.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    println!(
        "session start, every vendor endpoint {} ms late; in units of that delay ({SAMPLES} samples)\n",
        DELAY.as_millis()
    );
    println!("| moment | median | min | max |\n| --- | --- | --- | --- |");

    let steady = face_id(&slow_vendor(ManualClock::new()).await, WarmUp::BestEffort).await;
    start(&steady).await;
    let mut samples = Vec::new();
    for _ in 0..SAMPLES {
        samples.push(start(&steady).await);
    }
    row("steady (token and SIGN ticket cached)", samples);

    let mut samples = Vec::new();
    for _ in 0..SAMPLES {
        samples.push(first_start(WarmUp::BestEffort, true).await);
    }
    row(
        "due (first start 20 min after the pair was fetched)",
        samples,
    );

    for (name, warm_up) in [
        ("cold, warm-up off", WarmUp::Off),
        ("cold, warm-up on", WarmUp::BestEffort),
    ] {
        let mut samples = Vec::new();
        for _ in 0..SAMPLES {
            samples.push(first_start(warm_up, false).await);
        }
        row(name, samples);
    }

    println!(
        "\nWeChat edition, the API 3.0 endpoint {} ms late; in units of that delay ({SAMPLES} samples)\n",
        DELAY.as_millis()
    );
    println!("| step | median | min | max |\n| --- | --- | --- | --- |");
    let (starts, verifications) = wechat_round_trips().await;
    row("start (DetectAuth)", starts);
    row(
        "verification of the redirect (GetDetectInfoEnhanced)",
        verifications,
    );
}

/// A TCP proxy to `upstream` on loopback that holds every HTTP request
/// [`DELAY`] before passing it on (a request starts a read with `POST `).
async fn delaying_proxy(upstream: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let address = listener.local_addr().expect("a bound address");
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else {
                    return;
                };
                let (mut from_client, mut to_client) = client.into_split();
                let (mut from_server, mut to_server) = server.into_split();
                let up = async move {
                    let mut buffer = vec![0; 64 * 1024];
                    while let Ok(read @ 1..) = from_client.read(&mut buffer).await {
                        if buffer[..read].starts_with(b"POST ") {
                            tokio::time::sleep(DELAY).await;
                        }
                        if to_server.write_all(&buffer[..read]).await.is_err() {
                            break;
                        }
                    }
                };
                let down = tokio::io::copy(&mut from_server, &mut to_client);
                let _ = tokio::join!(up, down);
            });
        }
    });
    address
}

/// WeChat starts and verifications through the delaying proxy, each in
/// units of [`DELAY`].
async fn wechat_round_trips() -> (Vec<f64>, Vec<f64>) {
    let emulator = Emulator::builder()
        .allow_in_release(true)
        .start()
        .await
        .expect("the emulator starts");
    let port = emulator.base_url().port().expect("a loopback port");
    let proxy = delaying_proxy(SocketAddr::from(([127, 0, 0, 1], port))).await;
    let client = Tc3Client::builder(
        emulator.tc3_secret_id(),
        emulator.tc3_secret_key(),
        emulator.rule_id(),
    )
    .base_url(format!("http://{proxy}/"))
    .clock(emulator.clock())
    .build()
    .expect("a client");
    let face_id = emulator
        .face_id()
        .callback_url("https://partner.example/face/callback")
        .browser_binding(false)
        .wechat(client)
        .build()
        .await
        .expect("the app builds");
    let in_delays = |began: Instant| began.elapsed().as_secs_f64() / DELAY.as_secs_f64();
    let (mut starts, mut verifications) = (Vec::new(), Vec::new());
    for n in 0..=SAMPLES {
        let user = UserId::new(format!("user{n}")).expect("a valid user id");
        let request = StartSession::for_user(user).edition(Edition::WeChat);
        let began = Instant::now();
        let started = face_id.start(request).await.expect("the session starts");
        let start = in_delays(began);
        let back = emulator
            .complete_wechat(&started.h5face_id, WeChatOutcome::Pass)
            .expect("the user passes");
        let began = Instant::now();
        let outcome = face_id.verifier().verify(back.query().unwrap_or("")).await;
        let verification = in_delays(began);
        assert!(outcome.expect("the redirect is verified").passed());
        // The first round opens the connection: not counted.
        if n > 0 {
            starts.push(start);
            verifications.push(verification);
        }
    }
    (starts, verifications)
}
