//! An outside service of a test binary (Redis, PostgreSQL): running at a
//! URL, or unavailable with why and the fix.

use std::process::ChildStdin;

use super::skip;

/// A service this test binary found or started, or could not have.
pub enum Service {
    /// It answers at `url`; `_guard`, when this binary started it, is the
    /// pipe its life hangs on.
    Running {
        url: String,
        _guard: Option<ChildStdin>,
    },
    /// It cannot be had: why, and what to do.
    Unavailable(String),
}

impl Service {
    /// Its URL; `None` when there is none, after a loud `SKIPPED` line
    /// pointing at the test `check` that says why.
    pub fn url(&self, name: &str, check: &str) -> Option<&str> {
        match self {
            Service::Running { url, .. } => Some(url),
            Service::Unavailable(_) => {
                skip::skipped(&format!(
                    "no {name} for this test: see {check} for why and the fix"
                ));
                None
            }
        }
    }
}

/// A free loopback port for a server of the tests' own.
pub fn free_port(server: &str) -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|error| format!("no free loopback port for {server}: {error}"))
}
