//! [`MySqlTicketHome`]: the access token and SIGN ticket of
//! `tencent_faceid` shared through MySQL or MariaDB (tables
//! `<prefix>tickets` and `<prefix>ticket_leases`, made by the store's
//! migrations), so that one database is enough for several instances.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::mysql::MySqlPool;
use tencent_faceid::tickets::{
    BoxError, LeaseTimings, SharedTickets, StoredTicketPair, TicketHome, UnreadableTicketPair,
};

use crate::bounded::bounded;
use crate::migrate::{self, checked};
use crate::millis;
use crate::sql_time::NOW_MS;
use crate::{MySqlOrderStoreBuilder, MySqlStoreError};

/// `tencent_faceid`'s [`SharedTickets`] through MySQL or MariaDB.
pub type MySqlTickets = SharedTickets<MySqlTicketHome>;

/// The [`TicketHome`] of one app id in MySQL or MariaDB, beside its order
/// store: the pair in
/// `<prefix>tickets`, the refresh lease in `<prefix>ticket_leases` (its
/// holder and expiry, on the database's clock), both made by the store's
/// migrations ([`MySqlOrderStoreBuilder::migrate`]; schema version 2).
///
/// - **The lease**: one `INSERT … ON DUPLICATE KEY UPDATE` takes it when no
///   other holder's lease is alive (a holder that died leaves a lease that
///   lapses after its [`LeaseTimings::lock_ttl`]), then the holder is read
///   back.
/// - **Publish and release** are one transaction: the lease row deleted if
///   this holder still holds it, and only then the pair written.
/// - **Bounded**: every call within the order store's
///   [`timeout`](MySqlOrderStoreBuilder::timeout), asked again on a fresh
///   connection when one broke or MySQL rolled it back, as the store's
///   own.
///
/// The table holds the token and tickets: grant it to the
/// application's user only, as you would the app secret.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tencent_faceid::client::FaceIdClient;
/// use tencent_faceid::tickets::LeaseTimings;
/// use tencent_faceid_mysql::{MySqlOrderStore, MySqlTicketHome, MySqlTickets, mysql_pool};
///
/// let client = FaceIdClient::builder("TIDAxxxx", "secret").build()?;
/// let pool = mysql_pool("mysql://app:secret@db/app").await?;
/// let store = MySqlOrderStore::builder(pool, client.app_id());
/// let home = MySqlTicketHome::new(&store, LeaseTimings::default()).await?;
/// let tickets = MySqlTickets::builder(client, home).build();
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MySqlTicketHome {
    pool: MySqlPool,
    app_id: String,
    statements: Statements,
    pair_name: String,
    lock_name: String,
    lease: LeaseTimings,
    timeout: Duration,
}

impl MySqlTicketHome {
    /// The home of the pair of `store`'s app id, beside `store`'s tables
    /// (its prefix), on its pool and within its timeout (each call, a
    /// second try included), the lease living as `lease` says; after
    /// checking that the tables are migrated.
    ///
    /// # Errors
    /// As [`MySqlOrderStoreBuilder::build`].
    pub async fn new(
        store: &MySqlOrderStoreBuilder,
        lease: LeaseTimings,
    ) -> Result<Self, MySqlStoreError> {
        migrate::check(&store.pool, &store.prefix).await?;
        let (prefix, app_id) = (checked(&store.prefix)?, &store.app_id);
        Ok(Self {
            statements: Statements::new(prefix),
            pair_name: format!("{prefix}tickets (app id {app_id})"),
            lock_name: format!("{prefix}ticket_leases (app id {app_id})"),
            pool: store.pool.clone(),
            app_id: app_id.clone(),
            lease,
            timeout: store.timeout,
        })
    }
}

/// The home's statements, its prefix filled in.
#[derive(Debug)]
struct Statements {
    read: String,
    lock: String,
    holder: String,
    release: String,
    write: String,
}

impl Statements {
    fn new(prefix: &str) -> Self {
        Self {
            read: format!("SELECT record FROM `{prefix}tickets` WHERE app_id = ?"),
            // Taken when free, lapsed, or already this holder's (a retry
            // after a lost reply). MySQL assigns left to right: the expiry
            // moves only if the holder is now this one.
            lock: format!(
                "INSERT INTO `{prefix}ticket_leases` (app_id, holder, expires_at) \
                 VALUES (?, ?, {NOW_MS} + ?) \
                 ON DUPLICATE KEY UPDATE \
                 holder = IF(expires_at <= {NOW_MS} OR holder = VALUES(holder), VALUES(holder), holder), \
                 expires_at = IF(holder = VALUES(holder), VALUES(expires_at), expires_at)"
            ),
            holder: format!("SELECT holder FROM `{prefix}ticket_leases` WHERE app_id = ?"),
            release: format!("DELETE FROM `{prefix}ticket_leases` WHERE app_id = ? AND holder = ?"),
            write: format!(
                "INSERT INTO `{prefix}tickets` \
                 (app_id, record, fetched_at, due_at, expires_at, published_at) \
                 VALUES (?, ?, ?, ?, ?, {NOW_MS}) \
                 ON DUPLICATE KEY UPDATE record = VALUES(record), \
                 fetched_at = VALUES(fetched_at), due_at = VALUES(due_at), \
                 expires_at = VALUES(expires_at), published_at = VALUES(published_at)"
            ),
        }
    }
}

impl MySqlTicketHome {
    /// Deletes the lease if `holder` holds it and then, with `pair`,
    /// writes the pair, in one transaction: whether the lease was held.
    async fn release_and_write(
        &self,
        holder: &str,
        pair: Option<&StoredTicketPair>,
    ) -> Result<bool, MySqlStoreError> {
        let mut transaction = self.pool.begin().await?;
        let released = sqlx::query(&self.statements.release)
            .bind(&self.app_id)
            .bind(holder)
            .execute(&mut *transaction)
            .await?;
        let held = released.rows_affected() == 1;
        if let (true, Some(pair)) = (held, pair) {
            sqlx::query(&self.statements.write)
                .bind(&self.app_id)
                .bind(pair.encode().expose())
                .bind(millis(pair.fetched_at()))
                .bind(millis(pair.due_at()))
                .bind(millis(pair.expires_at()))
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(held)
    }
}

#[async_trait]
impl TicketHome for MySqlTicketHome {
    async fn read(&self) -> Result<Option<StoredTicketPair>, BoxError> {
        let pair: Option<Vec<u8>> = bounded(self.timeout, "tickets read", || async {
            let read = sqlx::query_scalar(&self.statements.read).bind(&self.app_id);
            Ok(read.fetch_optional(&self.pool).await?)
        })
        .await?;
        let Some(pair) = pair else {
            return Ok(None);
        };
        let pair = StoredTicketPair::decode(&pair)
            .map_err(|error| UnreadableTicketPair::new(&self.pair_name, error))?;
        Ok(Some(pair))
    }

    async fn try_lock(&self, holder: &str) -> Result<bool, BoxError> {
        let ttl = i64::try_from(self.lease.ttl().as_millis()).unwrap_or(i64::MAX);
        let held: Option<Vec<u8>> = bounded(self.timeout, "tickets lease", || async {
            sqlx::query(&self.statements.lock)
                .bind(&self.app_id)
                .bind(holder)
                .bind(ttl)
                .execute(&self.pool)
                .await?;
            let read = sqlx::query_scalar(&self.statements.holder).bind(&self.app_id);
            Ok(read.fetch_optional(&self.pool).await?)
        })
        .await?;
        Ok(held.as_deref() == Some(holder.as_bytes()))
    }

    async fn publish(&self, holder: &str, pair: &StoredTicketPair) -> Result<bool, BoxError> {
        let published = bounded(self.timeout, "tickets publish", || {
            self.release_and_write(holder, Some(pair))
        });
        Ok(published.await?)
    }

    async fn release(&self, holder: &str) -> Result<bool, BoxError> {
        let released = bounded(self.timeout, "tickets lease release", || {
            self.release_and_write(holder, None)
        });
        Ok(released.await?)
    }

    fn lock_name(&self) -> &str {
        &self.lock_name
    }

    fn wait_timeout(&self) -> Duration {
        self.lease.wait()
    }
}
