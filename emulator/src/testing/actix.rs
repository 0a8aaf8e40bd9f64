//! [`Browser`] against an actix-web app under `actix_web::test`.

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::header::{COOKIE, LOCATION, SET_COOKIE};
use actix_web::test::{self, TestRequest};

use super::{Browser, BrowserError};
use crate::Outcome;

impl Browser {
    /// Sends `request` to `app` (from `actix_web::test::init_service`) with
    /// this browser's cookies, and keeps the cookies the response sets.
    pub async fn send_actix<S, B>(
        &mut self,
        app: &S,
        mut request: TestRequest,
    ) -> ServiceResponse<B>
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        if let Some(cookies) = self.cookie_header() {
            request = request.insert_header((COOKIE, cookies));
        }
        let response = test::call_service(app, request.to_request()).await;
        let set_cookies = response.headers().get_all(SET_COOKIE);
        self.keep_cookies(set_cookies.filter_map(|value| value.to_str().ok()));
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
    pub async fn verify_actix<S, B>(
        &mut self,
        app: &S,
        start: TestRequest,
        outcome: Outcome,
    ) -> Result<ServiceResponse<B>, BrowserError>
    where
        S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
        B: MessageBody,
    {
        let started = self.send_actix(app, start).await;
        let location = started.headers().get(LOCATION);
        let location = location.and_then(|value| value.to_str().ok());
        let callback = self.on_vendor_page(started.status().as_u16(), location, outcome)?;
        let request = TestRequest::get().uri(callback.as_str());
        Ok(self.send_actix(app, request).await)
    }
}
