//! [`BrowserCallback`]: the result callback as the user's browser brings
//! it back, and how it is read (see the [module documentation](super) for
//! the rules).

use std::fmt;

use super::submission::{Origin, Submission};
use super::{CallbackRejection, CallbackVerifier, query, wechat};
use crate::binding::BindingHash;
use crate::orders::Claim;

/// A result callback as the user's browser brings it back: the query
/// string of its URL, and the value of the [binding
/// cookie](crate::callback::BindingCookie) the browser carried, if any. What
/// [`CallbackVerifier::verify`] takes; a query string alone converts into
/// one without a cookie.
///
/// ```
/// use tencent_faceid::callback::BrowserCallback;
/// let query = "code=0&orderNo=o1&h5faceId=f1&newSignature=x";
/// let callback = BrowserCallback::new(query, Some("cookie value"));
/// assert_eq!(callback.query(), query);
/// assert_eq!(BrowserCallback::from(query).binding_cookie(), None);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BrowserCallback<'a> {
    query: &'a str,
    binding_cookie: Option<&'a str>,
}

/// The query, and whether a binding cookie came: never its value.
impl fmt::Debug for BrowserCallback<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BrowserCallback")
            .field("query", &self.query)
            .field("binding_cookie", &self.binding_cookie.is_some())
            .finish()
    }
}

impl<'a> BrowserCallback<'a> {
    /// The callback with this query string (without the `?`; one leading
    /// `?` is tolerated) and this binding cookie value (read it with
    /// [`crate::binding::cookie_value`]). Without the wiring's [browser
    /// binding](crate::wiring::Wiring::browser_binding) the cookie is
    /// ignored.
    pub fn new(query: &'a str, binding_cookie: Option<&'a str>) -> Self {
        Self {
            query,
            binding_cookie,
        }
    }

    /// The query string.
    pub fn query(&self) -> &'a str {
        self.query
    }

    /// The binding cookie's value, if the browser carried one.
    pub fn binding_cookie(&self) -> Option<&'a str> {
        self.binding_cookie
    }

    /// Reads the query strictly (a WeChat redirect's BizToken, or the H5
    /// callback's signed parameters), and the claim it makes on its order.
    pub(super) fn submission(
        &self,
        verifier: &CallbackVerifier,
    ) -> Result<Submission, CallbackRejection> {
        let claim = match (verifier.binds_browsers(), self.binding_cookie) {
            (true, Some(cookie)) => Claim::new().bound_to(BindingHash::of(cookie)),
            // Without its cookie, refused once the order is looked up.
            _ => Claim::new(),
        };
        let max_len = verifier.inner.max_query_len;
        if let Some(biz_token) = wechat::redirect_token(self.query, max_len) {
            let biz_token = biz_token.map_err(CallbackRejection::malformed)?;
            return Submission::biz_token(Origin::Browser, &biz_token, claim);
        }
        let raw = query::parse(self.query, max_len).map_err(CallbackRejection::malformed)?;
        let submission = Submission::signed(
            Origin::Browser,
            &raw.order_no,
            &raw.code,
            &raw.new_signature,
            claim,
        )?;
        let live_rate = raw.live_rate.map(String::from);
        Ok(submission.reported(raw.h5face_id.into_owned(), live_rate))
    }
}

impl<'a> From<&'a str> for BrowserCallback<'a> {
    /// The callback with this query string, without a binding cookie.
    fn from(query: &'a str) -> Self {
        Self::new(query, None)
    }
}

impl<'a> From<&'a String> for BrowserCallback<'a> {
    /// The callback with this query string, without a binding cookie.
    fn from(query: &'a String) -> Self {
        Self::new(query, None)
    }
}
