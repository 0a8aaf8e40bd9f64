//! [`RefreshError`]: why a caching provider has no usable access token or
//! SIGN ticket.

use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use crate::client::ClientError;

/// Why a provider has no usable token or SIGN ticket: the source inside a
/// [`TicketError`](super::TicketError). Cheap to clone (callers waiting on
/// one refresh share its failure).
///
/// ```
/// use std::time::Duration;
/// use tencent_faceid::tickets::{RefreshError, TicketError};
/// let error = TicketError::SignUnavailable {
///     source: Box::new(RefreshError::WaitTimedOut {
///         lock: "faceid:{TIDA0001}:lock".into(),
///         waited: Duration::from_secs(10),
///     }),
/// };
/// let TicketError::SignUnavailable { source } = &error else { unreachable!() };
/// assert!(matches!(
///     source.downcast_ref::<RefreshError>(),
///     Some(RefreshError::WaitTimedOut { .. })
/// ));
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RefreshError {
    /// The vendor did not issue a token or ticket.
    #[error(
        "the vendor did not issue a token or ticket; check the app id, secret and base URL, and that the vendor is reachable"
    )]
    Vendor(#[source] Arc<ClientError>),
    /// The shared state (Redis, the database) failed or timed out.
    #[error(
        "the shared tickets are out of reach; check that their home (Redis or the database) is reachable"
    )]
    Shared(#[source] Arc<dyn StdError + Send + Sync>),
    /// Another instance holds the refresh lock and published nothing in
    /// time.
    #[error(
        "another instance holds the refresh lock {lock} and published no tickets within {waited:?}; if it died, the lock lapses after its TTL"
    )]
    WaitTimedOut {
        /// The lock (its Redis key, its table).
        lock: String,
        /// How long this call waited.
        waited: Duration,
    },
}

impl From<ClientError> for RefreshError {
    fn from(error: ClientError) -> Self {
        Self::Vendor(Arc::new(error))
    }
}
