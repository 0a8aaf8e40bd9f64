//! The consume: one transaction that reads the order's row `FOR UPDATE`,
//! decides, and for the winner consumes it and logs its settlement.

use sqlx::Row;
use tencent_faceid::OrderNo;
use tencent_faceid::callback::BindingHash;
use tencent_faceid::client::ResultCode;
use tencent_faceid::orders::{Claim, Consumed, SettlementRecord};

use crate::{MySqlOrderStore, MySqlStoreError, millis, optional_text, text};

impl MySqlOrderStore {
    /// The consume transaction, once, for a caller waiting until
    /// `deadline` (ms, compared with MySQL's clock).
    pub(crate) async fn consume_once(
        &self,
        order_no: &OrderNo,
        claim: &Claim,
        deadline: i64,
    ) -> Result<Consumed, MySqlStoreError> {
        let statements = &self.statements;
        let mut transaction = self.pool.begin().await?;
        let row = sqlx::query(&statements.lock_order)
            .bind(deadline)
            .bind(&*self.app_id)
            .bind(order_no.as_str())
            .fetch_optional(&mut *transaction)
            .await?;
        let Some(row) = row else {
            transaction.rollback().await?;
            return Ok(Consumed::Unknown);
        };
        let state = text(&row, 0)?;
        let attempt: Option<i64> = row.try_get(1)?;
        let binding = optional_text(&row, 2)?;
        let expired: bool = row.try_get(3)?;
        let user_id = text(&row, 4)?;
        let created: i64 = row.try_get(5)?;
        let edition = text(&row, 6)?;
        let late: bool = row.try_get(7)?;
        let order = || self.order(order_no, user_id, created, binding, edition);
        // The attempt id's bits, as MySQL's signed BIGINT.
        let ours = claim.attempt() as i64;
        let claimed = claim.binding().map(BindingHash::to_hex);
        let same_browser = claimed.is_some() && claimed.as_deref() == binding;
        let verdict = match state {
            // Consumed by this very claim: a retry after a lost reply.
            "consumed" if attempt == Some(ours) => Some(Consumed::Accepted(order()?)),
            "consumed" if same_browser => Some(Consumed::Repeated(order()?)),
            "consumed" => Some(Consumed::AlreadyConsumed),
            _ if expired && !claim.is_past_deadline() => Some(Consumed::Expired),
            _ if claimed.is_some() && !same_browser => Some(Consumed::OtherBrowser),
            _ if late => None,
            "pending" => {
                let accepted = Consumed::Accepted(order()?);
                let done = sqlx::query(&statements.consume)
                    .bind(ours)
                    .bind(&*self.app_id)
                    .bind(order_no.as_str())
                    .bind(deadline)
                    .execute(&mut *transaction)
                    .await?;
                if done.rows_affected() == 0 {
                    // Past the deadline by now.
                    None
                } else {
                    if let Some(record) = claim.settlement() {
                        self.log(&mut transaction, order_no, user_id, created, record)
                            .await?;
                    }
                    transaction.commit().await?;
                    return Ok(accepted);
                }
            }
            _ => return Err(Self::corrupt(order_no.as_str(), "an unknown state")),
        };
        transaction.rollback().await?;
        verdict.ok_or(MySqlStoreError::Late)
    }

    /// Writes the settlement `record` of the order into the log, in the
    /// consume's transaction: its JSON, and its state, code, path and time
    /// in columns of their own for SQL reports.
    async fn log(
        &self,
        transaction: &mut sqlx::Transaction<'_, sqlx::MySql>,
        order_no: &OrderNo,
        user_id: &str,
        created: i64,
        record: &SettlementRecord,
    ) -> Result<(), MySqlStoreError> {
        let key = format!("faceid-settlement-{}-{}", self.app_id, order_no);
        sqlx::query(&self.statements.log)
            .bind(&*self.app_id)
            .bind(order_no.as_str())
            .bind(user_id)
            .bind(created)
            .bind(record.state.as_str())
            .bind(record.state.code().map(ResultCode::as_str))
            .bind(record.settled_by.as_str())
            .bind(millis(record.settled_at))
            .bind(key)
            .bind(record.encode())
            .execute(&mut **transaction)
            .await?;
        Ok(())
    }
}
