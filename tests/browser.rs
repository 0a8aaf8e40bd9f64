//! The axum demo driven by a real headless Chromium in a phone-sized
//! window: open the form, click "Verify my face", click "pass" on the
//! emulator's H5 page, read the verified outcome (and screenshot it),
//! reload it (the same outcome, for the browser that started it). Uses
//! Debian's `chromium` and `chromium-driver` through the W3C WebDriver
//! protocol (plain HTTP). Without them the test fails, naming the packages
//! to install; with `FACEID_SKIP_BROWSER=1` it is skipped instead, with a
//! loud `SKIPPED` line.
//!
//! The screenshot goes to the test's temporary directory; with
//! `UPDATE_DEMO_PNG=1` it replaces `docs/demo.png`, the README's picture.

#[path = "../examples/demo.rs"]
#[allow(dead_code)]
mod demo;
#[path = "support/skip.rs"]
mod skip;

use std::path::Path;
use std::process::Stdio;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use url::Url;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// Set to `1` to skip the browser test when Chromium is not installed.
const SKIP_VAR: &str = "FACEID_SKIP_BROWSER";
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
                         format!("--user-data-dir={}", profile.display())]
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
        // A phone's screen: the H5 flow runs on phones.
        session
            .post("window/rect", json!({"width": 412, "height": 915}))
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
        tencent_faceid::random::random_alphanumeric(8)
    ));
    let driver = Driver::start().await;
    let session = driver.new_session(&profile).await;

    session.open(&demo_url).await;
    session.click("#start").await;
    session.click("#pass").await;
    assert_eq!(session.text("#outcome").await, "Verified");
    let landed = session.current_url().await;
    assert_eq!(landed.path(), "/face/callback");
    assert!(landed.query().unwrap().contains("newSignature="));
    assert!(session.text("dl").await.contains("Similarity"));
    let png = session.screenshot().await;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let path = match std::env::var_os("UPDATE_DEMO_PNG") {
        Some(_) => Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/demo.png"),
        None => Path::new(env!("CARGO_TARGET_TMPDIR")).join("demo.png"),
    };
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, png).unwrap();

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
    session.click("a[href='/']").await;
    assert!(!session.find("#start").await.is_empty());

    let counts = emulator.counts();
    assert_eq!((counts.start_session, counts.login_page), (2, 2));
    session.close().await;
    let _ = std::fs::remove_dir_all(profile);
}
