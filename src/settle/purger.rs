//! [`Purger`]: ends every record's life at its retention, by itself.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::TaskHandle;
use crate::orders::{Purged, Retention, SettlementStore, StoreError};
use crate::wiring::Wiring;

/// A background task beside the [`Reconciler`](super::Reconciler) that
/// purges the store by its [`Retention`]: every
/// [`interval`](PurgerBuilder::interval), a run of at most
/// [`passes`](PurgerBuilder::passes) passes of the store's
/// [`purge`](crate::orders::Lifecycle::purge), each touching at most
/// [`batch`](PurgerBuilder::batch) records per class (one statement each
/// in PostgreSQL), stopping early once a pass found less than a batch.
/// Safe on every instance at once. Each record purged is counted in
/// `faceid_purged_total{class}`.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use std::time::Duration;
/// use tencent_faceid::orders::Retention;
/// use tencent_faceid::settle::Purger;
///
/// # let wiring = tencent_faceid::__doctest::wiring()?;
/// let purger = Purger::builder(&wiring)
///     .retention(Retention::default().settled_orders(Duration::from_secs(3 * 24 * 3600)))
///     .build();
/// assert_eq!(purger.run_once().await?.total(), 0); // what `spawn` does every interval
/// purger.spawn().stop().await;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Purger {
    inner: Arc<Inner>,
}

struct Inner {
    wiring: Wiring<dyn SettlementStore>,
    retention: Retention,
    batch: usize,
    passes: usize,
    interval: Duration,
}

impl fmt::Debug for Purger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Purger")
            .field("app_id", &self.wiring.app_id())
            .field("retention", &self.retention)
            .field("batch", &self.batch)
            .field("passes", &self.passes)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Purger`]; made by [`Purger::builder`].
pub struct PurgerBuilder {
    inner: Inner,
}

impl fmt::Debug for PurgerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PurgerBuilder").field(&self.inner).finish()
    }
}

impl PurgerBuilder {
    /// How long each kind of record is kept; default
    /// [`Retention::default`].
    pub fn retention(mut self, retention: Retention) -> Self {
        self.inner.retention = retention;
        self
    }

    /// The most records of each class one pass touches (one statement in
    /// PostgreSQL); default [`Purger::DEFAULT_BATCH`], at least 1.
    pub fn batch(mut self, batch: usize) -> Self {
        self.inner.batch = batch.max(1);
        self
    }

    /// The most passes one run makes; default 10, at least 1. A run
    /// touches at most `passes × batch` records of each class.
    pub fn passes(mut self, passes: usize) -> Self {
        self.inner.passes = passes.max(1);
        self
    }

    /// The pause between runs of [`Purger::spawn`]; default 10 minutes.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.inner.interval = interval;
        self
    }

    /// Builds the purger.
    pub fn build(self) -> Purger {
        Purger {
            inner: Arc::new(self.inner),
        }
    }
}

impl Purger {
    /// The default of [`PurgerBuilder::batch`]: 10 000 records.
    pub const DEFAULT_BATCH: usize = 10_000;

    /// Starts configuring a purger of `wiring`'s store, at the time of its
    /// clock.
    pub fn builder<S: SettlementStore>(wiring: &Wiring<S>) -> PurgerBuilder {
        Self::on(wiring.settling())
    }

    /// Starts configuring a purger on a wiring whose store is already a
    /// `dyn SettlementStore` (the facade's).
    pub(crate) fn on(wiring: Wiring<dyn SettlementStore>) -> PurgerBuilder {
        PurgerBuilder {
            inner: Inner {
                wiring,
                retention: Retention::default(),
                batch: Self::DEFAULT_BATCH,
                passes: 10,
                interval: Duration::from_secs(600),
            },
        }
    }

    /// One run: passes of the store's purge until one finds less than a
    /// batch of every class, at most [`passes`](PurgerBuilder::passes);
    /// answers what it removed in all.
    ///
    /// # Errors
    /// [`StoreError`] when the store fails (what earlier passes removed is
    /// counted in the metric all the same).
    pub async fn run_once(&self) -> Result<Purged, StoreError> {
        let inner = &*self.inner;
        let mut run = Purged::default();
        for _ in 0..inner.passes {
            let now = inner.wiring.clock().now();
            let pass = inner
                .wiring
                .store()
                .purge(&inner.retention, now, inner.batch)
                .await?;
            crate::metrics::purged(&pass);
            run.add(pass);
            if !pass.reached(inner.batch) {
                break;
            }
        }
        if run.total() > 0 {
            tracing::info!(?run, "purged records past their retention");
        }
        Ok(run)
    }

    /// Runs ([`run_once`](Self::run_once)) every
    /// [`interval`](PurgerBuilder::interval) on the current Tokio runtime,
    /// the first at once, until the handle is stopped or dropped.
    pub fn spawn(self) -> TaskHandle {
        TaskHandle::spawn("purger", |mut pause| async move {
            tracing::info!(purger = ?self, "purger started");
            loop {
                if let Err(error) = self.run_once().await {
                    tracing::warn!(%error, "a purge run failed; trying again at the next interval");
                }
                if pause.stopped_within(self.inner.interval).await {
                    break;
                }
            }
        })
    }
}
