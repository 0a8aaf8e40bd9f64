//! Starting a verification: [`SessionStarter`] turns a [`StartSession`]
//! into the URL to send the user's browser to (the basic or enhanced H5
//! page), or into the App SDK's launch parameters
//! ([`SessionStarter::start_sdk`]).
//!
//! It validates the request against the vendor's limits (a blank name or id
//! number is [`InvalidStart::BlankIdentity`], a 400 by
//! [`StartError::status`]), runs the [admission
//! check](SessionStarterBuilder::admit) if any (rate limits), generates a
//! unique order number, then at once: signs and sends the edition's upload
//! (geth5faceid, getAdvFaceId or getfaceid: see [`Edition`]),
//! fetches a single-use NONCE ticket for the user, and checks that the
//! order store has room. It then builds the H5 login URL on the domain the
//! vendor chose (or the SDK's launch parameters), and records the pending
//! order, with its edition, so that only this session's result is
//! accepted, once. Name, id number and photo are never logged.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use url::Url;

use crate::binding::BindingCookie;
use crate::client::{ClientError, FaceIdClient};
use crate::clock::unix_millis;
use crate::ids::{IdentifierError, OrderNo};
use crate::orders::PendingOrder;
use crate::random::{nonce, random_alphanumeric};
use crate::secret::Secret;
use crate::tickets::{SignTickets, call_with_recovery};
use crate::wire::{FaceIdRequest, FaceIdResult, StartRequest, VERSION};
use crate::wiring::Wiring;

mod error;
mod observed;
mod request;
mod wechat;

pub use crate::edition::{
    Edition, ParseEditionError, face_id_sign, geth5faceid_sign, launch_sign, login_sign,
    result_sign,
};
pub use error::{InvalidStart, StartError};
pub use request::{MAX_PHOTO_BYTES, SourcePhoto, StartSession};

/// Decides whether a request may start a session; see
/// [`SessionStarterBuilder::admit`].
pub(crate) type Admission = dyn Fn(&StartSession) -> Result<(), String> + Send + Sync;

/// A started session: send the browser to `redirect_url`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Started {
    /// The order number, as recorded in the store.
    pub order_no: OrderNo,
    /// The vendor's id for this session (`h5faceId`, the enhanced
    /// edition's `faceId`, or the WeChat edition's BizToken: hand it to
    /// the mini program).
    pub h5face_id: String,
    /// The vendor's H5 page for this session (single use; for WeChat, the
    /// page `DetectAuth` answered).
    pub redirect_url: Url,
    /// With [browser binding](Wiring::browser_binding) (on by default):
    /// the cookie to set on the response that redirects the browser (its
    /// `Set-Cookie` header is [`BindingCookie::set_cookie`]).
    pub binding: Option<BindingCookie>,
    /// The edition the session was started in.
    pub edition: Edition,
}

/// Configures a [`SessionStarter`].
pub struct SessionStarterBuilder {
    wiring: Wiring,
    order_ttl: Duration,
    order_prefix: String,
    admit: Option<Box<Admission>>,
    key_licence: Option<Secret>,
}

impl SessionStarterBuilder {
    /// A check every valid request passes before anything costs money (a
    /// vendor session, tickets, a stored order): return `Err(reason)` to
    /// refuse it with [`StartError::Refused`] (429). Use it for per-user or
    /// per-address rate limits ([`StartSession::requested_from`]); a global
    /// limit can also be a tower layer around the starter.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use tencent_faceid::session::SessionStarter;
    /// # let wiring = tencent_faceid::__doctest::wiring()?;
    /// let started = AtomicUsize::new(0);
    /// let starter = SessionStarter::builder(&wiring)
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

    /// The App SDK licence (`keyLicence`) the vendor issued for your app:
    /// [`SessionStarter::start_sdk`] hands it to the app with the launch
    /// parameters. A secret: never in `Debug` or logs.
    ///
    /// ```
    /// use tencent_faceid::session::SessionStarter;
    /// # let wiring = tencent_faceid::__doctest::wiring()?;
    /// let starter = SessionStarter::builder(&wiring)
    ///     .key_licence("licence-from-the-console")
    ///     .build()?;
    /// assert!(!format!("{starter:?}").contains("licence-from"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn key_licence(mut self, licence: impl Into<Secret>) -> Self {
        self.key_licence = Some(licence.into());
        self
    }

    /// How long a started session may take to come back; default
    /// [`SessionStarter::DEFAULT_ORDER_TTL`], 30 min.
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
            .field("wiring", &self.inner.wiring)
            .field("order_ttl", &self.inner.order_ttl)
            .field("order_prefix", &self.inner.order_prefix)
            .field("binds_browsers", &self.binds_browsers())
            .finish_non_exhaustive()
    }
}

impl SessionStarter {
    /// Starts configuring a starter on `wiring`'s client, tickets and
    /// store, binding sessions to browsers as the wiring says
    /// ([`Wiring::browser_binding`]).
    ///
    /// ```
    /// use tencent_faceid::session::SessionStarter;
    /// # let wiring = tencent_faceid::__doctest::wiring()?;
    /// let starter = SessionStarter::builder(&wiring)
    ///     .order_prefix("shop")
    ///     .build()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn builder<S: ?Sized>(wiring: &Wiring<S>) -> SessionStarterBuilder {
        SessionStarterBuilder {
            wiring: wiring.as_orders(),
            order_ttl: Self::DEFAULT_ORDER_TTL,
            order_prefix: "fid".to_owned(),
            admit: None,
            key_licence: None,
        }
    }

    /// The default of [`SessionStarterBuilder::order_ttl`]: 30 minutes.
    pub const DEFAULT_ORDER_TTL: Duration = Duration::from_secs(30 * 60);

    /// How long a started session may take to come back
    /// ([`SessionStarterBuilder::order_ttl`]).
    pub fn order_ttl(&self) -> Duration {
        self.inner.order_ttl
    }

    /// Whether sessions are bound to the browser that starts them: the
    /// wiring's [`Wiring::binds_browsers`].
    pub fn binds_browsers(&self) -> bool {
        self.inner.wiring.binds_browsers()
    }

    /// The wiring the starter was built from.
    pub fn wiring(&self) -> &Wiring {
        &self.inner.wiring
    }

    /// Starts a session in an H5 edition (basic, or enhanced with
    /// [`StartSession::edition`]), or in the [WeChat
    /// edition](Edition::WeChat) (`DetectAuth`: see [the WeChat edition](crate::wechat)):
    /// see the [module docs](self) for the steps. For the App SDK, see
    /// [`Self::start_sdk`].
    ///
    /// # Errors
    /// [`StartError`]; on any error no order is recorded.
    /// [`InvalidStart::NotH5`] for a request in the App SDK edition.
    pub async fn start(&self, request: StartSession) -> Result<Started, StartError> {
        let edition = request.edition;
        if edition == Edition::WeChat {
            return observe(edition, self.start_wechat(request)).await;
        }
        observe(edition, self.start_h5(request, edition)).await
    }

    /// [`Self::start`], without its span and metrics.
    async fn start_h5(
        &self,
        request: StartSession,
        edition: Edition,
    ) -> Result<Started, StartError> {
        if !edition.is_h5() {
            return Err(InvalidStart::NotH5.into());
        }
        let uploaded = self.upload(&request, edition).await?;
        let callback_url = request.callback()?;
        let redirect_url = self.login_url(&uploaded, edition, &request, callback_url)?;
        let https = callback_url.scheme() == "https";
        let binding = self
            .binds_browsers()
            .then(|| BindingCookie::new(https, self.inner.order_ttl));
        self.record(&uploaded.order_no, request, edition, binding.as_ref())
            .await?;
        Ok(Started {
            order_no: uploaded.order_no,
            h5face_id: uploaded.face_id,
            redirect_url,
            binding,
            edition,
        })
    }

    /// What every edition does first: validates the request, admits it,
    /// then uploads the identity (the edition's call, signed with the SIGN
    /// ticket, recovered once if the vendor refuses the credentials) while
    /// the NONCE ticket for the user is fetched and the store's room is
    /// checked, all three at once. The first failure is the start's
    /// [`StartError`]; a NONCE ticket fetched for a start that fails is
    /// dropped.
    pub(crate) async fn upload(
        &self,
        request: &StartSession,
        edition: Edition,
    ) -> Result<Uploaded, StartError> {
        request.validate(edition)?;
        self.admit(request)?;
        let this = &self.inner;
        let order_no = self.new_order_no().map_err(StartError::OrderNo)?;
        tracing::Span::current().record("order_no", order_no.as_str());
        let upload = async {
            let provider = this.wiring.tickets();
            let tickets = provider.sign_tickets().await?;
            let call =
                |tickets: Arc<SignTickets>| self.upload_once(request, edition, &order_no, tickets);
            let session = call_with_recovery(provider, tickets, call).await?;
            if session.order_no != order_no.as_str() {
                return Err(StartError::Answer(format!(
                    "the session is for order {:?}, not {order_no}",
                    session.order_no
                )));
            }
            Ok(session)
        };
        let nonce_ticket = async {
            let provider = this.wiring.tickets();
            Ok::<_, StartError>(provider.nonce_ticket(&request.user_id).await?)
        };
        // A full store would refuse the order after the vendor session was
        // paid for: asked at once, and polled first, so that a store that
        // knows at once (in memory) fails the start before the upload is sent.
        let room = async { Ok::<_, StartError>(this.wiring.store().check_room().await?) };
        let ((), session, nonce_ticket) = tokio::try_join!(room, upload, nonce_ticket)?;
        Ok(Uploaded {
            order_no,
            face_id: session.face_id,
            optimal_domain: session.optimal_domain,
            nonce_ticket,
        })
    }

    /// The [admission check](SessionStarterBuilder::admit), if any.
    fn admit(&self, request: &StartSession) -> Result<(), StartError> {
        match &self.inner.admit {
            Some(admit) => admit(request).map_err(StartError::Refused),
            None => Ok(()),
        }
    }

    /// The edition's upload call, once, signed with `tickets`.
    async fn upload_once(
        &self,
        request: &StartSession,
        edition: Edition,
        order_no: &OrderNo,
        tickets: Arc<SignTickets>,
    ) -> Result<Session, ClientError> {
        let client = self.inner.wiring.client();
        let app_id = client.app_id();
        let ticket = tickets.current.value();
        let (name, id_no) = (request.name.clone(), request.id_number.clone());
        let photo_type = request.photo.as_ref().map(|p| p.kind);
        let photo = request.photo.as_ref().map(|p| p.base64.clone());
        if edition == Edition::Basic {
            let start = StartRequest {
                webank_app_id: app_id.to_owned(),
                order_no: order_no.clone(),
                sign: geth5faceid_sign(
                    app_id,
                    order_no.as_str(),
                    name.as_ref().map(Secret::expose),
                    id_no.as_ref().map(Secret::expose),
                    request.user_id.as_str(),
                    ticket,
                ),
                name,
                id_no,
                user_id: request.user_id.clone(),
                source_photo_type: photo_type,
                source_photo_str: photo,
                version: VERSION.to_owned(),
            };
            let session = client.start_session(&start).await?;
            return Ok(Session {
                order_no: session.order_no,
                face_id: session.h5face_id,
                optimal_domain: session.optimal_domain,
            });
        }
        let nonce = nonce();
        let start = FaceIdRequest {
            app_id: app_id.to_owned(),
            order_no: order_no.clone(),
            sign: face_id_sign(app_id, request.user_id.as_str(), &nonce, ticket),
            nonce,
            name,
            id_no,
            user_id: request.user_id.clone(),
            source_photo_type: photo_type,
            source_photo_str: photo,
            version: VERSION.to_owned(),
        };
        let FaceIdResult {
            order_no,
            face_id,
            optimal_domain,
            ..
        } = if edition == Edition::Enhanced {
            client.start_enhanced(&start).await?
        } else {
            client.start_sdk(&start).await?
        };
        Ok(Session {
            order_no,
            face_id,
            optimal_domain,
        })
    }

    /// Records the pending order of an uploaded session.
    pub(crate) async fn record(
        &self,
        order_no: &OrderNo,
        request: StartSession,
        edition: Edition,
        binding: Option<&BindingCookie>,
    ) -> Result<(), StartError> {
        let this = &self.inner;
        let mut order = PendingOrder::new(order_no.clone(), request.user_id).in_edition(edition);
        // On the client's clock, which the reconciler schedules by too.
        order.created_at = this.wiring.clock().now();
        if let Some(binding) = binding {
            order = order.bound_to(binding.hash());
        }
        this.wiring.store().put(order, this.order_ttl).await?;
        tracing::info!(order_no = %order_no, %edition, bound = binding.is_some(), "face verification session started");
        Ok(())
    }

    /// The client sessions are started with.
    pub(crate) fn client(&self) -> &FaceIdClient {
        self.inner.wiring.client()
    }

    /// The App SDK licence, if configured.
    pub(crate) fn key_licence(&self) -> Option<&Secret> {
        self.inner.key_licence.as_ref()
    }

    /// A fresh order number: the prefix, the time in milliseconds, and
    /// random letters and digits up to 32 characters; never 32 hex digits,
    /// the form of a WeChat order ([`crate::wechat::order_no_of`]), which
    /// the reconciler tells by it.
    fn new_order_no(&self) -> Result<OrderNo, IdentifierError> {
        let prefix = &self.inner.order_prefix;
        let millis = unix_millis(SystemTime::now());
        let head = format!("{prefix}{millis}");
        loop {
            let tail = random_alphanumeric(32usize.saturating_sub(head.len()));
            let order_no = OrderNo::new(format!("{head}{tail}"))?;
            if crate::tc3::biz_token::biz_token_of(&order_no).is_none() {
                return Ok(order_no);
            }
        }
    }

    /// The vendor's H5 login URL for `edition`, on the vendor's chosen
    /// domain with the client's scheme, signed with the NONCE ticket.
    fn login_url(
        &self,
        uploaded: &Uploaded,
        edition: Edition,
        request: &StartSession,
        callback_url: &Url,
    ) -> Result<Url, StartError> {
        let base = self.inner.wiring.client().base_url();
        let mut url = base.clone();
        url.set_path("/api/web/login");
        url.set_query(None);
        if let Some(domain) = uploaded.optimal_domain.as_deref().filter(|d| !d.is_empty()) {
            url = Url::parse(&format!("{}://{domain}/api/web/login", base.scheme())).map_err(
                |_| StartError::Answer(format!("the optimal domain {domain:?} is not a host name")),
            )?;
        }
        let app_id = self.inner.wiring.app_id();
        let (order_no, user_id) = (uploaded.order_no.as_str(), request.user_id.as_str());
        let nonce = nonce();
        let signature = login_sign(
            app_id,
            order_no,
            user_id,
            &uploaded.face_id,
            &nonce,
            uploaded.nonce_ticket.expose(),
        );
        let (app_id_param, face_id_param) = edition.login_params();
        url.query_pairs_mut()
            .append_pair(app_id_param, app_id)
            .append_pair("version", VERSION)
            .append_pair("nonce", &nonce)
            .append_pair("orderNo", order_no)
            .append_pair(face_id_param, &uploaded.face_id)
            .append_pair("url", callback_url.as_str())
            .append_pair("resultType", "1")
            .append_pair("userId", user_id)
            .append_pair("sign", &signature.to_string())
            .append_pair("from", "browser")
            .append_pair("redirectType", "1");
        Ok(url)
    }
}

/// Runs a start of `edition` in its `faceid.start` span, then counts it
/// and records how long it took (see [`crate::metrics`]).
pub(crate) async fn observe<T>(
    edition: Edition,
    start: impl std::future::Future<Output = Result<T, StartError>>,
) -> Result<T, StartError> {
    observed::observed(edition.as_str(), start).await
}

/// A session the vendor opened, in any edition.
struct Session {
    order_no: String,
    face_id: String,
    optimal_domain: Option<String>,
}

/// What [`SessionStarter::upload`] answers: the order, the vendor's
/// session and a NONCE ticket for the user.
pub(crate) struct Uploaded {
    /// The order number sent to the vendor.
    pub(crate) order_no: OrderNo,
    /// The vendor's id for the session (`h5faceId` or `faceId`).
    pub(crate) face_id: String,
    /// The H5 page's domain, as the vendor chose it.
    optimal_domain: Option<String>,
    /// A single-use NONCE ticket for the request's user.
    pub(crate) nonce_ticket: Secret,
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
