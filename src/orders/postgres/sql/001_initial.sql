-- tencent-faceid PostgresOrderStore, schema version 1.
-- `{schema}` stands for the store's schema (default faceid), quoted.

-- Pending and consumed orders, one row per (app id, order number).
CREATE TABLE IF NOT EXISTS {schema}.orders (
    app_id      text        NOT NULL,
    order_no    text        NOT NULL,
    user_id     text        NOT NULL,
    -- When the session was started (this server's clock, to the ms).
    created_at  timestamptz NOT NULL,
    -- Hex SHA-1 of the browser binding value, if any.
    binding     text,
    -- The edition the session was started in: basic, enhanced or sdk.
    edition     text        NOT NULL DEFAULT 'basic',
    -- Until when a callback may consume it (the database's clock).
    expires_at  timestamptz NOT NULL,
    state       text        NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'consumed')),
    -- The attempt id of the claim that consumed it.
    attempt     bigint,
    consumed_at timestamptz,
    -- The reconciler's due index: when to look at it next; NULL once
    -- settled and delivered (or never indexed).
    due_at      timestamptz,
    PRIMARY KEY (app_id, order_no)
);

CREATE INDEX IF NOT EXISTS orders_due ON {schema}.orders (app_id, due_at)
    WHERE due_at IS NOT NULL;

-- The settlement log: every settlement, written in the transaction that
-- consumes its order. No name, no id number: the user id only.
CREATE TABLE IF NOT EXISTS {schema}.settlements (
    app_id           text        NOT NULL,
    order_no         text        NOT NULL,
    user_id          text        NOT NULL,
    -- When the order's session was started.
    order_created_at timestamptz NOT NULL,
    -- passed, failed or abandoned; the vendor's code when failed.
    state            text,
    code             text,
    -- callback or reconciler.
    settled_by       text,
    settled_at       timestamptz NOT NULL,
    -- Settlement::idempotency_key.
    idempotency_key  text        GENERATED ALWAYS AS ('faceid-settlement-' || order_no) STORED,
    -- The SettlementRecord as JSON (what the store reads back); the columns
    -- above repeat its state, code, path and time for SQL reports.
    record           text        NOT NULL,
    -- When the on_settled hook took it; NULL while undelivered.
    delivered_at     timestamptz,
    PRIMARY KEY (app_id, order_no)
);

CREATE INDEX IF NOT EXISTS settlements_by_time ON {schema}.settlements (app_id, settled_at);
