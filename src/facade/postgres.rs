//! The PostgreSQL order store the facade makes (feature `postgres`): from
//! a URL or a pool of the user's, with the pool's and the store's bounds.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgPool;

use super::FaceIdError;
use super::database::DatabaseParts;
use crate::client::FaceIdClient;
use crate::orders::{PostgresOrderStore, PostgresPoolOptions};
use crate::tickets::{LeaseTimings, PostgresTicketHome, PostgresTickets, TicketProvider};

/// What [`FaceIdBuilder::postgres`](super::FaceIdBuilder::postgres) and its
/// siblings set.
#[derive(Debug, Default)]
pub(super) struct PostgresSettings {
    pub(super) url: Option<String>,
    pub(super) pool: Option<PgPool>,
    pub(super) schema: Option<String>,
    pub(super) pool_options: PostgresPoolOptions,
    pub(super) timeout: Option<Duration>,
}

impl PostgresSettings {
    /// Whether a URL or a pool says where PostgreSQL is.
    pub(super) fn is_configured(&self) -> bool {
        self.url.is_some() || self.pool.is_some()
    }

    /// The store of `client`'s app id (for settings that
    /// [are configured](Self::is_configured)): a pool of the user's as it
    /// is, else one connected to the URL with the pool options; and with
    /// `tickets`, the pair shared through the same schema. Checks that the
    /// schema is migrated.
    pub(super) async fn open(
        self,
        client: &FaceIdClient,
        tickets: bool,
    ) -> Result<DatabaseParts, FaceIdError> {
        let pool = match self.pool {
            Some(pool) => pool,
            None => {
                let url = self.url.unwrap_or_default();
                self.pool_options.connect(&url).await?
            }
        };
        let mut store = PostgresOrderStore::builder(pool, client.app_id());
        if let Some(schema) = self.schema {
            store = store.schema(schema);
        }
        if let Some(timeout) = self.timeout {
            store = store.timeout(timeout);
        }
        let tickets = match tickets {
            true => {
                let home = PostgresTicketHome::new(&store, LeaseTimings::default()).await?;
                let shared = PostgresTickets::builder(client.clone(), home).build();
                Some(Arc::new(shared) as Arc<dyn TicketProvider>)
            }
            false => None,
        };
        let store = Arc::new(store.build().await?);
        Ok((store, tickets))
    }
}
