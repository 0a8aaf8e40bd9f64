//! The actix demo's session list over real HTTP.

use crate::support::demo_client::{session, start};
use crate::support::demos::serve_actix;

#[actix_web::test]
async fn the_actix_demo_lists_sessions_too() {
    let demo = serve_actix("/").await;
    let url = demo.url.clone();

    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = start(&browser, &url).await;
    let order_no = login
        .query_pairs()
        .find(|(key, _)| key == "orderNo")
        .map(|(_, value)| value.into_owned())
        .unwrap();
    let pending = session(&url, &order_no).await;
    assert_eq!(pending["state"], "pending");
    let page = reqwest::get(url.join("/sessions").unwrap()).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains(&order_no));
    let metrics = reqwest::get(url.join("/metrics").unwrap()).await.unwrap();
    assert_eq!(metrics.status(), 200);
    demo.stop().await;
}
