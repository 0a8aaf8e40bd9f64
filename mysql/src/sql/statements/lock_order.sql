-- The consume's first statement, in its transaction: the order as it was,
-- locked (state, attempt, binding, expired, user, created ms, edition, and
-- whether the caller's deadline passed). deadline ms, app, order.
SELECT state, attempt, binding,
       expires_at <= (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(3)) DIV 1000),
       user_id, created_at, edition,
       (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(3)) DIV 1000) >= ?
FROM {orders} WHERE app_id = ? AND order_no = ? FOR UPDATE
