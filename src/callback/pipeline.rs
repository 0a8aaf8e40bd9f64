//! The verification pipeline every result enters (a browser's callback,
//! an App SDK result, a WeChat BizToken), written once: the order first,
//! the signature against the SIGN tickets (with one recovery, and the
//! vendor's record as the last judge), confirmation, the consume, the
//! outcome. See the [module documentation](super) for each step.

use std::sync::Arc;

use tracing::field::Empty;
use tracing::{Instrument, Span};

use super::rejection::reject;
use super::submission::{Origin, Proof, Submission};
use super::{CallbackRejection, CallbackVerifier, RejectionKind, VerificationOutcome};
use crate::credentials::Ticket;
use crate::orders::{Consumed, Lookup, StoreError};
use crate::result_query::FaceResult;
use crate::sign;
use crate::tickets::SignTickets;

impl CallbackVerifier {
    /// The verification pipeline every result enters, read (or refused
    /// as it was read) by its entry point: order, signature, confirmation,
    /// consume, outcome; traced, and its verdict counted.
    pub(crate) async fn verify_submission(
        &self,
        read: Result<Submission, CallbackRejection>,
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
            Ok(submission) => {
                span.record("order_no", submission.order_no.as_str());
                self.settle(submission).instrument(span.clone()).await
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

    /// Settles a result, waiting for the store, the tickets and the vendor
    /// as needed.
    async fn settle(
        &self,
        mut submission: Submission,
    ) -> Result<VerificationOutcome, CallbackRejection> {
        let inner = &*self.inner;
        let (record, judged) = if let Proof::BizToken(_) = submission.proof {
            Box::pin(self.look_into_wechat(&mut submission)).await?;
            (None, false)
        } else if self.signed_as_is(&submission).await {
            (None, false)
        } else {
            // Boxed: the look-up, recovery and vendor calls' large state
            // would otherwise weigh on every verification.
            Box::pin(self.look_into(&mut submission)).await?
        };
        let billed = submission
            .detect_info
            .as_ref()
            .map(|info| info.billed_attempts());
        if let Some(settler) = &inner.settler {
            // The consume that accepts the result settles its order.
            let claim = std::mem::take(&mut submission.claim);
            submission.claim = settler.callback_claim(claim, &submission.code, billed);
        }
        let consumed = inner
            .wiring
            .store()
            .consume_claim(&submission.order_no, &submission.claim)
            .await;
        if let Ok(Consumed::Repeated(_)) = consumed {
            // The verdict of a WeChat session shown again: its own browser.
            self.repeated_wechat(&mut submission).await?;
        }
        let settled = match (&consumed, &inner.settler) {
            (Ok(Consumed::Accepted(order)), Some(settler)) => Some((order.clone(), settler)),
            _ => None,
        };
        let code = submission.code.clone();
        let mut verdict = self.accept(submission, consumed, record);
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
    async fn signed_as_is(&self, submission: &Submission) -> bool {
        let binding_checked = !self.binds_browsers()
            || submission.origin == Origin::App
            || submission.claim.binding().is_some();
        if !binding_checked || self.to_confirm(submission) {
            return false;
        }
        match self.inner.wiring.tickets().sign_tickets().await {
            Ok(tickets) => self.signed_by(submission, &tickets),
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
        submission: &mut Submission,
    ) -> Result<(Option<Box<FaceResult>>, bool), CallbackRejection> {
        let inner = &*self.inner;
        let recoverable = self.look_up(submission).await?;
        Ok(match self.tickets_signing(submission, recoverable).await? {
            Signer::Known(tickets) => {
                // Confirm before consuming: see the module documentation.
                let record = if self.to_confirm(submission) {
                    let client = inner.wiring.client();
                    let confirm = self.confirm(client, &submission.order_no, tickets);
                    Some(Box::new(confirm.await?))
                } else {
                    None
                };
                (record, false)
            }
            Signer::Unknown(tickets) => {
                // Changed in place: each copy of a callback moved in and
                // out would keep its own slot in this future.
                let record = self.judge(submission, recoverable, tickets).await?;
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
    async fn look_up(&self, submission: &Submission) -> Result<bool, CallbackRejection> {
        let order_no = || Some(submission.order_no.clone());
        let found = self.inner.wiring.store().lookup(&submission.order_no).await;
        // A result from the app has no browser to bind (its order has none).
        let binds = self.binds_browsers() && submission.origin == Origin::Browser;
        if binds
            && submission.claim.binding().is_none()
            && matches!(found, Ok(Lookup::Pending { .. } | Lookup::Consumed))
        {
            return Err(reject(RejectionKind::NoBindingCookie, order_no(), None));
        }
        match found {
            Ok(Lookup::Pending { binding }) => {
                Ok(!binds || submission.claim.binding() == binding.as_ref())
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
    fn to_confirm(&self, submission: &Submission) -> bool {
        let from_app = submission.origin == Origin::App && self.inner.record_judge;
        (self.confirms() || from_app) && submission.code.is_success()
    }

    /// The SIGN tickets `callback` is signed with: the provider's, or, when
    /// it matches none of them and the order is `recoverable`, newer ones
    /// the provider found in one (rate-limited) recovery: another instance
    /// or system may have rotated the ticket the vendor signs with.
    async fn tickets_signing(
        &self,
        submission: &Submission,
        recoverable: bool,
    ) -> Result<Signer, CallbackRejection> {
        let provider = self.inner.wiring.tickets();
        let unavailable = |e| {
            let kind = RejectionKind::TicketsUnavailable;
            reject(kind, Some(submission.order_no.clone()), Some(Arc::new(e)))
        };
        let tickets = provider.sign_tickets().await.map_err(unavailable)?;
        if self.signed_by(submission, &tickets) {
            return Ok(Signer::Known(tickets));
        }
        if !recoverable {
            return Ok(Signer::Unknown(tickets));
        }
        tracing::info!(order_no = %submission.order_no, "newSignature matches no known SIGN ticket; asking the provider for newer ones");
        let newer = provider.recover(&tickets).await.map_err(unavailable)?;
        if !Arc::ptr_eq(&newer, &tickets) && self.signed_by(submission, &newer) {
            return Ok(Signer::Known(newer));
        }
        Ok(Signer::Unknown(newer))
    }

    /// Whether `newSignature` signs the callback with the current SIGN
    /// ticket, or the previous one within its grace window.
    fn signed_by(&self, submission: &Submission, tickets: &SignTickets) -> bool {
        let Proof::Signed(signature) = &submission.proof else {
            return false;
        };
        let order_no = &submission.order_no;
        let signed = [
            self.inner.wiring.app_id(),
            order_no.as_str(),
            submission.code.as_str(),
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
        submission: Submission,
        consumed: Result<Consumed, StoreError>,
        record: Option<Box<FaceResult>>,
    ) -> Result<VerificationOutcome, CallbackRejection> {
        let Submission {
            order_no,
            code,
            h5face_id,
            live_rate,
            proof: _,
            claim: _,
            origin: _,
            detect_info,
        } = submission;
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

/// Which SIGN tickets a result's signature was made with.
enum Signer {
    /// These (the current one or the previous within its grace window).
    Known(Arc<SignTickets>),
    /// None that this server knows; these are the newest it has.
    Unknown(Arc<SignTickets>),
}
