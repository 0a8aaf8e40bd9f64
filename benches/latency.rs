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
//! `cargo bench --bench latency` (a few seconds per row).

use std::time::{Duration, Instant};

use tencent_faceid::FaceId;
use tencent_faceid::client::Endpoint;
use tencent_faceid::clock::ManualClock;
use tencent_faceid::emulator::{Emulator, Fault};
use tencent_faceid::facade::WarmUp;
use tencent_faceid::ids::UserId;
use tencent_faceid::session::StartSession;

/// How late every vendor endpoint answers.
const DELAY: Duration = Duration::from_millis(60);
/// Samples per row (each a new emulator and `FaceId` but for `steady`).
const SAMPLES: usize = 7;
/// The vendor's advised refresh period, the crate's default.
const REFRESH_EVERY: Duration = Duration::from_secs(20 * 60);

/// An emulator on `clock` whose every endpoint answers [`DELAY`] late.
async fn slow_vendor(clock: ManualClock) -> Emulator {
    let emulator = Emulator::builder()
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
    FaceId::emulated(emulator)
        .callback_url_per_request()
        .allow_emulator_in_release(true) // benches build in release
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
}
