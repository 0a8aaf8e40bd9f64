//! Random strings: nonces and order-number suffixes.

use rand::distr::{Alphanumeric, SampleString};

/// 32 random ASCII letters and digits, as the vendor's `nonce` parameters
/// want.
pub(crate) fn nonce() -> String {
    random_alphanumeric(32)
}

/// `len` random ASCII letters and digits from a cryptographically secure
/// generator.
pub(crate) fn random_alphanumeric(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

#[cfg(test)]
mod tests {
    #[test]
    fn nonces_are_32_letters_and_digits() {
        let n = super::nonce();
        assert_eq!(n.len(), 32);
        assert!(n.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(super::random_alphanumeric(8).len(), 8);
    }
}
