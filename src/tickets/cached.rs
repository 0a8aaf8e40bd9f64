//! [`CachedTickets`]: the access token and SIGN ticket of one server,
//! fetched with a [`FaceIdClient`] and kept in memory by the refresh
//! engine.

use std::fmt;
use std::sync::Arc;

use super::TicketTimings;
use super::engine::Engine;
use super::refresher::{Refresher, provide_through_refresher};
use super::unshared_home::UnsharedHome;
use crate::client::FaceIdClient;

/// Tickets for one server: the access token and SIGN ticket fetched over
/// HTTP with a [`FaceIdClient`] and cached in memory, living by the
/// vendor's documented lifecycle.
///
/// - **As a pair, on schedule.** The token and SIGN ticket are replaced
///   together every [`TicketTimings::refresh_every`] (20 minutes by
///   default, the vendor's advice), and a SIGN ticket is never used past
///   the expiry of the token that fetched it (the vendor ends them
///   together).
/// - **Ahead of the callers.** Reads take no lock (an `ArcSwap`). The
///   first caller that finds the pair due starts one background task
///   (visible in `tracing` as the span `faceid_refresh_ahead` and in the
///   metric `faceid_ticket_refreshes_ahead_total`) that replaces it, while
///   every caller, that one included, is served the still-valid pair; a
///   caller waits for the vendor only when no valid pair exists at all
///   (the first call, unless [`warm_up`](super::TicketProvider::warm_up)
///   ran at boot). Dropping the last clone stops the task.
/// - **Failures.** While a replacement fails the still-valid pair is
///   served, and the next attempt comes no sooner than
///   [`TicketTimings::retry_backoff`] later.
/// - **Rotation.** The previous SIGN ticket stays in
///   [`SignTickets::previous`](super::SignTickets::previous) for [`TicketTimings::grace`], so callbacks
///   the vendor signed just before a rotation still verify.
/// - **Recovery.** When the vendor refuses a call made with the cached
///   pair (another system took a new token for the same app id, or the
///   secret changed), [`TicketProvider::recover`](super::TicketProvider::recover) replaces the pair at once,
///   at most once per [`TicketTimings::recovery_interval`], and the call is
///   retried once.
///
/// A new access token ends the previous one a minute later, so several
/// servers sharing one app id must not each run their own `CachedTickets`:
/// share one pair (feature `redis`: `RedisTickets`).
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use tencent_faceid::client::FaceIdClient;
/// use tencent_faceid::tickets::{CachedTickets, TicketProvider, TicketTimings};
///
/// let client = FaceIdClient::builder("appId001", "secret").build()?;
/// let tickets = CachedTickets::builder(client)
///     .timings(TicketTimings::default().grace(Duration::from_secs(600)))
///     .build();
/// let sign = tickets.sign_tickets().await?;
/// println!("SIGN ticket valid until {:?}", sign.current.expires_at());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct CachedTickets {
    refresher: Arc<Refresher<UnsharedHome>>,
}

/// Configures [`CachedTickets`]; from [`CachedTickets::builder`].
#[derive(Debug, Clone)]
pub struct CachedTicketsBuilder {
    client: FaceIdClient,
    timings: TicketTimings,
}

impl CachedTickets {
    /// Starts configuring tickets fetched with `client` (whose clock they
    /// read), with the default [`TicketTimings`].
    pub fn builder(client: FaceIdClient) -> CachedTicketsBuilder {
        CachedTicketsBuilder {
            client,
            timings: TicketTimings::default(),
        }
    }
}

impl CachedTicketsBuilder {
    /// When to refresh, retry and recover.
    pub fn timings(mut self, timings: TicketTimings) -> Self {
        self.timings = timings;
        self
    }

    /// Builds the cache, empty: the first call (or
    /// [`warm_up`](super::TicketProvider::warm_up)) fetches.
    pub fn build(self) -> CachedTickets {
        CachedTickets {
            refresher: Arc::new(Refresher::new(Engine::new(
                self.client,
                UnsharedHome,
                self.timings,
            ))),
        }
    }
}

impl fmt::Debug for CachedTickets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedTickets")
            .field("client", &self.refresher.client)
            .field("timings", &self.refresher.timings)
            .finish_non_exhaustive()
    }
}

provide_through_refresher!(CachedTickets);
