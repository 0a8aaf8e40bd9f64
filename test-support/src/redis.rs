//! A Redis for the tests: the one at `REDIS_URL` (default
//! `redis://127.0.0.1:6379`) when it answers, else a `redis-server` of this
//! test binary's own, started once on a free loopback port and ended with
//! the test process, so `cargo test` needs no Redis running beforehand.
//!
//! Its lifetime is tied to a pipe: the server runs under a small shell
//! that waits for the end of its stdin, whose other end only this process
//! holds, and then kills it. However the test process ends (success,
//! panic, abort, `SIGKILL`), the kernel closes that pipe and the server
//! goes.
//!
//! Without `redis-server` installed, one test of each binary (its
//! `redis_is_available`) fails with
//! the fix (install the Debian package `redis-server`) and every other
//! Redis test passes after a loud `SKIPPED` line; `FACEID_SKIP_REDIS=1`
//! turns that failure into a skip too.
//!
//! A test binary adopts it with (in `tests/it`, `support` is its own
//! module, which re-exports this crate's):
//!
//! ```text
//! use faceid_test_support as support;
//!
//! #[test]
//! fn redis_is_available() {
//!     support::redis::require();
//! }
//!
//! #[tokio::test]
//! async fn some_redis_test() {
//!     let Some(url) = support::redis::url() else { return };
//!     let manager = tencent_faceid::redis::connect(url).await.unwrap();
//!     // ...
//! }
//! ```

use std::io::{BufRead, BufReader};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use super::service::{Service, Wanted, find_or_start, free_port};
use super::skip;

/// Where the tests look for a Redis when `REDIS_URL` is not set.
const DEFAULT_URL: &str = "redis://127.0.0.1:6379";
/// The variable that turns a missing `redis-server` into skipped tests.
const SKIP_VAR: &str = "FACEID_SKIP_REDIS";
/// What `redis-server` logs once it accepts connections.
const READY: &str = "Ready to accept connections";
/// Runs `redis-server "$@"` until this shell's stdin ends, then kills it.
/// The shell's own stdout is closed, so that the pipe to the test process
/// ends when the server does.
const GUARD: &str = r#"redis-server "$@" &
exec >/dev/null
read -r _
kill "$!"
wait "$!""#;

static REDIS: OnceLock<Service> = OnceLock::new();

fn redis() -> &'static Service {
    REDIS.get_or_init(|| find_or_start(&WANTED))
}

/// The URL of this binary's Redis; `None` when there is none, after a loud
/// `SKIPPED` line: the test then returns at once. The first call finds or
/// starts the server.
pub fn url() -> Option<&'static str> {
    redis().url("Redis", "redis_is_available")
}

/// Removes the keys under `prefix` from this binary's Redis, and answers
/// how many there were: every test writes under a prefix of its own and
/// removes what it wrote.
pub async fn remove_keys(prefix: &str) -> usize {
    let Service::Running { url, .. } = redis() else {
        return 0;
    };
    remove_keys_at(url, prefix).await
}

/// Removes the keys under `prefix` from the Redis at `url` (a bench's, or
/// a test's own), and answers how many there were.
pub async fn remove_keys_at(url: &str, prefix: &str) -> usize {
    let mut connection = tencent_faceid::redis::connect(url)
        .await
        .expect("the Redis answers");
    remove_keys_on(&mut connection, prefix).await
}

/// Removes the keys under `prefix` through `connection` (on a Cluster,
/// `KEYS` asks every master and `DEL` is split by slot), and answers how
/// many there were.
pub async fn remove_keys_on(
    connection: &mut impl ::redis::aio::ConnectionLike,
    prefix: &str,
) -> usize {
    let keys: Vec<String> = ::redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(connection)
        .await
        .expect("KEYS");
    for chunk in keys.chunks(1000) {
        let _: () = ::redis::cmd("DEL")
            .arg(chunk)
            .query_async(connection)
            .await
            .expect("DEL");
    }
    keys.len()
}

/// The one test that fails when no Redis can be had, with the fix;
/// skipped instead with `FACEID_SKIP_REDIS=1`.
pub fn require() {
    if let Service::Unavailable(why) = redis() {
        if skip::requested(SKIP_VAR) {
            skip::skipped(&format!("{why} ({SKIP_VAR}=1)"));
        } else {
            panic!("{why}");
        }
    }
}

/// How this binary finds its Redis, or starts one.
const WANTED: Wanted = Wanted {
    name: "Redis",
    var: "REDIS_URL",
    default_url: DEFAULT_URL,
    own: "their own redis-server",
    hint: "; FACEID_SKIP_REDIS=1 skips the Redis tests",
    answers,
    start_own,
};

/// Whether a Redis answers PING at `url` within a second.
fn answers(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else {
        return false;
    };
    client
        .get_connection_with_timeout(Duration::from_secs(1))
        .and_then(|mut connection| redis::cmd("PING").query::<String>(&mut connection))
        .is_ok()
}

/// Starts `redis-server` on a free loopback port under the guard shell
/// and waits for its "ready" log line: its URL and the guard pipe.
fn start_own() -> Result<(String, ChildStdin), String> {
    let installed = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !installed {
        return Err(
            "redis-server is not installed, so the tests cannot start their own: \
                    install the Debian package redis-server (apt-get install redis-server)"
                .to_owned(),
        );
    }
    let port = free_port("redis-server")?;
    let mut child = Command::new("sh")
        .args(["-c", GUARD, "redis-guard"])
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|error| format!("redis-server could not be started through sh: {error}"))?;
    let (Some(guard), Some(log)) = (child.stdin.take(), child.stdout.take()) else {
        return Err("redis-server was started without its pipes".to_owned());
    };
    let mut lines = BufReader::new(log).lines();
    let mut seen = Vec::new();
    for line in lines.by_ref().map_while(Result::ok) {
        if line.contains(READY) {
            // Keep draining its log so it never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return Ok((format!("redis://127.0.0.1:{port}"), guard));
        }
        seen.push(line);
    }
    Err(format!(
        "redis-server on 127.0.0.1:{port} exited before it was ready; its log:\n{}",
        seen.join("\n")
    ))
}
