//! AES-256-CBC with PKCS#7 padding over one field, base64 on the wire: the
//! field cipher of the vendor's default `Encryption` algorithm (feature
//! `wechat-encryption`; vector N1 of the vendor's DetectAuth documentation
//! tests it). [`FieldEncryption`](super::FieldEncryption) uses it for the
//! client; it is public for the other side of the wire, such as the
//! vendor's stand-in in `tencent-faceid-emulator`.
//!
//! ```
//! use tencent_faceid::wechat::aes_cbc::{self, KEY_LEN};
//! let (key, iv) = ([7; KEY_LEN], aes_cbc::fresh_iv());
//! let sealed = aes_cbc::encrypt(&key, &iv, "Zhang San");
//! assert_eq!(aes_cbc::decrypt(&key, &iv, &sealed).as_deref(), Ok("Zhang San"));
//! assert_eq!(aes_cbc::decrypt(&[8; KEY_LEN], &iv, &sealed), Err(aes_cbc::Undecrypted::Padding));
//! ```

use aes::Aes256;
use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The symmetric key's length in bytes.
pub const KEY_LEN: usize = 32;
/// The IV's length in bytes (sent base64-encoded, 24 characters).
pub const IV_LEN: usize = 16;

/// A fresh random IV.
pub fn fresh_iv() -> [u8; IV_LEN] {
    let mut iv = [0; IV_LEN];
    rand::fill(&mut iv);
    iv
}

/// `plaintext` encrypted under `key` and `iv`, base64.
pub fn encrypt(key: &[u8; KEY_LEN], iv: &[u8; IV_LEN], plaintext: &str) -> String {
    let ciphertext = cbc::Encryptor::<Aes256>::new(key.into(), iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext.as_bytes());
    STANDARD.encode(ciphertext)
}

/// Why a field did not decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undecrypted {
    /// The value is not base64.
    NotBase64,
    /// The padding is wrong: another key or IV, or not ciphertext.
    Padding,
    /// The plaintext is not UTF-8.
    NotUtf8,
}

impl Undecrypted {
    /// What is wrong, to follow a field's name.
    pub fn reason(self) -> &'static str {
        match self {
            Self::NotBase64 => "is not base64",
            Self::Padding => "does not decrypt with this key and IV",
            Self::NotUtf8 => "decrypts to bytes that are not UTF-8 text",
        }
    }
}

/// The plaintext of `ciphertext` (base64) under `key` and `iv`.
pub fn decrypt(
    key: &[u8; KEY_LEN],
    iv: &[u8; IV_LEN],
    ciphertext: &str,
) -> Result<String, Undecrypted> {
    let bytes = STANDARD
        .decode(ciphertext)
        .map_err(|_| Undecrypted::NotBase64)?;
    let plain = cbc::Decryptor::<Aes256>::new(key.into(), iv.into())
        .decrypt_padded_vec_mut::<Pkcs7>(&bytes)
        .map_err(|_| Undecrypted::Padding)?;
    String::from_utf8(plain).map_err(|_| Undecrypted::NotUtf8)
}

/// Vector N1: the vendor's own AES-256-CBC answer (its Node helper's
/// `example/encrypt-output.js`).
#[cfg(test)]
pub(super) mod n1 {
    /// The key, base64.
    pub const KEY: &str = "XJKXDwFwoYHoORb/g1ReMJ+POptUa7Ax4R+CRI0GLgU=";
    /// The answer's `Iv`.
    pub const IV: &str = "vTjCqg1Xz6Lh0pJZCNjAAQ==";
    /// `Text.IdCard`, for `440111111111111111`.
    pub const ID_CARD: &str = "8TEJyC4YWALmK5U9cw+R+1Rvs4LuNRAAm8LQkwrJEa4=";
    /// `Text.Name`, for `爱新觉罗永琪`.
    pub const NAME: &str = "QR3meQHDzArXCIuJIyETLzRtOjg0vjRxcYdKQTOE7vw=";

    /// `base64` decoded into an array.
    pub fn array<const N: usize>(base64: &str) -> [u8; N] {
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD.decode(base64);
        bytes.unwrap().try_into().unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::n1::array;
    use super::*;

    #[test]
    fn decrypts_the_official_vector_n1() {
        let key = array(n1::KEY);
        let iv = array(n1::IV);
        let (id_card, name) = (n1::ID_CARD, n1::NAME);
        assert_eq!(decrypt(&key, &iv, id_card).unwrap(), "440111111111111111");
        assert_eq!(decrypt(&key, &iv, name).unwrap(), "爱新觉罗永琪");
        // And back: the same key and IV give the vendor's bytes.
        assert_eq!(encrypt(&key, &iv, "440111111111111111"), id_card);
        assert_eq!(encrypt(&key, &iv, "爱新觉罗永琪"), name);
    }

    #[test]
    fn refuses_another_key_and_what_is_not_ciphertext() {
        let key = [7; KEY_LEN];
        let iv = [9; IV_LEN];
        let sealed = encrypt(&key, &iv, "440111111111111111");
        let other = [8; KEY_LEN];
        assert_ne!(
            decrypt(&other, &iv, &sealed).ok().as_deref(),
            Some("440111111111111111")
        );
        assert_eq!(
            decrypt(&key, &iv, "not base64!"),
            Err(Undecrypted::NotBase64)
        );
        assert_eq!(decrypt(&key, &iv, "AAAA"), Err(Undecrypted::Padding));
    }
}
