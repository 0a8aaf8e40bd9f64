//! Standing in for the native App SDK: [`Emulator::run_sdk`] takes the
//! launch parameters your server answered and gives the result the SDK
//! gives your app.

use serde::Serialize;
use serde_json::{Value, json};

use super::rules::LIVE_RATE;
use super::{Emulator, EmulatorError, Outcome};
use tencent_faceid::client::ResultCode;

/// The similarity a passed SDK session reports.
const SIMILARITY: &str = "92.016";
/// The error domain of a failure the compare server decided (*inferred*
/// name: only such results can be queried, as the vendor's page says).
const COMPARE_SERVER_DOMAIN: &str = "WBFaceErrorDomainCompareServer";
/// The error domain of a session the SDK could not run (*inferred* name).
const NATIVE_DOMAIN: &str = "WBFaceErrorDomainNativeProcess";

/// What the SDK answers the app, in the SDK's shape
/// (`{isSuccess, sign, liveRate, similarity, error}` when serialised), and
/// the body the app forwards to its server ([`Self::forwarded`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SdkAnswer {
    /// The session's order number (the launch's `agreementNo`); the app
    /// knows it, the SDK does not repeat it.
    #[serde(skip)]
    pub order_no: String,
    /// Whether the face was verified.
    pub is_success: bool,
    /// The vendor's signature of app id, order number and code with the
    /// current SIGN ticket; `None` when no SIGN ticket was alive.
    pub sign: Option<String>,
    /// The liveness score, on a pass.
    pub live_rate: Option<String>,
    /// The similarity, on a pass.
    pub similarity: Option<String>,
    /// Why it failed, on a failure.
    pub error: Option<SdkFailure>,
}

/// The SDK's `error` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SdkFailure {
    /// Where it failed: the compare server's domain (a record exists) or
    /// the SDK's own (the session could not run; no record).
    pub domain: String,
    /// The result code.
    pub code: String,
    /// A short description.
    pub desc: String,
    /// The reason, for logs.
    pub reason: String,
}

impl SdkAnswer {
    /// The result code: `0` on a pass, else the error's.
    pub fn code(&self) -> ResultCode {
        self.error.as_ref().map_or(ResultCode::Success, |error| {
            ResultCode::from_code(&error.code)
        })
    }

    /// The JSON body the app forwards to its server: `orderNo`, `code`,
    /// `sign`, and `liveRate` / `similarity` when the SDK reported them.
    pub fn forwarded(&self) -> Value {
        let mut body = json!({
            "orderNo": self.order_no,
            "code": self.code().as_str(),
            "sign": self.sign.clone().unwrap_or_default(),
        });
        if let Some(live_rate) = &self.live_rate {
            body["liveRate"] = json!(live_rate);
        }
        if let Some(similarity) = &self.similarity {
            body["similarity"] = json!(similarity);
        }
        body
    }
}

/// The emulator's endpoint that plays the SDK over HTTP, for a client
/// that is not Rust (curl, a mobile developer's script): `POST` the launch
/// parameters your server answered (JSON) to
/// `{base_url}emulator/sdk/run?outcome=pass` (or `outcome=fail&code=66660004`);
/// the answer is the JSON your app forwards to your server
/// ([`SdkAnswer::forwarded`]), or a 400 with `{"error": ...}` when the SDK
/// refuses the launch. Not a vendor endpoint: the emulator's own.
pub const SDK_RUN_PATH: &str = "/emulator/sdk/run";

impl Emulator {
    /// Plays the native SDK: launched with `launch` (your server's launch
    /// parameters, as the JSON your app passes on, such as
    /// [`SdkLaunch`](tencent_faceid::sdk::SdkLaunch)), it checks them as the vendor
    /// would (`openApiSign` against a live NONCE ticket of `openApiUserId`,
    /// used up; the licence; a `getfaceid` session of that order and user;
    /// each launch once), ends the session with `outcome` (recorded for
    /// `queryfacerecord` as the H5 page's are) and answers the SDK's
    /// result, signed with the current SIGN ticket.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid_emulator::{Emulator, Outcome};
    /// use tencent_faceid::UserId;
    /// use tencent_faceid::session::StartSession;
    /// use tencent_faceid::FaceId;
    /// let emulator = Emulator::start().await?;
    /// let face_id = emulator.face_id().callback_url_per_request().build().await?; // App SDK only
    /// let launch = face_id
    ///     .start_sdk(StartSession::for_sdk(UserId::new("user42")?).name("Zhang San").id_number("110101199003071234"))
    ///     .await?;
    /// let answer = emulator.run_sdk(&launch, Outcome::Pass)?;
    /// assert!(answer.is_success);
    /// let body = serde_json::to_vec(&answer.forwarded())?;
    /// let outcome = tencent_faceid::sdk::verify_result_body(face_id.verifier(), &body).await?;
    /// assert!(outcome.passed());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`EmulatorError::SdkRefused`] when the SDK refuses the launch
    /// parameters; [`EmulatorError::AlreadyCompleted`] when the session
    /// already has a result.
    pub fn run_sdk(
        &self,
        launch: &impl Serialize,
        outcome: Outcome,
    ) -> Result<SdkAnswer, EmulatorError> {
        let launch = serde_json::to_value(launch).map_err(|error| EmulatorError::SdkRefused {
            refusal: super::Refusal::InvalidRequest,
            reason: format!("the launch parameters are not a JSON object: {error}"),
        })?;
        run(&self.shared.vendor, &launch, outcome.code())
    }
}

/// [`Emulator::run_sdk`] on the emulator's vendor, for the method and the
/// HTTP endpoint ([`SDK_RUN_PATH`]) alike.
pub(super) fn run(
    vendor: &super::rules::Vendor,
    launch: &Value,
    code: ResultCode,
) -> Result<SdkAnswer, EmulatorError> {
    let signed = vendor.run_sdk(launch, &code)?;
    let passed = code.is_success();
    let error = (!passed).then(|| SdkFailure {
        domain: match code {
            ResultCode::FrontEnd(_) => NATIVE_DOMAIN,
            _ => COMPARE_SERVER_DOMAIN,
        }
        .to_owned(),
        code: code.as_str().to_owned(),
        desc: code
            .description()
            .unwrap_or("verification failed")
            .to_owned(),
        reason: "emulated outcome".to_owned(),
    });
    Ok(SdkAnswer {
        order_no: signed.order_no,
        is_success: passed,
        sign: signed.signature.map(|signature| signature.to_string()),
        live_rate: passed.then(|| LIVE_RATE.to_owned()),
        similarity: passed.then(|| SIMILARITY.to_owned()),
        error,
    })
}
