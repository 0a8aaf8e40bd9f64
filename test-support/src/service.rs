//! An outside service of a test binary (Redis, PostgreSQL): running at a
//! URL, or unavailable with why and the fix.

use std::process::ChildStdin;

use super::skip;

/// How a test binary finds a service, or starts one of its own.
pub struct Wanted {
    /// What it is called in messages: `Redis`, `PostgreSQL`.
    pub name: &'static str,
    /// The variable that points the tests at a running one.
    pub var: &'static str,
    /// Where they look when `var` is unset.
    pub default_url: &'static str,
    /// What the tests use when none answers, for the loud line.
    pub own: &'static str,
    /// More of the fix when none can be had (may be empty).
    pub hint: &'static str,
    /// Whether one answers at a URL.
    pub answers: fn(&str) -> bool,
    /// Starts one: its URL and the pipe its life hangs on.
    pub start_own: fn() -> Result<(String, ChildStdin), String>,
}

/// The service at `wanted.var` (or its default URL) when it answers, else
/// one of this binary's own, else why none can be had.
pub fn find_or_start(wanted: &Wanted) -> Service {
    let configured = std::env::var(wanted.var).ok();
    let url = configured.as_deref().unwrap_or(wanted.default_url);
    if (wanted.answers)(url) {
        return Service::Running {
            url: url.to_owned(),
            _guard: None,
        };
    }
    let shown = without_credentials(url, wanted.var);
    let name = wanted.name;
    match (wanted.start_own)() {
        Ok((url, guard)) => {
            let own = wanted.own;
            skip::loud(&format!(
                "no {name} answers at {shown}: the {name} tests use {own} at {url}"
            ));
            Service::Running {
                url,
                _guard: Some(guard),
            }
        }
        Err(why) => Service::Unavailable(format!(
            "no {name} answers at {shown} and {why}; or point {} at a running {name}{}",
            wanted.var, wanted.hint
        )),
    }
}

/// `url` without its user name and password, fit for a message.
fn without_credentials(url: &str, var: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            // Neither fails on a URL with a host, as these have.
            let _ = parsed.set_password(None);
            let _ = parsed.set_username("");
            parsed.to_string()
        }
        Err(_) => format!("{var} (not a URL)"),
    }
}

/// A service this test binary found or started, or could not have.
pub enum Service {
    /// It answers at `url`; `_guard`, when this binary started it, is the
    /// pipe its life hangs on.
    Running {
        /// Where it answers.
        url: String,
        /// The pipe the life of a server this binary started hangs on.
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
