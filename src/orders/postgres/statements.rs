//! The statements of [`PostgresOrderStore`](super::PostgresOrderStore),
//! written once for its schema. Times cross the wire as milliseconds since
//! the Unix epoch (`bigint`) and are `timestamptz` in the tables.

use super::sql_time::at;

/// A `timestamptz` column as milliseconds since the epoch.
fn millis(column: &str) -> String {
    format!("(extract(epoch FROM {column}) * 1000)::bigint")
}

/// A statement of `sql/statements/` (its hot path, shared with the
/// benchmark) with the tables of `schema` (quoted) written in.
pub(super) fn table(sql: &str, schema: &str) -> String {
    sql.replace("{orders}", &format!("{schema}.orders"))
        .replace("{settlements}", &format!("{schema}.settlements"))
}

/// Every statement of one store, its schema written in.
pub(super) struct Statements {
    /// $1 app id, $2 order, $3 user, $4 created ms, $5 binding hex, $6 ttl
    /// ms, $7 whether it joins the due index, $8 edition. Affects no row for a
    /// duplicate.
    pub(super) put: String,
    /// The guarded consume: $1 app id, $2 order, $3 attempt, $4 claim's
    /// binding, $5 past deadline allowed, $6 settlement record, $7 state,
    /// $8 code, $9 settled by, $10 settled at ms. Answers the consumed
    /// order (user, created ms, binding, edition), or nothing.
    pub(super) consume: String,
    /// $1 app id, $2 order: state, attempt, binding, expired, user,
    /// created ms, edition.
    pub(super) find: String,
    /// $1 app id, $2 order: user, created ms, record, binding, edition.
    pub(super) settlement: String,
    /// $1 app id, $2 due ms, $3 lease ms, $4 limit: order, created ms.
    pub(super) claim_due: String,
    /// $1 app id, $2 order, $3 at ms.
    pub(super) reschedule: String,
    /// $1 app id, $2 order.
    pub(super) forget_due: String,
    /// $1 app id, $2 due ms.
    pub(super) backlog: String,
    /// $1 app id, $2 from ms, $3 until ms, $4 limit: order, user, record,
    /// idempotency key, delivered ms.
    pub(super) settlements: String,
    /// The data lifecycle's.
    pub(super) lifecycle: super::lifecycle::Statements,
}

impl Statements {
    /// The statements on the tables of `schema` (already quoted).
    pub(super) fn new(schema: &str) -> Self {
        let orders = format!("{schema}.orders");
        let log = format!("{schema}.settlements");
        Self {
            put: table(include_str!("sql/statements/put.sql"), schema),
            consume: table(include_str!("sql/statements/consume.sql"), schema),
            find: table(include_str!("sql/statements/find.sql"), schema),
            settlement: format!(
                "SELECT s.user_id, {created}, s.record, o.binding, coalesce(o.edition, 'basic') \
                 FROM {log} s LEFT JOIN {orders} o USING (app_id, order_no) \
                 WHERE s.app_id = $1 AND s.order_no = $2",
                created = millis("s.order_created_at"),
            ),
            claim_due: format!(
                "UPDATE {orders} o SET due_at = {lease} \
                 FROM (SELECT order_no FROM {orders} \
                       WHERE app_id = $1 AND due_at <= {due} \
                       ORDER BY due_at LIMIT $4 FOR UPDATE SKIP LOCKED) taken \
                 WHERE o.app_id = $1 AND o.order_no = taken.order_no \
                 RETURNING o.order_no, {created}",
                lease = at("$3"),
                due = at("$2"),
                created = millis("o.created_at"),
            ),
            reschedule: format!(
                "UPDATE {orders} SET due_at = {at} \
                 WHERE app_id = $1 AND order_no = $2 AND due_at IS NOT NULL",
                at = at("$3"),
            ),
            forget_due: format!(
                "WITH forgotten AS ( \
                   UPDATE {orders} SET due_at = NULL WHERE app_id = $1 AND order_no = $2 \
                 ) \
                 UPDATE {log} SET delivered_at = now() \
                 WHERE app_id = $1 AND order_no = $2 AND delivered_at IS NULL"
            ),
            backlog: format!(
                "SELECT count(*) FROM {orders} WHERE app_id = $1 AND due_at <= {due}",
                due = at("$2"),
            ),
            settlements: format!(
                "SELECT order_no, user_id, record, idempotency_key, {delivered} \
                 FROM {log} WHERE app_id = $1 AND settled_at >= {from} AND settled_at < {until} \
                 ORDER BY settled_at, order_no LIMIT $4",
                delivered = millis("delivered_at"),
                from = at("$2"),
                until = at("$3"),
            ),
            lifecycle: super::lifecycle::Statements::new(schema),
        }
    }
}
