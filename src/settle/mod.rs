//! Every session settles: passed, failed or abandoned, exactly once.
//!
//! The callback is a redirect through the user's browser, and browsers get
//! closed: the vendor finished (and billed) the verification but the
//! callback never arrives. So an order ends in exactly one [`Settlement`],
//! made by whichever path gets there first:
//!
//! - **the callback** ([`CallbackVerifier::settling`](crate::callback::CallbackVerifier::settling)):
//!   a verified callback settles its order passed or failed;
//! - **the [`Reconciler`]**: a background task that asks the vendor
//!   (`queryfacerecord`) about orders still pending a while after their
//!   start ([`SettlerBuilder::reconcile_after`], default 10 minutes): a
//!   record settles the order passed or failed, no record by the order's
//!   deadline ([`ReconcilerBuilder::deadline`]) settles it abandoned; it
//!   asks at most three times about an order
//!   ([`ReconcilerBuilder::queries_per_order`]): then, halfway to the
//!   deadline, and at the deadline.
//!
//! Beside them, the [`Purger`] ends every record's life at its
//! [retention](crate::orders::Retention) (see
//! [`Lifecycle`](crate::orders::Lifecycle)).
//!
//! Both need a store that can settle ([`SettlementStore`]: the
//! [`Settler`] takes one when the program is compiled), and both settle
//! through the order store's consume (the same consume-once
//! guarantee that refuses replayed callbacks, across every instance
//! sharing the store), and keep the settlement with the consumed order in
//! that same atomic step ([`Claim::settling`](crate::orders::Claim::settling)).
//! Both hand the same typed [`Settlement`] to one optional hook,
//! [`SettlerBuilder::on_settled`]: write "mark the user verified" there,
//! once.
//!
//! # Delivery: at least once
//! An order stays in the store's due index until its settlement was
//! delivered to the hook. A hook that fails or times out is retried by the
//! reconciler with a backoff that doubles (from
//! [`SettlerBuilder::retry_backoff`]'s minimum, 30 s, to its maximum, 1 h);
//! a server that crashes between settling and delivering leaves the
//! settlement in the store, and the reconciler delivers it. So the hook may
//! see one settlement more than once: key its effects on
//! [`Settlement::idempotency_key`]. Undelivered settlements live as long
//! as the store keeps consumed orders (`RedisOrderStoreBuilder::retention`,
//! default 24 h; a [`MemoryOrderStore`](crate::orders::MemoryOrderStore)
//! keeps them for the order's time to live, or until the process ends).
//!
//! # Evidence
//! [`SettlerBuilder::evidence`] adds the vendor's record with the photo
//! and/or video to passed and failed settlements (`getFile`). The client's
//! [`max_body_bytes`](crate::client::FaceIdClientBuilder::max_body_bytes)
//! caps their size. The vendor keeps records for **three days**: a
//! settlement delivered later has none, and an order reconciled later is
//! abandoned.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use tencent_faceid::callback::CallbackVerifier;
//! use tencent_faceid::client::FaceIdClient;
//! use tencent_faceid::settle::{Reconciler, Settlement, Settler, SettledState};
//! use tencent_faceid::orders::MemoryOrderStore;
//! use tencent_faceid::tickets::CachedTickets;
//! use tencent_faceid::wiring::Wiring;
//!
//! let client = FaceIdClient::builder("TIDAxxxx", "secret").build()?;
//! let tickets = CachedTickets::builder(client.clone()).build();
//! let wiring = Wiring::new(client, tickets, MemoryOrderStore::new());
//! let settler = Settler::builder(&wiring)
//!     .on_settled(|settlement: Settlement| async move {
//!         if settlement.state == SettledState::Passed {
//!             // mark settlement.user_id verified, keyed on settlement.idempotency_key()
//!         }
//!         Ok::<(), std::io::Error>(())
//!     })
//!     .build();
//! let verifier = CallbackVerifier::settling(&settler).build()?;
//! let reconciler = Reconciler::builder(settler).build().spawn();
//! // ... serve; on shutdown:
//! reconciler.stop().await;
//! # Ok(()) }
//! ```

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tracing::Instrument;

use crate::client::ClientError;
use crate::clock::Clock;
use crate::ids::OrderNo;
use crate::orders::{Claim, DueOrder, PendingOrder, SettlementRecord, SettlementStore};
use crate::result_code::ResultCode;
use crate::result_query::{Files, QueryOptions};
use crate::tickets::{TicketError, query_record};
use crate::wiring::Wiring;

mod hook;
mod purger;
mod reconciler;
mod settlement;
mod task;
mod wechat;

#[doc(no_inline)]
pub use crate::orders::{SettledBy, SettledState};
pub use hook::{Delivery, HookError, HookFuture, OnSettled};
pub use purger::{Purger, PurgerBuilder};
pub use reconciler::{Reconciled, Reconciler, ReconcilerBuilder};
pub use settlement::Settlement;
pub use task::TaskHandle;

/// Settles orders and delivers settlements to the hook: shared by the
/// callback verifier ([`CallbackVerifier::settling`](crate::callback::CallbackVerifier::settling))
/// and the [`Reconciler`]. Cheap to clone. See the [module documentation](self).
#[derive(Clone)]
pub struct Settler {
    inner: Arc<Inner>,
}

struct Inner {
    wiring: Wiring<dyn SettlementStore>,
    hook: Option<Arc<dyn OnSettled>>,
    evidence: Files,
    hook_timeout: Duration,
    reconcile_after: Duration,
    backoff: (Duration, Duration),
}

impl fmt::Debug for Settler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.debug_struct("Settler")
            .field("app_id", &inner.wiring.app_id())
            .field("hook", &inner.hook.is_some())
            .field("evidence", &inner.evidence)
            .field("hook_timeout", &inner.hook_timeout)
            .field("reconcile_after", &inner.reconcile_after)
            .field("backoff", &inner.backoff)
            .finish_non_exhaustive()
    }
}

/// Configures a [`Settler`]; made by [`Settler::builder`].
pub struct SettlerBuilder {
    inner: Inner,
}

impl fmt::Debug for SettlerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SettlerBuilder").finish_non_exhaustive()
    }
}

impl SettlerBuilder {
    /// The hook every settlement is handed to (at least once); default
    /// none (settlements are still made, and counted).
    pub fn on_settled(mut self, hook: impl OnSettled) -> Self {
        self.inner.hook = Some(Arc::new(hook));
        self
    }

    /// Adds the vendor's record with these files to passed and failed
    /// settlements; default [`Files::None`]. Costs one vendor call per
    /// callback-settled order, and the files' size in memory while the
    /// hook runs (capped by the client's `max_body_bytes`).
    ///
    /// ```
    /// use tencent_faceid::client::FaceIdClient;
    /// use tencent_faceid::client::Files;
    /// use tencent_faceid::settle::Settler;
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::tickets::StaticTickets;
    /// use tencent_faceid::wiring::Wiring;
    /// let client = FaceIdClient::builder("appId001", "secret").max_body_bytes(8 << 20).build()?;
    /// let wiring = Wiring::new(client, StaticTickets::new("t", "n"), MemoryOrderStore::new());
    /// let settler = Settler::builder(&wiring)
    ///     .evidence(Files::Photo)
    ///     .build();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn evidence(mut self, files: Files) -> Self {
        self.inner.evidence = files;
        self
    }

    /// How long one hook call may take before it counts as failed (and is
    /// retried); default 30 s.
    pub fn hook_timeout(mut self, timeout: Duration) -> Self {
        self.inner.hook_timeout = timeout;
        self
    }

    /// How long after its start a pending order is first reconciled;
    /// default 10 minutes. Keep it well under the three days the vendor
    /// keeps records, and longer than most users take to finish.
    pub fn reconcile_after(mut self, after: Duration) -> Self {
        self.inner.reconcile_after = after;
        self
    }

    /// The first and the longest wait before a failed delivery (or vendor
    /// call) is retried; each retry waits as long as has passed since the
    /// settlement, within these bounds. Default 30 s and 1 h; a `max` below
    /// `min` is clamped to `min`.
    pub fn retry_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.inner.backoff = (min, max.max(min));
        self
    }

    /// Builds the settler.
    pub fn build(self) -> Settler {
        Settler {
            inner: Arc::new(self.inner),
        }
    }
}

/// A vendor query failed (not an answer about the order).
#[derive(Debug, thiserror::Error)]
pub(crate) enum QueryFailed {
    #[error(transparent)]
    Tickets(#[from] TicketError),
    #[error(transparent)]
    Vendor(#[from] ClientError),
}

impl Settler {
    /// The default of [`SettlerBuilder::reconcile_after`]: 10 minutes.
    pub const DEFAULT_RECONCILE_AFTER: Duration = Duration::from_secs(600);

    /// Starts configuring a settler on `wiring`: asking the vendor through
    /// its client (signed with its tickets), settling orders in its store
    /// (which must be a [`SettlementStore`]) and stamping settlements on
    /// its clock. Build the verifier from the settler
    /// ([`CallbackVerifier::settling`](crate::callback::CallbackVerifier::settling))
    /// and the starter from the same wiring.
    ///
    /// ```
    /// use tencent_faceid::settle::Settler;
    /// # let wiring = tencent_faceid::__doctest::wiring()?;
    /// let settler = Settler::builder(&wiring).build();
    /// assert_eq!(settler.app_id(), "appId001");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder<S: SettlementStore>(wiring: &Wiring<S>) -> SettlerBuilder {
        Self::on(wiring.settling())
    }

    /// Starts configuring a settler on a wiring whose store is already a
    /// `dyn SettlementStore` (the facade's).
    pub(crate) fn on(wiring: Wiring<dyn SettlementStore>) -> SettlerBuilder {
        SettlerBuilder {
            inner: Inner {
                wiring,
                hook: None,
                evidence: Files::None,
                hook_timeout: Duration::from_secs(30),
                reconcile_after: Self::DEFAULT_RECONCILE_AFTER,
                backoff: (Duration::from_secs(30), Duration::from_secs(3600)),
            },
        }
    }

    /// The app id of the client it asks the vendor with.
    pub fn app_id(&self) -> &str {
        self.inner.wiring.app_id()
    }

    /// The wiring the settler was built from.
    pub fn wiring(&self) -> &Wiring<dyn SettlementStore> {
        &self.inner.wiring
    }

    /// The due index's cut-off at `now`: orders started at or before it
    /// are due for reconciliation ([`SettlerBuilder::reconcile_after`]
    /// earlier).
    pub(crate) fn reconcile_due(&self, now: SystemTime) -> SystemTime {
        now.checked_sub(self.inner.reconcile_after)
            .unwrap_or(SystemTime::UNIX_EPOCH)
    }

    /// The claim a callback reporting `code` consumes its order with: it
    /// settles the order in the same step.
    pub(crate) fn callback_claim(
        &self,
        claim: Claim,
        code: &ResultCode,
        billed: Option<usize>,
    ) -> Claim {
        claim.settling(self.callback_record(code, billed))
    }

    /// Delivers the settlement of an order a callback just consumed.
    pub(crate) async fn settled_by_callback(
        &self,
        order: PendingOrder,
        code: &ResultCode,
        billed: Option<usize>,
    ) -> Delivery {
        let settlement = Settlement::of_order(order, self.callback_record(code, billed));
        crate::metrics::settled(settlement.state.as_str(), SettledBy::Callback.as_str());
        self.deliver(settlement).await
    }

    /// The settlement of a callback reporting `code`, now.
    fn callback_record(&self, code: &ResultCode, billed: Option<usize>) -> SettlementRecord {
        let state = SettledState::of(code);
        SettlementRecord::new(state, SettledBy::Callback, self.clock().now()).billed(billed)
    }

    /// Hands `settlement` to the hook (with evidence, if asked for), and
    /// takes its order out of the due index once that succeeded; else
    /// schedules a retry.
    pub(crate) async fn deliver(&self, mut settlement: Settlement) -> Delivery {
        let inner = &*self.inner;
        settlement.app_id = self.app_id().to_owned();
        let order_no = settlement.order_no.clone();
        if inner.evidence != Files::None
            && settlement.evidence.is_none()
            && settlement.state != SettledState::Abandoned
        {
            match self.query(&order_no, inner.evidence).await {
                Ok(record) => settlement.evidence = record.map(|answer| Box::new(answer.result)),
                Err(error) => {
                    tracing::warn!(order_no = %order_no, %error, "could not fetch the evidence for a settlement; delivering it later");
                    self.retry_later(&settlement.due(), settlement.settled_at)
                        .await;
                    return Delivery::Deferred;
                }
            }
        }
        let due = settlement.due();
        let settled_at = settlement.settled_at;
        if let Some(hook) = &inner.hook {
            let state = settlement.state.as_str();
            let span = hook::span(&settlement);
            let call = hook.on_settled(settlement).instrument(span.clone());
            let failure = match tokio::time::timeout(inner.hook_timeout, call).await {
                Ok(Ok(())) => None,
                Ok(Err(error)) => Some(error.to_string()),
                Err(_) => Some(format!("no answer within {:?}", inner.hook_timeout)),
            };
            span.record("delivered", failure.is_none());
            crate::metrics::hook_delivery(failure.is_none());
            if let Some(error) = failure {
                tracing::warn!(order_no = %order_no, state, %error, "the on_settled hook failed; the reconciler will deliver the settlement again");
                self.retry_later(&due, settled_at).await;
                return Delivery::Deferred;
            }
            tracing::info!(order_no = %order_no, state, "settlement delivered");
        }
        if let Err(error) = inner.wiring.store().forget_due(&due).await {
            // Delivered but still due: delivered again later (at least once).
            tracing::warn!(order_no = %order_no, %error, "could not take a delivered order out of the due index");
        }
        Delivery::Delivered
    }

    /// The vendor's record of `order_no` (with `files`), `None` when it has
    /// none.
    pub(crate) async fn query(
        &self,
        order_no: &OrderNo,
        files: Files,
    ) -> Result<Option<crate::result_query::VerificationResult>, QueryFailed> {
        let inner = &*self.inner;
        let provider = inner.wiring.tickets();
        let tickets = provider.sign_tickets().await?;
        let options = QueryOptions::default().files(files);
        let client = inner.wiring.client();
        Ok(query_record(provider, client, tickets, order_no, options).await?)
    }

    /// Asks the reconciler to look at `due` again at `at`.
    pub(crate) async fn look_again(&self, due: &DueOrder, at: SystemTime) {
        let reference = at
            .checked_sub(self.inner.reconcile_after)
            .unwrap_or(UNIX_EPOCH);
        if let Err(error) = self.store().reschedule(due, reference).await {
            // Its lease runs out and any instance takes it again.
            tracing::warn!(order_no = %due.order_no, %error, "could not reschedule a due order");
        }
    }

    /// Schedules a retry after a failure of something first tried at
    /// `since`: after as long again, within the backoff bounds.
    pub(crate) async fn retry_later(&self, due: &DueOrder, since: SystemTime) {
        let now = self.clock().now();
        let (min, max) = self.inner.backoff;
        let waited = now.duration_since(since).unwrap_or_default();
        self.look_again(due, now + waited.clamp(min, max)).await;
    }

    fn store(&self) -> &dyn SettlementStore {
        self.inner.wiring.store()
    }

    fn clock(&self) -> &Clock {
        self.inner.wiring.clock()
    }
}
