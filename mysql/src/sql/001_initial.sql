-- tencent-faceid-mysql MySqlOrderStore, schema version 1 (MySQL 5.7+,
-- MariaDB 10.6+). `{prefix}` stands for the tables' prefix (default
-- faceid_). Every time is milliseconds since the Unix epoch (UTC), on the
-- database's clock unless said otherwise: FROM_UNIXTIME(t / 1000) reads one.
-- One statement per `;` line end: the store runs them one by one.

-- Pending and consumed orders, one row per (app id, order number).
CREATE TABLE IF NOT EXISTS `{prefix}orders` (
    app_id      VARCHAR(64)  NOT NULL,
    order_no    VARCHAR(64)  NOT NULL,
    -- Emptied when the order shrinks to a tombstone.
    user_id     VARCHAR(64)  NOT NULL,
    -- When the session was started (this server's clock).
    created_at  BIGINT       NOT NULL,
    -- Hex SHA-1 of the browser binding value, if any.
    binding     CHAR(40)     NULL,
    -- The edition the session was started in: basic, enhanced or sdk.
    edition     VARCHAR(16)  NOT NULL DEFAULT 'basic',
    -- Until when a callback may consume it.
    expires_at  BIGINT       NOT NULL,
    state       VARCHAR(8)   NOT NULL DEFAULT 'pending',
    -- The attempt id of the claim that consumed it.
    attempt     BIGINT       NULL,
    consumed_at BIGINT       NULL,
    -- The reconciler's due index: when to look at it next; NULL once
    -- settled and delivered.
    due_at      BIGINT       NULL,
    -- The lease of MySQL 5.7 (no SKIP LOCKED): the token of the reconciler
    -- that took the order last.
    lease_owner BIGINT       NULL,
    PRIMARY KEY (app_id, order_no),
    KEY orders_due (app_id, due_at),
    KEY orders_by_user (app_id, user_id),
    KEY orders_consumed (app_id, state, consumed_at),
    KEY orders_by_start (app_id, created_at),
    KEY orders_lease (app_id, lease_owner)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The settlement log: every settlement, written in the transaction that
-- consumes its order. No name, no id number: the user id only.
CREATE TABLE IF NOT EXISTS `{prefix}settlements` (
    app_id           VARCHAR(64)  NOT NULL,
    order_no         VARCHAR(64)  NOT NULL,
    user_id          VARCHAR(64)  NOT NULL,
    -- When the order's session was started.
    order_created_at BIGINT       NOT NULL,
    -- passed, failed or abandoned; the vendor's code when failed.
    state            VARCHAR(16)  NULL,
    code             VARCHAR(32)  NULL,
    -- callback or reconciler.
    settled_by       VARCHAR(16)  NULL,
    settled_at       BIGINT       NOT NULL,
    -- Settlement::idempotency_key.
    idempotency_key  VARCHAR(200) NOT NULL,
    -- The SettlementRecord as JSON (what the store reads back); the columns
    -- above repeat its state, code, path and time for SQL reports.
    record           TEXT         NOT NULL,
    -- When the on_settled hook took it; NULL while undelivered.
    delivered_at     BIGINT       NULL,
    PRIMARY KEY (app_id, order_no),
    KEY settlements_by_time (app_id, settled_at),
    KEY settlements_by_user (app_id, user_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- Users under a legal hold: nothing of theirs is purged or erased.
CREATE TABLE IF NOT EXISTS `{prefix}holds` (
    app_id  VARCHAR(64) NOT NULL,
    user_id VARCHAR(64) NOT NULL,
    held_at BIGINT      NOT NULL,
    PRIMARY KEY (app_id, user_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The record of every erasure: when, and how much; never whose.
CREATE TABLE IF NOT EXISTS `{prefix}erasures` (
    id          BIGINT      NOT NULL AUTO_INCREMENT PRIMARY KEY,
    app_id      VARCHAR(64) NOT NULL,
    erased_at   BIGINT      NOT NULL,
    -- Pending orders removed, consumed orders anonymised, settlements removed.
    orders      BIGINT      NOT NULL,
    anonymised  BIGINT      NOT NULL,
    settlements BIGINT      NOT NULL,
    KEY erasures_by_time (app_id, erased_at)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
