//! [`PostgresTicketHome`]: the access token and SIGN ticket shared through
//! PostgreSQL, in the order store's schema (tables `tickets` and
//! `ticket_leases`, made by its migrations), so that one database is
//! enough for several instances.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::postgres::PgPool;

use super::home::{TicketHome, TicketRecord, UnreadableRecord, to_millis};
use super::{BoxError, SharedTickets};
use crate::orders::{
    PostgresOrderStoreBuilder, PostgresStoreError, postgres_bounded, postgres_checked_schema,
};

/// The longest lease time to live or wait accepted (longer ones are cut).
const MAX_SETTING: Duration = Duration::from_secs(24 * 3600);

/// [`SharedTickets`] through PostgreSQL.
pub type PostgresTickets = SharedTickets<PostgresTicketHome>;

/// The [`TicketHome`] of one app id in PostgreSQL: the pair in
/// `<schema>.tickets`, the refresh lease in `<schema>.ticket_leases` (its
/// holder and expiry, on the database's clock), both made by the order
/// store's migrations ([`PostgresOrderStoreBuilder::migrate`], `faceid
/// migrate`; schema version 3).
///
/// - **The lease**: one `INSERT … ON CONFLICT DO UPDATE … WHERE` takes it
///   when no other holder's lease is alive; a holder that died leaves a
///   lease that lapses after [`lock_ttl`](PostgresTicketHomeBuilder::lock_ttl).
/// - **Publish and release** are one statement: the lease row is deleted
///   if this holder still holds it, and only then is the pair written.
/// - **Bounded**: every statement within the
///   [`timeout`](PostgresTicketHomeBuilder::timeout), asked again on a
///   fresh connection when one broke (each is safe to run twice), as the
///   order store's.
///
/// The record holds the token and tickets: grant the table to the
/// application's role only, as you would the app secret.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tencent_faceid::client::FaceIdClient;
/// use tencent_faceid::tickets::{PostgresTicketHome, PostgresTickets};
///
/// let client = FaceIdClient::builder("TIDAxxxx", "secret").build()?;
/// let pool = tencent_faceid::orders::postgres_pool("postgres://app@db/app").await?;
/// let home = PostgresTicketHome::builder(pool, client.app_id()).schema("faceid").build().await?;
/// let tickets = PostgresTickets::builder(client, home).build();
/// # Ok(()) }
/// ```
pub struct PostgresTicketHome {
    pool: PgPool,
    app_id: String,
    statements: Statements,
    record_name: String,
    lock_name: String,
    lock_ttl: Duration,
    wait_timeout: Duration,
    timeout: Duration,
}

impl PostgresTicketHome {
    /// Starts configuring the home of `app_id`'s pair in the database of
    /// `pool`.
    pub fn builder(pool: PgPool, app_id: impl Into<String>) -> PostgresTicketHomeBuilder {
        PostgresTicketHomeBuilder {
            pool,
            app_id: app_id.into(),
            schema: PostgresOrderStoreBuilder::DEFAULT_SCHEMA.to_owned(),
            lock_ttl: Duration::from_secs(30),
            wait_timeout: Duration::from_secs(10),
            timeout: PostgresOrderStoreBuilder::DEFAULT_TIMEOUT,
        }
    }
}

impl fmt::Debug for PostgresTicketHome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresTicketHome")
            .field("app_id", &self.app_id)
            .field("lock", &self.lock_name)
            .field("lock_ttl", &self.lock_ttl)
            .field("wait_timeout", &self.wait_timeout)
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

/// Configures a [`PostgresTicketHome`]; from [`PostgresTicketHome::builder`].
#[derive(Debug, Clone)]
pub struct PostgresTicketHomeBuilder {
    pool: PgPool,
    app_id: String,
    schema: String,
    lock_ttl: Duration,
    wait_timeout: Duration,
    timeout: Duration,
}

impl PostgresTicketHomeBuilder {
    /// The order store's schema, which holds the tables; default `faceid`.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = schema.into();
        self
    }

    /// How long the refresh lease lives if its holder dies mid-refresh;
    /// default 30 s, at least 1 ms, at most a day. Keep it above the
    /// longest refresh (two vendor calls, each up to the client's timeout).
    pub fn lock_ttl(mut self, lock_ttl: Duration) -> Self {
        self.lock_ttl = lock_ttl.clamp(Duration::from_millis(1), MAX_SETTING);
        self
    }

    /// How long a call with no valid ticket waits for another instance's
    /// refresh before failing; default 10 s, at most a day.
    pub fn wait_timeout(mut self, wait_timeout: Duration) -> Self {
        self.wait_timeout = wait_timeout.min(MAX_SETTING);
        self
    }

    /// How long one statement may take, a second try on a fresh
    /// connection included; default 5 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Builds the home, after checking that the schema is migrated (to
    /// version 3 or later: run
    /// [`PostgresOrderStoreBuilder::migrate`] or `faceid migrate`).
    ///
    /// # Errors
    /// As [`PostgresOrderStoreBuilder::build`].
    pub async fn build(self) -> Result<PostgresTicketHome, PostgresStoreError> {
        let quoted = postgres_checked_schema(&self.pool, &self.schema).await?;
        Ok(PostgresTicketHome {
            statements: Statements::new(&quoted),
            record_name: format!("{}.tickets (app id {})", self.schema, self.app_id),
            lock_name: format!("{}.ticket_leases (app id {})", self.schema, self.app_id),
            pool: self.pool,
            app_id: self.app_id,
            lock_ttl: self.lock_ttl,
            wait_timeout: self.wait_timeout,
            timeout: self.timeout,
        })
    }
}

/// The home's statements, its schema filled in.
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

/// Unix milliseconds as PostgreSQL's `bigint`.
fn bigint(time: std::time::SystemTime) -> i64 {
    i64::try_from(to_millis(time)).unwrap_or(i64::MAX)
}

#[async_trait]
impl TicketHome for PostgresTicketHome {
    async fn read(&self) -> Result<Option<TicketRecord>, BoxError> {
        let record: Option<String> = postgres_bounded(self.timeout, "tickets read", || {
            sqlx::query_scalar(&self.statements.read)
                .bind(&self.app_id)
                .fetch_optional(&self.pool)
        })
        .await?;
        let Some(record) = record else {
            return Ok(None);
        };
        let record = TicketRecord::decode(record.as_bytes())
            .map_err(|error| UnreadableRecord::new(&self.record_name, error))?;
        Ok(Some(record))
    }

    async fn try_lock(&self, holder: &str) -> Result<bool, BoxError> {
        let ttl = self.lock_ttl.as_secs_f64() * 1000.0;
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

    async fn publish(&self, holder: &str, record: &TicketRecord) -> Result<bool, BoxError> {
        let json = record.encode();
        let written = postgres_bounded(self.timeout, "tickets publish", || {
            sqlx::query(&self.statements.publish)
                .bind(&self.app_id)
                .bind(holder)
                .bind(json.expose())
                .bind(bigint(record.fetched_at()))
                .bind(bigint(record.due_at()))
                .bind(bigint(record.expires_at()))
                .execute(&self.pool)
        })
        .await?;
        Ok(written.rows_affected() == 1)
    }

    async fn release(&self, holder: &str) {
        let released = postgres_bounded(self.timeout, "tickets lease release", || {
            sqlx::query(&self.statements.release)
                .bind(&self.app_id)
                .bind(holder)
                .execute(&self.pool)
        })
        .await;
        match released {
            Ok(done) if done.rows_affected() == 1 => {
                tracing::debug!(lock = %self.lock_name, "released the refresh lease")
            }
            Ok(_) => {
                tracing::warn!(lock = %self.lock_name, "the refresh lease was taken by another instance before it was released; raise lock_ttl")
            }
            Err(error) => {
                tracing::warn!(lock = %self.lock_name, %error, "could not release the refresh lease; it lapses after its time to live")
            }
        }
    }

    fn lock_name(&self) -> &str {
        &self.lock_name
    }

    fn wait_timeout(&self) -> Duration {
        self.wait_timeout
    }
}
