//! Skipping a test loudly. The test harness captures what a passing test
//! prints with `println!` and `eprintln!`, so a skip reported that way is
//! never seen: these lines go straight to the process's stderr instead.

use std::io::Write;

/// Writes `SKIPPED <test>: <reason>` to the process's stderr, uncaptured,
/// so that it shows in `cargo test`'s output next to the test's `ok`.
pub fn skipped(reason: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    loud(&format!("SKIPPED {test}: {reason}"));
}

/// Writes `*** <line>` to the process's stderr, uncaptured.
pub fn loud(line: &str) {
    let line = format!("\n*** {line}\n");
    // Nothing better to do if stderr itself is gone.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Whether the environment variable `var` is `1`: the user asks that the
/// tests needing a missing tool be skipped rather than fail.
pub fn requested(var: &str) -> bool {
    std::env::var_os(var).is_some_and(|value| value == "1")
}
