//! Times in the store's SQL: what the statements and the lifecycle's
//! statements write alike.

/// `$n` milliseconds since the epoch as a `timestamptz` (exact).
pub(super) fn at(parameter: &str) -> String {
    format!("(timestamptz 'epoch' + {parameter} * interval '1 millisecond')")
}
