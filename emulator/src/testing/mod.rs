//! A browser for your app's tests: [`Browser`] keeps the cookies your app
//! sets, as a browser does, and plays the user on the emulator's page, so
//! that a test drives start → vendor page → callback with browser binding
//! on, in one call: [`Browser::verify_axum`] (through your `Router`, no
//! port needed) or `Browser::verify_actix` (feature `actix`, through
//! `actix_web::test`).
//! The crate's documentation shows both in
//! [Testing your app](tencent_faceid#testing-your-app).

#[cfg(feature = "actix")]
mod actix;
mod axum;

use url::Url;

use crate::{Emulator, EmulatorError, Outcome};

/// Why [`Browser`] could not finish a verification.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrowserError {
    /// The start did not redirect to the vendor's page.
    #[error(
        "the app answered the start with HTTP {status}, not a redirect to the vendor's page; answer it with the Started value (a 303 with its Set-Cookie), and look at the body for the start's error"
    )]
    NotRedirected {
        /// The start's status.
        status: u16,
    },
    /// The emulator's page did not send the browser back.
    #[error(
        "the emulator's page did not send the browser back to the app; start the session on this emulator's client and follow its redirect"
    )]
    VendorPage(#[source] EmulatorError),
}

/// A browser for tests: a cookie jar, and the user on the emulator's page.
///
/// It sends every cookie it keeps with every request (it ignores `Path`,
/// `Domain` and `Secure`: one app, one browser), so a test that follows
/// it passes with [browser binding](tencent_faceid::wiring::Wiring::browser_binding) on, as a real browser
/// does. [`Self::forget_cookies`] makes it another browser.
#[derive(Debug, Clone)]
pub struct Browser {
    emulator: Emulator,
    cookies: Vec<(String, String)>,
}

impl Browser {
    /// A browser with no cookies whose user is on `emulator`'s pages.
    pub fn new(emulator: &Emulator) -> Self {
        Self {
            emulator: emulator.clone(),
            cookies: Vec::new(),
        }
    }

    /// The `Cookie` header it sends, if it keeps any cookie.
    pub fn cookie_header(&self) -> Option<String> {
        let pairs: Vec<String> = self
            .cookies
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        (!pairs.is_empty()).then(|| pairs.join("; "))
    }

    /// Keeps the cookies of a response's `Set-Cookie` headers (a cookie
    /// set again replaces the old one; `Max-Age=0` removes it).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> std::io::Result<()> {
    /// use tencent_faceid_emulator::Emulator;
    /// use tencent_faceid_emulator::testing::Browser;
    /// let mut browser = Browser::new(&Emulator::start().await?);
    /// browser.keep_cookies(["faceid_binding=abc; Path=/; HttpOnly", "theme=dark"]);
    /// assert_eq!(browser.cookie_header().as_deref(), Some("faceid_binding=abc; theme=dark"));
    /// browser.keep_cookies(["theme=; Max-Age=0"]);
    /// assert_eq!(browser.cookie_header().as_deref(), Some("faceid_binding=abc"));
    /// # Ok(()) }
    /// ```
    pub fn keep_cookies<'a>(&mut self, set_cookies: impl IntoIterator<Item = &'a str>) {
        for set_cookie in set_cookies {
            let mut parts = set_cookie.split(';');
            let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
                continue;
            };
            let (name, value) = (name.trim(), value.trim());
            self.cookies.retain(|(kept, _)| kept != name);
            let removed = parts.any(|attribute| attribute.trim().eq_ignore_ascii_case("max-age=0"));
            if !removed {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    /// Drops every cookie: from now on it is another browser.
    pub fn forget_cookies(&mut self) {
        self.cookies.clear();
    }

    /// The user on the vendor's page the start redirected to (its status
    /// and `Location`) ends the session with `outcome`: the callback URL the
    /// page sends the browser back to. The step between the start and the
    /// callback, for a framework without a `verify_*` of its own.
    ///
    /// # Errors
    /// [`BrowserError::NotRedirected`] when the start is no redirect,
    /// [`BrowserError::VendorPage`] when it is not to the emulator's page.
    pub fn on_vendor_page(
        &self,
        status: u16,
        location: Option<&str>,
        outcome: Outcome,
    ) -> Result<Url, BrowserError> {
        match location {
            Some(location) if (300..400).contains(&status) => self
                .emulator
                .complete_login(location, outcome)
                .map_err(BrowserError::VendorPage),
            _ => Err(BrowserError::NotRedirected { status }),
        }
    }
}
