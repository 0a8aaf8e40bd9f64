//! [`UnreadableTicketPair`]: a stored ticket pair this crate cannot read.

use crate::client::DecodeError;

/// A ticket pair in a database that
/// [`StoredTicketPair::decode`](super::StoredTicketPair::decode) cannot read.
#[derive(Debug, thiserror::Error)]
#[error(
    "the shared ticket pair in {place} was not written by this crate; delete it (the next refresh writes a new one), and check that no other application uses that table"
)]
pub struct UnreadableTicketPair {
    place: String,
    #[source]
    source: DecodeError,
}

impl UnreadableTicketPair {
    /// The pair in `place` (a table and row) failed to decode with
    /// `source`.
    pub fn new(place: impl Into<String>, source: DecodeError) -> Self {
        Self {
            place: place.into(),
            source,
        }
    }
}
