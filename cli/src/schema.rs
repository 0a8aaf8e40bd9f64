//! `migrate` and `status`: the tables, and the work waiting in them.

use crate::config::Config;
use crate::error::CliError;

/// Prints the migration SQL with the schema (PostgreSQL) or the database
/// (MySQL) filled in.
pub fn print_sql(config: &Config) -> Result<(), CliError> {
    print!("{}", config.migration_sql()?);
    Ok(())
}

/// Brings the tables to this crate's version.
pub async fn migrate(config: &Config) -> Result<(), CliError> {
    // The tables are shared by every app id: migrating needs none.
    let builder = config.builder(config.app_id().unwrap_or_default()).await?;
    let ran = builder.migrate().await?;
    let status = builder.status().await?;
    println!(
        "{}: {ran} migration(s) ran, now at version {}",
        config.location(),
        status.version
    );
    Ok(())
}

/// Prints the tables' version and the app's backlog.
pub async fn status(config: &Config) -> Result<(), CliError> {
    let app_id = config.app_id()?;
    let status = config.builder(app_id).await?.status().await?;
    println!(
        "{}: version {} (this faceid needs {})",
        config.location(),
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
            // The ticket pair's age: the shared tickets tables will say it here.
            println!(
                "  ticket pair age: not kept in the database (each server keeps its own, or Redis with FACEID_REDIS_URL)"
            );
        }
        None if status.version < status.expected => println!("run `faceid migrate`"),
        None => println!("this faceid is older than the schema: upgrade it"),
    }
    Ok(())
}
