//! [`TicketHome`]: where the access token and SIGN ticket live beside the
//! processes that share them (Redis, PostgreSQL, MySQL), and how one
//! refresher is chosen among them.

use std::time::Duration;

use async_trait::async_trait;

use super::{BoxError, StoredTicketPair};

/// Where the access token and SIGN ticket of one app id live beside the
/// processes sharing them, and the lease that lets one of them at a time
/// replace the pair: the seam behind [`SharedTickets`](super::SharedTickets)
/// (and `RedisTickets`). The refresh engine does the rest (local copies,
/// the re-check after taking the lease, refresh ahead, recovery at most
/// once per interval, bounded waits for another holder).
///
/// A home is for one app id, and every process sharing the pair uses the
/// same one. Each call should be bounded in time (a stalled database must
/// fail the call, not hang it): the engine serves its still-valid local
/// copy meanwhile. Errors are the home's own (their `Display` says what to
/// fix); they reach callers as [`RefreshError::Shared`](super::RefreshError::Shared).
///
/// Homes in this crate: `RedisTickets`' (feature `redis`) and
/// [`PostgresTicketHome`](super::PostgresTicketHome) (feature `postgres`);
/// `tencent_faceid_mysql::MySqlTicketHome` in its own crate.
#[async_trait]
pub trait TicketHome: Send + Sync + 'static {
    /// The pair last published by any process, if there is one.
    async fn read(&self) -> Result<Option<StoredTicketPair>, BoxError>;

    /// Takes the lease for `holder` (a random string, new per attempt)
    /// unless another holder's lease is alive: `true` when `holder` now
    /// holds it. A lease lapses after the home's time to live, so a holder
    /// that died does not block the others for longer. Asked again with the
    /// same `holder` (a lost reply), it answers `true` again.
    async fn try_lock(&self, holder: &str) -> Result<bool, BoxError>;

    /// Publishes `pair` and releases the lease, at once and only if
    /// `holder` still holds it: `false` (nothing written) when another
    /// holder took the lease meanwhile, whose pair must not be
    /// overwritten.
    async fn publish(&self, holder: &str, pair: &StoredTicketPair) -> Result<bool, BoxError>;

    /// Releases the lease without publishing, if `holder` holds it:
    /// `false` when it did not (the lease lapsed, or another holder took
    /// it). The engine logs the answer; on a failure the lease lapses by
    /// itself.
    async fn release(&self, holder: &str) -> Result<bool, BoxError>;

    /// The lease's name (a key, a table row), for errors and logs.
    fn lock_name(&self) -> &str;

    /// How long a caller with no valid pair waits for another holder's
    /// refresh before it fails.
    fn wait_timeout(&self) -> Duration;
}
