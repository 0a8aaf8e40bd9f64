//! The reconciler and the WeChat edition: a WeChat order nobody came back
//! for is settled by its own record, `GetDetectInfoEnhanced` (never
//! `queryfacerecord`, which knows nothing of BizTokens), final as the
//! vendor's reconciliation guide says: when the verdict is in, or once the
//! BizToken's documented lifetime ([`BIZ_TOKEN_LIFETIME`]) has passed
//! with none (abandoned).

use std::time::SystemTime;

use super::reconciler::{Asked, Reconciler};
use crate::orders::DueOrder;
use crate::orders::SettledState;
use crate::result_code::ResultCode;
use crate::tc3::biz_token::BIZ_TOKEN_LIFETIME;
use crate::tc3::{ApiErrorCode, Tc3Error};

impl Reconciler {
    /// `GetDetectInfoEnhanced` about a WeChat order: final with its
    /// verdict, abandoned once the BizToken's lifetime has passed (or the
    /// vendor forgot it), else asked again on the order's schedule, then
    /// at the end of the lifetime.
    pub(super) async fn ask_wechat(
        &self,
        order: &DueOrder,
        biz_token: &str,
        now: SystemTime,
    ) -> Asked {
        let Some(tc3) = self.settler().wiring().tc3() else {
            let missing =
                "a WeChat order is due, but the wiring has no API 3.0 client (Wiring::wechat)";
            return Asked::Failed(missing.into());
        };
        let answer = tc3.detect_info(biz_token).await;
        crate::metrics::reconciler_query(match &answer {
            Ok(info) if info.err_code().is_some() => "record",
            Ok(_) => "no_record",
            Err(_) => "failed",
        });
        let lifetime_over = now >= order.created_at + BIZ_TOKEN_LIFETIME;
        match answer {
            Ok(info) => match info.err_code() {
                Some(code) => {
                    let code = ResultCode::from_code(&code.to_string());
                    let billed = info.billed_attempts();
                    tracing::info!(order_no = %order.order_no, billed, "the vendor's WeChat record settles the order");
                    Asked::Final(SettledState::of(&code), None, Some(billed))
                }
                None if lifetime_over => Asked::Final(SettledState::Abandoned, None, None),
                None if now < order.created_at + self.deadline() => {
                    Asked::Later(self.next_query(order, now))
                }
                None => Asked::Later(order.created_at + BIZ_TOKEN_LIFETIME),
            },
            // Past the three days the vendor keeps it: nobody finished.
            Err(Tc3Error::Api {
                code: ApiErrorCode::BizTokenExpired,
                ..
            }) => Asked::Final(SettledState::Abandoned, None, None),
            Err(error) => Asked::Failed(Box::new(error)),
        }
    }
}
