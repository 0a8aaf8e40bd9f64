//! Starting a verification: [`SessionStarter`] turns a [`StartSession`]
//! into the URL to send the user's browser to.
//!
//! It validates the request against the vendor's limits (a blank name or id
//! number is [`InvalidStart::BlankIdentity`], a 400 by
//! [`StartError::status`]), runs the [admission
//! check](SessionStarterBuilder::admit) if any (rate limits), checks that
//! the order store has room (before the vendor session is paid for),
//! generates a unique order number, signs and sends geth5faceid, fetches a single-use NONCE
//! ticket, builds the H5 login URL on the domain the vendor chose, and
//! records the pending order so that only this session's callback is
//! accepted, once. Name, id number and photo are never logged.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use url::Url;

use crate::binding::BindingCookie;
use crate::client::FaceIdClient;
use crate::ids::{IdentifierError, OrderNo, UserId};
use crate::orders::{OrderStore, PendingOrder};
use crate::random::{nonce, random_alphanumeric};
use crate::secret::Secret;
use crate::sign::sign;
use crate::tickets::{call_with_recovery, SignTickets, TicketProvider};
use crate::wire::{StartRequest, VERSION};

mod error;
mod observed;
mod request;

pub use error::{InvalidStart, StartError};
pub use request::{SourcePhoto, StartSession, MAX_PHOTO_BYTES};

/// Decides whether a request may start a session; see
/// [`SessionStarterBuilder::admit`].
pub(crate) type Admission = dyn Fn(&StartSession) -> Result<(), String> + Send + Sync;

/// A started session: send the browser to `redirect_url`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Started {
    /// The order number, as recorded in the store.
    pub order_no: OrderNo,
    /// The vendor's id for this session.
    pub h5face_id: String,
    /// The vendor's H5 page for this session (single use).
    pub redirect_url: Url,
    /// With [`SessionStarterBuilder::browser_binding`]: the cookie to set
    /// on the response that redirects the browser (its `Set-Cookie` header
    /// is [`BindingCookie::set_cookie`]).
    pub binding: Option<BindingCookie>,
}

/// Configures a [`SessionStarter`].
pub struct SessionStarterBuilder {
    client: FaceIdClient,
    tickets: Arc<dyn TicketProvider>,
    store: Arc<dyn OrderStore>,
    order_ttl: Duration,
    order_prefix: String,
    browser_binding: bool,
    admit: Option<Box<Admission>>,
}

impl SessionStarterBuilder {
    /// Binds each session to the browser that starts it: [`Started::binding`]
    /// is a cookie to set on the redirect, whose hash is recorded with the
    /// order; a verifier with
    /// [`browser_binding`](crate::callback::CallbackVerifierBuilder::browser_binding)
    /// then accepts the callback only from that browser (see
    /// [`crate::binding`]). The cookie is `Secure` when the callback URL is
    /// https. Off by default.
    pub fn browser_binding(mut self, on: bool) -> Self {
        self.browser_binding = on;
        self
    }

    /// A check every valid request passes before anything costs money (a
    /// vendor session, tickets, a stored order): return `Err(reason)` to
    /// refuse it with [`StartError::Refused`] (429). Use it for per-user or
    /// per-address rate limits ([`StartSession::requested_from`]); a global
    /// limit can also be a tower layer around the starter.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use tencent_faceid::client::FaceIdClient;
    /// use tencent_faceid::session::SessionStarter;
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::tickets::StaticTickets;
    /// let client = FaceIdClient::builder("appId001", "secret").build()?;
    /// let started = AtomicUsize::new(0);
    /// let starter = SessionStarter::builder(client, StaticTickets::new("sign", "nonce"), MemoryOrderStore::new())
    ///     .admit(move |_request| match started.fetch_add(1, Ordering::Relaxed) {
    ///         0..100 => Ok(()),
    ///         _ => Err("this demo starts 100 sessions at most".to_owned()),
    ///     })
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn admit(
        mut self,
        check: impl Fn(&StartSession) -> Result<(), String> + Send + Sync + 'static,
    ) -> Self {
        self.admit = Some(Box::new(check));
        self
    }

    /// How long a started session may take to come back; default 30 min.
    pub fn order_ttl(mut self, ttl: Duration) -> Self {
        self.order_ttl = ttl;
        self
    }

    /// Letters or digits (at most 12) every order number starts with;
    /// default `"fid"`.
    pub fn order_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.order_prefix = prefix.into();
        self
    }

    /// Builds the starter.
    ///
    /// # Errors
    /// [`IdentifierError`] when the prefix is not letters and
    /// digits or longer than 12.
    pub fn build(self) -> Result<SessionStarter, IdentifierError> {
        const MAX_PREFIX: usize = 12;
        if self.order_prefix.len() > MAX_PREFIX {
            return Err(IdentifierError::TooLong {
                what: "order number prefix",
                max: MAX_PREFIX,
                actual: self.order_prefix.chars().count(),
            });
        }
        if !self.order_prefix.is_empty() {
            OrderNo::new(self.order_prefix.as_str())?;
        }
        Ok(SessionStarter {
            inner: Arc::new(self),
        })
    }
}

/// Starts verification sessions. Cheap to clone.
///
/// It is a [`tower::Service`](tower_service::Service) (feature `tower`), so
/// timeouts, retries and concurrency limits are tower layers:
///
/// ```no_run
/// # async fn run(starter: tencent_faceid::session::SessionStarter, request: tencent_faceid::session::StartSession) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
/// use std::time::Duration;
/// use tower::{Service, ServiceBuilder, ServiceExt};
///
/// let mut service = ServiceBuilder::new()
///     .concurrency_limit(64)
///     .timeout(Duration::from_secs(10))
///     .service(starter);
/// let started = service.ready().await?.call(request).await?;
/// println!("send the browser to {}", started.redirect_url);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct SessionStarter {
    inner: Arc<SessionStarterBuilder>,
}

impl fmt::Debug for SessionStarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionStarter")
            .field("client", &self.inner.client)
            .field("order_ttl", &self.inner.order_ttl)
            .field("order_prefix", &self.inner.order_prefix)
            .field("browser_binding", &self.inner.browser_binding)
            .finish_non_exhaustive()
    }
}

impl SessionStarter {
    /// Starts configuring a starter.
    ///
    /// ```
    /// use tencent_faceid::client::FaceIdClient;
    /// use tencent_faceid::session::SessionStarter;
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::tickets::StaticTickets;
    /// let client = FaceIdClient::builder("appId001", "secret").build()?;
    /// let starter = SessionStarter::builder(client, StaticTickets::new("sign", "nonce"), MemoryOrderStore::new())
    ///     .order_prefix("shop")
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder(
        client: FaceIdClient,
        tickets: impl TicketProvider,
        store: impl OrderStore,
    ) -> SessionStarterBuilder {
        SessionStarterBuilder {
            client,
            tickets: Arc::new(tickets),
            store: Arc::new(store),
            order_ttl: Duration::from_secs(30 * 60),
            order_prefix: "fid".to_owned(),
            browser_binding: false,
            admit: None,
        }
    }

    /// Starts a session: see the [module docs](self) for the steps.
    ///
    /// # Errors
    /// [`StartError`]; on any error no order is recorded.
    pub async fn start(&self, request: StartSession) -> Result<Started, StartError> {
        // The edition is wired in with editions; every start is basic so far.
        observed::observed("basic", self.start_unobserved(request)).await
    }

    /// [`Self::start`], without its span and metrics.
    async fn start_unobserved(&self, request: StartSession) -> Result<Started, StartError> {
        request.validate()?;
        let this = &self.inner;
        if let Some(admit) = &this.admit {
            admit(&request).map_err(StartError::Refused)?;
        }
        // A full store would refuse the order after the vendor session was
        // paid for: ask first.
        this.store.check_room().await?;
        let app_id = this.client.app_id();
        let order_no = self.new_order_no().map_err(StartError::OrderNo)?;
        tracing::Span::current().record("order_no", order_no.as_str());
        let tickets = this.tickets.sign_tickets().await?;

        let mut signed = vec![app_id, order_no.as_str(), request.user_id.as_str(), VERSION];
        signed.extend(request.name.as_ref().map(Secret::expose));
        signed.extend(request.id_number.as_ref().map(Secret::expose));
        let start_with = |tickets: Arc<SignTickets>| {
            let start = StartRequest {
                webank_app_id: app_id.to_owned(),
                order_no: order_no.clone(),
                sign: sign(&signed, tickets.current.value()),
                name: request.name.clone(),
                id_no: request.id_number.clone(),
                user_id: request.user_id.clone(),
                source_photo_type: request.photo.as_ref().map(|p| p.kind),
                source_photo_str: request.photo.as_ref().map(|p| p.base64.clone()),
                version: VERSION.to_owned(),
            };
            async move { this.client.start_session(&start).await }
        };
        let session = call_with_recovery(&*this.tickets, tickets, start_with).await?;
        if session.order_no != order_no.as_str() {
            return Err(StartError::Answer(format!(
                "the session is for order {:?}, not {order_no}",
                session.order_no
            )));
        }

        let nonce_ticket = this.tickets.nonce_ticket(&request.user_id).await?;
        let redirect_url = self.login_url(
            &order_no,
            &request.user_id,
            &session.h5face_id,
            session.optimal_domain.as_deref(),
            request.callback()?,
            &nonce_ticket,
        )?;

        let https = request.callback().is_ok_and(|url| url.scheme() == "https");
        let binding = this
            .browser_binding
            .then(|| BindingCookie::new(https, this.order_ttl));
        let mut order = PendingOrder::new(order_no.clone(), request.user_id);
        // On the client's clock, which the reconciler schedules by too.
        order.created_at = this.client.clock().now();
        if let Some(binding) = &binding {
            order = order.bound_to(binding.hash());
        }
        this.store.put(order, this.order_ttl).await?;
        tracing::info!(order_no = %order_no, bound = binding.is_some(), "face verification session started");
        Ok(Started {
            order_no,
            h5face_id: session.h5face_id,
            redirect_url,
            binding,
        })
    }

    /// A fresh order number: the prefix, the time in milliseconds, and
    /// random letters and digits up to 32 characters.
    fn new_order_no(&self) -> Result<OrderNo, IdentifierError> {
        let prefix = &self.inner.order_prefix;
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        let head = format!("{prefix}{millis}");
        let tail = random_alphanumeric(32usize.saturating_sub(head.len()));
        OrderNo::new(format!("{head}{tail}"))
    }

    /// The vendor's H5 login URL, on the vendor's chosen domain with the
    /// client's scheme, signed with the NONCE ticket.
    fn login_url(
        &self,
        order_no: &OrderNo,
        user_id: &UserId,
        h5face_id: &str,
        optimal_domain: Option<&str>,
        callback_url: &Url,
        nonce_ticket: &Secret,
    ) -> Result<Url, StartError> {
        let base = self.inner.client.base_url();
        let mut url = base.clone();
        url.set_path("/api/web/login");
        url.set_query(None);
        if let Some(domain) = optimal_domain.filter(|d| !d.is_empty()) {
            url = Url::parse(&format!("{}://{domain}/api/web/login", base.scheme())).map_err(
                |_| StartError::Answer(format!("the optimal domain {domain:?} is not a host name")),
            )?;
        }
        let app_id = self.inner.client.app_id();
        let nonce = nonce();
        let signature = sign(
            &[
                app_id,
                order_no.as_str(),
                user_id.as_str(),
                VERSION,
                h5face_id,
                &nonce,
            ],
            nonce_ticket.expose(),
        );
        url.query_pairs_mut()
            .append_pair("webankAppId", app_id)
            .append_pair("version", VERSION)
            .append_pair("nonce", &nonce)
            .append_pair("orderNo", order_no.as_str())
            .append_pair("h5faceId", h5face_id)
            .append_pair("url", callback_url.as_str())
            .append_pair("resultType", "1")
            .append_pair("userId", user_id.as_str())
            .append_pair("sign", &signature.to_string())
            .append_pair("from", "browser")
            .append_pair("redirectType", "1");
        Ok(url)
    }
}

#[cfg(feature = "tower")]
impl tower_service::Service<StartSession> for SessionStarter {
    type Response = Started;
    type Error = StartError;
    type Future =
        std::pin::Pin<Box<dyn std::future::Future<Output = Result<Started, StartError>> + Send>>;

    fn poll_ready(
        &mut self,
        _cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: StartSession) -> Self::Future {
        let starter = self.clone();
        Box::pin(async move { starter.start(request).await })
    }
}
