//! A throwaway Redis Sentinel set of a test's own on free loopback ports:
//! one primary, one replica (`--replicaof`), three sentinels monitoring
//! the primary as `m` (quorum 2, short down-after and failover timeouts).
//! Ready once every sentinel names the primary and knows the replica and
//! the other sentinels. The servers are killed and their directory removed
//! on drop.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::spare_redis::{SpareRedis, temp_dir};

/// The master's name in the sentinels' `sentinel monitor` line.
pub const MASTER: &str = "m";

/// How long the sentinels may take to see the set, or a failover.
const READY_WITHIN: Duration = Duration::from_secs(60);

/// How often the sentinels are asked while waiting.
const POLL_EVERY: Duration = Duration::from_millis(20);

/// A primary, its replica and three sentinels.
pub struct RedisSentinels {
    /// The servers: the primary and the replica, as started (the roles
    /// change with a failover).
    servers: Vec<SpareRedis>,
    sentinels: Vec<SpareRedis>,
    dir: PathBuf,
}

impl RedisSentinels {
    /// Starts the set and returns once the sentinels see all of it.
    pub fn start() -> Self {
        let dir = temp_dir();
        let primary = SpareRedis::start(&["--appendonly", "no"]);
        let replica = SpareRedis::replica_of(&primary);
        let sentinels = (0..3)
            .map(|i| {
                let config = dir.join(format!("sentinel-{i}.conf"));
                let lines = format!(
                    "sentinel monitor {MASTER} 127.0.0.1 {port} 2\n\
                     sentinel down-after-milliseconds {MASTER} 1000\n\
                     sentinel failover-timeout {MASTER} 5000\n\
                     sentinel parallel-syncs {MASTER} 1\n",
                    port = primary.port()
                );
                std::fs::write(&config, lines).expect("the sentinel's configuration is written");
                SpareRedis::start_sentinel(config)
            })
            .collect();
        let set = Self {
            servers: vec![primary, replica],
            sentinels,
            dir,
        };
        set.wait_until(|sentinel| {
            let replicas = ask(sentinel, &["SENTINEL", "REPLICAS", MASTER]);
            let others = ask(sentinel, &["SENTINEL", "SENTINELS", MASTER]);
            replicas.contains("flags\nslave\n") && others.matches("flags\nsentinel").count() == 2
        });
        set
    }

    /// The sentinels' URLs.
    pub fn sentinel_urls(&self) -> Vec<String> {
        self.sentinels.iter().map(SpareRedis::url).collect()
    }

    /// The port of the master the sentinels name now (asked of the first).
    pub fn master_port(&self) -> u16 {
        master_port_of(&self.sentinels[0])
    }

    /// The URL of the server on `port`, a primary or replica of this set.
    pub fn server_url(port: u16) -> String {
        format!("redis://127.0.0.1:{port}")
    }

    /// Starts a failover (`SENTINEL FAILOVER m`) and answers the port of
    /// the master before it.
    pub fn start_failover(&self) -> u16 {
        let before = self.master_port();
        let answer = ask(&self.sentinels[0], &["SENTINEL", "FAILOVER", MASTER]);
        assert!(
            answer.eq_ignore_ascii_case("ok"),
            "SENTINEL FAILOVER: {answer}"
        );
        before
    }

    /// Waits until every sentinel names a master other than the one on
    /// `old`, that master says it is one, and the old one replicates from
    /// it with its link up (so `WAIT 1` can be acknowledged again).
    pub fn wait_for_failover_from(&self, old: u16) {
        self.wait_until(|sentinel| master_port_of(sentinel) != old);
        let new = self.master_port();
        let deadline = Instant::now() + READY_WITHIN;
        loop {
            // A connection per poll: the sentinels' reconfiguration kills
            // the old master's clients.
            let info: String = redis::cmd("INFO")
                .arg("replication")
                .query(&mut connect(&Self::server_url(old)))
                .unwrap_or_default();
            if info.contains(&format!("master_port:{new}"))
                && info.contains("master_link_status:up")
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the old master never followed the new one: {info}"
            );
            std::thread::sleep(POLL_EVERY);
        }
    }

    /// Polls every sentinel until `ready` holds for each.
    fn wait_until(&self, ready: impl Fn(&SpareRedis) -> bool) {
        let deadline = Instant::now() + READY_WITHIN;
        for sentinel in &self.sentinels {
            while !ready(sentinel) {
                assert!(
                    Instant::now() < deadline,
                    "the sentinels did not see the set as expected within {READY_WITHIN:?}"
                );
                std::thread::sleep(POLL_EVERY);
            }
        }
    }
}

impl Drop for RedisSentinels {
    fn drop(&mut self) {
        // The servers first: the sentinels write into the directory.
        self.sentinels.clear();
        self.servers.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn connect(url: &str) -> redis::Connection {
    redis::Client::open(url)
        .and_then(|client| client.get_connection())
        .expect("the server answers")
}

/// The port of the master `sentinel` names.
fn master_port_of(sentinel: &SpareRedis) -> u16 {
    let (_, port): (String, u16) = redis::cmd("SENTINEL")
        .arg("GET-MASTER-ADDR-BY-NAME")
        .arg(MASTER)
        .query(&mut connect(&sentinel.url()))
        .expect("SENTINEL GET-MASTER-ADDR-BY-NAME");
    port
}

/// A sentinel's answer to `command` as text, one value a line.
fn ask(sentinel: &SpareRedis, command: &[&str]) -> String {
    let mut cmd = redis::cmd(command[0]);
    cmd.arg(&command[1..]);
    let value: redis::Value = cmd
        .query(&mut connect(&sentinel.url()))
        .expect("a sentinel answers");
    let mut text = String::new();
    flatten(&value, &mut text);
    text.trim_end().to_owned()
}

fn flatten(value: &redis::Value, text: &mut String) {
    match value {
        redis::Value::Array(values) => values.iter().for_each(|value| flatten(value, text)),
        redis::Value::Map(pairs) => pairs.iter().for_each(|(key, value)| {
            flatten(key, text);
            flatten(value, text);
        }),
        redis::Value::BulkString(bytes) => {
            text.push_str(&String::from_utf8_lossy(bytes));
            text.push('\n');
        }
        redis::Value::SimpleString(simple) => {
            text.push_str(simple);
            text.push('\n');
        }
        other => {
            text.push_str(&format!("{other:?}"));
            text.push('\n');
        }
    }
}
