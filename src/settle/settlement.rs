//! [`Settlement`]: how an order ended, and the record of it kept with the
//! consumed order.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::edition::Edition;
use crate::ids::{OrderNo, UserId};
use crate::orders::{DueOrder, PendingOrder};
use crate::result_code::ResultCode;
use crate::result_query::FaceResult;

/// How an order ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettledState {
    /// The face verification passed.
    Passed,
    /// It failed, with the vendor's code (including the H5 page's
    /// front-end codes, e.g. the user cancelled).
    Failed(ResultCode),
    /// The vendor has no record of it by the order's deadline: the user
    /// left before finishing.
    Abandoned,
}

impl SettledState {
    /// `passed`, `failed` or `abandoned`.
    ///
    /// ```
    /// use tencent_faceid::settle::SettledState;
    /// assert_eq!(SettledState::Abandoned.as_str(), "abandoned");
    /// ```
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Passed => "passed",
            Self::Failed(_) => "failed",
            Self::Abandoned => "abandoned",
        }
    }

    /// The state a result code means: passed for `0`, else failed.
    pub(super) fn of(code: &ResultCode) -> Self {
        if code.is_success() {
            Self::Passed
        } else {
            Self::Failed(code.clone())
        }
    }
}

impl fmt::Display for SettledState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Failed(code) => write!(f, "failed ({})", code.as_str()),
            other => f.write_str(other.as_str()),
        }
    }
}

/// Which path settled an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SettledBy {
    /// Its verified callback.
    Callback,
    /// The [`Reconciler`](super::Reconciler), from the vendor's record (or its absence).
    Reconciler,
}

impl SettledBy {
    /// `callback` or `reconciler`.
    ///
    /// ```
    /// use tencent_faceid::settle::SettledBy;
    /// assert_eq!(SettledBy::Reconciler.as_str(), "reconciler");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Callback => "callback",
            Self::Reconciler => "reconciler",
        }
    }
}

impl fmt::Display for SettledBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an order ended, handed to the [`OnSettled`](super::OnSettled) hook.
///
/// ```
/// use std::time::SystemTime;
/// use tencent_faceid::ids::{OrderNo, UserId};
/// use tencent_faceid::settle::{Settlement, SettledBy, SettledState};
/// let settlement = Settlement::new("appId001", OrderNo::new("o1")?, UserId::new("u1")?,
///     SystemTime::UNIX_EPOCH, SettledState::Abandoned, SettledBy::Reconciler, SystemTime::UNIX_EPOCH);
/// assert_eq!(settlement.idempotency_key(), "faceid-settlement-appId001-o1");
/// # Ok::<(), tencent_faceid::ids::IdentifierError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Settlement {
    /// The app (WBappid) the session was started for.
    pub app_id: String,
    /// The order.
    pub order_no: OrderNo,
    /// The user the session was started for.
    pub user_id: UserId,
    /// When the session was started.
    pub created_at: SystemTime,
    /// How it ended.
    pub state: SettledState,
    /// Which path settled it.
    pub settled_by: SettledBy,
    /// When it was settled (to the millisecond).
    pub settled_at: SystemTime,
    /// The edition the session was started in (every edition settles
    /// alike).
    pub edition: Edition,
    /// How many attempts the vendor bills for this session, when its record
    /// says: the WeChat edition's (`IsNeedCharge` in
    /// `GetDetectInfoEnhanced`); `None` for the other editions and for an
    /// abandoned session.
    pub billed_attempts: Option<usize>,
    /// The vendor's record with the photo and/or video, when
    /// [`SettlerBuilder::evidence`](super::SettlerBuilder::evidence) asks for them and the vendor still has
    /// them. Personal data: its `Debug` shows only sizes.
    pub evidence: Option<Box<FaceResult>>,
}

impl Settlement {
    /// A settlement without evidence (for tests of a hook), of a basic
    /// session of the app `app_id` (change [`edition`](Self::edition)
    /// afterwards).
    pub fn new(
        app_id: impl Into<String>,
        order_no: OrderNo,
        user_id: UserId,
        created_at: SystemTime,
        state: SettledState,
        settled_by: SettledBy,
        settled_at: SystemTime,
    ) -> Self {
        Self {
            app_id: app_id.into(),
            order_no,
            user_id,
            created_at,
            state,
            settled_by,
            settled_at,
            edition: Edition::Basic,
            billed_attempts: None,
            evidence: None,
        }
    }

    /// The settlement of `order`, without evidence; its app id is
    /// stamped by [`Settler::deliver`](super::Settler::deliver), the one
    /// way settlements reach the hook.
    pub(super) fn of_order(
        order: PendingOrder,
        state: SettledState,
        settled_by: SettledBy,
        settled_at: SystemTime,
    ) -> Self {
        let edition = order.edition;
        let settlement = Self::new(
            String::new(),
            order.order_no,
            order.user_id,
            order.created_at,
            state,
            settled_by,
            settled_at,
        );
        Self {
            edition,
            ..settlement
        }
    }

    /// The same for every delivery of this settlement (an order settles
    /// once): `faceid-settlement-<appId>-<orderNo>`, so that apps sharing
    /// one table of effects never collide. Key the hook's effects on it.
    pub fn idempotency_key(&self) -> String {
        format!("faceid-settlement-{}-{}", self.app_id, self.order_no)
    }

    /// The record kept with the consumed order (with the billed attempts,
    /// when known): JSON without `|`.
    pub(super) fn record(
        state: &SettledState,
        by: SettledBy,
        at: SystemTime,
        billed: Option<usize>,
    ) -> String {
        let code = match state {
            SettledState::Failed(code) => Some(code.as_str()),
            _ => None,
        };
        let mut record = serde_json::json!({ "state": state.as_str(), "code": code, "by": by.as_str(), "at": millis(at) });
        if let Some(billed) = billed {
            record["billed"] = billed.into();
        }
        record
            .to_string()
            // `|` can only stand in a JSON string, where this escape means it.
            .replace('|', "\\u007c")
    }

    /// The settlement a kept record describes.
    pub(super) fn from_record(order: PendingOrder, record: &str) -> Option<Self> {
        #[derive(serde::Deserialize)]
        struct Record {
            state: String,
            code: Option<String>,
            by: String,
            at: u64,
            #[serde(default)]
            billed: Option<usize>,
        }
        let record: Record = serde_json::from_str(record).ok()?;
        let state = match (record.state.as_str(), record.code) {
            ("passed", _) => SettledState::Passed,
            ("failed", Some(code)) => SettledState::Failed(ResultCode::from_code(&code)),
            ("abandoned", _) => SettledState::Abandoned,
            _ => return None,
        };
        let settled_by = match record.by.as_str() {
            "callback" => SettledBy::Callback,
            "reconciler" => SettledBy::Reconciler,
            _ => return None,
        };
        let settled_at = UNIX_EPOCH + Duration::from_millis(record.at);
        let mut settlement = Self::of_order(order, state, settled_by, settled_at);
        settlement.billed_attempts = record.billed;
        Some(settlement)
    }

    /// Its order's entry in the due index.
    pub(super) fn due(&self) -> DueOrder {
        DueOrder {
            order_no: self.order_no.clone(),
            created_at: self.created_at,
        }
    }
}

/// Milliseconds since the Unix epoch.
fn millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order() -> PendingOrder {
        PendingOrder::new(OrderNo::new("o1").unwrap(), UserId::new("u1").unwrap())
    }

    #[test]
    fn a_record_reads_back_as_the_settlement_it_describes() {
        let at = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        for (state, by) in [
            (SettledState::Passed, SettledBy::Callback),
            (
                SettledState::Failed(ResultCode::from_code("3001")),
                SettledBy::Reconciler,
            ),
            (SettledState::Abandoned, SettledBy::Reconciler),
        ] {
            let record = Settlement::record(&state, by, at, Some(2));
            let settlement = Settlement::from_record(order(), &record).unwrap();
            assert_eq!(settlement.billed_attempts, Some(2));
            assert_eq!(
                (
                    settlement.state,
                    settlement.settled_by,
                    settlement.settled_at
                ),
                (state, by, at)
            );
        }
    }

    #[test]
    fn a_record_never_holds_the_separator() {
        let state = SettledState::Failed(ResultCode::from_code("a|b"));
        let record = Settlement::record(&state, SettledBy::Callback, UNIX_EPOCH, None);
        assert!(!record.contains('|'), "{record}");
        let settlement = Settlement::from_record(order(), &record).unwrap();
        assert_eq!(settlement.state, state);
    }
}
