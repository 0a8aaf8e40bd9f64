//! `faceid`: the operator's tool for tencent-faceid's order store in
//! PostgreSQL or MySQL/MariaDB (chosen by the URL's scheme), configured by
//! the `FACEID_*` variables `FaceId::from_env` reads
//! (`FACEID_DATABASE_URL`, `FACEID_DATABASE_SCHEMA`, `FACEID_APP_ID`, the
//! pool's bounds). Run `faceid help` for its commands.

mod config;
mod error;
mod export;
mod lifecycle;
mod schema;
mod store;
mod time;

use std::process::ExitCode;

use config::Config;
use error::CliError;
use tencent_faceid::Report;

const HELP: &str = "faceid: the order store of tencent-faceid (PostgreSQL, MySQL or MariaDB), from the command line

Configured by the variables of FaceId::from_env: FACEID_DATABASE_URL (required; postgres://
for PostgreSQL, mysql:// or mariadb:// for MySQL and MariaDB, naming the database),
FACEID_DATABASE_SCHEMA (PostgreSQL only, default faceid), FACEID_APP_ID (the app whose orders
to read; every command but migrate), FACEID_DATABASE_ACQUIRE_TIMEOUT_MS and the other bounds.

Commands:
  migrate                  bring the tables to this version (idempotent, safe on a live database)
  migrate --print-sql      print the migration SQL with the schema (PostgreSQL) or the database
                           (MySQL) filled in, for psql -1 -f FILE or mysql < FILE
  status                   tables' version, pending orders, undelivered settlements
  settlements --since TIME [--until TIME] [--format csv|json]
                           the settlement log, oldest first (TIME: 2026-12-01 or
                           2026-12-01T08:00:00Z, UTC; --until defaults to now, --format to csv)
  purge                    remove what the default retention lets go (Retention::default())
  erase-user USER          remove or anonymise every record of USER (refused under a hold)
  hold USER                put USER under a legal hold: nothing of theirs is purged or erased
  release USER             end USER's legal hold
  help                     this text
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let result = match runtime {
        Ok(runtime) => runtime.block_on(run(&args)),
        Err(error) => Err(CliError::Output(error)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {:?}", Report::from(error));
            ExitCode::FAILURE
        }
    }
}

/// Runs the command `args` names.
async fn run(args: &[String]) -> Result<(), CliError> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let config = || Config::from_vars(|name| std::env::var(name).ok());
    match args.as_slice() {
        [] | ["help" | "--help" | "-h"] => {
            print!("{HELP}");
            Ok(())
        }
        ["migrate", "--print-sql"] => schema::print_sql(&config()?),
        ["migrate"] => schema::migrate(&config()?).await,
        ["status"] => schema::status(&config()?).await,
        ["settlements", options @ ..] => {
            let export = export::Export::parse(options)?;
            export.run(&config()?.store().await?).await
        }
        ["purge"] => lifecycle::purge(config()?.store().await?.lifecycle()).await,
        [verb @ ("erase-user" | "hold" | "release"), user] => {
            let store = config()?.store().await?;
            lifecycle::for_user(store.lifecycle(), verb, user).await
        }
        [verb @ ("erase-user" | "hold" | "release")] => Err(CliError::Usage(format!(
            "`faceid {verb}` needs the user id: faceid {verb} USER"
        ))),
        [other, ..] => Err(CliError::Usage(format!(
            "`{other}` is not a command of faceid"
        ))),
    }
}
