//! [`Emulator::face_id`]: a `FaceId` whose vendor is an emulator.

use tencent_faceid::FaceId;
use tencent_faceid::facade::FaceIdBuilder;

use crate::Emulator;

impl Emulator {
    /// A [`FaceIdBuilder`] on this emulator ([`FaceId::with_client`]): its
    /// client (base URL, app id, secret, clock), its API 3.0 client for the
    /// WeChat channel ([`FaceIdBuilder::wechat`]) and its App SDK licence
    /// (through [`FaceIdBuilder::starter`]); settings of your own given
    /// after these replace them. Announced with a `tracing` warning: anyone
    /// who presses "pass" is verified.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid_emulator::Emulator;
    /// let emulator = Emulator::start().await?;
    /// let face_id = emulator
    ///     .face_id()
    ///     .callback_url("http://127.0.0.1:3000/face/callback")
    ///     .build()
    ///     .await?;
    /// assert_eq!(face_id.verifier().app_id(), emulator.app_id());
    /// # Ok(()) }
    /// ```
    pub fn face_id(&self) -> FaceIdBuilder {
        tracing::warn!(
            base_url = %self.base_url(),
            "FACE VERIFICATION IS EMULATED: anyone who presses \"pass\" is verified. For development and tests only; configure FACEID_APP_ID and FACEID_SECRET for the vendor"
        );
        let licence = self.key_licence().to_owned();
        FaceId::with_client(self.client())
            .wechat(self.tc3_client())
            .starter(move |starter| starter.key_licence(licence))
    }
}
