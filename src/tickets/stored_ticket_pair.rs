//! [`StoredTicketPair`]: the access token and SIGN tickets as a
//! [`TicketHome`](super::TicketHome) stores them, a JSON document.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use serde::Deserialize;

use super::SignTickets;
use super::pair::Pair;
use crate::client::DecodeError;
use crate::clock::{from_unix_millis, unix_millis};
use crate::credentials::{AccessToken, Ticket};
use crate::secret::Secret;

/// An access token and the SIGN tickets fetched with it, as a
/// [`TicketHome`](super::TicketHome) stores them: [`encode`](Self::encode)d as a JSON
/// document, [`decode`](Self::decode)d back. Its `Debug` shows times only,
/// never the token or a ticket.
///
/// ```
/// use tencent_faceid::tickets::StoredTicketPair;
/// let json = br#"{"t":{"v":"tok","e":1700007200000},"c":{"v":"tic","e":1700003600000},"f":1700000000000,"d":1700001200000}"#;
/// let stored = StoredTicketPair::decode(json)?;
/// let again = StoredTicketPair::decode(stored.encode().expose().as_bytes())?;
/// assert_eq!((again.fetched_at(), again.due_at()), (stored.fetched_at(), stored.due_at()));
/// assert!(!format!("{stored:?}").contains("tok"));
/// # Ok::<(), tencent_faceid::client::DecodeError>(())
/// ```
#[derive(Clone)]
pub struct StoredTicketPair {
    pub(super) pair: Pair,
    due_at: SystemTime,
}

impl StoredTicketPair {
    /// `pair`, due for replacement at `due_at`.
    pub(super) fn new(pair: Pair, due_at: SystemTime) -> Self {
        Self { pair, due_at }
    }

    /// When the pair was fetched from the vendor.
    pub fn fetched_at(&self) -> SystemTime {
        self.pair.fetched_at
    }

    /// When the process that published it replaces it (every process
    /// replaces it by its own [`TicketTimings`](super::TicketTimings)).
    pub fn due_at(&self) -> SystemTime {
        self.due_at
    }

    /// When the last of its token and tickets ends: a home may forget it
    /// then.
    pub fn expires_at(&self) -> SystemTime {
        let sign = &self.pair.sign;
        let previous = sign.previous.as_ref().map(Ticket::expires_at);
        [self.pair.token.expires_at(), sign.current.expires_at()]
            .into_iter()
            .chain(previous)
            .max()
            .unwrap_or(self.pair.fetched_at)
    }

    /// The pair as a JSON document (times in Unix milliseconds); it holds
    /// the token and tickets, so it is a [`Secret`].
    pub fn encode(&self) -> Secret {
        let pair = &self.pair;
        let ticket = |value: &str, expires: SystemTime| serde_json::json!({ "v": value, "e": unix_millis(expires) });
        let mut document = serde_json::json!({
            "t": ticket(pair.token.secret().expose(), pair.token.expires_at()),
            "c": ticket(pair.sign.current.value(), pair.sign.current.expires_at()),
            "f": unix_millis(pair.fetched_at),
            "d": unix_millis(self.due_at),
        });
        if let Some(previous) = &pair.sign.previous {
            document["p"] = ticket(previous.value(), previous.expires_at());
        }
        if pair.awaiting_ticket {
            document["a"] = serde_json::Value::Bool(true);
        }
        Secret::new(document.to_string())
    }

    /// A pair [`encode`](Self::encode) wrote (`RedisTickets`' documents of
    /// earlier versions too).
    ///
    /// # Errors
    /// [`DecodeError`] (where and why, never a value) when `json` is not
    /// such a document.
    pub fn decode(json: &[u8]) -> Result<Self, DecodeError> {
        let stored: PairJson = crate::json::decode(json)?;
        let fetched_at = from_unix_millis(stored.fetched);
        let pair = Pair {
            token: AccessToken::new(stored.token.value, from_unix_millis(stored.token.expires)),
            sign: Arc::new(SignTickets {
                current: stored.current.into_ticket(),
                previous: stored.previous.map(TicketJson::into_ticket),
            }),
            fetched_at,
            awaiting_ticket: stored.awaiting_ticket,
        };
        let due_at = stored.due.map_or(fetched_at, from_unix_millis);
        Ok(Self { pair, due_at })
    }
}

impl fmt::Debug for StoredTicketPair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredTicketPair")
            .field("fetched_at", &self.pair.fetched_at)
            .field("due_at", &self.due_at)
            .field("expires_at", &self.expires_at())
            .field("awaiting_ticket", &self.pair.awaiting_ticket)
            .finish_non_exhaustive()
    }
}

/// The pair as stored (JSON, Unix milliseconds).
#[derive(Deserialize)]
struct PairJson {
    #[serde(rename = "t")]
    token: TicketJson,
    #[serde(rename = "c")]
    current: TicketJson,
    #[serde(rename = "p", default)]
    previous: Option<TicketJson>,
    /// When the pair was fetched; a document without it is due at once.
    #[serde(rename = "f", default)]
    fetched: u64,
    /// When its publisher replaces it; absent in older documents.
    #[serde(rename = "d", default)]
    due: Option<u64>,
    /// The token awaits its SIGN ticket (its fetch failed).
    #[serde(rename = "a", default)]
    awaiting_ticket: bool,
}

#[derive(Deserialize)]
struct TicketJson {
    #[serde(rename = "v")]
    value: Secret,
    /// Expiry (for `previous`: the end of its grace window).
    #[serde(rename = "e")]
    expires: u64,
}

impl TicketJson {
    fn into_ticket(self) -> Ticket {
        Ticket::new(self.value, from_unix_millis(self.expires))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn pair(previous: bool, awaiting_ticket: bool) -> Pair {
        let at = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let hour = Duration::from_secs(3600);
        Pair {
            token: AccessToken::new("the-token", at + 2 * hour),
            sign: Arc::new(SignTickets {
                current: Ticket::new("the-ticket", at + hour),
                previous: previous.then(|| Ticket::new("the-old-ticket", at + 3 * hour)),
            }),
            fetched_at: at,
            awaiting_ticket,
        }
    }

    #[test]
    fn a_stored_pair_survives_its_json_and_shows_no_secret() {
        for (previous, awaiting) in [(false, false), (true, true)] {
            let pair = pair(previous, awaiting);
            let due = pair.fetched_at + Duration::from_secs(1200);
            let stored = StoredTicketPair::new(pair.clone(), due);
            let again = StoredTicketPair::decode(stored.encode().expose().as_bytes()).unwrap();
            assert_eq!(again.pair.token, pair.token);
            assert_eq!(*again.pair.sign, *pair.sign);
            assert_eq!(again.pair.fetched_at, pair.fetched_at);
            assert_eq!(again.pair.awaiting_ticket, awaiting);
            assert_eq!(again.due_at(), due);
            let debug = format!("{again:?}");
            assert!(!debug.contains("the-"), "{debug}");
        }
        let stored = StoredTicketPair::new(pair(true, false), UNIX_EPOCH);
        let hours = |h: u64| UNIX_EPOCH + Duration::from_secs(1_700_000_000 + h * 3600);
        assert_eq!(stored.expires_at(), hours(3), "the previous ticket's grace");
    }

    #[test]
    fn a_pair_of_an_earlier_version_is_due_when_fetched() {
        let old = br#"{"t":{"v":"a","e":2},"c":{"v":"b","e":1},"f":1000}"#;
        let stored = StoredTicketPair::decode(old).unwrap();
        assert_eq!(stored.due_at(), stored.fetched_at());
        assert!(StoredTicketPair::decode(b"{\"t\":1}").is_err());
    }
}
