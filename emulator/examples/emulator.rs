//! One emulator for several instances (a staging cluster, or an instance
//! restarted mid-session): `cargo run --example emulator`, then start
//! every instance with the `FACEID_EMULATOR_URL` it prints, so that they
//! all talk to this one vendor. Like the embedded emulator, anyone who
//! presses "pass" is verified: for development and staging only.
//!
//! | variable | meaning |
//! |---|---|
//! | `FACEID_EMULATOR_ADDR` | where to listen (default `127.0.0.1:4000`; `0.0.0.0:4000` for other machines) |
//! | `FACEID_EMULATOR_DOMAIN` | the host (and port) browsers reach the H5 page at (default `localhost:<port>`) |
//! | `FACEID_EMULATOR_IN_RELEASE` | `1`: start in a release build too |

use std::io;
use std::net::SocketAddr;

use tencent_faceid::Report;
use tencent_faceid_emulator::{Emulator, vars};

#[tokio::main]
async fn main() -> Result<(), Report> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tencent_faceid_emulator=debug".into()),
        )
        .init();
    let addr = std::env::var("FACEID_EMULATOR_ADDR").unwrap_or_else(|_| "127.0.0.1:4000".into());
    let addr: SocketAddr = addr.parse().map_err(|_| {
        let expected = "FACEID_EMULATOR_ADDR must be an address and port, such as 127.0.0.1:4000";
        io::Error::new(io::ErrorKind::InvalidInput, expected)
    })?;
    let in_release = std::env::var(vars::EMULATOR_IN_RELEASE).is_ok_and(|value| value == "1");
    let mut emulator = Emulator::builder().bind(addr).allow_in_release(in_release);
    if let Ok(domain) = std::env::var("FACEID_EMULATOR_DOMAIN") {
        emulator = emulator.optimal_domain(domain);
    }
    let emulator = emulator.start().await?;
    println!("the FaceID emulator listens on {addr}; start each instance with");
    println!("  FACEID_EMULATOR_URL={}", emulator.base_url());
    println!(
        "(app id {}, secret {}: the defaults FACEID_EMULATOR_URL uses)",
        emulator.app_id(),
        emulator.secret()
    );
    println!("Ctrl-C stops it");
    tokio::signal::ctrl_c().await?;
    emulator.shutdown().await;
    Ok(())
}
