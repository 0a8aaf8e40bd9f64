//! `migrate` and `status`: the tables, the work waiting in them, and the
//! ticket pair they share.

use std::time::SystemTime;

use tencent_faceid::orders::StoredTicketPairTimes;

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
            print_ticket_pair(status.ticket_pair, SystemTime::now());
        }
        None if status.version < status.expected => println!("run `faceid migrate`"),
        None => println!("this faceid is older than the schema: upgrade it"),
    }
    Ok(())
}

/// The shared ticket pair's age and due time at `now`, if the schema holds
/// one (`PostgresTickets`, `MySqlTickets`).
fn print_ticket_pair(pair: Option<StoredTicketPairTimes>, now: SystemTime) {
    let Some(pair) = pair else {
        println!(
            "  ticket pair: none shared in the database (not fetched yet, or the servers keep their own or share it through Redis)"
        );
        return;
    };
    let age = now.duration_since(pair.fetched_at).unwrap_or_default();
    let due = match pair.due_at.duration_since(now) {
        Ok(left) => format!("in {} s", left.as_secs()),
        Err(past) => format!("{} s ago", past.duration().as_secs()),
    };
    println!(
        "  ticket pair: fetched {} ({} s ago), due {} ({due}), ends {}",
        crate::time::format(pair.fetched_at),
        age.as_secs(),
        crate::time::format(pair.due_at),
        crate::time::format(pair.expires_at)
    );
}
