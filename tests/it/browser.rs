//! The axum demo driven by a real headless Chromium emulating a phone
//! (390×844 CSS pixels, as an iPhone 14): open the form, click "Verify my
//! face", click "pass" on the emulator's H5 page, read the verified outcome
//! with its evidence photo, reload it (the same outcome, for the browser
//! that started it), then the sessions list. Every page must be laid out
//! for the phone (its viewport tag honoured, nothing wider than the
//! screen) with touch targets at least 44 px high. Uses
//! Debian's `chromium` and `chromium-driver` through the W3C WebDriver
//! protocol (plain HTTP). Without them the test fails, naming the packages
//! to install; with `FACEID_SKIP_BROWSER=1` it is skipped instead, with a
//! loud `SKIPPED` line.
//!
//! The screenshots go to the test's temporary directory; with
//! `UPDATE_DEMO_PNG=1` they replace `docs/demo.png` (the README's picture)
//! and `docs/phone/*.png`.

use std::path::Path;
use std::process::Stdio;

use crate::support::skip;
use faceid_demo::axum_demo as demo;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use url::Url;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Set to `1` to skip the browser test when Chromium is not installed.
const SKIP_VAR: &str = "FACEID_SKIP_BROWSER";
/// The phone's screen in CSS pixels: an iPhone 14's.
const PHONE: (u32, u32) = (390, 844);
/// The smallest touch target, in CSS pixels (Apple's guideline: 44).
const TOUCH: f64 = 44.0;
/// The elements a thumb must hit, when shown.
const TARGETS: &str = "button, input:not([type=hidden]), a.button, summary, .links a";
/// WebDriver's name for an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A chromedriver process, killed on drop.
struct Driver {
    _process: Child,
    url: Url,
    http: reqwest::Client,
}

impl Driver {
    /// Starts chromedriver on a free port and waits for its "started" line.
    async fn start() -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut process = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
        while let Some(line) = lines.next_line().await.unwrap() {
            if line.contains("started successfully") {
                break;
            }
        }
        // Keep draining its output so it never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Driver {
            _process: process,
            url: format!("http://127.0.0.1:{port}/").parse().unwrap(),
            http: reqwest::Client::new(),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, self.url.join(path).unwrap());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.unwrap().json().await.unwrap();
        assert!(
            answer["value"].get("error").is_none(),
            "WebDriver {path}: {answer}"
        );
        answer["value"].clone()
    }

    async fn new_session(&self, profile: &Path) -> Session<'_> {
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync",
                         format!("--user-data-dir={}", profile.display())],
                // A phone: a page without a viewport tag is laid out 980 px
                // wide and zoomed out, as on a real one.
                "mobileEmulation": {"deviceMetrics": {
                    "width": PHONE.0, "height": PHONE.1, "pixelRatio": 2.0, "mobile": true, "touch": true
                }}
            }
        }}});
        let value = self
            .call(reqwest::Method::POST, "session", Some(capabilities))
            .await;
        let id = value["sessionId"].as_str().unwrap().to_owned();
        let session = Session { driver: self, id };
        // Element look-ups wait for the page to show the element.
        session
            .post("timeouts", json!({"implicit": 30_000, "pageLoad": 60_000}))
            .await;
        session
    }
}

struct Session<'a> {
    driver: &'a Driver,
    id: String,
}

impl Session<'_> {
    async fn post(&self, path: &str, body: Value) -> Value {
        let path = format!("session/{}/{path}", self.id);
        self.driver
            .call(reqwest::Method::POST, &path, Some(body))
            .await
    }

    async fn get(&self, path: &str) -> Value {
        let path = format!("session/{}/{path}", self.id);
        self.driver.call(reqwest::Method::GET, &path, None).await
    }

    async fn open(&self, url: &Url) {
        self.post("url", json!({"url": url.as_str()})).await;
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .post("element", json!({"using": "css selector", "value": css}))
            .await;
        found[ELEMENT].as_str().unwrap().to_owned()
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.post(&format!("element/{element}/click"), json!({}))
            .await;
    }

    async fn text(&self, css: &str) -> String {
        let element = self.find(css).await;
        self.get(&format!("element/{element}/text"))
            .await
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// A PNG of the viewport.
    async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let png = self.get("screenshot").await;
        base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap())
            .unwrap()
    }

    /// Runs `script` (a function body) in the page and answers its result.
    async fn execute(&self, script: &str) -> Value {
        self.post("execute/sync", json!({"script": script, "args": []}))
            .await
    }

    /// Checks that the page is laid out for the phone, and keeps its
    /// screenshot as `name.png`: the viewport tag is honoured (the layout
    /// is as wide as the screen), nothing is wider than the screen or
    /// spills out of its box, and every shown touch target is at least
    /// [`TOUCH`] px high and wide.
    async fn check_phone_layout(&self, name: &str) {
        let layout = self
            .execute(&format!(
                "const small = [...document.querySelectorAll('{TARGETS}')]\
                   .filter(e => e.offsetParent !== null)\
                   .map(e => [e.id || e.textContent.trim().slice(0, 20), e.getBoundingClientRect()])\
                   .filter(([, r]) => r.height < {TOUCH} || r.width < {TOUCH})\
                   .map(([what, r]) => `${{what}}: ${{r.width}}x${{r.height}}`);\
                 const spilt = [...document.querySelectorAll('body *')]\
                   .filter(e => e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1)\
                   .map(e => `${{e.tagName}} ${{e.textContent.trim().slice(0, 20)}}`);\
                 return [window.innerWidth, document.documentElement.scrollWidth, small, spilt];"
            ))
            .await;
        let width = u64::from(PHONE.0);
        assert_eq!(
            layout[0], width,
            "{name}: laid out for a desktop (no viewport tag?)"
        );
        assert!(
            layout[1].as_u64().unwrap() <= width,
            "{name}: {} px wide on a {width} px screen",
            layout[1]
        );
        assert_eq!(
            layout[2],
            json!([]),
            "{name}: touch targets under {TOUCH} px"
        );
        assert_eq!(layout[3], json!([]), "{name}: content wider than its box");
        self.keep_screenshot(&format!("phone/{name}.png")).await;
    }

    /// Keeps a screenshot of the viewport as `docs/<path>` with
    /// `UPDATE_DEMO_PNG=1`, else in the test's temporary directory.
    async fn keep_screenshot(&self, path: &str) {
        let png = self.screenshot().await;
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
        let path = match std::env::var_os("UPDATE_DEMO_PNG") {
            Some(_) => Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("docs")
                .join(path),
            None => Path::new(env!("CARGO_TARGET_TMPDIR")).join(path),
        };
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, png).unwrap();
    }

    async fn current_url(&self) -> Url {
        self.get("url").await.as_str().unwrap().parse().unwrap()
    }

    async fn close(self) {
        let path = format!("session/{}", self.id);
        self.driver.call(reqwest::Method::DELETE, &path, None).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_clicks_through_the_axum_demo_in_chromium() {
    let missing: Vec<&str> = [CHROMIUM, CHROMEDRIVER]
        .into_iter()
        .filter(|tool| !Path::new(tool).exists())
        .collect();
    if !missing.is_empty() {
        let missing = format!("{} missing", missing.join(" and "));
        if skip::requested(SKIP_VAR) {
            skip::skipped(&format!("{missing} ({SKIP_VAR}=1)"));
            return;
        }
        panic!(
            "{missing}: install the Debian packages chromium and chromium-driver \
             (apt-get install chromium chromium-driver; .ci/run does this), \
             or set {SKIP_VAR}=1 to skip this test"
        );
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let demo_url: Url = format!("http://{}/", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    let demo::Demo { router, emulator } = demo::demo(demo_url.clone()).await.unwrap();
    let emulator = emulator.unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });

    let profile = std::env::temp_dir().join(format!(
        "tencent-faceid-chromium-{}",
        faceid_test_support::random_alphanumeric(8)
    ));
    let driver = Driver::start().await;
    let session = driver.new_session(&profile).await;

    session.open(&demo_url).await;
    session.check_phone_layout("1-form").await;
    session.click("#start").await;
    assert!(!session.find("#pass").await.is_empty());
    session.check_phone_layout("2-emulator-h5-page").await;
    session.click("#pass").await;
    assert_eq!(session.text("#outcome").await, "Verified");
    let landed = session.current_url().await;
    assert_eq!(landed.path(), "/face/callback");
    assert!(landed.query().unwrap().contains("newSignature="));
    assert!(session.text("dl").await.contains("Similarity"));
    // The evidence photo is a picture the browser decoded, not a caption.
    let photo = "const img = document.querySelector('#evidence img');\
                 return img && img.complete ? img.naturalWidth : 0;";
    assert_eq!(
        session.execute(photo).await,
        96,
        "the emulator's photo is 96 px wide"
    );
    session.check_phone_layout("3-outcome").await;
    session.keep_screenshot("demo.png").await;

    // A reload shows the same outcome to the browser that started it
    // (its binding cookie), not an error; the order was consumed once.
    session.post("refresh", json!({})).await;
    assert_eq!(session.text("#outcome").await, "Verified");
    assert!(!session.find("#repeated").await.is_empty());

    // Once more, failing this time: the page offers a retry.
    session.open(&demo_url).await;
    session.click("#start").await;
    session.click("#fail").await;
    assert_eq!(session.text("#outcome").await, "Not verified");
    session.check_phone_layout("5-outcome-failed").await;
    session.click("a[href='/']").await;
    assert!(!session.find("#start").await.is_empty());

    // A callback for an order this server never started: the problem page.
    let forged = format!(
        "face/callback?code=0&orderNo=neverstarted1&h5faceId=x&newSignature={}",
        "0".repeat(40)
    );
    session.open(&demo_url.join(&forged).unwrap()).await;
    assert_eq!(session.text("#problem").await, "Not accepted");
    session.check_phone_layout("6-not-accepted").await;

    // The sessions list, with both sessions, fits the phone.
    session.open(&demo_url.join("sessions").unwrap()).await;
    assert!(session.text("#sessions").await.contains("passed"));
    session.check_phone_layout("4-sessions").await;

    let counts = emulator.counts();
    assert_eq!((counts.start_session, counts.login_page), (2, 2));
    session.close().await;
    let _ = std::fs::remove_dir_all(profile);
}
