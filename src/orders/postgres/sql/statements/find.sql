-- What the store knows of an order. $1 app id, $2 order.
SELECT state, attempt, binding, now() >= expires_at, user_id,
       (extract(epoch FROM created_at) * 1000)::bigint, edition
FROM {orders} WHERE app_id = $1 AND order_no = $2
