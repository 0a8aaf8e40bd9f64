//! Standing in for the user: what the H5 page's buttons and the user's
//! browser do, without a browser.

use url::Url;

use super::{Emulator, EmulatorError, Outcome, routes};

impl Emulator {
    /// What the H5 page's buttons do, without a browser: records the
    /// session's result and answers the callback URL the browser would be
    /// redirected to, with `code`, `orderNo`, `h5faceId`, the signature
    /// (`newSignature`, or see
    /// [`EmulatorBuilder::signature_param`](super::EmulatorBuilder::signature_param))
    /// made with the current SIGN ticket and, on a pass, `liveRate`. With no
    /// SIGN ticket alive the vendor cannot sign: the URL has no signature.
    ///
    /// The callback URL is the `url` the login page was opened with; if it
    /// was never opened, the placeholder `<base_url>callback` (not served).
    ///
    /// # Errors
    /// [`EmulatorError::UnknownSession`] for an h5faceId no session has,
    /// [`EmulatorError::AlreadyCompleted`] when the session already has a
    /// result.
    pub fn complete(&self, h5face_id: &str, outcome: Outcome) -> Result<Url, EmulatorError> {
        self.shared.vendor.complete(h5face_id, outcome.code())
    }

    /// What the user's browser does with your app's redirect to the H5
    /// login page: opens `login_url` (the `Location` your app answered,
    /// such as [`Started::redirect_url`](tencent_faceid::session::Started)), which
    /// the page checks as the vendor's does (the link's signature with the
    /// NONCE ticket, its user, that it was not opened before) and counts
    /// as a [`Counts::login_page`](super::Counts::login_page); then presses the button for `outcome`.
    /// Answers the callback URL the browser is sent back to: the page's
    /// `url` parameter with the result, as [`Emulator::complete`].
    ///
    /// The login page is looked for on this emulator whatever
    /// [`Emulator::optimal_domain`] names, as if that name resolved to it;
    /// no HTTP request is made.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid_emulator::{Emulator, EmulatorError, Outcome, Refusal};
    /// use tencent_faceid::UserId;
    /// use tencent_faceid::session::{SessionStarter, StartSession};
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::tickets::CachedTickets;
    ///
    /// let emulator = Emulator::start().await?;
    /// let client = emulator.client();
    /// let wiring = tencent_faceid::wiring::Wiring::new(client.clone(), CachedTickets::builder(client).build(), MemoryOrderStore::new());
    /// let starter = SessionStarter::builder(&wiring).build()?;
    /// let started = starter
    ///     .start(StartSession::new(UserId::new("user42")?, "https://shop.example/face/callback".parse()?)
    ///         .name("Zhang San")
    ///         .id_number("110101199003071234"))
    ///     .await?;
    ///
    /// let callback = emulator.complete_login(started.redirect_url.as_str(), Outcome::Pass)?;
    /// assert_eq!(callback.path(), "/face/callback");
    /// assert!(callback.query().unwrap().contains("code=0"));
    ///
    /// // The link works once, as the vendor's.
    /// let again = emulator.complete_login(started.redirect_url.as_str(), Outcome::Pass);
    /// assert!(matches!(again, Err(EmulatorError::LoginRefused { refusal: Refusal::LoginLinkUsed, .. })));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`EmulatorError::NotLoginPage`] when `login_url` is not an http(s)
    /// URL of the login page on this emulator's base URL or optimal
    /// domain; [`EmulatorError::LoginRefused`] when the page refuses the
    /// link; [`EmulatorError::AlreadyCompleted`] when the session already
    /// has a result.
    pub fn complete_login(&self, login_url: &str, outcome: Outcome) -> Result<Url, EmulatorError> {
        let url = self.login_page_url(login_url)?;
        let page = self
            .shared
            .open_login_page(url.query())
            .map_err(|rejection| EmulatorError::LoginRefused {
                refusal: rejection.refusal,
                reason: rejection.msg,
            })?;
        self.shared.vendor.complete(&page.h5face_id, outcome.code())
    }

    /// `login_url`, when it is this emulator's login page (on its optimal
    /// domain or base URL).
    fn login_page_url(&self, login_url: &str) -> Result<Url, EmulatorError> {
        let not_login_page = |found: String| EmulatorError::NotLoginPage {
            found,
            expected: format!("http://{}{}", self.optimal_domain(), routes::LOGIN_PATH),
        };
        let url = Url::parse(login_url)
            .map_err(|error| not_login_page(format!("not an absolute URL ({error})")))?;
        let scheme = url.scheme();
        let same_server = |other: &Url| {
            other.host() == url.host()
                && other.port_or_known_default() == url.port_or_known_default()
        };
        let on_optimal_domain = Url::parse(&format!("{scheme}://{}/", self.optimal_domain()))
            .is_ok_and(|domain| same_server(&domain));
        if matches!(scheme, "http" | "https")
            && url.path() == routes::LOGIN_PATH
            && (on_optimal_domain || same_server(self.base_url()))
        {
            Ok(url)
        } else {
            let host = url.host_str().unwrap_or_default();
            let port = url
                .port()
                .map(|port| format!(":{port}"))
                .unwrap_or_default();
            Err(not_login_page(format!(
                "{scheme}://{host}{port}{}",
                url.path()
            )))
        }
    }
}
