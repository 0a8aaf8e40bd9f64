//! [`Engine`]: the one refresh engine behind every caching provider
//! ([`CachedTickets`](super::CachedTickets), [`SharedTickets`](super::SharedTickets),
//! `RedisTickets`): the access token and SIGN ticket as a pair, replaced
//! on the vendor's schedule by one refresher at a time, recovered once
//! when the vendor refuses them.
//!
//! What differs between the providers is only where a pair lives beside
//! this process ([`TicketHome`]): nowhere
//! ([`UnsharedHome`](super::unshared_home::UnsharedHome)), in Redis, in
//! PostgreSQL or MySQL.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwapOption;
use tokio::sync::Mutex;
use tokio::time::Instant;
use tracing::Instrument;

use super::background_refresh::BackgroundRefresh;
use super::pair::Pair;
use super::{BoxError, RefreshError, SignTickets, StoredTicketPair, TicketHome, TicketTimings};
use crate::client::FaceIdClient;
use crate::credentials::Ticket;
use crate::ids::UserId;
use crate::random::nonce;
use crate::secret::Secret;

/// First pause while waiting for another instance's refresh.
const POLL_FIRST: Duration = Duration::from_millis(10);
/// Longest pause while waiting for another instance's refresh.
const POLL_MAX: Duration = Duration::from_millis(250);
/// How long the vendor keeps accepting a token (and its tickets) after it
/// issued a new one.
const TOKEN_OVERLAP: Duration = Duration::from_secs(60);

/// What a caller needs.
pub(super) enum Want<'a> {
    /// A pair not yet due, or, while another task replaces it, the
    /// still-valid one.
    Fresh,
    /// A pair not yet due, waiting for a replacement in flight (warm-up).
    Ready,
    /// A valid pair whose SIGN ticket is not this one (the vendor refused
    /// it, or a callback matched none of its tickets).
    Replacing(&'a str),
}

impl Want<'_> {
    fn met_by(&self, pair: &Pair, now: SystemTime, every: Duration) -> bool {
        match self {
            Want::Fresh | Want::Ready => pair.is_fresh(now, every),
            Want::Replacing(stale) => pair.is_valid(now) && pair.sign.current.value() != *stale,
        }
    }
}

/// The last refresh failure and the last recovery, guarded by the single
/// flight.
#[derive(Default)]
struct Flight {
    failure: Option<(SystemTime, RefreshError)>,
    recovered_at: Option<SystemTime>,
}

/// A failure of the shared state.
fn shared_error(error: BoxError) -> RefreshError {
    RefreshError::Shared(Arc::from(error))
}

/// Whether `since` lies less than `window` before `now`.
fn within(since: SystemTime, now: SystemTime, window: Duration) -> bool {
    now.duration_since(since).is_ok_and(|age| age < window)
}

/// The engine: a local copy read without locks, one refresh in flight per
/// process, one refresher per [`TicketHome`].
pub(crate) struct Engine<S> {
    pub client: FaceIdClient,
    pub shared: S,
    pub timings: TicketTimings,
    local: ArcSwapOption<Pair>,
    flight: Mutex<Flight>,
    /// Attempts finished so far, to tell whether one finished while a task
    /// queued for `flight`.
    attempts: AtomicU64,
    /// The background replacement of a due pair, while it runs.
    pub(super) background_refresh: BackgroundRefresh,
}

impl<S: TicketHome> Engine<S> {
    pub fn new(client: FaceIdClient, shared: S, timings: TicketTimings) -> Self {
        Self {
            client,
            shared,
            timings,
            local: ArcSwapOption::empty(),
            flight: Mutex::new(Flight::default()),
            attempts: AtomicU64::new(0),
            background_refresh: BackgroundRefresh::default(),
        }
    }

    pub(super) fn now(&self) -> SystemTime {
        self.client.clock().now()
    }

    /// The local pair if it is not due: no lock, no I/O.
    pub(super) fn fresh_now(&self) -> Option<Arc<Pair>> {
        let now = self.now();
        self.local
            .load_full()
            .filter(|pair| pair.is_fresh(now, self.timings.refresh_every))
    }

    /// The local pair's SIGN tickets if it is not due: the hot path of
    /// every callback, so it takes no reference on the pair itself.
    pub(super) fn fresh_sign(&self) -> Option<Arc<SignTickets>> {
        let now = self.now();
        let local = self.local.load();
        local
            .as_ref()
            .filter(|pair| pair.is_fresh(now, self.timings.refresh_every))
            .map(|pair| Arc::clone(&pair.sign))
    }

    pub(super) fn valid_local(&self) -> Option<Arc<Pair>> {
        let now = self.now();
        self.local.load_full().filter(|pair| pair.is_valid(now))
    }

    /// The times of the local pair, if there is one: no lock, no I/O.
    pub(super) fn pair_status(&self) -> Option<super::TicketPairStatus> {
        let pair = self.local.load();
        pair.as_ref().map(|pair| super::TicketPairStatus {
            fetched_at: pair.fetched_at,
            due_at: pair.due_at(self.timings.refresh_every),
            expires_at: pair.sign.current.expires_at(),
            awaiting_ticket: pair.awaiting_ticket,
        })
    }

    fn adopt(&self, pair: Pair) -> Arc<Pair> {
        let pair = Arc::new(pair);
        self.local.store(Some(Arc::clone(&pair)));
        pair
    }

    /// A pair not yet due; or, while it is still valid, the due one (one
    /// background task replaces it meanwhile); or, with no valid pair at
    /// all, one fetched while the caller waits.
    async fn pair(self: &Arc<Self>) -> Result<Arc<Pair>, RefreshError> {
        if let Some(pair) = self.fresh_now() {
            return Ok(pair);
        }
        self.due_pair().await
    }

    /// Sees that one background task replaces the due pair: answers
    /// `false` only outside a Tokio runtime, where the caller must refresh
    /// itself. No task is started while one runs, while a refresh is in
    /// flight, or within the retry backoff after a failure.
    pub(super) fn refresh_ahead(self: &Arc<Self>) -> bool {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return false;
        };
        let mut task = self.background_refresh.task();
        if task.as_ref().is_some_and(|task| !task.is_finished()) || self.refresh_would_wait() {
            return true;
        }
        let engine = Arc::clone(self);
        let span = tracing::info_span!("faceid_refresh_ahead", app_id = %self.client.app_id());
        let refresh = async move {
            tracing::debug!(
                "the access token and SIGN ticket are due; replacing them in the background while the valid ones serve"
            );
            crate::metrics::ticket_refresh_ahead();
            // The outcome is logged and counted by the refresh itself.
            let _ = engine.refresh(Want::Fresh).await;
        };
        *task = Some(runtime.spawn(refresh.instrument(span)).abort_handle());
        true
    }

    /// [`pair`](Self::pair) once the local pair is found due.
    pub(super) async fn due_pair(self: &Arc<Self>) -> Result<Arc<Pair>, RefreshError> {
        if let Some(valid) = self.valid_local()
            && self.refresh_ahead()
        {
            return Ok(valid);
        }
        self.refresh(Want::Fresh).await
    }

    /// The vendor refused something made with the SIGN ticket `stale` (or
    /// its token), or a callback matched none of its tickets: a pair with
    /// another ticket, from the shared state or the
    /// vendor, at most once per recovery interval.
    pub(super) async fn replace(&self, stale: &str) -> Result<Arc<Pair>, RefreshError> {
        self.refresh(Want::Replacing(stale)).await
    }

    /// A single-use NONCE ticket for `user_id`, fetched with the pair's
    /// token; recovered once if the vendor refuses the token.
    pub(super) async fn nonce(self: &Arc<Self>, user_id: &UserId) -> Result<Secret, RefreshError> {
        let pair = self.pair().await?;
        let refused = match self.client.nonce_ticket(pair.token.secret(), user_id).await {
            Err(error) if error.refuses_credentials() => error,
            other => return Ok(Secret::new(other?.value())),
        };
        tracing::info!(app_id = %self.client.app_id(), error = %refused, "the vendor refused the access token for a NONCE ticket; recovering once");
        let newer = self.replace(pair.sign.current.value()).await?;
        if Arc::ptr_eq(&newer, &pair) {
            return Err(refused.into());
        }
        let ticket = self
            .client
            .nonce_ticket(newer.token.secret(), user_id)
            .await?;
        Ok(Secret::new(ticket.value()))
    }

    /// Whether a refresh now would be in vain: one is in flight, or the
    /// last one failed within the retry backoff.
    pub(super) fn refresh_would_wait(&self) -> bool {
        let Ok(flight) = self.flight.try_lock() else {
            return true;
        };
        let now = self.now();
        flight
            .failure
            .as_ref()
            .is_some_and(|(at, _)| within(*at, now, self.timings.retry_backoff))
    }

    pub(super) async fn refresh(&self, want: Want<'_>) -> Result<Arc<Pair>, RefreshError> {
        let every = self.timings.refresh_every;
        let seen = self.attempts.load(Ordering::Acquire);
        let mut flight = match self.flight.try_lock() {
            Ok(flight) => flight,
            Err(_) => match (&want, self.valid_local()) {
                // Another task is replacing the pair: the valid one serves
                // meanwhile.
                (Want::Fresh, Some(valid)) => return Ok(valid),
                _ => self.flight.lock().await,
            },
        };
        let now = self.now();
        if let Some(met) = self
            .local
            .load_full()
            .filter(|pair| want.met_by(pair, now, every))
        {
            return Ok(met);
        }
        // The attempt this call queued behind, or a recent failure, answers
        // for it.
        let queued_behind_one = self.attempts.load(Ordering::Acquire) != seen;
        if let Some((at, error)) = &flight.failure
            && (queued_behind_one || within(*at, now, self.timings.retry_backoff))
        {
            return self.valid_local().ok_or_else(|| error.clone());
        }
        // A still-valid pair answers only a caller that takes one: one
        // waiting for a pair not yet due (warm-up) or for a SIGN ticket
        // other than its stale one (recovery) goes on, since the attempt it
        // queued behind may have kept the old pair (another instance was
        // replacing it).
        if queued_behind_one
            && matches!(want, Want::Fresh)
            && let Some(valid) = self.valid_local()
        {
            return Ok(valid);
        }
        let want = match want {
            Want::Replacing(_)
                if flight
                    .recovered_at
                    .is_some_and(|at| within(at, now, self.timings.recovery_interval)) =>
            {
                tracing::debug!(app_id = %self.client.app_id(), "a recovery ran within the recovery interval; not recovering again");
                if let Some(fresh) = self.fresh_now() {
                    return Ok(fresh);
                }
                Want::Fresh
            }
            Want::Replacing(stale) => {
                flight.recovered_at = Some(now);
                Want::Replacing(stale)
            }
            other => other,
        };
        let recovery = matches!(want, Want::Replacing(_));
        let span = tracing::info_span!("faceid.ticket_refresh", recovery);
        let result = self.sync(&want).instrument(span).await;
        crate::metrics::ticket_refresh(result.is_ok());
        self.attempts.fetch_add(1, Ordering::Release);
        flight.failure = result.as_ref().err().map(|e| (self.now(), e.clone()));
        drop(flight);
        result.or_else(|error| {
            let valid = self.valid_local();
            let app_id = self.client.app_id();
            match &valid {
                Some(_) => tracing::warn!(%app_id, %error, "replacing the access token and SIGN ticket failed; serving the still-valid ones"),
                None => tracing::warn!(%app_id, %error, "replacing the access token and SIGN ticket failed and no valid ones are left"),
            }
            valid.ok_or(error)
        })
    }

    /// Reads the shared state until it holds what `want` asks for,
    /// replacing the pair under the lock when it can, waiting at most
    /// the shared state's wait timeout for another holder.
    async fn sync(&self, want: &Want<'_>) -> Result<Arc<Pair>, RefreshError> {
        let every = self.timings.refresh_every;
        let deadline = Instant::now() + self.shared.wait_timeout();
        let mut pause = POLL_FIRST;
        loop {
            let shared = self.read_shared().await?;
            let now = self.now();
            if let Some(pair) = shared.as_ref().filter(|p| want.met_by(p, now, every)) {
                tracing::debug!(app_id = %self.client.app_id(), "took the shared access token and SIGN ticket");
                return Ok(self.adopt(pair.clone()));
            }
            let holder = nonce();
            if self.shared.try_lock(&holder).await.map_err(shared_error)? {
                return self.replace_locked(&holder, want).await;
            }
            if let (Want::Fresh, Some(valid)) = (want, shared.filter(|p| p.is_valid(now))) {
                tracing::debug!(app_id = %self.client.app_id(), "another instance is replacing the pair; using the still-valid shared one");
                return Ok(self.adopt(valid));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(RefreshError::WaitTimedOut {
                    lock: self.shared.lock_name().to_owned(),
                    waited: self.shared.wait_timeout(),
                });
            }
            tokio::time::sleep(pause.min(left)).await;
            pause = (pause * 2).min(POLL_MAX);
        }
    }

    /// Releases the lease `holder` took, without publishing.
    async fn release(&self, holder: &str) {
        let lock = self.shared.lock_name();
        match self.shared.release(holder).await {
            Ok(true) => tracing::debug!(%lock, "released the refresh lock"),
            Ok(false) => {
                tracing::warn!(%lock, "the refresh lock lapsed before it was released; raise lock_ttl")
            }
            Err(error) => {
                tracing::warn!(%lock, %error, "could not release the refresh lock; it lapses after its time to live")
            }
        }
    }

    /// The pair the shared state holds.
    async fn read_shared(&self) -> Result<Option<Pair>, RefreshError> {
        let stored = self.shared.read().await.map_err(shared_error)?;
        Ok(stored.map(|stored| stored.pair))
    }

    /// Holding the lock: replaces the pair unless the lock's previous
    /// holder already did, publishes it and releases the lock.
    async fn replace_locked(&self, lock: &str, want: &Want<'_>) -> Result<Arc<Pair>, RefreshError> {
        let shared = match self.read_shared().await {
            Ok(shared) => shared,
            Err(error) => {
                self.release(lock).await;
                return Err(error);
            }
        };
        let now = self.now();
        if let Some(pair) = shared
            .as_ref()
            .filter(|p| want.met_by(p, now, self.timings.refresh_every))
        {
            self.release(lock).await;
            return Ok(self.adopt(pair.clone()));
        }
        let old = shared.map(Arc::new).or_else(|| self.local.load_full());
        let (pair, result) = match self.fetch_pair(old.as_deref()).await {
            Ok(pair) => (pair, Ok(())),
            Err((error, Some(kept))) => (kept, Err(error)),
            Err((error, None)) => {
                self.release(lock).await;
                return Err(error);
            }
        };
        let stored = StoredTicketPair::new(pair.clone(), pair.due_at(self.timings.refresh_every));
        let published = self.shared.publish(lock, &stored).await;
        if !published.map_err(shared_error)? {
            tracing::warn!(app_id = %self.client.app_id(), "the refresh lock lapsed during the refresh, so the new pair was not shared; raise lock_ttl");
        }
        let pair = self.adopt(pair);
        result.map(|()| pair)
    }

    /// Fetches a new access token (or takes the one still awaiting its
    /// ticket) and a SIGN ticket with it; the old current ticket becomes
    /// the previous one, accepted for the grace.
    ///
    /// When the token came but the ticket did not, the error comes with
    /// the pair to keep meanwhile: the new token, awaiting its ticket, and
    /// the old tickets, which the vendor ends a minute after the new token.
    async fn fetch_pair(&self, old: Option<&Pair>) -> Result<Pair, (RefreshError, Option<Pair>)> {
        let now = self.now();
        let awaiting = old
            .filter(|old| old.awaiting_ticket && now < old.token.expires_at())
            .map(|old| old.token.clone());
        let reused = awaiting.is_some();
        let token = match awaiting {
            Some(token) => token,
            None => self
                .client
                .access_token()
                .await
                .map_err(|e| (e.into(), None))?,
        };
        let fetched = match self.client.sign_ticket(token.secret()).await {
            Ok(fetched) => fetched,
            // A token awaiting its ticket that the vendor refuses is dropped:
            // the next attempt starts over with a new one.
            Err(error) if reused => return Err((error.into(), None)),
            Err(error) => {
                let kept = old.map(|old| old.awaiting(token, now + TOKEN_OVERLAP));
                return Err((error.into(), kept));
            }
        };
        let now = self.now();
        // A ticket dies with the token that fetched it.
        let current = Ticket::new(
            fetched.value(),
            fetched.expires_at().min(token.expires_at()),
        );
        let (sign, rotated) =
            SignTickets::refreshed(old.map(|old| &*old.sign), current, now, self.timings.grace);
        let pair = Pair {
            token,
            sign: Arc::new(sign),
            fetched_at: now,
            awaiting_ticket: false,
        };
        tracing::info!(
            app_id = %self.client.app_id(),
            rotated,
            valid_for_s = pair.sign.current.expires_at().duration_since(now).map_or(0, |left| left.as_secs()),
            due_in_s = pair.due_at(self.timings.refresh_every).duration_since(now).map_or(0, |left| left.as_secs()),
            "replaced the access token and SIGN ticket"
        );
        Ok(pair)
    }
}
