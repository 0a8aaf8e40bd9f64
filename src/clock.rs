//! Time, injectable: the system clock in production, a [`ManualClock`] in
//! tests that jump hours without sleeping.
//!
//! Everything in this crate that reasons about the vendor's lifetimes
//! (token and ticket expiry, the refresh schedule, backoffs, the
//! emulator's own rules) reads a [`Clock`], so one manual clock shared by
//! the emulator and a server's providers moves them all together.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where the time comes from: [`Clock::system`] (the default) or a
/// [`ManualClock`]. Cheap to clone; clones read the same time.
///
/// ```
/// use std::time::Duration;
/// use tencent_faceid::{Clock, ManualClock};
///
/// let manual = ManualClock::new();
/// let clock = Clock::from(manual.clone());
/// let before = clock.now();
/// manual.advance(Duration::from_secs(3600));
/// assert_eq!(clock.now(), before + Duration::from_secs(3600));
/// ```
#[derive(Clone, Default)]
pub struct Clock {
    manual: Option<ManualClock>,
}

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// The time now.
    pub fn now(&self) -> SystemTime {
        match &self.manual {
            Some(manual) => manual.now(),
            None => SystemTime::now(),
        }
    }

    /// The manual clock behind this one, if it is not the system's.
    pub fn manual(&self) -> Option<&ManualClock> {
        self.manual.as_ref()
    }
}

impl From<ManualClock> for Clock {
    fn from(manual: ManualClock) -> Self {
        Self {
            manual: Some(manual),
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.manual {
            Some(manual) => manual.fmt(f),
            None => f.write_str("Clock::system"),
        }
    }
}

/// A clock that stands still until it is moved: for tests. Clones share
/// the same time.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use tencent_faceid::ManualClock;
///
/// let clock = ManualClock::starting_at(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
/// clock.advance(Duration::from_secs(60));
/// assert_eq!(clock.now(), UNIX_EPOCH + Duration::from_secs(1_700_000_060));
/// ```
#[derive(Clone)]
pub struct ManualClock {
    /// Nanoseconds since the Unix epoch.
    nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at the system's time now.
    pub fn new() -> Self {
        Self::starting_at(SystemTime::now())
    }

    /// A clock standing at `start` (clamped to the years 1970..2554).
    pub fn starting_at(start: SystemTime) -> Self {
        Self {
            nanos: Arc::new(AtomicU64::new(to_nanos(start))),
        }
    }

    /// The time it stands at.
    pub fn now(&self) -> SystemTime {
        UNIX_EPOCH + Duration::from_nanos(self.nanos.load(Ordering::SeqCst))
    }

    /// Moves it forward by `by`.
    pub fn advance(&self, by: Duration) {
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.nanos
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                Some(n.saturating_add(by))
            })
            .ok();
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ManualClock").field(&self.now()).finish()
    }
}

/// Milliseconds since the Unix epoch of `time`, saturating: 0 for a time
/// before 1970, `u64::MAX` past what a `u64` holds.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use tencent_faceid::{from_unix_millis, unix_millis};
/// let time = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
/// assert_eq!(unix_millis(time), 1_700_000_000_123);
/// assert_eq!(from_unix_millis(unix_millis(time)), time);
/// assert_eq!(unix_millis(UNIX_EPOCH - Duration::from_secs(1)), 0);
/// ```
pub fn unix_millis(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

/// The time `millis` milliseconds after the Unix epoch: the inverse of
/// [`unix_millis`].
pub fn from_unix_millis(millis: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(millis)
}

fn to_nanos(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_nanos()).unwrap_or(u64::MAX)
    })
}

/// The calendar date and the second of the day of `seconds` after
/// 1970-01-01T00:00:00 (in whatever zone the caller shifted them to):
/// `(year, month, day, second_of_day)`, proleptic Gregorian. For writing
/// times as the vendor does (`yyyyMMddHHmmss`, Beijing time, UTC+8).
///
/// ```
/// use tencent_faceid::civil;
/// assert_eq!(civil(0), (1970, 1, 1, 0));
/// // 2024-02-29T16:00:00Z, shifted to UTC+8: 2024-03-01 at midnight.
/// assert_eq!(civil(1_709_222_400 + 8 * 3600), (2024, 3, 1, 0));
/// ```
pub fn civil(seconds: u64) -> (u64, u64, u64, u64) {
    const DAY: u64 = 86_400;
    let (days, in_day) = (seconds / DAY, seconds % DAY);
    // Howard Hinnant's civil_from_days, for days since 1970-01-01.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1_460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day, in_day)
}

/// `time` in RFC 3339, UTC, to the millisecond
/// (`2026-12-06T18:52:18.000Z`); a time before 1970 as 1970's start.
pub(crate) fn rfc3339(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (year, month, day, in_day) = civil(since.as_secs());
    let (hour, minute, second) = (in_day / 3600, in_day / 60 % 60, in_day % 60);
    let millis = since.subsec_millis();
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{millis:03}Z")
}

/// Serializes a time as [`rfc3339`] (for `#[serde(serialize_with)]`).
pub(crate) fn serialize_rfc3339<S: serde::Serializer>(
    time: &SystemTime,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&rfc3339(*time))
}

/// Serializes an optional time as [`rfc3339`] or `null`.
pub(crate) fn serialize_rfc3339_option<S: serde::Serializer>(
    time: &Option<SystemTime>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match time {
        Some(time) => serialize_rfc3339(time, serializer),
        None => serializer.serialize_none(),
    }
}

/// Serializes a duration as seconds, to the microsecond (a store's ping
/// takes less than a millisecond).
pub(crate) fn serialize_seconds<S: serde::Serializer>(
    duration: &Duration,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_micros() as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_clock_follows_the_system() {
        let before = SystemTime::now();
        let now = Clock::system().now();
        assert!(now >= before);
        assert!(Clock::system().manual().is_none());
    }

    #[test]
    fn clones_of_a_manual_clock_move_together() {
        let manual = ManualClock::new();
        let clock = Clock::from(manual.clone());
        let other = clock.clone();
        let start = clock.now();
        manual.advance(Duration::from_secs(6 * 3600));
        assert_eq!(other.now(), start + Duration::from_secs(6 * 3600));
        assert_eq!(clock.now(), other.now());
    }

    #[test]
    fn times_are_written_in_rfc3339_utc() {
        let time = UNIX_EPOCH + Duration::from_millis(1_765_046_538_042);
        assert_eq!(rfc3339(time), "2025-12-06T18:42:18.042Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn a_manual_clock_saturates_instead_of_wrapping() {
        let manual = ManualClock::new();
        manual.advance(Duration::MAX);
        manual.advance(Duration::from_secs(1));
        assert!(manual.now() > SystemTime::now());
    }
}
