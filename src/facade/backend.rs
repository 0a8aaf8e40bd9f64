//! [`Backend`]: where a [`FaceId`](super::FaceId) keeps its orders, chosen
//! once by one rule from what the builder was told ([`BackendSettings`]),
//! and the tickets that go with it.

use std::sync::Arc;

use super::FaceIdError;
use super::database::{DatabaseConnector, DatabaseSettings};
use crate::client::FaceIdClient;
use crate::orders::{MemoryOrderStore, SettlementStore};
use crate::tickets::{CachedTickets, TicketProvider};

/// What the builder's store, Redis and database setters said, before the
/// rule of [`BackendSettings::choose`] picks one [`Backend`].
#[derive(Default)]
pub(super) struct BackendSettings {
    /// [`FaceIdBuilder::store`](super::FaceIdBuilder::store).
    pub(super) store: Option<Arc<dyn SettlementStore>>,
    /// [`FaceIdBuilder::tickets`](super::FaceIdBuilder::tickets).
    pub(super) tickets: Option<Arc<dyn TicketProvider>>,
    /// The PostgreSQL store's URL or pool and bounds (feature `postgres`).
    #[cfg(feature = "postgres")]
    pub(super) postgres: super::postgres::PostgresSettings,
    /// [`FaceIdBuilder::database`](super::FaceIdBuilder::database).
    pub(super) database: Option<DatabaseSettings>,
    /// The connectors that open [`Self::database`].
    pub(super) connectors: Vec<Arc<dyn DatabaseConnector>>,
    /// The Redis topology and key prefix (feature `redis`).
    #[cfg(feature = "redis")]
    pub(super) redis: super::redis::RedisSettings,
}

/// Where the orders are kept.
pub(super) enum Backend {
    /// A store of the caller's.
    Given(Arc<dyn SettlementStore>),
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(super::postgres::PostgresSettings),
    /// A database a connector of another crate opens (MySQL).
    Database(DatabaseSettings, Vec<Arc<dyn DatabaseConnector>>),
    /// Redis.
    #[cfg(feature = "redis")]
    Redis(super::redis::Redis),
    /// This process' memory.
    Memory,
}

/// The store and tickets a [`Backend`] connected.
pub(super) struct Connected {
    pub(super) store: Arc<dyn SettlementStore>,
    pub(super) tickets: Arc<dyn TicketProvider>,
}

/// Where the tickets come from besides the chosen backend.
struct TicketSource {
    /// The caller's.
    given: Option<Arc<dyn TicketProvider>>,
    /// A configured Redis the orders do not live in.
    #[cfg(feature = "redis")]
    redis: Option<super::redis::Redis>,
}

impl TicketSource {
    /// Whether the chosen backend is to share the tickets: nothing else
    /// provides them.
    fn wanted_from_backend(&self) -> bool {
        #[cfg(feature = "redis")]
        let redis = self.redis.is_some();
        #[cfg(not(feature = "redis"))]
        let redis = false;
        self.given.is_none() && !redis
    }
}

impl BackendSettings {
    /// The one rule: a store of the caller's wins, else PostgreSQL, else a
    /// connector's database, else Redis, else memory. The tickets follow
    /// it: the caller's win, else Redis's when Redis is configured, else
    /// the chosen database's, else [`CachedTickets`] on the client.
    fn choose(self) -> (Backend, TicketSource) {
        #[cfg(feature = "redis")]
        let mut redis = self.redis.configured();
        let backend = 'chosen: {
            if let Some(store) = self.store {
                break 'chosen Backend::Given(store);
            }
            #[cfg(feature = "postgres")]
            if self.postgres.is_configured() {
                break 'chosen Backend::Postgres(self.postgres);
            }
            if let Some(database) = self.database {
                break 'chosen Backend::Database(database, self.connectors);
            }
            #[cfg(feature = "redis")]
            if let Some(redis) = redis.take() {
                break 'chosen Backend::Redis(redis);
            }
            Backend::Memory
        };
        let tickets = TicketSource {
            given: self.tickets,
            #[cfg(feature = "redis")]
            redis,
        };
        (backend, tickets)
    }

    /// Chooses the backend and connects it, with the tickets that go with
    /// it.
    pub(super) async fn connect(self, client: &FaceIdClient) -> Result<Connected, FaceIdError> {
        let (backend, source) = self.choose();
        let share = source.wanted_from_backend();
        let (store, shared) = match backend {
            Backend::Given(store) => (store, None),
            #[cfg(feature = "postgres")]
            Backend::Postgres(postgres) => postgres.open(client, share).await?,
            Backend::Database(database, connectors) => {
                database.open(&connectors, client, share).await?
            }
            #[cfg(feature = "redis")]
            Backend::Redis(redis) => redis.open(client, share).await?,
            Backend::Memory => (Arc::new(MemoryOrderStore::new()) as _, None),
        };
        #[cfg(feature = "redis")]
        let from_redis = match (&source.given, source.redis) {
            (None, Some(redis)) => Some(redis.tickets(client).await?),
            _ => None,
        };
        #[cfg(not(feature = "redis"))]
        let from_redis = None;
        let tickets = source.given.or(from_redis).or(shared);
        let tickets =
            tickets.unwrap_or_else(|| Arc::new(CachedTickets::builder(client.clone()).build()));
        Ok(Connected { store, tickets })
    }
}
