//! Starting a session in the [WeChat edition](Edition::WeChat):
//! `DetectAuth` through the wiring's API 3.0 client, then the pending
//! order keyed by the BizToken ([`crate::wechat::order_no_of`]).

use url::Url;

use super::{SessionStarter, StartError, StartSession, Started};
use crate::binding::BindingCookie;
use crate::edition::Edition;
use crate::secret::Secret;
use crate::tc3::DetectAuthRequest;
use crate::tc3::biz_token::order_no_of;

impl SessionStarter {
    /// Validates and admits `request`, then at once asks `DetectAuth`
    /// (RuleId, RedirectUrl = the callback URL, name and id number when
    /// given, `Extra` = the user id) and checks the store's room; records
    /// the order, bound to the browser (WeChat H5, with browser binding)
    /// or to none (a mini program).
    pub(super) async fn start_wechat(&self, request: StartSession) -> Result<Started, StartError> {
        let edition = Edition::WeChat;
        request.validate(edition)?;
        self.admit(&request)?;
        let this = &self.inner;
        let tc3 = this.wiring.tc3().ok_or(StartError::NoWeChatClient)?;
        let callback_url = match request.is_mini_program() {
            true => None,
            false => Some(request.callback()?),
        };
        let mut detect = DetectAuthRequest::new(tc3.rule_id());
        detect.redirect_url = callback_url.map(|url| url.as_str().to_owned());
        detect.name = request.name.clone();
        detect.id_card = request
            .id_number
            .as_ref()
            .map(|id| Secret::new(id.expose().to_uppercase()));
        detect.extra = Some(request.user_id.as_str().to_owned());
        let room = async { Ok::<_, StartError>(this.wiring.store().check_room().await?) };
        let detected = async { Ok::<_, StartError>(tc3.detect_auth(&detect).await?) };
        let ((), answer) = tokio::try_join!(room, detected)?;
        let unusable = |what: String| StartError::Answer(what);
        let order_no = order_no_of(&answer.biz_token)
            .map_err(|e| unusable(format!("DetectAuth's BizToken: {e}")))?;
        tracing::Span::current().record("order_no", order_no.as_str());
        let redirect_url = answer
            .url
            .as_deref()
            .and_then(|url| Url::parse(url).ok())
            .ok_or_else(|| unusable("DetectAuth answered no page URL".to_owned()))?;
        let binding = match callback_url {
            Some(url) if self.binds_browsers() => {
                Some(BindingCookie::new(url.scheme() == "https", this.order_ttl))
            }
            _ => None,
        };
        self.record(&order_no, request, edition, binding.as_ref())
            .await?;
        Ok(Started {
            order_no,
            h5face_id: answer.biz_token,
            redirect_url,
            binding,
            edition,
        })
    }
}
