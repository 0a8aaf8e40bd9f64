//! [`Wiring`]: the vendor client, the ticket provider and the order store
//! (and so the app id and the clock) that every part is built from, and
//! the one setting they all read: whether sessions are bound to the
//! browser that starts them ([`Wiring::browser_binding`]).
//!
//! The [`SessionStarter`](crate::session::SessionStarter), the
//! [`CallbackVerifier`](crate::callback::CallbackVerifier), the
//! [`Settler`](crate::settle::Settler) and the
//! [`Reconciler`](crate::settle::Reconciler) each take one `Wiring` (or a
//! part built from one), so the parts of one app are built on the same
//! store, tickets and client by construction: a verifier cannot consume
//! orders from a store its starter never records in, nor settle through a
//! settler on another store, nor require a binding cookie its starter
//! never sets.
//!
//! The store's type is kept: a `Wiring` on a store that can settle orders
//! (a [`SettlementStore`], as all of this crate's stores are) also builds a
//! settler; one on a store that cannot does not compile.
//!
//! ```
//! use tencent_faceid::callback::CallbackVerifier;
//! use tencent_faceid::client::FaceIdClient;
//! use tencent_faceid::orders::MemoryOrderStore;
//! use tencent_faceid::session::SessionStarter;
//! use tencent_faceid::settle::{Reconciler, Settler};
//! use tencent_faceid::tickets::CachedTickets;
//! use tencent_faceid::wiring::Wiring;
//!
//! let client = FaceIdClient::builder("appId001", "secret").build()?;
//! let tickets = CachedTickets::builder(client.clone()).build();
//! let wiring = Wiring::new(client, tickets, MemoryOrderStore::new());
//! let starter = SessionStarter::builder(&wiring).build()?;
//! let settler = Settler::builder(&wiring).build();
//! let verifier = CallbackVerifier::settling(&settler).build()?;
//! let reconciler = Reconciler::builder(settler).build();
//! assert_eq!(verifier.app_id(), wiring.app_id());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::sync::Arc;

use crate::client::FaceIdClient;
use crate::clock::Clock;
use crate::orders::{OrderStore, SettlementStore};
use crate::tc3::Tc3Client;
use crate::tickets::TicketProvider;

/// The client, tickets and order store the parts of one app share, and
/// whether they bind sessions to browsers; see the
/// [module documentation](self). Cheap to clone (an `Arc` each for the
/// tickets and the store, and the client's); clones are the same wiring.
///
/// `S` is the store's type: [`Wiring::new`] keeps it, so that
/// [`Settler::builder`](crate::settle::Settler::builder) can ask for a
/// [`SettlementStore`] when the program is compiled; the parts keep a
/// `Wiring<dyn OrderStore>` (the default) or `Wiring<dyn SettlementStore>`.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use std::time::Duration;
/// use tencent_faceid::client::FaceIdClient;
/// use tencent_faceid::{OrderNo, UserId};
/// use tencent_faceid::orders::{Lookup, MemoryOrderStore, OrderStore, PendingOrder};
/// use tencent_faceid::session::SessionStarter;
/// use tencent_faceid::tickets::StaticTickets;
/// use tencent_faceid::wiring::Wiring;
/// let client = FaceIdClient::builder("appId001", "secret").build()?;
/// let wiring = Wiring::new(client, StaticTickets::new("sign", "nonce"), MemoryOrderStore::new());
/// let starter = SessionStarter::builder(&wiring).build()?;
/// assert_eq!(starter.wiring().app_id(), wiring.app_id());
/// // The store keeps its type: here, a memory store the parts share.
/// let order_no = OrderNo::new("o1")?;
/// let order = PendingOrder::new(order_no.clone(), UserId::new("u1")?);
/// wiring.store().put(order, Duration::from_secs(60)).await?;
/// let pending = starter.wiring().store().lookup(&order_no).await?;
/// assert!(matches!(pending, Lookup::Pending { .. }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct Wiring<S: ?Sized = dyn OrderStore> {
    client: FaceIdClient,
    tickets: Arc<dyn TicketProvider>,
    /// The store, as its own type.
    store: Arc<S>,
    /// How the parts see the store as an order store: set where `S` is
    /// known, as `Arc<S>` cannot become `Arc<dyn OrderStore>` for every
    /// `S` that can be unsized.
    as_order_store: fn(Arc<S>) -> Arc<dyn OrderStore>,
    /// Whether sessions are bound to the browser that starts them.
    binds_browsers: bool,
    /// The API 3.0 client of the WeChat edition, if configured.
    tc3: Option<Tc3Client>,
}

impl<S: ?Sized> Clone for Wiring<S> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            tickets: Arc::clone(&self.tickets),
            store: Arc::clone(&self.store),
            as_order_store: self.as_order_store,
            binds_browsers: self.binds_browsers,
            tc3: self.tc3.clone(),
        }
    }
}

/// The client (which shows no secret); never the tickets or the store's
/// contents.
impl<S: ?Sized> fmt::Debug for Wiring<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wiring")
            .field("client", &self.client)
            .field("binds_browsers", &self.binds_browsers)
            .field("wechat", &self.tc3)
            .finish_non_exhaustive()
    }
}

impl<S: OrderStore> Wiring<S> {
    /// The parts of an app asking the vendor through `client`, signing with
    /// the tickets from `tickets` and keeping orders in `store`. The app id
    /// and the clock are the client's. [Browser
    /// binding](Self::browser_binding) is on.
    ///
    /// ```
    /// use tencent_faceid::client::FaceIdClient;
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::tickets::StaticTickets;
    /// use tencent_faceid::wiring::Wiring;
    /// let client = FaceIdClient::builder("appId001", "secret").build()?;
    /// let wiring = Wiring::new(client, StaticTickets::new("sign", "nonce"), MemoryOrderStore::new());
    /// assert_eq!(wiring.app_id(), "appId001");
    /// # Ok::<(), tencent_faceid::client::ClientError>(())
    /// ```
    pub fn new(client: FaceIdClient, tickets: impl TicketProvider, store: S) -> Self {
        Self {
            client,
            tickets: Arc::new(tickets),
            store: Arc::new(store),
            as_order_store: |store| store,
            binds_browsers: true,
            tc3: None,
        }
    }
}

impl<S: SettlementStore> Wiring<S> {
    /// The same wiring, its store seen as a settlement store.
    pub(crate) fn settling(&self) -> Wiring<dyn SettlementStore> {
        let store = Arc::clone(&self.store) as Arc<dyn SettlementStore>;
        self.on(store, |store| store)
    }
}

impl Wiring<dyn SettlementStore> {
    /// A wiring on parts already shared: a store chosen when the program
    /// runs (or kept to look into), and tickets shared with other wirings.
    /// As [`Self::new`] otherwise: the app id and the clock are the
    /// client's, [browser binding](Self::browser_binding) is on; but
    /// [`Settler::builder`](crate::settle::Settler::builder) asks for a
    /// wiring on the store's own type.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tencent_faceid::client::FaceIdClient;
    /// use tencent_faceid::orders::{MemoryOrderStore, SettlementStore};
    /// use tencent_faceid::tickets::{StaticTickets, TicketProvider};
    /// use tencent_faceid::wiring::Wiring;
    /// let client = FaceIdClient::builder("appId001", "secret").build()?;
    /// let tickets: Arc<dyn TicketProvider> = Arc::new(StaticTickets::new("sign", "nonce"));
    /// let store: Arc<dyn SettlementStore> = Arc::new(MemoryOrderStore::new());
    /// let wiring = Wiring::shared(client, tickets, Arc::clone(&store));
    /// assert_eq!(wiring.app_id(), "appId001");
    /// # Ok::<(), tencent_faceid::client::ClientError>(())
    /// ```
    pub fn shared(
        client: FaceIdClient,
        tickets: Arc<dyn TicketProvider>,
        store: Arc<dyn SettlementStore>,
    ) -> Self {
        Self {
            client,
            tickets,
            store,
            as_order_store: |store| store,
            binds_browsers: true,
            tc3: None,
        }
    }
}

impl<S: ?Sized> Wiring<S> {
    /// Whether each session is bound to the browser that starts it, like
    /// OAuth's `state` (see [`BindingCookie`](crate::callback::BindingCookie)): the
    /// [starter](crate::session::SessionStarter) then answers a cookie to
    /// set on the redirect ([`Started::binding`](crate::session::Started::binding)),
    /// whose hash is recorded with the order (the cookie is `Secure` when
    /// the callback URL is https), and the
    /// [verifier](crate::callback::CallbackVerifier) accepts the callback
    /// only from the browser that carries it: a request without it, or
    /// from another browser, gets 409
    /// ([`RejectionKind::NoBindingCookie`](crate::callback::RejectionKind::NoBindingCookie),
    /// [`RejectionKind::OtherBrowser`](crate::callback::RejectionKind::OtherBrowser))
    /// and leaves the order pending; the same browser coming back gets its
    /// outcome again, marked
    /// [`repeated`](crate::callback::VerificationOutcome::repeated). An App
    /// SDK result has no browser, so it is never bound.
    ///
    /// **On by default**: a callback URL that leaks (a shared screen, a
    /// referrer, a proxy log) or an order number that is guessed then
    /// cannot be redeemed from another browser, and a reloaded callback
    /// page shows its outcome again instead of a replay error. Turn it off
    /// (`false`) only where the callback cannot carry the cookie (another
    /// host, a WebView that drops cookies). One setting of the app, read by
    /// every part built from this wiring, so the starter and the verifier
    /// cannot disagree.
    ///
    /// ```
    /// use tencent_faceid::callback::CallbackVerifier;
    /// use tencent_faceid::client::FaceIdClient;
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::session::SessionStarter;
    /// use tencent_faceid::tickets::StaticTickets;
    /// use tencent_faceid::wiring::Wiring;
    /// let client = FaceIdClient::builder("appId001", "secret").build()?;
    /// let wiring = Wiring::new(client, StaticTickets::new("sign", "nonce"), MemoryOrderStore::new());
    /// assert!(wiring.binds_browsers());
    /// let unbound = wiring.browser_binding(false);
    /// assert!(!SessionStarter::builder(&unbound).build()?.binds_browsers());
    /// assert!(!CallbackVerifier::builder(&unbound).build()?.binds_browsers());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn browser_binding(mut self, on: bool) -> Self {
        self.binds_browsers = on;
        self
    }

    /// The [WeChat edition](crate::edition::Edition::WeChat)'s Tencent
    /// Cloud API 3.0 client: the starter calls `DetectAuth` with it, and
    /// the verifier and the reconciler pull `GetDetectInfoEnhanced` (see
    /// [the WeChat edition](crate::wechat)). Without it, WeChat sessions are refused
    /// ([`StartError::NoWeChatClient`](crate::session::StartError::NoWeChatClient)).
    ///
    /// ```
    /// use tencent_faceid::client::FaceIdClient;
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::wechat::Tc3Client;
    /// use tencent_faceid::tickets::StaticTickets;
    /// use tencent_faceid::wiring::Wiring;
    /// let client = FaceIdClient::builder("appId001", "secret").build()?;
    /// let tc3 = Tc3Client::builder("AKIDexample", "key", "1").build()?;
    /// let wiring = Wiring::new(client, StaticTickets::new("sign", "nonce"), MemoryOrderStore::new())
    ///     .wechat(tc3);
    /// assert_eq!(wiring.tc3().map(|tc3| tc3.rule_id()), Some("1"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wechat(mut self, client: Tc3Client) -> Self {
        self.tc3 = Some(client);
        self
    }

    /// The WeChat edition's client, if configured ([`Self::wechat`]).
    pub fn tc3(&self) -> Option<&Tc3Client> {
        self.tc3.as_ref()
    }

    /// Whether sessions are bound to the browser that starts them
    /// ([`Self::browser_binding`]).
    pub fn binds_browsers(&self) -> bool {
        self.binds_browsers
    }

    /// The vendor client.
    pub fn client(&self) -> &FaceIdClient {
        &self.client
    }

    /// The app id (WBappid): the client's.
    pub fn app_id(&self) -> &str {
        self.client.app_id()
    }

    /// The clock orders are stamped, settlements scheduled and the
    /// previous SIGN ticket's grace window judged on: the client's (see
    /// [`FaceIdClientBuilder::clock`](crate::client::FaceIdClientBuilder::clock)).
    pub fn clock(&self) -> &Clock {
        self.client.clock()
    }

    /// Where SIGN and NONCE tickets come from.
    pub fn tickets(&self) -> &dyn TicketProvider {
        &*self.tickets
    }

    /// The order store, as its own type.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The same wiring, its store seen only as an order store (what the
    /// starter and the verifier use).
    pub(crate) fn as_orders(&self) -> Wiring {
        let store = (self.as_order_store)(Arc::clone(&self.store));
        self.on(store, |store| store)
    }

    /// The same wiring on `store` (the same store, seen as `T`), seen as
    /// an order store with `as_order_store`.
    fn on<T: ?Sized>(
        &self,
        store: Arc<T>,
        as_order_store: fn(Arc<T>) -> Arc<dyn OrderStore>,
    ) -> Wiring<T> {
        Wiring {
            client: self.client.clone(),
            tickets: Arc::clone(&self.tickets),
            store,
            as_order_store,
            binds_browsers: self.binds_browsers,
            tc3: self.tc3.clone(),
        }
    }
}
