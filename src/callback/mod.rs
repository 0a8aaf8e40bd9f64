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
//! 2. **The order first**: it must be one this server started (it is in
//!    the [`OrderStore`](crate::orders::OrderStore), looked up with
//!    [`OrderStore::lookup`](crate::orders::OrderStore::lookup)) and not
//!    expired, before any signature work: a callback for an order this
//!    server never started (or lost in a restart: see
//!    [`MemoryOrderStore`](crate::orders::MemoryOrderStore)) is a 404 that
//!    costs no token, ticket or record fetch, so a storm of forged
//!    callbacks cannot make the server replace the app's token.
//! 3. **The browser** (with the wiring's [browser
//!    binding](Wiring::browser_binding), on by default):
//!    the request must carry the binding cookie of the browser that started
//!    the session (see [`crate::binding`]); checked by the store as part of
//!    the consume, so a refusal leaves the order pending.
//! 4. **Signature**: `newSignature` must be the vendor's signature of the
//!    app id, `orderNo` and `code` with the current SIGN ticket, or with the
//!    previous one while its grace window lasts (the vendor may have signed
//!    just before a rotation). The comparison is constant-time. For a
//!    pending order (from its own browser, with binding on), a signature
//!    that matches neither makes the ticket provider look for newer tickets
//!    once (rate-limited): another instance may have rotated them.
//! 5. **The vendor's record as the last judge** (with
//!    [`CallbackVerifierBuilder::record_judge`], on by default): when even
//!    the newer tickets do not match, either another system sharing the
//!    app id fetched the ticket the vendor signed with, or the callback
//!    was altered (a user editing `code`): the two cannot be told apart.
//!    The vendor's record of the order decides, once per order per 5
//!    seconds: it exists, so the callback is answered **200 with the
//!    record's verdict**, not the callback's
//!    ([`VerificationOutcome::judged_by_record`]; nobody can fake a pass),
//!    and the order is consumed (the genuine callback that may follow is a
//!    replay, 409); it does not, so 401. The log names both causes. A
//!    consumed order reloaded by a browser with a binding cookie (its
//!    owner's, after a restart: the page's callback was signed with a
//!    ticket the new process never saw) is judged the same way, and the
//!    consume answers its owner the record's outcome again, marked
//!    [`repeated`](VerificationOutcome::repeated).
//! 6. **Confirmation** (only with [`CallbackVerifierBuilder::confirm`],
//!    and only for callbacks that claim a pass): the vendor's own record,
//!    fetched with `queryfacerecord`, must exist, be for this order and app,
//!    and say the verification passed.
//! 7. **Exactly once**: the order is consumed: the same callback never
//!    succeeds twice. Each verification claims the order with a random
//!    attempt id ([`Claim`]), so a store that lost its reply can ask again
//!    without burning the order.
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
//! record's [`FaceResult::live_rate`] instead.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use std::time::Duration;
//! use tencent_faceid::callback::{CallbackVerifier, RejectionKind};
//! use tencent_faceid::client::FaceIdClient;
//! use tencent_faceid::ids::{OrderNo, UserId};
//! use tencent_faceid::sign::sign;
//! use tencent_faceid::orders::{MemoryOrderStore, OrderStore, PendingOrder};
//! use tencent_faceid::tickets::StaticTickets;
//! use tencent_faceid::wiring::Wiring;
//!
//! let ticket = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe";
//! let client = FaceIdClient::builder("appId001", "secret").build()?;
//! let store = MemoryOrderStore::new();
//! // Without a browser here to carry the binding cookie:
//! let wiring = Wiring::new(client, StaticTickets::new(ticket, "nonce"), store.clone())
//!     .browser_binding(false);
//! let verifier = CallbackVerifier::builder(&wiring).build()?;
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
use std::fmt;
use std::sync::Arc;

use tracing::field::Empty;
use tracing::{Instrument, Span};

use crate::binding::BindingHash;
use crate::credentials::Ticket;
use crate::ids::OrderNo;
use crate::orders::{Claim, Consumed, Lookup, StoreError};
use crate::result_code::ResultCode;
use crate::result_query::FaceResult;
use crate::settle::Settler;
use crate::sign::{self, Signature};
use crate::tc3::DetectInfo;
use crate::tickets::SignTickets;
use crate::wiring::Wiring;

mod builder;
mod judge;
mod outcome;
mod query;
mod rejection;
mod wechat;

pub use builder::{CallbackConfigError, CallbackVerifierBuilder};
pub use outcome::VerificationOutcome;
pub use query::Malformed;
#[cfg(any(feature = "tower", feature = "actix"))]
pub(crate) use rejection::method_not_allowed;
use rejection::reject;
pub use rejection::{CallbackRejection, NotConfirmed, RejectionKind};

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
    /// The client (the vendor's record is fetched with it: to confirm
    /// passes, and to judge callbacks signed with a ticket this server
    /// never saw), the tickets and the store.
    wiring: Wiring,
    /// Whether passes are confirmed with the vendor's record.
    confirm: bool,
    /// Whether the vendor's record judges callbacks signed with a ticket
    /// this server never saw.
    record_judge: bool,
    max_query_len: usize,
    settler: Option<Settler>,
    judged: judge::JudgeLimiter,
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
    /// this; without the wiring's [browser binding](Wiring::browser_binding)
    /// the cookie is ignored.
    ///
    /// # Errors
    /// As [`Self::verify`]; with browser binding also
    /// [`RejectionKind::NoBindingCookie`] (409) when `binding` is `None`,
    /// [`RejectionKind::OtherBrowser`] (409) when it is not the order's.
    pub async fn verify_in_browser(
        &self,
        query: &str,
        binding: Option<&str>,
    ) -> Result<VerificationOutcome, CallbackRejection> {
        let read = self.read(query, binding);
        self.conclude(read).await
    }

    /// Reads a callback's query strictly (the only step that needs it), and
    /// the claim it makes on its order.
    pub(crate) fn read(
        &self,
        query: &str,
        binding: Option<&str>,
    ) -> Result<Callback, CallbackRejection> {
        let claim = match (self.binds_browsers(), binding) {
            (true, Some(binding)) => Claim::new().bound_to(BindingHash::of(binding)),
            // Without its cookie, refused once the order is looked up.
            _ => Claim::new(),
        };
        if let Some(biz_token) = wechat::redirect_token(query, self.inner.max_query_len) {
            return self.read_biz_token(&biz_token.map_err(Self::malformed)?, claim);
        }
        let raw = query::parse(query, self.inner.max_query_len)
            .map_err(|m| reject(m.into(), None, None))?;
        let mut callback = self.read_result(
            &raw.order_no,
            &raw.code,
            &raw.new_signature,
            raw.live_rate.map(Cow::into_owned),
            claim,
        )?;
        callback.h5face_id = raw.h5face_id.into_owned();
        callback.from_app = false;
        Ok(callback)
    }

    /// The rejection of a result that could not be read.
    pub(crate) fn malformed(malformed: Malformed) -> CallbackRejection {
        reject(malformed.into(), None, None)
    }

    /// Reads a result's signed values, whether from a callback's query or
    /// an App SDK result (`from_app`, with no face id): the same checks and
    /// the same claim.
    pub(crate) fn read_result(
        &self,
        order_no: &str,
        code: &str,
        signature: &str,
        live_rate: Option<String>,
        claim: Claim,
    ) -> Result<Callback, CallbackRejection> {
        let order_no = OrderNo::new(order_no)
            .map_err(|e| reject(Malformed::InvalidOrderNo(e).into(), None, None))?;
        let signature: Signature = signature.parse().map_err(|e| {
            let kind = Malformed::InvalidSignature(e).into();
            reject(kind, Some(order_no.clone()), None)
        })?;
        let code = ResultCode::from_code(code);
        let claim = match &self.inner.settler {
            Some(settler) => settler.callback_claim(claim, &code, None),
            None => claim,
        };
        Ok(Callback {
            claim,
            code,
            h5face_id: String::new(),
            live_rate,
            order_no,
            proof: Proof::Signed(signature),
            from_app: true,
            detect_info: None,
        })
    }

    /// Verifies a callback [read](Self::read) from its request, and counts
    /// the verdict.
    pub(crate) async fn conclude(
        &self,
        read: Result<Callback, CallbackRejection>,
    ) -> Result<VerificationOutcome, CallbackRejection> {
        let span = tracing::info_span!("faceid.verify", order_no = Empty, verdict = Empty);
        // A span no subscriber wants still records its fields for `log`:
        // none at all then, so recording and entering it cost nothing.
        let span = if span.is_disabled() {
            Span::none()
        } else {
            span
        };
        let verdict = match read {
            Ok(callback) => {
                span.record("order_no", callback.order_no.as_str());
                self.settle(callback).instrument(span.clone()).await
            }
            Err(rejection) => Err(rejection),
        };
        let label = match &verdict {
            Ok(outcome) if outcome.passed() => "passed",
            Ok(_) => "failed",
            Err(rejection) => rejection.kind().as_str(),
        };
        span.record("verdict", label);
        crate::metrics::callback(label);
        verdict
    }

    /// Settles a callback, waiting for the store, the tickets and the
    /// vendor as needed.
    async fn settle(
        &self,
        mut callback: Callback,
    ) -> Result<VerificationOutcome, CallbackRejection> {
        let inner = &*self.inner;
        let (record, judged) = if let Proof::BizToken(_) = callback.proof {
            Box::pin(self.look_into_wechat(&mut callback)).await?;
            (None, false)
        } else if self.signed_as_is(&callback).await {
            (None, false)
        } else {
            // Boxed: the look-up, recovery and vendor calls' large state
            // would otherwise weigh on every verification.
            Box::pin(self.look_into(&mut callback)).await?
        };
        let consumed = (**inner.wiring.orders())
            .consume_claim(&callback.order_no, &callback.claim)
            .await;
        if let Ok(Consumed::Repeated(_)) = consumed {
            // The verdict of a WeChat session shown again: its own browser.
            self.repeated_wechat(&mut callback).await?;
        }
        let settled = match (&consumed, &inner.settler) {
            (Ok(Consumed::Accepted(order)), Some(settler)) => Some((order.clone(), settler)),
            _ => None,
        };
        let code = callback.code.clone();
        let billed = callback
            .detect_info
            .as_ref()
            .map(|info| info.billed_attempts());
        let mut verdict = self.accept(callback, consumed, record);
        if let Ok(outcome) = &mut verdict {
            outcome.judged_by_record = judged;
        }
        if let Some((order, settler)) = settled {
            // Boxed: settling's large state would otherwise weigh on
            // every verification, settled or not.
            let delivery = Box::pin(settler.settled_by_callback(order, &code, billed)).await;
            if let Ok(outcome) = &mut verdict {
                outcome.delivery = Some(delivery);
            }
        }
        verdict
    }

    /// Whether the callback may go straight to its consume: its signature
    /// matches the tickets at hand, nothing is to be asked of the vendor
    /// before the consume, and the claim carries what the store needs to
    /// check its browser. Then the consume alone answers for the order
    /// (unknown, expired, replayed, another browser), in one store round
    /// trip. A signature that matches nothing (a forged callback) is looked
    /// into order first instead, so it never costs a vendor call.
    async fn signed_as_is(&self, callback: &Callback) -> bool {
        let binding_checked =
            !self.binds_browsers() || callback.from_app || callback.claim.binding().is_some();
        if !binding_checked || self.to_confirm(callback) {
            return false;
        }
        let provider = &**self.inner.wiring.tickets();
        match provider.sign_tickets().await {
            Ok(tickets) => self.signed_by(callback, &tickets),
            // Said by the look-up path, order first.
            Err(_) => false,
        }
    }

    /// The callback's order first (a callback for an order this server
    /// never started costs no token, ticket or record fetch), then the
    /// tickets it is signed with and what the vendor says, as needed: the
    /// vendor's record (confirming a pass, or judging a callback signed
    /// with a ticket this server never saw) and whether it judged.
    async fn look_into(
        &self,
        callback: &mut Callback,
    ) -> Result<(Option<Box<FaceResult>>, bool), CallbackRejection> {
        let inner = &*self.inner;
        let recoverable = self.look_up(callback).await?;
        Ok(match self.tickets_signing(callback, recoverable).await? {
            Signer::Known(tickets) => {
                // Confirm before consuming: see the module documentation.
                let record = if self.to_confirm(callback) {
                    let client = inner.wiring.client();
                    let confirm = self.confirm(client, &callback.order_no, tickets);
                    Some(Box::new(confirm.await?))
                } else {
                    None
                };
                (record, false)
            }
            Signer::Unknown(tickets) => {
                // Changed in place: each copy of a callback moved in and
                // out would keep its own slot in this future.
                let record = self.judge(callback, recoverable, tickets).await?;
                (Some(record), true)
            }
        })
    }

    /// Looks the callback's order up: rejects an unknown or expired one at
    /// once, and answers whether a signature that matches no known ticket
    /// may be looked into further (recovery, the vendor's record): for a
    /// pending order, with browser binding on only from its own browser;
    /// and, with browser binding on, for a consumed order reloaded by a
    /// browser with a binding cookie (the owner's, after a restart, with a
    /// callback signed by a ticket this process never saw: the record
    /// gives it its outcome again, and the consume answers it as
    /// [`repeated`](VerificationOutcome::repeated) to its owner only).
    async fn look_up(&self, callback: &Callback) -> Result<bool, CallbackRejection> {
        let order_no = || Some(callback.order_no.clone());
        let found = (**self.inner.wiring.orders())
            .lookup(&callback.order_no)
            .await;
        // An App SDK result has no browser to bind (its order has none).
        let binds = self.binds_browsers() && !callback.from_app;
        if binds
            && callback.claim.binding().is_none()
            && matches!(found, Ok(Lookup::Pending { .. } | Lookup::Consumed))
        {
            return Err(reject(RejectionKind::NoBindingCookie, order_no(), None));
        }
        match found {
            Ok(Lookup::Pending { binding }) => {
                Ok(!binds || callback.claim.binding() == binding.as_ref())
            }
            // Without its cookie, refused above.
            Ok(Lookup::Consumed) => Ok(binds),
            Ok(Lookup::Expired) => Err(reject(RejectionKind::Expired, order_no(), None)),
            Ok(_) => Err(reject(RejectionKind::UnknownOrder, order_no(), None)),
            Err(e) => {
                let kind = RejectionKind::StoreUnavailable;
                Err(reject(kind, order_no(), Some(Arc::new(e))))
            }
        }
    }

    /// Whether `callback` is a pass to confirm with the vendor's record:
    /// with [`CallbackVerifierBuilder::confirm`], and for a result from the
    /// app whenever the verifier asks the vendor at all (the app cannot be
    /// trusted, and its result never passed the vendor's redirect).
    fn to_confirm(&self, callback: &Callback) -> bool {
        let from_app = callback.from_app && self.inner.record_judge;
        (self.confirms() || from_app) && callback.code.is_success()
    }

    /// The SIGN tickets `callback` is signed with: the provider's, or, when
    /// it matches none of them and the order is `recoverable`, newer ones
    /// the provider found in one (rate-limited) recovery: another instance
    /// or system may have rotated the ticket the vendor signs with.
    async fn tickets_signing(
        &self,
        callback: &Callback,
        recoverable: bool,
    ) -> Result<Signer, CallbackRejection> {
        // Call through the trait object itself: `inner.tickets.sign_tickets()`
        // would pick the `Arc<T>` impl and box a second future around it.
        let provider = &**self.inner.wiring.tickets();
        let unavailable = |e| {
            let kind = RejectionKind::TicketsUnavailable;
            reject(kind, Some(callback.order_no.clone()), Some(Arc::new(e)))
        };
        let tickets = provider.sign_tickets().await.map_err(unavailable)?;
        if self.signed_by(callback, &tickets) {
            return Ok(Signer::Known(tickets));
        }
        if !recoverable {
            return Ok(Signer::Unknown(tickets));
        }
        tracing::info!(order_no = %callback.order_no, "newSignature matches no known SIGN ticket; asking the provider for newer ones");
        let newer = provider.recover(&tickets).await.map_err(unavailable)?;
        if !Arc::ptr_eq(&newer, &tickets) && self.signed_by(callback, &newer) {
            return Ok(Signer::Known(newer));
        }
        Ok(Signer::Unknown(newer))
    }

    /// Whether `newSignature` signs the callback with the current SIGN
    /// ticket, or the previous one within its grace window.
    fn signed_by(&self, callback: &Callback, tickets: &SignTickets) -> bool {
        let Proof::Signed(signature) = &callback.proof else {
            return false;
        };
        let order_no = &callback.order_no;
        let signed = [
            self.inner.wiring.app_id(),
            order_no.as_str(),
            callback.code.as_str(),
        ];
        let signed_with = |ticket: &Ticket| sign::verify(&signed, ticket.value(), signature);
        // The clock is read only when a previous ticket could match.
        let accepted = tickets.accepted_with(|| self.inner.wiring.clock().now());
        match accepted.enumerate().find(|(_, ticket)| signed_with(ticket)) {
            Some((0, _)) => {
                tracing::debug!(order_no = %order_no, "newSignature matches the current SIGN ticket");
                true
            }
            Some(_) => {
                tracing::info!(order_no = %order_no, "newSignature matches the previous SIGN ticket, within its grace window");
                true
            }
            None => false,
        }
    }

    /// The verdict once the store has consumed (or not) the order of a
    /// correctly signed callback.
    fn accept(
        &self,
        callback: Callback,
        consumed: Result<Consumed, StoreError>,
        record: Option<Box<FaceResult>>,
    ) -> Result<VerificationOutcome, CallbackRejection> {
        let Callback {
            order_no,
            code,
            h5face_id,
            live_rate,
            proof: _,
            claim: _,
            from_app: _,
            detect_info,
        } = callback;
        let (order, repeated) = match consumed {
            Ok(Consumed::Accepted(order)) => (order, false),
            Ok(Consumed::Repeated(order)) => (order, true),
            Ok(Consumed::OtherBrowser) => {
                return Err(reject(RejectionKind::OtherBrowser, Some(order_no), None));
            }
            Ok(Consumed::Unknown) => {
                return Err(reject(RejectionKind::UnknownOrder, Some(order_no), None));
            }
            Ok(Consumed::Expired) => {
                return Err(reject(RejectionKind::Expired, Some(order_no), None));
            }
            Ok(Consumed::AlreadyConsumed) => {
                return Err(reject(RejectionKind::Replay, Some(order_no), None));
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
            judged_by_record: false,
            edition: order.edition,
            delivery: None,
            wechat: detect_info,
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
}

/// Which SIGN tickets a callback's signature was made with.
enum Signer {
    /// These (the current one or the previous within its grace window).
    Known(Arc<SignTickets>),
    /// None that this server knows; these are the newest it has.
    Unknown(Arc<SignTickets>),
}

/// A callback read from its query: what verification needs of it, owned.
pub(crate) struct Callback {
    claim: Claim,
    order_no: OrderNo,
    code: ResultCode,
    h5face_id: String,
    live_rate: Option<String>,
    proof: Proof,
    /// An App SDK result forwarded by the app (or a mini program's
    /// BizToken), not a browser's callback.
    from_app: bool,
    /// A WeChat session's record, once pulled.
    detect_info: Option<Box<DetectInfo>>,
}

/// What vouches for a result: the vendor's signature, or, for the WeChat
/// edition, nothing but the BizToken (the verdict is the vendor's record).
enum Proof {
    /// `newSignature` (or the SDK's `sign`).
    Signed(Signature),
    /// A WeChat session's BizToken, as the vendor issued it.
    BizToken(String),
}
