-- The consume's update, once the locked row said pending and consumable:
-- only while the caller still waits. attempt, app, order, deadline ms.
UPDATE {orders}
SET state = 'consumed', attempt = ?,
    consumed_at = (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(3)) DIV 1000)
WHERE app_id = ? AND order_no = ? AND state = 'pending'
  AND (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(3)) DIV 1000) < ?
