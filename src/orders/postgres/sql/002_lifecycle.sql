-- tencent-faceid PostgresOrderStore, schema version 2: the data lifecycle.
-- `{schema}` stands for the store's schema, quoted.

-- Users under a legal hold: nothing of theirs is purged or erased.
CREATE TABLE IF NOT EXISTS {schema}.holds (
    app_id  text        NOT NULL,
    user_id text        NOT NULL,
    held_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (app_id, user_id)
);

-- The record of every erasure: when, and how much; never whose.
CREATE TABLE IF NOT EXISTS {schema}.erasures (
    app_id      text        NOT NULL,
    erased_at   timestamptz NOT NULL DEFAULT now(),
    -- Pending orders removed, consumed orders anonymised, settlements removed.
    orders      bigint      NOT NULL,
    anonymised  bigint      NOT NULL,
    settlements bigint      NOT NULL
);

CREATE INDEX IF NOT EXISTS erasures_by_time ON {schema}.erasures (app_id, erased_at);

-- Settlement::idempotency_key holds the app id: two apps sharing a
-- consumer table never collide.
ALTER TABLE {schema}.settlements DROP COLUMN idempotency_key;
ALTER TABLE {schema}.settlements ADD COLUMN idempotency_key text
    GENERATED ALWAYS AS ('faceid-settlement-' || app_id || '-' || order_no) STORED;

-- Erasure finds a user's rows without a scan.
CREATE INDEX IF NOT EXISTS orders_by_user ON {schema}.orders (app_id, user_id);
CREATE INDEX IF NOT EXISTS settlements_by_user ON {schema}.settlements (app_id, user_id);

-- The purge's batches, oldest first, each an index range: settled orders
-- still holding their user, every consumed order (tombstones), every
-- order by its start (the optional cap on pending ones). No index here is
-- partial on `state = 'pending'`: the guarded consume's generic plan took
-- such an index over the primary key, and scanned every pending order.
CREATE INDEX IF NOT EXISTS orders_identified ON {schema}.orders (app_id, consumed_at)
    WHERE state = 'consumed' AND user_id <> '';
CREATE INDEX IF NOT EXISTS orders_consumed ON {schema}.orders (app_id, consumed_at)
    WHERE state = 'consumed';
CREATE INDEX IF NOT EXISTS orders_by_start ON {schema}.orders (app_id, created_at);
-- The few settlements not yet delivered, whose orders the purge keeps.
CREATE INDEX IF NOT EXISTS settlements_undelivered ON {schema}.settlements (app_id, order_no)
    WHERE delivered_at IS NULL;
