//! The WeChat channel's HTTP face: `POST /` (API 3.0, dispatched on
//! `X-TC-Action`, errors as HTTP 200 with `Response.Error`) and the
//! WeChat-style verification page.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{check, unix_seconds};
use super::{ApiRefusal, PAGE_PATH, WeChatOutcome};
use crate::Shared;
use crate::page;
use tencent_faceid::wechat::VERSION;

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", axum::routing::post(api))
        .route(PAGE_PATH, get(verify_page).post(verify_done))
        .with_state(shared)
}

/// `{"Response": {..., "RequestId": "<uuid>"}}`, HTTP 200 either way.
fn envelope(result: Result<Value, ApiRefusal>) -> Response {
    let request_id = format!("{:032x}", rand::random::<u128>());
    let request_id = format!(
        "{}-{}-{}-{}-{}",
        &request_id[..8],
        &request_id[8..12],
        &request_id[12..16],
        &request_id[16..20],
        &request_id[20..]
    );
    let mut body = match result {
        Ok(answer) => answer,
        Err(refusal) => {
            tracing::debug!(code = refusal.code, "emulator refused an API 3.0 request");
            json!({ "Error": { "Code": refusal.code, "Message": refusal.message } })
        }
    };
    if let Value::Object(fields) = &mut body {
        fields.insert("RequestId".to_owned(), Value::String(request_id));
    }
    Json(json!({ "Response": body })).into_response()
}

async fn api(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let action = headers
        .get("x-tc-action")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    shared.counts.add(|c| match action.as_str() {
        "DetectAuth" => &c.detect_auth,
        "GetDetectInfoEnhanced" => &c.detect_info,
        _ => &c.tc3_other,
    });
    let vendor = &shared.wechat;
    let answer = check(
        vendor.settings(),
        &headers,
        &body,
        unix_seconds(vendor.now()),
    )
    .and_then(|()| {
        let version = headers.get("x-tc-version").and_then(|v| v.to_str().ok());
        if version != Some(VERSION) {
            return Err(ApiRefusal::new("NoSuchVersion", "接口版本不存在。"));
        }
        match action.as_str() {
            "DetectAuth" => vendor.detect_auth(&body),
            "GetDetectInfoEnhanced" => vendor.detect_info(&body),
            _ => Err(ApiRefusal::new("InvalidAction", "接口不存在。")),
        }
    });
    envelope(answer)
}

/// The failure codes the page offers (the vendor's DetectAuth documentation).
const DOCUMENTED_FAILURES: [(i64, &str); 8] = [
    (15, "Token 过期"),
    (16, "已达到重试上限"),
    (301, "身份证号与传入的不一致"),
    (1001, "活体检测超时"),
    (1002, "疑似非活体"),
    (1008, "网络不稳定"),
    (2006, "姓名和身份证号不一致"),
    (2016, "比对相似度未达到通过标准"),
];

#[derive(Deserialize)]
struct PageQuery {
    token: String,
}

/// The page WeChat would show: pass, fail with a code, or close it.
async fn verify_page(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<PageQuery>,
) -> Response {
    if !shared.wechat.verifiable(&query.token) {
        return (
            StatusCode::NOT_FOUND,
            Html(page::error("15", "Token 过期或不存在，请重试")),
        )
            .into_response();
    }
    let documented: String = DOCUMENTED_FAILURES
        .iter()
        .map(|(code, text)| {
            format!(
                "<button id=\"fail-{code}\" type=\"submit\" name=\"outcome\" value=\"fail-{code}\">{code}: {text}</button>\n"
            )
        })
        .collect();
    // The token is one this emulator issued: hex digits and dashes.
    Html(page::document(
        "WeChat face verification (emulator)",
        &format!(
            "<form method=\"post\" action=\"{PAGE_PATH}\">\n\
             <input type=\"hidden\" name=\"token\" value=\"{token}\">\n\
             <section class=\"card\">\n<h1>微信人脸核身 (emulator)</h1>\n\
             <p class=\"muted\">BizToken <code id=\"biz-token\">{token}</code></p>\n\
             <div class=\"face\" aria-hidden=\"true\">☺</div>\n\
             <button id=\"pass\" type=\"submit\" name=\"outcome\" value=\"pass\">pass</button>\n\
             </section>\n<section class=\"card\">\n\
             <label for=\"code\">ErrCode to fail with (2006 name/ID mismatch, 1001 liveness timeout, ...)</label>\n\
             <input id=\"code\" name=\"code\" value=\"2006\" inputmode=\"numeric\">\n\
             <button id=\"fail\" type=\"submit\" name=\"outcome\" value=\"fail\">fail</button>\n\
             <button id=\"abandon\" type=\"submit\" name=\"outcome\" value=\"abandon\">close the page (no redirect)</button>\n\
             </section>\n<section class=\"card\">\n\
             <details><summary>Documented failure codes</summary>\n{documented}</details>\n\
             </section>\n</form>\n",
            token = query.token
        ),
    ))
    .into_response()
}

#[derive(Deserialize)]
struct Done {
    token: String,
    outcome: String,
    #[serde(default)]
    code: Option<String>,
}

/// The page's buttons: `302` to the RedirectUrl with the BizToken, or a
/// closing page for "abandon".
async fn verify_done(State(shared): State<Arc<Shared>>, Form(done): Form<Done>) -> Response {
    let code = |text: Option<&str>| text.and_then(|code| code.parse().ok());
    let outcome = match (done.outcome.as_str(), done.code.as_deref()) {
        ("pass", _) => Some(WeChatOutcome::Pass),
        ("fail", typed) => code(typed).map(WeChatOutcome::Fail),
        (button, _) => code(button.strip_prefix("fail-")).map(WeChatOutcome::Fail),
    };
    let outcome = match (done.outcome.as_str(), outcome) {
        (_, Some(outcome)) => outcome,
        ("abandon", _) => {
            return Html(page::document(
                "Closed",
                "<section class=\"card\"><h1>The user closed the page</h1></section>\n",
            ))
            .into_response();
        }
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                Html(page::error(
                    "1",
                    "outcome must be pass, fail (with a numeric code) or abandon",
                )),
            )
                .into_response();
        }
    };
    match shared.wechat.finish(&done.token, outcome) {
        Ok(url) => (StatusCode::FOUND, [(header::LOCATION, url.as_str())]).into_response(),
        // Not the error's text: it would reflect the posted token.
        Err(_) => (
            StatusCode::NOT_FOUND,
            Html(page::error("15", "Token 过期、已完成或不存在")),
        )
            .into_response(),
    }
}
