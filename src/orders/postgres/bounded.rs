//! Every statement of the PostgreSQL order store within one time bound,
//! asked again on a fresh connection when the reply may have been lost.

use std::future::Future;
use std::time::Duration;

use super::PostgresStoreError;

/// The pause before the second try (the first retry goes at once: a
/// broken pooled connection fails fast), doubled for each later one.
const FIRST_PAUSE: Duration = Duration::from_millis(25);
/// The longest pause between tries.
const MAX_PAUSE: Duration = Duration::from_millis(400);

/// Whether `error` may leave the statement's fate unknown or be gone on
/// another try: the connection broke (before or after the statement
/// reached PostgreSQL), no connection could be had in time, or PostgreSQL
/// cancelled the statement or is shutting the session down. Refusals of
/// the statement itself (a constraint, a syntax error) are not.
pub(super) fn transient(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Protocol(_) => true,
        sqlx::Error::Database(error) => error.code().is_some_and(|code| {
            // connection_exception, query_canceled (the statement
            // timeout), admin_shutdown, crash_shutdown, cannot_connect_now.
            code.starts_with("08") || matches!(&*code, "57014" | "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// Runs `statement` until it answers or fails for good, asking again after
/// a [`transient`] failure, all within `bound`: the statement must be safe
/// to run twice (the store's are: the consume is idempotent per attempt
/// id, the put per order, the rest are reads or idempotent writes).
///
/// # Errors
/// The statement's own error; [`PostgresStoreError::TimedOut`] (with the
/// last transient failure as its source) when `bound` ran out.
pub(crate) async fn bounded<T, F, Fut>(
    bound: Duration,
    what: &'static str,
    mut statement: F,
) -> Result<T, PostgresStoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, sqlx::Error>>,
{
    let mut last = None;
    let tries = async {
        let mut pause = Duration::ZERO;
        loop {
            match statement().await {
                Err(error) if transient(&error) => {
                    tracing::warn!(what, %error, "a PostgreSQL statement of the order store failed on the way; asking again");
                    last = Some(error);
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).clamp(FIRST_PAUSE, MAX_PAUSE);
                }
                other => return other,
            }
        }
    };
    let answer = tokio::time::timeout(bound, tries).await;
    match answer {
        Ok(answer) => Ok(answer?),
        Err(_) => Err(PostgresStoreError::TimedOut {
            what,
            bound,
            last: last.map(Box::new),
        }),
    }
}
