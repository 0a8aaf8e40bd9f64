//! [`SharedTickets`]: one access token and SIGN ticket for every instance
//! of a server, kept in a [`TicketHome`] of the user's choice and replaced
//! by one instance at a time under its lease.

use std::fmt;
use std::sync::Arc;

use super::TicketHome;
use super::TicketTimings;
use super::engine::Engine;
use super::refresher::{Refresher, provide_through_refresher};
use crate::client::FaceIdClient;

/// A [`TicketProvider`](super::TicketProvider) for many instances of one
/// server sharing one access token and SIGN ticket per app id through a
/// [`TicketHome`]: a database ([`PostgresTickets`](super::PostgresTickets),
/// `tencent_faceid_mysql::MySqlTickets`) or a home of your own.
/// `RedisTickets` is the same engine on Redis.
///
/// The vendor ends an access token a minute after it issues a new one, and
/// the tickets fetched with it, so instances refreshing on their own break
/// each other. Here, as with `RedisTickets`:
///
/// - **Reads stay local**: each instance serves its copy from memory until
///   it is due ([`TicketTimings::refresh_every`] after it was fetched).
/// - **One refresher**: an instance whose copy is due reads the home (a
///   sibling may have replaced the pair), takes the home's lease, reads it
///   again (the lease's previous holder may have published meanwhile),
///   fetches a token and a SIGN ticket, and publishes them while releasing
///   the lease, at once. The others keep serving their still-valid copy, or
///   with none, wait for the published pair at most the home's
///   [`wait_timeout`](TicketHome::wait_timeout); a lease whose holder died
///   lapses.
/// - **Recovery**, when the vendor refuses the pair or a callback matches
///   none of its tickets: the home first, then the vendor under the lease,
///   at most once per [`TicketTimings::recovery_interval`] per instance.
/// - **Restarts**: a pair in a durable home outlives the process, so a
///   server restarted on the same database fetches nothing (the vendor
///   asks that the SIGN ticket be kept on disk).
///
/// ```no_run
/// # #[cfg(feature = "postgres")]
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tencent_faceid::client::FaceIdClient;
/// use tencent_faceid::orders::{PostgresOrderStore, postgres_pool};
/// use tencent_faceid::tickets::{LeaseTimings, PostgresTicketHome, SharedTickets, TicketProvider};
///
/// let client = FaceIdClient::builder("TIDAxxxx", "secret").build()?;
/// let pool = postgres_pool("postgres://app@db/app").await?;
/// let store = PostgresOrderStore::builder(pool, client.app_id());
/// let home = PostgresTicketHome::new(&store, LeaseTimings::default()).await?;
/// let tickets = SharedTickets::builder(client, home).build();
/// let sign = tickets.sign_tickets().await?;
/// # Ok(()) }
/// ```
pub struct SharedTickets<H: TicketHome> {
    refresher: Arc<Refresher<H>>,
}

impl<H: TicketHome> Clone for SharedTickets<H> {
    fn clone(&self) -> Self {
        Self {
            refresher: Arc::clone(&self.refresher),
        }
    }
}

impl<H: TicketHome> SharedTickets<H> {
    /// Starts configuring a provider fetching with `client` (whose clock it
    /// reads) and sharing through `home`, which must be the home of
    /// `client`'s app id.
    pub fn builder(client: FaceIdClient, home: H) -> SharedTicketsBuilder<H> {
        SharedTicketsBuilder {
            client,
            home,
            timings: TicketTimings::default(),
        }
    }

    /// The home the pair is shared through.
    pub fn home(&self) -> &H {
        &self.refresher.shared
    }
}

impl<H: TicketHome> fmt::Debug for SharedTickets<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let home = &self.refresher.shared;
        f.debug_struct("SharedTickets")
            .field("app_id", &self.refresher.client.app_id())
            .field("lock", &home.lock_name())
            .field("timings", &self.refresher.timings)
            .field("wait_timeout", &home.wait_timeout())
            .finish_non_exhaustive()
    }
}

provide_through_refresher!(impl<H: TicketHome> SharedTickets<H>);

/// Configures [`SharedTickets`]; from [`SharedTickets::builder`].
pub struct SharedTicketsBuilder<H: TicketHome> {
    client: FaceIdClient,
    home: H,
    timings: TicketTimings,
}

impl<H: TicketHome> SharedTicketsBuilder<H> {
    /// When to refresh, retry and recover (the same for every instance
    /// sharing the pair, or the shortest `refresh_every` wins).
    pub fn timings(mut self, timings: TicketTimings) -> Self {
        self.timings = timings;
        self
    }

    /// Builds the provider. Nothing is read or fetched until the first
    /// call or [`warm_up`](super::TicketProvider::warm_up).
    pub fn build(self) -> SharedTickets<H> {
        let engine = Engine::new(self.client, self.home, self.timings);
        SharedTickets {
            refresher: Arc::new(Refresher::new(engine)),
        }
    }
}

impl<H: TicketHome> fmt::Debug for SharedTicketsBuilder<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedTicketsBuilder")
            .field("app_id", &self.client.app_id())
            .field("lock", &self.home.lock_name())
            .field("timings", &self.timings)
            .finish_non_exhaustive()
    }
}
