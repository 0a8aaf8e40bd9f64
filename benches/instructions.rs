//! Instruction counts, which a noisy shared machine repeats exactly where
//! it cannot show a 5% difference in time: `cargo bench --bench
//! instructions` runs itself once per case under
//! `valgrind --tool=callgrind`, counting only inside the case's
//! `measured_*` function, and prints instructions per call.
//!
//! Cases: raw SHA-1 of the callback's sorted values concatenated, `sign`
//! and `sign::verify` of the same values, `CallbackVerifier::verify`
//! (`StaticTickets`, a 50 000-order memory store), and one callback request
//! to an axum route behind `FaceCallbackLayer` minus the same request to
//! the same route without it. Valgrind's CPU has no SHA extensions, so
//! SHA-1 runs in software here.

use std::hint::black_box;
use std::process::Command;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response};
use axum::routing::get;
use faceid_test_support::callbacks::{
    APP_ID, Orders, TICKET, now, plain_handler, request, verified_handler,
};
use sha1::{Digest, Sha1};
use tencent_faceid::callback::{CallbackVerifier, VerificationOutcome};
use tencent_faceid::sign::{Signature, sign, verify};
use tencent_faceid::tower::FaceCallbackLayer;
use tower::ServiceExt;

/// Measured calls per case.
const CALLS: u64 = 4_000;
/// The callback's signed values.
const VALUES: [&str; 3] = [APP_ID, "test1480921551481", "0"];

#[inline(never)]
fn measured_raw_sha1(bytes: &[u8]) -> [u8; 20] {
    Sha1::digest(bytes).into()
}

#[inline(never)]
fn measured_sign(values: &[&str]) -> Signature {
    sign(values, TICKET)
}

#[inline(never)]
fn measured_verify_signature(values: &[&str], expected: &Signature) -> bool {
    verify(values, TICKET, expected)
}

#[inline(never)]
fn measured_verify(verifier: &CallbackVerifier, query: &str) -> VerificationOutcome {
    now(verifier.verify(query)).expect("verified")
}

#[inline(never)]
fn measured_layered_route(router: Router, request: Request<Body>) -> Response<Body> {
    let response = now(router.oneshot(request)).expect("answered");
    // (Also keeps the compiler from merging this with the bare route's.)
    assert!(response.status().is_success());
    response
}

#[inline(never)]
fn measured_bare_route(router: Router, request: Request<Body>) -> Response<Body> {
    now(router.oneshot(request)).expect("answered")
}

/// Runs `case`'s function `CALLS` times.
fn run(case: &str) {
    let calls = CALLS;
    match case {
        "raw_sha1" => {
            let mut sorted = VALUES.to_vec();
            sorted.push(TICKET);
            sorted.sort_unstable();
            let bytes = sorted.concat();
            for _ in 0..calls {
                black_box(measured_raw_sha1(black_box(bytes.as_bytes())));
            }
        }
        "sign" => {
            for _ in 0..calls {
                black_box(measured_sign(black_box(&VALUES)));
            }
        }
        "verify_signature" => {
            let expected = sign(&VALUES, TICKET);
            for _ in 0..calls {
                black_box(measured_verify_signature(black_box(&VALUES), &expected));
            }
        }
        "verify" => {
            let mut orders = Orders::new(|verifier| verifier);
            for _ in 0..calls {
                let (verifier, query) = orders.next();
                black_box(measured_verify(&verifier, &query));
            }
        }
        "layered_route" => {
            let mut orders = Orders::new(|verifier| {
                Router::new()
                    .route("/face/callback", get(verified_handler))
                    .route_layer(FaceCallbackLayer::new(verifier))
            });
            for _ in 0..calls {
                let (router, query) = orders.next();
                black_box(measured_layered_route(router, request(&query)));
            }
        }
        "bare_route" => {
            let router = Router::new().route("/face/callback", get(plain_handler));
            let mut orders = Orders::new(|_| ());
            for _ in 0..calls {
                let ((), query) = orders.next();
                black_box(measured_bare_route(router.clone(), request(&query)));
            }
        }
        other => panic!("no case {other}"),
    }
}

const CASES: [&str; 6] = [
    "raw_sha1",
    "sign",
    "verify_signature",
    "verify",
    "bare_route",
    "layered_route",
];

/// Instructions per call of `case`'s measured function, under callgrind.
fn count(case: &str) -> Result<u64, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::env::temp_dir().join(format!("faceid-callgrind-{}-{case}", std::process::id()));
    let status = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(format!("--toggle-collect=*measured_{case}*"))
        .arg("--quiet")
        .arg(&exe)
        .args(["--case", case])
        .status()
        .map_err(|e| {
            format!("valgrind could not run ({e}): install valgrind (Debian package `valgrind`)")
        })?;
    if !status.success() {
        return Err(format!("valgrind ended with {status}"));
    }
    let profile = std::fs::read_to_string(&out).map_err(|e| e.to_string())?;
    let _ = std::fs::remove_file(&out);
    let total: u64 = profile
        .lines()
        .find_map(|line| line.strip_prefix("summary:"))
        .and_then(|n| n.trim().parse().ok())
        .ok_or("callgrind wrote no summary")?;
    Ok(total / CALLS)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|arg| arg == "--case") {
        run(&args[at + 1]);
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` only checks
    // that this builds.
    if !args.iter().any(|arg| arg == "--bench") {
        return;
    }
    let mut counts = Vec::new();
    for case in CASES {
        match count(case) {
            Ok(n) => counts.push(n),
            Err(error) => {
                eprintln!("{case}: {error}");
                std::process::exit(1);
            }
        }
    }
    println!("instructions per call (callgrind, {CALLS} calls each)\n");
    println!("| case | instructions | vs raw SHA-1 |\n| --- | --- | --- |");
    for (case, n) in CASES.iter().zip(&counts) {
        println!("| {case} | {n} | {:.2}x |", *n as f64 / counts[0] as f64);
    }
    let added = counts[5].saturating_sub(counts[4]);
    println!("| layer's addition (layered_route - bare_route) | {added} | |");
}
