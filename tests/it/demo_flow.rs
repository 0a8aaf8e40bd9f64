//! The whole flow end to end over real HTTP, through both demos: start,
//! follow the redirect to the emulator's H5 page, press pass or fail,
//! follow the redirect to the callback, see the verified outcome (with the
//! confirmed record's rates and the evidence photo for a pass); a
//! replayed callback is refused; a public URL's path prefix is kept.

use crate::support::demos::{serve_actix, serve_axum};
use url::Url;

/// What a browser would do from the demo's start form to the callback
/// page: returns the callback URL it landed on and the page's status and
/// text.
async fn click_through(demo_url: &Url, button: &str) -> (Url, u16, String) {
    let browser = reqwest::Client::new();
    let index = browser.get(demo_url.clone()).send().await.unwrap();
    let index = index.text().await.unwrap();
    assert!(index.contains("id=start"));
    let action = format!("action=\"{}start\"", demo_url.path());
    assert!(index.contains(&action), "{action} in {index}");

    let login = browser
        .post(demo_url.join("start").unwrap())
        .form(&[("name", "张三"), ("id_number", "110101199003071234")])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200, "the H5 page");
    let login_url = login.url().clone();
    assert_eq!(login_url.path(), "/api/web/login");
    // The page is on the optimal domain, not on the API's host.
    assert_eq!(login_url.host_str(), Some("localhost"));
    let page = login.text().await.unwrap();

    let action = attribute_after(&page, "<form", "action");
    let h5face_id = attribute_after(&page, "name=\"h5faceId\"", "value");
    let code = attribute_after(&page, "id=\"code\"", "value");
    let landed = browser
        .post(login_url.join(&action).unwrap())
        .form(&[
            ("h5faceId", h5face_id.as_str()),
            ("code", code.as_str()),
            ("outcome", button),
        ])
        .send()
        .await
        .unwrap();
    let url = landed.url().clone();
    let status = landed.status().as_u16();
    (url, status, landed.text().await.unwrap())
}

/// The value of `attribute` in the first tag after `marker`.
fn attribute_after(page: &str, marker: &str, attribute: &str) -> String {
    let start = page
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} not in {page}"));
    let tag_start = page[..start].rfind('<').unwrap_or(start);
    let tag_end = start + page[start..].find('>').unwrap();
    let tag = &page[tag_start..tag_end];
    let needle = format!("{attribute}=\"");
    let value_start = tag.find(&needle).unwrap() + needle.len();
    let value_len = tag[value_start..].find('"').unwrap();
    tag[value_start..value_start + value_len].to_owned()
}

async fn assert_pass_fail_and_replay(demo_url: &Url) {
    let (callback, status, page) = click_through(demo_url, "pass").await;
    assert_eq!(callback.path(), format!("{}face/callback", demo_url.path()));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("id=outcome class=ok>Verified<"), "{page}");
    // The vendor's confirmed record and the evidence photo.
    assert!(page.contains("<dt>Live rate</dt><dd>"), "{page}");
    assert!(page.contains("<dt>Similarity</dt><dd>"), "{page}");
    assert!(page.contains("src=\"data:image/jpeg;base64,/9j/"), "{page}");
    let home = format!("href=\"{}\"", demo_url.path());
    assert!(page.contains(&home), "{home} in {page}");

    let replay = reqwest::get(callback).await.unwrap();
    assert_eq!(replay.status(), 409, "a replayed callback is refused");
    let replay = replay.text().await.unwrap();
    assert!(
        replay.contains("id=problem"),
        "a page, not plain text: {replay}"
    );
    assert!(replay.contains("already accepted"), "{replay}");

    let (_, status, page) = click_through(demo_url, "fail").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("id=outcome class=bad>Not verified<"),
        "{page}"
    );
    assert!(
        page.contains("66660004"),
        "the failure code is shown: {page}"
    );
    assert!(page.contains(&home), "a retry link: {page}");
    assert!(
        !page.contains("id=evidence"),
        "no photo for a failure: {page}"
    );

    // The page could not use the camera: a front-end code, not verified.
    let (_, status, page) = click_through(demo_url, "front-end-3004").await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("id=outcome class=bad>Not verified<"),
        "{page}"
    );
    assert!(page.contains("3004"), "the front-end code is shown: {page}");
    assert!(page.contains("advice:"), "and what to do: {page}");

    // The readiness probe: the sessions above reached the vendor.
    let ready = reqwest::get(demo_url.join("ready").unwrap()).await.unwrap();
    assert_eq!(ready.status(), 200);
    let report: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(report["ready"], true, "{report}");
    assert_eq!(report["vendor"]["failures_since_success"], 0, "{report}");
}

#[tokio::test]
async fn axum_demo_pass_fail_and_replay() {
    let (url, emulator) = serve_axum("/").await;
    assert!(
        emulator.is_some(),
        "no vendor configured: the emulator is used"
    );

    assert_pass_fail_and_replay(&url).await;
}

/// The actix demo served for the public URL `http://<addr><path>`.
async fn actix_demo_at(path: &str) {
    let demo = serve_actix(path).await;
    assert!(demo.emulator.is_some());

    assert_pass_fail_and_replay(&demo.url).await;
    demo.stop().await;
}

#[actix_web::test]
async fn actix_demo_pass_fail_and_replay() {
    actix_demo_at("/").await;
}

#[actix_web::test]
async fn actix_demo_keeps_a_public_url_path_prefix() {
    actix_demo_at("/shop/faceid/").await;
}

#[tokio::test]
async fn a_public_url_path_prefix_is_kept() {
    let (url, _) = serve_axum("/shop/faceid/").await;

    assert_pass_fail_and_replay(&url).await;
}
