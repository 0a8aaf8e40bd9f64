//! The store's schema: its migrations (plain SQL shipped in the crate),
//! applying them, and checking the version a store starts on.

use sqlx::postgres::PgPool;

use super::PostgresStoreError;

/// The migrations, in order: version `n` is `MIGRATIONS[n - 1]`, with
/// `{schema}` standing for the quoted schema name.
const MIGRATIONS: [&str; 3] = [
    include_str!("sql/001_initial.sql"),
    include_str!("sql/002_lifecycle.sql"),
    include_str!("sql/003_tickets.sql"),
];

/// The schema version this crate reads and writes.
pub(super) const VERSION: i32 = MIGRATIONS.len() as i32;

/// `name` double-quoted, once it is a plain lower-case identifier.
pub(super) fn quoted(name: &str) -> Result<String, PostgresStoreError> {
    let mut chars = name.chars();
    let plain = chars
        .next()
        .is_some_and(|first| first.is_ascii_lowercase() || first == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63;
    if plain {
        Ok(format!("\"{name}\""))
    } else {
        Err(PostgresStoreError::InvalidSchema(name.to_owned()))
    }
}

/// The whole migration of `schema` as one SQL script, its name filled in,
/// for a DBA who runs it by hand (`psql -1 -f`): the schema and its
/// `schema_version` table, then every migration not yet recorded there,
/// each recording its version. Running it again changes nothing;
/// [`PostgresOrderStoreBuilder::migrate`](super::PostgresOrderStoreBuilder::migrate)
/// does the same under a lock.
///
/// ```
/// # #[cfg(feature = "postgres")] {
/// let sql = tencent_faceid::orders::postgres_migration_sql("faceid_staging")?;
/// assert!(sql.contains("CREATE TABLE IF NOT EXISTS \"faceid_staging\".orders"));
/// assert!(!sql.contains("{schema}"));
/// # }
/// # Ok::<(), tencent_faceid::orders::PostgresStoreError>(())
/// ```
///
/// # Errors
/// [`PostgresStoreError::InvalidSchema`].
pub fn postgres_migration_sql(schema: &str) -> Result<String, PostgresStoreError> {
    let quoted = quoted(schema)?;
    let mut script = format!(
        "-- tencent-faceid PostgresOrderStore, schema {schema}, version {VERSION}.\n\
         CREATE SCHEMA IF NOT EXISTS {quoted};\n\
         CREATE TABLE IF NOT EXISTS {quoted}.schema_version (\n    \
           version integer PRIMARY KEY,\n    \
           applied_at timestamptz NOT NULL DEFAULT now());\n"
    );
    for (version, sql) in (1..).zip(MIGRATIONS) {
        let sql = sql.replace("{schema}", &quoted);
        script.push_str(&format!(
            "\n-- Version {version}, unless recorded.\n\
             DO $migration$ BEGIN\n\
             IF NOT EXISTS (SELECT 1 FROM {quoted}.schema_version WHERE version = {version}) THEN\n\
             {sql}\n\
             INSERT INTO {quoted}.schema_version (version) VALUES ({version});\n\
             END IF;\n\
             END $migration$;\n"
        ));
    }
    Ok(script)
}

/// The version `schema` is at: 0 when it has no tables of this crate.
pub(super) async fn version(pool: &PgPool, schema: &str) -> Result<i32, PostgresStoreError> {
    let quoted = quoted(schema)?;
    let mut connection = pool.acquire().await?;
    match current(&mut connection, &quoted).await {
        Err(PostgresStoreError::Database(sqlx::Error::Database(error)))
            // undefined_table, invalid_schema_name
            if matches!(error.code().as_deref(), Some("42P01" | "3F000")) =>
        {
            Ok(0)
        }
        other => other,
    }
}

/// Brings `schema` to [`VERSION`], creating it if need be; answers how
/// many migrations ran. Concurrent calls (instances starting together)
/// run one after the other, under an advisory lock.
pub(super) async fn migrate(pool: &PgPool, schema: &str) -> Result<usize, PostgresStoreError> {
    let quoted = quoted(schema)?;
    let mut transaction = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('tencent-faceid migrate ' || $1))")
        .bind(schema)
        .execute(&mut *transaction)
        .await?;
    let setup = format!(
        "CREATE SCHEMA IF NOT EXISTS {quoted}; \
         CREATE TABLE IF NOT EXISTS {quoted}.schema_version ( \
           version integer PRIMARY KEY, \
           applied_at timestamptz NOT NULL DEFAULT now())"
    );
    sqlx::raw_sql(&setup).execute(&mut *transaction).await?;
    let found = current(&mut transaction, &quoted).await?;
    if found > VERSION {
        return Err(newer(schema, found));
    }
    let mut ran = 0;
    for (version, sql) in (1..).zip(MIGRATIONS) {
        if version <= found {
            continue;
        }
        let sql = sql.replace("{schema}", &quoted);
        sqlx::raw_sql(&sql).execute(&mut *transaction).await?;
        let insert = format!("INSERT INTO {quoted}.schema_version (version) VALUES ($1)");
        sqlx::query(&insert)
            .bind(version)
            .execute(&mut *transaction)
            .await?;
        tracing::info!(schema, version, "migrated the PostgreSQL order store");
        ran += 1;
    }
    transaction.commit().await?;
    Ok(ran)
}

/// `schema` quoted, once it is checked to be at [`VERSION`]: for the
/// tables of the tickets' home, which the same migrations make.
pub(crate) async fn checked_schema(
    pool: &PgPool,
    schema: &str,
) -> Result<String, PostgresStoreError> {
    check(pool, schema).await?;
    quoted(schema)
}

/// Checks that `schema` is at [`VERSION`].
pub(super) async fn check(pool: &PgPool, schema: &str) -> Result<(), PostgresStoreError> {
    match version(pool, schema).await? {
        0 => Err(PostgresStoreError::SchemaMissing {
            schema: schema.to_owned(),
        }),
        found if found < VERSION => Err(PostgresStoreError::SchemaOutdated {
            schema: schema.to_owned(),
            found,
            expected: VERSION,
        }),
        found if found > VERSION => Err(newer(schema, found)),
        _ => Ok(()),
    }
}

/// The version of the schema `quoted`, 0 for none.
async fn current(
    connection: &mut sqlx::PgConnection,
    quoted: &str,
) -> Result<i32, PostgresStoreError> {
    let query = format!("SELECT coalesce(max(version), 0) FROM {quoted}.schema_version");
    Ok(sqlx::query_scalar(&query).fetch_one(connection).await?)
}

fn newer(schema: &str, found: i32) -> PostgresStoreError {
    PostgresStoreError::SchemaNewer {
        schema: schema.to_owned(),
        found,
        expected: VERSION,
    }
}
