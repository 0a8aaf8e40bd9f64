//! The ticket pair shared through the database (`PostgresTickets`,
//! `MySqlTickets`) beyond the contract suite: a server restarted on the
//! same database keeps its pair (the facade picks the database's tickets
//! when nothing else shares them), and a lease whose holder died lapses.
//! On the tests' PostgreSQL and MySQL, each test in a schema or database
//! of its own, dropped at its end.

use std::sync::Arc;
use std::time::Duration;

use crate::support::mysql::Database;
use crate::support::postgres::Schema;
use tencent_faceid::facade::{DatabaseSettings, FaceIdBuilder};
use tencent_faceid::tickets::{
    LeaseTimings, PostgresTicketHome, PostgresTickets, RefreshError, TicketError, TicketProvider,
};
use tencent_faceid_emulator::Emulator;
use tencent_faceid_mysql::{MySqlConnector, MySqlTicketHome, MySqlTickets};

/// The database a test shares its pair through.
enum Home {
    Postgres(Schema),
    MySql(Database),
}

impl Home {
    /// A fresh schema or database; `None` when there is no such server.
    async fn postgres() -> Option<Home> {
        Schema::new().await.map(Home::Postgres)
    }

    async fn mysql() -> Option<Home> {
        Database::new().await.map(Home::MySql)
    }

    /// The builder of a server's facade on this database, the emulator as
    /// its vendor (the facade picks its tickets).
    fn face_id(&self, emulator: &Emulator) -> FaceIdBuilder {
        let builder = emulator.face_id().callback_url_per_request();
        match self {
            Home::Postgres(schema) => builder
                .postgres_pool(schema.pool.clone())
                .postgres_schema(&schema.name),
            Home::MySql(database) => builder
                .database(DatabaseSettings::new(database.url.clone()))
                .database_connector(MySqlConnector),
        }
    }

    /// An instance's tickets, waiting at most `wait_timeout` for another
    /// holder.
    async fn tickets(
        &self,
        emulator: &Emulator,
        wait_timeout: Duration,
    ) -> Arc<dyn TicketProvider> {
        let app_id = emulator.app_id();
        let lease = LeaseTimings::default().wait_timeout(wait_timeout);
        match self {
            Home::Postgres(schema) => {
                let store = schema.builder(app_id);
                let home = PostgresTicketHome::new(&store, lease).await.unwrap();
                Arc::new(PostgresTickets::builder(emulator.client(), home).build())
            }
            Home::MySql(database) => {
                let store = database.builder(app_id);
                let home = MySqlTicketHome::new(&store, lease).await.unwrap();
                Arc::new(MySqlTickets::builder(emulator.client(), home).build())
            }
        }
    }

    /// Runs `statement` (`$1`/`?` the app id).
    async fn execute(&self, postgres: &str, mysql: &str, app_id: &str) {
        match self {
            Home::Postgres(schema) => {
                let statement = postgres.replace("{schema}", &format!("\"{}\"", schema.name));
                sqlx::query(&statement)
                    .bind(app_id)
                    .execute(&schema.pool)
                    .await
                    .unwrap();
            }
            Home::MySql(database) => {
                sqlx::query(mysql)
                    .bind(app_id)
                    .execute(&database.pool)
                    .await
                    .unwrap();
            }
        }
    }

    /// A lease of an instance that died mid-refresh, alive for a minute.
    async fn plant_dead_lease(&self, app_id: &str) {
        self.execute(
            "INSERT INTO {schema}.ticket_leases (app_id, holder, expires_at) \
             VALUES ($1, 'dead-instance', clock_timestamp() + interval '60 s')",
            "INSERT INTO faceid_ticket_leases (app_id, holder, expires_at) \
             VALUES (?, 'dead-instance', \
             TIMESTAMPDIFF(MICROSECOND, '1970-01-01', UTC_TIMESTAMP(3)) DIV 1000 + 60000)",
            app_id,
        )
        .await;
    }

    /// The dead instance's lease lapses (its minute is over).
    async fn lapse_lease(&self, app_id: &str) {
        self.execute(
            "UPDATE {schema}.ticket_leases SET expires_at = clock_timestamp() - interval '1 s' \
             WHERE app_id = $1",
            "UPDATE faceid_ticket_leases SET expires_at = 0 WHERE app_id = ?",
            app_id,
        )
        .await;
    }

    /// How many leases the table holds.
    async fn leases(&self) -> i64 {
        match self {
            Home::Postgres(schema) => {
                let count = format!("SELECT count(*) FROM \"{}\".ticket_leases", schema.name);
                sqlx::query_scalar(&count)
                    .fetch_one(&schema.pool)
                    .await
                    .unwrap()
            }
            Home::MySql(database) => {
                let count = "SELECT COUNT(*) FROM faceid_ticket_leases";
                sqlx::query_scalar(count)
                    .fetch_one(&database.pool)
                    .await
                    .unwrap()
            }
        }
    }

    async fn drop(self) {
        match self {
            Home::Postgres(schema) => schema.drop().await,
            Home::MySql(database) => database.drop().await,
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_restarted_on_postgres_keeps_its_pair() {
    let Some(home) = Home::postgres().await else {
        return;
    };
    restart_keeps_the_pair(home).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_restarted_on_mysql_keeps_its_pair() {
    let Some(home) = Home::mysql().await else {
        return;
    };
    restart_keeps_the_pair(home).await;
}

/// Builds a server (it fetches the pair at boot), drops it, builds it
/// again on the same database: no second fetch, and the pair serves.
async fn restart_keeps_the_pair(home: Home) {
    let emulator = Emulator::start().await.unwrap();
    let first = home.face_id(&emulator).build().await.unwrap();
    let counts = emulator.counts();
    assert_eq!((counts.access_token, counts.sign_ticket), (1, 1));
    drop(first);

    let again = home.face_id(&emulator).build().await.unwrap();
    let sign = again.wiring().tickets().sign_tickets().await.unwrap();
    let counts = emulator.counts();
    assert_eq!(
        (counts.access_token, counts.sign_ticket),
        (1, 1),
        "the restarted server took the pair from the database"
    );
    let current = emulator.current_sign_ticket().unwrap();
    assert_eq!(sign.current.value(), current.expose());
    home.drop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lease_held_by_a_dead_process_on_postgres_lapses() {
    let Some(home) = Home::postgres().await else {
        return;
    };
    a_dead_holders_lease_lapses(home).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lease_held_by_a_dead_process_on_mysql_lapses() {
    let Some(home) = Home::mysql().await else {
        return;
    };
    a_dead_holders_lease_lapses(home).await;
}

/// A lease of a holder that died: a caller with nothing valid waits
/// (bounded) and fails with a typed error, fetching nothing; once the
/// lease lapses, a waiting one takes it and fetches.
async fn a_dead_holders_lease_lapses(home: Home) {
    let emulator = Emulator::start().await.unwrap();
    let app_id = emulator.app_id().to_owned();
    home.plant_dead_lease(&app_id).await;

    let impatient = home.tickets(&emulator, Duration::from_millis(300)).await;
    let error = impatient.sign_tickets().await.unwrap_err();
    let TicketError::SignUnavailable { source } = &error else {
        panic!("not a SignUnavailable: {error}");
    };
    let refresh = source.downcast_ref::<RefreshError>();
    assert!(
        matches!(refresh, Some(RefreshError::WaitTimedOut { lock, .. }) if lock.contains("ticket_leases")),
        "{error}: {refresh:?}"
    );
    assert_eq!(
        emulator.counts().access_token,
        0,
        "no fetch without the lease"
    );

    let patient = home.tickets(&emulator, Duration::from_secs(60)).await;
    let waiting = tokio::spawn(async move { patient.sign_tickets().await });
    home.lapse_lease(&app_id).await;
    let sign = waiting.await.unwrap().unwrap();
    assert_eq!(
        sign.current.value(),
        emulator.current_sign_ticket().unwrap().expose()
    );
    let counts = emulator.counts();
    assert_eq!((counts.access_token, counts.sign_ticket), (1, 1));
    assert_eq!(home.leases().await, 0, "the new holder released its lease");
    home.drop().await;
}
