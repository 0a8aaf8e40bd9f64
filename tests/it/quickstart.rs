//! The README's quick starts are the example apps, word for word, and
//! their wiring (everything but the handlers and the form they read) is
//! at most fifteen lines. The apps' flow, browser binding on, is the
//! README's own tests (`testing::Browser`), run as doctests; here the same
//! helper meets a missing cookie and a reload.

use axum::body::{Body, to_bytes};
use axum::http::{Request, StatusCode, header};
use axum::{Router, extract::State, routing::post};
use tencent_faceid::session::{StartError, StartSession, Started};
use tencent_faceid::{FaceId, UserId, axum::Verified};
use tencent_faceid_emulator::testing::Browser;
use tencent_faceid_emulator::{Emulator, Outcome};

/// The code block of the README that follows `<!-- path -->`.
fn readme_block(path: &str) -> String {
    let readme = include_str!("../../README.md");
    let marker = format!("<!-- {path} -->\n");
    let after = &readme[readme.find(&marker).expect("the marker") + marker.len()..];
    let body = &after[after.find('\n').expect("the fence's line") + 1..];
    body[..body.find("```").expect("the closing fence")].to_owned()
}

/// The lines of wiring: not blank, not a comment, not in a handler
/// (`async fn` other than `main`) or the form (`#[derive` to `}`).
fn wiring_lines(source: &str) -> Vec<&str> {
    let mut skipping = false;
    let mut lines = Vec::new();
    for line in source.lines() {
        let handler = line.starts_with("async fn ") && !line.starts_with("async fn main");
        if handler || line.starts_with("#[derive") {
            skipping = true;
        }
        let trimmed = line.trim();
        if !skipping && !trimmed.is_empty() && !trimmed.starts_with("//") {
            lines.push(line);
        }
        if skipping && line == "}" {
            skipping = false;
        }
    }
    lines
}

#[test]
fn the_readme_quick_starts_are_the_examples_in_fifteen_lines_of_wiring() {
    for (path, source, lines) in [
        (
            "examples/axum_app.rs",
            include_str!("../../examples/axum_app.rs"),
            14,
        ),
        (
            "examples/actix_app.rs",
            include_str!("../../examples/actix_app.rs"),
            15,
        ),
    ] {
        assert_eq!(readme_block(path), source, "the README's copy of {path}");
        let wiring = wiring_lines(source);
        assert_eq!(wiring.len(), lines, "{path}: {wiring:#?}");
        assert!(wiring.len() <= 15);
        assert!(source.contains("outcome.repeated"), "{path} grants once");
    }
}

/// The form and handlers of a quick start (from its form to its `main`).
fn handlers<'a>(source: &'a str, main: &str) -> &'a str {
    let from = source
        .find("#[derive(serde::Deserialize)]")
        .expect("the form");
    &source[from..source.find(main).expect("main")]
}

/// The README's test recipes run (as doctests) against the quick starts'
/// own form and handlers, word for word: what they show passes against
/// the quick-start app.
#[test]
fn the_readme_test_recipes_drive_the_quick_start_handlers() {
    let readme = include_str!("../../README.md");
    let testing = &readme[readme.find("## Testing your app").expect("the section")..];
    let testing = &testing[..testing.find("\n## ").expect("the next section")];
    for (source, main) in [
        (include_str!("../../examples/axum_app.rs"), "#[tokio::main]"),
        (
            include_str!("../../examples/actix_app.rs"),
            "#[actix_web::main]",
        ),
    ] {
        let handlers = handlers(source, main);
        assert!(
            testing.contains(handlers),
            "not in the recipes:\n{handlers}"
        );
    }
    // The start posts the form the quick start's handler reads.
    assert!(testing.contains("application/x-www-form-urlencoded"));
    assert!(testing.contains(".set_form("));
}

fn app(face_id: FaceId) -> Router {
    Router::new()
        .route("/face/callback", face_id.callback_route(callback))
        .route("/start", post(start))
        .with_state(face_id)
}

async fn start(State(face_id): State<FaceId>) -> Result<Started, StartError> {
    let user = UserId::new("user42").expect("a valid user id");
    let person = StartSession::for_user(user)
        .name("Zhang San")
        .id_number("110101199003071234");
    face_id.start(person).await
}

async fn callback(Verified(outcome): Verified) -> String {
    format!(
        "passed: {}, repeated: {}",
        outcome.passed(),
        outcome.repeated
    )
}

async fn body(response: axum::response::Response) -> String {
    let bytes = to_bytes(response.into_body(), 4096).await.unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[tokio::test]
async fn the_browser_carries_the_binding_cookie_and_a_cookieless_callback_says_it_is_missing() {
    let emulator = Emulator::start().await.unwrap();
    let face_id = emulator
        .face_id()
        .callback_url("https://shop.example/face/callback")
        .build()
        .await
        .unwrap();
    let app = app(face_id);
    let mut browser = Browser::new(&emulator);

    // By hand, the way a test without the helper did: the cookie is lost.
    let start = Request::post("/start").body(Body::empty()).unwrap();
    let started = browser.send_axum(&app, start).await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER);
    assert!(
        browser
            .cookie_header()
            .is_some_and(|c| c.contains("faceid_binding="))
    );
    let location = started.headers()[header::LOCATION].to_str().unwrap();
    let callback_url = emulator.complete_login(location, Outcome::Pass).unwrap();
    let bare = Request::get(callback_url.as_str())
        .body(Body::empty())
        .unwrap();
    let response = tower_oneshot(&app, bare).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let message = body(response).await;
    assert!(
        message.contains("carries no browser-binding cookie"),
        "{message}"
    );

    // The browser comes back with its cookie: accepted; a reload: repeated.
    for repeated in [false, true] {
        let request = Request::get(callback_url.as_str())
            .body(Body::empty())
            .unwrap();
        let response = browser.send_axum(&app, request).await;
        assert_eq!(response.status(), StatusCode::OK);
        let expected = format!("passed: true, repeated: {repeated}");
        assert_eq!(body(response).await, expected);
    }

    // The whole way in one call, and a start that is no redirect.
    let start = Request::post("/start").body(Body::empty()).unwrap();
    let response = browser
        .verify_axum(&app, start, Outcome::Pass)
        .await
        .unwrap();
    assert_eq!(body(response).await, "passed: true, repeated: false");
    let nowhere = Request::post("/nowhere").body(Body::empty()).unwrap();
    let error = browser
        .verify_axum(&app, nowhere, Outcome::Pass)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("HTTP 404"), "{error}");
}

/// `app` answering `request`, with no cookie jar.
async fn tower_oneshot(app: &Router, request: Request<Body>) -> axum::response::Response {
    use tower::ServiceExt;
    app.clone().oneshot(request).await.unwrap()
}
