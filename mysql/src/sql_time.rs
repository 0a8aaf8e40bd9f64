//! Times in the store's SQL: what the statements and the lifecycle's
//! statements write alike.

/// The database's clock, in milliseconds since the Unix epoch (UTC,
/// whatever the session's time zone).
pub(crate) const NOW_MS: &str =
    "(TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(3)) DIV 1000)";
