//! [`CachedTickets`]: the access token and SIGN ticket of one server,
//! fetched with a [`FaceIdClient`], cached, refreshed before they expire.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwapOption;
use async_trait::async_trait;
use tokio::sync::Mutex;

use super::{SignTickets, Ticket, TicketError, TicketProvider};
use crate::client::{AccessToken, ClientError, FaceIdClient};
use crate::model::{ResultCode, UserId};
use crate::secret::Secret;

/// Tickets for one server: the access token and SIGN ticket fetched over
/// HTTP with a [`FaceIdClient`] and cached in memory.
///
/// - Reads take no lock: the tickets sit in an [`ArcSwapOption`], and
///   [`TicketProvider::sign_tickets`] only clones an `Arc` while the SIGN
///   ticket is fresh.
/// - The SIGN ticket is refreshed once it is within
///   [`refresh_before`](CachedTicketsBuilder::refresh_before) of expiry, by
///   exactly one caller however many arrive: that caller waits for the
///   fetch (bounded by the client's timeout), callers with no valid ticket
///   wait for it too, callers with a still-valid one are served it without
///   waiting.
/// - When a refresh fails, the still-valid ticket is served, and the next
///   attempt comes no sooner than
///   [`retry_backoff`](CachedTicketsBuilder::retry_backoff) later (no retry
///   storm). Once the ticket has expired, callers get
///   [`TicketError::SignUnavailable`] until a refresh succeeds.
/// - After a rotation the previous ticket stays in
///   [`SignTickets::previous`] for
///   [`grace`](CachedTicketsBuilder::grace), so callbacks the vendor signed
///   just before the rotation still verify.
/// - The access token is fetched only when a ticket is needed and the cached
///   one has expired or the vendor refuses it, by one caller at a time.
///
/// The vendor invalidates an access token when a new one is issued, so
/// several servers sharing one app id must not each run their own
/// `CachedTickets`: share one (feature `redis`: `RedisTickets`).
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use tencent_faceid::client::FaceIdClient;
/// use tencent_faceid::ticket::{CachedTickets, TicketProvider};
///
/// let client = FaceIdClient::builder("appId001", "secret").build()?;
/// let tickets = CachedTickets::builder(client)
///     .refresh_before(Duration::from_secs(300))
///     .grace(Duration::from_secs(300))
///     .retry_backoff(Duration::from_secs(2))
///     .build();
/// let sign = tickets.sign_tickets().await?;
/// println!("SIGN ticket valid until {:?}", sign.current.expires_at());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct CachedTickets {
    inner: Arc<Inner>,
}

/// Configures [`CachedTickets`]; from [`CachedTickets::builder`].
#[derive(Debug, Clone)]
pub struct CachedTicketsBuilder {
    client: FaceIdClient,
    refresh_before: Duration,
    grace: Duration,
    retry_backoff: Duration,
}

struct Inner {
    client: FaceIdClient,
    refresh_before: Duration,
    grace: Duration,
    retry_backoff: Duration,
    sign: ArcSwapOption<SignTickets>,
    /// Held by the one caller refreshing the SIGN ticket; remembers the last
    /// failure for the backoff.
    sign_refresh: Mutex<Option<Failure>>,
    token: ArcSwapOption<AccessToken>,
    /// Held by the one caller fetching an access token.
    token_refresh: Mutex<Option<Failure>>,
}

/// A failed fetch, shared with every caller it turns away.
struct Failure {
    at: Instant,
    error: Arc<ClientError>,
}

impl Failure {
    fn new(error: Arc<ClientError>) -> Self {
        Self {
            at: Instant::now(),
            error,
        }
    }

    /// The error, while the backoff after it lasts.
    fn within(&self, backoff: Duration) -> Option<Arc<ClientError>> {
        (self.at.elapsed() < backoff).then(|| Arc::clone(&self.error))
    }
}

/// Which ticket to fetch with the access token.
enum Wanted<'a> {
    Sign,
    Nonce(&'a UserId),
}

impl CachedTickets {
    /// Starts configuring tickets fetched with `client`.
    ///
    /// Defaults: refresh 5 minutes before expiry, keep the previous SIGN
    /// ticket 5 minutes after a rotation, retry a failed refresh after 2
    /// seconds.
    pub fn builder(client: FaceIdClient) -> CachedTicketsBuilder {
        CachedTicketsBuilder {
            client,
            refresh_before: Duration::from_secs(5 * 60),
            grace: Duration::from_secs(5 * 60),
            retry_backoff: Duration::from_secs(2),
        }
    }
}

impl CachedTicketsBuilder {
    /// How long before the SIGN ticket expires to fetch a new one
    /// (default 5 minutes). Callers keep being served the current ticket
    /// meanwhile.
    pub fn refresh_before(mut self, margin: Duration) -> Self {
        self.refresh_before = margin;
        self
    }

    /// How long the previous SIGN ticket stays accepted after a rotation
    /// (default 5 minutes); zero drops it at once.
    pub fn grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The least time between two attempts after a failed fetch (default
    /// 2 seconds); callers arriving meanwhile are served the still-valid
    /// ticket, or the failure.
    pub fn retry_backoff(mut self, backoff: Duration) -> Self {
        self.retry_backoff = backoff;
        self
    }

    /// Builds the cache, empty: the first call fetches.
    pub fn build(self) -> CachedTickets {
        CachedTickets {
            inner: Arc::new(Inner {
                client: self.client,
                refresh_before: self.refresh_before,
                grace: self.grace,
                retry_backoff: self.retry_backoff,
                sign: ArcSwapOption::empty(),
                sign_refresh: Mutex::new(None),
                token: ArcSwapOption::empty(),
                token_refresh: Mutex::new(None),
            }),
        }
    }
}

impl fmt::Debug for CachedTickets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CachedTickets")
            .field("client", &self.inner.client)
            .field("refresh_before", &self.inner.refresh_before)
            .field("grace", &self.inner.grace)
            .field("retry_backoff", &self.inner.retry_backoff)
            .finish_non_exhaustive()
    }
}

fn sign_unavailable(error: Arc<ClientError>) -> TicketError {
    TicketError::SignUnavailable {
        source: Box::new(error),
    }
}

impl Inner {
    /// Whether `tickets` needs no refresh at `now`.
    fn is_fresh(&self, tickets: &SignTickets, now: SystemTime) -> bool {
        tickets
            .current
            .expires_at()
            .duration_since(now)
            .is_ok_and(|left| left > self.refresh_before)
    }

    /// The refresh path: one caller fetches, the others wait for it (no
    /// valid ticket) or are served the valid one.
    async fn refresh_sign(&self) -> Result<Arc<SignTickets>, TicketError> {
        let valid_at = |now| {
            self.sign
                .load_full()
                .filter(|tickets| tickets.current.is_valid_at(now))
        };
        let mut last_failure = match valid_at(SystemTime::now()) {
            Some(valid) => match self.sign_refresh.try_lock() {
                Ok(guard) => guard,
                // A refresh is in flight; the valid ticket serves meanwhile.
                Err(_) => return Ok(valid),
            },
            None => self.sign_refresh.lock().await,
        };
        // Re-check: the refresh this caller waited for may have succeeded.
        let now = SystemTime::now();
        let cached = self.sign.load_full();
        if let Some(fresh) = cached.as_ref().filter(|t| self.is_fresh(t, now)) {
            return Ok(Arc::clone(fresh));
        }
        let valid = cached
            .as_ref()
            .filter(|t| t.current.is_valid_at(now))
            .cloned();
        if let Some(error) = last_failure
            .as_ref()
            .and_then(|f| f.within(self.retry_backoff))
        {
            return valid.ok_or_else(|| sign_unavailable(error));
        }
        match self.fetch(Wanted::Sign).await {
            Ok(ticket) => {
                *last_failure = None;
                let now = SystemTime::now();
                let (tickets, rotated) =
                    SignTickets::refreshed(cached.as_deref(), ticket, now, self.grace);
                tracing::info!(
                    expires_in_s = tickets
                        .current
                        .expires_at()
                        .duration_since(now)
                        .map_or(0, |left| left.as_secs()),
                    rotated,
                    "SIGN ticket refreshed"
                );
                let tickets = Arc::new(tickets);
                self.sign.store(Some(Arc::clone(&tickets)));
                Ok(tickets)
            }
            Err(error) => {
                *last_failure = Some(Failure::new(Arc::clone(&error)));
                match valid {
                    Some(valid) => {
                        tracing::warn!(
                            %error,
                            retry_in_s = self.retry_backoff.as_secs_f64(),
                            "SIGN ticket refresh failed; serving the still-valid ticket"
                        );
                        Ok(valid)
                    }
                    None => {
                        tracing::warn!(
                            %error,
                            retry_in_s = self.retry_backoff.as_secs_f64(),
                            "SIGN ticket refresh failed and no valid ticket is left"
                        );
                        Err(sign_unavailable(error))
                    }
                }
            }
        }
    }

    /// Fetches a ticket with the cached access token, renewing the token
    /// once if the vendor refuses it.
    async fn fetch(&self, wanted: Wanted<'_>) -> Result<Ticket, Arc<ClientError>> {
        let token = self.access_token(None).await?;
        match self.fetch_with(&token.value, &wanted).await {
            Err(error) if error.vendor_code() == Some(&ResultCode::InvalidAccessToken) => {
                tracing::info!("the vendor refused the access token; fetching a new one");
                let token = self.access_token(Some(&token)).await?;
                self.fetch_with(&token.value, &wanted)
                    .await
                    .map_err(Arc::new)
            }
            other => other.map_err(Arc::new),
        }
    }

    async fn fetch_with(&self, token: &Secret, wanted: &Wanted<'_>) -> Result<Ticket, ClientError> {
        match wanted {
            Wanted::Sign => self.client.sign_ticket(token).await,
            Wanted::Nonce(user_id) => self.client.nonce_ticket(token, user_id).await,
        }
    }

    /// The cached access token, or a new one (one fetch at a time) when it
    /// has expired or is `refused`.
    async fn access_token(
        &self,
        refused: Option<&Arc<AccessToken>>,
    ) -> Result<Arc<AccessToken>, Arc<ClientError>> {
        let usable = |token: &Arc<AccessToken>| {
            SystemTime::now() < token.expires_at
                && !refused.is_some_and(|refused| Arc::ptr_eq(refused, token))
        };
        if let Some(token) = self.token.load_full().filter(usable) {
            return Ok(token);
        }
        let mut last_failure = self.token_refresh.lock().await;
        // Re-check: another caller may have fetched one meanwhile.
        if let Some(token) = self.token.load_full().filter(usable) {
            return Ok(token);
        }
        if let Some(error) = last_failure
            .as_ref()
            .and_then(|f| f.within(self.retry_backoff))
        {
            return Err(error);
        }
        match self.client.access_token().await {
            Ok(token) => {
                *last_failure = None;
                tracing::debug!("access token fetched");
                let token = Arc::new(token);
                self.token.store(Some(Arc::clone(&token)));
                Ok(token)
            }
            Err(error) => {
                tracing::warn!(%error, "access token fetch failed");
                let error = Arc::new(error);
                *last_failure = Some(Failure::new(Arc::clone(&error)));
                Err(error)
            }
        }
    }
}

#[async_trait]
impl TicketProvider for CachedTickets {
    async fn sign_tickets(&self) -> Result<Arc<SignTickets>, TicketError> {
        match self.sign_tickets_now() {
            Some(tickets) => Ok(tickets),
            None => self.inner.refresh_sign().await,
        }
    }

    fn sign_tickets_now(&self) -> Option<Arc<SignTickets>> {
        self.inner
            .sign
            .load()
            .as_ref()
            .filter(|tickets| self.inner.is_fresh(tickets, SystemTime::now()))
            .map(Arc::clone)
    }

    async fn nonce_ticket(&self, user_id: &UserId) -> Result<Secret, TicketError> {
        self.inner
            .fetch(Wanted::Nonce(user_id))
            .await
            .map(|ticket| Secret::new(ticket.value()))
            .map_err(|error| {
                tracing::warn!(%error, "NONCE ticket fetch failed");
                TicketError::NonceUnavailable {
                    source: Box::new(error),
                }
            })
    }
}
