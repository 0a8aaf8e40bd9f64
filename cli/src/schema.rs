//! `migrate` and `status`: the schema, and the work waiting in it.

use tencent_faceid::orders::postgres_migration_sql;

use crate::config::Config;
use crate::error::CliError;

/// Prints the migration SQL with the schema filled in.
pub fn print_sql(config: &Config) -> Result<(), CliError> {
    print!("{}", postgres_migration_sql(config.schema())?);
    Ok(())
}

/// Brings the schema to this crate's version.
pub async fn migrate(config: &Config) -> Result<(), CliError> {
    // The schema is shared by every app id: migrating needs none.
    let builder = config.builder(config.app_id().unwrap_or_default()).await?;
    let ran = builder.migrate().await?;
    let status = builder.status().await?;
    println!(
        "schema {}: {ran} migration(s) ran, now at version {}",
        config.schema(),
        status.version
    );
    Ok(())
}

/// Prints the schema's version and the app's backlog.
pub async fn status(config: &Config) -> Result<(), CliError> {
    let app_id = config.app_id()?;
    let status = config.builder(app_id).await?.status().await?;
    println!(
        "schema {}: version {} (this faceid needs {})",
        config.schema(),
        status.version,
        status.expected
    );
    match status.backlog {
        Some(backlog) => {
            println!("app id {app_id}:");
            println!("  pending orders: {}", backlog.pending_orders);
            println!(
                "  undelivered settlements: {}",
                backlog.undelivered_settlements
            );
            println!(
                "  ticket pair age: not kept in PostgreSQL (each server keeps its own, or Redis with FACEID_REDIS_URL)"
            );
        }
        None if status.version < status.expected => println!("run `faceid migrate`"),
        None => println!("this faceid is older than the schema: upgrade it"),
    }
    Ok(())
}
