-- tencent-faceid-mysql, schema version 2: the access token and SIGN ticket
-- every instance shares (MySqlTicketHome), so that one database is enough
-- for several instances. `{prefix}` stands for the tables' prefix.

-- The pair last published, one row per app id. `record` is a JSON document
-- holding the token and tickets: a secret, as the app secret is. Its times
-- are the publishing server's clock.
CREATE TABLE IF NOT EXISTS `{prefix}tickets` (
    app_id       VARCHAR(64) NOT NULL PRIMARY KEY,
    record       TEXT        NOT NULL,
    fetched_at   BIGINT      NOT NULL,
    -- When the publishing instance replaces it.
    due_at       BIGINT      NOT NULL,
    -- When the last of its token and tickets ends.
    expires_at   BIGINT      NOT NULL,
    -- The database's clock.
    published_at BIGINT      NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;

-- The lease of the one instance replacing the pair, one row per app id:
-- its holder (random per attempt) and until when (the database's clock).
CREATE TABLE IF NOT EXISTS `{prefix}ticket_leases` (
    app_id     VARCHAR(64) NOT NULL PRIMARY KEY,
    holder     VARCHAR(64) NOT NULL,
    expires_at BIGINT      NOT NULL
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin;
