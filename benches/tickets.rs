//! `sign_tickets()` reads from a warm cache: one thread, then several
//! threads reading the same provider at once. `StaticTickets` (an `Arc`
//! clone behind the trait) is the floor.
//!
//! The futures are polled once with a no-op waker: a cached read must be
//! ready at once, so no runtime overhead is measured.

use std::hint::black_box;
use std::sync::{Arc, Barrier};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tencent_faceid::tickets::{CachedTickets, SignTickets, StaticTickets, TicketProvider};
use tencent_faceid_emulator::Emulator;

/// One read, which must not wait.
fn read(provider: &dyn TicketProvider) -> Arc<SignTickets> {
    let mut cx = Context::from_waker(Waker::noop());
    match provider.sign_tickets().as_mut().poll(&mut cx) {
        Poll::Ready(tickets) => tickets.expect("a warm cache serves"),
        Poll::Pending => panic!("a warm cache read waited"),
    }
}

/// `iters` rounds in which each of `threads` threads reads once; answers
/// the wall time.
fn contended(provider: &Arc<dyn TicketProvider>, threads: usize, iters: u64) -> Duration {
    let start = Arc::new(Barrier::new(threads + 1));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let provider = Arc::clone(provider);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                start.wait();
                for _ in 0..iters {
                    black_box(read(&*provider));
                }
            })
        })
        .collect();
    start.wait();
    let began = Instant::now();
    for worker in workers {
        worker.join().expect("a reader panicked");
    }
    began.elapsed()
}

fn sign_tickets(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    let emulator = runtime
        .block_on(Emulator::builder().allow_in_release(true).start())
        .expect("the emulator starts");
    let cached = CachedTickets::builder(emulator.client()).build();
    runtime
        .block_on(cached.sign_tickets())
        .expect("the cache warms up");
    let providers: [(&str, Arc<dyn TicketProvider>); 2] = [
        ("static", Arc::new(StaticTickets::new("sign", "nonce"))),
        ("cached", Arc::new(cached)),
    ];

    let mut group = c.benchmark_group("sign_tickets");
    group
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(500))
        .sample_size(30);
    for (name, provider) in &providers {
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("{name}/1_thread"), |b| {
            b.iter(|| black_box(read(&**provider)))
        });
        for threads in [2, 4] {
            group.throughput(Throughput::Elements(threads as u64));
            group.bench_function(format!("{name}/{threads}_threads"), |b| {
                b.iter_custom(|iters| contended(provider, threads, iters))
            });
        }
    }
    group.finish();
    drop(emulator);
}

criterion_group!(benches, sign_tickets);
criterion_main!(benches);
