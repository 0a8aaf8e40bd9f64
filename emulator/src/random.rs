//! Random strings: the tokens, tickets and identifiers the vendor issues.

use rand::distr::{Alphanumeric, SampleString};

/// `len` random ASCII letters and digits.
pub(crate) fn random_alphanumeric(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}
