//! The result callback, verified: [`CallbackVerifier`] turns the query
//! string the user's browser brings back into a [`VerificationOutcome`] you
//! can trust, or a [`CallbackRejection`] that says what was wrong.
//!
//! This module knows no web framework; the `tower` (default), `axum` and
//! `actix` modules plug it into one.
//!
//! # What is checked, in order
//! 1. **Form**: the query is at most [`CallbackVerifierBuilder::max_query_len`]
//!    bytes; `code`, `orderNo`, `h5faceId` and the signature are each
//!    present exactly once and non-empty (`liveRate` at most once); the
//!    signature is `newSignature`, or `newSign` as the PC-browser H5 page
//!    names it (both at once only with the same value); every
//!    parameter name, and these parameters' values, percent-decode
//!    (`%XX`, `+` for space) to UTF-8; `orderNo` is a valid [`OrderNo`] and
//!    the signature 40 hex digits (either case). The legacy `signature`
//!    parameter and parameters this crate does not know are ignored (their
//!    values are not even decoded), so your callback URL may carry its own
//!    parameters. Each defect is its own [`Malformed`] variant.
//! 2. **Signature**: `newSignature` must be the vendor's signature of the
//!    app id, `orderNo` and `code` with the current SIGN ticket, or with the
//!    previous one while its grace window lasts (the vendor may have signed
//!    just before a rotation). The comparison is constant-time.
//! 3. **Confirmation** (only with [`CallbackVerifierBuilder::confirm_with`],
//!    and only for callbacks that claim a pass): the vendor's own record,
//!    fetched with `queryfacerecord`, must exist, be for this order and app,
//!    and say the verification passed.
//! 4. **The order**: it must be one this server started (it is in the
//!    [`OrderStore`]), not expired, and not seen before. It is consumed:
//!    the same callback never succeeds twice. Each verification claims the
//!    order with a random attempt id ([`Claim`]), so a store that lost its
//!    reply can ask again without burning the order.
//! 5. **The browser** (only with [`CallbackVerifierBuilder::browser_binding`]):
//!    the request must carry the binding cookie of the browser that started
//!    the session (see [`crate::binding`]); checked by the store as part of
//!    the consume, so a refusal leaves the order pending.
//!
//! Only `GET` requests are callbacks: the framework adapters refuse or pass
//! on every other method before any of this (see [`crate::tower`]).
//!
//! Confirmation comes before consumption on purpose: when the vendor cannot
//! be reached (a 503), the user's order is still pending and the same
//! callback succeeds once the vendor answers again, instead of the user
//! having to start over. The price is that a replayed genuine callback
//! costs one vendor query each time before the store refuses it; put a rate
//! limit in front of the callback route if that matters to you.
//!
//! # What is not checked
//! `h5faceId` is not covered by the signature and the order store does not
//! record it, so [`VerificationOutcome::h5face_id`] is whatever the browser
//! sent: use it for display or correlation only, never to decide anything.
//! `liveRate` is not signed either; with confirmation, use the vendor
//! record's [`FaceRecord::live_rate`] instead.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use std::time::Duration;
//! use tencent_faceid::callback::{CallbackVerifier, RejectionKind};
//! use tencent_faceid::ids::{OrderNo, UserId};
//! use tencent_faceid::sign::sign;
//! use tencent_faceid::orders::{MemoryOrderStore, OrderStore, PendingOrder};
//! use tencent_faceid::tickets::StaticTickets;
//!
//! let ticket = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe";
//! let store = MemoryOrderStore::new();
//! let verifier = CallbackVerifier::builder("appId001", StaticTickets::new(ticket, "nonce"), store.clone())
//!     .build()?;
//!
//! // When the session started:
//! let order_no = OrderNo::new("test1480921551481")?;
//! store.put(PendingOrder::new(order_no, UserId::new("u1")?), Duration::from_secs(900)).await?;
//!
//! // When the browser comes back (the vendor computed this signature):
//! let signature = sign(&["appId001", "test1480921551481", "0"], ticket);
//! let query = format!("code=0&orderNo=test1480921551481&h5faceId=f1&newSignature={signature}");
//! let outcome = verifier.verify(&query).await?;
//! assert!(outcome.passed());
//! assert_eq!(outcome.user_id.as_str(), "u1");
//!
//! // The same callback again is a replay.
//! let again = verifier.verify(&query).await.unwrap_err();
//! assert_eq!(again.kind(), &RejectionKind::Replay);
//! assert_eq!(again.status(), 409);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::binding::BindingHash;
use crate::client::{ClientError, FaceIdClient};
use crate::clock::Clock;
use crate::credentials::Ticket;
use crate::ids::{IdentifierError, OrderNo, UserId};
use crate::orders::{Claim, Consumed, OrderStore, StoreError};
use crate::record::{FaceRecord, QueryOptions};
use crate::result_code::ResultCode;
use crate::settle::Settler;
use crate::sign::{self, ParseSignatureError, Signature};
use crate::tickets::{call_with_recovery, SignTickets, TicketProvider};

/// The default of [`CallbackVerifierBuilder::max_query_len`]: 2 KiB, ten
/// times a genuine callback's query.
pub const DEFAULT_MAX_QUERY_LEN: usize = 2048;

/// Checks result callbacks: see the [module documentation](self).
///
/// Cheap to clone (one `Arc`); share one verifier between all requests.
#[derive(Clone)]
pub struct CallbackVerifier {
    inner: Arc<Inner>,
}

struct Inner {
    app_id: String,
    tickets: Arc<dyn TicketProvider>,
    store: Arc<dyn OrderStore>,
    confirm_with: Option<FaceIdClient>,
    max_query_len: usize,
    clock: Clock,
    browser_binding: bool,
    settler: Option<Settler>,
}

impl fmt::Debug for CallbackVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackVerifier")
            .field("app_id", &self.inner.app_id)
            .field("confirms", &self.inner.confirm_with.is_some())
            .field("max_query_len", &self.inner.max_query_len)
            .field("browser_binding", &self.inner.browser_binding)
            .finish_non_exhaustive()
    }
}

/// Configures a [`CallbackVerifier`]; made by [`CallbackVerifier::builder`].
pub struct CallbackVerifierBuilder {
    app_id: String,
    tickets: Arc<dyn TicketProvider>,
    store: Arc<dyn OrderStore>,
    confirm_with: Option<FaceIdClient>,
    max_query_len: usize,
    clock: Clock,
    browser_binding: bool,
    settler: Option<Settler>,
}

impl fmt::Debug for CallbackVerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackVerifierBuilder")
            .field("app_id", &self.app_id)
            .field("confirms", &self.confirm_with.is_some())
            .field("max_query_len", &self.max_query_len)
            .field("browser_binding", &self.browser_binding)
            .finish_non_exhaustive()
    }
}

/// A [`CallbackVerifierBuilder`] setting that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackConfigError {
    /// The app id is empty.
    #[error("the app id (WBappid) is empty; pass the one from the FaceID console")]
    EmptyAppId,
    /// The confirmation client is for another app.
    #[error("the confirmation client is for app id {client:?} but the verifier for {verifier:?}; use one app id for both")]
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
    pub fn confirm_with(mut self, client: FaceIdClient) -> Self {
        self.confirm_with = Some(client);
        self
    }

    /// The longest query string accepted, in bytes; default
    /// [`DEFAULT_MAX_QUERY_LEN`]. Longer ones are rejected before parsing.
    pub fn max_query_len(mut self, max_query_len: usize) -> Self {
        self.max_query_len = max_query_len;
        self
    }

    /// The clock that decides whether the previous SIGN ticket's grace
    /// window still lasts; default the system's. Share the one your ticket
    /// provider's client reads (see [`FaceIdClientBuilder::clock`](crate::client::FaceIdClientBuilder::clock)).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Accepts a callback only from the browser that started its session:
    /// the request must carry the [binding cookie](crate::binding) the
    /// starter set (turn on
    /// [`SessionStarterBuilder::browser_binding`](crate::session::SessionStarterBuilder::browser_binding)
    /// too). A request without it, or from another browser, gets 409
    /// ([`RejectionKind::OtherBrowser`]) and leaves the order pending; the
    /// same browser coming back gets its outcome again, marked
    /// [`VerificationOutcome::repeated`]. Off by default.
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
        self.browser_binding = on;
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
        self.settler = Some(settler);
        self
    }

    /// Builds the verifier.
    ///
    /// # Errors
    /// [`CallbackConfigError`] when the app id is empty, the confirmation
    /// client is for another app id, or `max_query_len` is zero.
    pub fn build(self) -> Result<CallbackVerifier, CallbackConfigError> {
        if self.app_id.is_empty() {
            return Err(CallbackConfigError::EmptyAppId);
        }
        if self.max_query_len == 0 {
            return Err(CallbackConfigError::ZeroMaxQueryLen);
        }
        if let Some(client) = &self.confirm_with {
            if client.app_id() != self.app_id {
                return Err(CallbackConfigError::AppIdMismatch {
                    verifier: self.app_id,
                    client: client.app_id().to_owned(),
                });
            }
        }
        Ok(CallbackVerifier {
            inner: Arc::new(Inner {
                app_id: self.app_id,
                tickets: self.tickets,
                store: self.store,
                confirm_with: self.confirm_with,
                max_query_len: self.max_query_len,
                clock: self.clock,
                browser_binding: self.browser_binding,
                settler: self.settler,
            }),
        })
    }
}

impl CallbackVerifier {
    /// Starts configuring a verifier for `app_id` (WBappid), checking
    /// signatures with the SIGN tickets from `tickets` and consuming orders
    /// from `store` (the store the session starter records them in).
    ///
    /// ```
    /// use tencent_faceid::callback::CallbackVerifier;
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::tickets::StaticTickets;
    /// let verifier = CallbackVerifier::builder("appId001", StaticTickets::new("t", "n"), MemoryOrderStore::new())
    ///     .max_query_len(1024)
    ///     .build()?;
    /// assert_eq!(verifier.app_id(), "appId001");
    /// # Ok::<(), tencent_faceid::callback::CallbackConfigError>(())
    /// ```
    pub fn builder(
        app_id: impl Into<String>,
        tickets: impl TicketProvider,
        store: impl OrderStore,
    ) -> CallbackVerifierBuilder {
        CallbackVerifierBuilder {
            app_id: app_id.into(),
            tickets: Arc::new(tickets),
            store: Arc::new(store),
            confirm_with: None,
            max_query_len: DEFAULT_MAX_QUERY_LEN,
            clock: Clock::system(),
            browser_binding: false,
            settler: None,
        }
    }

    /// The app id callbacks are checked for.
    pub fn app_id(&self) -> &str {
        &self.inner.app_id
    }

    /// Whether passes are confirmed with the vendor's record.
    pub fn confirms(&self) -> bool {
        self.inner.confirm_with.is_some()
    }

    /// Whether callbacks are accepted only from the browser that started
    /// the session ([`CallbackVerifierBuilder::browser_binding`]).
    pub fn binds_browsers(&self) -> bool {
        self.inner.browser_binding
    }

    /// Verifies a callback's query string (without the `?`; one leading `?`
    /// is tolerated) and consumes its order.
    ///
    /// A correctly signed callback reporting a *failed* verification is an
    /// `Ok` outcome whose [`VerificationOutcome::passed`] is `false`.
    ///
    /// # Errors
    /// A [`CallbackRejection`]; its [`kind`](CallbackRejection::kind) says
    /// why and its [`status`](CallbackRejection::status) which HTTP status
    /// to answer.
    pub async fn verify(&self, query: &str) -> Result<VerificationOutcome, CallbackRejection> {
        self.verify_in_browser(query, None).await
    }

    /// Verifies a callback like [`Self::verify`], made by the browser that
    /// sent the [binding cookie](crate::binding) value `binding` (read it
    /// with [`crate::binding::cookie_value`]). The framework adapters call
    /// this; without [`CallbackVerifierBuilder::browser_binding`] the
    /// cookie is ignored.
    ///
    /// # Errors
    /// As [`Self::verify`]; with browser binding also
    /// [`RejectionKind::OtherBrowser`] (409) when `binding` is `None` or not
    /// the order's.
    pub async fn verify_in_browser(
        &self,
        query: &str,
        binding: Option<&str>,
    ) -> Result<VerificationOutcome, CallbackRejection> {
        let verdict = match self.read(query, binding) {
            Ok(callback) => match self.settle_now(callback) {
                Ok(verdict) => verdict,
                Err(callback) => self.settle(*callback).await,
            },
            Err(rejection) => Err(rejection),
        };
        crate::metrics::callback(match &verdict {
            Ok(outcome) if outcome.passed() => "passed",
            Ok(_) => "failed",
            Err(rejection) => rejection.kind().as_str(),
        });
        verdict
    }

    /// Reads a callback's query strictly (the only step that needs it), and
    /// the claim it makes on its order.
    pub(crate) fn read(
        &self,
        query: &str,
        binding: Option<&str>,
    ) -> Result<Callback, CallbackRejection> {
        let raw =
            parse(query, self.inner.max_query_len).map_err(|m| reject(m.into(), None, None))?;
        let order_no = OrderNo::new(raw.order_no.into_owned())
            .map_err(|e| reject(Malformed::InvalidOrderNo(e).into(), None, None))?;
        let signature: Signature = raw.new_signature.parse().map_err(|e| {
            let kind = Malformed::InvalidSignature(e).into();
            reject(kind, Some(order_no.clone()), None)
        })?;
        let claim = match (self.inner.browser_binding, binding) {
            (false, _) => Claim::new(),
            (true, Some(binding)) => Claim::new().bound_to(BindingHash::of(binding)),
            (true, None) => return Err(reject(RejectionKind::OtherBrowser, Some(order_no), None)),
        };
        let code = ResultCode::from_code(&raw.code);
        let claim = match &self.inner.settler {
            Some(settler) => settler.callback_claim(claim, &code),
            None => claim,
        };
        Ok(Callback {
            claim,
            code,
            h5face_id: raw.h5face_id.into_owned(),
            live_rate: raw.live_rate.map(Cow::into_owned),
            order_no,
            signature,
        })
    }

    /// Settles a callback without waiting, when the SIGN tickets are at
    /// hand, the store answers at once and no confirmation is due; else
    /// hands the callback back, its order untouched, for [`Self::settle`].
    pub(crate) fn settle_now(
        &self,
        callback: Callback,
    ) -> Result<Result<VerificationOutcome, CallbackRejection>, Box<Callback>> {
        let inner = &*self.inner;
        let Some(tickets) = inner.tickets.sign_tickets_now() else {
            return Err(Box::new(callback));
        };
        // A mismatch takes the async path, which may learn newer tickets;
        // a settlement is delivered there.
        if !self.signed_by(&callback, &tickets)
            || self.to_confirm(&callback)
            || inner.settler.is_some()
        {
            return Err(Box::new(callback));
        }
        match inner.store.consume_now(&callback.order_no, &callback.claim) {
            Some(consumed) => Ok(self.accept(callback, consumed, None)),
            None => Err(Box::new(callback)),
        }
    }

    /// Settles a callback, waiting for the tickets, the vendor and the
    /// store as needed.
    ///
    /// After [`Self::settle_now`] handed the callback back its signature may
    /// be checked twice: a few hundred nanoseconds, against the wait for a
    /// ticket refresh, the vendor or a remote store.
    pub(crate) async fn settle(
        &self,
        callback: Callback,
    ) -> Result<VerificationOutcome, CallbackRejection> {
        let inner = &*self.inner;
        let tickets = self.tickets_signing(&callback).await?;
        // Confirm before consuming: see the module documentation.
        let record = match &inner.confirm_with {
            Some(client) if self.to_confirm(&callback) => {
                // Boxed: the vendor call's large state would otherwise
                // weigh on every verification, confirmed or not.
                let confirm = self.confirm(client, &callback.order_no, tickets);
                Some(Box::new(Box::pin(confirm).await?))
            }
            _ => None,
        };
        let consumed = (*inner.store)
            .consume_claim(&callback.order_no, &callback.claim)
            .await;
        let settled = match (&consumed, &inner.settler) {
            (Ok(Consumed::Accepted(order)), Some(settler)) => Some((order.clone(), settler)),
            _ => None,
        };
        let code = callback.code.clone();
        let verdict = self.accept(callback, consumed, record);
        if let Some((order, settler)) = settled {
            settler.settled_by_callback(order, &code).await;
        }
        verdict
    }

    /// Whether `callback` is a pass to confirm with the vendor's record.
    fn to_confirm(&self, callback: &Callback) -> bool {
        self.confirms() && callback.code.is_success()
    }

    /// The SIGN tickets `callback` is signed with: the provider's, or, when
    /// it matches none of them, newer ones the provider found in one
    /// (rate-limited) recovery: another instance or system may have rotated
    /// the ticket the vendor signs with.
    async fn tickets_signing(
        &self,
        callback: &Callback,
    ) -> Result<Arc<SignTickets>, CallbackRejection> {
        // Call through the trait object itself: `inner.tickets.sign_tickets()`
        // would pick the `Arc<T>` impl and box a second future around it.
        let provider = &*self.inner.tickets;
        let unavailable = |e| {
            let kind = RejectionKind::TicketsUnavailable;
            reject(kind, Some(callback.order_no.clone()), Some(Arc::new(e)))
        };
        let tickets = provider.sign_tickets().await.map_err(unavailable)?;
        if self.signed_by(callback, &tickets) {
            return Ok(tickets);
        }
        tracing::info!(order_no = %callback.order_no, "newSignature matches no known SIGN ticket; asking the provider for newer ones");
        let newer = provider.recover(&tickets).await.map_err(unavailable)?;
        if !Arc::ptr_eq(&newer, &tickets) && self.signed_by(callback, &newer) {
            return Ok(newer);
        }
        let kind = RejectionKind::BadSignature;
        Err(reject(kind, Some(callback.order_no.clone()), None))
    }

    /// Whether `newSignature` signs the callback with the current SIGN
    /// ticket, or the previous one within its grace window.
    fn signed_by(&self, callback: &Callback, tickets: &SignTickets) -> bool {
        let order_no = &callback.order_no;
        let signed = [
            self.inner.app_id.as_str(),
            order_no.as_str(),
            callback.code.as_str(),
        ];
        let signed_with =
            |ticket: &Ticket| sign::verify(&signed, ticket.value(), &callback.signature);
        if signed_with(&tickets.current) {
            tracing::debug!(order_no = %order_no, "newSignature matches the current SIGN ticket");
            true
        } else if tickets.previous.as_ref().is_some_and(|previous| {
            // The clock is read only when a previous ticket could match.
            previous.is_valid_at(self.inner.clock.now()) && signed_with(previous)
        }) {
            tracing::info!(order_no = %order_no, "newSignature matches the previous SIGN ticket, within its grace window");
            true
        } else {
            false
        }
    }

    /// The verdict once the store has consumed (or not) the order of a
    /// correctly signed callback.
    fn accept(
        &self,
        callback: Callback,
        consumed: Result<Consumed, StoreError>,
        record: Option<Box<FaceRecord>>,
    ) -> Result<VerificationOutcome, CallbackRejection> {
        let Callback {
            order_no,
            code,
            h5face_id,
            live_rate,
            signature: _,
            claim: _,
        } = callback;
        let (order, repeated) = match consumed {
            Ok(Consumed::Accepted(order)) => (order, false),
            Ok(Consumed::Repeated(order)) => (order, true),
            Ok(Consumed::OtherBrowser) => {
                return Err(reject(RejectionKind::OtherBrowser, Some(order_no), None))
            }
            Ok(Consumed::Unknown) => {
                return Err(reject(RejectionKind::UnknownOrder, Some(order_no), None))
            }
            Ok(Consumed::Expired) => {
                return Err(reject(RejectionKind::Expired, Some(order_no), None))
            }
            Ok(Consumed::AlreadyConsumed) => {
                return Err(reject(RejectionKind::Replay, Some(order_no), None))
            }
            Err(e) => {
                let kind = RejectionKind::StoreUnavailable;
                return Err(reject(kind, Some(order_no), Some(Arc::new(e))));
            }
        };
        let outcome = VerificationOutcome {
            order_no,
            user_id: order.user_id,
            h5face_id,
            code,
            live_rate,
            created_at: order.created_at,
            record,
            repeated,
        };
        tracing::info!(
            order_no = %outcome.order_no,
            passed = outcome.passed(),
            repeated,
            code = outcome.code.as_str(),
            confirmed = outcome.record.is_some(),
            "face verification callback accepted"
        );
        Ok(outcome)
    }

    /// Asks the vendor for its record of `order_no`, which the callback
    /// says passed.
    async fn confirm(
        &self,
        client: &FaceIdClient,
        order_no: &OrderNo,
        tickets: Arc<SignTickets>,
    ) -> Result<FaceRecord, CallbackRejection> {
        let not_confirmed = |why: NotConfirmed| {
            reject(
                RejectionKind::NotConfirmed(why),
                Some(order_no.clone()),
                None,
            )
        };
        let unavailable = |e: ClientError| {
            let kind = RejectionKind::VendorUnavailable;
            reject(kind, Some(order_no.clone()), Some(Arc::new(e)))
        };
        let query = |tickets: Arc<SignTickets>| async move {
            client
                .query_record(order_no, tickets.current.value(), QueryOptions::default())
                .await
        };
        match call_with_recovery(&*self.inner.tickets, tickets, query).await {
            Ok(answer) => {
                let mut record = answer.record;
                // Asked without files; make sure none are kept regardless.
                record.photo = None;
                record.video = None;
                let other_app = record
                    .app_id
                    .as_deref()
                    .is_some_and(|app_id| app_id != self.inner.app_id);
                if record.order_no != order_no.as_str() || other_app {
                    return Err(not_confirmed(NotConfirmed::RecordMismatch));
                }
                if !answer.code.is_success() {
                    return Err(not_confirmed(NotConfirmed::RecordFailed(answer.code)));
                }
                tracing::debug!(order_no = %order_no, "the vendor's record confirms the pass");
                Ok(record)
            }
            Err(ClientError::Vendor {
                code: ResultCode::NoRecord,
                ..
            }) => Err(not_confirmed(NotConfirmed::RecordMissing)),
            // A verification, failed or not, has a record: any other
            // refusal is about the query itself (credentials, sign, the
            // vendor's health), not about the verification.
            Err(e) => Err(unavailable(e)),
        }
    }
}

/// A verified callback: what the vendor reported for an order this server
/// started, seen for the first time.
///
/// Made by [`CallbackVerifier::verify`]; behind the tower layer, handlers
/// read it from the request extensions (or through the axum / actix
/// extractors).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct VerificationOutcome {
    /// The order (signed).
    pub order_no: OrderNo,
    /// The user the session was started for (from the order store).
    pub user_id: UserId,
    /// The session's face id as the browser reported it. **Not signed and
    /// not checked**: for display and correlation only.
    pub h5face_id: String,
    /// The result code (signed): [`ResultCode::Success`] for a pass.
    pub code: ResultCode,
    /// The liveness score as the browser reported it (not signed), when
    /// present.
    pub live_rate: Option<String>,
    /// When the session was started (the order's creation time).
    pub created_at: SystemTime,
    /// The vendor's record, when the verifier confirms passes and this is
    /// one; never with the photo or video. Boxed: it is large and most
    /// outcomes carry none.
    pub record: Option<Box<FaceRecord>>,
    /// `true` when the browser that started the session came back with
    /// the same callback (a reload, with browser binding on): the order
    /// was consumed by its earlier request, so show the outcome again but
    /// grant nothing twice. `false` the first time.
    pub repeated: bool,
}

impl VerificationOutcome {
    /// An outcome for your handlers' tests, as the verifier would make it
    /// for a first callback: `h5face_id` `"test"`, no live rate, created
    /// now, no vendor record, not repeated. The fields are public: change
    /// any of them afterwards.
    ///
    /// ```
    /// use tencent_faceid::callback::VerificationOutcome;
    /// use tencent_faceid::ids::{OrderNo, UserId};
    /// use tencent_faceid::result_code::ResultCode;
    /// let mut outcome = VerificationOutcome::for_test(OrderNo::new("order1")?, UserId::new("user1")?, ResultCode::Success);
    /// assert!(outcome.passed());
    /// outcome.live_rate = Some("99".to_owned());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// With axum, call the handler with `Verified(outcome)`, or insert the
    /// outcome in a request's extensions for a `oneshot` through the router
    /// without the layer; with actix-web, call the handler with
    /// `Verified(outcome)`.
    pub fn for_test(order_no: OrderNo, user_id: UserId, code: ResultCode) -> Self {
        Self {
            order_no,
            user_id,
            h5face_id: "test".to_owned(),
            code,
            live_rate: None,
            created_at: SystemTime::now(),
            record: None,
            repeated: false,
        }
    }

    /// Whether the face verification passed (`code` is `0`).
    pub fn passed(&self) -> bool {
        self.code.is_success()
    }
}

/// Why the vendor's record does not confirm a callback that claims a pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotConfirmed {
    /// The vendor has no record of the order: the session was never
    /// finished, the user aborted it, or it is older than the three days
    /// the vendor keeps records.
    #[error("the vendor has no record of it (never finished, aborted by the user, or older than the 3 days the vendor keeps records)")]
    RecordMissing,
    /// The vendor's record says the verification did not pass.
    #[error("the vendor's record says it did not pass (code {0})")]
    RecordFailed(ResultCode),
    /// The vendor's record is for another order or app.
    #[error("the vendor's record is for another order or app")]
    RecordMismatch,
}

/// Why a callback's query string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Malformed {
    /// The query string is longer than the configured maximum.
    #[error("the query string is {actual} bytes long, more than the {max} accepted")]
    TooLong {
        /// The configured maximum.
        max: usize,
        /// The query's length.
        actual: usize,
    },
    /// A required parameter is absent.
    #[error("parameter `{0}` is missing")]
    Missing(&'static str),
    /// A parameter appears more than once.
    #[error("parameter `{0}` appears more than once")]
    Duplicate(&'static str),
    /// A required parameter is empty.
    #[error("parameter `{0}` is empty")]
    Empty(&'static str),
    /// A `%` is not followed by two hex digits.
    #[error("invalid percent-encoding at byte {position} of the query string: `%` must be followed by two hex digits")]
    InvalidPercentEncoding {
        /// Zero-based byte offset of the `%` in the query string.
        position: usize,
    },
    /// A name or value is not UTF-8 once percent-decoded.
    #[error("the name or value at byte {position} of the query string is not UTF-8 once percent-decoded")]
    NotUtf8 {
        /// Zero-based byte offset of the name or value in the query string.
        position: usize,
    },
    /// `orderNo` is not a valid order number.
    #[error("parameter `orderNo` is invalid: {0}")]
    InvalidOrderNo(#[source] IdentifierError),
    /// `newSignature` (or `newSign`) is not 40 hex digits.
    #[error("parameter `newSignature` (or `newSign`) is invalid: {0}")]
    InvalidSignature(#[source] ParseSignatureError),
    /// `newSignature` and `newSign` are both present with different values.
    #[error("parameters `newSignature` and `newSign` are both present with different values; the vendor sends one signature, under either name")]
    ConflictingSignatures,
}

/// What kind of [`CallbackRejection`] this is; each maps to one HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RejectionKind {
    /// The query string is not a well-formed callback: 400.
    Malformed(Malformed),
    /// `newSignature` does not match: 401.
    BadSignature,
    /// The order was not started by this server (or was forgotten): 404.
    UnknownOrder,
    /// The order's time to live ran out: 410 Gone (the order existed, and
    /// will not come back; the user must start over).
    Expired,
    /// The order's callback was accepted before: 409.
    Replay,
    /// Browser binding is on and the request does not carry the binding
    /// cookie of the browser that started the session: 409. The order is
    /// left pending for that browser.
    OtherBrowser,
    /// The request is not a `GET`: 405, refused before any verification.
    MethodNotAllowed,
    /// The vendor's record does not confirm the pass: 403.
    NotConfirmed(NotConfirmed),
    /// No SIGN ticket could be had to check the signature: 503.
    TicketsUnavailable,
    /// The order store failed: 503.
    StoreUnavailable,
    /// The vendor could not be asked to confirm: 503.
    VendorUnavailable,
}

impl RejectionKind {
    /// A stable machine-readable name, such as `"bad_signature"`.
    ///
    /// ```
    /// use tencent_faceid::callback::RejectionKind;
    /// assert_eq!(RejectionKind::Replay.as_str(), "replay");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::BadSignature => "bad_signature",
            Self::UnknownOrder => "unknown_order",
            Self::Expired => "expired",
            Self::Replay => "replay",
            Self::OtherBrowser => "other_browser",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::NotConfirmed(_) => "not_confirmed",
            Self::TicketsUnavailable => "tickets_unavailable",
            Self::StoreUnavailable => "store_unavailable",
            Self::VendorUnavailable => "vendor_unavailable",
        }
    }

    /// The HTTP status to answer with.
    ///
    /// ```
    /// use tencent_faceid::callback::RejectionKind;
    /// assert_eq!(RejectionKind::BadSignature.status(), 401);
    /// assert_eq!(RejectionKind::Expired.status(), 410);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            Self::Malformed(_) => 400,
            Self::BadSignature => 401,
            Self::NotConfirmed(_) => 403,
            Self::UnknownOrder => 404,
            Self::Replay | Self::OtherBrowser => 409,
            Self::MethodNotAllowed => 405,
            Self::Expired => 410,
            Self::TicketsUnavailable | Self::StoreUnavailable | Self::VendorUnavailable => 503,
        }
    }

    /// Whether trying the same callback again later may succeed (the
    /// failure was on this server's or the vendor's side).
    ///
    /// ```
    /// use tencent_faceid::callback::RejectionKind;
    /// assert!(RejectionKind::StoreUnavailable.is_transient());
    /// assert!(!RejectionKind::Replay.is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        self.status() == 503
    }
}

impl fmt::Display for RejectionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<Malformed> for RejectionKind {
    fn from(malformed: Malformed) -> Self {
        Self::Malformed(malformed)
    }
}

/// A callback that was not accepted, and why.
///
/// `Display` is a message fit for the HTTP response: it says what was
/// wrong without echoing the signature, tickets or any secret. The
/// underlying failure of a 503 (ticket provider, store, vendor) is the
/// [`source`](std::error::Error::source), for your logs.
#[derive(Debug, Clone)]
pub struct CallbackRejection {
    kind: RejectionKind,
    order_no: Option<OrderNo>,
    source: Option<Arc<dyn StdError + Send + Sync + 'static>>,
}

impl CallbackRejection {
    /// What kind of rejection this is.
    pub fn kind(&self) -> &RejectionKind {
        &self.kind
    }

    /// The HTTP status to answer with (see [`RejectionKind::status`]).
    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    /// The callback's order number, when it could be read.
    pub fn order_no(&self) -> Option<&OrderNo> {
        self.order_no.as_ref()
    }

    /// The JSON body `{"error": <kind>, "message": <message>}`.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use tencent_faceid::callback::CallbackVerifier;
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::tickets::StaticTickets;
    /// let verifier = CallbackVerifier::builder("appId001", StaticTickets::new("t", "n"), MemoryOrderStore::new()).build()?;
    /// let rejection = verifier.verify("code=0").await.unwrap_err();
    /// assert_eq!(
    ///     rejection.to_json(),
    ///     r#"{"error":"malformed","message":"malformed callback: parameter `orderNo` is missing"}"#
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn to_json(&self) -> String {
        serde_json::json!({ "error": self.kind.as_str(), "message": self.to_string() }).to_string()
    }
}

impl fmt::Display for CallbackRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let order = |f: &mut fmt::Formatter<'_>| match &self.order_no {
            Some(order_no) => write!(f, "order {order_no}"),
            None => f.write_str("the order"),
        };
        match &self.kind {
            RejectionKind::Malformed(malformed) => write!(f, "malformed callback: {malformed}"),
            RejectionKind::BadSignature => {
                f.write_str("newSignature does not match for ")?;
                order(f)?;
                f.write_str(": the callback was altered or not signed with this app's current or previous SIGN ticket")
            }
            RejectionKind::UnknownOrder => {
                order(f)?;
                f.write_str(" was not started by this server")
            }
            RejectionKind::Expired => {
                order(f)?;
                f.write_str(" has expired; start a new verification")
            }
            RejectionKind::Replay => {
                f.write_str("the callback for ")?;
                order(f)?;
                f.write_str(" was already accepted once")
            }
            RejectionKind::OtherBrowser => {
                f.write_str("the callback for ")?;
                order(f)?;
                f.write_str(" does not come from the browser that started the verification; open it in that browser (with its cookies) or start a new verification")
            }
            RejectionKind::MethodNotAllowed => f.write_str(
                "face verification callbacks are GET requests; other methods are not verified",
            ),
            RejectionKind::NotConfirmed(why) => {
                f.write_str("the vendor does not confirm the pass of ")?;
                order(f)?;
                write!(f, ": {why}")
            }
            RejectionKind::TicketsUnavailable => {
                f.write_str("no SIGN ticket is available to check the callback; try again later")
            }
            RejectionKind::StoreUnavailable => {
                f.write_str("the order store is unavailable; try again later")
            }
            RejectionKind::VendorUnavailable => {
                f.write_str("the vendor could not be asked to confirm ")?;
                order(f)?;
                f.write_str("; try again later")
            }
        }
    }
}

impl StdError for CallbackRejection {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.source {
            Some(source) => Some(&**source),
            None => match &self.kind {
                RejectionKind::Malformed(malformed) => Some(malformed),
                RejectionKind::NotConfirmed(why) => Some(why),
                _ => None,
            },
        }
    }
}

/// The rejection of a request that is not a `GET`, made before any
/// verification; the HTTP adapters make it.
#[cfg(any(feature = "tower", feature = "actix"))]
pub(crate) fn method_not_allowed() -> CallbackRejection {
    reject(RejectionKind::MethodNotAllowed, None, None)
}

/// Makes a rejection and logs the decision (never a ticket or signature).
fn reject(
    kind: RejectionKind,
    order_no: Option<OrderNo>,
    source: Option<Arc<dyn StdError + Send + Sync + 'static>>,
) -> CallbackRejection {
    let rejection = CallbackRejection {
        kind,
        order_no,
        source,
    };
    let order_no = rejection.order_no.as_ref().map(tracing::field::display);
    let kind = tracing::field::display(rejection.kind.as_str());
    let cause = rejection.source.as_ref().map(tracing::field::display);
    match rejection.kind {
        RejectionKind::Malformed(_) | RejectionKind::MethodNotAllowed => {
            tracing::debug!(kind, order_no, reason = %rejection, "face verification callback rejected")
        }
        RejectionKind::UnknownOrder | RejectionKind::Expired | RejectionKind::OtherBrowser => {
            tracing::info!(kind, order_no, "face verification callback rejected")
        }
        _ => tracing::warn!(kind, order_no, cause, "face verification callback rejected"),
    }
    rejection
}

/// The parameters of a callback query, decoded, borrowed from the query
/// when they hold no escapes.
struct RawCallback<'q> {
    code: Cow<'q, str>,
    order_no: Cow<'q, str>,
    h5face_id: Cow<'q, str>,
    new_signature: Cow<'q, str>,
    live_rate: Option<Cow<'q, str>>,
}

/// A callback read from its query: what verification needs of it, owned.
pub(crate) struct Callback {
    claim: Claim,
    order_no: OrderNo,
    code: ResultCode,
    h5face_id: String,
    live_rate: Option<String>,
    signature: Signature,
}

/// The parameters read, in the order of [`RawCallback`]'s fields, then
/// `newSign`: the PC-browser H5 page's name for `newSignature`.
const PARAMETERS: [&str; 6] = [
    "code",
    "orderNo",
    "h5faceId",
    "newSignature",
    "liveRate",
    "newSign",
];

/// The index in [`PARAMETERS`] of a parameter name, if it is one.
fn parameter_index(name: &str) -> Option<usize> {
    match name {
        "code" => Some(0),
        "orderNo" => Some(1),
        "h5faceId" => Some(2),
        "newSignature" => Some(3),
        "liveRate" => Some(4),
        "newSign" => Some(5),
        // `signature` (legacy, untrusted) and parameters of the partner's own.
        _ => None,
    }
}

/// Reads the callback parameters strictly: see the module documentation.
///
/// One pass over the bytes; names and values are borrowed from the query
/// unless they hold escapes.
fn parse(query: &str, max_len: usize) -> Result<RawCallback<'_>, Malformed> {
    if query.len() > max_len {
        return Err(Malformed::TooLong {
            max: max_len,
            actual: query.len(),
        });
    }
    let (query, base) = match query.strip_prefix('?') {
        Some(rest) => (rest, 1),
        None => (query, 0),
    };
    let mut fields = Fields {
        query,
        base,
        values: Default::default(),
    };
    let mut pair = Pair::at(0);
    for (i, &byte) in query.as_bytes().iter().enumerate() {
        if !SPECIAL[usize::from(byte)] {
            continue;
        }
        match byte {
            b'&' => {
                fields.read(&pair, i)?;
                pair = Pair::at(i + 1);
            }
            b'=' if pair.equals.is_none() => {
                pair.equals = Some(i);
                pair.name_escaped = pair.escaped;
                pair.escaped = false;
            }
            b'%' | b'+' => pair.escaped = true,
            _ => {} // a `=` inside a value is part of it
        }
    }
    fields.read(&pair, query.len())?;

    let [code, order_no, h5face_id, new_signature, live_rate, new_sign] = fields.values;
    fn required<'q>(index: usize, value: Option<Cow<'q, str>>) -> Result<Cow<'q, str>, Malformed> {
        match value {
            None => Err(Malformed::Missing(PARAMETERS[index])),
            Some(value) if value.is_empty() => Err(Malformed::Empty(PARAMETERS[index])),
            Some(value) => Ok(value),
        }
    }
    let code = required(0, code)?;
    let order_no = required(1, order_no)?;
    let h5face_id = required(2, h5face_id)?;
    // One signature under either name; hex digits compare in either case.
    let new_signature = match (new_signature, new_sign) {
        (Some(a), Some(b)) if !a.eq_ignore_ascii_case(&b) => {
            return Err(Malformed::ConflictingSignatures)
        }
        (None, Some(new_sign)) => required(5, Some(new_sign))?,
        (new_signature, _) => required(3, new_signature)?,
    };
    Ok(RawCallback {
        code,
        order_no,
        h5face_id,
        new_signature,
        // Some pages send an empty liveRate with a failure: same as absent.
        live_rate: live_rate.filter(|rate| !rate.is_empty()),
    })
}

/// The bytes [`parse`] stops at: separators, and escapes to decode.
const SPECIAL: [bool; 256] = {
    let mut special = [false; 256];
    special[b'&' as usize] = true;
    special[b'=' as usize] = true;
    special[b'%' as usize] = true;
    special[b'+' as usize] = true;
    special
};

/// What [`parse`] saw of the `name=value` pair it is in.
struct Pair {
    start: usize,
    equals: Option<usize>,
    /// Whether the name holds escapes (known once `=` is seen).
    name_escaped: bool,
    /// Whether the part being scanned (name, then value) holds escapes.
    escaped: bool,
}

impl Pair {
    fn at(start: usize) -> Self {
        Self {
            start,
            equals: None,
            name_escaped: false,
            escaped: false,
        }
    }
}

/// The known parameters found so far, in the order of [`PARAMETERS`].
struct Fields<'q> {
    query: &'q str,
    /// Where `query` starts in what the caller passed, for error positions.
    base: usize,
    values: [Option<Cow<'q, str>>; 6],
}

impl<'q> Fields<'q> {
    /// Takes in the pair that ends at `end` (a `&` or the end: `&`, `=`,
    /// `%` and `+` are ASCII, so every index here is a char boundary).
    fn read(&mut self, pair: &Pair, end: usize) -> Result<(), Malformed> {
        if pair.start == end {
            return Ok(()); // empty pair, as in `a=1&&b=2`
        }
        let (name_end, name_escaped, value_start, value_escaped) = match pair.equals {
            Some(equals) => (equals, pair.name_escaped, equals + 1, pair.escaped),
            None => (end, pair.escaped, end, false),
        };
        let name = &self.query[pair.start..name_end];
        let index = if name_escaped {
            parameter_index(&percent_decode(name, self.base + pair.start)?)
        } else {
            parameter_index(name)
        };
        let Some(index) = index else {
            return Ok(()); // its value is not even looked at
        };
        if self.values[index].is_some() {
            return Err(Malformed::Duplicate(PARAMETERS[index]));
        }
        let value = &self.query[value_start..end];
        self.values[index] = Some(if value_escaped {
            percent_decode(value, self.base + value_start)?
        } else {
            Cow::Borrowed(value)
        });
        Ok(())
    }
}

/// Decodes `application/x-www-form-urlencoded` text (`%XX` escapes, `+` for
/// space). `offset` is where `raw` starts in the query, for error positions.
fn percent_decode(raw: &str, offset: usize) -> Result<Cow<'_, str>, Malformed> {
    let hex = |b: Option<&u8>| b.and_then(|&b| char::from(b).to_digit(16));
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => match (hex(bytes.get(i + 1)), hex(bytes.get(i + 2))) {
                (Some(high), Some(low)) => {
                    // Two hex digits: at most 0xff.
                    decoded.push((high << 4 | low) as u8);
                    i += 3;
                }
                _ => {
                    return Err(Malformed::InvalidPercentEncoding {
                        position: offset + i,
                    })
                }
            },
            b'+' => {
                decoded.push(b' ');
                i += 1;
            }
            _ => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(decoded)
        .map(Cow::Owned)
        .map_err(|_| Malformed::NotUtf8 { position: offset })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(query: &str) -> Result<RawCallback<'_>, Malformed> {
        parse(query, DEFAULT_MAX_QUERY_LEN)
    }

    const GOOD: &str = "code=0&orderNo=o1&h5faceId=f1&newSignature=ABC";

    #[test]
    fn plain_values_are_borrowed() {
        let raw = parsed(GOOD).unwrap();
        assert!(matches!(raw.code, Cow::Borrowed("0")));
        assert!(matches!(raw.order_no, Cow::Borrowed("o1")));
        assert!(matches!(raw.h5face_id, Cow::Borrowed("f1")));
        assert!(matches!(raw.new_signature, Cow::Borrowed("ABC")));
        assert!(raw.live_rate.is_none());
    }

    #[test]
    fn escapes_and_plus_are_decoded() {
        let raw = parsed("%63ode=%30&orderNo=o1&h5faceId=a+b%2Fc&newSignature=x&liveRate=9%C3%A9")
            .unwrap();
        assert_eq!(raw.code, "0");
        assert_eq!(raw.h5face_id, "a b/c");
        assert_eq!(raw.live_rate.as_deref(), Some("9é"));
    }

    #[test]
    fn leading_question_mark_and_empty_pairs_are_tolerated() {
        let raw = parsed("?&code=0&&orderNo=o1&h5faceId=f1&newSignature=x&").unwrap();
        assert_eq!(raw.order_no, "o1");
    }

    #[test]
    fn unknown_and_legacy_parameters_are_ignored_even_when_repeated() {
        let query = format!("{GOOD}&signature=a&signature=b&ret=%zz&ret=2&liveRate=");
        let raw = parsed(&query).unwrap();
        assert_eq!(raw.code, "0");
        assert!(raw.live_rate.is_none());
    }

    #[test]
    fn each_defect_has_its_own_answer() {
        let cases: &[(&str, Malformed)] = &[
            (
                "orderNo=o1&h5faceId=f1&newSignature=x",
                Malformed::Missing("code"),
            ),
            (
                "code=0&h5faceId=f1&newSignature=x",
                Malformed::Missing("orderNo"),
            ),
            (
                "code=0&orderNo=o1&newSignature=x",
                Malformed::Missing("h5faceId"),
            ),
            (
                "code=0&orderNo=o1&h5faceId=f1",
                Malformed::Missing("newSignature"),
            ),
            (
                "code=1&code=0&orderNo=o1&h5faceId=f1&newSignature=x",
                Malformed::Duplicate("code"),
            ),
            (
                "code=0&orderNo=o1&%63ode=1&h5faceId=f1&newSignature=x",
                Malformed::Duplicate("code"),
            ),
            (
                "code=0&orderNo=o1&h5faceId=f1&newSignature=x&liveRate=1&liveRate=2",
                Malformed::Duplicate("liveRate"),
            ),
            (
                "code&orderNo=o1&h5faceId=f1&newSignature=x",
                Malformed::Empty("code"),
            ),
            (
                "code=0&orderNo=&h5faceId=f1&newSignature=x",
                Malformed::Empty("orderNo"),
            ),
            (
                "code=%zz&orderNo=o1&h5faceId=f1&newSignature=x",
                Malformed::InvalidPercentEncoding { position: 5 },
            ),
            (
                "code=0&orderNo=o1%4",
                Malformed::InvalidPercentEncoding { position: 17 },
            ),
            (
                "code=0&orderNo=o1%",
                Malformed::InvalidPercentEncoding { position: 17 },
            ),
            (
                "code=0&or%zzderNo=o1",
                Malformed::InvalidPercentEncoding { position: 9 },
            ),
            (
                "code=0&orderNo=%FF%FE&h5faceId=f1&newSignature=x",
                Malformed::NotUtf8 { position: 15 },
            ),
        ];
        for (query, expected) in cases {
            match parsed(query) {
                Err(actual) => assert_eq!(&actual, expected, "{query}"),
                Ok(_) => panic!("{query} was accepted"),
            }
        }
    }

    #[test]
    fn the_signature_may_be_named_new_sign() {
        let raw = parsed("code=0&orderNo=o1&h5faceId=f1&newSign=ABC").unwrap();
        assert_eq!(raw.new_signature, "ABC");
        // Both names with the same signature (hex in either case): one.
        let raw = parsed("code=0&orderNo=o1&h5faceId=f1&newSignature=abc&newSign=ABC").unwrap();
        assert_eq!(raw.new_signature, "abc");
    }

    #[test]
    fn two_different_signatures_are_refused() {
        for query in [
            "code=0&orderNo=o1&h5faceId=f1&newSignature=ABC&newSign=ABD",
            "code=0&orderNo=o1&h5faceId=f1&newSign=ABD&newSignature=ABC",
            "code=0&orderNo=o1&h5faceId=f1&newSign=&newSignature=ABC",
        ] {
            assert_eq!(
                parsed(query).err(),
                Some(Malformed::ConflictingSignatures),
                "{query}"
            );
        }
        let message = Malformed::ConflictingSignatures.to_string();
        assert!(message.contains("newSignature") && message.contains("newSign"));
    }

    #[test]
    fn new_sign_has_the_same_checks_as_new_signature() {
        let cases: &[(&str, Malformed)] = &[
            (
                "code=0&orderNo=o1&h5faceId=f1&newSign=x&newSign=x",
                Malformed::Duplicate("newSign"),
            ),
            (
                "code=0&orderNo=o1&h5faceId=f1&newSign=",
                Malformed::Empty("newSign"),
            ),
        ];
        for (query, expected) in cases {
            assert_eq!(parsed(query).err().as_ref(), Some(expected), "{query}");
        }
    }

    #[test]
    fn length_limit_is_inclusive() {
        assert!(parse(GOOD, GOOD.len()).is_ok());
        assert_eq!(
            parse(GOOD, GOOD.len() - 1).err(),
            Some(Malformed::TooLong {
                max: GOOD.len() - 1,
                actual: GOOD.len()
            })
        );
    }

    #[test]
    fn kinds_have_distinct_names_and_documented_statuses() {
        let kinds = [
            (RejectionKind::Malformed(Malformed::Missing("code")), 400),
            (RejectionKind::BadSignature, 401),
            (
                RejectionKind::NotConfirmed(NotConfirmed::RecordMissing),
                403,
            ),
            (RejectionKind::UnknownOrder, 404),
            (RejectionKind::Replay, 409),
            (RejectionKind::OtherBrowser, 409),
            (RejectionKind::MethodNotAllowed, 405),
            (RejectionKind::Expired, 410),
            (RejectionKind::TicketsUnavailable, 503),
            (RejectionKind::StoreUnavailable, 503),
            (RejectionKind::VendorUnavailable, 503),
        ];
        let mut names: Vec<_> = kinds.iter().map(|(k, _)| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), kinds.len());
        for (kind, status) in kinds {
            assert_eq!(kind.status(), status, "{kind}");
        }
    }
}
