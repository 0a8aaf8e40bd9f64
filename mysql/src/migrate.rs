//! The store's tables: their migrations (plain SQL shipped in the crate),
//! applying them, and checking the version a store starts on.

use sqlx::MySqlConnection;
use sqlx::mysql::{MySqlDatabaseError, MySqlPool};

use crate::MySqlStoreError;
use crate::sql_time::NOW_MS;

/// The migrations, in order: version `n` is `MIGRATIONS[n - 1]`, with
/// `{prefix}` standing for the tables' prefix.
const MIGRATIONS: [&str; 2] = [
    include_str!("sql/001_initial.sql"),
    include_str!("sql/002_tickets.sql"),
];

/// The schema version this crate reads and writes.
pub(crate) const VERSION: i32 = MIGRATIONS.len() as i32;

/// How long `migrate` waits for another instance's migration (seconds).
const LOCK_WAIT_SECS: i32 = 60;

/// `prefix`, once it is plain lower-case (letters, digits, `_`, at most
/// 40 characters, so that every table name fits MySQL's 64).
pub(crate) fn checked(prefix: &str) -> Result<&str, MySqlStoreError> {
    let mut chars = prefix.chars();
    let plain = chars
        .next()
        .is_none_or(|first| first.is_ascii_lowercase() || first == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && prefix.len() <= 40;
    if plain {
        Ok(prefix)
    } else {
        Err(MySqlStoreError::InvalidPrefix(prefix.to_owned()))
    }
}

/// The statements of one migration's SQL, without their comments.
fn statements(sql: &str) -> impl Iterator<Item = String> + '_ {
    sql.split(";\n")
        .map(|statement| {
            statement
                .lines()
                .filter(|line| !line.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n")
        })
        .filter(|statement| !statement.trim().is_empty())
}

/// The table of the versions applied to the tables of `prefix`.
fn version_table(prefix: &str) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS `{prefix}schema_version` ( \
           version INT NOT NULL PRIMARY KEY, \
           applied_at BIGINT NOT NULL \
         ) ENGINE = InnoDB"
    )
}

/// Records that the tables of `prefix` are at `version` (unless they are).
fn record(prefix: &str, version: i32) -> String {
    format!(
        "INSERT IGNORE INTO `{prefix}schema_version` (version, applied_at) \
         VALUES ({version}, {NOW_MS})"
    )
}

/// The whole migration of the tables of `prefix` in `database` as one
/// SQL script, the names filled in, for a DBA who runs it by hand
/// (`mysql < file`): the database if need be, the `schema_version` table,
/// then every migration's statements, each recording its version. Every
/// statement is written to be run again (`IF NOT EXISTS`), so running the
/// script again changes nothing;
/// [`MySqlOrderStoreBuilder::migrate`](crate::MySqlOrderStoreBuilder::migrate)
/// does the same under a named lock.
///
/// ```
/// let sql = tencent_faceid_mysql::mysql_migration_sql("app", "faceid_")?;
/// assert!(sql.contains("USE `app`;"));
/// assert!(sql.contains("CREATE TABLE IF NOT EXISTS `faceid_orders`"));
/// assert!(!sql.contains("{prefix}"));
/// # Ok::<(), tencent_faceid_mysql::MySqlStoreError>(())
/// ```
///
/// # Errors
/// [`MySqlStoreError::InvalidPrefix`].
pub fn mysql_migration_sql(database: &str, prefix: &str) -> Result<String, MySqlStoreError> {
    let prefix = checked(prefix)?;
    let database = database.replace('`', "``");
    let mut script = format!(
        "-- tencent-faceid-mysql MySqlOrderStore, table prefix {prefix}, version {VERSION}.\n\
         CREATE DATABASE IF NOT EXISTS `{database}`;\n\
         USE `{database}`;\n\
         {};\n",
        version_table(prefix)
    );
    for (version, sql) in (1..).zip(MIGRATIONS) {
        script.push_str(&format!("\n-- Version {version}.\n"));
        for statement in statements(&sql.replace("{prefix}", prefix)) {
            script.push_str(&format!("{};\n", statement.trim()));
        }
        script.push_str(&format!("{};\n", record(prefix, version)));
    }
    Ok(script)
}

/// Brings the tables of `prefix` to [`VERSION`], creating them if need be;
/// answers how many migrations ran. Concurrent calls (instances starting
/// together) run one after the other, under a named lock (`GET_LOCK`).
/// MySQL commits each table's creation by itself, so every statement is
/// written to be run again (`IF NOT EXISTS`).
pub(crate) async fn migrate(pool: &MySqlPool, prefix: &str) -> Result<usize, MySqlStoreError> {
    let prefix = checked(prefix)?;
    let mut connection = pool.acquire().await?;
    let lock = format!("tencent-faceid migrate {prefix}");
    let locked: Option<i32> = sqlx::query_scalar("SELECT GET_LOCK(?, ?)")
        .bind(&lock)
        .bind(LOCK_WAIT_SECS)
        .fetch_one(&mut *connection)
        .await?;
    if locked != Some(1) {
        return Err(MySqlStoreError::Database(sqlx::Error::Protocol(format!(
            "another instance held the migration lock for {LOCK_WAIT_SECS} s"
        ))));
    }
    let ran = migrate_locked(&mut connection, prefix).await;
    // The lock is the session's: release it before the connection goes
    // back to the pool, whatever the migration did.
    sqlx::query("SELECT RELEASE_LOCK(?)")
        .bind(&lock)
        .execute(&mut *connection)
        .await?;
    ran
}

async fn migrate_locked(
    connection: &mut MySqlConnection,
    prefix: &str,
) -> Result<usize, MySqlStoreError> {
    sqlx::query(&version_table(prefix))
        .execute(&mut *connection)
        .await?;
    let found = current(connection, prefix).await?;
    if found > VERSION {
        return Err(newer(prefix, found));
    }
    let mut ran = 0;
    for (version, sql) in (1..).zip(MIGRATIONS) {
        if version <= found {
            continue;
        }
        let sql = sql.replace("{prefix}", prefix);
        for statement in statements(&sql) {
            sqlx::query(&statement).execute(&mut *connection).await?;
        }
        sqlx::query(&record(prefix, version))
            .execute(&mut *connection)
            .await?;
        tracing::info!(prefix, version, "migrated the MySQL order store");
        ran += 1;
    }
    Ok(ran)
}

/// The version of the tables of `prefix`: 0 when there are none.
pub(crate) async fn version(pool: &MySqlPool, prefix: &str) -> Result<i32, MySqlStoreError> {
    let prefix = checked(prefix)?;
    let mut connection = pool.acquire().await?;
    match current(&mut connection, prefix).await {
        // ER_NO_SUCH_TABLE
        Err(MySqlStoreError::Database(sqlx::Error::Database(error)))
            if error
                .try_downcast_ref::<MySqlDatabaseError>()
                .is_some_and(|error| error.number() == 1146) =>
        {
            Ok(0)
        }
        other => other,
    }
}

/// Checks that the tables of `prefix` are at [`VERSION`].
pub(crate) async fn check(pool: &MySqlPool, prefix: &str) -> Result<(), MySqlStoreError> {
    match version(pool, prefix).await? {
        0 => Err(MySqlStoreError::SchemaMissing {
            prefix: prefix.to_owned(),
        }),
        found if found < VERSION => Err(MySqlStoreError::SchemaOutdated {
            prefix: prefix.to_owned(),
            found,
            expected: VERSION,
        }),
        found if found > VERSION => Err(newer(prefix, found)),
        _ => Ok(()),
    }
}

/// The version of the tables of `prefix`, 0 for none.
async fn current(connection: &mut MySqlConnection, prefix: &str) -> Result<i32, MySqlStoreError> {
    let query =
        format!("SELECT CAST(COALESCE(MAX(version), 0) AS SIGNED) FROM `{prefix}schema_version`");
    let version: i64 = sqlx::query_scalar(&query).fetch_one(connection).await?;
    Ok(i32::try_from(version).unwrap_or(i32::MAX))
}

fn newer(prefix: &str, found: i32) -> MySqlStoreError {
    MySqlStoreError::SchemaNewer {
        prefix: prefix.to_owned(),
        found,
        expected: VERSION,
    }
}
