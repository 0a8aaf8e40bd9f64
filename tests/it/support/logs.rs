//! The process's one tracing subscriber, capturing what every test of this
//! binary logs, for the tests that check what logs show (`callback`,
//! `emulator`). Global, not scoped to a thread: a scoped subscriber races
//! with the other tests over the call sites' cached interest, and misses
//! events whose call site another thread registered at the wrong moment.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

/// The captured lines: every test's, so a test looks for its own order
/// numbers.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The capture, installed as the global subscriber by the first caller
/// (every event at every level, without colours). A test calls it before
/// it logs anything.
pub fn capture() -> Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other test of this binary sets a global subscriber");
        // Call sites registered by other threads while the subscriber was
        // being set are asked again.
        tracing::callsite::rebuild_interest_cache();
        logs
    })
    .clone()
}
