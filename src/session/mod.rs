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
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use url::Url;

use crate::binding::BindingCookie;
use crate::client::{ClientError, FaceIdClient};
use crate::ids::{IdentifierError, OrderNo, UserId};
use crate::orders::{OrderStore, PendingOrder, StoreError};
use crate::random::{nonce, random_alphanumeric};
use crate::render::{BodyFormat, ErrorResponse};
use crate::result_code::ResultCode;
use crate::secret::Secret;
use crate::sign::sign;
use crate::tickets::{call_with_recovery, SignTickets, TicketError, TicketProvider};
use crate::wire::{SourcePhotoType, StartRequest, VERSION};

/// The largest source photo the vendor accepts, before base64.
pub const MAX_PHOTO_BYTES: usize = 500 * 1024;

/// A comparison photo for a session.
#[derive(Clone, PartialEq, Eq)]
pub struct SourcePhoto {
    base64: Secret,
    kind: SourcePhotoType,
}

impl fmt::Debug for SourcePhoto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourcePhoto")
            .field("base64", &self.base64)
            .field("kind", &self.kind)
            .finish()
    }
}

impl SourcePhoto {
    /// A photo from its raw bytes (JPG, PNG or BMP, at most
    /// [`MAX_PHOTO_BYTES`]); it is base64-encoded as the vendor wants.
    ///
    /// # Errors
    /// [`InvalidStart::PhotoTooLarge`], [`InvalidStart::PhotoFormat`].
    ///
    /// ```
    /// use tencent_faceid::wire::SourcePhotoType;
    /// use tencent_faceid::session::SourcePhoto;
    /// let png = b"\x89PNG\r\n\x1a\n rest of the image";
    /// assert!(SourcePhoto::from_bytes(png, SourcePhotoType::HighDefinition).is_ok());
    /// assert!(SourcePhoto::from_bytes(b"GIF89a", SourcePhotoType::HighDefinition).is_err());
    /// ```
    pub fn from_bytes(bytes: &[u8], kind: SourcePhotoType) -> Result<Self, InvalidStart> {
        check_photo_bytes(bytes)?;
        Ok(Self {
            base64: Secret::new(base64::engine::general_purpose::STANDARD.encode(bytes)),
            kind,
        })
    }

    /// A photo already in base64: standard alphabet, padded, no line breaks,
    /// no `data:` prefix.
    ///
    /// # Errors
    /// [`InvalidStart::PhotoBase64`] with what is wrong, or the errors of
    /// [`SourcePhoto::from_bytes`] for the decoded image.
    ///
    /// ```
    /// use tencent_faceid::wire::SourcePhotoType;
    /// use tencent_faceid::session::SourcePhoto;
    /// assert!(SourcePhoto::from_base64("Qk0=", SourcePhotoType::Watermarked).is_ok());
    /// assert!(SourcePhoto::from_base64("data:image/png;base64,iVBO", SourcePhotoType::Watermarked).is_err());
    /// ```
    pub fn from_base64(base64: &str, kind: SourcePhotoType) -> Result<Self, InvalidStart> {
        if base64.starts_with("data:") {
            return Err(InvalidStart::PhotoBase64(
                "remove the \"data:...;base64,\" prefix: the vendor wants bare base64",
            ));
        }
        if base64.contains(['\r', '\n']) {
            return Err(InvalidStart::PhotoBase64(
                "remove the line breaks: the vendor wants base64 on one line",
            ));
        }
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(base64)
            .map_err(|_| {
                InvalidStart::PhotoBase64(
                    "not standard base64 (alphabet A-Z a-z 0-9 + /, '=' padding)",
                )
            })?;
        check_photo_bytes(&bytes)?;
        Ok(Self {
            base64: Secret::new(base64),
            kind,
        })
    }
}

fn check_photo_bytes(bytes: &[u8]) -> Result<(), InvalidStart> {
    if bytes.len() > MAX_PHOTO_BYTES {
        return Err(InvalidStart::PhotoTooLarge {
            size: bytes.len(),
            max: MAX_PHOTO_BYTES,
        });
    }
    let known = [&b"\xFF\xD8\xFF"[..], b"\x89PNG\r\n\x1a\n", b"BM"];
    if !known.iter().any(|magic| bytes.starts_with(magic)) {
        return Err(InvalidStart::PhotoFormat);
    }
    Ok(())
}

/// What a session needs: who, how to compare, and where to come back to.
///
/// ```
/// use tencent_faceid::ids::UserId;
/// use tencent_faceid::session::StartSession;
/// let request = StartSession::new(UserId::new("user42")?, "https://shop.example/face/callback".parse()?)
///     .name("张三")
///     .id_number("110101199003071234");
/// assert!(!format!("{request:?}").contains("张三"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct StartSession {
    user_id: UserId,
    callback_url: Url,
    name: Option<Secret>,
    id_number: Option<Secret>,
    photo: Option<SourcePhoto>,
    client_addr: Option<IpAddr>,
}

impl StartSession {
    /// A session for `user_id` that comes back to `callback_url`.
    pub fn new(user_id: UserId, callback_url: Url) -> Self {
        Self {
            user_id,
            callback_url,
            name: None,
            id_number: None,
            photo: None,
            client_addr: None,
        }
    }

    /// The user's name, for comparison with the authoritative source.
    pub fn name(mut self, name: impl Into<Secret>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The user's id number, for comparison with the authoritative source.
    pub fn id_number(mut self, id_number: impl Into<Secret>) -> Self {
        self.id_number = Some(id_number.into());
        self
    }

    /// A comparison photo of your own instead of the authoritative source.
    pub fn source_photo(mut self, photo: SourcePhoto) -> Self {
        self.photo = Some(photo);
        self
    }

    /// The address the request to start came from, for the
    /// [admission check](SessionStarterBuilder::admit) to limit per address.
    pub fn client_addr(mut self, addr: IpAddr) -> Self {
        self.client_addr = Some(addr);
        self
    }

    /// The user this session is for.
    pub fn user_id(&self) -> &UserId {
        &self.user_id
    }

    /// The address given with [`Self::client_addr`], if any.
    pub fn requested_from(&self) -> Option<IpAddr> {
        self.client_addr
    }

    fn validate(&self) -> Result<(), InvalidStart> {
        if !matches!(self.callback_url.scheme(), "http" | "https") {
            return Err(InvalidStart::CallbackUrl);
        }
        let blank =
            |field: &Option<Secret>| field.as_ref().is_some_and(|v| v.expose().trim().is_empty());
        if blank(&self.name) || blank(&self.id_number) {
            return Err(InvalidStart::BlankIdentity);
        }
        if self.photo.is_none() && (self.name.is_none() || self.id_number.is_none()) {
            return Err(InvalidStart::MissingIdentity);
        }
        Ok(())
    }
}

/// A start request the vendor would refuse: the message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidStart {
    /// Neither a photo nor both name and id number.
    #[error(
        "give both the name and the id number (authoritative-source comparison) or a source photo"
    )]
    MissingIdentity,
    /// Name or id number is empty or blank.
    #[error("the name and id number must not be blank")]
    BlankIdentity,
    /// The callback URL is not http(s).
    #[error("the callback URL must be an absolute http or https URL")]
    CallbackUrl,
    /// The photo is over the vendor's limit.
    #[error(
        "the source photo is {size} bytes; the vendor accepts at most {max} bytes before base64"
    )]
    PhotoTooLarge {
        /// The photo's size in bytes.
        size: usize,
        /// [`MAX_PHOTO_BYTES`].
        max: usize,
    },
    /// The photo is not JPG, PNG or BMP.
    #[error("the source photo must be a JPG, PNG or BMP image")]
    PhotoFormat,
    /// The photo's base64 breaks the vendor's rules.
    #[error("the source photo's base64 is not acceptable: {0}")]
    PhotoBase64(&'static str),
}

/// Starting a session failed; nothing was recorded.
///
/// Ready for HTTP: [`StartError::status`], [`StartError::is_transient`],
/// and a [`public_message`](StartError::public_message) for the user's
/// browser; with the `axum` feature it is an `IntoResponse`, with `actix`
/// a `ResponseError` (both through [`crate::render::ErrorResponse`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// The request breaks the vendor's rules.
    #[error(transparent)]
    Invalid(#[from] InvalidStart),
    /// No SIGN or NONCE ticket could be had.
    #[error(transparent)]
    Tickets(#[from] TicketError),
    /// The vendor refused or could not be reached.
    #[error("the vendor did not start the session: {0}")]
    Vendor(#[from] ClientError),
    /// The vendor answered something this crate cannot use.
    #[error("the vendor's answer cannot be used: {0}")]
    Answer(String),
    /// The pending order could not be recorded (checked before the vendor
    /// is asked, when the store is full).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The [admission check](SessionStarterBuilder::admit) refused the
    /// request (a rate limit): nothing was asked of the vendor.
    #[error("too many verifications started: {0}; try again later")]
    Refused(String),
    /// No valid order number could be made (the prefix is not letters and
    /// digits, or too long).
    ///
    /// Not made from any [`IdentifierError`] by `?`: an invalid user id is
    /// your app's to report, not an order number this crate failed to make.
    #[error("could not generate an order number: {0}")]
    OrderNo(#[source] IdentifierError),
}

impl StartError {
    /// The HTTP status to answer the user's request to start with: 400
    /// for a request to fix, 422 when the vendor refuses the name or id
    /// number, 429 when refused by the admission check, 503 when the order
    /// store or the tickets are unavailable, 502 when the vendor failed,
    /// 500 for this server's configuration.
    ///
    /// ```
    /// use tencent_faceid::client::{ClientError, Endpoint};
    /// use tencent_faceid::result_code::ResultCode;
    /// use tencent_faceid::session::{InvalidStart, StartError};
    /// assert_eq!(StartError::Invalid(InvalidStart::BlankIdentity).status(), 400);
    /// assert_eq!(StartError::Refused("5 a minute per address".into()).status(), 429);
    /// let refused = |code| StartError::Vendor(ClientError::Vendor {
    ///     endpoint: Endpoint::StartSession, code, msg: String::new() });
    /// assert_eq!(refused(ResultCode::InvalidNameOrIdNumber).status(), 422);
    /// assert_eq!(refused(ResultCode::InvalidAccessToken).status(), 502);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid(_) => 400,
            Self::Vendor(error) if error.vendor_code().is_some_and(ResultCode::is_about_input) => {
                422
            }
            Self::Refused(_) => 429,
            Self::Store(_) | Self::Tickets(_) => 503,
            Self::Vendor(_) | Self::Answer(_) => 502,
            Self::OrderNo(_) => 500,
        }
    }

    /// Whether the same request may succeed later, unchanged: the vendor,
    /// the tickets or the store failed, or the admission check refused it
    /// for now. Requests to fix (400, 422) and this server's configuration
    /// (500) are not transient.
    ///
    /// ```
    /// use tencent_faceid::session::{InvalidStart, StartError};
    /// assert!(StartError::Refused("30 a minute".into()).is_transient());
    /// assert!(!StartError::Invalid(InvalidStart::MissingIdentity).is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        matches!(self.status(), 429 | 502 | 503)
    }

    /// A stable machine-readable name: `invalid_request`,
    /// `identity_refused`, `too_many_requests`, `unavailable`,
    /// `vendor_failed` or `server_misconfigured`.
    ///
    /// ```
    /// use tencent_faceid::session::StartError;
    /// assert_eq!(StartError::Refused("30 a minute".into()).kind(), "too_many_requests");
    /// ```
    pub fn kind(&self) -> &'static str {
        match self.status() {
            400 => "invalid_request",
            422 => "identity_refused",
            429 => "too_many_requests",
            503 => "unavailable",
            502 => "vendor_failed",
            _ => "server_misconfigured",
        }
    }

    /// A message for the user's browser: what to fix or when to come
    /// back, never the vendor's own text, a secret or the request's
    /// personal data ([`Display`](std::fmt::Display) is for your logs).
    ///
    /// ```
    /// use tencent_faceid::session::{InvalidStart, StartError};
    /// let error = StartError::Invalid(InvalidStart::BlankIdentity);
    /// assert_eq!(error.public_message(), "the name and id number must not be blank");
    /// ```
    pub fn public_message(&self) -> String {
        match self {
            Self::Invalid(invalid) => invalid.to_string(),
            Self::Refused(_) => {
                "too many face verifications were started; try again in a minute".to_owned()
            }
            _ => match self.status() {
                422 => {
                    "the name and id number were not accepted; check them and try again".to_owned()
                }
                502 | 503 => {
                    "face verification is unavailable right now; try again in a few minutes"
                        .to_owned()
                }
                _ => "face verification is not set up correctly on this server".to_owned(),
            },
        }
    }

    /// The HTTP answer: the [status](Self::status) and the
    /// [public message](Self::public_message), never the vendor's own text
    /// or the request's personal data. The full error is logged (at `warn`
    /// for a request to fix, `error` otherwise).
    ///
    /// ```
    /// use tencent_faceid::render::BodyFormat;
    /// use tencent_faceid::session::{InvalidStart, StartError};
    /// let error = StartError::Invalid(InvalidStart::BlankIdentity);
    /// let response = error.to_response(BodyFormat::Json);
    /// assert_eq!(response.status, 400);
    /// assert_eq!(response.content_type, "application/json");
    /// ```
    pub fn to_response(&self, format: BodyFormat) -> ErrorResponse {
        if self.status() < 500 {
            tracing::warn!(error = %self, "face verification not started");
        } else {
            tracing::error!(error = %self, "face verification not started");
        }
        let message = self.public_message();
        ErrorResponse::new(self.status(), self.kind(), &message, format, None)
    }
}

/// Decides whether a request may start a session; see
/// [`SessionStarterBuilder::admit`].
type Admission = dyn Fn(&StartSession) -> Result<(), String> + Send + Sync;

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
            &request.callback_url,
            &nonce_ticket,
        )?;

        let binding = this
            .browser_binding
            .then(|| BindingCookie::new(request.callback_url.scheme() == "https", this.order_ttl));
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
