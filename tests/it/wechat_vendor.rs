//! The WeChat channel's vendor (API 3.0 `DetectAuth` /
//! `GetDetectInfoEnhanced`) on loopback: the crate's `Tc3Client` against
//! the emulator, and the emulator against the documented vectors sent as
//! raw HTTP (DETECTAUTH.md §1.4), so that a client and an emulator that
//! agreed with each other but not with the documents would fail here.

use std::time::{Duration, UNIX_EPOCH};

use tencent_faceid::ManualClock;
use tencent_faceid::Secret;
use tencent_faceid::wechat::{ApiErrorCode, DetectAuthRequest, Tc3Client, Tc3Error};
use tencent_faceid_emulator::{Emulator, EmulatorError, WeChatOutcome};

const DOC_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******";
const DOC_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3*******";

async fn emulator() -> (Emulator, ManualClock) {
    let clock = ManualClock::new();
    let emulator = Emulator::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    (emulator, clock)
}

fn request(client: &Tc3Client) -> DetectAuthRequest {
    let mut request = DetectAuthRequest::new(client.rule_id());
    request.redirect_url = Some("https://shop.example/wechat/back?from=wx".to_owned());
    request.extra = Some("order-7".to_owned());
    request
}

#[tokio::test]
async fn a_pass_is_pulled_after_the_redirect_and_billed_once() {
    let (emulator, _) = emulator().await;
    let client = emulator.tc3_client();
    let started = client.detect_auth(&request(&client)).await.unwrap();
    assert_eq!(started.biz_token.len(), 36);
    assert!(started.url.unwrap().contains(&started.biz_token));

    let before = client.detect_info(&started.biz_token).await.unwrap();
    assert_eq!(before.err_code(), None);
    assert!(before.attempts().is_empty());

    let back = emulator
        .complete_wechat(&started.biz_token, WeChatOutcome::Pass)
        .unwrap();
    assert_eq!(
        back.as_str(),
        format!(
            "https://shop.example/wechat/back?from=wx&BizToken={}&Extra=order-7",
            started.biz_token
        )
    );
    let after = client.detect_info(&started.biz_token).await.unwrap();
    assert_eq!(after.err_code(), Some(0));
    assert_eq!(after.billed_attempts(), 1);
    let extra = after.text.as_ref().and_then(|text| text.extra.clone());
    assert_eq!(extra, Some(Secret::new("order-7")));
    // Final: no further attempt.
    assert!(matches!(
        emulator.complete_wechat(&started.biz_token, WeChatOutcome::Pass),
        Err(EmulatorError::BizTokenFinal { .. })
    ));
    assert_eq!(emulator.counts().detect_auth, 1);
    assert_eq!(emulator.counts().detect_info, 2);
}

#[tokio::test]
async fn failed_attempts_are_listed_and_billed_as_documented() {
    let (emulator, _) = emulator().await;
    let client = emulator.tc3_client();
    let token = client
        .detect_auth(&request(&client))
        .await
        .unwrap()
        .biz_token;
    // A liveness timeout (not billed), a name/ID mismatch (billed), then a pass.
    for outcome in [WeChatOutcome::Fail(1001), WeChatOutcome::Fail(2006)] {
        emulator.complete_wechat(&token, outcome).unwrap();
    }
    let failed = client.detect_info(&token).await.unwrap();
    assert_eq!(failed.err_code(), Some(2006));
    assert_eq!(failed.attempts().len(), 2);
    assert_eq!(failed.billed_attempts(), 1);
    emulator
        .complete_wechat(&token, WeChatOutcome::Pass)
        .unwrap();
    let passed = client.detect_info(&token).await.unwrap();
    assert_eq!(passed.err_code(), Some(0));
    assert_eq!(passed.billed_attempts(), 2);
}

#[tokio::test]
async fn a_biz_token_is_verifiable_two_hours_and_pullable_three_days() {
    let (emulator, clock) = emulator().await;
    let client = emulator.tc3_client();
    let token = client
        .detect_auth(&request(&client))
        .await
        .unwrap()
        .biz_token;
    clock.advance(Duration::from_secs(7_201));
    assert!(matches!(
        emulator.complete_wechat(&token, WeChatOutcome::Pass),
        Err(EmulatorError::BizTokenFinal { .. })
    ));
    assert_eq!(client.detect_info(&token).await.unwrap().err_code(), None);
    clock.advance(Duration::from_secs(259_200 - 7_201));
    assert!(client.detect_info(&token).await.is_ok());
    clock.advance(Duration::from_secs(1));
    let expired = client.detect_info(&token).await.unwrap_err();
    assert_eq!(expired.code(), Some(ApiErrorCode::BizTokenExpired));
    // Forgotten after its retention.
    let forgotten = client.detect_info(&token).await.unwrap_err();
    assert_eq!(forgotten.code(), Some(ApiErrorCode::InvalidParameter));
}

#[tokio::test]
async fn an_unknown_biz_token_and_rule_id_are_refused_with_the_documented_codes() {
    let (emulator, _) = emulator().await;
    let client = emulator.tc3_client();
    let unknown = client
        .detect_info("4237FAC9-1AE4-4954-B495-FB07D91141CA")
        .await
        .unwrap_err();
    let Tc3Error::Api {
        code,
        message,
        request_id,
        ..
    } = &unknown
    else {
        panic!("{unknown:?}");
    };
    assert_eq!(*code, ApiErrorCode::InvalidParameter);
    assert_eq!(message, "非法BizToken。");
    assert_eq!(request_id.len(), 36);

    let refused = client
        .detect_auth(&DetectAuthRequest::new("999"))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Some(ApiErrorCode::RuleIdNotExist));
    assert!(!refused.is_retryable());
}

#[tokio::test]
async fn a_clock_more_than_five_minutes_off_is_named_as_such() {
    let (emulator, clock) = emulator().await;
    let behind = ManualClock::starting_at(clock.now() - Duration::from_secs(301));
    let client = Tc3Client::builder(
        emulator.tc3_secret_id(),
        emulator.tc3_secret_key(),
        emulator.rule_id(),
    )
    .base_url(emulator.base_url().as_str())
    .clock(behind.clone())
    .build()
    .unwrap();
    let error = client.detect_auth(&request(&client)).await.unwrap_err();
    assert!(matches!(error, Tc3Error::ClockSkew { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("clock is more than 5 minutes off")
    );
    assert_eq!(error.code(), Some(ApiErrorCode::SignatureExpire));
    // Within the window it passes.
    behind.advance(Duration::from_secs(2));
    assert!(client.detect_auth(&request(&client)).await.is_ok());
}

#[tokio::test]
async fn a_wrong_key_or_secret_id_is_refused() {
    let (emulator, _) = emulator().await;
    let with = |id: &str, key: &str| {
        Tc3Client::builder(id, key, emulator.rule_id())
            .base_url(emulator.base_url().as_str())
            .clock(emulator.clock())
            .build()
            .unwrap()
    };
    let wrong_key = with(emulator.tc3_secret_id(), "not-the-key");
    let error = wrong_key
        .detect_auth(&request(&wrong_key))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some(ApiErrorCode::SignatureFailure));
    assert!(error.code().unwrap().is_authentication());
    assert!(!format!("{error} {error:?}").contains("not-the-key"));
    let wrong_id = with("AKIDnobody", emulator.tc3_secret_key());
    let error = wrong_id.detect_auth(&request(&wrong_id)).await.unwrap_err();
    assert_eq!(error.code(), Some(ApiErrorCode::SecretIdNotFound));
}

/// Sends `body` to the emulator as the vendor's vector D1 does: the
/// documented headers, `Host: faceid.tencentcloudapi.com`, the documented
/// signature.
async fn send_d1(emulator: &Emulator, body: &'static str) -> serde_json::Value {
    reqwest::Client::new()
        .post(emulator.base_url().as_str())
        .header("Host", "faceid.tencentcloudapi.com")
        .header("Content-Type", "application/json")
        .header("X-TC-Action", "DetectAuth")
        .header("X-TC-Version", "2018-03-01")
        .header("X-TC-Timestamp", "1551113065")
        .header(
            "Authorization",
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/faceid/tc3_request, \
             SignedHeaders=content-type;host, \
             Signature=453665a85ed0f05be31f2aa3a81fd31f3320b3c0123d4aeadefc90d3fce088cc",
        )
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

const D1_BODY: &str = r#"{"RuleId":"1","RedirectUrl":"https://www.qq.com","Extra":"Orderid=f904f4cf75db4f8fdc4f942c7f7a"}"#;

#[tokio::test]
async fn the_emulator_accepts_the_documented_detect_auth_request_byte_for_byte() {
    let clock = ManualClock::starting_at(UNIX_EPOCH + Duration::from_secs(1_551_113_065 + 60));
    let emulator = Emulator::builder()
        .clock(clock)
        .tc3_key(DOC_ID, DOC_KEY)
        .start()
        .await
        .unwrap();
    let accepted = send_d1(&emulator, D1_BODY).await;
    let token = accepted["Response"]["BizToken"].as_str().unwrap();
    assert_eq!(token.len(), 36, "{accepted}");

    // One byte changed in the body: the documented signature no longer holds.
    let changed = send_d1(&emulator, r#"{"RuleId":"1","RedirectUrl":"https://www.qq.com","Extra":"Orderid=f904f4cf75db4f8fdc4f942c7f7b"}"#).await;
    assert_eq!(
        changed["Response"]["Error"]["Code"],
        "AuthFailure.SignatureFailure"
    );
}

#[tokio::test]
async fn the_emulator_refuses_the_documented_request_six_minutes_later() {
    let clock = ManualClock::starting_at(UNIX_EPOCH + Duration::from_secs(1_551_113_065 + 301));
    let emulator = Emulator::builder()
        .clock(clock)
        .tc3_key(DOC_ID, DOC_KEY)
        .start()
        .await
        .unwrap();
    let refused = send_d1(&emulator, D1_BODY).await;
    assert_eq!(
        refused["Response"]["Error"]["Code"],
        "AuthFailure.SignatureExpire"
    );
    assert!(refused["Response"]["RequestId"].is_string());
}

#[tokio::test]
async fn the_wechat_page_redirects_with_the_biz_token_and_abandon_does_not() {
    let (emulator, _) = emulator().await;
    let client = emulator.tc3_client();
    let started = client.detect_auth(&request(&client)).await.unwrap();
    let page_url = started.url.unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http.get(&page_url).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(&started.biz_token));

    let post = |outcome: &'static str| {
        http.post(emulator.base_url().join("/wechat/verify").unwrap())
            .form(&[
                ("token", started.biz_token.as_str()),
                ("outcome", outcome),
                ("code", "2006"),
            ])
            .send()
    };
    let closed = post("abandon").await.unwrap();
    assert_eq!(closed.status(), 200);
    assert_eq!(
        client
            .detect_info(&started.biz_token)
            .await
            .unwrap()
            .err_code(),
        None
    );

    let failed = post("fail").await.unwrap();
    assert_eq!(failed.status(), 302);
    let location = failed.headers()["location"].to_str().unwrap();
    assert!(location.contains(&format!("BizToken={}", started.biz_token)));
    assert!(!location.contains("Signature"));
    assert_eq!(
        client
            .detect_info(&started.biz_token)
            .await
            .unwrap()
            .err_code(),
        Some(2006)
    );
}

#[tokio::test]
async fn a_vendor_that_never_answers_is_a_timeout_not_a_hang() {
    // A real listener that accepts and never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let client = Tc3Client::builder("AKIDexample", "key", "1")
        .base_url(format!("http://{address}/"))
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let error = client
        .detect_info("CE661F1A-0F1E-45BD-BE13-34C05CEA7681")
        .await
        .unwrap_err();
    let Tc3Error::Transport { source, .. } = &error else {
        panic!("{error:?}");
    };
    assert!(source.is_timeout());
    assert!(error.is_retryable());
    held.abort();
}

#[tokio::test]
async fn personal_data_and_the_key_never_show_in_debug() {
    let (emulator, _) = emulator().await;
    let client = Tc3Client::builder(
        emulator.tc3_secret_id(),
        emulator.tc3_secret_key(),
        emulator.rule_id(),
    )
    .base_url(emulator.base_url().as_str())
    .clock(emulator.clock())
    .build()
    .unwrap();
    assert!(!format!("{client:?}").contains(emulator.tc3_secret_key()));
    let mut request = request(&client);
    request.name = Some(Secret::new("韦小宝"));
    request.id_card = Some(Secret::new("11204416541220243X"));
    assert!(!format!("{request:?}").contains("243X"));
    let token = client.detect_auth(&request).await.unwrap().biz_token;
    emulator
        .complete_wechat(&token, WeChatOutcome::Pass)
        .unwrap();
    let info = client.detect_info(&token).await.unwrap();
    let text = info.text.as_ref().unwrap();
    assert_eq!(text.name.as_ref().map(Secret::expose), Some("韦小宝"));
    assert_eq!(
        text.id_card.as_ref().map(Secret::expose),
        Some("11204416541220243X")
    );
    let shown = format!("{info:?}");
    assert!(!shown.contains("韦小宝") && !shown.contains("243X") && !shown.contains("order-7"));
}

#[tokio::test]
async fn detect_auth_enforces_the_documented_field_limits() {
    let (emulator, _) = emulator().await;
    let client = emulator.tc3_client();
    let refused = |mut request: DetectAuthRequest| {
        let client = client.clone();
        async move {
            request.rule_id = client.rule_id().to_owned();
            client.detect_auth(&request).await.unwrap_err().code()
        }
    };
    let mut long_name = DetectAuthRequest::new("1");
    long_name.name = Some(Secret::new("名".repeat(33)));
    assert_eq!(
        refused(long_name).await,
        Some(ApiErrorCode::InvalidParameter)
    );
    let mut lower_x = DetectAuthRequest::new("1");
    lower_x.id_card = Some(Secret::new("11204416541220243x"));
    assert_eq!(refused(lower_x).await, Some(ApiErrorCode::InvalidParameter));
    let mut not_http = DetectAuthRequest::new("1");
    not_http.redirect_url = Some("ftp://shop.example/back".to_owned());
    assert_eq!(
        refused(not_http).await,
        Some(ApiErrorCode::InvalidParameter)
    );
    // Without a RedirectUrl the page goes to the vendor's product page.
    let token = client
        .detect_auth(&DetectAuthRequest::new("1"))
        .await
        .unwrap()
        .biz_token;
    let back = emulator
        .complete_wechat(&token, WeChatOutcome::Pass)
        .unwrap();
    assert!(
        back.as_str()
            .starts_with("https://cloud.tencent.com/product/faceid?Is=sdk-topnav&BizToken=")
    );
}

/// Sends `body` as `action`, signed as the documents say, to `emulator`.
pub(super) async fn send_signed(
    emulator: &Emulator,
    action: &str,
    body: &str,
) -> serde_json::Value {
    use tencent_faceid::wechat::sign::{SigningInput, authorization};
    let url = emulator.base_url();
    let host = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    let timestamp = emulator
        .clock()
        .now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let input = SigningInput {
        method: "POST",
        query: "",
        headers: &[("Content-Type", "application/json"), ("Host", &host)],
        payload: body.as_bytes(),
        service: "faceid",
        timestamp,
    };
    let key = Secret::new(emulator.tc3_secret_key());
    reqwest::Client::new()
        .post(url.as_str())
        .header("Content-Type", "application/json")
        .header("X-TC-Action", action)
        .header("X-TC-Version", "2018-03-01")
        .header("X-TC-Timestamp", timestamp.to_string())
        .header(
            "Authorization",
            authorization(emulator.tc3_secret_id(), &key, &input),
        )
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_emulator_reads_only_the_documented_field_names() {
    let (emulator, _) = emulator().await;
    let code = |answer: &serde_json::Value| answer["Response"]["Error"]["Code"].clone();
    let misnamed = send_signed(
        &emulator,
        "DetectAuth",
        r#"{"RuleId":"1","RedirectURL":"https://a.example"}"#,
    )
    .await;
    assert_eq!(code(&misnamed), "UnknownParameter");
    let missing = send_signed(&emulator, "DetectAuth", r#"{"Extra":"x"}"#).await;
    assert_eq!(code(&missing), "MissingParameter");
    let unknown_action = send_signed(&emulator, "DescribeInstances", "{}").await;
    assert_eq!(code(&unknown_action), "InvalidAction");
    let started = send_signed(
        &emulator,
        "DetectAuth",
        r#"{"RuleId":"1","TerminalType":"weixinh5"}"#,
    )
    .await;
    let token = started["Response"]["BizToken"].as_str().unwrap();
    let pulled = send_signed(
        &emulator,
        "GetDetectInfoEnhanced",
        &format!(r#"{{"BizToken":"{token}","RuleId":"1","InfoType":"0","BestFramesCount":2}}"#),
    )
    .await;
    assert!(pulled["Response"]["Text"]["ErrCode"].is_null(), "{pulled}");
    assert_eq!(
        pulled["Response"]["Text"]["LivenessDetail"],
        serde_json::json!([])
    );
}

#[tokio::test]
async fn the_page_offers_the_documented_failure_codes() {
    let (emulator, _) = emulator().await;
    let client = emulator.tc3_client();
    let started = client.detect_auth(&request(&client)).await.unwrap();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = http
        .get(started.url.unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"fail-1002\""));
    let done = http
        .post(emulator.base_url().join("/wechat/verify").unwrap())
        .form(&[
            ("token", started.biz_token.as_str()),
            ("outcome", "fail-1002"),
            ("code", "2006"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 302);
    let info = client.detect_info(&started.biz_token).await.unwrap();
    assert_eq!(info.err_code(), Some(1002));
    assert_eq!(info.billed_attempts(), 1, "1002 is billed on the Plus page");
}
