//! The whole H5 face-verification flow in an axum app: `cargo run
//! --example demo`, then open the printed URL (on a phone too: the pages
//! are mobile-first).
//!
//! `/` shows a form, `/start` starts a session (its `edition` field:
//! `basic`, the default, or `enhanced`) and redirects to the H5 page, whose
//! "pass" and "fail" buttons come back to `/face/callback`, which sits
//! behind the crate's layer and shows the verified outcome (a reload shows
//! it again, for the same browser).
//!
//! The App SDK edition, for a native app: `POST /sdk/start` (form or JSON
//! `name`, `id_number`, `user`) answers the SDK's launch parameters as
//! JSON, and `POST /sdk/result` (the SDK's result as the app forwards it,
//! JSON) answers the verified outcome as JSON, or the rejection's status.
//!
//! The app itself is `faceid_demo::axum_demo` (the workspace's `demo/`
//! member), which the tests drive too; this is its `main`.
//!
//! With no `FACEID_APP_ID` set, the demo opts into the embedded emulator
//! and says so. To talk to the real vendor instead, set:
//!
//! | variable | meaning |
//! |---|---|
//! | `FACEID_APP_ID` | your WBappid |
//! | `FACEID_SECRET` | your secret |
//! | `FACEID_BASE_URL` | the vendor's base URL (default `https://miniprogram-kyc.tencentcloudapi.com`) |
//! | `FACEID_REDIS_URL` | optional: tickets and orders in Redis |
//! | `FACEID_DATABASE_URL` | optional: orders and settlements in PostgreSQL (schema migrated beforehand) |
//! | `DEMO_DATABASE_URL` | optional: orders and settlements in this PostgreSQL, migrated by the demo |
//! | `DEMO_DATABASE_SCHEMA` | their schema (default `faceid_demo`) |
//! | `DEMO_RECONCILE_AFTER` | seconds before the reconciler asks the vendor about a session (default 600) |
//! | `DEMO_PUBLIC_URL` | this server's public URL, which the browser is sent back to; a path prefix (`https://host/faceid/`) is kept |
//! | `DEMO_BROWSER_BINDING` | `0` accepts callbacks from any browser (default: only from the one that started) |
//! | `DEMO_ADDR` | where to listen (default `127.0.0.1:3000`; `127.0.0.1:0` picks a port) |

use std::net::SocketAddr;

use faceid_demo::axum_demo::{Demo, demo};
use faceid_demo::wiring;
use tencent_faceid::Report;

/// Errors are printed through `Report`: their message and causes, not
/// their `Debug`.
#[tokio::main]
async fn main() -> Result<(), Report> {
    wiring::init_tracing();
    let addr: SocketAddr = std::env::var("DEMO_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:3000".to_owned())
        .parse()?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let public_url = wiring::public_url(listener.local_addr()?).map_err(Report::boxed)?;
    let Demo { router, emulator } = demo(public_url.clone()).await.map_err(Report::boxed)?;
    wiring::announce(emulator.as_ref(), &public_url);
    let app = router.into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).await?;
    Ok(())
}
