//! The same flow as `demo`, in actix-web with the crate's `Verified`
//! extractor: `cargo run --example actix_demo`, then open the printed URL.
//!
//! Configuration: the same environment variables as `demo`
//! (`FACEID_APP_ID`, `FACEID_SECRET`, `FACEID_BASE_URL`, `FACEID_REDIS_URL`,
//! `FACEID_DATABASE_URL`, `DEMO_DATABASE_URL`, `DEMO_DATABASE_SCHEMA`, `DEMO_RECONCILE_AFTER`,
//! `DEMO_PUBLIC_URL`, `DEMO_BROWSER_BINDING`, `DEMO_ADDR`, default
//! `127.0.0.1:3001` here); with no `FACEID_APP_ID` it opts into the
//! embedded emulator and says so.
//!
//! The app itself is `faceid_demo::actix_demo` (the workspace's `demo/`
//! member), which the tests drive too; this is its `main`.

use std::net::TcpListener;

use actix_web::{App, HttpServer};
use faceid_demo::actix_demo::{configure, demo_state};
use faceid_demo::wiring;
use tencent_faceid::Report;

/// Errors are printed through `Report`: their message and causes, not
/// their `Debug`.
#[actix_web::main]
async fn main() -> Result<(), Report> {
    wiring::init_tracing();
    let addr = std::env::var("DEMO_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    let listener = TcpListener::bind(&addr)?;
    let public_url = wiring::public_url(listener.local_addr()?).map_err(Report::boxed)?;
    let (state, emulator) = demo_state(public_url.clone())
        .await
        .map_err(Report::boxed)?;
    wiring::announce(emulator.as_ref(), &public_url);
    HttpServer::new(move || App::new().configure(configure(state.clone())))
        .listen(listener)?
        .run()
        .await?;
    Ok(())
}
