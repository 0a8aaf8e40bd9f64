//! Why a callback was not accepted, and the HTTP answer to it: a status,
//! a message that says what was wrong (never a secret), and a machine
//! name, rendered here once so that every framework adapter only maps it.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use super::query::Malformed;
use crate::ids::OrderNo;
use crate::render::{BodyFormat, ErrorResponse};
use crate::result_code::ResultCode;

/// Why the vendor's record does not confirm a callback that claims a pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotConfirmed {
    /// The vendor has no record of the order: the session was never
    /// finished, the user aborted it, or it is older than the three days
    /// the vendor keeps records.
    #[error(
        "the vendor has no record of it (never finished, aborted by the user, or older than the 3 days the vendor keeps records)"
    )]
    RecordMissing,
    /// The vendor's record says the verification did not pass.
    #[error("the vendor's record says it did not pass (code {0})")]
    RecordFailed(ResultCode),
    /// The vendor's record is for another order or app.
    #[error("the vendor's record is for another order or app")]
    RecordMismatch,
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
    /// Browser binding is on and the request carries no binding cookie at
    /// all (a client that drops cookies, or a test that does not carry the
    /// start's `Set-Cookie` to the callback): 409. The order is left
    /// pending for the browser that started it.
    NoBindingCookie,
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
    /// A WeChat session's BizToken came back, but the vendor's record has
    /// no verdict yet (the user has not finished an attempt): 409. The
    /// order is left pending: the same request succeeds once the user
    /// finished, and the [reconciler](crate::settle::Reconciler) settles
    /// it if nobody comes back.
    NotFinished,
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
            Self::NoBindingCookie => "no_binding_cookie",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::NotConfirmed(_) => "not_confirmed",
            Self::TicketsUnavailable => "tickets_unavailable",
            Self::StoreUnavailable => "store_unavailable",
            Self::VendorUnavailable => "vendor_unavailable",
            Self::NotFinished => "not_finished",
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
            Self::Replay | Self::OtherBrowser | Self::NoBindingCookie | Self::NotFinished => 409,
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
    /// Of an App SDK result rather than a callback: said in its words
    /// (`sign`, "App SDK result").
    from_app: bool,
}

impl CallbackRejection {
    /// The same rejection, of an App SDK result.
    pub(crate) fn of_app_result(mut self) -> Self {
        self.from_app = true;
        self
    }

    /// The rejection of a result that could not be read.
    pub(crate) fn malformed(malformed: Malformed) -> Self {
        reject(malformed.into(), None, None)
    }

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

    /// The HTTP answer: the [status](Self::status), the message, and
    /// `Allow: GET` with a 405. Every framework adapter answers with it.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use tencent_faceid::callback::BodyFormat;
    /// # let verifier = tencent_faceid::__doctest::verifier()?;
    /// let rejection = verifier.verify("code=0").await.unwrap_err();
    /// let response = rejection.to_response(BodyFormat::Text);
    /// assert_eq!((response.status, response.content_type), (400, "text/plain; charset=utf-8"));
    /// assert_eq!(response.body, "malformed callback: parameter `orderNo` is missing");
    /// assert_eq!(
    ///     rejection.to_response(BodyFormat::Json).body,
    ///     r#"{"error":"malformed","message":"malformed callback: parameter `orderNo` is missing"}"#
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub fn to_response(&self, format: BodyFormat) -> ErrorResponse {
        let allow = (self.kind == RejectionKind::MethodNotAllowed).then_some("GET");
        let message = self.to_string();
        ErrorResponse::new(self.status(), self.kind.as_str(), &message, format, allow)
    }
}

impl fmt::Display for CallbackRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let order = |f: &mut fmt::Formatter<'_>| match &self.order_no {
            Some(order_no) => write!(f, "order {order_no}"),
            None => f.write_str("the order"),
        };
        let (what, signature) = if self.from_app {
            ("App SDK result", "sign")
        } else {
            ("callback", "newSignature")
        };
        match &self.kind {
            RejectionKind::Malformed(Malformed::InvalidSignature(_)) if self.from_app => {
                f.write_str("malformed App SDK result: field `sign` is not 40 hex digits")
            }
            RejectionKind::Malformed(Malformed::InvalidOrderNo(_)) if self.from_app => {
                f.write_str("malformed App SDK result: field `orderNo` is not a valid order number")
            }
            RejectionKind::Malformed(malformed) => write!(f, "malformed {what}: {malformed}"),
            RejectionKind::BadSignature => {
                write!(f, "{signature} does not match for ")?;
                order(f)?;
                write!(
                    f,
                    ": the {what} was altered or not signed with this app's current or previous SIGN ticket"
                )
            }
            RejectionKind::UnknownOrder => {
                order(f)?;
                f.write_str(" was not started by this server, or was lost when it restarted; pending sessions survive a restart only in a durable order store (RedisOrderStore with persistence, or PostgresOrderStore)")
            }
            RejectionKind::Expired => {
                order(f)?;
                f.write_str(" has expired; start a new verification")
            }
            RejectionKind::Replay => {
                write!(f, "the {what} for ")?;
                order(f)?;
                f.write_str(" was already accepted once")
            }
            RejectionKind::OtherBrowser => {
                f.write_str("the callback for ")?;
                order(f)?;
                f.write_str(" does not come from the browser that started the verification; open it in that browser (with its cookies) or start a new verification")
            }
            RejectionKind::NoBindingCookie => {
                f.write_str("the callback for ")?;
                order(f)?;
                f.write_str(" carries no browser-binding cookie (faceid_binding), so it cannot come from the browser that started the verification; open it in that browser with its cookies (a test must send the start's Set-Cookie with the callback) or start a new verification")
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
                write!(
                    f,
                    "no SIGN ticket is available to check the {what}; try again later"
                )
            }
            RejectionKind::StoreUnavailable => {
                f.write_str("the order store is unavailable; try again later")
            }
            RejectionKind::VendorUnavailable => {
                f.write_str("the vendor could not be asked to confirm ")?;
                order(f)?;
                f.write_str("; try again later")
            }
            RejectionKind::NotFinished => {
                f.write_str("the vendor has no verdict for ")?;
                order(f)?;
                f.write_str(" yet: finish the face verification in WeChat, then come back")
            }
        }
    }
}

impl StdError for CallbackRejection {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.source {
            Some(source) => Some(&**source),
            // The message already says what is malformed or unconfirmed:
            // only a deeper cause is a source (never printed twice).
            None => match &self.kind {
                RejectionKind::Malformed(malformed) => malformed.source(),
                _ => None,
            },
        }
    }
}

/// The rejection of a request that is not a `GET`, made before any
/// verification (and counted with the verdicts); the HTTP adapters make
/// it.
#[cfg(any(feature = "tower", feature = "actix"))]
pub(crate) fn method_not_allowed() -> CallbackRejection {
    let rejection = reject(RejectionKind::MethodNotAllowed, None, None);
    crate::metrics::callback(rejection.kind().as_str());
    rejection
}

/// Makes a rejection and logs the decision (never a ticket or signature).
pub(super) fn reject(
    kind: RejectionKind,
    order_no: Option<OrderNo>,
    source: Option<Arc<dyn StdError + Send + Sync + 'static>>,
) -> CallbackRejection {
    let rejection = CallbackRejection {
        kind,
        order_no,
        source,
        from_app: false,
    };
    let order_no = rejection.order_no.as_ref().map(tracing::field::display);
    let kind = tracing::field::display(rejection.kind.as_str());
    let cause = rejection.source.as_ref().map(tracing::field::display);
    match rejection.kind {
        RejectionKind::Malformed(_) | RejectionKind::MethodNotAllowed => {
            tracing::debug!(kind, order_no, reason = %rejection, "face verification callback rejected")
        }
        RejectionKind::UnknownOrder
        | RejectionKind::Expired
        | RejectionKind::OtherBrowser
        | RejectionKind::NoBindingCookie => {
            tracing::info!(kind, order_no, "face verification callback rejected")
        }
        _ => tracing::warn!(kind, order_no, cause, "face verification callback rejected"),
    }
    rejection
}

#[cfg(test)]
mod tests {
    use super::*;

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
            (RejectionKind::NoBindingCookie, 409),
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
