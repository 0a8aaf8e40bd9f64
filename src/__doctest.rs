//! Not API: the doctests' shared setup, a [`Wiring`] of app `appId001`
//! on the vendor's default address, fixed tickets and an in-memory store.
//! It makes no call: a doctest that reaches the vendor builds its own.

use crate::callback::CallbackVerifier;
use crate::client::{ClientError, FaceIdClient};
use crate::orders::MemoryOrderStore;
use crate::tickets::StaticTickets;
use crate::wiring::Wiring;

/// The doctests' wiring: app `appId001`, SIGN ticket `t`, NONCE ticket
/// `n`, an empty [`MemoryOrderStore`].
///
/// # Errors
/// The client's [`ClientError`] (none with these credentials).
pub fn wiring() -> Result<Wiring<MemoryOrderStore>, ClientError> {
    let client = FaceIdClient::builder("appId001", "secret").build()?;
    Ok(Wiring::new(
        client,
        StaticTickets::new("t", "n"),
        MemoryOrderStore::new(),
    ))
}

/// The doctests' verifier: [`CallbackVerifier::builder`] on [`wiring`],
/// with its defaults.
///
/// # Errors
/// The client's or the verifier's configuration error.
pub fn verifier() -> Result<CallbackVerifier, Box<dyn std::error::Error>> {
    Ok(CallbackVerifier::builder(&wiring()?).build()?)
}
