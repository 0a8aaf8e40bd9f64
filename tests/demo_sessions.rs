//! The demo's session list over real HTTP: a started session is pending,
//! its callback settles it passed by the callback, and the metrics say so.

// Its own test binary: the demo installs the process's metrics recorder,
// whose counts this test checks exactly (the demos in `tests/it` count
// there too).

use faceid_demo::axum_demo as demo;
use faceid_test_support::demo_client::{session, start};
use serde_json::Value;
use tencent_faceid_emulator::Outcome;
use url::Url;

#[tokio::test]
async fn sessions_are_listed_pending_then_settled_and_counted() {
    // This test's client keeps no cookies (tests/it/binding.rs covers binding).
    let options = faceid_demo::Options {
        browser_binding: false,
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url: Url = format!("http://{}/", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    let demo::Demo { router, emulator } = demo::demo_with(url.clone(), options).await.unwrap();
    let emulator = emulator.expect("no vendor configured: the emulator is used");
    tokio::spawn(async move { axum::serve(listener, router).await });

    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = start(&browser, &url).await;
    let param = |name: &str| {
        login
            .query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
            .unwrap()
    };
    let (order_no, h5face_id) = (param("orderNo"), param("h5faceId"));
    let pending = session(&url, &order_no).await;
    assert_eq!(pending["state"], "pending");
    assert_eq!(pending["settledBy"], Value::Null);

    // The browser opens the page and the user passes.
    assert_eq!(browser.get(login).send().await.unwrap().status(), 200);
    let back = emulator.complete(&h5face_id, Outcome::Pass).unwrap();
    assert_eq!(
        browser.get(back.clone()).send().await.unwrap().status(),
        200
    );
    let settled = session(&url, &order_no).await;
    assert_eq!(settled["state"], "passed");
    assert_eq!(settled["settledBy"], "callback");
    assert_eq!(browser.get(back).send().await.unwrap().status(), 409);

    let page = reqwest::get(url.join("/sessions").unwrap()).await.unwrap();
    assert!(page.text().await.unwrap().contains(&order_no));
    let metrics = reqwest::get(url.join("/metrics").unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("faceid_settlements_total{state=\"passed\",path=\"callback\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("faceid_vendor_call_seconds"), "{metrics}");
}
