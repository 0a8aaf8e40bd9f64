//! A MySQL for the tests: the one at `MYSQL_URL` (default
//! `mysql://root@127.0.0.1:3306/test`) when it answers, else a throwaway
//! MariaDB of this test binary's own (`mariadb-install-db` and `mariadbd`
//! in a temporary directory, listening on a free loopback port), stopped
//! and removed with the test process, so `cargo test` needs no MySQL
//! running beforehand.
//!
//! Its lifetime is tied to a pipe, as with [`postgres`](crate::postgres):
//! the server runs under a small shell that waits for the end of its
//! stdin, whose other end only this process holds, then stops it and
//! removes its directory.
//!
//! Without MariaDB, one test of each binary fails with the fix (install
//! the Debian package `mariadb-server`) and every other MySQL test returns
//! after a loud `SKIPPED` line; never a silent skip.
//!
//! Each test works in a database of its own ([`Database`]), dropped at its
//! end.

use std::io::{BufRead, BufReader};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use sqlx::mysql::MySqlPool;
use tencent_faceid_mysql::{MySqlOrderStore, MySqlOrderStoreBuilder, mysql_pool};

use super::random_alphanumeric;
use super::service::{Service, Wanted, find_or_start, free_port};

/// Where the tests look for a MySQL when `MYSQL_URL` is not set.
const DEFAULT_URL: &str = "mysql://root@127.0.0.1:3306/test";
/// Runs a MariaDB in the directory `$1` on port `$2` as the user `$3`
/// until this shell's stdin ends, then stops it and removes the directory.
/// Says `ready` once the server accepts connections.
const GUARD: &str = r#"set -e
dir=$1; port=$2; user=$3
PATH="$PATH:/usr/sbin:/usr/local/sbin"
mariadb-install-db --no-defaults --datadir="$dir/data" --user="$user" --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1
mariadbd --no-defaults --datadir="$dir/data" --user="$user" --port="$port" --bind-address=127.0.0.1 --socket="$dir/sock" --skip-log-bin --innodb-flush-log-at-trx-commit=0 --log-error="$dir/server.log" &
server=$!
tries=0
until mariadb-admin --no-defaults -uroot -h127.0.0.1 -P"$port" --connect-timeout=1 ping >/dev/null 2>&1; do
  tries=$((tries + 1)); [ "$tries" -lt 300 ] || exit 1
  kill -0 "$server" 2>/dev/null || exit 1
  sleep 0.1
done
echo ready
exec >/dev/null
read -r _ || true
kill "$server" 2>/dev/null || true
wait "$server" 2>/dev/null || true
rm -rf "$dir""#;

static MYSQL: OnceLock<Service> = OnceLock::new();

fn mysql() -> &'static Service {
    MYSQL.get_or_init(|| find_or_start(&WANTED))
}

/// The URL of this binary's MySQL; `None` when there is none, after a
/// loud `SKIPPED` line: the test then returns at once (and [`require`]
/// fails). The first call finds or starts the server.
pub fn url() -> Option<&'static str> {
    mysql().url("MySQL", "mysql_is_available")
}

/// The one test that fails when no MySQL can be had, with the fix.
pub fn require() {
    if let Service::Unavailable(why) = mysql() {
        panic!("{why}");
    }
}

/// A database of one test's own in this binary's MySQL, with the store's
/// tables (default prefix); [`drop`](Self::drop) it at the end.
pub struct Database {
    /// A pool on the test's database.
    pub pool: MySqlPool,
    /// The database's name, fresh for each test.
    pub name: String,
    /// The URL of the test's database.
    pub url: String,
    /// A pool on the server's default database, to drop this one.
    admin: MySqlPool,
}

impl Database {
    /// A fresh, migrated database; `None` when there is no MySQL.
    pub async fn new() -> Option<Database> {
        let server = url()?;
        let admin = mysql_pool(server).await.expect("the tests' MySQL answers");
        let name = format!("faceid_test_{}", random_alphanumeric(12).to_lowercase());
        sqlx::query(&format!("CREATE DATABASE `{name}`"))
            .execute(&admin)
            .await
            .expect("CREATE DATABASE");
        let mut url = url::Url::parse(server).expect("a MySQL URL");
        url.set_path(&name);
        let url = url.to_string();
        let pool = mysql_pool(&url).await.expect("the test's database answers");
        let database = Database {
            pool,
            name,
            url,
            admin,
        };
        database
            .builder("appId001")
            .migrate()
            .await
            .expect("migrate");
        Some(database)
    }

    /// A store builder of `app_id` on this database.
    pub fn builder(&self, app_id: &str) -> MySqlOrderStoreBuilder {
        MySqlOrderStore::builder(self.pool.clone(), app_id)
    }

    /// A store of `app_id` on this database.
    pub async fn store(&self, app_id: &str) -> MySqlOrderStore {
        self.builder(app_id)
            .build()
            .await
            .expect("a migrated database")
    }

    /// Drops the database and everything in it.
    pub async fn drop(self) {
        self.pool.close().await;
        sqlx::query(&format!("DROP DATABASE IF EXISTS `{}`", self.name))
            .execute(&self.admin)
            .await
            .expect("DROP DATABASE");
    }
}

/// How this binary finds its MySQL, or starts one.
const WANTED: Wanted = Wanted {
    name: "MySQL",
    var: "MYSQL_URL",
    default_url: DEFAULT_URL,
    own: "a throwaway MariaDB",
    hint: "",
    answers,
    start_own,
};

/// Whether a MySQL accepts a connection at `url` within 3 s (on a thread
/// of its own: the caller may be inside a Tokio runtime).
fn answers(url: &str) -> bool {
    let url = url.to_owned();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async {
            let connect = sqlx::mysql::MySqlPoolOptions::new()
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

/// Whether `mariadb-install-db`, `mariadbd` and `mariadb-admin` are
/// installed.
fn installed() -> bool {
    Command::new("sh")
        .args(["-c", r#"PATH="$PATH:/usr/sbin:/usr/local/sbin"; command -v mariadb-install-db && command -v mariadbd && command -v mariadb-admin"#])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// The user this process runs as (`mariadbd` runs as root only when told).
fn user() -> String {
    Command::new("id")
        .arg("-un")
        .output()
        .map(|output| String::from_utf8_lossy(output.stdout.trim_ascii()).into_owned())
        .unwrap_or_default()
}

/// Starts a throwaway MariaDB on a free loopback port under the guard
/// shell and waits for its `ready`: its URL and the guard pipe.
fn start_own() -> Result<(String, ChildStdin), String> {
    if !installed() {
        return Err("MariaDB's mariadb-install-db and mariadbd are not installed, so the tests cannot start a server of their own: install the Debian package mariadb-server (apt-get install mariadb-server)".to_owned());
    }
    let port = free_port("MySQL")?;
    let dir = std::env::temp_dir().join(format!("faceid-mysql-{}", random_alphanumeric(10)));
    std::fs::create_dir(&dir).map_err(|error| format!("no temporary directory: {error}"))?;
    let dir = dir.to_string_lossy().into_owned();
    let mut child = Command::new("sh")
        .args(["-c", GUARD, "mysql-guard", &dir, &port.to_string(), &user()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|error| format!("MariaDB could not be started through sh: {error}"))?;
    let (Some(guard), Some(out)) = (child.stdin.take(), child.stdout.take()) else {
        return Err("MariaDB was started without its pipes".to_owned());
    };
    let ready = BufReader::new(out)
        .lines()
        .map_while(Result::ok)
        .any(|line| line == "ready");
    if ready {
        // The server's own `test` database is not made (--skip-test-db).
        Ok((format!("mysql://root@127.0.0.1:{port}/mysql"), guard))
    } else {
        let install = std::fs::read_to_string(format!("{dir}/install.log")).unwrap_or_default();
        let server = std::fs::read_to_string(format!("{dir}/server.log")).unwrap_or_default();
        Err(format!(
            "a throwaway MariaDB in {dir} did not start; its logs:\n{install}\n{server}"
        ))
    }
}
