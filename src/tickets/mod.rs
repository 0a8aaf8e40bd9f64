//! Tickets: the SIGN ticket that signs requests and callbacks, and the
//! single-use NONCE ticket that signs the H5 login URL.
//!
//! [`TicketProvider`] is the seam: [`StaticTickets`] for tests,
//! [`CachedTickets`] for one server talking to the vendor, and for many
//! servers sharing one token and ticket, [`SharedTickets`] over a
//! [`TicketHome`]: `RedisTickets` (feature `redis`), `PostgresTickets`
//! (feature `postgres`), `tencent_faceid_mysql::MySqlTickets`, or a home of
//! your own. One refresh engine serves them all: a local copy read without
//! locks, replaced ahead of the callers by one instance at a time under
//! the home's lease.

use std::error::Error as StdError;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::client::{ClientError, FaceIdClient};
use crate::credentials::Ticket;
use crate::ids::{OrderNo, UserId};
use crate::result_code::ResultCode;
use crate::result_query::{QueryOptions, VerificationResult};
use crate::secret::Secret;

mod background_refresh;
mod cached;
mod engine;
mod lease_timings;
mod pair;
mod pair_status;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "redis")]
mod redis;
mod refresh_error;
pub(crate) mod refresher;
mod shared;
mod static_tickets;
mod stored_ticket_pair;
mod ticket_home;
mod timings;
mod unreadable_ticket_pair;
mod unshared_home;

pub use cached::{CachedTickets, CachedTicketsBuilder};
pub use lease_timings::LeaseTimings;
pub use pair_status::TicketPairStatus;
#[cfg(feature = "postgres")]
pub use postgres::{PostgresTicketHome, PostgresTickets};
#[cfg(feature = "redis")]
pub use redis::{RedisTickets, RedisTicketsBuilder};
pub use refresh_error::RefreshError;
pub use shared::{SharedTickets, SharedTicketsBuilder};
pub use static_tickets::StaticTickets;
pub use stored_ticket_pair::StoredTicketPair;
pub use ticket_home::TicketHome;
pub use timings::TicketTimings;
pub use unreadable_ticket_pair::UnreadableTicketPair;

/// A boxed error, the cause behind a [`TicketError`].
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

/// The SIGN tickets a callback may be signed with: the current one and,
/// for a grace window after a rotation, the previous one.
///
/// The previous ticket's [`Ticket::expires_at`] is the end of its grace
/// window, not its vendor expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignTickets {
    /// The ticket to sign with now.
    pub current: Ticket,
    /// The ticket before the last rotation, while its grace window lasts.
    pub previous: Option<Ticket>,
}

impl SignTickets {
    /// Only a current ticket.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use tencent_faceid::client::Ticket;
    /// use tencent_faceid::tickets::SignTickets;
    /// let t = SignTickets::new(Ticket::new("now", SystemTime::now() + Duration::from_secs(60)));
    /// assert!(t.previous.is_none());
    /// ```
    pub fn new(current: Ticket) -> Self {
        Self {
            current,
            previous: None,
        }
    }

    /// The tickets a callback may be checked against at `now`: the current
    /// one, then the previous one while its grace window lasts.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use tencent_faceid::client::Ticket;
    /// use tencent_faceid::tickets::SignTickets;
    /// let now = SystemTime::now();
    /// let tickets = SignTickets {
    ///     current: Ticket::new("new", now + Duration::from_secs(3600)),
    ///     previous: Some(Ticket::new("old", now - Duration::from_secs(1))),
    /// };
    /// let values: Vec<_> = tickets.accepted_at(now).map(|t| t.value()).collect();
    /// assert_eq!(values, ["new"]);
    /// ```
    pub fn accepted_at(&self, now: SystemTime) -> impl Iterator<Item = &Ticket> {
        self.accepted_with(move || now)
    }

    /// [`accepted_at`](Self::accepted_at) with the time read from `now`
    /// only when the previous ticket's window is to be checked: not while
    /// the current ticket is being tried (the iterator is lazy), and never
    /// when there is no previous ticket. The one grace-window rule, for the
    /// callback's signature check, which must not read the clock per
    /// callback.
    pub(crate) fn accepted_with(
        &self,
        now: impl FnOnce() -> SystemTime,
    ) -> impl Iterator<Item = &Ticket> {
        let mut now = Some(now);
        std::iter::once(&self.current).chain(
            self.previous
                .iter()
                .filter(move |t| now.take().is_some_and(|now| t.is_valid_at(now()))),
        )
    }
}

impl SignTickets {
    /// The tickets after a refresh fetched `fresh` at `now`, and whether it
    /// rotated: a new value makes the old current ticket the previous one,
    /// accepted for `grace`; the same value keeps the old previous one.
    pub(crate) fn refreshed(
        old: Option<&SignTickets>,
        fresh: Ticket,
        now: SystemTime,
        grace: Duration,
    ) -> (SignTickets, bool) {
        let rotated = old.is_some_and(|old| old.current.value() != fresh.value());
        let previous = match old {
            Some(old) if rotated => Some(Ticket::new(old.current.value(), now + grace)),
            Some(old) => old.previous.clone(),
            None => None,
        };
        let tickets = SignTickets {
            current: fresh,
            previous,
        };
        (tickets, rotated)
    }
}

/// No ticket could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TicketError {
    /// No valid SIGN ticket: none was fetched yet or the last one expired,
    /// and fetching a new one failed.
    #[error(
        "no valid SIGN ticket is available and fetching one failed; retry later, and fix the cause if it persists"
    )]
    SignUnavailable {
        /// Why the fetch failed.
        #[source]
        source: BoxError,
    },
    /// A NONCE ticket could not be fetched.
    #[error(
        "no NONCE ticket is available and fetching one failed; retry later, and fix the cause if it persists"
    )]
    NonceUnavailable {
        /// Why the fetch failed.
        #[source]
        source: BoxError,
    },
}

impl TicketError {
    /// No SIGN ticket, because of `error`.
    pub(crate) fn sign(error: RefreshError) -> Self {
        Self::SignUnavailable {
            source: Box::new(error),
        }
    }
}

/// Where tickets come from.
///
/// Object-safe: store it as `Arc<dyn TicketProvider>`. Implementations must
/// be cheap to call on every request for [`TicketProvider::sign_tickets`]
/// (serve a cached value) and never log ticket values.
#[async_trait]
pub trait TicketProvider: Send + Sync + 'static {
    /// The current SIGN ticket, and the previous one within its grace window.
    async fn sign_tickets(&self) -> Result<Arc<SignTickets>, TicketError>;

    /// The vendor refused a call signed with `stale` (or made with the
    /// access token behind it), or a callback matched none of its tickets:
    /// find newer tickets, from the shared state or the vendor, and answer
    /// the tickets to retry with once.
    ///
    /// Providers that cache rate-limit this (at most one replacement per
    /// [`TicketTimings::recovery_interval`], one in flight at a time), so a
    /// storm of forged callbacks cannot make the server hammer the vendor;
    /// when they do not replace anything they answer the current tickets.
    /// The default answers [`sign_tickets`](TicketProvider::sign_tickets).
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
    /// use tencent_faceid::tickets::{StaticTickets, TicketProvider};
    /// let tickets = StaticTickets::new("sign-ticket", "nonce-ticket");
    /// let stale = tickets.sign_tickets().await?;
    /// // Fixed tickets have nothing newer to offer.
    /// assert_eq!(tickets.recover(&stale).await?.current.value(), "sign-ticket");
    /// # Ok::<(), tencent_faceid::tickets::TicketError>(())
    /// # }).unwrap();
    /// ```
    async fn recover(&self, _stale: &SignTickets) -> Result<Arc<SignTickets>, TicketError> {
        self.sign_tickets().await
    }

    /// A fresh single-use NONCE ticket for `user_id`.
    async fn nonce_ticket(&self, user_id: &UserId) -> Result<Secret, TicketError>;

    /// Fetches what the first [`sign_tickets`](TicketProvider::sign_tickets)
    /// would, now: call it before the server takes traffic so that the
    /// first user does not wait for the vendor ([`FaceIdBuilder::build`](crate::facade::FaceIdBuilder::build)
    /// does). Caching providers fetch the access token and SIGN ticket
    /// unless a pair not yet due is there (waiting for a refresh already in
    /// flight); the default calls `sign_tickets`.
    ///
    /// # Errors
    /// [`TicketError::SignUnavailable`] when no valid SIGN ticket could be
    /// had.
    ///
    /// ```
    /// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
    /// use tencent_faceid_emulator::Emulator;
    /// use tencent_faceid::tickets::{CachedTickets, TicketProvider};
    /// let emulator = Emulator::start().await?;
    /// let tickets = CachedTickets::builder(emulator.client()).build();
    /// tickets.warm_up().await?;
    /// assert_eq!(emulator.counts().sign_ticket, 1);
    /// tickets.sign_tickets().await?; // served from memory
    /// assert_eq!(emulator.counts().sign_ticket, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    async fn warm_up(&self) -> Result<(), TicketError> {
        self.sign_tickets().await.map(drop)
    }

    /// The times of the access token and SIGN ticket this provider holds
    /// (no value), for the [health report](crate::FaceId::health): read
    /// from memory, no I/O. `None` when it holds no pair of its own (the
    /// default: fixed tickets, a provider of yours) or has fetched none
    /// yet. [`CachedTickets`] and `RedisTickets` answer the pair this
    /// process signs with.
    fn pair_status(&self) -> Option<TicketPairStatus> {
        None
    }
}

#[async_trait]
impl<T: TicketProvider + ?Sized> TicketProvider for Arc<T> {
    async fn sign_tickets(&self) -> Result<Arc<SignTickets>, TicketError> {
        (**self).sign_tickets().await
    }

    async fn recover(&self, stale: &SignTickets) -> Result<Arc<SignTickets>, TicketError> {
        (**self).recover(stale).await
    }

    async fn nonce_ticket(&self, user_id: &UserId) -> Result<Secret, TicketError> {
        (**self).nonce_ticket(user_id).await
    }

    async fn warm_up(&self) -> Result<(), TicketError> {
        (**self).warm_up().await
    }

    fn pair_status(&self) -> Option<TicketPairStatus> {
        (**self).pair_status()
    }
}

/// Runs a vendor call signed with `tickets`; when the vendor refuses it
/// ([`ClientError::refuses_credentials`]), asks `provider` to
/// [`recover`](TicketProvider::recover) once and, if that yields newer
/// tickets, runs it once more with them. Otherwise the refusal stands.
pub(crate) async fn call_with_recovery<T, F, Fut>(
    provider: &dyn TicketProvider,
    tickets: Arc<SignTickets>,
    call: F,
) -> Result<T, ClientError>
where
    F: Fn(Arc<SignTickets>) -> Fut,
    Fut: Future<Output = Result<T, ClientError>>,
{
    let refused = match call(Arc::clone(&tickets)).await {
        Err(error) if error.refuses_credentials() => error,
        other => return other,
    };
    tracing::info!(error = %refused, "the vendor refused a call made with the cached credentials; recovering once");
    match provider.recover(&tickets).await {
        Ok(newer) if !Arc::ptr_eq(&newer, &tickets) => call(newer).await,
        Ok(_) => Err(refused),
        Err(error) => {
            tracing::warn!(%error, "no newer credentials could be had");
            Err(refused)
        }
    }
}

/// The vendor's record of `order_no` (`queryfacerecord` with `options`,
/// through `client`, signed with `tickets` and recovered once as
/// [`call_with_recovery`] does); `None` when the vendor has no record of
/// it. Shared by the settler and the callback verifier.
pub(crate) async fn query_record(
    provider: &dyn TicketProvider,
    client: &FaceIdClient,
    tickets: Arc<SignTickets>,
    order_no: &OrderNo,
    options: QueryOptions,
) -> Result<Option<VerificationResult>, ClientError> {
    let query = |tickets: Arc<SignTickets>| async move {
        client
            .query_record(order_no, tickets.current.value(), options)
            .await
    };
    match call_with_recovery(provider, tickets, query).await {
        Ok(record) => Ok(Some(record)),
        Err(error) if error.vendor_code() == Some(&ResultCode::NoRecord) => Ok(None),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::time::{Duration, SystemTime};

    use super::SignTickets;
    use crate::credentials::Ticket;

    fn at(now: SystemTime, read: &Cell<u32>) -> impl FnOnce() -> SystemTime + '_ {
        move || {
            read.set(read.get() + 1);
            now
        }
    }

    #[test]
    fn the_clock_is_read_only_for_a_previous_ticket() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let read = Cell::new(0);
        let only = SignTickets::new(Ticket::new("new", now + Duration::from_secs(60)));
        assert_eq!(only.accepted_with(at(now, &read)).count(), 1);
        assert_eq!(read.get(), 0, "no previous ticket: no clock");

        let both = SignTickets {
            previous: Some(Ticket::new("old", now + Duration::from_secs(1))),
            ..only
        };
        assert_eq!(
            both.accepted_with(at(now, &read)).next().map(|t| t.value()),
            Some("new")
        );
        assert_eq!(read.get(), 0, "the current ticket matched: no clock");
        let all: Vec<_> = both
            .accepted_with(at(now, &read))
            .map(|t| t.value())
            .collect();
        assert_eq!((all, read.get()), (vec!["new", "old"], 1));
        let later = now + Duration::from_secs(2);
        let all: Vec<_> = both.accepted_at(later).map(|t| t.value()).collect();
        assert_eq!(all, ["new"], "the grace window is over");
    }
}
