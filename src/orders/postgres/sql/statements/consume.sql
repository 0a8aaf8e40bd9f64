-- The consume, in one statement: only a pending order within its time to
-- live (or past it, for $5), bound to the claim's binding when it carries
-- one, becomes consumed, and only while the caller still waits ($11); its
-- settlement, if any, is logged in the same statement. Answers no row for
-- an unknown order, else whether this statement consumed it (`won`), the
-- order as it was before (state, attempt, binding, expired, user, created
-- ms, edition) to say why not, and whether the caller's deadline passed.
-- $1 app id, $2 order, $3 attempt, $4 claim's binding hex, $5 past the
-- deadline allowed, $6 settlement record, $7 state, $8 code, $9 settled
-- by, $10 settled at ms, $11 the caller's deadline ms.
WITH found AS (
    SELECT state, attempt, binding, now() >= expires_at AS expired, user_id, created_at, edition
    FROM {orders} WHERE app_id = $1 AND order_no = $2
), claimed AS (
    UPDATE {orders} SET state = 'consumed', attempt = $3, consumed_at = now()
    WHERE app_id = $1 AND order_no = $2 AND state = 'pending'
      AND ($5 OR now() < expires_at)
      AND ($4::text IS NULL OR binding = $4::text)
      AND clock_timestamp() < timestamptz 'epoch' + $11::bigint * interval '1 millisecond'
    RETURNING user_id, created_at
), logged AS (
    INSERT INTO {settlements} (app_id, order_no, user_id, order_created_at, state, code,
                               settled_by, settled_at, record)
    SELECT $1, $2, user_id, created_at, $7, $8, $9,
           coalesce(timestamptz 'epoch' + $10::bigint * interval '1 millisecond', now()), $6
    FROM claimed WHERE $6::text IS NOT NULL
)
SELECT EXISTS (SELECT FROM claimed), state, attempt, binding, expired, user_id,
       (extract(epoch FROM created_at) * 1000)::bigint, edition,
       clock_timestamp() >= timestamptz 'epoch' + $11::bigint * interval '1 millisecond'
FROM found
