//! [`Settlement`]: how an order ended, as the hook gets it.

use std::time::SystemTime;

use crate::edition::Edition;
use crate::ids::{OrderNo, UserId};
use crate::orders::{DueOrder, PendingOrder, SettledBy, SettledState, SettlementRecord};
use crate::result_query::FaceResult;

/// How an order ended, handed to the [`OnSettled`](super::OnSettled) hook.
///
/// ```
/// use std::time::SystemTime;
/// use tencent_faceid::{OrderNo, UserId};
/// use tencent_faceid::settle::{Settlement, SettledBy, SettledState};
/// let settlement = Settlement::new("appId001", OrderNo::new("o1")?, UserId::new("u1")?,
///     SystemTime::UNIX_EPOCH, SettledState::Abandoned, SettledBy::Reconciler, SystemTime::UNIX_EPOCH);
/// assert_eq!(settlement.idempotency_key(), "faceid-settlement-appId001-o1");
/// # Ok::<(), tencent_faceid::IdentifierError>(())
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

    /// The settlement of `order` its `record` describes, without
    /// evidence; its app id is stamped by
    /// [`Settler::deliver`](super::Settler::deliver), the one way
    /// settlements reach the hook.
    pub(super) fn of_order(order: PendingOrder, record: SettlementRecord) -> Self {
        Self {
            app_id: String::new(),
            order_no: order.order_no,
            user_id: order.user_id,
            created_at: order.created_at,
            state: record.state,
            settled_by: record.settled_by,
            settled_at: record.settled_at,
            edition: order.edition,
            billed_attempts: record.billed_attempts,
            evidence: None,
        }
    }

    /// The same for every delivery of this settlement (an order settles
    /// once): `faceid-settlement-<appId>-<orderNo>`, so that apps sharing
    /// one table of effects never collide. Key the hook's effects on it.
    pub fn idempotency_key(&self) -> String {
        format!("faceid-settlement-{}-{}", self.app_id, self.order_no)
    }

    /// Its order's entry in the due index.
    pub(super) fn due(&self) -> DueOrder {
        DueOrder {
            order_no: self.order_no.clone(),
            created_at: self.created_at,
        }
    }
}
