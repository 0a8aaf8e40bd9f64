//! Signing and verification against raw SHA-1 of the same bytes, and
//! against the naive implementation (clone, sort, join, hash, hex).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use faceid_test_support::callbacks::TICKET;
use sha1::{Digest, Sha1};
use tencent_faceid::sign::{Signature, sign, verify};

/// The straightforward way: owned strings, a sorted Vec, a joined String,
/// a hex String.
fn naive_sign(values: &[&str], ticket: &str) -> String {
    let mut all: Vec<String> = values.iter().map(|v| v.to_string()).collect();
    all.push(ticket.to_string());
    all.sort_by_key(|s| s.encode_utf16().collect::<Vec<u16>>());
    let joined = all.join("");
    Sha1::digest(joined.as_bytes())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect()
}

fn bench_case(c: &mut Criterion, name: &str, values: &[&str]) {
    let mut sorted: Vec<&str> = values.to_vec();
    sorted.push(TICKET);
    sorted.sort_unstable();
    let concatenated = sorted.concat();
    let expected: Signature = sign(values, TICKET);

    let mut group = c.benchmark_group(name);
    group.bench_function("raw_sha1", |b| {
        b.iter(|| Sha1::digest(black_box(concatenated.as_bytes())))
    });
    group.bench_function("sign", |b| {
        b.iter(|| sign(black_box(values), black_box(TICKET)))
    });
    group.bench_function("verify", |b| {
        b.iter(|| verify(black_box(values), black_box(TICKET), black_box(&expected)))
    });
    group.bench_function("naive", |b| {
        b.iter(|| naive_sign(black_box(values), black_box(TICKET)))
    });
    group.finish();
}

fn signing(c: &mut Criterion) {
    bench_case(
        c,
        "callback_4_values",
        &["appId001", "test1480921551481", "0"],
    );
    bench_case(
        c,
        "start_7_values",
        &[
            "appId001",
            "orderNo19959248596551",
            "testName",
            "4300000000000",
            "userID19959248596551",
            "1.0.0",
        ],
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = signing
}
criterion_main!(benches);
