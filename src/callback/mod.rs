//! The result callback, verified: [`CallbackVerifier`] turns the query
//! string the user's browser brings back into a [`VerificationOutcome`] you
//! can trust, or a [`CallbackRejection`] that says what was wrong.
//!
//! This module knows no web framework; the `tower` (default), `axum` and
//! `actix` modules plug it into one.
//!
//! Every result that comes back enters one verification pipeline, each
//! kind through its own door: the browser's callback through
//! [`CallbackVerifier::verify`] (its query string, or a [`BrowserCallback`]
//! with the binding cookie), the App SDK result through
//! [`CallbackVerifier::verify_sdk_result`], a mini program's BizToken
//! through [`crate::wechat::verify_mini_program`].
//!
//! # What is checked, in order
//! 1. **Form**: the query is at most [`CallbackVerifierBuilder::max_query_len`]
//!    bytes; `code`, `orderNo`, `h5faceId` and the signature are each
//!    present exactly once and non-empty (`liveRate` at most once); the
//!    signature is `newSignature`, or `newSign` as the PC-browser H5 page
//!    names it (both at once only with the same value); every
//!    parameter name, and these parameters' values, percent-decode
//!    (`%XX`, `+` for space) to UTF-8; `orderNo` is a valid [`OrderNo`](crate::ids::OrderNo) and
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
//!    binding](crate::wiring::Wiring::browser_binding), on by default):
//!    the request must carry the binding cookie of the browser that started
//!    the session (see [`BindingCookie`]); checked by the store as part of
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
//!    attempt id ([`Claim`](crate::orders::Claim)), so a store that lost its reply can ask again
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
//! record's [`FaceResult::live_rate`](crate::result_query::FaceResult::live_rate) instead.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use std::time::Duration;
//! use tencent_faceid::callback::{CallbackVerifier, RejectionKind};
//! use tencent_faceid::client::FaceIdClient;
//! use tencent_faceid::{OrderNo, UserId};
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

mod browser_callback;
mod builder;
mod judge;
mod outcome;
mod pipeline;
mod query;
mod rejection;
mod submission;
mod verifier;
mod wechat;

pub use crate::binding::{BindingCookie, BindingHash, COOKIE_NAME, cookie_value};
pub use crate::render::{BodyFormat, ErrorResponse, RETRY_AFTER_SECONDS};
pub use browser_callback::BrowserCallback;
pub use builder::{CallbackConfigError, CallbackVerifierBuilder};
pub use outcome::VerificationOutcome;
pub use query::Malformed;
#[cfg(any(feature = "tower", feature = "actix"))]
pub(crate) use rejection::method_not_allowed;
pub use rejection::{CallbackRejection, NotConfirmed, RejectionKind};
pub(crate) use submission::{Origin, Submission};
pub use verifier::CallbackVerifier;

/// The default of [`CallbackVerifierBuilder::max_query_len`]: 2 KiB, ten
/// times a genuine callback's query.
pub const DEFAULT_MAX_QUERY_LEN: usize = 2048;
