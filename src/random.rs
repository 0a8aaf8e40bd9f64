//! Random strings: nonces and order-number suffixes.

use rand::distr::{Alphanumeric, SampleString};

/// 32 random ASCII letters and digits, as the vendor's `nonce` parameters
/// want.
///
/// ```
/// let n = tencent_faceid::random::nonce();
/// assert_eq!(n.len(), 32);
/// assert!(n.chars().all(|c| c.is_ascii_alphanumeric()));
/// ```
pub fn nonce() -> String {
    random_alphanumeric(32)
}

/// `len` random ASCII letters and digits from a cryptographically secure
/// generator.
///
/// ```
/// assert_eq!(tencent_faceid::random::random_alphanumeric(8).len(), 8);
/// ```
pub fn random_alphanumeric(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}
