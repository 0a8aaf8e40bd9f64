-- Records a pending order; refused with a duplicate key when its number is
-- taken (the store then reads the row: its own put asked again succeeds).
-- app, order, user, created ms, binding hex, ttl ms, due ms (its start:
-- every order joins the due index), edition.
INSERT INTO {orders} (app_id, order_no, user_id, created_at, binding, expires_at, due_at, edition)
VALUES (?, ?, ?, ?, ?,
        (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(3)) DIV 1000) + ?, ?, ?)
