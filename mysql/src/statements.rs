//! The statements of [`MySqlOrderStore`](crate::MySqlOrderStore), written
//! once for its table prefix. Times are milliseconds since the Unix epoch
//! (`BIGINT`), on the database's clock where the store reads it.

use crate::sql_time::NOW_MS;

/// A statement of `sql/statements/` (the hot path, shared with the
/// benchmark) with the orders table written in.
fn table(sql: &str, orders: &str) -> String {
    sql.replace("{orders}", orders)
}

/// Every statement of one store, its tables written in.
pub(crate) struct Statements {
    /// app, order, user, created ms, binding hex, ttl ms, due ms (its
    /// start: every order joins the due index), edition.
    pub(crate) put: String,
    /// deadline ms, app, order: the order as it was, locked for the
    /// consume's transaction (state, attempt, binding, expired, user,
    /// created ms, edition, late).
    pub(crate) lock_order: String,
    /// attempt, app, order, deadline ms.
    pub(crate) consume: String,
    /// app, order, user, created ms, state, code, by, settled at ms (or
    /// NULL for now), idempotency key, record.
    pub(crate) log: String,
    /// app, order: state, binding, expired.
    pub(crate) find: String,
    /// app, order: user, created ms, binding, pending (to recognise a put
    /// asked again).
    pub(crate) own_put: String,
    /// app, order: user, created ms, record, binding, edition.
    pub(crate) settlement: String,
    /// app, due ms, limit: order, created ms (MySQL 8.0, MariaDB 10.6).
    pub(crate) due_skip_locked: String,
    /// lease ms, app, and the orders' numbers: sets their lease.
    pub(crate) lease_taken: String,
    /// lease ms, token, app, due ms, limit (MySQL 5.7).
    pub(crate) lease_fallback: String,
    /// app, token, lease ms: order, created ms.
    pub(crate) leased: String,
    /// at ms, app, order.
    pub(crate) reschedule: String,
    /// app, order.
    pub(crate) forget_due: String,
    /// app, order.
    pub(crate) delivered: String,
    /// app, due ms.
    pub(crate) backlog: String,
    /// app, from ms, until ms, limit: order, user, record, idempotency
    /// key, delivered ms.
    pub(crate) settlements: String,
    /// The data lifecycle's.
    pub(crate) lifecycle: crate::lifecycle::Statements,
}

impl Statements {
    /// The statements on the tables of `prefix` (already checked).
    pub(crate) fn new(prefix: &str) -> Self {
        let orders = format!("`{prefix}orders`");
        let log = format!("`{prefix}settlements`");
        Self {
            put: table(include_str!("sql/statements/put.sql"), &orders),
            lock_order: table(include_str!("sql/statements/lock_order.sql"), &orders),
            consume: table(include_str!("sql/statements/consume.sql"), &orders),
            log: format!(
                "INSERT INTO {log} (app_id, order_no, user_id, order_created_at, state, code, \
                                    settled_by, settled_at, idempotency_key, record) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, COALESCE(?, {NOW_MS}), ?, ?)"
            ),
            find: format!(
                "SELECT state, binding, expires_at <= {NOW_MS} \
                 FROM {orders} WHERE app_id = ? AND order_no = ?"
            ),
            own_put: format!(
                "SELECT user_id, created_at, binding, state = 'pending' \
                 FROM {orders} WHERE app_id = ? AND order_no = ?"
            ),
            settlement: format!(
                "SELECT s.user_id, s.order_created_at, s.record, o.binding, \
                        COALESCE(o.edition, 'basic') \
                 FROM {log} s LEFT JOIN {orders} o \
                   ON o.app_id = s.app_id AND o.order_no = s.order_no \
                 WHERE s.app_id = ? AND s.order_no = ?"
            ),
            due_skip_locked: format!(
                "SELECT order_no, created_at FROM {orders} \
                 WHERE app_id = ? AND due_at <= ? \
                 ORDER BY due_at LIMIT ? FOR UPDATE SKIP LOCKED"
            ),
            lease_taken: format!(
                "UPDATE {orders} SET due_at = ? WHERE app_id = ? AND order_no IN "
            ),
            lease_fallback: format!(
                "UPDATE {orders} SET due_at = ?, lease_owner = ? \
                 WHERE app_id = ? AND due_at <= ? ORDER BY due_at LIMIT ?"
            ),
            leased: format!(
                "SELECT order_no, created_at FROM {orders} \
                 WHERE app_id = ? AND lease_owner = ? AND due_at = ?"
            ),
            reschedule: format!(
                "UPDATE {orders} SET due_at = ? \
                 WHERE app_id = ? AND order_no = ? AND due_at IS NOT NULL"
            ),
            forget_due: format!(
                "UPDATE {orders} SET due_at = NULL WHERE app_id = ? AND order_no = ?"
            ),
            delivered: format!(
                "UPDATE {log} SET delivered_at = {NOW_MS} \
                 WHERE app_id = ? AND order_no = ? AND delivered_at IS NULL"
            ),
            backlog: format!("SELECT COUNT(*) FROM {orders} WHERE app_id = ? AND due_at <= ?"),
            settlements: format!(
                "SELECT order_no, user_id, record, idempotency_key, delivered_at \
                 FROM {log} WHERE app_id = ? AND settled_at >= ? AND settled_at < ? \
                 ORDER BY settled_at, order_no LIMIT ?"
            ),
            lifecycle: crate::lifecycle::Statements::new(prefix),
        }
    }
}
