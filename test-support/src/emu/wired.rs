//! A starter, verifier and settler on one emulator and memory store, for
//! the tests of what operators see (`tests/it/observe.rs`, `tests/spans.rs`).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::random_alphanumeric;
use tencent_faceid::UserId;
use tencent_faceid::callback::{CallbackVerifier, VerificationOutcome};
use tencent_faceid::orders::MemoryOrderStore;
use tencent_faceid::session::{SessionStarter, StartSession};
use tencent_faceid::settle::{Settlement, Settler};
use tencent_faceid::tickets::CachedTickets;
use tencent_faceid::wiring::Wiring;
use tencent_faceid_emulator::{Emulator, Outcome};

use super::{ID_NO, NAME};

/// The emulator, on a manual clock.
pub async fn emulator() -> Emulator {
    super::on_manual_clock().await.1
}

/// A start for a new user, with [`NAME`] and [`ID_NO`].
pub fn session() -> StartSession {
    let user = UserId::new(format!("user{}", random_alphanumeric(12))).unwrap();
    let callback = "https://partner.example/face/callback".parse().unwrap();
    StartSession::new(user, callback)
        .name(NAME)
        .id_number(ID_NO)
}

/// A starter, and a verifier settling through a hook that fails while
/// `failing` is set.
pub fn wired(
    emulator: &Emulator,
    failing: &Arc<AtomicBool>,
) -> (SessionStarter, CallbackVerifier, Settler) {
    let tickets = CachedTickets::builder(emulator.client()).build();
    let store = MemoryOrderStore::new();
    let failing = Arc::clone(failing);
    let wiring = Wiring::new(emulator.client(), tickets, store).browser_binding(false);
    let settler = Settler::builder(&wiring)
        .on_settled(move |_settlement: Settlement| {
            let fail = failing.load(Ordering::SeqCst);
            async move {
                match fail {
                    true => Err("the partner's database is down"),
                    false => Ok(()),
                }
            }
        })
        .build();
    let starter = SessionStarter::builder(&wiring).build().unwrap();
    let verifier = CallbackVerifier::settling(&settler).build().unwrap();
    (starter, verifier, settler)
}

/// Starts a session, presses pass, verifies the callback.
pub async fn verified(
    emulator: &Emulator,
    starter: &SessionStarter,
    verifier: &CallbackVerifier,
) -> VerificationOutcome {
    let started = starter.start(session()).await.unwrap();
    let back = emulator
        .complete(&started.h5face_id, Outcome::Pass)
        .unwrap();
    verifier.verify(back.query().unwrap()).await.unwrap()
}
