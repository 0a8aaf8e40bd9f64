//! The demos' editions over real HTTP: the start form's `edition=enhanced`
//! goes through the emulator's page to the same `/face/callback`; the App
//! SDK path is `POST /sdk/start` and `POST /sdk/result`, driven as curl
//! and the emulator's SDK helper would; `edition=wechat` goes through the
//! emulator's WeChat page back to `/face/callback` (with the browser's
//! cookie), and a mini program posts its BizToken to `/wechat/result`.

use crate::support::demos::{serve_actix, serve_axum};
use serde_json::{Value, json};
use tencent_faceid_emulator::{Emulator, Outcome, WeChatOutcome};
use url::Url;

/// Starts an enhanced session through the form, passes on the emulator's
/// page, and answers the callback page.
async fn enhanced_pass(demo_url: &Url) -> (u16, String) {
    let browser = reqwest::Client::new();
    let index = browser.get(demo_url.clone()).send().await.unwrap();
    let index = index.text().await.unwrap();
    assert!(index.contains("name=edition"), "{index}");
    let login = browser
        .post(demo_url.join("start").unwrap())
        .form(&[
            ("name", "张三"),
            ("id_number", "110101199003071234"),
            ("edition", "enhanced"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200, "the enhanced H5 page");
    let login_url = login.url().clone();
    let pairs: Vec<(String, String)> = login_url.query_pairs().into_owned().collect();
    let face_id = pairs
        .iter()
        .find(|(name, _)| name == "faceId")
        .map(|(_, value)| value.clone())
        .expect("an enhanced link carries faceId");
    let landed = browser
        .post(login_url.join("/api/web/complete").unwrap())
        .form(&[("h5faceId", face_id.as_str()), ("outcome", "pass")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        landed.url().path(),
        format!("{}face/callback", demo_url.path())
    );
    let status = landed.status().as_u16();
    (status, landed.text().await.unwrap())
}

/// Starts a WeChat H5 session through the form (a browser keeping its
/// cookies), passes or fails on the emulator's WeChat page, and answers
/// the callback page.
async fn wechat_h5(demo_url: &Url, outcome: &str) -> (u16, String) {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let header = |response: &reqwest::Response, name| {
        let value = response.headers().get(name)?;
        Some(value.to_str().unwrap().to_owned())
    };
    let started = browser
        .post(demo_url.join("start").unwrap())
        .form(&[
            ("name", "张三"),
            ("id_number", "110101199003071234"),
            ("edition", "wechat"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 303, "a redirect to the WeChat page");
    let cookie = header(&started, reqwest::header::SET_COOKIE)
        .map(|set_cookie| set_cookie.split(';').next().unwrap().to_owned());
    let page_url: Url = header(&started, reqwest::header::LOCATION)
        .unwrap()
        .parse()
        .unwrap();
    let token = page_url
        .query_pairs()
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned())
        .expect("the WeChat page names its BizToken");
    let page = browser.get(page_url.clone()).send().await.unwrap();
    assert_eq!(page.status(), 200, "the WeChat page");
    let back = browser
        .post(page_url.clone())
        .form(&[
            ("token", token.as_str()),
            ("outcome", outcome),
            ("code", "2006"),
        ])
        .send()
        .await
        .unwrap();
    let back: Url = header(&back, reqwest::header::LOCATION)
        .expect("the page sends the browser back")
        .parse()
        .unwrap();
    assert_eq!(back.path(), format!("{}face/callback", demo_url.path()));
    let mut callback = browser.get(back);
    if let Some(cookie) = cookie {
        callback = callback.header(reqwest::header::COOKIE, cookie);
    }
    let landed = callback.send().await.unwrap();
    let status = landed.status().as_u16();
    (status, landed.text().await.unwrap())
}

/// A mini program's path: `POST /wechat/start` answers the BizToken, the
/// emulator's mini-program helper runs it, and `POST /wechat/result`
/// answers the outcome once; a BizToken the demo never issued is 404.
async fn mini_program(demo_url: &Url, emulator: &Emulator) {
    let http = reqwest::Client::new();
    let started: Value = http
        .post(demo_url.join("wechat/start").unwrap())
        .json(&json!({ "user": "mini1user" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let biz_token = started["bizToken"].as_str().expect("a BizToken").to_owned();
    let biz_token = emulator
        .run_mini_program(&biz_token, WeChatOutcome::Pass)
        .unwrap();
    let post = |body: Value| {
        http.post(demo_url.join("wechat/result").unwrap())
            .json(&body)
            .send()
    };
    let result = post(json!({ "bizToken": biz_token })).await.unwrap();
    assert_eq!(result.status(), 200);
    let outcome: Value = result.json().await.unwrap();
    assert_eq!(
        (&outcome["passed"], &outcome["edition"], &outcome["user"]),
        (&json!(true), &json!("wechat"), &json!("mini1user"))
    );
    let replay = post(json!({ "bizToken": biz_token })).await.unwrap();
    assert_eq!(replay.status(), 409);

    // Issued by the vendor for another server: not this demo's order.
    let mut request = tencent_faceid::wechat::DetectAuthRequest::new(emulator.rule_id());
    request.redirect_url = Some("https://elsewhere.example/back".to_owned());
    let foreign = emulator.tc3_client().detect_auth(&request).await.unwrap();
    let foreign = emulator
        .run_mini_program(&foreign.biz_token, WeChatOutcome::Pass)
        .unwrap();
    let refused = post(json!({ "bizToken": foreign })).await.unwrap();
    assert_eq!(refused.status(), 404);
    let bad = post(json!({ "bizToken": "nope" })).await.unwrap();
    assert_eq!(bad.status(), 400);
}

/// The SDK path: a form start, a JSON start, results verified once.
async fn sdk_flow(demo_url: &Url, emulator: &Emulator) {
    let http = reqwest::Client::new();
    let start = http
        .post(demo_url.join("sdk/start").unwrap())
        .form(&[
            ("name", "张三"),
            ("id_number", "110101199003071234"),
            ("user", "app1user"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 200);
    let launch: Value = start.json().await.unwrap();
    assert_eq!(launch["openApiUserId"], "app1user");
    assert_eq!(launch["keyLicence"], emulator.key_licence());

    let answer = emulator.run_sdk(&launch, Outcome::Pass).unwrap();
    let result = http
        .post(demo_url.join("sdk/result").unwrap())
        .json(&answer.forwarded())
        .send()
        .await
        .unwrap();
    assert_eq!(result.status(), 200);
    let outcome: Value = result.json().await.unwrap();
    assert_eq!(outcome["passed"], true);
    assert_eq!(outcome["edition"], "sdk");
    assert_eq!(
        outcome["confirmed"], true,
        "confirmed by the vendor's record"
    );

    let replay = http
        .post(demo_url.join("sdk/result").unwrap())
        .json(&answer.forwarded())
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 409);

    let launch: Value = http
        .post(demo_url.join("sdk/start").unwrap())
        .json(&json!({"name": "张三", "id_number": "110101199003071234", "user": "app2user"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let failed = Outcome::Fail(tencent_faceid::client::ResultCode::from_code("66660004"));
    let answer = emulator.run_sdk(&launch, failed).unwrap();
    let outcome: Value = http
        .post(demo_url.join("sdk/result").unwrap())
        .json(&answer.forwarded())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&outcome["passed"], &outcome["code"]),
        (&json!(false), &json!("66660004"))
    );

    let mut unknown = answer.forwarded();
    unknown["orderNo"] = "neverstarted3".into();
    let refused = http
        .post(demo_url.join("sdk/result").unwrap())
        .json(&unknown)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);

    let bad = http
        .post(demo_url.join("sdk/start").unwrap())
        .form(&[("name", "张三")])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
}

#[tokio::test]
async fn axum_demo_serves_every_edition() {
    let (url, emulator) = serve_axum("/").await;
    let emulator = emulator.expect("no vendor configured: the emulator is used");

    let (status, page) = enhanced_pass(&url).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=outcome class=ok>Verified<"), "{page}");
    let (status, page) = wechat_h5(&url, "pass").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=outcome class=ok>Verified<"), "{page}");
    let (status, page) = wechat_h5(&url, "fail").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Not verified"), "{page}");
    sdk_flow(&url, &emulator).await;
    mini_program(&url, &emulator).await;
}

#[actix_web::test]
async fn actix_demo_serves_every_edition() {
    let demo = serve_actix("/").await;
    let url = demo.url.clone();
    let emulator = demo.emulator.clone();
    let emulator = emulator.expect("no vendor configured: the emulator is used");

    let (status, page) = enhanced_pass(&url).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=outcome class=ok>Verified<"), "{page}");
    let (status, page) = wechat_h5(&url, "pass").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=outcome class=ok>Verified<"), "{page}");
    sdk_flow(&url, &emulator).await;
    mini_program(&url, &emulator).await;
    demo.stop().await;
}
