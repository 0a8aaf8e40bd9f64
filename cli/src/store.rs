//! The two stores the tool works on, PostgreSQL and MySQL (or MariaDB),
//! behind one face: every command has one code path over both.

use std::time::SystemTime;

use tencent_faceid::orders::{
    Lifecycle, LoggedSettlement, PostgresOrderStore, PostgresOrderStoreBuilder, StoreStatus,
};
use tencent_faceid_mysql::{MySqlOrderStore, MySqlOrderStoreBuilder};

use crate::error::CliError;

/// A store not built yet: its tables may be missing or old.
pub enum Builder {
    /// `postgres://`.
    Postgres(PostgresOrderStoreBuilder),
    /// `mysql://`, `mariadb://`.
    MySql(MySqlOrderStoreBuilder),
}

impl Builder {
    /// Brings the tables to this version: how many migrations ran.
    pub async fn migrate(&self) -> Result<usize, CliError> {
        Ok(match self {
            Self::Postgres(builder) => builder.migrate().await?,
            Self::MySql(builder) => builder.migrate().await?,
        })
    }

    /// The tables' version and the app's backlog.
    pub async fn status(&self) -> Result<StoreStatus, CliError> {
        Ok(match self {
            Self::Postgres(builder) => builder.status().await?,
            Self::MySql(builder) => builder.status().await?,
        })
    }

    /// The store, its tables checked.
    pub async fn build(self) -> Result<Store, CliError> {
        Ok(match self {
            Self::Postgres(builder) => Store::Postgres(builder.build().await?),
            Self::MySql(builder) => Store::MySql(builder.build().await?),
        })
    }
}

/// The store of the configured app id.
pub enum Store {
    /// `postgres://`.
    Postgres(PostgresOrderStore),
    /// `mysql://`, `mariadb://`.
    MySql(MySqlOrderStore),
}

impl Store {
    /// The settlements made from `from` to before `until`, oldest first,
    /// at most `limit`.
    pub async fn settlements(
        &self,
        from: SystemTime,
        until: SystemTime,
        limit: usize,
    ) -> Result<Vec<LoggedSettlement>, CliError> {
        Ok(match self {
            Self::Postgres(store) => store.settlements(from, until, limit).await?,
            Self::MySql(store) => store.settlements(from, until, limit).await?,
        })
    }

    /// Its purge, erasure and holds.
    pub fn lifecycle(&self) -> &dyn Lifecycle {
        match self {
            Self::Postgres(store) => store,
            Self::MySql(store) => store,
        }
    }
}
