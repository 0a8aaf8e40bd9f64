//! [`TaskHandle`]: a background task of settlement (the
//! [`Reconciler`](super::Reconciler), the [`Purger`](super::Purger)) that
//! works in rounds until it is stopped.

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

/// Stops a spawned [`Reconciler`](super::Reconciler) or
/// [`Purger`](super::Purger): [`stop`](Self::stop), or drop it.
#[derive(Debug)]
pub struct TaskHandle {
    name: &'static str,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

/// What a task's rounds wait on between them: the pause, or the stop.
pub(crate) struct Pause {
    stopped: watch::Receiver<bool>,
}

impl Pause {
    /// Waits `pause`, and answers whether the task was stopped meanwhile
    /// (or its handle dropped): then it ends instead of another round.
    pub(crate) async fn stopped_within(&mut self, pause: Duration) -> bool {
        let stop = self.stopped.wait_for(|stop| *stop);
        tokio::time::timeout(pause, stop).await.is_ok()
    }
}

impl TaskHandle {
    /// Runs `task` (its rounds, with a [`Pause`] between them) on the
    /// current Tokio runtime; `name` is said in its logs.
    pub(crate) fn spawn<T>(name: &'static str, task: impl FnOnce(Pause) -> T) -> Self
    where
        T: Future<Output = ()> + Send + 'static,
    {
        let (stop, stopped) = watch::channel(false);
        let rounds = task(Pause { stopped });
        let task = tokio::spawn(async move {
            rounds.await;
            tracing::info!(task = name, "stopped");
        });
        Self {
            name,
            stop,
            task: Some(task),
        }
    }

    /// Stops the task after the round it may be in, and waits for it.
    pub async fn stop(mut self) {
        self.stop.send_replace(true);
        if let Some(task) = self.task.take()
            && let Err(error) = task.await
        {
            tracing::warn!(task = self.name, %error, "the task ended abnormally");
        }
    }
}

impl Drop for TaskHandle {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}
