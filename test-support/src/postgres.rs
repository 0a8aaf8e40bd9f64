//! A PostgreSQL for the tests: the one at `DATABASE_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`) when it answers, else a
//! throwaway cluster of this test binary's own (`initdb` and `pg_ctl` in a
//! temporary directory, listening on a free loopback port), stopped and
//! removed with the test process, so `cargo test` needs no PostgreSQL
//! running beforehand.
//!
//! Its lifetime is tied to a pipe, as with [`redis`](crate::redis): the cluster
//! runs under a small shell that waits for the end of its stdin, whose
//! other end only this process holds, then stops it and removes its
//! directory. As root (CI), the shell runs as the `postgres` user, since
//! `initdb` refuses root.
//!
//! Without PostgreSQL, one test of each binary fails with the fix (install
//! the Debian package `postgresql`) and every other PostgreSQL test returns
//! after a loud `SKIPPED` line; never a silent skip.
//!
//! Each test works in a schema of its own ([`Schema`]), dropped at its end.

use std::io::{BufRead, BufReader};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use crate::random_alphanumeric;
use sqlx::postgres::PgPool;
use tencent_faceid::orders::{PostgresOrderStore, postgres_pool};

use super::service::{Service, Wanted, find_or_start, free_port};

/// Where the tests look for a PostgreSQL when `DATABASE_URL` is not set.
const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// Runs a cluster in the directory `$1` on port `$2` until this shell's
/// stdin ends, then stops it and removes the directory. Says `ready` once
/// the cluster accepts connections.
const GUARD: &str = r#"set -e
dir=$1; port=$2
for bin in /usr/lib/postgresql/*/bin; do PATH="$PATH:$bin"; done
initdb -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1
pg_ctl -D "$dir/data" -l "$dir/log" -w -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
echo ready
exec >/dev/null
read -r _ || true
pg_ctl -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
rm -rf "$dir""#;

static POSTGRES: OnceLock<Service> = OnceLock::new();

fn postgres() -> &'static Service {
    POSTGRES.get_or_init(|| find_or_start(&WANTED))
}

/// The URL of this binary's PostgreSQL; `None` when there is none, after
/// a loud `SKIPPED` line: the test then returns at once (and
/// [`require`] fails). The first call finds or starts the server.
pub fn url() -> Option<&'static str> {
    postgres().url("PostgreSQL", "postgres_is_available")
}

/// The one test that fails when no PostgreSQL can be had, with the fix.
pub fn require() {
    if let Service::Unavailable(why) = postgres() {
        panic!("{why}");
    }
}

/// A schema of one test's own in this binary's PostgreSQL, migrated;
/// [`drop`](Self::drop) it at the end.
pub struct Schema {
    /// A pool on the tests' PostgreSQL.
    pub pool: PgPool,
    /// The schema's name, fresh for each test.
    pub name: String,
}

impl Schema {
    /// A fresh, migrated schema; `None` when there is no PostgreSQL.
    pub async fn new() -> Option<Schema> {
        let pool = postgres_pool(url()?)
            .await
            .expect("the tests' PostgreSQL answers");
        let name = format!("faceid_test_{}", random_alphanumeric(12).to_lowercase());
        let schema = Schema { pool, name };
        schema.builder("appId001").migrate().await.expect("migrate");
        Some(schema)
    }

    /// A store builder of `app_id` on this schema.
    pub fn builder(&self, app_id: &str) -> tencent_faceid::orders::PostgresOrderStoreBuilder {
        PostgresOrderStore::builder(self.pool.clone(), app_id).schema(&self.name)
    }

    /// A store of `app_id` on this schema.
    pub async fn store(&self, app_id: &str) -> PostgresOrderStore {
        self.builder(app_id)
            .build()
            .await
            .expect("a migrated schema")
    }

    /// Drops the schema and everything in it.
    pub async fn drop(self) {
        let statement = format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name);
        sqlx::query(&statement)
            .execute(&self.pool)
            .await
            .expect("DROP SCHEMA");
    }
}

/// How this binary finds its PostgreSQL, or starts one.
const WANTED: Wanted = Wanted {
    name: "PostgreSQL",
    var: "DATABASE_URL",
    default_url: DEFAULT_URL,
    own: "a throwaway cluster",
    hint: "",
    answers,
    start_own,
};

/// Whether a PostgreSQL accepts a connection at `url` within 3 s (on a
/// thread of its own: the caller may be inside a Tokio runtime).
fn answers(url: &str) -> bool {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let connect = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(3))
                .connect(&url);
            matches!(
                tokio::time::timeout(Duration::from_secs(3), connect).await,
                Ok(Ok(_))
            )
        })
    })
    .join()
    .unwrap_or(false)
}

/// Whether `initdb` and `pg_ctl` are installed (on the `PATH` or in
/// Debian's `/usr/lib/postgresql/<version>/bin`).
fn installed() -> bool {
    Command::new("sh")
        .args(["-c", r#"for bin in /usr/lib/postgresql/*/bin; do PATH="$PATH:$bin"; done; command -v initdb && command -v pg_ctl"#])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Whether this process runs as root (`initdb` refuses to).
fn root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

/// Starts a throwaway cluster on a free loopback port under the guard
/// shell and waits for its `ready`: its URL and the guard pipe.
fn start_own() -> Result<(String, ChildStdin), String> {
    if !installed() {
        return Err("PostgreSQL's initdb and pg_ctl are not installed, so the tests cannot start a cluster of their own: install the Debian package postgresql (apt-get install postgresql)".to_owned());
    }
    let port = free_port("PostgreSQL")?;
    let dir = std::env::temp_dir().join(format!("faceid-pg-{}", random_alphanumeric(10)));
    std::fs::create_dir(&dir).map_err(|error| format!("no temporary directory: {error}"))?;
    let dir = dir.to_string_lossy().into_owned();
    let mut command = if root() {
        let chown = Command::new("chown").args(["postgres", &dir]).status();
        if !chown.is_ok_and(|status| status.success()) {
            return Err("running as root, the tests need the user postgres (from the Debian package postgresql) to run initdb".to_owned());
        }
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--", "sh"]);
        command
    } else {
        Command::new("sh")
    };
    let mut child = command
        .args(["-c", GUARD, "postgres-guard", &dir, &port.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|error| format!("PostgreSQL could not be started through sh: {error}"))?;
    let (Some(guard), Some(out)) = (child.stdin.take(), child.stdout.take()) else {
        return Err("PostgreSQL was started without its pipes".to_owned());
    };
    let ready = BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .any(|line| line == "ready");
    if ready {
        Ok((
            format!("postgres://postgres@127.0.0.1:{port}/postgres"),
            guard,
        ))
    } else {
        let log = std::fs::read_to_string(format!("{dir}/initdb.log")).unwrap_or_default();
        let server = std::fs::read_to_string(format!("{dir}/log")).unwrap_or_default();
        Err(format!(
            "a throwaway PostgreSQL cluster in {dir} did not start; its logs:\n{log}\n{server}"
        ))
    }
}
