//! The Redis tickets and order store the facade makes (feature `redis`):
//! from a topology and a key prefix, connected and probed once.

use std::sync::Arc;

use super::FaceIdError;
use super::database::DatabaseParts;
use crate::client::FaceIdClient;
use crate::orders::{RedisOrderStore, SettlementStore};
use crate::redis::{DEFAULT_PREFIX, RedisConnection, RedisTopology};
use crate::tickets::{RedisTickets, TicketProvider};

/// What [`FaceIdBuilder::redis_topology`](super::FaceIdBuilder::redis_topology)
/// and [`FaceIdBuilder::redis_prefix`](super::FaceIdBuilder::redis_prefix)
/// said, in either order.
#[derive(Debug, Default)]
pub(super) struct RedisSettings {
    pub(super) topology: Option<RedisTopology>,
    pub(super) prefix: Option<String>,
}

/// A configured Redis, not connected yet.
pub(super) struct Redis {
    topology: RedisTopology,
    prefix: String,
}

impl RedisSettings {
    /// The Redis these settings configure, if any.
    pub(super) fn configured(self) -> Option<Redis> {
        let prefix = self.prefix.unwrap_or_else(|| DEFAULT_PREFIX.to_owned());
        let topology = self.topology?;
        Some(Redis { topology, prefix })
    }
}

impl Redis {
    /// Connects, and probes the capabilities the tickets and store need.
    async fn connect(&self, client: &FaceIdClient) -> Result<RedisConnection, FaceIdError> {
        let connection = self.topology.connect().await?;
        let probe_key = format!("{}{{{}}}:probe", self.prefix, client.app_id());
        crate::redis::probe(&connection, &probe_key, false).await?;
        Ok(connection)
    }

    /// The order store, and the tickets too when `tickets`.
    pub(super) async fn open(
        self,
        client: &FaceIdClient,
        tickets: bool,
    ) -> Result<DatabaseParts, FaceIdError> {
        let connection = self.connect(client).await?;
        let shared = tickets.then(|| self.tickets_on(client, connection.clone()));
        let store = RedisOrderStore::builder(connection, client.app_id());
        let store: Arc<dyn SettlementStore> = Arc::new(store.prefix(&self.prefix).build());
        Ok((store, shared))
    }

    /// The tickets alone.
    pub(super) async fn tickets(
        self,
        client: &FaceIdClient,
    ) -> Result<Arc<dyn TicketProvider>, FaceIdError> {
        let connection = self.connect(client).await?;
        Ok(self.tickets_on(client, connection))
    }

    fn tickets_on(
        &self,
        client: &FaceIdClient,
        connection: RedisConnection,
    ) -> Arc<dyn TicketProvider> {
        let tickets = RedisTickets::builder(client.clone(), connection);
        Arc::new(tickets.prefix(&self.prefix).build())
    }
}
