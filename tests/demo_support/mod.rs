//! What the demo session tests share.

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
