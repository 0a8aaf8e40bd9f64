//! Child processes of this test binary that start together: each runs one
//! ignored test (named by its full path, `module::test`), configured
//! through its environment, says `ready` on stdout once it waits, and
//! starts when it reads `go` on stdin.

use std::io::{BufRead, BufReader, Lines, Write};
use std::process::{Child, ChildStdout, Command, Stdio};

use tencent_faceid::client::{FaceIdClient, FaceIdClientBuilder};
use tencent_faceid_emulator::Emulator;

/// The variables that tell a child process what to run on: the backend
/// (`postgres`, `mysql`, `redis`, ...), its URL, the schema (PostgreSQL),
/// and the emulator's address and credentials.
pub const ENV_BACKEND: &str = "FACEID_CHILD_BACKEND";
pub const ENV_URL: &str = "FACEID_CHILD_URL";
pub const ENV_SCHEMA: &str = "FACEID_CHILD_SCHEMA";
pub const ENV_VENDOR: &str = "FACEID_CHILD_VENDOR";
pub const ENV_APP_ID: &str = "FACEID_CHILD_APP_ID";
pub const ENV_SECRET: &str = "FACEID_CHILD_SECRET";

/// Gives a child process `emulator`'s address and credentials.
pub fn vendor_env<'a>(command: &'a mut Command, emulator: &Emulator) -> &'a mut Command {
    command
        .env(ENV_VENDOR, emulator.base_url().as_str())
        .env(ENV_APP_ID, emulator.app_id())
        .env(ENV_SECRET, emulator.secret())
}

/// In a child process: the variable `name` its parent set.
pub fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is set"))
}

/// In a child process: a client of its parent's emulator ([`vendor_env`]).
pub fn vendor_client() -> FaceIdClientBuilder {
    FaceIdClient::builder(var(ENV_APP_ID), var(ENV_SECRET)).base_url(var(ENV_VENDOR))
}

/// The children, once each has said `ready`.
pub struct Children {
    children: Vec<Child>,
    outputs: Vec<Lines<BufReader<ChildStdout>>>,
}

impl Children {
    /// Starts `count` children running `test`, the `i`-th configured by
    /// `configure(i, command)`, and waits until each is ready.
    pub fn ready(test: &str, count: usize, configure: impl Fn(usize, &mut Command)) -> Children {
        let exe = std::env::current_exe().expect("the test binary");
        let mut children: Vec<_> = (0..count)
            .map(|i| {
                let mut command = Command::new(&exe);
                command.args(["--ignored", "--exact", test, "--nocapture"]);
                configure(i, &mut command);
                command
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .spawn()
                    .expect("the test binary runs again")
            })
            .collect();
        let mut outputs: Vec<_> = children
            .iter_mut()
            .map(|child| BufReader::new(child.stdout.take().expect("piped")).lines())
            .collect();
        for lines in &mut outputs {
            let ready = lines.by_ref().map_while(Result::ok).any(|l| l == "ready");
            assert!(ready, "a child process exited before it was ready");
        }
        Children { children, outputs }
    }

    /// Tells every child to start.
    pub fn go(&mut self) {
        for child in &mut self.children {
            let stdin = child.stdin.as_mut().expect("piped");
            stdin.write_all(b"go\n").expect("the child reads its stdin");
        }
    }

    /// The rest of every child's lines that start with `prefix` (without
    /// it), once all have ended; panics if one failed.
    pub fn lines(mut self, prefix: &str) -> Vec<String> {
        let mut lines = Vec::new();
        for output in self.outputs {
            lines.extend(
                output
                    .map_while(Result::ok)
                    .filter_map(|line| line.strip_prefix(prefix).map(str::to_owned)),
            );
        }
        for child in &mut self.children {
            assert!(child.wait().unwrap().success(), "a child process failed");
        }
        lines
    }
}
