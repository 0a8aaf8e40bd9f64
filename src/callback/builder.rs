//! [`CallbackVerifierBuilder`]: what a verifier checks besides the
//! signature and the order, and with what.

use std::fmt;
use std::sync::Arc;

use super::verifier::Inner;
use super::{CallbackVerifier, DEFAULT_MAX_QUERY_LEN};
use crate::settle::Settler;
use crate::wiring::Wiring;

/// Configures a [`CallbackVerifier`]; made by [`CallbackVerifier::builder`]
/// or [`CallbackVerifier::settling`].
pub struct CallbackVerifierBuilder {
    /// The verifier to be, checked by [`Self::build`].
    verifier: Inner,
}

impl fmt::Debug for CallbackVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("CallbackVerifierBuilder")
            .field(&self.verifier)
            .finish()
    }
}

/// A [`CallbackVerifierBuilder`] setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackConfigError {
    /// `max_query_len` is zero, which refuses every callback.
    #[error(
        "max_query_len is 0, which refuses every callback; leave the default ({DEFAULT_MAX_QUERY_LEN}) or pick a positive length"
    )]
    ZeroMaxQueryLen,
}

impl CallbackVerifier {
    /// Starts configuring a verifier on `wiring`: checking signatures with
    /// its SIGN tickets, consuming orders from its store (the store the
    /// session starter records them in), asking the vendor through its
    /// client, and requiring the binding cookie as it says
    /// ([`Wiring::browser_binding`]).
    ///
    /// ```
    /// use tencent_faceid::callback::CallbackVerifier;
    /// # let wiring = tencent_faceid::__doctest::wiring()?;
    /// let verifier = CallbackVerifier::builder(&wiring).max_query_len(1024).build()?;
    /// assert_eq!(verifier.app_id(), "appId001");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder<S: ?Sized>(wiring: &Wiring<S>) -> CallbackVerifierBuilder {
        CallbackVerifierBuilder::new(wiring.as_orders(), None)
    }

    /// Starts configuring a verifier that settles every accepted callback's
    /// order through `settler`, on the settler's own wiring: the consume
    /// that accepts the callback also records its settlement, and the
    /// settler's `on_settled` hook hears of it before the handler runs (see
    /// [`crate::settle`]). Give the [`Reconciler`](crate::settle::Reconciler)
    /// the same settler.
    ///
    /// ```
    /// use tencent_faceid::callback::CallbackVerifier;
    /// use tencent_faceid::settle::Settler;
    /// # let wiring = tencent_faceid::__doctest::wiring()?;
    /// let settler = Settler::builder(&wiring).build();
    /// let verifier = CallbackVerifier::settling(&settler).build()?;
    /// assert!(verifier.settles());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn settling(settler: &Settler) -> CallbackVerifierBuilder {
        let wiring = settler.wiring().as_orders();
        CallbackVerifierBuilder::new(wiring, Some(settler.clone()))
    }

    /// The wiring the verifier was built from.
    pub fn wiring(&self) -> &Wiring {
        &self.inner.wiring
    }

    /// Whether accepted callbacks are settled ([`Self::settling`]).
    pub fn settles(&self) -> bool {
        self.inner.settler.is_some()
    }

    /// Whether the vendor's record judges callbacks signed with a ticket
    /// this server never saw ([`CallbackVerifierBuilder::record_judge`]).
    pub fn judges_by_record(&self) -> bool {
        self.inner.record_judge
    }
}

impl CallbackVerifierBuilder {
    /// The defaults, on `wiring`, settling through `settler` if any.
    pub(super) fn new(wiring: Wiring, settler: Option<Settler>) -> Self {
        let verifier = Inner {
            wiring,
            confirm: false,
            record_judge: true,
            max_query_len: DEFAULT_MAX_QUERY_LEN,
            settler,
            judged: Default::default(),
        };
        Self { verifier }
    }

    /// Whether every callback that claims a pass is confirmed with the
    /// vendor's record (`queryfacerecord`, through the wiring's client)
    /// before it is accepted; off by default. Turn it on where money or
    /// rights hang on the result; it costs one vendor request per such
    /// callback, and the outcome then carries the record (live rate,
    /// similarity).
    ///
    /// Callbacks reporting a failure are not confirmed: nothing is granted
    /// on a failure, and the vendor need not keep a record of an attempt
    /// the user abandoned.
    ///
    /// ```
    /// use tencent_faceid::callback::CallbackVerifier;
    /// # let wiring = tencent_faceid::__doctest::wiring()?;
    /// let verifier = CallbackVerifier::builder(&wiring).confirm(true).build()?;
    /// assert!(verifier.confirms());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn confirm(mut self, on: bool) -> Self {
        self.verifier.confirm = on;
        self
    }

    /// Whether the vendor's record decides a callback for a pending order
    /// whose signature matches no SIGN ticket this server knows, even
    /// after one recovery: another system sharing the app id fetched a
    /// SIGN ticket, and the vendor signed with it. The record
    /// (`queryfacerecord`, through the wiring's client) is asked once: if
    /// it exists for this app and order, the callback is accepted with the
    /// record's code, marked [`VerificationOutcome::judged_by_record`](super::VerificationOutcome::judged_by_record);
    /// otherwise it is refused (401), as it always is with `false`.
    ///
    /// On by default: without it a user whose genuine callback was signed
    /// with another system's ticket loses their session. Bounded, so that
    /// nobody can make the server hammer the vendor or lock a user out:
    /// only for pending orders (with browser binding on, only from the
    /// order's own browser), at most once per order every 5 seconds per
    /// process, counted in `faceid_record_judgements_total`.
    ///
    /// ```
    /// use tencent_faceid::callback::CallbackVerifier;
    /// # let wiring = tencent_faceid::__doctest::wiring()?;
    /// let verifier = CallbackVerifier::builder(&wiring).record_judge(false).build()?;
    /// assert!(!verifier.judges_by_record());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_judge(mut self, on: bool) -> Self {
        self.verifier.record_judge = on;
        self
    }

    /// The longest query string accepted, in bytes; default
    /// [`DEFAULT_MAX_QUERY_LEN`]. Longer ones are rejected before parsing.
    pub fn max_query_len(mut self, max_query_len: usize) -> Self {
        self.verifier.max_query_len = max_query_len;
        self
    }

    /// Builds the verifier.
    ///
    /// # Errors
    /// [`CallbackConfigError::ZeroMaxQueryLen`] when `max_query_len` is
    /// zero.
    pub fn build(self) -> Result<CallbackVerifier, CallbackConfigError> {
        let verifier = self.verifier;
        if verifier.max_query_len == 0 {
            return Err(CallbackConfigError::ZeroMaxQueryLen);
        }
        Ok(CallbackVerifier {
            inner: Arc::new(verifier),
        })
    }
}
