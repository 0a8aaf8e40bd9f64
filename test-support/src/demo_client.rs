//! The demo as its HTTP client sees it: starting a session through the
//! form, and an entry of the sessions list (the demo session tests, in
//! `tests/it` and `tests/demo_sessions.rs`).

use serde_json::Value;
use url::Url;

/// The list's entry for `order_no`.
pub async fn session(demo_url: &Url, order_no: &str) -> Value {
    let list: Value = reqwest::get(demo_url.join("/sessions.json").unwrap())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["orderNo"] == order_no)
        .cloned()
        .unwrap_or_else(|| panic!("{order_no} not in {list}"))
}

/// Starts a session through the demo's form, as `browser` (which follows
/// no redirects): the vendor's login URL the demo sends it to.
pub async fn start(browser: &reqwest::Client, demo_url: &Url) -> Url {
    let started = browser
        .post(demo_url.join("/start").unwrap())
        .form(&[("name", "张三"), ("id_number", "110101199003071234")])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 303);
    started.headers()["location"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}
