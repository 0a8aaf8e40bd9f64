//! [`TicketHome`]: where the access token and SIGN ticket live beside the
//! processes that share them (Redis, PostgreSQL, MySQL), and how one
//! refresher is chosen among them; [`TicketRecord`], the pair as a home
//! stores it.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde::Deserialize;

use super::pair::Pair;
use super::{BoxError, SignTickets};
use crate::client::DecodeError;
use crate::credentials::{AccessToken, Ticket};
use crate::secret::Secret;

/// Where the access token and SIGN ticket of one app id live beside the
/// processes sharing them, and the lease that lets one of them at a time
/// replace the pair: the seam behind [`SharedTickets`](super::SharedTickets)
/// (and `RedisTickets`). The refresh engine does the rest (local copies,
/// the re-check after taking the lease, refresh ahead, recovery at most
/// once per interval, bounded waits for another holder).
///
/// A home is for one app id, and every process sharing the pair uses the
/// same one. Each call should be bounded in time (a stalled database must
/// fail the call, not hang it): the engine serves its still-valid local
/// copy meanwhile. Errors are the home's own (their `Display` says what to
/// fix); they reach callers as [`RefreshError::Shared`](super::RefreshError::Shared).
///
/// Homes in this crate: `RedisTickets`' (feature `redis`) and
/// [`PostgresTicketHome`](super::PostgresTicketHome) (feature `postgres`);
/// `tencent_faceid_mysql::MySqlTicketHome` in its own crate.
#[async_trait]
pub trait TicketHome: Send + Sync + 'static {
    /// The pair last published by any process, if there is one.
    async fn read(&self) -> Result<Option<TicketRecord>, BoxError>;

    /// Takes the lease for `holder` (a random string, new per attempt)
    /// unless another holder's lease is alive: `true` when `holder` now
    /// holds it. A lease lapses after the home's time to live, so a holder
    /// that died does not block the others for longer. Asked again with the
    /// same `holder` (a lost reply), it answers `true` again.
    async fn try_lock(&self, holder: &str) -> Result<bool, BoxError>;

    /// Publishes `record` and releases the lease, at once and only if
    /// `holder` still holds it: `false` (nothing written) when another
    /// holder took the lease meanwhile, whose record must not be
    /// overwritten.
    async fn publish(&self, holder: &str, record: &TicketRecord) -> Result<bool, BoxError>;

    /// Releases the lease without publishing, if `holder` holds it:
    /// `false` when it did not (the lease lapsed, or another holder took
    /// it). The engine logs the answer; on a failure the lease lapses by
    /// itself.
    async fn release(&self, holder: &str) -> Result<bool, BoxError>;

    /// The lease's name (a key, a table row), for errors and logs.
    fn lock_name(&self) -> &str;

    /// How long a caller with no valid pair waits for another holder's
    /// refresh before it fails.
    fn wait_timeout(&self) -> Duration;
}

/// An access token and the SIGN tickets fetched with it, as a
/// [`TicketHome`] stores them: [`encode`](Self::encode)d as a JSON
/// document, [`decode`](Self::decode)d back. Its `Debug` shows times only,
/// never the token or a ticket.
///
/// ```
/// use tencent_faceid::tickets::TicketRecord;
/// let json = br#"{"t":{"v":"tok","e":1700007200000},"c":{"v":"tic","e":1700003600000},"f":1700000000000,"d":1700001200000}"#;
/// let record = TicketRecord::decode(json)?;
/// let again = TicketRecord::decode(record.encode().expose().as_bytes())?;
/// assert_eq!((again.fetched_at(), again.due_at()), (record.fetched_at(), record.due_at()));
/// assert!(!format!("{record:?}").contains("tok"));
/// # Ok::<(), tencent_faceid::client::DecodeError>(())
/// ```
#[derive(Clone)]
pub struct TicketRecord {
    pub(super) pair: Pair,
    due_at: SystemTime,
}

impl TicketRecord {
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

    /// The record as a JSON document (times in Unix milliseconds); it holds
    /// the token and tickets, so it is a [`Secret`].
    pub fn encode(&self) -> Secret {
        let pair = &self.pair;
        let ticket = |value: &str, expires: SystemTime| serde_json::json!({ "v": value, "e": to_millis(expires) });
        let mut record = serde_json::json!({
            "t": ticket(pair.token.secret().expose(), pair.token.expires_at()),
            "c": ticket(pair.sign.current.value(), pair.sign.current.expires_at()),
            "f": to_millis(pair.fetched_at),
            "d": to_millis(self.due_at),
        });
        if let Some(previous) = &pair.sign.previous {
            record["p"] = ticket(previous.value(), previous.expires_at());
        }
        if pair.awaiting_ticket {
            record["a"] = serde_json::Value::Bool(true);
        }
        Secret::new(record.to_string())
    }

    /// A record [`encode`](Self::encode) wrote (`RedisTickets`' records of
    /// earlier versions too).
    ///
    /// # Errors
    /// [`DecodeError`] (where and why, never a value) when `json` is not
    /// such a record.
    pub fn decode(json: &[u8]) -> Result<Self, DecodeError> {
        let stored: StoredRecord = crate::json::decode(json)?;
        let fetched_at = from_millis(stored.fetched);
        let pair = Pair {
            token: AccessToken::new(stored.token.value, from_millis(stored.token.expires)),
            sign: Arc::new(SignTickets {
                current: stored.current.into_ticket(),
                previous: stored.previous.map(StoredTicket::into_ticket),
            }),
            fetched_at,
            awaiting_ticket: stored.awaiting_ticket,
        };
        let due_at = stored.due.map_or(fetched_at, from_millis);
        Ok(Self { pair, due_at })
    }
}

impl fmt::Debug for TicketRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TicketRecord")
            .field("fetched_at", &self.pair.fetched_at)
            .field("due_at", &self.due_at)
            .field("expires_at", &self.expires_at())
            .field("awaiting_ticket", &self.pair.awaiting_ticket)
            .finish_non_exhaustive()
    }
}

/// A record in a database that [`TicketRecord::decode`] cannot read.
#[derive(Debug, thiserror::Error)]
#[error(
    "the shared tickets record in {place} was not written by this crate; delete it (the next refresh writes a new one), and check that no other application uses that table"
)]
pub struct UnreadableRecord {
    place: String,
    #[source]
    source: DecodeError,
}

impl UnreadableRecord {
    /// The record in `place` (a table and row) failed to decode with
    /// `source`.
    pub fn new(place: impl Into<String>, source: DecodeError) -> Self {
        Self {
            place: place.into(),
            source,
        }
    }
}

/// The record as stored (JSON, Unix milliseconds).
#[derive(Deserialize)]
struct StoredRecord {
    #[serde(rename = "t")]
    token: StoredTicket,
    #[serde(rename = "c")]
    current: StoredTicket,
    #[serde(rename = "p", default)]
    previous: Option<StoredTicket>,
    /// When the pair was fetched; a record without it is due at once.
    #[serde(rename = "f", default)]
    fetched: u64,
    /// When its publisher replaces it; absent in older records.
    #[serde(rename = "d", default)]
    due: Option<u64>,
    /// The token awaits its SIGN ticket (its fetch failed).
    #[serde(rename = "a", default)]
    awaiting_ticket: bool,
}

#[derive(Deserialize)]
struct StoredTicket {
    #[serde(rename = "v")]
    value: Secret,
    /// Expiry (for `previous`: the end of its grace window).
    #[serde(rename = "e")]
    expires: u64,
}

impl StoredTicket {
    fn into_ticket(self) -> Ticket {
        Ticket::new(self.value, from_millis(self.expires))
    }
}

/// Milliseconds since the Unix epoch of `time`.
pub(crate) fn to_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

fn from_millis(millis: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(millis)
}

#[cfg(test)]
mod tests {
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
    fn a_record_survives_its_json_and_shows_no_secret() {
        for (previous, awaiting) in [(false, false), (true, true)] {
            let pair = pair(previous, awaiting);
            let due = pair.fetched_at + Duration::from_secs(1200);
            let record = TicketRecord::new(pair.clone(), due);
            let again = TicketRecord::decode(record.encode().expose().as_bytes()).unwrap();
            assert_eq!(again.pair.token, pair.token);
            assert_eq!(*again.pair.sign, *pair.sign);
            assert_eq!(again.pair.fetched_at, pair.fetched_at);
            assert_eq!(again.pair.awaiting_ticket, awaiting);
            assert_eq!(again.due_at(), due);
            let debug = format!("{again:?}");
            assert!(!debug.contains("the-"), "{debug}");
        }
        let record = TicketRecord::new(pair(true, false), UNIX_EPOCH);
        let hours = |h: u64| UNIX_EPOCH + Duration::from_secs(1_700_000_000 + h * 3600);
        assert_eq!(record.expires_at(), hours(3), "the previous ticket's grace");
    }

    #[test]
    fn a_record_of_an_earlier_version_is_due_when_fetched() {
        let old = br#"{"t":{"v":"a","e":2},"c":{"v":"b","e":1},"f":1000}"#;
        let record = TicketRecord::decode(old).unwrap();
        assert_eq!(record.due_at(), record.fetched_at());
        assert!(TicketRecord::decode(b"{\"t\":1}").is_err());
    }
}
