//! What both demos share around the crate's `FaceId`: the vendor (from
//! the `FACEID_*` variables, or the embedded emulator, explicitly, when
//! none is configured), browser binding (unless `DEMO_BROWSER_BINDING=0`),
//! confirmation of passes, a per-address limit on starts, settlement
//! (the sessions list and a reconciler), orders in PostgreSQL or MySQL
//! when `DEMO_DATABASE_URL` is set (or `FACEID_DATABASE_URL`), and the
//! public URL (path prefix kept).

use std::collections::HashMap;
use std::error::Error;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use tencent_faceid::FaceId;
use tencent_faceid::callback::VerificationOutcome;
use tencent_faceid::client::{Evidence, Files, QueryOptions};
use tencent_faceid::facade::{DatabaseSettings, FaceIdBuilder, vars};
use tencent_faceid::orders::{PostgresOrderStore, postgres_pool};
use tencent_faceid::session::StartSession;
use tencent_faceid_emulator::{
    Configured, Emulator, VendorChoice, WhenUnconfigured, vars as emulator_vars,
};
use tencent_faceid_mysql::{MySqlConnector, MySqlOrderStore, mysql_pool};
use url::Url;

/// Any error of the demo's setup.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// The demo's own settings that tests give in code rather than through
/// the environment.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Callbacks are accepted only from the browser that started them
    /// (`DEMO_BROWSER_BINDING=0` turns it off, for tools that act as
    /// several browsers at once).
    pub browser_binding: bool,
}

impl Options {
    /// From the environment: binding on unless `DEMO_BROWSER_BINDING=0`.
    pub fn from_env() -> Options {
        let binding = std::env::var("DEMO_BROWSER_BINDING").map_or(true, |value| value != "0");
        Options {
            browser_binding: binding,
        }
    }
}

/// The demo's `FaceId`: the vendor when `FACEID_APP_ID` (or
/// `FACEID_EMULATOR`, or a shared emulator's `FACEID_EMULATOR_URL`) is set,
/// else an embedded emulator the demo opts into and says so; and the
/// embedded emulator, if any.
pub(crate) async fn face_id(options: Options) -> Result<(FaceId, Option<Emulator>), BoxError> {
    let configured = [
        vars::APP_ID,
        emulator_vars::EMULATOR,
        emulator_vars::EMULATOR_URL,
    ]
    .iter()
    .any(|name| std::env::var_os(name).is_some());
    let (builder, emulator) = if configured {
        let configured = Configured::from_env(WhenUnconfigured::Refuse).await?;
        let emulator = match configured.vendor {
            VendorChoice::Embedded(emulator) => Some(emulator),
            VendorChoice::Vendor | VendorChoice::Shared { .. } => None,
        };
        (configured.builder, emulator)
    } else {
        println!(
            "no {} set: this demo opts into the embedded emulator (anyone who presses \"pass\" is verified)",
            vars::APP_ID
        );
        let emulator = Emulator::start().await?;
        (emulator.face_id(), Some(emulator))
    };
    let after = super::sessions::reconcile_after()?;
    let retention = super::sessions::retention()?;
    let face_id = database(builder)
        .await?
        .callback_url_per_request() // each start comes back to its own public URL
        // FACEID_DATABASE_URL=mysql://… too.
        .database_connector(MySqlConnector)
        .browser_binding(options.browser_binding)
        .starter(|starter| starter.admit(per_address_limit(STARTS_PER_MINUTE)))
        .verifier(|verifier| verifier.confirm(true))
        .settle(move |settler| super::sessions::hooked(settler, after))
        .build()
        .await?;
    super::sessions::reconcile(&face_id, after);
    super::sessions::purge(&face_id, retention);
    Ok((face_id, emulator))
}

/// The schema the demo keeps its orders in unless `DEMO_DATABASE_SCHEMA`
/// names another.
const DEMO_SCHEMA: &str = "faceid_demo";

/// With `DEMO_DATABASE_URL` set, orders and settlements live in that
/// PostgreSQL, in the schema `DEMO_DATABASE_SCHEMA` (default
/// `faceid_demo`), or in that MySQL (`mysql://…`, the URL's database),
/// which the demo migrates at start (a server does that at deployment
/// instead: its `build` only checks the tables).
async fn database(builder: FaceIdBuilder) -> Result<FaceIdBuilder, BoxError> {
    let Ok(url) = std::env::var("DEMO_DATABASE_URL") else {
        return Ok(builder);
    };
    if url.starts_with("mysql://") {
        let migrated = MySqlOrderStore::builder(mysql_pool(&url).await?, "demo")
            .migrate()
            .await?;
        println!("orders and settlements in MySQL (DEMO_DATABASE_URL) ({migrated} migrations ran)");
        return Ok(builder.database(DatabaseSettings::new(url)));
    }
    let schema = std::env::var("DEMO_DATABASE_SCHEMA").unwrap_or_else(|_| DEMO_SCHEMA.to_owned());
    let pool = postgres_pool(&url).await?;
    let migrated = PostgresOrderStore::builder(pool, "demo")
        .schema(&schema)
        .migrate()
        .await?;
    println!(
        "orders and settlements in PostgreSQL (DEMO_DATABASE_URL), schema {schema} ({migrated} migrations ran)"
    );
    Ok(builder.postgres(url).postgres_schema(schema))
}

/// The photo taken during a passed verification, from the vendor's record
/// (`None` for a failure, or when the record cannot be had).
pub async fn evidence(face_id: &FaceId, outcome: &VerificationOutcome) -> Option<Evidence> {
    if !outcome.passed() {
        return None;
    }
    let options = QueryOptions::default().files(Files::Photo);
    match face_id.query_record(&outcome.order_no, options).await {
        Ok(answer) => answer.result.photo,
        Err(error) => {
            tracing::warn!(%error, order_no = %outcome.order_no, "no evidence photo");
            None
        }
    }
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
/// listens on; always ending in `/`, so that its path prefix is kept.
pub fn public_url(listening_on: SocketAddr) -> Result<Url, BoxError> {
    let url =
        std::env::var("DEMO_PUBLIC_URL").unwrap_or_else(|_| format!("http://{listening_on}/"));
    base_url(&url)
}

/// `url` as a base for relative links: with a trailing `/`, so that
/// `join` keeps its last path segment.
pub fn base_url(url: &str) -> Result<Url, BoxError> {
    let mut url: Url = url.parse()?;
    if !url.path().ends_with('/') {
        let path = format!("{}/", url.path());
        url.set_path(&path);
    }
    Ok(url)
}

/// The path prefix to serve the routes under as well as at the root (for
/// a proxy that keeps the prefix; one that strips it reaches the root):
/// `None` for `/`, else `/prefix` without the trailing slash.
pub fn prefix(public_url: &Url) -> Option<String> {
    let path = public_url.path().trim_end_matches('/');
    (!path.is_empty()).then(|| path.to_owned())
}

/// Prints which vendor the demo talks to and the URL to open.
pub fn announce(emulator: Option<&Emulator>, public_url: &Url) {
    match emulator {
        Some(emulator) => println!("vendor: embedded emulator at {}", emulator.base_url()),
        None => println!("vendor: configured by FACEID_* environment variables"),
    }
    println!("open {public_url} in a browser (Ctrl-C to stop)");
}
