//! The App SDK edition, server side: the parameters your app launches the
//! vendor's native SDK with, and the SDK's result, verified.
//!
//! 1. Your app asks your server to start: [`SessionStarter::start_sdk`]
//!    (or [`FaceId::start_sdk`](crate::FaceId::start_sdk)) uploads the
//!    identity with `getfaceid`, records the pending order (edition
//!    [`Edition::AppSdk`](crate::edition::Edition::AppSdk)) and answers the
//!    [`SdkLaunch`] parameters, signed with a fresh NONCE ticket, for your
//!    server to send to the app as JSON.
//! 2. The app launches the SDK with them; the SDK answers the app its
//!    result, signed by the vendor with the SIGN ticket.
//! 3. The app forwards it to your server as a JSON `POST` ([`SdkResult`]):
//!    [`CallbackVerifier::verify_sdk_result`](crate::callback::CallbackVerifier::verify_sdk_result)
//!    (or the `axum::SdkVerified` / `actix::SdkVerified`
//!    extractors) checks it with the callback's own pipeline: the order is
//!    one this server started, the signature is the vendor's (app id,
//!    order number and code with the SIGN ticket), the result is accepted
//!    once, and settled as an H5 callback is.
//!
//! The app cannot be trusted: every rejection of the H5 callback applies,
//! with the same statuses (409 for a replay, 404 for an order this server
//! never started). A result whose `sign` matches no SIGN ticket (altered,
//! or signed with a ticket another system sharing the app id fetched) is
//! judged by the vendor's record, as a callback is: 200 with the record's
//! verdict, not the result's
//! ([`judged_by_record`](crate::callback::VerificationOutcome::judged_by_record)),
//! and its order consumed; 401 when the vendor has no record. And a pass is confirmed
//! with the vendor's record whenever the verifier asks the vendor
//! ([`CallbackVerifierBuilder::record_judge`](crate::callback::CallbackVerifierBuilder::record_judge),
//! on by default, or
//! [`confirm`](crate::callback::CallbackVerifierBuilder::confirm)): the
//! result never passed through the vendor's redirect.
//!
//! [`SessionStarter::start_sdk`]: crate::session::SessionStarter::start_sdk

mod launch;
mod result;

pub use launch::SdkLaunch;
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) use result::refuse_too_long;
pub use result::{MAX_RESULT_BODY, SdkResult, verify_result_body};
