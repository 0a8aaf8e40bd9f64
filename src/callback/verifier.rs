//! [`CallbackVerifier`]: its settings, and the browser's entry into the
//! verification pipeline.

use std::fmt;
use std::sync::Arc;

use super::judge::JudgeLimiter;
use super::{BrowserCallback, CallbackRejection, VerificationOutcome};
use crate::settle::Settler;
use crate::wiring::Wiring;

/// Checks result callbacks: see the [module documentation](super).
///
/// Cheap to clone (one `Arc`); share one verifier between all requests.
#[derive(Clone)]
pub struct CallbackVerifier {
    pub(super) inner: Arc<Inner>,
}

/// A verifier's settings and what it verifies with.
pub(super) struct Inner {
    /// The client (the vendor's record is fetched with it: to confirm
    /// passes, and to judge callbacks signed with a ticket this server
    /// never saw), the tickets and the store.
    pub(super) wiring: Wiring,
    /// Whether passes are confirmed with the vendor's record.
    pub(super) confirm: bool,
    /// Whether the vendor's record judges callbacks signed with a ticket
    /// this server never saw.
    pub(super) record_judge: bool,
    pub(super) max_query_len: usize,
    pub(super) settler: Option<Settler>,
    pub(super) judged: JudgeLimiter,
}

impl fmt::Debug for CallbackVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.fmt(f)
    }
}

/// The settings, never the tickets or the store's contents.
impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackVerifier")
            .field("app_id", &self.wiring.app_id())
            .field("confirms", &self.confirm)
            .field("judges_by_record", &self.record_judge)
            .field("max_query_len", &self.max_query_len)
            .field("binds_browsers", &self.wiring.binds_browsers())
            .finish_non_exhaustive()
    }
}

impl CallbackVerifier {
    /// The app id callbacks are checked for.
    pub fn app_id(&self) -> &str {
        self.inner.wiring.app_id()
    }

    /// Whether passes are confirmed with the vendor's record.
    pub fn confirms(&self) -> bool {
        self.inner.confirm
    }

    /// Whether callbacks are accepted only from the browser that started
    /// the session: the wiring's [`Wiring::binds_browsers`].
    pub fn binds_browsers(&self) -> bool {
        self.inner.wiring.binds_browsers()
    }

    /// Verifies the callback a browser brought back and consumes its
    /// order: its query string alone (a `&str` or `&String`), or a
    /// [`BrowserCallback`] with the [binding cookie](crate::callback::BindingCookie) the
    /// browser carried. The framework adapters call this with the cookie.
    ///
    /// A correctly signed callback reporting a *failed* verification is an
    /// `Ok` outcome whose [`VerificationOutcome::passed`] is `false`.
    ///
    /// # Errors
    /// A [`CallbackRejection`]; its [`kind`](CallbackRejection::kind) says
    /// why and its [`status`](CallbackRejection::status) which HTTP status
    /// to answer. With the wiring's [browser
    /// binding](Wiring::browser_binding) also
    /// [`RejectionKind::NoBindingCookie`](super::RejectionKind::NoBindingCookie)
    /// (409) when the callback carries no binding cookie, and
    /// [`RejectionKind::OtherBrowser`](super::RejectionKind::OtherBrowser)
    /// (409) when it is not the order's.
    pub async fn verify(
        &self,
        callback: impl Into<BrowserCallback<'_>>,
    ) -> Result<VerificationOutcome, CallbackRejection> {
        let submission = callback.into().submission(self);
        self.verify_submission(submission).await
    }
}
