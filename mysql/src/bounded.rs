//! Every statement (or transaction) of the MySQL order store within one
//! time bound, asked again on a fresh connection when the reply may have
//! been lost or MySQL rolled it back.

use std::future::Future;
use std::time::Duration;

use sqlx::mysql::MySqlDatabaseError;

use crate::MySqlStoreError;

/// The pause before the second try (the first retry goes at once: a
/// broken pooled connection fails fast), doubled for each later one.
const FIRST_PAUSE: Duration = Duration::from_millis(25);
/// The longest pause between tries.
const MAX_PAUSE: Duration = Duration::from_millis(400);

/// Whether `error` may leave the work's fate unknown or be gone on another
/// try: the connection broke, no connection could be had in time, or
/// MySQL rolled the transaction back (a lock wait timeout, a deadlock),
/// interrupted the statement or is shutting down. Refusals of the
/// statement itself (a duplicate key, a syntax error) are not.
pub(crate) fn transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(error) => {
            error
                .try_downcast_ref::<MySqlDatabaseError>()
                .is_some_and(|error| {
                    // ER_SERVER_SHUTDOWN, ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK,
                    // ER_QUERY_INTERRUPTED, MariaDB's ER_CONNECTION_KILLED and
                    // ER_STATEMENT_TIMEOUT, MySQL's ER_QUERY_TIMEOUT.
                    matches!(
                        error.number(),
                        1053 | 1205 | 1213 | 1317 | 1927 | 1969 | 3024
                    )
                })
        }
        _ => false,
    }
}

/// Runs `work` until it answers or fails for good, asking again after a
/// [`transient`] failure, all within `bound`: the work must be safe to run
/// twice (the store's are: the consume is idempotent per attempt id, the
/// put per order, the rest are reads or idempotent writes).
///
/// # Errors
/// The work's own error; [`MySqlStoreError::TimedOut`] (with the last
/// transient failure as its source) when `bound` ran out.
pub(crate) async fn bounded<T, F, Fut>(
    bound: Duration,
    what: &'static str,
    mut work: F,
) -> Result<T, MySqlStoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, MySqlStoreError>>,
{
    let mut last = None;
    let tries = async {
        let mut pause = Duration::ZERO;
        loop {
            match work().await {
                Err(MySqlStoreError::Database(error)) if transient(&error) => {
                    tracing::warn!(what, %error, "a MySQL statement of the order store failed on the way; asking again");
                    last = Some(error);
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).clamp(FIRST_PAUSE, MAX_PAUSE);
                }
                other => return other,
            }
        }
    };
    match tokio::time::timeout(bound, tries).await {
        Ok(answer) => answer,
        Err(_) => Err(MySqlStoreError::TimedOut {
            what,
            bound,
            last: last.map(Box::new),
        }),
    }
}
