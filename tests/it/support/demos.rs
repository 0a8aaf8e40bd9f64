//! The demos served on a free loopback port, for the tests that drive
//! them over HTTP. Browser binding is off: these tests' HTTP clients keep
//! no cookies and replay from a second client (`binding.rs` and
//! `browser.rs` cover binding). It is turned off in code, not with
//! `DEMO_BROWSER_BINDING=0`: this binary's tests share one environment.

use actix_web::dev::ServerHandle;
use faceid_demo::{Options, actix_demo, axum_demo};
use tencent_faceid_emulator::Emulator;
use url::Url;

use super::actix_server::Loopback;

/// The demos' options here: binding off.
const OPTIONS: Options = Options {
    browser_binding: false,
};

/// The axum demo served for the public URL `http://<addr><path>`: that
/// URL, and the emulator it runs on when no vendor is configured.
pub async fn serve_axum(path: &str) -> (Url, Option<Emulator>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url: Url = format!("http://{}{path}", listener.local_addr().unwrap())
        .parse()
        .unwrap();
    let axum_demo::Demo { router, emulator } =
        axum_demo::demo_with(url.clone(), OPTIONS).await.unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, emulator)
}

/// The actix demo, served by one worker on the test's actix runtime.
pub struct ActixDemo {
    /// Its public URL.
    pub url: Url,
    /// The emulator it runs on when no vendor is configured.
    pub emulator: Option<Emulator>,
    handle: ServerHandle,
}

/// The actix demo served for the public URL `http://<addr><path>`.
pub async fn serve_actix(path: &str) -> ActixDemo {
    let server = Loopback::bind(path);
    let url = server.url.clone();
    let (state, emulator) = actix_demo::demo_state_with(url.clone(), OPTIONS)
        .await
        .unwrap();
    let handle = server.serve(move |config| actix_demo::configure(state.clone())(config));
    ActixDemo {
        url,
        emulator,
        handle,
    }
}

impl ActixDemo {
    /// Stops the server, gracefully.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}
