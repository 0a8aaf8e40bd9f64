-- Records a pending order; affects no row when its number is taken by
-- another order. The same put again (its reply was lost) finds its own
-- pending row and affects it: a put is safe to retry.
-- $1 app id, $2 order, $3 user, $4 created ms, $5 binding hex, $6 ttl ms,
-- $7 whether it joins the due index, $8 edition.
INSERT INTO {orders} AS o (app_id, order_no, user_id, created_at, binding, expires_at, due_at, edition)
VALUES ($1, $2, $3, timestamptz 'epoch' + $4 * interval '1 millisecond', $5,
        now() + $6 * interval '1 millisecond',
        CASE WHEN $7 THEN timestamptz 'epoch' + $4 * interval '1 millisecond' END, $8)
ON CONFLICT (app_id, order_no) DO UPDATE SET state = o.state
WHERE o.state = 'pending' AND o.user_id = EXCLUDED.user_id
  AND o.created_at = EXCLUDED.created_at AND o.binding IS NOT DISTINCT FROM EXCLUDED.binding
