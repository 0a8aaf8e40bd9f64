//! The tool's configuration: the `FACEID_*` variables `FaceId::from_env`
//! reads for the database (PostgreSQL or MySQL, by the URL's scheme) and
//! the app id.

use tencent_faceid::facade::{DatabaseConnector, DatabaseSettings, database_settings, vars};
use tencent_faceid::orders::{
    PostgresOrderStore, PostgresOrderStoreBuilder, postgres_migration_sql,
};
use tencent_faceid_mysql::{
    MySqlConnector, MySqlOrderStoreBuilder, MySqlStoreError, mysql_migration_sql,
};

use crate::error::CliError;
use crate::store::{Builder, Store};

/// The database `FACEID_DATABASE_URL`'s scheme names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Postgres,
    MySql,
}

/// Where the store is, and whose orders to read.
pub struct Config {
    backend: Backend,
    settings: DatabaseSettings,
    app_id: Option<String>,
}

impl Config {
    /// The configuration `var` gives (the process environment in `main`),
    /// read as `FaceId::from_env` reads it.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, CliError> {
        let settings = database_settings(&var)?.ok_or(CliError::Missing(
            vars::DATABASE_URL,
            "the database of the order store: postgres://user:password@host:port/database, or mysql://user:password@host:port/database for MySQL or MariaDB",
        ))?;
        let scheme = settings.scheme();
        let backend = if matches!(scheme, "postgres" | "postgresql") {
            Backend::Postgres
        } else if MySqlConnector.schemes().contains(&scheme) {
            Backend::MySql
        } else {
            return Err(CliError::Variable(
                vars::DATABASE_URL,
                "a postgres://, mysql:// or mariadb:// URL",
            ));
        };
        if backend == Backend::MySql && settings.schema.is_some() {
            return Err(MySqlStoreError::SchemaVariable.into());
        }
        Ok(Self {
            backend,
            settings,
            app_id: var(vars::APP_ID).filter(|app_id| !app_id.trim().is_empty()),
        })
    }

    /// Where the tables are, as the output names it: the PostgreSQL
    /// schema, or the MySQL database and the tables' prefix.
    pub fn location(&self) -> String {
        match self.backend {
            Backend::Postgres => format!("schema {}", self.schema()),
            Backend::MySql => format!(
                "database {} (tables {}*)",
                MySqlConnector::database(&self.settings).unwrap_or_default(),
                MySqlOrderStoreBuilder::DEFAULT_PREFIX
            ),
        }
    }

    /// The whole migration as one SQL script, names filled in: for `psql
    /// -1 -f`, or `mysql <`.
    pub fn migration_sql(&self) -> Result<String, CliError> {
        Ok(match self.backend {
            Backend::Postgres => postgres_migration_sql(self.schema())?,
            Backend::MySql => {
                let database =
                    MySqlConnector::database(&self.settings).ok_or(CliError::Variable(
                        vars::DATABASE_URL,
                        "a URL naming the database: mysql://user:password@host:port/database",
                    ))?;
                mysql_migration_sql(&database, MySqlOrderStoreBuilder::DEFAULT_PREFIX)?
            }
        })
    }

    /// The schema named by `FACEID_DATABASE_SCHEMA`, or the PostgreSQL
    /// store's default.
    fn schema(&self) -> &str {
        self.settings
            .schema
            .as_deref()
            .unwrap_or(PostgresOrderStoreBuilder::DEFAULT_SCHEMA)
    }

    /// The app id whose orders are read, required by every command that
    /// reads them.
    pub fn app_id(&self) -> Result<&str, CliError> {
        self.app_id.as_deref().ok_or(CliError::Missing(
            vars::APP_ID,
            "the WBappid whose orders to read (each app id's orders are its own)",
        ))
    }

    /// A store builder on a fresh pool, for `app_id`.
    pub async fn builder(&self, app_id: &str) -> Result<Builder, CliError> {
        let settings = &self.settings;
        Ok(match self.backend {
            Backend::Postgres => {
                let pool = settings.postgres_pool_options();
                let pool = pool.connect(settings.url()).await?;
                let builder = PostgresOrderStore::builder(pool, app_id).schema(self.schema());
                Builder::Postgres(match settings.timeout {
                    Some(timeout) => builder.timeout(timeout),
                    None => builder,
                })
            }
            Backend::MySql => Builder::MySql(MySqlConnector::builder(settings, app_id).await?),
        })
    }

    /// The store of the configured app id, its tables checked.
    pub async fn store(&self) -> Result<Store, CliError> {
        self.builder(self.app_id()?).await?.build().await
    }
}
