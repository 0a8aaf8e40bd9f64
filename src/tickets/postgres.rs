//! [`PostgresTicketHome`]: the access token and SIGN ticket shared through
//! PostgreSQL, in the order store's schema (tables `tickets` and
//! `ticket_leases`, made by its migrations), so that one database is
//! enough for several instances.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::PgPool;

use super::{
    BoxError, LeaseTimings, SharedTickets, StoredTicketPair, TicketHome, UnreadableTicketPair,
};
use crate::orders::{
    PostgresOrderStoreBuilder, PostgresStoreError, postgres_bounded, postgres_checked_schema,
    postgres_millis,
};

/// [`SharedTickets`] through PostgreSQL.
pub type PostgresTickets = SharedTickets<PostgresTicketHome>;

/// The [`TicketHome`] of one app id in PostgreSQL, beside its order store:
/// the pair in
/// `<schema>.tickets`, the refresh lease in `<schema>.ticket_leases` (its
/// holder and expiry, on the database's clock), both made by the order
/// store's migrations ([`PostgresOrderStoreBuilder::migrate`], `faceid
/// migrate`; schema version 3).
///
/// - **The lease**: one `INSERT … ON CONFLICT DO UPDATE … WHERE` takes it
///   when no other holder's lease is alive; a holder that died leaves a
///   lease that lapses after its [`LeaseTimings::lock_ttl`].
/// - **Publish and release** are one statement: the lease row is deleted
///   if this holder still holds it, and only then is the pair written.
/// - **Bounded**: every statement within the order store's
///   [`timeout`](PostgresOrderStoreBuilder::timeout), asked again on a
///   fresh connection when one broke (each is safe to run twice), as the
///   store's own.
///
/// The table holds the token and tickets: grant it to the
/// application's role only, as you would the app secret.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tencent_faceid::client::FaceIdClient;
/// use tencent_faceid::tickets::{PostgresTicketHome, PostgresTickets};
///
/// let client = FaceIdClient::builder("TIDAxxxx", "secret").build()?;
/// use tencent_faceid::orders::{PostgresOrderStore, postgres_pool};
/// use tencent_faceid::tickets::LeaseTimings;
///
/// let pool = postgres_pool("postgres://app@db/app").await?;
/// let store = PostgresOrderStore::builder(pool, client.app_id()).schema("faceid");
/// let home = PostgresTicketHome::new(&store, LeaseTimings::default()).await?;
/// let tickets = PostgresTickets::builder(client, home).build();
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PostgresTicketHome {
    pool: PgPool,
    app_id: String,
    statements: Statements,
    pair_name: String,
    lock_name: String,
    lease: LeaseTimings,
    timeout: Duration,
}

impl PostgresTicketHome {
    /// The home of the pair of `store`'s app id, in `store`'s schema, on
    /// its pool and within its timeout (each statement, a second try
    /// included), the lease living as `lease` says; after checking that
    /// the schema is migrated (to version 3 or later: run
    /// [`PostgresOrderStoreBuilder::migrate`] or `faceid migrate`).
    ///
    /// # Errors
    /// As [`PostgresOrderStoreBuilder::build`].
    pub async fn new(
        store: &PostgresOrderStoreBuilder,
        lease: LeaseTimings,
    ) -> Result<Self, PostgresStoreError> {
        let quoted = postgres_checked_schema(&store.pool, &store.schema).await?;
        let (schema, app_id) = (&store.schema, &store.app_id);
        Ok(Self {
            statements: Statements::new(&quoted),
            pair_name: format!("{schema}.tickets (app id {app_id})"),
            lock_name: format!("{schema}.ticket_leases (app id {app_id})"),
            pool: store.pool.clone(),
            app_id: app_id.clone(),
            lease,
            timeout: store.timeout,
        })
    }
}

/// The home's statements, its schema filled in.
#[derive(Debug)]
struct Statements {
    read: String,
    lock: String,
    publish: String,
    release: String,
}

impl Statements {
    fn new(schema: &str) -> Self {
        Self {
            read: format!("SELECT record FROM {schema}.tickets WHERE app_id = $1"),
            // Taken when free, lapsed, or already this holder's (a retry
            // after a lost reply).
            lock: format!(
                "INSERT INTO {schema}.ticket_leases AS lease (app_id, holder, expires_at) \
                 VALUES ($1, $2, clock_timestamp() + $3::float8 * interval '1 millisecond') \
                 ON CONFLICT (app_id) DO UPDATE \
                 SET holder = excluded.holder, expires_at = excluded.expires_at \
                 WHERE lease.expires_at <= clock_timestamp() OR lease.holder = excluded.holder"
            ),
            publish: format!(
                "WITH released AS ( \
                   DELETE FROM {schema}.ticket_leases WHERE app_id = $1 AND holder = $2 \
                   RETURNING app_id) \
                 INSERT INTO {schema}.tickets (app_id, record, fetched_at, due_at, expires_at) \
                 SELECT app_id, $3, $4, $5, $6 FROM released \
                 ON CONFLICT (app_id) DO UPDATE \
                 SET record = excluded.record, fetched_at = excluded.fetched_at, \
                     due_at = excluded.due_at, expires_at = excluded.expires_at, \
                     published_at = now()"
            ),
            release: format!(
                "DELETE FROM {schema}.ticket_leases WHERE app_id = $1 AND holder = $2"
            ),
        }
    }
}

#[async_trait]
impl TicketHome for PostgresTicketHome {
    async fn read(&self) -> Result<Option<StoredTicketPair>, BoxError> {
        let pair: Option<String> = postgres_bounded(self.timeout, "tickets read", || {
            sqlx::query_scalar(&self.statements.read)
                .bind(&self.app_id)
                .fetch_optional(&self.pool)
        })
        .await?;
        let Some(pair) = pair else {
            return Ok(None);
        };
        let pair = StoredTicketPair::decode(pair.as_bytes())
            .map_err(|error| UnreadableTicketPair::new(&self.pair_name, error))?;
        Ok(Some(pair))
    }

    async fn try_lock(&self, holder: &str) -> Result<bool, BoxError> {
        let ttl = self.lease.ttl().as_secs_f64() * 1000.0;
        let taken = postgres_bounded(self.timeout, "tickets lease", || {
            sqlx::query(&self.statements.lock)
                .bind(&self.app_id)
                .bind(holder)
                .bind(ttl)
                .execute(&self.pool)
        })
        .await?;
        Ok(taken.rows_affected() == 1)
    }

    async fn publish(&self, holder: &str, pair: &StoredTicketPair) -> Result<bool, BoxError> {
        let json = pair.encode();
        let written = postgres_bounded(self.timeout, "tickets publish", || {
            sqlx::query(&self.statements.publish)
                .bind(&self.app_id)
                .bind(holder)
                .bind(json.expose())
                .bind(postgres_millis(pair.fetched_at()))
                .bind(postgres_millis(pair.due_at()))
                .bind(postgres_millis(pair.expires_at()))
                .execute(&self.pool)
        })
        .await?;
        Ok(written.rows_affected() == 1)
    }

    async fn release(&self, holder: &str) -> Result<bool, BoxError> {
        let released = postgres_bounded(self.timeout, "tickets lease release", || {
            sqlx::query(&self.statements.release)
                .bind(&self.app_id)
                .bind(holder)
                .execute(&self.pool)
        })
        .await?;
        Ok(released.rows_affected() == 1)
    }

    fn lock_name(&self) -> &str {
        &self.lock_name
    }

    fn wait_timeout(&self) -> Duration {
        self.lease.wait()
    }
}
