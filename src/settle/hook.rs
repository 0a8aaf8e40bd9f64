//! The partner's `on_settled` hook: one async function for both paths.

use std::future::Future;
use std::pin::Pin;

use super::settlement::Settlement;

/// What became of a settlement's delivery to the hook, as the callback
/// that made it saw ([`VerificationOutcome::delivery`](crate::callback::VerificationOutcome::delivery)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Delivery {
    /// The hook took it (or no hook is set): nothing waits.
    Delivered,
    /// The hook failed or timed out (or the evidence could not be
    /// fetched): the settlement is kept and the
    /// [reconciler](super::Reconciler) delivers it later. Tell the user
    /// their result is being recorded rather than that it is.
    Deferred,
}

/// The `faceid.hook` span of one hook call: the order number, never the
/// user; `delivered` is recorded once the call ends.
pub(super) fn span(settlement: &Settlement) -> tracing::Span {
    tracing::info_span!(
        "faceid.hook",
        order_no = %settlement.order_no,
        state = settlement.state.as_str(),
        settled_by = settlement.settled_by.as_str(),
        delivered = tracing::field::Empty,
    )
}

/// What a hook may fail with: any error. The settlement is kept and handed
/// to the hook again later (see [`crate::settle`]).
pub type HookError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The future a hook returns.
pub type HookFuture = Pin<Box<dyn Future<Output = Result<(), HookError>> + Send + 'static>>;

/// Receives every settlement, from the callback and from the reconciler
/// alike: write "mark the user verified" here, once.
///
/// Delivery is **at least once**: a hook that fails (or times out, or whose
/// server crashes before the delivery is recorded) is called again with the
/// same settlement, so make it idempotent with
/// [`Settlement::idempotency_key`].
///
/// Implemented for every `Fn(Settlement) -> impl Future<Output = Result<(), E>>`
/// with `E` convertible into [`HookError`]:
///
/// ```
/// use tencent_faceid::settle::{OnSettled, Settlement};
/// fn takes(_hook: impl OnSettled) {}
/// takes(|settlement: Settlement| async move {
///     println!("{} settled {}", settlement.order_no, settlement.state);
///     Ok::<(), std::io::Error>(())
/// });
/// ```
pub trait OnSettled: Send + Sync + 'static {
    /// Handles one settlement.
    fn on_settled(&self, settlement: Settlement) -> HookFuture;
}

impl<F, Fut, E> OnSettled for F
where
    F: Fn(Settlement) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Into<HookError>,
{
    fn on_settled(&self, settlement: Settlement) -> HookFuture {
        let call = self(settlement);
        Box::pin(async move { call.await.map_err(Into::into) })
    }
}
