//! [`SdkLaunch`]: what the native SDK is launched with, and
//! [`SessionStarter::start_sdk`], which makes it.

use serde::{Deserialize, Serialize};

use crate::edition::{Edition, launch_sign};
use crate::ids::{OrderNo, UserId};
use crate::random::nonce;
use crate::secret::Secret;
use crate::session::{SessionStarter, StartError, StartSession, observe};
use crate::sign::Signature;
use crate::wire::VERSION;

/// The App SDK's launch parameters, under the vendor's names: send them to
/// your app as JSON (`serde_json::to_string(&launch)`), which passes them to
/// the SDK. `keyLicence` is a secret: it is in the JSON, never in `Debug`.
///
/// ```
/// use tencent_faceid::sdk::SdkLaunch;
/// let json = r#"{"faceId":"f1","agreementNo":"order1","openApiAppId":"appId001",
///     "openApiAppVersion":"1.0.0","openApiNonce":"kHoSxvLZGxSoFsjxlbzEoUzh5PAnTU7T",
///     "openApiUserId":"user1","openApiSign":"D7606F1741DDCF90757DA924EDCF152A200AC7F0",
///     "keyLicence":"licence"}"#;
/// let launch: SdkLaunch = serde_json::from_str(json)?;
/// assert_eq!(launch.agreement_no.as_str(), "order1");
/// assert!(!format!("{launch:?}").contains("licence\""));
/// assert_eq!(serde_json::to_value(&launch)?["keyLicence"], "licence");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SdkLaunch {
    /// The session's face id, from `getfaceid`.
    pub face_id: String,
    /// The order number.
    pub agreement_no: OrderNo,
    /// The app id (WBappid).
    pub open_api_app_id: String,
    /// [`VERSION`].
    pub open_api_app_version: String,
    /// 32 random letters and digits, signed.
    pub open_api_nonce: String,
    /// The user id.
    pub open_api_user_id: UserId,
    /// [`launch_sign`] over app id, user id, version and nonce, with a
    /// NONCE ticket fetched for the user.
    pub open_api_sign: Signature,
    /// The SDK licence the vendor issued for your app (configuration).
    pub key_licence: Secret,
}

impl SessionStarter {
    /// Starts an App SDK session: uploads the identity with `getfaceid`
    /// (while a NONCE ticket is fetched and the store's room checked, as
    /// for [`start`](Self::start)), records the pending order in the
    /// [`Edition::AppSdk`] edition, and answers the SDK's launch
    /// parameters, `openApiSign` signed with the NONCE ticket. The
    /// request's edition and callback URL are not used: the result comes
    /// back through your app ([`CallbackVerifier::verify_sdk_result`](crate::callback::CallbackVerifier::verify_sdk_result)).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid_emulator::Emulator;
    /// use tencent_faceid::UserId;
    /// use tencent_faceid::orders::MemoryOrderStore;
    /// use tencent_faceid::session::{SessionStarter, StartSession};
    /// use tencent_faceid::tickets::CachedTickets;
    /// let emulator = Emulator::start().await?;
    /// let client = emulator.client();
    /// let wiring = tencent_faceid::wiring::Wiring::new(client.clone(), CachedTickets::builder(client).build(), MemoryOrderStore::new());
    /// let starter = SessionStarter::builder(&wiring)
    ///     .key_licence(emulator.key_licence())
    ///     .build()?;
    /// let request = StartSession::for_sdk(UserId::new("user42")?).name("Zhang San").id_number("110101199003071234");
    /// let launch = starter.start_sdk(request).await?;
    /// assert_eq!(launch.open_api_user_id.as_str(), "user42");
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`StartError`], as [`start`](Self::start); [`StartError::NoKeyLicence`]
    /// (before anything is asked of the vendor) when no licence is
    /// configured.
    pub async fn start_sdk(&self, request: StartSession) -> Result<SdkLaunch, StartError> {
        observe(Edition::AppSdk, self.start_sdk_unobserved(request)).await
    }

    /// [`Self::start_sdk`], without its span and metrics.
    async fn start_sdk_unobserved(&self, request: StartSession) -> Result<SdkLaunch, StartError> {
        let key_licence = self.key_licence().ok_or(StartError::NoKeyLicence)?.clone();
        let edition = Edition::AppSdk;
        let uploaded = self.upload(&request, edition).await?;
        let app_id = self.client().app_id();
        let user_id = request.user_id().clone();
        let nonce = nonce();
        let open_api_sign = launch_sign(
            app_id,
            user_id.as_str(),
            &nonce,
            uploaded.nonce_ticket.expose(),
        );
        let launch = SdkLaunch {
            face_id: uploaded.face_id.clone(),
            agreement_no: uploaded.order_no.clone(),
            open_api_app_id: app_id.to_owned(),
            open_api_app_version: VERSION.to_owned(),
            open_api_nonce: nonce,
            open_api_user_id: user_id,
            open_api_sign,
            key_licence,
        };
        self.record(&uploaded.order_no, request, edition, None)
            .await?;
        Ok(launch)
    }
}
