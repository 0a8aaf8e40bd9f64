//! Every edition against the emulator over loopback HTTP: the enhanced H5
//! page (getAdvFaceId, faceId login, the same callback), the App SDK
//! (getfaceid, launch parameters, the SDK's result), and the parallel
//! start every edition shares.

use std::time::Duration;

use tencent_faceid::FaceId;
use tencent_faceid::callback::{Malformed, RejectionKind};
use tencent_faceid::client::Endpoint;
use tencent_faceid::client::{FrontEndCode, ResultCode};
use tencent_faceid::orders::{MemoryOrderStore, OrderStore, PendingOrder};
use tencent_faceid::sdk::{SdkLaunch, verify_result_body};
use tencent_faceid::session::{Edition, launch_sign};
use tencent_faceid::session::{InvalidStart, StartError, StartSession};
use tencent_faceid::tickets::TicketProvider;
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::{
    Configured, Emulator, EmulatorError, Fault, Outcome, Refusal, VendorChoice, WhenUnconfigured,
};
use url::Url;

const NAME: &str = "Zhang Sanfeng";
const ID_NO: &str = "110101199003074477";

async fn face_id(emulator: &Emulator) -> FaceId {
    emulator
        .face_id()
        .callback_url_per_request()
        .browser_binding(false)
        .build()
        .await
        .unwrap()
}

fn h5(user: &str, edition: Edition) -> StartSession {
    let callback: Url = "https://partner.example/face/callback".parse().unwrap();
    StartSession::new(UserId::new(user).unwrap(), callback)
        .name(NAME)
        .id_number(ID_NO)
        .edition(edition)
}

fn sdk(user: &str) -> StartSession {
    StartSession::for_sdk(UserId::new(user).unwrap())
        .name(NAME)
        .id_number(ID_NO)
}

fn query(url: &Url) -> String {
    url.query().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn the_enhanced_start_uploads_with_get_adv_face_id_and_links_with_face_id() {
    let emulator = Emulator::start().await.unwrap();
    let face_id = face_id(&emulator).await;
    let started = face_id.start(h5("user1", Edition::Enhanced)).await.unwrap();
    assert_eq!(started.edition, Edition::Enhanced);
    let counts = emulator.counts();
    assert_eq!(
        (
            counts.start_enhanced,
            counts.start_session,
            counts.nonce_ticket
        ),
        (1, 0, 1)
    );
    let pairs: Vec<(String, String)> = started.redirect_url.query_pairs().into_owned().collect();
    let has = |name: &str| pairs.iter().any(|(n, _)| n == name);
    assert!(has("appId") && has("faceId") && !has("webankAppId") && !has("h5faceId"));
    assert_eq!(started.redirect_url.path(), "/api/web/login");

    // The emulator's page accepts the link (signed with the NONCE ticket),
    // and the same verifier accepts its callback.
    let callback = emulator
        .complete_login(started.redirect_url.as_str(), Outcome::Pass)
        .unwrap();
    assert_eq!(callback.path(), "/face/callback");
    let outcome = face_id.verifier().verify(&query(&callback)).await.unwrap();
    assert!(outcome.passed());
    assert_eq!(outcome.edition, Edition::Enhanced);
    assert_eq!(outcome.order_no, started.order_no);

    // Replayed: 409.
    let replay = face_id
        .verifier()
        .verify(&query(&callback))
        .await
        .unwrap_err();
    assert_eq!(
        (replay.kind(), replay.status()),
        (&RejectionKind::Replay, 409)
    );
}

#[tokio::test]
async fn enhanced_failures_and_front_end_codes_come_back_signed() {
    let emulator = Emulator::start().await.unwrap();
    let face_id = face_id(&emulator).await;
    let outcomes = [
        Outcome::Fail(ResultCode::from_code("66660004")),
        Outcome::FrontEnd(FrontEndCode::NoCameraPermission),
    ];
    for (n, outcome) in outcomes.into_iter().enumerate() {
        let code = outcome.clone().code();
        let started = face_id
            .start(h5(&format!("user{n}"), Edition::Enhanced))
            .await
            .unwrap();
        let callback = emulator
            .complete_login(started.redirect_url.as_str(), outcome)
            .unwrap();
        let verified = face_id.verifier().verify(&query(&callback)).await.unwrap();
        assert!(!verified.passed());
        assert_eq!(verified.code, code);
        assert_eq!(verified.edition, Edition::Enhanced);
    }
}

#[tokio::test]
async fn a_link_opens_only_its_own_editions_session() {
    let emulator = Emulator::start().await.unwrap();
    let face_id = face_id(&emulator).await;
    let started = face_id.start(h5("user1", Edition::Enhanced)).await.unwrap();
    // The enhanced session's faceId in a basic link: no such session.
    let mut basic = started.redirect_url.clone();
    let pairs: Vec<(String, String)> = basic.query_pairs().into_owned().collect();
    basic
        .query_pairs_mut()
        .clear()
        .extend_pairs(pairs.iter().map(|(n, v)| {
            let name = match n.as_str() {
                "appId" => "webankAppId",
                "faceId" => "h5faceId",
                other => other,
            };
            (name, v.as_str())
        }));
    let refused = emulator.complete_login(basic.as_str(), Outcome::Pass);
    assert!(
        matches!(
            refused,
            Err(EmulatorError::LoginRefused {
                refusal: Refusal::UnknownSession,
                ..
            })
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn the_sdk_edition_has_no_h5_page() {
    let emulator = Emulator::start().await.unwrap();
    let face_id = face_id(&emulator).await;
    let warmed = emulator.counts();
    let error = face_id.start(sdk("user1")).await.unwrap_err();
    assert!(matches!(error, StartError::Invalid(InvalidStart::NotH5)));
    assert_eq!(error.status(), 400);
    assert_eq!(emulator.counts(), warmed, "refused before any call");
}

#[tokio::test]
async fn the_start_makes_both_calls_and_a_failure_of_either_is_the_typed_error() {
    // The SaaS editions; WeChat's one call (DetectAuth) is in wechat.rs.
    for edition in [Edition::Basic, Edition::Enhanced, Edition::AppSdk] {
        let emulator = Emulator::start().await.unwrap();
        let store = MemoryOrderStore::new();
        let face_id = emulator
            .face_id()
            .callback_url_per_request()
            .browser_binding(false)
            .store(store.clone())
            .build()
            .await
            .unwrap();
        let start = |user: &str| {
            let face_id = face_id.clone();
            let request = match edition {
                Edition::AppSdk => sdk(user),
                _ => h5(user, edition),
            };
            async move {
                match edition {
                    Edition::AppSdk => face_id.start_sdk(request).await.map(|l| l.agreement_no),
                    _ => face_id.start(request).await.map(|s| s.order_no),
                }
            }
        };
        let upload = match edition {
            Edition::Basic => Endpoint::StartSession,
            Edition::Enhanced => Endpoint::StartEnhanced,
            _ => Endpoint::StartSdk,
        };
        let uploads = |emulator: &Emulator| {
            let counts = emulator.counts();
            counts.start_session + counts.start_enhanced + counts.start_sdk
        };

        // Both calls.
        let order_no = start("user1").await.unwrap();
        assert_eq!((uploads(&emulator), emulator.counts().nonce_ticket), (1, 1));
        assert!(store.lookup(&order_no).await.is_ok());

        // The upload fails: the vendor's error, nothing recorded.
        emulator.inject(Fault::http_status(upload, 500));
        let error = start("user2").await.unwrap_err();
        assert!(
            matches!(error, StartError::Vendor(_)),
            "{edition}: {error:?}"
        );
        assert_eq!(error.status(), 502);

        // The NONCE ticket fails (the SIGN ticket is cached): the tickets'
        // error; the upload ran, its session is dropped.
        emulator.inject(Fault::http_status(Endpoint::ApiTicket, 500));
        let error = start("user3").await.unwrap_err();
        assert!(
            matches!(error, StartError::Tickets(_)),
            "{edition}: {error:?}"
        );
        assert_eq!(error.status(), 503);
        assert_eq!(
            store.len(),
            1,
            "{edition}: only the first start is recorded"
        );

        // The vendor refuses the token once: recovered, for both calls.
        emulator.inject(Fault::vendor_error(upload, ResultCode::InvalidAccessToken));
        assert!(start("user4").await.is_ok(), "{edition}");
    }
}

#[tokio::test]
async fn the_sdk_start_answers_launch_parameters_signed_with_a_nonce_ticket() {
    let emulator = Emulator::start().await.unwrap();
    let face_id = face_id(&emulator).await;
    let launch = face_id.start_sdk(sdk("user1")).await.unwrap();
    let counts = emulator.counts();
    assert_eq!((counts.start_sdk, counts.nonce_ticket), (1, 1));
    assert_eq!(launch.open_api_app_id, emulator.app_id());
    assert_eq!(launch.open_api_app_version, "1.0.0");
    assert_eq!(launch.open_api_nonce.len(), 32);
    assert_eq!(launch.key_licence.expose(), emulator.key_licence());
    assert!(!format!("{launch:?}").contains(emulator.key_licence()));
    let json = serde_json::to_value(&launch).unwrap();
    for name in [
        "faceId",
        "agreementNo",
        "openApiAppId",
        "openApiAppVersion",
        "openApiNonce",
        "openApiUserId",
        "openApiSign",
        "keyLicence",
    ] {
        assert!(json.get(name).is_some_and(|v| v.is_string()), "{name}");
    }

    // Signed with the SIGN ticket instead: the SDK refuses it.
    let tickets = tencent_faceid::tickets::CachedTickets::builder(emulator.client()).build();
    let sign_ticket = tickets.sign_tickets().await.unwrap();
    let mut wrong: SdkLaunch = launch.clone();
    wrong.open_api_sign = launch_sign(
        &launch.open_api_app_id,
        launch.open_api_user_id.as_str(),
        &launch.open_api_nonce,
        sign_ticket.current.value(),
    );
    let refused = emulator.run_sdk(&wrong, Outcome::Pass);
    assert!(
        matches!(
            refused,
            Err(EmulatorError::SdkRefused {
                refusal: Refusal::InvalidSign,
                ..
            })
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn sdk_results_pass_fail_and_are_confirmed_by_record() {
    let emulator = Emulator::start().await.unwrap();
    let face_id = face_id(&emulator).await;

    let launch = face_id.start_sdk(sdk("user1")).await.unwrap();
    let answer = emulator.run_sdk(&launch, Outcome::Pass).unwrap();
    assert!(answer.is_success && answer.error.is_none());
    let body = serde_json::to_vec(&answer.forwarded()).unwrap();
    let before = emulator.counts().query_record;
    let outcome = verify_result_body(face_id.verifier(), &body).await.unwrap();
    assert!(outcome.passed());
    assert_eq!(outcome.edition, Edition::AppSdk);
    assert_eq!(outcome.order_no, launch.agreement_no);
    assert_eq!(outcome.user_id.as_str(), "user1");
    // Confirmed by the vendor's record, without `confirm` set.
    assert!(!face_id.verifier().confirms());
    assert_eq!(emulator.counts().query_record, before + 1);
    assert!(outcome.record.is_some());

    // Replayed: 409.
    let replay = verify_result_body(face_id.verifier(), &body)
        .await
        .unwrap_err();
    assert_eq!(replay.status(), 409);

    let launch = face_id.start_sdk(sdk("user2")).await.unwrap();
    let failed = Outcome::Fail(ResultCode::from_code("66660004"));
    let answer = emulator.run_sdk(&launch, failed).unwrap();
    assert_eq!(answer.error.as_ref().unwrap().code, "66660004");
    let body = serde_json::to_vec(&answer.forwarded()).unwrap();
    let outcome = verify_result_body(face_id.verifier(), &body).await.unwrap();
    assert!(!outcome.passed());
    assert_eq!(outcome.code, ResultCode::from_code("66660004"));

    // Each launch once.
    let again = emulator.run_sdk(&launch, Outcome::Pass);
    assert!(again.is_err());
}

#[tokio::test]
async fn untrusted_sdk_results_are_refused() {
    let emulator = Emulator::start().await.unwrap();
    let store = MemoryOrderStore::new();
    let face_id = emulator
        .face_id()
        .callback_url_per_request()
        .store(store.clone())
        .build()
        .await
        .unwrap();

    // Tampered: the app turns a failure into a pass. The signature does
    // not match; the vendor's record, the last judge, says it failed.
    let launch = face_id.start_sdk(sdk("user1")).await.unwrap();
    let answer = emulator
        .run_sdk(&launch, Outcome::Fail(ResultCode::from_code("66660004")))
        .unwrap();
    let mut forwarded = answer.forwarded();
    forwarded["code"] = "0".into();
    let body = serde_json::to_vec(&forwarded).unwrap();
    let judged = verify_result_body(face_id.verifier(), &body).await.unwrap();
    assert!(!judged.passed() && judged.judged_by_record);
    assert_eq!(judged.code, ResultCode::from_code("66660004"));

    // Forged for an order whose SDK never ran (no record): 401, and the
    // order stays pending.
    let pending = face_id.start_sdk(sdk("user2")).await.unwrap();
    let forged = serde_json::json!({
        "orderNo": pending.agreement_no.as_str(), "code": "0",
        "sign": answer.sign.clone().unwrap(),
    });
    let body = serde_json::to_vec(&forged).unwrap();
    let tampered = verify_result_body(face_id.verifier(), &body)
        .await
        .unwrap_err();
    assert_eq!(
        (tampered.kind(), tampered.status()),
        (&RejectionKind::BadSignature, 401)
    );
    // Said in the App SDK's words: its JSON field is `sign`.
    let message = tampered.to_string();
    assert!(
        message.starts_with("sign does not match for order"),
        "{message}"
    );
    assert!(
        message.contains("the App SDK result was altered"),
        "{message}"
    );
    assert!(
        !message.contains("newSignature") && !message.contains("callback"),
        "{message}"
    );
    let not_hex = serde_json::json!({
        "orderNo": pending.agreement_no.as_str(), "code": "0", "sign": "not hex",
    });
    let rejection = verify_result_body(face_id.verifier(), &serde_json::to_vec(&not_hex).unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        rejection.to_string(),
        "malformed App SDK result: field `sign` is not 40 hex digits"
    );
    assert!(matches!(
        store.lookup(&pending.agreement_no).await.unwrap(),
        tencent_faceid::orders::Lookup::Pending { .. }
    ));

    // An order this server never started: 404, whatever its signature.
    let unknown = serde_json::json!({
        "orderNo": "neverstarted1", "code": "0",
        "sign": answer.sign.clone().unwrap(),
    });
    let rejection = verify_result_body(face_id.verifier(), &serde_json::to_vec(&unknown).unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        (rejection.kind(), rejection.status()),
        (&RejectionKind::UnknownOrder, 404)
    );

    // Not a result at all: 400.
    let rejection = verify_result_body(face_id.verifier(), b"{\"orderNo\":1")
        .await
        .unwrap_err();
    assert!(matches!(
        rejection.kind(),
        RejectionKind::Malformed(Malformed::NotSdkResult(_))
    ));
    assert_eq!(rejection.status(), 400);

    // An SDK order remembers its edition in the store.
    let order = PendingOrder::new(
        OrderNo::new("sdkorder1").unwrap(),
        UserId::new("u1").unwrap(),
    )
    .in_edition(Edition::AppSdk);
    store.put(order, Duration::from_secs(60)).await.unwrap();
    let consumed = store
        .consume(&OrderNo::new("sdkorder1").unwrap())
        .await
        .unwrap();
    assert!(matches!(
        consumed,
        tencent_faceid::orders::Consumed::Accepted(order) if order.edition == Edition::AppSdk
    ));
}

#[tokio::test]
async fn no_key_licence_refuses_the_sdk_start_before_any_call() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let tickets = tencent_faceid::tickets::CachedTickets::builder(client.clone()).build();
    let wiring = tencent_faceid::wiring::Wiring::new(client, tickets, MemoryOrderStore::new());
    let starter = tencent_faceid::session::SessionStarter::builder(&wiring)
        .build()
        .unwrap();
    let error = starter.start_sdk(sdk("user1")).await.unwrap_err();
    assert!(matches!(error, StartError::NoKeyLicence));
    assert_eq!(error.status(), 500);
    assert_eq!(emulator.counts().access_token, 0);
}

/// Drives the SDK path through the axum extractor: pass, replay, tampered.
#[tokio::test]
async fn the_axum_extractor_verifies_sdk_results() {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use axum::routing::post;
    use axum::{Json, Router};
    use tencent_faceid::axum::SdkVerified;
    use tower::ServiceExt;

    async fn handler(SdkVerified(outcome): SdkVerified) -> Json<serde_json::Value> {
        Json(serde_json::json!({ "passed": outcome.passed(), "edition": outcome.edition }))
    }
    let emulator = Emulator::start().await.unwrap();
    let face_id = face_id(&emulator).await;
    let app = Router::new()
        .route("/sdk/result", post(handler))
        .with_state(face_id.clone());
    let post = |body: Vec<u8>| {
        Request::post("/sdk/result")
            .header("content-type", "application/json")
            .body(Body::from(body))
            .unwrap()
    };
    let launch = face_id.start_sdk(sdk("user1")).await.unwrap();
    let answer = emulator.run_sdk(&launch, Outcome::Pass).unwrap();
    let body = serde_json::to_vec(&answer.forwarded()).unwrap();
    let response = app.clone().oneshot(post(body.clone())).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 1024)
        .await
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(
        json,
        serde_json::json!({ "passed": true, "edition": "sdk" })
    );

    let response = app.clone().oneshot(post(body)).await.unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(response.headers()["content-type"], "application/json");

    let too_long = vec![b' '; tencent_faceid::sdk::MAX_RESULT_BODY + 1];
    let response = app.oneshot(post(too_long)).await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

/// Drives the SDK path through the actix extractor: pass, then an order
/// this server never started.
#[actix_web::test]
async fn the_actix_extractor_verifies_sdk_results() {
    use actix_web::{App, HttpResponse, test, web};
    use tencent_faceid::actix::SdkVerified;

    async fn handler(SdkVerified(outcome): SdkVerified) -> HttpResponse {
        HttpResponse::Ok().json(serde_json::json!({ "passed": outcome.passed() }))
    }
    let emulator = Emulator::start().await.unwrap();
    let face_id = face_id(&emulator).await;
    let app = test::init_service(
        App::new()
            .app_data(web::Data::new(face_id.clone()))
            .route("/sdk/result", web::post().to(handler)),
    )
    .await;
    let launch = face_id.start_sdk(sdk("user1")).await.unwrap();
    let answer = emulator.run_sdk(&launch, Outcome::Pass).unwrap();
    let request = test::TestRequest::post()
        .uri("/sdk/result")
        .set_json(answer.forwarded())
        .to_request();
    let json: serde_json::Value = test::call_and_read_body_json(&app, request).await;
    assert_eq!(json, serde_json::json!({ "passed": true }));

    let mut unknown = answer.forwarded();
    unknown["orderNo"] = "neverstarted2".into();
    let request = test::TestRequest::post()
        .uri("/sdk/result")
        .set_json(unknown)
        .to_request();
    let response = test::call_service(&app, request).await;
    assert_eq!(response.status(), 404);
}

/// Every edition settles alike: by its result, or by the reconciler from
/// the vendor's record when the result never comes back; the settlement
/// says which edition.
#[tokio::test]
async fn every_edition_settles_by_its_result_or_by_the_reconciler() {
    use std::sync::{Arc, Mutex};
    use tencent_faceid::ManualClock;
    use tencent_faceid::settle::{SettledBy, SettledState, Settlement};

    let emulator = Emulator::builder()
        .clock(ManualClock::new())
        .start()
        .await
        .unwrap();
    let settled: Arc<Mutex<Vec<Settlement>>> = Arc::default();
    let log = Arc::clone(&settled);
    let face_id = emulator
        .face_id()
        .callback_url_per_request()
        .browser_binding(false)
        .settle(move |settler| {
            settler.on_settled(move |settlement: Settlement| {
                let log = Arc::clone(&log);
                async move {
                    log.lock().unwrap().push(settlement);
                    Ok::<(), std::convert::Infallible>(())
                }
            })
        })
        .build()
        .await
        .unwrap();
    let reconciler = face_id.reconciler().unwrap().build();

    // An SDK result that comes back: settled by it.
    let launch = face_id.start_sdk(sdk("user1")).await.unwrap();
    let answer = emulator.run_sdk(&launch, Outcome::Pass).unwrap();
    let body = serde_json::to_vec(&answer.forwarded()).unwrap();
    verify_result_body(face_id.verifier(), &body).await.unwrap();

    // An enhanced and an SDK session whose results never come back.
    let enhanced = face_id.start(h5("user2", Edition::Enhanced)).await.unwrap();
    emulator
        .complete_login(enhanced.redirect_url.as_str(), Outcome::Pass)
        .unwrap();
    let lost = face_id.start_sdk(sdk("user3")).await.unwrap();
    emulator
        .run_sdk(&lost, Outcome::Fail(ResultCode::from_code("66660016")))
        .unwrap();
    emulator.advance(Duration::from_secs(11 * 60)).unwrap();
    let round = reconciler.run_once().await.unwrap();
    assert_eq!((round.passed, round.failed), (1, 1), "{round:?}");

    let settled = settled.lock().unwrap();
    let of = |order_no: &OrderNo| {
        let settlement = settled.iter().find(|s| &s.order_no == order_no).unwrap();
        (
            settlement.edition,
            settlement.settled_by,
            settlement.state.clone(),
        )
    };
    assert_eq!(
        of(&launch.agreement_no),
        (Edition::AppSdk, SettledBy::Callback, SettledState::Passed)
    );
    assert_eq!(
        of(&enhanced.order_no),
        (
            Edition::Enhanced,
            SettledBy::Reconciler,
            SettledState::Passed
        )
    );
    assert_eq!(
        of(&lost.agreement_no),
        (
            Edition::AppSdk,
            SettledBy::Reconciler,
            SettledState::Failed(ResultCode::from_code("66660016"))
        )
    );
}

#[tokio::test]
async fn the_key_licence_is_read_from_the_environment() {
    let vars = |name: &str| match name {
        "FACEID_EMULATOR" => Some("1".to_owned()),
        "FACEID_KEY_LICENCE" => Some("licence-from-env".to_owned()),
        _ => None,
    };
    let configured = Configured::from_vars(vars, WhenUnconfigured::Refuse);
    let configured = configured.await.unwrap();
    let VendorChoice::Embedded(emulator) = configured.vendor else {
        panic!("FACEID_EMULATOR=1 embeds an emulator");
    };
    let face_id = configured.builder.callback_url_per_request();
    let face_id = face_id.build().await.unwrap();
    let launch = face_id.start_sdk(sdk("user1")).await.unwrap();
    assert_eq!(launch.key_licence.expose(), "licence-from-env");
    // Not the emulator's licence: its SDK refuses the launch.
    let refused = emulator.run_sdk(&launch, Outcome::Pass);
    assert!(matches!(
        refused,
        Err(EmulatorError::SdkRefused {
            refusal: Refusal::InvalidCredentials,
            ..
        })
    ));
}

/// The SDK played over HTTP (`SDK_RUN_PATH`), as a script without Rust
/// would: the launch parameters posted as JSON, the forwarded result back,
/// verified like the method's.
#[tokio::test]
async fn the_emulator_plays_the_sdk_over_http_for_clients_without_rust() {
    use tencent_faceid_emulator::SDK_RUN_PATH;

    let emulator = Emulator::start().await.unwrap();
    let face_id = face_id(&emulator).await;
    let run = |launch: SdkLaunch, query: &'static str| {
        let url = format!("{}{}?{query}", emulator.base_url(), &SDK_RUN_PATH[1..]);
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .json(&launch)
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.bytes().await.unwrap())
        }
    };

    let launch = face_id.start_sdk(sdk("user1")).await.unwrap();
    let (status, body) = run(launch.clone(), "outcome=pass").await;
    assert_eq!(status, 200);
    let outcome = verify_result_body(face_id.verifier(), &body).await.unwrap();
    assert!(outcome.passed() && outcome.record.is_some());
    // Each launch runs once, as the SDK does.
    let (status, again) = run(launch, "outcome=pass").await;
    assert_eq!(status, 400, "{}", String::from_utf8_lossy(&again));

    let launch = face_id.start_sdk(sdk("user2")).await.unwrap();
    let (status, body) = run(launch.clone(), "outcome=fail&code=66660004").await;
    assert_eq!(status, 200);
    let outcome = verify_result_body(face_id.verifier(), &body).await.unwrap();
    assert!(!outcome.passed());
    assert_eq!(outcome.code, ResultCode::from_code("66660004"));

    let launch = face_id.start_sdk(sdk("user3")).await.unwrap();
    let (status, body) = run(launch, "outcome=maybe").await;
    assert_eq!(status, 400);
    assert!(String::from_utf8_lossy(&body).contains("outcome must be pass"));
}
