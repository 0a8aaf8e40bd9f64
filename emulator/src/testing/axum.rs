//! [`Browser`] against an axum `Router`, without a port.

use std::convert::Infallible;

use axum::Router;
use axum::body::Body;
use http::header::{COOKIE, LOCATION, SET_COOKIE};
use http::{HeaderValue, Request, Response};
use tower_service::Service;

use super::{Browser, BrowserError};
use crate::Outcome;

impl Browser {
    /// Sends `request` to `app` with this browser's cookies, and keeps the
    /// cookies the response sets.
    pub async fn send_axum(&mut self, app: &Router, mut request: Request<Body>) -> Response<Body> {
        if let Some(cookies) = self
            .cookie_header()
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            request.headers_mut().insert(COOKIE, cookies);
        }
        let mut app = app.clone();
        let response =
            match std::future::poll_fn(|cx| Service::<Request<Body>>::poll_ready(&mut app, cx))
                .await
            {
                Ok(()) => app.call(request).await,
                Err(never) => Err(never),
            };
        let response: Response<Body> = response.unwrap_or_else(|never: Infallible| match never {});
        let set_cookies = response.headers().get_all(SET_COOKIE);
        self.keep_cookies(set_cookies.iter().filter_map(|value| value.to_str().ok()));
        response
    }

    /// Sends `start` to `app`, follows its redirect to the emulator's page,
    /// where the user ends the session with `outcome`, and comes back to
    /// `app`'s callback: the callback's response. Cookies are carried
    /// throughout, as a browser does.
    ///
    /// # Errors
    /// [`BrowserError`] when the start does not redirect to the emulator's
    /// page.
    pub async fn verify_axum(
        &mut self,
        app: &Router,
        start: Request<Body>,
        outcome: Outcome,
    ) -> Result<Response<Body>, BrowserError> {
        let started = self.send_axum(app, start).await;
        let location = started.headers().get(LOCATION);
        let location = location.and_then(|value| value.to_str().ok());
        let callback = self.on_vendor_page(started.status().as_u16(), location, outcome)?;
        let mut request = Request::new(Body::empty());
        *request.uri_mut() = callback
            .as_str()
            .parse()
            .map_err(|_| BrowserError::NotRedirected { status: 500 })?;
        Ok(self.send_axum(app, request).await)
    }
}
