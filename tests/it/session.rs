//! Starting sessions against the emulator: validation, the signed start,
//! the login URL, the recorded order, and composition with tower layers.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use tencent_faceid::client::Endpoint;
use tencent_faceid::client::ResultCode;
use tencent_faceid::client::SourcePhotoType;
use tencent_faceid::orders::{Consumed, MemoryOrderStore, OrderStore};
use tencent_faceid::session::{
    InvalidStart, MAX_PHOTO_BYTES, SessionStarter, SourcePhoto, StartError, StartSession,
};
use tencent_faceid::tickets::CachedTickets;
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::{Emulator, Fault};
use tower::{ServiceBuilder, ServiceExt};
use url::Url;

const NAME: &str = "Zhang Sanfeng";
const ID_NO: &str = "110101199003074477";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n-not-really-an-image";

struct Setup {
    emulator: Emulator,
    store: MemoryOrderStore,
    starter: SessionStarter,
}

async fn setup() -> Setup {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let store = MemoryOrderStore::new();
    let tickets = CachedTickets::builder(client.clone()).build();
    let wiring =
        tencent_faceid::wiring::Wiring::new(client, tickets, store.clone()).browser_binding(false);
    let starter = SessionStarter::builder(&wiring)
        .order_prefix("test")
        .build()
        .unwrap();
    Setup {
        emulator,
        store,
        starter,
    }
}

fn callback_url() -> Url {
    "https://partner.example/face/callback?from=h5&x=a b"
        .parse()
        .unwrap()
}

fn request(user: &str) -> StartSession {
    StartSession::new(UserId::new(user).unwrap(), callback_url())
        .name(NAME)
        .id_number(ID_NO)
}

#[tokio::test]
async fn start_returns_a_login_url_that_the_emulator_accepts_and_records_the_order() {
    let Setup {
        emulator,
        store,
        starter,
    } = setup().await;
    let started = starter.start(request("user1")).await.unwrap();

    assert!(started.order_no.as_str().starts_with("test"));
    assert_eq!(started.order_no.as_str().len(), 32);
    // On the optimal domain the vendor answered, with the base URL's
    // scheme: not on the API's host.
    let url = &started.redirect_url;
    let domain = format!("{}:{}", url.host_str().unwrap(), url.port().unwrap());
    assert_eq!(domain, emulator.optimal_domain());
    assert_ne!(url.host_str(), emulator.base_url().host_str());
    assert_eq!(url.scheme(), emulator.base_url().scheme());
    assert_eq!(url.path(), "/api/web/login");
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let get = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("url"), Some(callback_url().as_str()));
    assert_eq!(get("orderNo"), Some(started.order_no.as_str()));
    assert_eq!(get("h5faceId"), Some(started.h5face_id.as_str()));
    assert_eq!(get("userId"), Some("user1"));
    assert_eq!(get("webankAppId"), Some(emulator.app_id()));
    assert_eq!(get("nonce").map(str::len), Some(32));

    // The emulator checks the login URL's NONCE-ticket signature.
    let page = reqwest::get(url.clone()).await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("id=\"pass\""));

    let counts = emulator.counts();
    assert_eq!((counts.start_session, counts.nonce_ticket), (1, 1));
    assert!(matches!(
        store.consume(&started.order_no).await.unwrap(),
        Consumed::Accepted(order) if order.user_id.as_str() == "user1"
    ));
}

#[tokio::test]
async fn the_login_url_is_single_use() {
    let Setup {
        starter, emulator, ..
    } = setup().await;
    let started = starter.start(request("user1")).await.unwrap();
    assert_eq!(
        reqwest::get(started.redirect_url.clone())
            .await
            .unwrap()
            .status(),
        200
    );
    let again = reqwest::get(started.redirect_url).await.unwrap();
    assert_eq!(again.status(), 403);
    let page = again.text().await.unwrap();
    assert!(page.contains("used already"), "{page}");
    assert_eq!(emulator.counts().login_page, 2);
}

#[tokio::test]
async fn a_source_photo_replaces_name_and_id_number() {
    let Setup {
        starter,
        emulator: _emulator,
        ..
    } = setup().await;
    let photo = SourcePhoto::from_bytes(PNG, SourcePhotoType::HighDefinition).unwrap();
    let request =
        StartSession::new(UserId::new("user2").unwrap(), callback_url()).source_photo(photo);
    assert!(starter.start(request).await.is_ok());
}

#[tokio::test]
async fn invalid_requests_are_refused_before_any_vendor_call() {
    let Setup {
        emulator, starter, ..
    } = setup().await;
    let user = || UserId::new("user3").unwrap();
    let cases = [
        (
            StartSession::new(user(), callback_url()).name(NAME),
            InvalidStart::MissingIdentity,
        ),
        (
            StartSession::new(user(), callback_url())
                .name("  ")
                .id_number(ID_NO),
            InvalidStart::BlankIdentity,
        ),
        (
            StartSession::new(user(), "ftp://partner.example/cb".parse().unwrap())
                .name(NAME)
                .id_number(ID_NO),
            InvalidStart::CallbackUrl,
        ),
    ];
    for (request, expected) in cases {
        match starter.start(request).await {
            Err(StartError::Invalid(found)) => assert_eq!(found, expected),
            other => panic!("expected {expected:?}, got {other:?}"),
        }
    }
    let counts = emulator.counts();
    assert_eq!((counts.access_token, counts.start_session), (0, 0));
}

#[test]
fn photos_are_checked_against_the_vendor_rules() {
    let kind = SourcePhotoType::Watermarked;
    let mut big = PNG.to_vec();
    big.resize(MAX_PHOTO_BYTES + 1, 0);
    assert_eq!(
        SourcePhoto::from_bytes(&big, kind).unwrap_err(),
        InvalidStart::PhotoTooLarge {
            size: MAX_PHOTO_BYTES + 1,
            max: MAX_PHOTO_BYTES
        }
    );
    big.truncate(MAX_PHOTO_BYTES);
    assert!(SourcePhoto::from_bytes(&big, kind).is_ok());
    assert_eq!(
        SourcePhoto::from_bytes(b"GIF89a....", kind).unwrap_err(),
        InvalidStart::PhotoFormat
    );
    for jpeg_or_bmp in [&b"\xFF\xD8\xFF\xE0rest"[..], b"BMrest"] {
        assert!(SourcePhoto::from_bytes(jpeg_or_bmp, kind).is_ok());
    }

    use base64::Engine as _;
    let encoded = base64::engine::general_purpose::STANDARD.encode(PNG);
    assert!(SourcePhoto::from_base64(&encoded, kind).is_ok());
    let wrapped = format!("{}\n{}", &encoded[..8], &encoded[8..]);
    let prefixed = format!("data:image/png;base64,{encoded}");
    for bad in [wrapped.as_str(), prefixed.as_str(), "not base64!"] {
        let error = SourcePhoto::from_base64(bad, kind).unwrap_err();
        assert!(
            matches!(error, InvalidStart::PhotoBase64(_)),
            "{bad}: {error}"
        );
    }
    let big_encoded = base64::engine::general_purpose::STANDARD.encode(&{
        let mut b = PNG.to_vec();
        b.resize(MAX_PHOTO_BYTES + 1, 0);
        b
    });
    assert!(matches!(
        SourcePhoto::from_base64(&big_encoded, kind),
        Err(InvalidStart::PhotoTooLarge { .. })
    ));
}

#[tokio::test]
async fn a_vendor_refusal_records_nothing() {
    let Setup {
        emulator,
        store,
        starter,
    } = setup().await;
    // Refused, and refused again after one recovery of the tickets.
    emulator.inject(
        Fault::vendor_error(Endpoint::StartSession, ResultCode::from_code("400500")).times(2),
    );
    let error = starter.start(request("user4")).await.unwrap_err();
    assert!(
        matches!(&error, StartError::Vendor(e) if e.vendor_code() == Some(&ResultCode::from_code("400500"))),
        "{error:?}"
    );
    assert!(store.is_empty());
    let counts = emulator.counts();
    assert_eq!((counts.start_session, counts.access_token), (2, 2));
}

#[tokio::test]
async fn a_vendor_refusal_is_recovered_from_once() {
    let Setup {
        emulator,
        store,
        starter,
    } = setup().await;
    emulator.inject(Fault::vendor_error(
        Endpoint::StartSession,
        ResultCode::from_code("400101"),
    ));
    let started = starter.start(request("user5")).await.unwrap();
    assert!(matches!(
        store.consume(&started.order_no).await.unwrap(),
        Consumed::Accepted(_)
    ));
    let counts = emulator.counts();
    assert_eq!(
        (
            counts.start_session,
            counts.access_token,
            counts.sign_ticket
        ),
        (2, 2, 2),
        "the refused start, one new pair, the start again"
    );
}

#[tokio::test]
async fn order_numbers_are_unique_and_valid() {
    let Setup {
        starter,
        store,
        emulator: _emulator,
    } = setup().await;
    let starts = (0..40).map(|i| {
        let starter = starter.clone();
        tokio::spawn(async move { starter.start(request(&format!("user{i}"))).await })
    });
    let mut seen = HashSet::new();
    for handle in starts {
        let started = handle.await.unwrap().unwrap();
        assert!(OrderNo::new(started.order_no.as_str()).is_ok());
        assert!(seen.insert(started.order_no));
    }
    assert_eq!(store.len(), 40);
}

#[tokio::test]
async fn personal_data_never_shows_in_debug_or_errors() {
    let Setup {
        emulator, starter, ..
    } = setup().await;
    let request = request("user5");
    let shown = format!("{request:?} {starter:?}");
    assert!(!shown.contains(NAME) && !shown.contains(ID_NO), "{shown}");
    emulator.inject(Fault::http_status(Endpoint::StartSession, 500));
    let error = starter.start(request).await.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(NAME) && !shown.contains(ID_NO), "{shown}");
    assert!(!shown.contains(emulator.secret()));
}

#[tokio::test]
async fn tower_layers_compose_with_the_starter() {
    let Setup {
        emulator, starter, ..
    } = setup().await;
    let service = ServiceBuilder::new()
        .concurrency_limit(4)
        .timeout(Duration::from_secs(30))
        .service(starter);
    let started = service.clone().oneshot(request("user6")).await.unwrap();
    assert!(started.redirect_url.as_str().contains("h5faceId="));

    // A start held by the vendor is cut off by the timeout layer.
    let release = Arc::new(tokio::sync::Notify::new());
    emulator.inject(Fault::hold(Endpoint::StartSession, release.clone()));
    let held = ServiceBuilder::new()
        .timeout(Duration::from_millis(50))
        .service(service);
    let error = held.oneshot(request("user7")).await.unwrap_err();
    assert!(error.is::<tower::timeout::error::Elapsed>(), "{error}");
    release.notify_one();
}
