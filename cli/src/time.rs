//! Times on the command line and in the export: RFC 3339 in UTC
//! (`2026-12-01T08:00:00Z`, `2026-12-01T08:00:00.250Z`), or a date
//! (`2026-12-01`, its midnight UTC).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

const DAY: u64 = 86_400;

/// `text` as a time: `YYYY-MM-DD`, or `YYYY-MM-DDTHH:MM:SS[.fff]Z`.
pub fn parse(text: &str) -> Option<SystemTime> {
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, Some(time.strip_suffix('Z')?)),
        None => (text, None),
    };
    let mut parts = date.splitn(3, '-');
    let year: u64 = number(parts.next()?, 4)?;
    let month: u64 = number(parts.next()?, 2)?;
    let day: u64 = number(parts.next()?, 2)?;
    if year < 1970 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) * DAY;
    let mut millis = 0;
    if let Some(time) = time {
        let (clock, fraction) = time.split_once('.').unwrap_or((time, ""));
        let mut parts = clock.splitn(3, ':');
        let hour: u64 = number(parts.next()?, 2)?;
        let minute: u64 = number(parts.next()?, 2)?;
        let second: u64 = number(parts.next()?, 2)?;
        if hour > 23 || minute > 59 || second > 59 || fraction.len() > 3 {
            return None;
        }
        seconds += hour * 3600 + minute * 60 + second;
        if !fraction.is_empty() {
            let digits: u64 = number(fraction, fraction.len())?;
            millis = digits * 10u64.pow(3 - fraction.len() as u32);
        }
    }
    Some(UNIX_EPOCH + Duration::from_secs(seconds) + Duration::from_millis(millis))
}

/// `time` in RFC 3339, UTC, to the millisecond.
pub fn format(time: SystemTime) -> String {
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let seconds = since.as_secs();
    let (year, month, day) = civil_from_days(seconds / DAY);
    let in_day = seconds % DAY;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60,
        since.subsec_millis()
    )
}

/// `text` as a number of exactly `digits` ASCII digits.
fn number(text: &str, digits: usize) -> Option<u64> {
    (text.len() == digits && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// Days since 1970-01-01 of a date (Howard Hinnant's days_from_civil).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let month_index = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a number of days since 1970-01-01 (civil_from_days).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
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
    (year_of_era + era * 400 + u64::from(month <= 2), month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_and_write_as_rfc3339_utc() {
        let time = parse("2023-11-14T22:13:20Z").unwrap();
        assert_eq!(time, UNIX_EPOCH + Duration::from_secs(1_700_000_000));
        assert_eq!(format(time), "2023-11-14T22:13:20.000Z");
        let precise = parse("2024-02-29T00:00:01.25Z").unwrap();
        assert_eq!(format(precise), "2024-02-29T00:00:01.250Z");
        assert_eq!(parse("2024-03-01"), parse("2024-03-01T00:00:00Z"));
        for bad in [
            "2024-13-01",
            "2024-1-01",
            "yesterday",
            "2024-03-01T10:00:00",
            "1969-12-31",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
