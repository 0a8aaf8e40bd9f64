//! Refresh ahead: a due pair is replaced by one background task while
//! callers keep being served the still-valid one, so no caller waits for
//! the vendor unless no valid pair exists at all. [`BackgroundRefresh`] is
//! that task's slot in the engine; the [`Refresher`](super::refresher::Refresher)
//! stops it when dropped.

use std::sync::{Mutex, MutexGuard, PoisonError};

use tokio::task::AbortHandle;

/// The background replacement of a due pair, while it runs.
#[derive(Default)]
pub(crate) struct BackgroundRefresh(Mutex<Option<AbortHandle>>);

impl BackgroundRefresh {
    pub(super) fn task(&self) -> MutexGuard<'_, Option<AbortHandle>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn stop(&self) {
        if let Some(task) = self.task().take() {
            task.abort();
        }
    }
}
