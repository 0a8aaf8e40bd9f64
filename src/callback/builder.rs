//! [`CallbackVerifierBuilder`]: what a verifier checks besides the
//! signature and the order, and with what.

use std::fmt;
use std::sync::Arc;

use super::{CallbackVerifier, Inner, DEFAULT_MAX_QUERY_LEN};
use crate::client::FaceIdClient;
use crate::clock::Clock;
use crate::orders::OrderStore;
use crate::settle::Settler;
use crate::tickets::TicketProvider;

/// Configures a [`CallbackVerifier`]; made by [`CallbackVerifier::builder`].
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
    /// The app id is empty.
    #[error("the app id (WBappid) is empty; pass the one from the FaceID console")]
    EmptyAppId,
    /// The client for the vendor's record is for another app.
    #[error("the client for the vendor's record is for app id {client:?} but the verifier for {verifier:?}; use one app id for both")]
    AppIdMismatch {
        /// The verifier's app id.
        verifier: String,
        /// The client's app id.
        client: String,
    },
    /// `max_query_len` is zero, which refuses every callback.
    #[error("max_query_len is 0, which refuses every callback; leave the default ({DEFAULT_MAX_QUERY_LEN}) or pick a positive length")]
    ZeroMaxQueryLen,
}

impl CallbackVerifierBuilder {
    pub(super) fn new(
        app_id: String,
        tickets: Arc<dyn TicketProvider>,
        store: Arc<dyn OrderStore>,
    ) -> Self {
        let verifier = Inner {
            app_id,
            tickets,
            store,
            confirm: false,
            vendor: None,
            max_query_len: DEFAULT_MAX_QUERY_LEN,
            clock: Clock::system(),
            browser_binding: false,
            settler: None,
            judged: Default::default(),
        };
        Self { verifier }
    }

    /// Confirms every callback that claims a pass with the vendor's record
    /// (`queryfacerecord`) before accepting it. Use it where money or rights
    /// hang on the result; it costs one vendor request per such callback.
    ///
    /// Callbacks reporting a failure are not confirmed: nothing is granted
    /// on a failure, and the vendor need not keep a record of an attempt
    /// the user abandoned.
    ///
    /// ```
    /// use tencent_faceid::callback::CallbackVerifier;
    /// use tencent_faceid::client::FaceIdClient;
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::tickets::StaticTickets;
    /// let client = FaceIdClient::builder("appId001", "secret").build()?;
    /// let verifier = CallbackVerifier::builder("appId001", StaticTickets::new("t", "n"), MemoryOrderStore::new())
    ///     .confirm_with(client)
    ///     .build()?;
    /// assert!(verifier.confirms());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// The same client also [judges by record](Self::record_judge).
    pub fn confirm_with(mut self, client: FaceIdClient) -> Self {
        self.verifier.confirm = true;
        self.record_judge(client)
    }

    /// Lets the vendor's record decide a callback for a pending order
    /// whose signature matches no SIGN ticket this server knows, even
    /// after one recovery: another system sharing the app id fetched a
    /// SIGN ticket, and the vendor signed with it. The record
    /// (`queryfacerecord`, through `client`) is asked once: if it exists
    /// for this app and order, the callback is accepted with the record's
    /// code, marked [`VerificationOutcome::judged_by_record`](super::VerificationOutcome::judged_by_record);
    /// otherwise it is refused (401) as without this setting.
    ///
    /// Bounded, so that nobody can make the server hammer the vendor or
    /// lock a user out: only for pending orders (with browser binding on,
    /// only from the order's own browser), at most once per order every
    /// 5 seconds per process, counted in `faceid_record_judgements_total`.
    /// Off by default; [`FaceId`](crate::FaceId) turns it on.
    ///
    /// ```
    /// use tencent_faceid::callback::CallbackVerifier;
    /// use tencent_faceid::client::FaceIdClient;
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::tickets::StaticTickets;
    /// let client = FaceIdClient::builder("appId001", "secret").build()?;
    /// let verifier = CallbackVerifier::builder("appId001", StaticTickets::new("t", "n"), MemoryOrderStore::new())
    ///     .record_judge(client)
    ///     .build()?;
    /// assert!(!verifier.confirms());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn record_judge(mut self, client: FaceIdClient) -> Self {
        self.verifier.vendor = Some(client);
        self
    }

    /// The longest query string accepted, in bytes; default
    /// [`DEFAULT_MAX_QUERY_LEN`]. Longer ones are rejected before parsing.
    pub fn max_query_len(mut self, max_query_len: usize) -> Self {
        self.verifier.max_query_len = max_query_len;
        self
    }

    /// The clock that decides whether the previous SIGN ticket's grace
    /// window still lasts; default the system's. Share the one your ticket
    /// provider's client reads (see [`FaceIdClientBuilder::clock`](crate::client::FaceIdClientBuilder::clock)).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.verifier.clock = clock;
        self
    }

    /// Accepts a callback only from the browser that started its session:
    /// the request must carry the [binding cookie](crate::binding) the
    /// starter set (turn on
    /// [`SessionStarterBuilder::browser_binding`](crate::session::SessionStarterBuilder::browser_binding)
    /// too). A request without it, or from another browser, gets 409
    /// ([`RejectionKind::NoBindingCookie`](super::RejectionKind::NoBindingCookie),
    /// [`RejectionKind::OtherBrowser`](super::RejectionKind::OtherBrowser)) and leaves the order pending; the
    /// same browser coming back gets its outcome again, marked
    /// [`VerificationOutcome::repeated`](super::VerificationOutcome::repeated). Off by default.
    ///
    /// ```
    /// use tencent_faceid::callback::CallbackVerifier;
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::tickets::StaticTickets;
    /// let verifier = CallbackVerifier::builder("appId001", StaticTickets::new("t", "n"), MemoryOrderStore::new())
    ///     .browser_binding(true)
    ///     .build()?;
    /// assert!(verifier.binds_browsers());
    /// # Ok::<(), tencent_faceid::callback::CallbackConfigError>(())
    /// ```
    pub fn browser_binding(mut self, on: bool) -> Self {
        self.verifier.browser_binding = on;
        self
    }

    /// Settles every accepted callback's order through `settler`: the
    /// consume that accepts the callback also records its settlement, and
    /// the settler's `on_settled` hook hears of it before the handler runs
    /// (see [`crate::settle`]). Give the [`Reconciler`](crate::settle::Reconciler)
    /// the same settler.
    ///
    /// ```
    /// use tencent_faceid::callback::CallbackVerifier;
    /// use tencent_faceid::client::FaceIdClient;
    /// use tencent_faceid::settle::Settler;
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::tickets::StaticTickets;
    /// let (tickets, store) = (StaticTickets::new("t", "n"), MemoryOrderStore::new());
    /// let client = FaceIdClient::builder("appId001", "secret").build()?;
    /// let settler = Settler::builder(client, tickets.clone(), store.clone()).build();
    /// let verifier = CallbackVerifier::builder("appId001", tickets, store).settle_with(settler).build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn settle_with(mut self, settler: Settler) -> Self {
        self.verifier.settler = Some(settler);
        self
    }

    /// Builds the verifier.
    ///
    /// # Errors
    /// [`CallbackConfigError`] when the app id is empty, the confirmation
    /// client is for another app id, or `max_query_len` is zero.
    pub fn build(self) -> Result<CallbackVerifier, CallbackConfigError> {
        let verifier = self.verifier;
        if verifier.app_id.is_empty() {
            return Err(CallbackConfigError::EmptyAppId);
        }
        if verifier.max_query_len == 0 {
            return Err(CallbackConfigError::ZeroMaxQueryLen);
        }
        if let Some(client) = &verifier.vendor {
            if client.app_id() != verifier.app_id {
                return Err(CallbackConfigError::AppIdMismatch {
                    client: client.app_id().to_owned(),
                    verifier: verifier.app_id,
                });
            }
        }
        Ok(CallbackVerifier {
            inner: Arc::new(verifier),
        })
    }
}
