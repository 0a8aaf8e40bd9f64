//! The actix demo's session list over real HTTP (its own test binary: the
//! demo installs the process's metrics recorder).

#[path = "../examples/actix_demo.rs"]
#[allow(dead_code)]
mod actix_demo;
mod demo_support;

use demo_support::{session, start};
use url::Url;

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
    handle.stop(true).await;
}
