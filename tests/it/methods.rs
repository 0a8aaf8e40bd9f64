//! Only a `GET` is a callback: every other method, sent over real HTTP to
//! the axum layer (wired as the README wires it, and on an `any` route)
//! and to the actix extractor, neither runs the handler with an outcome nor
//! consumes the order, which a `GET` then still gets.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::common::*;
use axum::Router;
use axum::routing::{any, get};
use reqwest::Method;
use tencent_faceid::FaceId;
use tencent_faceid::actix;
use tencent_faceid::axum::Verified;
use tencent_faceid::orders::MemoryOrderStore;
use tencent_faceid::tower::FaceCallbackLayer;
use url::Url;

/// A `FaceId` verifying callbacks of `store`'s orders signed with the seed
/// ticket, from any browser.
async fn face_id(store: &MemoryOrderStore) -> FaceId {
    FaceId::builder(APP_ID, "secret")
        .callback_url_per_request()
        .tickets(seed_tickets())
        .store(store.clone())
        .browser_binding(false)
        .build()
        .await
        .unwrap()
}

/// Every method but `GET`, including one of WebDAV's.
fn other_methods() -> Vec<Method> {
    let mut methods = vec![
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::OPTIONS,
        Method::PATCH,
        Method::TRACE,
    ];
    methods.push(Method::from_bytes(b"PROPFIND").expect("a valid method"));
    methods
}

/// Sends every other method, then a `GET`, with the genuine callback of a
/// fresh order to `path`; returns the statuses (and `Allow` headers) of the
/// other methods.
async fn send_all(base: &Url, path: &str, order_no: &str) -> Vec<(Method, u16, Option<String>)> {
    let http = reqwest::Client::new();
    let url = format!(
        "{}?{}",
        base.join(path).unwrap(),
        callback(order_no, "0", TICKET)
    );
    let mut statuses = Vec::new();
    for method in other_methods() {
        let response = http.request(method.clone(), &url).send().await.unwrap();
        let allow = response.headers().get(reqwest::header::ALLOW);
        let allow = allow.map(|value| value.to_str().unwrap().to_owned());
        statuses.push((method, response.status().as_u16(), allow));
    }
    let get = http.get(&url).send().await.unwrap();
    assert_eq!(
        get.status(),
        200,
        "the order is intact: the GET is accepted"
    );
    assert!(get.text().await.unwrap().contains(order_no));
    let again = http.get(&url).send().await.unwrap();
    assert_eq!(again.status(), 409, "and consumed once");
    statuses
}

#[tokio::test]
async fn axum_consumes_only_on_get() {
    let store = MemoryOrderStore::new();
    let calls = Arc::new(AtomicUsize::new(0));
    let handler = {
        let calls = calls.clone();
        move |Verified(outcome): Verified| async move {
            calls.fetch_add(1, Ordering::SeqCst);
            outcome.order_no.to_string()
        }
    };
    let layer = FaceCallbackLayer::new(verifier(Tickets::Current, &store));
    let app = Router::new()
        // As the README wires it.
        .route("/face/callback", get(handler.clone()))
        .route_layer(layer.clone())
        // A route that takes every method to the same handler.
        .merge(
            Router::new()
                .route("/any/callback", any(handler.clone()))
                .route_layer(layer),
        )
        // The route the crate makes.
        .route(
            "/route/callback",
            face_id(&store).await.callback_route(handler),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base: Url = format!("http://{}/", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    start_order(&store, "order1", TTL).await;
    for (method, status, _) in send_all(&base, "/face/callback", "order1").await {
        assert_eq!(status, 405, "{method} on a get() route");
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "only the GET ran the handler"
    );

    start_order(&store, "order2", TTL).await;
    for (method, status, _) in send_all(&base, "/any/callback", "order2").await {
        // `Verified` refuses every method but GET before the handler body.
        assert_eq!(status, 405, "{method} on an any() route");
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "only the GETs ran the handler"
    );

    start_order(&store, "order3", TTL).await;
    for (method, status, allow) in send_all(&base, "/route/callback", "order3").await {
        assert_eq!(
            (status, allow.as_deref()),
            (405, Some("GET")),
            "{method} on FaceId::callback_route"
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[actix_web::test]
async fn actix_consumes_only_on_get() {
    use actix_web::{App, HttpResponse, HttpServer, web};

    let store = MemoryOrderStore::new();
    let calls = web::Data::new(AtomicUsize::new(0));
    let verifier = web::Data::new(verifier(Tickets::Current, &store));
    async fn handler(
        calls: web::Data<AtomicUsize>,
        actix::Verified(outcome): actix::Verified,
    ) -> HttpResponse {
        calls.fetch_add(1, Ordering::SeqCst);
        HttpResponse::Ok().body(outcome.order_no.to_string())
    }
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base: Url = format!("http://{}/", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    let face_id = face_id(&store).await;
    let server = {
        let calls = calls.clone();
        HttpServer::new(move || {
            App::new()
                .app_data(verifier.clone())
                .app_data(calls.clone())
                .route("/face/callback", web::get().to(handler))
                .route("/any/callback", web::route().to(handler))
                .service(face_id.callback_resource("/resource/callback", handler))
        })
        .workers(1)
        .listen(listener)
        .unwrap()
        .run()
    };
    let handle = server.handle();
    actix_web::rt::spawn(server);

    start_order(&store, "order1", TTL).await;
    for (method, status, _) in send_all(&base, "/face/callback", "order1").await {
        // actix answers 404 or 405 for routes without the method; the
        // handler never ran, which the count below shows.
        assert!(matches!(status, 404 | 405), "{method} gave {status}");
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "only the GET ran the handler"
    );

    start_order(&store, "order2", TTL).await;
    for (method, status, _) in send_all(&base, "/any/callback", "order2").await {
        assert_eq!(status, 405, "{method} on a route for every method");
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "only the GETs ran the handler"
    );

    start_order(&store, "order3", TTL).await;
    for (method, status, allow) in send_all(&base, "/resource/callback", "order3").await {
        assert_eq!(
            (status, allow.as_deref()),
            (405, Some("GET")),
            "{method} on FaceId::callback_resource"
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    handle.stop(true).await;
}
