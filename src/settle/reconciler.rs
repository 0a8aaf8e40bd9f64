//! [`Reconciler`]: settles the orders whose callback never came.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use tokio::sync::{Mutex, Semaphore};
use tokio::task::JoinSet;
use tracing::Instrument;

use super::settlement::Settlement;
use super::{Delivery, Settler, TaskHandle};
use crate::orders::{
    Claim, Consumed, DueOrder, PendingOrder, SettledBy, SettledState, SettlementRecord, StoreError,
};
use crate::result_query::VerificationResult;
use crate::session::SessionStarter;
use crate::tc3::biz_token::biz_token_of;

/// What the vendor said about a due order.
pub(super) enum Asked {
    /// It ended so (with the record, for the SaaS editions, and the
    /// billed attempts, for WeChat).
    Final(SettledState, Option<Box<VerificationResult>>, Option<usize>),
    /// No verdict yet: ask again at this time.
    Later(SystemTime),
    /// The query failed.
    Failed(Box<dyn std::error::Error + Send + Sync>),
}

/// The default of [`ReconcilerBuilder::rate`]: vendor queries per second.
const DEFAULT_RATE: f64 = 10.0;

/// A background task that settles orders still pending a while after their
/// start ([`SettlerBuilder::reconcile_after`](super::SettlerBuilder::reconcile_after)),
/// by asking the vendor (`queryfacerecord`), and delivers settlements the
/// hook has not taken yet. See the [module documentation](super).
///
/// Start it explicitly ([`spawn`](Self::spawn)), once per process; run it on
/// every instance if you like: each due order is leased to one instance at
/// a time through the store's due index, and a crashed instance's leases
/// run out ([`ReconcilerBuilder::lease`]) for another to take over. It
/// respects the vendor: at most [`concurrency`](ReconcilerBuilder::concurrency)
/// queries at once and [`rate`](ReconcilerBuilder::rate) per second, at
/// most [`queries_per_order`](ReconcilerBuilder::queries_per_order) (3)
/// about one order, and after a failed query it leaves the rest of the
/// round for later, with a backoff.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// use tencent_faceid::settle::{Reconciler, Settler};
///
/// # let wiring = tencent_faceid::__doctest::wiring()?;
/// let settler = Settler::builder(&wiring).build();
/// let reconciler = Reconciler::builder(settler).build();
/// let round = reconciler.run_once().await?; // what `spawn` does every interval
/// assert_eq!(round.claimed, 0);
/// reconciler.spawn().stop().await;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Clone)]
pub struct Reconciler {
    inner: Arc<Inner>,
}

struct Inner {
    settler: Settler,
    deadline: Duration,
    queries_per_order: u32,
    lease: Duration,
    batch: usize,
    concurrency: usize,
    rate: f64,
    interval: Duration,
    /// When the next vendor query may start.
    next_query: Mutex<tokio::time::Instant>,
}

impl fmt::Debug for Reconciler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// The settings (and the settler's).
impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reconciler")
            .field("settler", &self.settler)
            .field("deadline", &self.deadline)
            .field("queries_per_order", &self.queries_per_order)
            .field("lease", &self.lease)
            .field("batch", &self.batch)
            .field("concurrency", &self.concurrency)
            .field("rate", &self.rate)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Reconciler`]; made by [`Reconciler::builder`].
pub struct ReconcilerBuilder {
    /// The reconciler to be.
    reconciler: Inner,
}

impl fmt::Debug for ReconcilerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReconcilerBuilder")
            .field(&self.reconciler)
            .finish()
    }
}

impl ReconcilerBuilder {
    /// How long after its start an order with no vendor record counts as
    /// abandoned; default 30 minutes, the session starter's default
    /// [`order_ttl`](crate::session::SessionStarterBuilder::order_ttl): use
    /// yours. A callback arriving after it is refused anyway.
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.reconciler.deadline = deadline;
        self
    }

    /// The most times the vendor is asked about an order it has no record
    /// of (the user may still be verifying, or left): spread evenly from
    /// the order's [`reconcile_after`](super::SettlerBuilder::reconcile_after)
    /// to its [`deadline`](Self::deadline), the first at the one, the last
    /// at the other, where no record settles the order abandoned. Default
    /// [`Reconciler::DEFAULT_QUERIES_PER_ORDER`], 3 (at 10, 20 and 30
    /// minutes with the defaults); at least 2 (a smaller number counts as
    /// 2), or 1 when the deadline is not after `reconcile_after`. A round
    /// that runs late skips the times it missed, and queries that fail are
    /// retried apart, with a backoff.
    ///
    /// ```
    /// use tencent_faceid::settle::{Reconciler, Settler};
    /// # let wiring = tencent_faceid::__doctest::wiring()?;
    /// // Asked at 10, 15, 20, 25 and 30 minutes.
    /// let reconciler = Reconciler::builder(Settler::builder(&wiring).build())
    ///     .queries_per_order(5)
    ///     .build();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn queries_per_order(mut self, queries: u32) -> Self {
        self.reconciler.queries_per_order = queries.max(2);
        self
    }

    /// How long an instance holds the orders it took before others may take
    /// them (it crashed, or is stuck); default 5 minutes. Keep it longer
    /// than a vendor query plus the hook's timeout.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.reconciler.lease = lease;
        self
    }

    /// The most orders one round takes; default 100, at least 1 (a 0 is
    /// clamped to 1).
    pub fn batch(mut self, batch: usize) -> Self {
        self.reconciler.batch = batch.max(1);
        self
    }

    /// The most vendor queries (and hook calls) at once; default 4, at
    /// least 1 (a 0 is clamped to 1).
    pub fn concurrency(mut self, concurrency: usize) -> Self {
        self.reconciler.concurrency = concurrency.max(1);
        self
    }

    /// The most vendor queries per second from this instance; default 10,
    /// clamped to one query every 1000 s ..= 10⁹ a second (`NaN` counts as
    /// the default).
    pub fn rate(mut self, per_second: f64) -> Self {
        self.reconciler.rate = if per_second.is_nan() {
            DEFAULT_RATE
        } else {
            per_second.clamp(1e-3, 1e9)
        };
        self
    }

    /// The pause between rounds of [`Reconciler::spawn`]; default 30 s,
    /// doubled (up to 16 times) after a round whose vendor queries failed.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.reconciler.interval = interval;
        self
    }

    /// Builds the reconciler.
    pub fn build(self) -> Reconciler {
        Reconciler {
            inner: Arc::new(self.reconciler),
        }
    }
}

/// What one round of the [`Reconciler`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reconciled {
    /// Orders taken from the due index.
    pub claimed: usize,
    /// Orders this round settled passed.
    pub passed: usize,
    /// Orders this round settled failed.
    pub failed: usize,
    /// Orders this round settled abandoned.
    pub abandoned: usize,
    /// Settlements (made earlier, on any path) delivered again.
    pub redelivered: usize,
    /// Deliveries to the hook that failed, to be retried.
    pub deferred: usize,
    /// Orders the vendor has no record of yet, before their deadline.
    pub still_pending: usize,
    /// Orders left for later because the vendor (or the store) failed.
    pub errors: usize,
}

/// What became of one due order.
enum Outcome {
    Settled(SettledState, Delivery),
    Redelivered(Delivery),
    /// Another path settled it a moment ago and is delivering it.
    Waiting,
    StillPending,
    Failed,
    /// Nothing to do for it any more.
    Forgotten,
}

impl Reconciled {
    fn add(&mut self, outcome: Outcome) {
        let delivery = match outcome {
            Outcome::Settled(state, delivery) => {
                match state {
                    SettledState::Passed => self.passed += 1,
                    SettledState::Failed(_) => self.failed += 1,
                    SettledState::Abandoned => self.abandoned += 1,
                }
                delivery
            }
            Outcome::Redelivered(delivery) => {
                self.redelivered += 1;
                delivery
            }
            Outcome::StillPending => {
                self.still_pending += 1;
                return;
            }
            Outcome::Failed => {
                self.errors += 1;
                return;
            }
            Outcome::Waiting | Outcome::Forgotten => return,
        };
        if delivery == Delivery::Deferred {
            self.deferred += 1;
        }
    }
}

impl Reconciler {
    /// The default of [`ReconcilerBuilder::queries_per_order`]: 3.
    pub const DEFAULT_QUERIES_PER_ORDER: u32 = 3;

    /// Starts configuring a reconciler settling through `settler` (so on
    /// the settler's wiring, whose store is a
    /// [`SettlementStore`](crate::orders::SettlementStore)).
    ///
    /// ```
    /// use tencent_faceid::settle::{Reconciler, Settler};
    /// use std::time::Duration;
    /// # let wiring = tencent_faceid::__doctest::wiring()?;
    /// let reconciler = Reconciler::builder(Settler::builder(&wiring).build())
    ///     .deadline(Duration::from_secs(15 * 60))
    ///     .build();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(settler: Settler) -> ReconcilerBuilder {
        ReconcilerBuilder {
            reconciler: Inner {
                settler,
                deadline: SessionStarter::DEFAULT_ORDER_TTL,
                queries_per_order: Self::DEFAULT_QUERIES_PER_ORDER,
                lease: Duration::from_secs(300),
                batch: 100,
                concurrency: 4,
                rate: DEFAULT_RATE,
                interval: Duration::from_secs(30),
                next_query: Mutex::new(tokio::time::Instant::now()),
            },
        }
    }

    /// Runs rounds ([`run_once`](Self::run_once)) every
    /// [`interval`](ReconcilerBuilder::interval) on the current Tokio
    /// runtime until the handle is stopped or dropped.
    pub fn spawn(self) -> TaskHandle {
        TaskHandle::spawn("reconciler", |mut pause| async move {
            let mut wait = self.inner.interval;
            tracing::info!(reconciler = ?self, "reconciler started");
            loop {
                let failing = match self.run_once().await {
                    Ok(round) => round.errors > 0,
                    Err(error) => {
                        tracing::warn!(%error, "a reconciler round failed");
                        true
                    }
                };
                wait = if failing {
                    (wait * 2).min(self.inner.interval * 16)
                } else {
                    self.inner.interval
                };
                if pause.stopped_within(wait).await {
                    break;
                }
            }
        })
    }

    /// One round: takes up to [`batch`](ReconcilerBuilder::batch) due
    /// orders and settles or redelivers each, then reports.
    ///
    /// # Errors
    /// [`StoreError`] when the due index cannot be read; failures about
    /// single orders are counted in [`Reconciled::errors`] instead.
    pub async fn run_once(&self) -> Result<Reconciled, StoreError> {
        let inner = &*self.inner;
        let settler = &inner.settler;
        let due = settler.reconcile_due(settler.clock().now());
        let store = settler.store();
        crate::metrics::backlog(store.due_backlog(due).await?);
        let orders = store.claim_due(due, due + inner.lease, inner.batch).await?;
        let mut round = Reconciled {
            claimed: orders.len(),
            ..Reconciled::default()
        };
        if orders.is_empty() {
            return Ok(round);
        }
        tracing::debug!(orders = orders.len(), "reconciling due orders");
        let failing = Arc::new(AtomicBool::new(false));
        let slots = Arc::new(Semaphore::new(inner.concurrency));
        let mut tasks = JoinSet::new();
        for order in orders {
            let (this, failing, slots) = (self.clone(), Arc::clone(&failing), Arc::clone(&slots));
            let span = tracing::info_span!("faceid.reconcile", order_no = %order.order_no);
            tasks.spawn(
                async move {
                    // The semaphore is never closed.
                    let _slot = slots.acquire_owned().await.ok();
                    this.reconcile(order, &failing).await
                }
                .instrument(span),
            );
        }
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(outcome) => round.add(outcome),
                Err(error) => {
                    tracing::warn!(%error, "a reconciliation task ended abnormally");
                    round.errors += 1;
                }
            }
        }
        tracing::info!(?round, "reconciler round done");
        Ok(round)
    }

    /// Settles or redelivers one due order.
    async fn reconcile(&self, order: DueOrder, failing: &AtomicBool) -> Outcome {
        let inner = &*self.inner;
        let settler = &inner.settler;
        let store = settler.store();
        let now = settler.clock().now();
        match store.settlement(&order.order_no).await {
            Ok(Some((pending, record))) => return self.redeliver(&order, pending, record).await,
            Ok(None) => {}
            Err(error) => return self.store_failed(&order, &error),
        }
        // Once the vendor failed this round, leave it alone until later.
        let first_due = order.created_at + settler.inner.reconcile_after;
        if failing.load(Ordering::Acquire) {
            settler.retry_later(&order, first_due).await;
            return Outcome::Failed;
        }
        self.pace().await;
        let asked = match biz_token_of(&order.order_no) {
            // A WeChat session's: its own record, never queryfacerecord.
            Some(biz_token) => self.ask_wechat(&order, &biz_token, now).await,
            None => self.ask_record(&order, now).await,
        };
        let (state, evidence, billed) = match asked {
            Asked::Final(state, evidence, billed) => (state, evidence, billed),
            Asked::Later(at) => {
                tracing::debug!(order_no = %order.order_no, "the vendor has no verdict yet; asking again later");
                settler.look_again(&order, at).await;
                return Outcome::StillPending;
            }
            Asked::Failed(error) => {
                failing.store(true, Ordering::Release);
                tracing::warn!(order_no = %order.order_no, %error, "the vendor query failed; the order stays pending");
                settler.retry_later(&order, first_due).await;
                return Outcome::Failed;
            }
        };
        let files = settler.inner.evidence;
        let record =
            SettlementRecord::new(state.clone(), SettledBy::Reconciler, now).billed(billed);
        let claim = Claim::new().past_deadline().settling(record.clone());
        match store.consume_claim(&order.order_no, &claim).await {
            Ok(Consumed::Accepted(pending)) => {
                tracing::info!(order_no = %order.order_no, state = state.as_str(), "order settled by the reconciler");
                crate::metrics::settled(state.as_str(), SettledBy::Reconciler.as_str());
                let mut settlement = Settlement::of_order(pending, record);
                if files != crate::result_query::Files::None {
                    settlement.evidence = evidence.map(|answer| Box::new(answer.result));
                }
                Outcome::Settled(state, settler.deliver(settlement).await)
            }
            Ok(Consumed::AlreadyConsumed | Consumed::Repeated(_)) => {
                // Another path settled it meanwhile.
                match store.settlement(&order.order_no).await {
                    Ok(Some((pending, record))) => self.redeliver(&order, pending, record).await,
                    Ok(None) => self.forget(&order).await,
                    Err(error) => self.store_failed(&order, &error),
                }
            }
            Ok(Consumed::Unknown | Consumed::Expired | Consumed::OtherBrowser) => {
                self.forget(&order).await
            }
            Err(error) => self.store_failed(&order, &error),
        }
    }

    /// `queryfacerecord` about an order of the SaaS editions: final with
    /// its record, or abandoned once it has none by the deadline.
    async fn ask_record(&self, order: &DueOrder, now: SystemTime) -> Asked {
        let inner = &*self.inner;
        let answer = inner
            .settler
            .query(&order.order_no, inner.settler.inner.evidence)
            .await;
        crate::metrics::reconciler_query(match &answer {
            Ok(Some(_)) => "record",
            Ok(None) => "no_record",
            Err(_) => "failed",
        });
        match answer {
            Ok(Some(record)) => {
                Asked::Final(SettledState::of(&record.code), Some(Box::new(record)), None)
            }
            Ok(None) if now >= order.created_at + inner.deadline => {
                Asked::Final(SettledState::Abandoned, None, None)
            }
            Ok(None) => Asked::Later(self.next_query(order, now)),
            Err(error) => Asked::Failed(Box::new(error)),
        }
    }

    /// When to ask again about `order`, which had no record at `now`
    /// (before its deadline): the first of its query times after `now`,
    /// spread evenly from its first due time to its deadline.
    pub(super) fn next_query(&self, order: &DueOrder, now: SystemTime) -> SystemTime {
        let inner = &*self.inner;
        let after = inner.settler.inner.reconcile_after;
        let first = order.created_at + after;
        let gaps = inner.queries_per_order - 1;
        let gap = inner.deadline.saturating_sub(after) / gaps;
        // The times are `first + k * gap` for 0 <= k < gaps, then the
        // deadline: the next is the first k with `k * gap` past `now`.
        let passed = now.duration_since(first).unwrap_or_default().as_nanos();
        let next = passed.checked_div(gap.as_nanos()).map(|k| k + 1);
        match next.map(u32::try_from) {
            Some(Ok(k)) if k < gaps => first + gap * k,
            _ => order.created_at + inner.deadline,
        }
    }

    /// Delivers a settlement kept in the store, unless the callback that
    /// made it a moment ago is still delivering it.
    async fn redeliver(
        &self,
        order: &DueOrder,
        pending: PendingOrder,
        record: SettlementRecord,
    ) -> Outcome {
        let settler = &self.inner.settler;
        let settlement = Settlement::of_order(pending, record);
        let grace = settler.inner.hook_timeout * 2 + Duration::from_secs(30);
        let now = settler.clock().now();
        if settlement.settled_by == SettledBy::Callback && now < settlement.settled_at + grace {
            settler
                .look_again(order, settlement.settled_at + grace)
                .await;
            return Outcome::Waiting;
        }
        tracing::info!(order_no = %order.order_no, state = settlement.state.as_str(), "delivering a kept settlement again");
        Outcome::Redelivered(settler.deliver(settlement).await)
    }

    async fn forget(&self, order: &DueOrder) -> Outcome {
        if let Err(error) = self.inner.settler.store().forget_due(order).await {
            tracing::warn!(order_no = %order.order_no, %error, "could not take an order out of the due index");
        }
        Outcome::Forgotten
    }

    fn store_failed(&self, order: &DueOrder, error: &StoreError) -> Outcome {
        // Its lease runs out and a later round takes it again.
        tracing::warn!(order_no = %order.order_no, %error, "the order store failed while reconciling");
        Outcome::Failed
    }

    /// The reconciler's deadline for orders.
    pub(super) fn deadline(&self) -> Duration {
        self.inner.deadline
    }

    /// The settler it settles through.
    pub(super) fn settler(&self) -> &Settler {
        &self.inner.settler
    }

    /// Waits for this instance's next vendor query slot.
    async fn pace(&self) {
        let spacing = Duration::from_secs_f64(1.0 / self.inner.rate);
        let slot = {
            let mut next = self.inner.next_query.lock().await;
            let slot = (*next).max(tokio::time::Instant::now());
            *next = slot + spacing;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}
