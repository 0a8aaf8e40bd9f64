//! The native SDK, played: it checks its launch parameters as the vendor's
//! SDK and service would, runs the session, and signs its result.
//!
//! *Inferred* (no vendor page states it): a launch whose `openApiSign`
//! matches no live NONCE ticket of `openApiUserId`, whose licence is not
//! the app's, or whose face id is not a `getfaceid` session of that order
//! and user, is refused before the face check; each launch (its
//! `openApiNonce`) works once, as a login link does.

use serde_json::Value;
use subtle::ConstantTimeEq;

use super::Vendor;
use super::checks::{Rejection, check_nonce, check_version, parse_sign};
use super::sessions::{Link, Signed};
use crate::error::EmulatorError;
use crate::outcome::Refusal;
use tencent_faceid::client::ResultCode;
use tencent_faceid::session::Edition;

impl Vendor {
    /// Launches the SDK with `launch` (the launch parameters as the app
    /// passes them, JSON) and ends its session with `code`.
    pub fn run_sdk(&self, launch: &Value, code: &ResultCode) -> Result<Signed, EmulatorError> {
        let face_id = self
            .check_launch(launch)
            .map_err(|rejection| EmulatorError::SdkRefused {
                refusal: rejection.refusal,
                reason: rejection.msg,
            })?;
        self.finish(&face_id, code)
    }

    /// Checks the launch parameters, using up the NONCE ticket and the
    /// launch; answers the session's face id.
    fn check_launch(&self, launch: &Value) -> Result<String, Rejection> {
        let field = |name: &str| {
            launch
                .get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| {
                    Rejection::new(
                        Refusal::InvalidRequest,
                        format!("the launch parameter {name} is missing"),
                    )
                })
        };
        let face_id = field("faceId")?;
        let order_no = field("agreementNo")?;
        let app_id = field("openApiAppId")?;
        let version = field("openApiAppVersion")?;
        let nonce = field("openApiNonce")?;
        let user_id = field("openApiUserId")?;
        let signature = parse_sign(Some(field("openApiSign")?))?;
        let licence = field("keyLicence")?;
        self.check_app_id(app_id)?;
        check_version(version)?;
        check_nonce(nonce)?;
        let licensed: bool = licence
            .as_bytes()
            .ct_eq(self.settings.key_licence.expose().as_bytes())
            .into();
        if !licensed {
            return Err(Rejection::new(
                Refusal::InvalidCredentials,
                "keyLicence is not this app's SDK licence",
            ));
        }
        let now = self.now();
        let values = [app_id, user_id, version, nonce];
        self.state().use_link(
            &Link {
                nonce,
                order_no,
                face_id,
                user_id,
                edition: Edition::AppSdk,
                values: &values,
                signature,
            },
            now,
        )?;
        Ok(face_id.to_owned())
    }
}
