//! `FaceId` wires a whole app: the README's axum and actix-web apps (start
//! and callback, the emulator chosen explicitly) over real HTTP, a browser
//! that keeps its binding cookie and one that does not; configuration from
//! the environment with errors naming the variable; errors answered as
//! HTTP (plain text or JSON) in both frameworks; `Option<Verified>`; a
//! handler tested with `VerificationOutcome::for_test`.

use std::collections::HashMap;

use crate::support;
use crate::support::actix_server::Loopback;
use crate::support::env::vars;
use serde::Deserialize;
use tencent_faceid::FaceId;
use tencent_faceid::UserId;
use tencent_faceid::callback::BrowserCallback;
use tencent_faceid::client::Endpoint;
use tencent_faceid::facade::{FaceIdBuilder, FaceIdError, WarmUp};
use tencent_faceid::session::{StartError, StartSession, Started};
use tencent_faceid_emulator::{
    Configured, Emulator, Fault, Outcome, SetupError, VendorChoice, WhenUnconfigured,
};
use url::Url;

/// The README's axum app.
mod axum_app {
    use super::*;
    use axum::Router;
    use axum::extract::{Form, State};
    use axum::routing::{get, post};
    use tencent_faceid::axum::Verified;

    #[derive(Clone)]
    pub struct App {
        pub face_id: FaceId,
        pub callback: Url,
    }

    pub fn router(app: App) -> Router {
        Router::new()
            .route("/face/callback", get(callback))
            .route_layer(app.face_id.layer())
            .route("/start", post(start))
            .with_state(app)
    }

    async fn callback(Verified(outcome): Verified) -> String {
        format!("{} passed={}", outcome.order_no, outcome.passed())
    }

    async fn start(
        State(app): State<App>,
        Form(form): Form<Person>,
    ) -> Result<Started, StartError> {
        let session = StartSession::new(form.user, app.callback.clone())
            .name(form.name)
            .id_number(form.id_number);
        app.face_id.start(session).await
    }
}

/// The README's actix-web app.
mod actix_app {
    use super::*;
    use actix_web::web;
    use tencent_faceid::actix::Verified;

    pub fn configure(face_id: FaceId, callback: Url) -> impl FnOnce(&mut web::ServiceConfig) {
        move |config| {
            config
                .app_data(web::Data::new(face_id))
                .app_data(web::Data::new(callback))
                .route("/face/callback", web::get().to(on_callback))
                .route("/start", web::post().to(start));
        }
    }

    async fn on_callback(Verified(outcome): Verified) -> String {
        format!("{} passed={}", outcome.order_no, outcome.passed())
    }

    async fn start(
        face_id: web::Data<FaceId>,
        callback: web::Data<Url>,
        form: web::Form<Person>,
    ) -> Result<Started, StartError> {
        let form = form.into_inner();
        let session = StartSession::new(form.user, Url::clone(&callback))
            .name(form.name)
            .id_number(form.id_number);
        face_id.start(session).await
    }
}

#[derive(Deserialize)]
struct Person {
    user: UserId,
    name: String,
    id_number: String,
}

/// A browser without redirects or a cookie jar: the test carries the
/// binding cookie by hand.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Starts a session on the app at `base` with `name`: the start answer's
/// status, its `Location` and its binding cookie (`name=value`).
async fn start(base: &Url, name: &str) -> (u16, String, Option<String>, String) {
    let answer = browser()
        .post(base.join("start").unwrap())
        .form(&[
            ("user", "user42"),
            ("name", name),
            ("id_number", "110101199003071234"),
        ])
        .send()
        .await
        .unwrap();
    let header = |name| {
        answer
            .headers()
            .get(name)
            .map(|value: &reqwest::header::HeaderValue| value.to_str().unwrap().to_owned())
    };
    let location = header(reqwest::header::LOCATION).unwrap_or_default();
    let cookie = header(reqwest::header::SET_COOKIE)
        .map(|set_cookie| set_cookie.split(';').next().unwrap().to_owned());
    let status = answer.status().as_u16();
    (status, location, cookie, answer.text().await.unwrap())
}

/// The whole flow against the app at `base`: start, open the vendor's page,
/// pass, come back with and without the binding cookie.
async fn pass_through_the_app(base: &Url, emulator: &Emulator) {
    let (status, location, cookie, _) = start(base, "张三").await;
    assert_eq!(status, 303, "a redirect to the vendor's page");
    let cookie = cookie.expect("browser binding is on by default: a cookie is set");
    assert!(cookie.starts_with("faceid_binding="), "{cookie}");
    let login: Url = location.parse().unwrap();
    let h5face_id = login
        .query_pairs()
        .find(|(name, _)| name == "h5faceId")
        .unwrap()
        .1
        .into_owned();
    // The H5 page learns where to come back to when it is opened.
    assert_eq!(browser().get(login).send().await.unwrap().status(), 200);
    let callback = emulator.complete(&h5face_id, Outcome::Pass).unwrap();
    assert_eq!(callback.path(), "/face/callback");

    // Another browser (no cookie) is refused, and leaves the order pending.
    let stranger = browser().get(callback.clone()).send().await.unwrap();
    assert_eq!(stranger.status(), 409);

    let owner = browser()
        .get(callback)
        .header(reqwest::header::COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(owner.status(), 200);
    assert!(owner.text().await.unwrap().ends_with("passed=true"));
}

#[tokio::test]
async fn the_axum_app_wired_by_face_id_verifies_a_pass() {
    let emulator = Emulator::start().await.unwrap();
    let face_id = emulator
        .face_id()
        .callback_url_per_request()
        .build()
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base: Url = format!("http://{}/", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    let app = axum_app::App {
        face_id,
        callback: base.join("face/callback").unwrap(),
    };
    tokio::spawn(async move { axum::serve(listener, axum_app::router(app)).await });

    pass_through_the_app(&base, &emulator).await;

    // A start the vendor would refuse: 400 with what to fix, as text.
    let (status, _, cookie, body) = start(&base, " ").await;
    assert_eq!((status, cookie), (400, None));
    assert_eq!(body, "the name and id number must not be blank");
}

#[tokio::test]
async fn vendor_refusals_are_answered_without_the_vendors_text() {
    use tencent_faceid::client::Endpoint;
    use tencent_faceid::client::ResultCode;
    use tencent_faceid_emulator::Fault;

    let emulator = Emulator::start().await.unwrap();
    let face_id = emulator
        .face_id()
        .callback_url_per_request()
        .build()
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base: Url = format!("http://{}/", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    let app = axum_app::App {
        face_id,
        callback: base.join("face/callback").unwrap(),
    };
    tokio::spawn(async move { axum::serve(listener, axum_app::router(app)).await });

    // The vendor refuses the name or id number: 422, what to check.
    emulator.inject(Fault::vendor_error(
        Endpoint::StartSession,
        ResultCode::InvalidNameOrIdNumber,
    ));
    let (status, _, cookie, body) = start(&base, "张三").await;
    assert_eq!((status, cookie), (422, None));
    assert_eq!(
        body,
        "the name and id number were not accepted; check them and try again"
    );

    // The vendor is down: 502, come back later; no name, id number or
    // vendor detail in the body.
    emulator.inject(Fault::http_status(Endpoint::StartSession, 500).times(2));
    let (status, _, _, body) = start(&base, "张三").await;
    assert_eq!(status, 502);
    assert_eq!(
        body,
        "face verification is unavailable right now; try again in a few minutes"
    );
    for private in ["张三", "110101199003071234", "geth5faceid", "500"] {
        assert!(!body.contains(private), "{private} in {body}");
    }
}

#[actix_web::test]
async fn the_actix_app_wired_by_face_id_verifies_a_pass() {
    // FACEID_EMULATOR=1, read from a map rather than the process.
    let configured =
        Configured::from_vars(vars(&[("FACEID_EMULATOR", "1")]), WhenUnconfigured::Refuse);
    let configured = configured.await.unwrap();
    let VendorChoice::Embedded(emulator) = configured.vendor else {
        panic!("FACEID_EMULATOR=1 embeds an emulator");
    };
    let face_id = configured.builder.callback_url_per_request();
    let face_id = face_id.build().await.unwrap();
    let server = Loopback::bind("/");
    let base = server.url.clone();
    let callback = base.join("face/callback").unwrap();
    let handle =
        server.serve(move |config| actix_app::configure(face_id.clone(), callback.clone())(config));

    pass_through_the_app(&base, &emulator).await;
    let (status, _, _, body) = start(&base, " ").await;
    assert_eq!(status, 400);
    assert_eq!(body, "the name and id number must not be blank");
    handle.stop(true).await;
}

#[tokio::test]
async fn configuration_from_the_environment_names_what_to_set() {
    let error = |pairs: &[(&str, &str)]| FaceIdBuilder::from_vars(vars(pairs)).unwrap_err();

    // Nothing configured: an error naming what to set.
    let missing = error(&[]);
    assert!(matches!(
        missing,
        FaceIdError::MissingVariable {
            name: "FACEID_APP_ID",
            ..
        }
    ));
    assert!(missing.to_string().contains("FACEID_SECRET"), "{missing}");
    // Empty counts as unset.
    let missing = error(&[("FACEID_APP_ID", "appId001"), ("FACEID_SECRET", " ")]);
    assert!(matches!(
        missing,
        FaceIdError::MissingVariable {
            name: "FACEID_SECRET",
            ..
        }
    ));
    // The value of a variable is never repeated.
    let invalid = error(&[
        ("FACEID_APP_ID", "appId001"),
        ("FACEID_SECRET", "secret"),
        ("FACEID_HTTP_CALLBACK_IN_RELEASE", "yes-please"),
    ]);
    assert!(matches!(
        invalid,
        FaceIdError::InvalidVariable {
            name: "FACEID_HTTP_CALLBACK_IN_RELEASE",
            ..
        }
    ));
    assert!(!invalid.to_string().contains("yes-please"));
    // The emulator's variables, read by tencent-faceid-emulator.
    let emulator = |pairs| Configured::from_vars(vars(pairs), WhenUnconfigured::Refuse);
    let invalid = emulator(&[("FACEID_EMULATOR", "yes-please")])
        .await
        .unwrap_err();
    assert!(matches!(
        invalid,
        SetupError::InvalidFlag {
            name: "FACEID_EMULATOR"
        }
    ));
    assert!(!invalid.to_string().contains("yes-please"));
    let both = emulator(&[("FACEID_EMULATOR", "1"), ("FACEID_APP_ID", "appId001")]).await;
    assert!(matches!(both, Err(SetupError::VendorAndEmulator)));

    let face_id = FaceIdBuilder::from_vars(vars(&[
        ("FACEID_APP_ID", "appId001"),
        ("FACEID_SECRET", "s3cr3t-value"),
        ("FACEID_BASE_URL", "http://127.0.0.1:9/kyc"),
        ("FACEID_EMULATOR", "0"),
    ]))
    .unwrap()
    .callback_url_per_request()
    .build()
    .await
    .unwrap();
    assert_eq!(face_id.verifier().app_id(), "appId001");
    assert_eq!(
        face_id.client().base_url().as_str(),
        "http://127.0.0.1:9/kyc"
    );
    assert!(!format!("{face_id:?}").contains("s3cr3t-value"));

    // A bad base URL is the client's configuration error, said at build.
    let bad = FaceIdBuilder::from_vars(vars(&[
        ("FACEID_APP_ID", "appId001"),
        ("FACEID_SECRET", "secret"),
        ("FACEID_BASE_URL", "not a url"),
    ]))
    .unwrap()
    .callback_url_per_request()
    .build()
    .await
    .unwrap_err();
    assert!(matches!(bad, FaceIdError::Client(_)), "{bad}");
}

#[test]
fn redis_is_available() {
    support::redis::require();
}

/// `first` starts a session, and `second` accepts its callback: the answer
/// of `first`.
pub(crate) async fn one_starts_the_other_verifies(
    emulator: &Emulator,
    first: &FaceId,
    second: &FaceId,
) -> Started {
    let user = UserId::new("user42").unwrap();
    let request = StartSession::new(user, "http://shop.test/face/callback".parse().unwrap())
        .name("张三")
        .id_number("110101199003071234");
    let started = first.start(request).await.unwrap();
    let callback = emulator
        .complete(&started.h5face_id, Outcome::Pass)
        .unwrap();
    let cookie = started.binding.clone().unwrap();
    // The other instance accepts the callback of the first one's session.
    let outcome = second
        .verifier()
        .verify(BrowserCallback::new(
            callback.query().unwrap(),
            Some(cookie.value().expose()),
        ))
        .await
        .unwrap();
    assert_eq!(outcome.order_no, started.order_no);
    started
}

#[tokio::test]
async fn redis_from_the_environment_shares_orders_between_instances() {
    let Some(redis) = support::redis::url() else {
        return;
    };
    let emulator = Emulator::start().await.unwrap();
    let prefix = format!("test{}:", faceid_test_support::random_alphanumeric(12));
    let builder = || {
        emulator
            .face_id()
            .callback_url_per_request()
            .redis(redis)
            .redis_prefix(&prefix)
            .build()
    };
    let (first, second) = (builder().await.unwrap(), builder().await.unwrap());
    one_starts_the_other_verifies(&emulator, &first, &second).await;
    let removed = support::redis::remove_keys(&prefix).await;
    assert!(removed > 0, "the instances wrote under the prefix given");
}

#[test]
fn postgres_is_available() {
    support::postgres::require();
}

#[tokio::test]
async fn postgres_from_the_environment_keeps_orders_once_its_schema_is_migrated() {
    let Some(url) = support::postgres::url() else {
        return;
    };
    let emulator = Emulator::start().await.unwrap();
    let schema = support::postgres::Schema::new().await.unwrap();
    let vars = HashMap::from([
        ("FACEID_DATABASE_URL", url.to_owned()),
        (
            "FACEID_DATABASE_SCHEMA",
            format!("{}_never_migrated", schema.name),
        ),
    ]);
    let from_vars = || {
        let builder = emulator.face_id();
        let builder = builder.settings_from_vars(|name| vars.get(name).cloned());
        builder.unwrap().callback_url_per_request()
    };
    // The schema is never created on start: a clear error instead.
    let Err(missing) = from_vars().build().await else {
        panic!("a FaceId on a schema never migrated");
    };
    assert!(matches!(missing, FaceIdError::Postgres(_)), "{missing}");
    assert!(missing.to_string().contains("migrate()"), "{missing}");

    let builder = || {
        emulator
            .face_id()
            .callback_url_per_request()
            .postgres(url)
            .postgres_schema(&schema.name)
            .build()
    };
    let (first, second) = (builder().await.unwrap(), builder().await.unwrap());
    let started = one_starts_the_other_verifies(&emulator, &first, &second).await;
    let store = schema.store(emulator.app_id()).await;
    let lookup = tencent_faceid::orders::OrderStore::lookup(&store, &started.order_no).await;
    assert_eq!(lookup.unwrap(), tencent_faceid::orders::Lookup::Consumed);
    schema.drop().await;
}

mod rendering {
    use super::*;
    use axum::Router;
    use axum::body::Body;
    use axum::http::Request;
    use axum::routing::get;
    use tencent_faceid::OrderNo;
    use tencent_faceid::actix::Verified as ActixVerified;
    use tencent_faceid::axum::Verified;
    use tencent_faceid::callback::BodyFormat;
    use tencent_faceid::callback::VerificationOutcome;
    use tencent_faceid::client::ResultCode;
    use tower::ServiceExt;

    const FORGED: &str = "/face/callback?code=0&orderNo=order1&h5faceId=f&newSignature=0000000000000000000000000000000000000000";

    async fn face_id(json: bool) -> (FaceId, Emulator) {
        let emulator = Emulator::start().await.unwrap();
        let builder = emulator.face_id().callback_url_per_request();
        let builder = if json {
            builder.json_rejections()
        } else {
            builder
        };
        (builder.build().await.unwrap(), emulator)
    }

    #[tokio::test]
    async fn axum_answers_json_rejections_and_offers_an_optional_outcome() {
        let (face_id, _emulator) = face_id(true).await;
        let app = Router::new()
            .route("/face/callback", get(|| async { "unreachable" }))
            .route_layer(face_id.layer());
        let answer = app
            .oneshot(Request::get(FORGED).body(Body::empty()).unwrap())
            .await
            .unwrap();
        // The order was never started: refused before anything else.
        assert_eq!(answer.status(), 404);
        assert_eq!(answer.headers()["content-type"], "application/json");
        let body = axum::body::to_bytes(answer.into_body(), 4096)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"], "unknown_order");

        let app = Router::new()
            .route(
                "/face/callback",
                get(|verified: Option<Verified>| async move {
                    match verified {
                        Some(Verified(outcome)) => format!("outcome {}", outcome.order_no),
                        None => "no outcome".to_owned(),
                    }
                }),
            )
            .route_layer(face_id.layer().pass_rejections_through());
        let answer = app
            .oneshot(Request::get(FORGED).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(answer.status(), 200);
        let body = axum::body::to_bytes(answer.into_body(), 4096)
            .await
            .unwrap();
        assert_eq!(&body[..], b"no outcome");
    }

    #[actix_web::test]
    async fn actix_answers_json_rejections_as_configured() {
        use actix_web::{App, test, web};

        async fn handler(ActixVerified(outcome): ActixVerified) -> String {
            outcome.order_no.to_string()
        }
        // From the FaceId built with json_rejections, or BodyFormat in app data.
        let (json_face_id, _a) = face_id(true).await;
        let (text_face_id, _b) = face_id(false).await;
        for (face_id, format, expected) in [
            (json_face_id, None, "application/json"),
            (text_face_id.clone(), None, "text/plain; charset=utf-8"),
            (text_face_id, Some(BodyFormat::Json), "application/json"),
        ] {
            let mut app = App::new().app_data(web::Data::new(face_id));
            if let Some(format) = format {
                app = app.app_data(format);
            }
            let app = test::init_service(app.route("/face/callback", web::get().to(handler))).await;
            let answer =
                test::call_service(&app, test::TestRequest::get().uri(FORGED).to_request()).await;
            assert_eq!(answer.status(), 404);
            assert_eq!(answer.headers().get("content-type").unwrap(), expected);
        }

        // No verifier at all: a 500 that says how to register one.
        let app =
            test::init_service(App::new().route("/face/callback", web::get().to(handler))).await;
        let answer =
            test::call_service(&app, test::TestRequest::get().uri(FORGED).to_request()).await;
        assert_eq!(answer.status(), 500);
        let body = test::read_body(answer).await;
        assert!(
            std::str::from_utf8(&body)
                .unwrap()
                .contains("web::Data::new(face_id)")
        );
    }

    #[tokio::test]
    async fn a_handler_is_tested_with_a_made_up_outcome() {
        async fn handler(Verified(outcome): Verified) -> String {
            match outcome.passed() {
                true => format!("welcome {}", outcome.user_id),
                false => format!("sorry: {}", outcome.code),
            }
        }
        let outcome = |code| {
            VerificationOutcome::for_test(
                OrderNo::new("order1").unwrap(),
                UserId::new("user42").unwrap(),
                code,
            )
        };
        assert_eq!(
            handler(Verified(outcome(ResultCode::Success))).await,
            "welcome user42"
        );
        let failed = handler(Verified(outcome(ResultCode::from_code("66660004")))).await;
        assert_eq!(failed, "sorry: 66660004");
    }
}

#[tokio::test]
async fn build_fetches_the_pair_before_the_first_user_unless_told_not_to() {
    let emulator = Emulator::start().await.unwrap();
    let face_id = emulator
        .face_id()
        .callback_url_per_request()
        .build()
        .await
        .unwrap();
    let counts = emulator.counts();
    assert_eq!((counts.access_token, counts.sign_ticket), (1, 1));
    // The first start costs no token or SIGN ticket fetch.
    let user = UserId::new("user1").unwrap();
    let callback: Url = "https://partner.example/cb".parse().unwrap();
    face_id
        .start(
            StartSession::new(user, callback)
                .name("Zhang San")
                .id_number("110101199003074477"),
        )
        .await
        .unwrap();
    let counts = emulator.counts();
    assert_eq!((counts.access_token, counts.sign_ticket), (1, 1));

    let off = Emulator::start().await.unwrap();
    off.face_id()
        .callback_url_per_request()
        .warm_up(WarmUp::Off)
        .build()
        .await
        .unwrap();
    assert_eq!(off.counts().access_token, 0);
}

#[tokio::test]
async fn a_vendor_out_of_reach_at_boot_fails_the_build_only_with_strict_warm_up() {
    let emulator = Emulator::start().await.unwrap();
    emulator.inject(Fault::http_status(Endpoint::AccessToken, 503).times(2));
    let face_id = emulator.face_id().callback_url_per_request().build().await;
    assert!(face_id.is_ok(), "best effort starts anyway");
    let strict = emulator
        .face_id()
        .callback_url_per_request()
        .warm_up(WarmUp::Strict)
        .build()
        .await
        .unwrap_err();
    assert!(matches!(strict, FaceIdError::WarmUp(_)), "{strict}");
    assert!(
        strict.to_string().contains("WarmUp::BestEffort"),
        "{strict}"
    );
    assert!(!strict.to_string().contains(emulator.secret()));
    assert_eq!(emulator.counts().access_token, 2);
}

#[tokio::test]
async fn the_vendor_refusing_the_secret_at_boot_fails_the_build_even_with_best_effort() {
    let emulator = Emulator::start().await.unwrap();
    let wrong_secret = |warm_up| {
        FaceId::builder(emulator.app_id(), "not-the-secret")
            .base_url(emulator.base_url().as_str())
            .callback_url("https://shop.example/face/callback")
            .warm_up(warm_up)
            .build()
    };
    for warm_up in [WarmUp::BestEffort, WarmUp::Strict] {
        let refused = wrong_secret(warm_up).await.unwrap_err();
        assert!(
            matches!(refused, FaceIdError::CredentialsRefused(_)),
            "{warm_up:?}: {refused}"
        );
        let message = refused.to_string();
        assert!(message.contains("FACEID_SECRET"), "{message}");
        assert!(!message.contains("not-the-secret"), "{message}");
    }
    // Not asked at boot: nothing to refuse yet.
    assert!(wrong_secret(WarmUp::Off).await.is_ok());
}
