//! [`SettlementRecord`]: the settlement a store keeps with a consumed
//! order, and the one JSON form every store keeps it in.

use std::borrow::Cow;
use std::num::NonZeroU64;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use super::{SettledBy, SettledState, SettlementRecordError};
use crate::clock::{from_unix_millis, unix_millis};
use crate::ids::OrderNo;
use crate::json::{self, DecodeError};
use crate::result_code::ResultCode;

/// The settlement of an order, as a
/// [`SettlementStore`](super::SettlementStore) keeps it with the consumed
/// order (see [`Claim::settling`](super::Claim::settling)) and answers it
/// from [`settlement`](super::SettlementStore::settlement).
///
/// A store that keeps it as text keeps [`encode`](Self::encode)'s JSON,
/// version [`VERSION`](Self::VERSION):
/// `{"version":1,"state":"failed","code":"3001","by":"callback","at":1700000000123,"billed":2}`
/// (`code` is `null` unless the state is failed; `at` is in milliseconds
/// since the Unix epoch; `billed` only when known). A record without
/// `version` is version 1. [`decode`](Self::decode) reads it back, or says
/// which field it cannot read.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use tencent_faceid::OrderNo;
/// use tencent_faceid::orders::SettlementRecord;
/// use tencent_faceid::settle::{SettledBy, SettledState};
/// let at = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
/// let record = SettlementRecord::new(SettledState::Passed, SettledBy::Callback, at);
/// let json = record.encode();
/// assert_eq!(json, r#"{"version":1,"state":"passed","code":null,"by":"callback","at":1700000000123}"#);
/// assert_eq!(SettlementRecord::decode(&OrderNo::new("o1")?, &json)?, record);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SettlementRecord {
    /// How the order ended.
    pub state: SettledState,
    /// Which path settled it.
    pub settled_by: SettledBy,
    /// When it was settled, to the millisecond.
    pub settled_at: SystemTime,
    /// How many attempts the vendor bills for the session, when its
    /// record says (the WeChat edition's).
    pub billed_attempts: Option<usize>,
}

impl SettlementRecord {
    /// The version of the JSON [`encode`](Self::encode) writes: the newest
    /// [`decode`](Self::decode) reads.
    pub const VERSION: u64 = 1;

    /// The record of an order settled `state` by `settled_by` at
    /// `settled_at` (kept to the millisecond), its billed attempts unknown.
    pub fn new(state: SettledState, settled_by: SettledBy, settled_at: SystemTime) -> Self {
        Self {
            state,
            settled_by,
            settled_at: from_unix_millis(unix_millis(settled_at)),
            billed_attempts: None,
        }
    }

    /// The same record, with the attempts the vendor bills (`None`:
    /// unknown).
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use tencent_faceid::orders::SettlementRecord;
    /// use tencent_faceid::settle::{SettledBy, SettledState};
    /// let record = SettlementRecord::new(SettledState::Passed, SettledBy::Callback, SystemTime::now())
    ///     .billed(Some(2));
    /// assert_eq!(record.billed_attempts, Some(2));
    /// ```
    pub fn billed(mut self, attempts: Option<usize>) -> Self {
        self.billed_attempts = attempts;
        self
    }

    /// The record as JSON of version [`VERSION`](Self::VERSION).
    pub fn encode(&self) -> String {
        let encoded = Encoded {
            version: Self::VERSION,
            state: match self.state {
                SettledState::Passed => StateName::Passed,
                SettledState::Failed(_) => StateName::Failed,
                SettledState::Abandoned => StateName::Abandoned,
            },
            code: self.state.code().map(Cow::Borrowed),
            by: match self.settled_by {
                SettledBy::Callback => ByName::Callback,
                SettledBy::Reconciler => ByName::Reconciler,
            },
            at: unix_millis(self.settled_at),
            billed: self.billed_attempts,
        };
        // Strings, numbers and null: serializing cannot fail.
        serde_json::to_string(&encoded).unwrap_or_default()
    }

    /// The record `json` holds, kept for the order `order_no`.
    ///
    /// # Errors
    /// [`SettlementRecordError::Newer`] for a version newer than
    /// [`VERSION`](Self::VERSION), [`SettlementRecordError::Unreadable`]
    /// naming the field that is missing or of the wrong type or form.
    ///
    /// ```
    /// use tencent_faceid::OrderNo;
    /// use tencent_faceid::orders::{SettlementRecord, SettlementRecordError};
    /// let order_no = OrderNo::new("o1")?;
    /// let error = SettlementRecord::decode(&order_no, r#"{"version":7}"#).unwrap_err();
    /// assert!(matches!(error, SettlementRecordError::Newer { version: 7, .. }));
    /// let error = SettlementRecord::decode(&order_no, r#"{"by":"callback","at":1}"#).unwrap_err();
    /// assert!(error.to_string().contains("`state`"), "{error}");
    /// # Ok::<(), tencent_faceid::IdentifierError>(())
    /// ```
    pub fn decode(order_no: &OrderNo, json: &str) -> Result<Self, SettlementRecordError> {
        let unreadable = |source| SettlementRecordError::Unreadable {
            order_no: order_no.clone(),
            source,
        };
        let Versioned { version } = json::decode(json.as_bytes()).map_err(unreadable)?;
        if version.get() > Self::VERSION {
            return Err(SettlementRecordError::Newer {
                order_no: order_no.clone(),
                version: version.get(),
            });
        }
        let encoded: Encoded<'static> = json::decode(json.as_bytes()).map_err(unreadable)?;
        let state = match (encoded.state, encoded.code) {
            (StateName::Passed, _) => SettledState::Passed,
            (StateName::Failed, Some(code)) => SettledState::Failed(code.into_owned()),
            (StateName::Failed, None) => return Err(unreadable(DecodeError::missing("code"))),
            (StateName::Abandoned, _) => SettledState::Abandoned,
        };
        let settled_by = match encoded.by {
            ByName::Callback => SettledBy::Callback,
            ByName::Reconciler => SettledBy::Reconciler,
        };
        Ok(Self {
            state,
            settled_by,
            settled_at: from_unix_millis(encoded.at),
            billed_attempts: encoded.billed,
        })
    }
}

/// The version of a record, read before the rest: a newer version may
/// hold fields this crate cannot read. A record without one is version 1.
#[derive(Deserialize)]
struct Versioned {
    #[serde(default = "first_version")]
    version: NonZeroU64,
}

fn first_version() -> NonZeroU64 {
    NonZeroU64::MIN
}

/// A record's JSON, field for field (its version read by [`Versioned`]).
#[derive(Serialize, Deserialize)]
struct Encoded<'a> {
    #[serde(skip_deserializing)]
    version: u64,
    state: StateName,
    code: Option<Cow<'a, ResultCode>>,
    by: ByName,
    at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    billed: Option<usize>,
}

/// [`SettledState`] without its code, as `state` holds it.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum StateName {
    Passed,
    Failed,
    Abandoned,
}

/// [`SettledBy`], as `by` holds it.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
enum ByName {
    Callback,
    Reconciler,
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn order_no() -> OrderNo {
        OrderNo::new("o1").unwrap()
    }

    fn at(millis: u64) -> SystemTime {
        from_unix_millis(millis)
    }

    /// The field `json` cannot be read at, or why it can.
    fn unreadable_at(json: &str) -> String {
        match SettlementRecord::decode(&order_no(), json) {
            Err(SettlementRecordError::Unreadable { source, .. }) => source.field().to_owned(),
            other => panic!("{json} decoded as {other:?}"),
        }
    }

    #[test]
    fn a_record_reads_back_as_it_was_written() {
        for (state, by) in [
            (SettledState::Passed, SettledBy::Callback),
            (
                SettledState::Failed(ResultCode::from_code("3001")),
                SettledBy::Reconciler,
            ),
            (SettledState::Abandoned, SettledBy::Reconciler),
        ] {
            for billed in [None, Some(2)] {
                let record =
                    SettlementRecord::new(state.clone(), by, at(1_700_000_000_123)).billed(billed);
                let json = record.encode();
                assert_eq!(
                    SettlementRecord::decode(&order_no(), &json).unwrap(),
                    record
                );
            }
        }
    }

    #[test]
    fn it_is_written_as_version_1_with_its_time_in_milliseconds() {
        let code = ResultCode::from_code("66660016");
        let time = at(1_700_000_000_123) + Duration::from_micros(999);
        let record = SettlementRecord::new(SettledState::Failed(code), SettledBy::Reconciler, time)
            .billed(Some(2));
        assert_eq!(record.settled_at, at(1_700_000_000_123));
        assert_eq!(
            record.encode(),
            r#"{"version":1,"state":"failed","code":"66660016","by":"reconciler","at":1700000000123,"billed":2}"#
        );
    }

    #[test]
    fn a_record_without_version_reads_as_version_1() {
        // As the settler wrote them before `version`: `|` escaped, `billed` optional.
        let cases = [
            (
                r#"{"state":"passed","code":null,"by":"callback","at":1700000000000}"#,
                SettlementRecord::new(
                    SettledState::Passed,
                    SettledBy::Callback,
                    at(1_700_000_000_000),
                ),
            ),
            (
                r#"{"state":"failed","code":"a\u007cb","by":"reconciler","at":1,"billed":3}"#,
                SettlementRecord::new(
                    SettledState::Failed(ResultCode::from_code("a|b")),
                    SettledBy::Reconciler,
                    at(1),
                )
                .billed(Some(3)),
            ),
            (
                r#"{"state":"abandoned","code":null,"by":"reconciler","at":1}"#,
                SettlementRecord::new(SettledState::Abandoned, SettledBy::Reconciler, at(1)),
            ),
        ];
        for (json, record) in cases {
            assert_eq!(
                SettlementRecord::decode(&order_no(), json).unwrap(),
                record,
                "{json}"
            );
        }
    }

    #[test]
    fn a_newer_version_is_refused_before_its_fields_are_read() {
        let error =
            SettlementRecord::decode(&order_no(), r#"{"version":7,"state":42}"#).unwrap_err();
        assert!(
            matches!(error, SettlementRecordError::Newer { version: 7, .. }),
            "{error:?}"
        );
        assert_eq!(
            error.to_string(),
            "the settlement record of order o1 is version 7, newer than the version 1 this tencent-faceid reads: run one version of tencent-faceid on every instance sharing the store"
        );
    }

    #[test]
    fn an_unreadable_record_names_its_field_and_why() {
        let error =
            SettlementRecord::decode(&order_no(), r#"{"by":"callback","at":1}"#).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the settlement record of order o1 cannot be read at `state`, so tencent-faceid did not write it as it stands: correct or delete it in the store"
        );
        let source = std::error::Error::source(&error).unwrap().to_string();
        assert!(
            source.starts_with("a required field is missing at `state`"),
            "{source}"
        );

        let passed = r#""state":"passed","code":null,"by":"callback""#;
        assert_eq!(unreadable_at(&format!("{{{passed}}}")), "at");
        assert_eq!(unreadable_at(&format!(r#"{{{passed},"at":"soon"}}"#)), "at");
        assert_eq!(
            unreadable_at(&format!(r#"{{{passed},"at":1,"billed":-1}}"#)),
            "billed"
        );
        assert_eq!(
            unreadable_at(&format!(r#"{{{passed},"at":1,"version":0}}"#)),
            "version"
        );
        assert_eq!(
            unreadable_at(r#"{"state":"finished","by":"callback","at":1}"#),
            "state"
        );
        assert_eq!(
            unreadable_at(r#"{"state":"passed","by":"hand","at":1}"#),
            "by"
        );
        assert_eq!(
            unreadable_at(r#"{"state":"failed","code":null,"by":"callback","at":1}"#),
            "code"
        );
        assert_eq!(unreadable_at("passed|callback"), ".");
    }
}
