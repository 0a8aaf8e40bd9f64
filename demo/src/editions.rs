//! What both demos share for the editions: the start form (and its
//! `edition` field), the App SDK start's request (form or JSON), and the
//! answer to the SDK's result and to a WeChat mini program's BizToken.

use serde::Deserialize;
use serde_json::{Value, json};
use tencent_faceid::UserId;
use tencent_faceid::callback::VerificationOutcome;
use tencent_faceid::session::Edition;
use tencent_faceid::session::{StartSession, Started};
use url::Url;

use crate::random_alphanumeric;

/// The start form's fields (`POST /start`).
#[derive(Deserialize)]
pub struct StartForm {
    name: String,
    id_number: String,
    edition: Option<String>,
}

impl StartForm {
    /// The H5 session this form asks for, for a new demo user whom the
    /// vendor sends back to `callback_url`; or the HTTP status and the
    /// message of what is wrong.
    pub fn session(self, callback_url: Url) -> Result<StartSession, (u16, String)> {
        let user_id = UserId::new(format!("demo{}", random_alphanumeric(12)))
            .map_err(|error| (500, error.to_string()))?;
        let edition = h5_edition(self.edition.as_deref()).map_err(|message| (400, message))?;
        Ok(StartSession::new(user_id, callback_url)
            .name(self.name)
            .id_number(self.id_number)
            .edition(edition))
    }
}

/// The start form's `edition` field: `basic` (the default), `enhanced` or
/// `wechat` (WeChat H5: the vendor's WeChat page, back to the same
/// callback).
fn h5_edition(field: Option<&str>) -> Result<Edition, String> {
    match field.map(str::trim).filter(|value| !value.is_empty()) {
        None => Ok(Edition::Basic),
        Some(value) => match value.parse() {
            Ok(edition) if edition != Edition::AppSdk => Ok(edition),
            _ => Err(
                "edition must be basic, enhanced or wechat (the App SDK starts at POST /sdk/start)"
                    .to_owned(),
            ),
        },
    }
}

/// `POST /sdk/start`'s fields.
#[derive(Deserialize)]
struct SdkStart {
    name: String,
    id_number: String,
    user: String,
}

/// The App SDK start request from `POST /sdk/start`'s body: JSON when the
/// content type says so, else a form; `user` is the app's user id.
pub fn sdk_request(content_type: Option<&str>, body: &[u8]) -> Result<StartSession, String> {
    let json = content_type.is_some_and(|value| value.starts_with("application/json"));
    let start: SdkStart = if json {
        serde_json::from_slice(body).map_err(|_| "send JSON with name, id_number and user")?
    } else {
        let fields: Vec<(String, String)> =
            url::form_urlencoded::parse(body).into_owned().collect();
        let field = |name: &str| {
            let value = fields
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone());
            value.ok_or_else(|| format!("the field {name} is missing"))
        };
        SdkStart {
            name: field("name")?,
            id_number: field("id_number")?,
            user: field("user")?,
        }
    };
    let user = UserId::new(start.user).map_err(|error| error.to_string())?;
    Ok(StartSession::for_sdk(user)
        .name(start.name)
        .id_number(start.id_number))
}

/// `POST /wechat/start`'s body: the mini program's user.
#[derive(Deserialize)]
struct MiniProgramStart {
    user: String,
}

/// A WeChat mini program's start request from `POST /wechat/start`'s JSON
/// body (`{"user": …}`); the RuleId decides how the user is identified.
pub fn mini_program_request(body: &[u8]) -> Result<StartSession, String> {
    let start: MiniProgramStart =
        serde_json::from_slice(body).map_err(|_| "send JSON with user")?;
    let user = UserId::new(start.user).map_err(|error| error.to_string())?;
    Ok(StartSession::for_mini_program(user))
}

/// `POST /wechat/start`'s answer: the BizToken to hand the mini program's
/// SDK, and the order it is kept as.
pub fn mini_program_started(started: &Started) -> Value {
    json!({
        "bizToken": started.h5face_id,
        "orderNo": started.order_no.as_str(),
    })
}

/// `POST /sdk/result`'s and `POST /wechat/result`'s answer: the verified
/// outcome as JSON.
pub fn sdk_outcome(outcome: &VerificationOutcome) -> Value {
    json!({
        "orderNo": outcome.order_no.as_str(),
        "user": outcome.user_id.as_str(),
        "passed": outcome.passed(),
        "code": outcome.code.as_str(),
        "edition": outcome.edition,
        "confirmed": outcome.record.is_some(),
    })
}

/// A problem as `POST /sdk/start` answers it: `{"error": message}`.
pub fn problem(message: &str) -> Value {
    json!({ "error": message })
}
