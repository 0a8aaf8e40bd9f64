//! The demo's session list over real HTTP: a started session is pending,
//! its callback settles it passed by the callback, and the metrics say so.

// Each demo is its own program and includes the shared support modules;
// here both are compiled into one test, hence the modules appear twice.
#[path = "../examples/actix_demo.rs"]
#[allow(dead_code, clippy::duplicate_mod)]
mod actix_demo;
#[path = "../examples/demo.rs"]
#[allow(dead_code, clippy::duplicate_mod)]
mod demo;

use serde_json::Value;
use tencent_faceid::emulator::Outcome;
use url::Url;

/// The list's entry for `order_no`.
async fn session(demo_url: &Url, order_no: &str) -> Value {
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

#[tokio::test]
async fn sessions_are_listed_pending_then_settled_and_counted() {
    // This test's client keeps no cookies (tests/binding.rs covers binding).
    std::env::set_var("DEMO_BROWSER_BINDING", "0");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url: Url = format!("http://{}/", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    let demo::Demo { router, emulator } = demo::demo(url.clone()).await.unwrap();
    let emulator = emulator.expect("no vendor configured: the emulator is used");
    tokio::spawn(async move { axum::serve(listener, router).await });

    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let started = browser
        .post(url.join("/start").unwrap())
        .form(&[("name", "张三"), ("id_number", "110101199003071234")])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 303);
    let login: Url = started.headers()["location"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
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

#[actix_web::test]
async fn the_actix_demo_lists_sessions_too() {
    std::env::set_var("DEMO_BROWSER_BINDING", "0");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url: Url = format!("http://{}/", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    let (state, _emulator) = actix_demo::demo_state(url.clone()).await.unwrap();
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new().configure(actix_demo::configure(state.clone()))
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let started = browser
        .post(url.join("/start").unwrap())
        .form(&[("name", "张三"), ("id_number", "110101199003071234")])
        .send()
        .await
        .unwrap();
    assert_eq!(started.status(), 303);
    let login: Url = started.headers()["location"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
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
    handle.stop(true).await;
}
