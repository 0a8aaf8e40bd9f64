//! The vendor's signature: `hex(SHA1(concat(sort(values + ticket))))`.
//!
//! Every signed exchange of the H5 flow (session start, login URL, callback
//! `newSignature`, result query) uses the same rule: the parameter *values*
//! and a ticket are sorted as Java sorts `String`s (UTF-16 code units),
//! concatenated with no separator, hashed with SHA-1 and printed as 40 hex
//! characters. Case does not matter when comparing.
//!
//! [`sign`] and [`verify`] do this without touching the heap for up to
//! eight values (the vendor's longest list has seven, ticket included):
//! the values are sorted as references in a stack array and copied once,
//! into SHA-1 blocks on the stack.
//!
//! ```
//! use tencent_faceid::sign::{sign, verify, Signature};
//!
//! let ticket = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe";
//! let signature = sign(&["appId001", "test1480921551481", "0"], ticket);
//! assert_eq!(signature.to_string(), "526365E042766AE27A6E52D2E4829D4C6E156B5D");
//!
//! let from_callback: Signature = "526365e042766ae27a6e52d2e4829d4c6e156b5d".parse()?;
//! assert!(verify(&["appId001", "test1480921551481", "0"], ticket, &from_callback));
//! # Ok::<(), tencent_faceid::sign::ParseSignatureError>(())
//! ```

use std::cmp::Ordering;
use std::fmt;
use std::slice;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};
use sha1::digest::generic_array::GenericArray;
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

/// How many values (ticket included) are sorted on the stack; longer lists
/// are still signed correctly, through one heap allocation.
///
/// The vendor's longest signed list has six values plus the ticket.
pub(crate) const INLINE_VALUES: usize = 8;

/// A SHA-1 signature of the vendor's signing rule: 20 bytes.
///
/// `Display` prints the 40 upper-case hex characters the vendor prints;
/// [`FromStr`] accepts either case. Equality is constant-time.
#[derive(Clone, Copy, Eq)]
pub struct Signature([u8; 20]);

impl Signature {
    /// Wraps raw SHA-1 digest bytes.
    ///
    /// ```
    /// use tencent_faceid::sign::Signature;
    /// let s = Signature::from_bytes([0xab; 20]);
    /// assert_eq!(s.as_bytes(), &[0xab; 20]);
    /// ```
    pub const fn from_bytes(bytes: [u8; 20]) -> Self {
        Self(bytes)
    }

    /// The 20 digest bytes.
    ///
    /// ```
    /// use tencent_faceid::sign::Signature;
    /// assert_eq!(Signature::from_bytes([0; 20]).as_bytes().len(), 20);
    /// ```
    pub const fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// The 40 upper-case hex characters, without allocating.
    ///
    /// ```
    /// use tencent_faceid::sign::Signature;
    /// let hex = Signature::from_bytes([0xab; 20]).to_hex();
    /// assert_eq!(std::str::from_utf8(&hex).unwrap(), "AB".repeat(20));
    /// ```
    pub fn to_hex(&self) -> [u8; 40] {
        const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
        let mut out = [0u8; 40];
        for (pair, byte) in out.chunks_exact_mut(2).zip(self.0) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0x0f)];
        }
        out
    }
}

impl PartialEq for Signature {
    /// Compares in constant time, so a forger learns nothing from timing.
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.to_hex();
        // The buffer only ever holds ASCII hex digits.
        f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({self})")
    }
}

impl Serialize for Signature {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a string is not a signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseSignatureError {
    /// The input is not 40 characters long.
    #[error("a signature is 40 hex characters, this one has {0} characters")]
    WrongLength(usize),
    /// A character is not a hex digit.
    #[error("a signature is 40 hex characters (0-9, a-f, A-F); character {position} is not")]
    NotHex {
        /// Zero-based position of the first offending character.
        position: usize,
    },
}

impl FromStr for Signature {
    type Err = ParseSignatureError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bytes = s.as_bytes();
        if bytes.len() != 40 {
            return Err(ParseSignatureError::WrongLength(s.chars().count()));
        }
        let mut out = [0u8; 20];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let high = hex_value(pair[0]).ok_or(ParseSignatureError::NotHex { position: 2 * i })?;
            let low = hex_value(pair[1]).ok_or(ParseSignatureError::NotHex {
                position: 2 * i + 1,
            })?;
            out[i] = high << 4 | low;
        }
        Ok(Self(out))
    }
}

/// Each byte's value as a hex digit, or [`NOT_HEX`]: a table lookup has no
/// branches to mispredict on random signatures.
const HEX_VALUES: [u8; 256] = {
    let mut table = [NOT_HEX; 256];
    let mut i = 0;
    while i < 10 {
        table[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        table[b'a' as usize + i] = 10 + i as u8;
        table[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    table
};
const NOT_HEX: u8 = 0xFF;

fn hex_value(c: u8) -> Option<u8> {
    match HEX_VALUES[usize::from(c)] {
        NOT_HEX => None,
        value => Some(value),
    }
}

/// Compares two strings as Java's `String.compareTo` does: by UTF-16 code
/// units.
///
/// This equals byte order for ASCII and for most of Unicode; it differs only
/// when a character outside the Basic Multilingual Plane (a surrogate pair in
/// UTF-16) meets one in U+E000..=U+FFFF at the first difference.
///
/// ```
/// use std::cmp::Ordering;
/// use tencent_faceid::sign::java_string_order;
/// // U+20000 (a rare CJK ideograph) sorts before U+FF21 in UTF-16.
/// assert_eq!(java_string_order("\u{20000}", "\u{FF21}"), Ordering::Less);
/// assert_eq!(java_string_order("abc", "abd"), Ordering::Less);
/// ```
pub fn java_string_order(a: &str, b: &str) -> Ordering {
    let (ab, bb) = (a.as_bytes(), b.as_bytes());
    let Some(first_difference) = ab.iter().zip(bb).position(|(x, y)| x != y) else {
        return ab.len().cmp(&bb.len());
    };
    if ab[first_difference] < 0x80 || bb[first_difference] < 0x80 {
        // An ASCII byte at the difference: it starts a character smaller
        // than any non-ASCII one, in byte and UTF-16 order alike.
        return ab[first_difference].cmp(&bb[first_difference]);
    }
    // Both strings share every byte before the difference, so they share
    // its character boundary too: compare the two differing characters.
    let start = (0..=first_difference)
        .rev()
        .find(|&i| a.is_char_boundary(i))
        .unwrap_or(0);
    match (a[start..].chars().next(), b[start..].chars().next()) {
        (Some(x), Some(y)) => {
            let (mut xb, mut yb) = ([0u16; 2], [0u16; 2]);
            x.encode_utf16(&mut xb).cmp(&y.encode_utf16(&mut yb))
        }
        _ => ab.len().cmp(&bb.len()),
    }
}

/// How many 64-byte SHA-1 blocks the concatenated values are assembled in
/// on the stack; longer input is streamed into the hasher piece by piece.
const INLINE_BLOCKS: usize = 8;

/// SHA-1's initial state (FIPS 180-4, 5.3.1).
const SHA1_INITIAL_STATE: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];

/// SHA-1 of `pieces` concatenated, if they fit in [`INLINE_BLOCKS`] with
/// the padding: the pieces are copied once, straight into the blocks that
/// are compressed, with no hasher buffer in between.
fn sha1_inline(pieces: &[&str]) -> Option<[u8; 20]> {
    let len: usize = pieces.iter().map(|piece| piece.len()).sum();
    // The padding: a 0x80 byte, zeros, and the length in bits (8 bytes).
    let block_count = (len + 1 + 8).div_ceil(64);
    if block_count > INLINE_BLOCKS {
        return None;
    }
    // Zeroed: the zeros of the padding are already in place.
    let mut bytes = [0u8; INLINE_BLOCKS * 64];
    let mut end = 0;
    for piece in pieces {
        bytes[end..end + piece.len()].copy_from_slice(piece.as_bytes());
        end += piece.len();
    }
    bytes[end] = 0x80;
    let blocks = &mut bytes[..block_count * 64];
    let length_at = blocks.len() - 8;
    blocks[length_at..].copy_from_slice(&(len as u64 * 8).to_be_bytes());
    let mut state = SHA1_INITIAL_STATE;
    for block in blocks.chunks_exact(64) {
        sha1::compress(&mut state, slice::from_ref(GenericArray::from_slice(block)));
    }
    let mut digest = [0u8; 20];
    for (out, word) in digest.chunks_exact_mut(4).zip(state) {
        out.copy_from_slice(&word.to_be_bytes());
    }
    Some(digest)
}

/// Sorts `values` plus `ticket` in the vendor's order and hands the sorted
/// slice to `f`. No heap allocation up to [`INLINE_VALUES`] values.
fn with_sorted<R>(values: &[&str], ticket: &str, f: impl FnOnce(&[&str]) -> R) -> R {
    let count = values.len() + 1;
    let mut inline = [""; INLINE_VALUES];
    let mut spilled = Vec::new();
    let sorted: &mut [&str] = if count <= INLINE_VALUES {
        &mut inline[..count]
    } else {
        spilled.resize(count, "");
        &mut spilled
    };
    sorted[..values.len()].copy_from_slice(values);
    sorted[values.len()] = ticket;
    sorted.sort_unstable_by(|a, b| java_string_order(a, b));
    f(sorted)
}

/// Signs `values` with `ticket` as the vendor does.
///
/// Pass only the values that are present: the vendor drops absent ones.
///
/// ```
/// use tencent_faceid::sign::sign;
/// let ticket = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe";
/// let values = ["appId001", "orderNo19959248596551", "testName", "4300000000000",
///               "userID19959248596551", "1.0.0"];
/// assert_eq!(sign(&values, ticket).to_string(), "EE57F7C1EDDE7B6BB0DFB54CD902836B8EB0575B");
/// ```
pub fn sign(values: &[&str], ticket: &str) -> Signature {
    with_sorted(values, ticket, |sorted| {
        if let Some(digest) = sha1_inline(sorted) {
            return Signature(digest);
        }
        let mut hasher = Sha1::new();
        for value in sorted {
            hasher.update(value.as_bytes());
        }
        Signature(hasher.finalize().into())
    })
}

/// Checks `expected` against the signature of `values` and `ticket`, in
/// constant time.
///
/// ```
/// use tencent_faceid::sign::{sign, verify};
/// let good = sign(&["a", "b"], "ticket");
/// assert!(verify(&["b", "a"], "ticket", &good));
/// assert!(!verify(&["a", "c"], "ticket", &good));
/// ```
pub fn verify(values: &[&str], ticket: &str, expected: &Signature) -> bool {
    sign(values, ticket) == *expected
}

/// What [`explain`] shows: how a signature came to be, the ticket redacted.
///
/// Its `Display` is the text to read when a signature does not match the
/// vendor's: compare the sorted list and the concatenation with the
/// vendor's values (a missing, extra or differently spelled value is the
/// usual cause).
#[derive(Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The values in signing order, the ticket replaced by [`Explanation::TICKET_PLACEHOLDER`].
    pub sorted: Vec<String>,
    /// The concatenation that was hashed, the ticket replaced likewise.
    pub concatenated: String,
    /// The resulting signature.
    pub signature: Signature,
}

impl Explanation {
    /// Stands in for the ticket wherever it would appear.
    pub const TICKET_PLACEHOLDER: &'static str = "<ticket>";
}

impl fmt::Debug for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "sorted values ({}):", self.sorted.len())?;
        for (i, value) in self.sorted.iter().enumerate() {
            writeln!(f, "  {:>2}. {value}", i + 1)?;
        }
        writeln!(f, "concatenated: {}", self.concatenated)?;
        write!(f, "signature:    {}", self.signature)
    }
}

/// Explains the signature of `values` and `ticket`, for debugging a
/// mismatch; the ticket never appears in the result.
///
/// ```
/// use tencent_faceid::sign::explain;
/// let e = explain(&["appId001", "test1480921551481", "0"], "secret-ticket");
/// assert_eq!(e.sorted, ["0", "appId001", "<ticket>", "test1480921551481"]);
/// assert!(!e.to_string().contains("secret-ticket"));
/// ```
pub fn explain(values: &[&str], ticket: &str) -> Explanation {
    let sorted: Vec<String> = with_sorted(values, ticket, |sorted| {
        let mut ticket_seen = false;
        sorted
            .iter()
            .map(|value| {
                // Identify the ticket by identity, not content, so a value
                // that happens to equal it is still shown.
                let is_ticket = !ticket_seen && std::ptr::eq(*value, ticket);
                ticket_seen |= is_ticket;
                if is_ticket {
                    Explanation::TICKET_PLACEHOLDER.to_owned()
                } else {
                    (*value).to_owned()
                }
            })
            .collect()
    });
    Explanation {
        concatenated: sorted.concat(),
        sorted,
        signature: sign(values, ticket),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_blocks_hash_as_sha1_does_at_every_length() {
        // Every padding case: around 55/56/64 bytes and the inline limit.
        let text = "0123456789abcdef".repeat(40);
        for len in 0..=text.len() {
            let (head, tail) = text[..len].split_at(len / 3);
            let expected: [u8; 20] = Sha1::digest(&text.as_bytes()[..len]).into();
            match sha1_inline(&[head, tail]) {
                Some(digest) => assert_eq!(digest, expected, "length {len}"),
                None => assert!(len + 9 > INLINE_BLOCKS * 64, "length {len} fits inline"),
            }
            // Inline or streamed, `sign` hashes the sorted concatenation.
            let sorted = match java_string_order(head, tail) {
                Ordering::Greater => [tail, head].concat(),
                _ => [head, tail].concat(),
            };
            let expected: [u8; 20] = Sha1::digest(sorted.as_bytes()).into();
            assert_eq!(sign(&[head], tail).as_bytes(), &expected, "length {len}");
        }
    }

    const TICKET: &str = "duSz9ptwyW1Xn7r6gYItxz3feMdJ8Na5x7JZuoxurE7RcI5TdwCE4KT2eEeNNDoe";

    #[test]
    fn callback_seed_vector() {
        let s = sign(&["appId001", "test1480921551481", "0"], TICKET);
        assert_eq!(s.to_string(), "526365E042766AE27A6E52D2E4829D4C6E156B5D");
    }

    #[test]
    fn start_seed_vector() {
        let values = [
            "1.0.0",
            "4300000000000",
            "appId001",
            "orderNo19959248596551",
            "testName",
            "userID19959248596551",
        ];
        assert_eq!(
            sign(&values, TICKET).to_string(),
            "EE57F7C1EDDE7B6BB0DFB54CD902836B8EB0575B"
        );
    }

    #[test]
    fn seed_concatenation_is_shown_with_ticket_redacted() {
        let e = explain(&["appId001", "test1480921551481", "0"], TICKET);
        assert_eq!(e.concatenated, "0appId001<ticket>test1480921551481");
        assert!(!format!("{e} {e:?}").contains(TICKET));
    }

    #[test]
    fn value_equal_to_ticket_is_not_redacted() {
        let e = explain(&["same"], &String::from("same"));
        let mut shown = e.sorted.clone();
        shown.sort();
        assert_eq!(shown, ["<ticket>", "same"]);
    }

    #[test]
    fn long_value_lists_spill_to_the_heap_and_still_sign() {
        let values: Vec<String> = (0..40).map(|i| format!("v{i:02}")).collect();
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        let mut reversed = refs.clone();
        reversed.reverse();
        assert_eq!(sign(&refs, "t"), sign(&reversed, "t"));
        assert_eq!(explain(&refs, "t").sorted.len(), 41);
    }

    #[test]
    fn parse_rejects_bad_lengths_and_digits() {
        assert_eq!(
            "abc".parse::<Signature>(),
            Err(ParseSignatureError::WrongLength(3))
        );
        let mut s = "0".repeat(39);
        s.push('g');
        assert_eq!(
            s.parse::<Signature>(),
            Err(ParseSignatureError::NotHex { position: 39 })
        );
        // 40 bytes but not 40 characters.
        let multibyte = format!("{}é", "0".repeat(38));
        assert_eq!(
            multibyte.parse::<Signature>(),
            Err(ParseSignatureError::NotHex { position: 38 })
        );
    }
}
