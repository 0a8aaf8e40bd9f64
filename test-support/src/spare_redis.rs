//! A throwaway `redis-server` of a test's own, on a free loopback port,
//! driven by its PID (pause, resume, restart, kill) and waited on through
//! its own log lines: no sleeps.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};

/// A `redis-server` child process, killed on drop.
pub struct SpareRedis {
    child: Child,
    port: u16,
    /// A configuration file, given first (a sentinel's).
    config: Option<PathBuf>,
    args: Vec<String>,
    log: Receiver<String>,
}

impl SpareRedis {
    /// Whether `redis-server` can be started here. Tests that need it print
    /// a loud SKIPPED line when not.
    pub fn available() -> bool {
        Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    /// Prints why a test is skipped; call when [`Self::available`] is false.
    pub fn skip(test: &str) {
        eprintln!(
            "SKIPPED {test}: redis-server is not on PATH; this test starts and stops its own. \
             Install Redis (e.g. apt-get install redis-server)."
        );
    }

    /// Starts `redis-server` with `args` (no persistence unless they ask
    /// for it) on a free port and returns once it is ready.
    pub fn start(args: &[&str]) -> Self {
        let port = free_port();
        Self::start_on(
            port,
            None,
            args.iter().map(|arg| (*arg).to_owned()).collect(),
        )
    }

    /// Starts a Redis Sentinel on a free port with the configuration
    /// file `config` (which it rewrites) and returns once it monitors its
    /// master.
    pub fn start_sentinel(config: PathBuf) -> Self {
        let port = free_port();
        Self::start_on(port, Some(config), vec!["--sentinel".to_owned()])
    }

    /// A replica of `primary`, returned once it acknowledged a write to
    /// the primary (Redis `WAIT`: an event, not a poll).
    pub fn replica_of(primary: &SpareRedis) -> Self {
        let port = primary.port.to_string();
        let replica = Self::start(&["--replicaof", "127.0.0.1", &port]);
        let mut connection = redis::Client::open(primary.url())
            .and_then(|client| client.get_connection())
            .expect("the primary answers");
        let () = redis::cmd("SET")
            .arg("replica-probe")
            .arg(1)
            .query(&mut connection)
            .expect("SET on the primary");
        let acknowledged: u64 = redis::cmd("WAIT")
            .arg(1)
            .arg(60_000)
            .query(&mut connection)
            .expect("WAIT on the primary");
        assert_eq!(
            acknowledged, 1,
            "the replica on port {} never synced",
            replica.port
        );
        replica
    }

    fn start_on(port: u16, config: Option<PathBuf>, args: Vec<String>) -> Self {
        let mut child = Command::new("redis-server")
            .args(config.iter())
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", ""])
            .args(&args)
            .stdout(Stdio::piped())
            .spawn()
            .expect("redis-server starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (send, log) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                // Keep draining after the receiver is gone: never block it.
                let _ = send.send(line);
            }
        });
        let ready = if config.is_some() {
            "+monitor master"
        } else {
            "Ready to accept connections"
        };
        let spare = Self {
            child,
            port,
            config,
            args,
            log,
        };
        spare.wait_for_log(ready);
        spare
    }

    /// Waits for a log line containing `text`; panics if the server exits
    /// first.
    fn wait_for_log(&self, text: &str) {
        loop {
            match self.log.recv() {
                Ok(line) if line.contains(text) => return,
                Ok(_) => {}
                Err(_) => panic!(
                    "redis-server on port {} exited before logging {text:?}",
                    self.port
                ),
            }
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`STOP`, `CONT`, `KILL`, ...) to the process.
    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([format!("-{signal}"), self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal} {}", self.pid());
    }

    /// Stops the server (SIGTERM: it writes its append-only file if it
    /// keeps one) and waits for it to exit.
    pub fn stop(&mut self) {
        self.signal("TERM");
        let _ = self.child.wait();
    }

    /// Stops the server and starts it again on the same port with the same
    /// arguments.
    pub fn restart(mut self) -> Self {
        self.stop();
        self.start_again()
    }

    /// Starts a [stopped](Self::stop) server again on the same port with
    /// the same arguments.
    pub fn start_again(mut self) -> Self {
        let config = self.config.take();
        Self::start_on(self.port, config, std::mem::take(&mut self.args))
    }
}

impl Drop for SpareRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("bound").port()
}

/// A fresh empty directory for a server's files.
pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("faceid-redis-{}", crate::random_alphanumeric(12)));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}
