-- tencent-faceid PostgresOrderStore, schema version 3: the access token and
-- SIGN ticket every instance shares (PostgresTicketHome), so that one
-- database is enough for several instances.
-- `{schema}` stands for the store's schema, quoted.

-- The pair last published, one row per app id. `record` is a JSON document
-- holding the token and tickets: a secret, as the app secret is. The times
-- are Unix milliseconds of the publishing server's clock.
CREATE TABLE IF NOT EXISTS {schema}.tickets (
    app_id       text        PRIMARY KEY,
    record       text        NOT NULL,
    fetched_at   bigint      NOT NULL,
    -- When the publishing instance replaces it.
    due_at       bigint      NOT NULL,
    -- When the last of its token and tickets ends.
    expires_at   bigint      NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now()
);

-- The lease of the one instance replacing the pair, one row per app id:
-- its holder (random per attempt) and until when (the database's clock).
CREATE TABLE IF NOT EXISTS {schema}.ticket_leases (
    app_id     text        PRIMARY KEY,
    holder     text        NOT NULL,
    expires_at timestamptz NOT NULL
);
