//! What both demos wire up: a vendor (the embedded emulator, or the real
//! one when `FACEID_APP_ID` is set), cached tickets, an order store, the
//! session starter and the callback verifier, with browser binding (unless
//! `DEMO_BROWSER_BINDING=0`) and a per-address limit on starts.

use std::collections::HashMap;
use std::error::Error;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tencent_faceid::callback::CallbackVerifier;
use tencent_faceid::client::{FaceIdClient, DEFAULT_BASE_URL};
use tencent_faceid::emulator::Emulator;
use tencent_faceid::session::{SessionStarter, StartSession};
use tencent_faceid::store::MemoryOrderStore;
use tencent_faceid::ticket::CachedTickets;
use url::Url;

pub type BoxError = Box<dyn Error + Send + Sync>;

/// The demo's parts. Keep `emulator` alive as long as the app runs.
pub struct Wiring {
    pub starter: SessionStarter,
    pub verifier: CallbackVerifier,
    /// Where the vendor sends the browser back to.
    pub callback_url: Url,
    /// The embedded emulator, when no vendor is configured.
    pub emulator: Option<Emulator>,
}

/// Wires the demo for a server reachable at `public_url`.
pub async fn wire(public_url: &Url) -> Result<Wiring, BoxError> {
    let (client, emulator) = match std::env::var("FACEID_APP_ID") {
        Ok(app_id) => {
            let secret = std::env::var("FACEID_SECRET")
                .map_err(|_| "FACEID_APP_ID is set, so FACEID_SECRET must be set too")?;
            let base_url =
                std::env::var("FACEID_BASE_URL").unwrap_or_else(|_| DEFAULT_BASE_URL.to_owned());
            let client = FaceIdClient::builder(app_id, secret)
                .base_url(base_url)
                .build()?;
            (client, None)
        }
        Err(_) => {
            let emulator = Emulator::start().await?;
            (emulator.client(), Some(emulator))
        }
    };
    // `DEMO_BROWSER_BINDING=0` turns it off, for tools that act as several
    // browsers at once.
    let binding = std::env::var("DEMO_BROWSER_BINDING").map_or(true, |value| value != "0");
    let tickets = CachedTickets::builder(client.clone()).build();
    let store = MemoryOrderStore::new();
    let settler = super::sessions::settle(client.clone(), tickets.clone(), store.clone())?;
    let verifier = CallbackVerifier::builder(client.app_id(), tickets.clone(), store.clone())
        .browser_binding(binding)
        .settle_with(settler)
        .build()?;
    let starter = SessionStarter::builder(client, tickets, store)
        .browser_binding(binding)
        .admit(per_address_limit(STARTS_PER_MINUTE))
        .build()?;
    Ok(Wiring {
        starter,
        verifier,
        callback_url: public_url.join("/face/callback")?,
        emulator,
    })
}

/// How many sessions one address may start per minute.
pub const STARTS_PER_MINUTE: u32 = 30;

/// An admission check allowing `per_minute` starts per client address (one
/// shared budget for requests whose address is unknown), counted in
/// one-minute windows.
pub fn per_address_limit(
    per_minute: u32,
) -> impl Fn(&StartSession) -> Result<(), String> + Send + Sync + 'static {
    let window = Mutex::new((Instant::now(), HashMap::<Option<IpAddr>, u32>::new()));
    move |request| {
        let mut window = window.lock().unwrap_or_else(PoisonError::into_inner);
        let (started, counts) = &mut *window;
        if started.elapsed() >= Duration::from_secs(60) {
            *started = Instant::now();
            counts.clear();
        }
        let count = counts.entry(request.requested_from()).or_insert(0);
        if *count >= per_minute {
            return Err(format!("at most {per_minute} a minute from one address"));
        }
        *count += 1;
        Ok(())
    }
}

/// Logs to stderr as `RUST_LOG` says, by default `info` and this crate's
/// `debug` events.
pub fn init_tracing() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tencent_faceid=debug".into()),
        )
        .init();
}

/// Where browsers reach the demo: `DEMO_PUBLIC_URL`, or the address it
/// listens on.
pub fn public_url(listening_on: SocketAddr) -> Result<Url, BoxError> {
    let url = match std::env::var("DEMO_PUBLIC_URL") {
        Ok(url) => url.parse()?,
        Err(_) => format!("http://{listening_on}/").parse()?,
    };
    Ok(url)
}

/// Prints which vendor the demo talks to and the URL to open.
pub fn announce(emulator: Option<&Emulator>, public_url: &Url) {
    match emulator {
        Some(emulator) => println!("vendor: embedded emulator at {}", emulator.base_url()),
        None => println!("vendor: configured by FACEID_* environment variables"),
    }
    println!("open {public_url} in a browser (Ctrl-C to stop)");
}

/// A demo page around `body`.
pub fn html_page(body: &str) -> String {
    format!("<!doctype html><meta charset=utf-8><title>FaceID demo</title>{body}")
}

/// The start form, the same in both demos.
pub const INDEX_FORM: &str = r#"<form method=post action=/start>
  <p><label>Name <input id=name name=name value="张三"></label></p>
  <p><label>Id number <input id=id_number name=id_number value="110101199003071234"></label></p>
  <p><button id=start type=submit>Verify my face</button></p>
</form>
<p>Test data only: with no vendor configured this demo talks to the embedded emulator.</p>"#;

/// The page body for a verified outcome: the result, and for a failure
/// the code's meaning and a retry link.
pub fn describe(outcome: &tencent_faceid::callback::VerificationOutcome) -> String {
    if outcome.passed() {
        format!(
            "<h1 id=outcome>Verified</h1><p>Order <code>{}</code> passed face verification (live rate {}).</p>",
            outcome.order_no,
            html_escape(outcome.live_rate.as_deref().unwrap_or("n/a")),
        )
    } else {
        format!(
            "<h1 id=outcome>Not verified</h1><p>Order <code>{}</code> failed with code {}.</p><p><a href=\"/\">Try again</a></p>",
            outcome.order_no,
            html_escape(&outcome.code.to_string()),
        )
    }
}

pub fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
