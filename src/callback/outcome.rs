//! [`VerificationOutcome`]: what a verified callback tells the handler.

use std::time::SystemTime;

use crate::edition::Edition;
use crate::ids::{OrderNo, UserId};
use crate::result_code::ResultCode;
use crate::result_query::FaceResult;
use crate::settle::Delivery;

/// A verified callback: what the vendor reported for an order this server
/// started, seen for the first time.
///
/// Made by [`CallbackVerifier::verify`](super::CallbackVerifier::verify); behind the tower layer, handlers
/// read it from the request extensions (or through the axum / actix
/// extractors).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct VerificationOutcome {
    /// The order (signed).
    pub order_no: OrderNo,
    /// The user the session was started for (from the order store).
    pub user_id: UserId,
    /// The session's face id as the browser reported it (empty for an App
    /// SDK result). **Not signed and not checked**: for display and
    /// correlation only.
    pub h5face_id: String,
    /// The result code (signed): [`ResultCode::Success`] for a pass.
    pub code: ResultCode,
    /// The liveness score as the browser reported it (not signed), when
    /// present.
    pub live_rate: Option<String>,
    /// When the session was started (the order's creation time).
    pub created_at: SystemTime,
    /// The vendor's record, when the verifier confirms passes and this is
    /// one, or when the record [judged](Self::judged_by_record) the
    /// callback; never with the photo or video. Boxed: it is large and most
    /// outcomes carry none.
    pub record: Option<Box<FaceResult>>,
    /// `true` when the browser that started the session came back with
    /// the same callback (a reload, with browser binding on): the order
    /// was consumed by its earlier request, so show the outcome again but
    /// grant nothing twice. `false` the first time.
    pub repeated: bool,
    /// `true` when the signature matched no SIGN ticket this server knows
    /// (another system sharing the app id fetched the one the vendor signed
    /// with) and the vendor's record decided instead (see
    /// [`CallbackVerifierBuilder::record_judge`](super::CallbackVerifierBuilder::record_judge)):
    /// [`code`](Self::code) is the record's and [`record`](Self::record)
    /// holds it.
    pub judged_by_record: bool,
    /// The edition the session was started in (from the order store).
    pub edition: Edition,
    /// What became of the settlement this callback made (with
    /// [`CallbackVerifier::settling`](super::CallbackVerifier::settling)):
    /// [`Delivery::Deferred`] when the `on_settled` hook failed, so the
    /// user's result is not recorded yet (the reconciler delivers it
    /// later); `None` when this callback settled nothing (no settler, or
    /// [`repeated`](Self::repeated)).
    pub delivery: Option<Delivery>,
    /// A [WeChat](crate::edition::Edition::WeChat) session's record
    /// (`GetDetectInfoEnhanced`, its text only: the verdict, each attempt
    /// and whether it is billed), which decided the outcome; `None` in the
    /// other editions. Its name and id number are
    /// [`Secret`](crate::Secret)s; photos and video are never
    /// fetched. Boxed: it is large and most outcomes carry none.
    pub wechat: Option<Box<crate::tc3::DetectInfo>>,
}

impl VerificationOutcome {
    /// An outcome for your handlers' tests, as the verifier would make it
    /// for a first callback: `h5face_id` `"test"`, no live rate, created
    /// now, no vendor record, not repeated. The fields are public: change
    /// any of them afterwards.
    ///
    /// ```
    /// use tencent_faceid::callback::VerificationOutcome;
    /// use tencent_faceid::{OrderNo, UserId};
    /// use tencent_faceid::client::ResultCode;
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
            judged_by_record: false,
            edition: Edition::Basic,
            delivery: None,
            wechat: None,
        }
    }

    /// Whether this callback's settlement still waits for the `on_settled`
    /// hook ([`Delivery::Deferred`]): say "your result is being recorded",
    /// not that it is.
    ///
    /// ```
    /// use tencent_faceid::callback::VerificationOutcome;
    /// use tencent_faceid::{OrderNo, UserId};
    /// use tencent_faceid::client::ResultCode;
    /// use tencent_faceid::settle::Delivery;
    /// let mut outcome = VerificationOutcome::for_test(OrderNo::new("order1")?, UserId::new("user1")?, ResultCode::Success);
    /// assert!(!outcome.awaits_delivery());
    /// outcome.delivery = Some(Delivery::Deferred);
    /// assert!(outcome.awaits_delivery());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn awaits_delivery(&self) -> bool {
        self.delivery == Some(Delivery::Deferred)
    }

    /// Whether the face verification passed (`code` is `0`).
    pub fn passed(&self) -> bool {
        self.code.is_success()
    }
}
