//! Field encryption for the WeChat channel (the vendor's `Encryption`
//! option; feature `wechat-encryption`): `DetectAuth`'s `Name` and
//! `IdCard` leave encrypted, and `GetDetectInfoEnhanced` answers
//! `Response.Text.IdCard`, `Name`, `OcrIdCard` and `OcrName` encrypted,
//! which the client decrypts.
//!
//! The scheme of the vendor's helper SDKs: for every request a fresh
//! 32-byte key, never stored (wiped when dropped), wrapped with the
//! vendor's RSA public key (PKCS#1 v1.5) into `CiphertextBlob`; the fields
//! encrypted with AES-256-CBC (PKCS#7) under a fresh 16-byte IV, base64;
//! the vendor answers with the same key and an IV of its own.
//!
//! Only AES-256-CBC, the vendor's default, is implemented: SM4-GCM would
//! bring the SM2 elliptic-curve stack and a GCM for one optional
//! algorithm.
//!
//! The `rsa` crate has an advisory without a fix (RUSTSEC-2023-0071, the
//! Marvin attack): a timing side channel that recovers a private key from
//! many timed *decryptions*. The client only *encrypts* with the vendor's
//! public key: it holds no private key, so there is nothing to time. (The
//! emulator decrypts with a published test key, which protects nothing.)

use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Encrypt, RsaPublicKey};
use zeroize::Zeroizing;

use super::error::Tc3Error;
use super::wire::{DetectAuthRequest, DetectInfo, Encryption};
use crate::secret::Secret;

pub mod aes_cbc;
mod error;

pub use error::FieldCryptoError;

use aes_cbc::{IV_LEN, KEY_LEN, fresh_iv};

/// The `Algorithm` value of AES-256-CBC, the vendor's default.
pub const AES_256_CBC: &str = "AES-256-CBC";

/// The vendor's public key for field encryption (AES-256-CBC under a key
/// wrapped with RSA), for
/// [`Tc3ClientBuilder::field_encryption`](super::Tc3ClientBuilder::field_encryption).
///
/// ```
/// use tencent_faceid::wechat::{FieldEncryption, Tc3Client};
/// # let pem = tencent_faceid_emulator::TEST_PUBLIC_KEY_PEM;
/// // `pem`: the public key from the FaceID console,
/// // "-----BEGIN RSA PUBLIC KEY-----\n...".
/// let client = Tc3Client::builder("AKIDexample", "secret-key", "1")
///     .field_encryption(FieldEncryption::aes_256_cbc(pem)?)
///     .build()?;
/// assert!(format!("{client:?}").contains("AES-256-CBC"));
/// # Ok::<(), tencent_faceid::wechat::Tc3Error>(())
/// ```
#[derive(Clone)]
pub struct FieldEncryption {
    public_key: RsaPublicKey,
}

impl fmt::Debug for FieldEncryption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldEncryption")
            .field("algorithm", &AES_256_CBC)
            .finish_non_exhaustive()
    }
}

impl FieldEncryption {
    /// AES-256-CBC with the vendor's RSA public key in PEM: PKCS#1
    /// (`-----BEGIN RSA PUBLIC KEY-----`, as the console shows it) or
    /// SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`).
    ///
    /// # Errors
    /// [`Tc3Error::Config`] when `public_key_pem` is neither.
    pub fn aes_256_cbc(public_key_pem: &str) -> Result<Self, Tc3Error> {
        let pem = public_key_pem.trim();
        let public_key = RsaPublicKey::from_pkcs1_pem(pem)
            .or_else(|_| RsaPublicKey::from_public_key_pem(pem))
            .map_err(|_| {
                Tc3Error::Config(
                    "the vendor's public key is not an RSA public key in PEM \
                     (-----BEGIN RSA PUBLIC KEY----- or -----BEGIN PUBLIC KEY-----); \
                     copy it from the FaceID console"
                        .to_owned(),
                )
            })?;
        Ok(Self { public_key })
    }

    /// The `Algorithm` sent: [`AES_256_CBC`].
    pub fn algorithm(&self) -> &'static str {
        AES_256_CBC
    }

    /// `request` with its name and id number encrypted and `Encryption`
    /// set; `None` when it carries neither.
    pub(super) fn encrypt_detect_auth(
        &self,
        request: &DetectAuthRequest,
    ) -> Result<Option<DetectAuthRequest>, FieldCryptoError> {
        let key = SymmetricKey::generate();
        let iv = fresh_iv();
        let mut sealed = request.clone();
        let mut encrypt_list = Vec::new();
        for (name, field) in [("IdCard", &mut sealed.id_card), ("Name", &mut sealed.name)] {
            if let Some(value) = field.as_mut().filter(|value| !value.is_empty()) {
                *value = Secret::new(aes_cbc::encrypt(&key.0, &iv, value.expose()));
                encrypt_list.push(name.to_owned());
            }
        }
        if encrypt_list.is_empty() {
            return Ok(None);
        }
        sealed.encryption = Some(Encryption {
            encrypt_list,
            ciphertext_blob: key.wrap(&self.public_key)?,
            iv: Some(STANDARD.encode(iv)),
            algorithm: AES_256_CBC.to_owned(),
            tag_list: Vec::new(),
        });
        Ok(Some(sealed))
    }

    /// A fresh key for an answer, and the `Encryption` that hands it to the
    /// vendor (no fields, no IV: the vendor picks the answer's).
    pub(super) fn answer_key(&self) -> Result<(SymmetricKey, Encryption), FieldCryptoError> {
        let key = SymmetricKey::generate();
        let encryption = Encryption {
            ciphertext_blob: key.wrap(&self.public_key)?,
            algorithm: AES_256_CBC.to_owned(),
            ..Encryption::default()
        };
        Ok((key, encryption))
    }
}

/// One request's symmetric key: never stored, wiped when dropped.
pub(super) struct SymmetricKey(Zeroizing<[u8; KEY_LEN]>);

impl SymmetricKey {
    fn generate() -> Self {
        let mut key = Zeroizing::new([0; KEY_LEN]);
        rand::fill(&mut *key);
        Self(key)
    }

    /// The key wrapped with `public_key` (RSA PKCS#1 v1.5), base64.
    fn wrap(&self, public_key: &RsaPublicKey) -> Result<String, FieldCryptoError> {
        let mut rng = rsa::rand_core::OsRng;
        let blob = public_key
            .encrypt(&mut rng, Pkcs1v15Encrypt, &self.0[..])
            .map_err(|e| FieldCryptoError::Wrap(Box::new(e)))?;
        Ok(STANDARD.encode(blob))
    }

    /// Decrypts, in place, the fields `info`'s `Encryption` lists, with the
    /// IV it answers.
    pub(super) fn decrypt_answer(&self, info: &mut DetectInfo) -> Result<(), FieldCryptoError> {
        let Some(encryption) = info
            .encryption
            .as_ref()
            .filter(|e| !e.encrypt_list.is_empty())
        else {
            return Ok(());
        };
        if !matches!(encryption.algorithm.as_str(), "" | AES_256_CBC) {
            return Err(FieldCryptoError::Algorithm(encryption.algorithm.clone()));
        }
        let iv: [u8; IV_LEN] = encryption
            .iv
            .as_deref()
            .and_then(|iv| STANDARD.decode(iv).ok())
            .and_then(|iv| iv.try_into().ok())
            .ok_or(FieldCryptoError::Iv)?;
        let Some(text) = info.text.as_mut() else {
            return Ok(());
        };
        for path in &encryption.encrypt_list {
            // The fields the vendor encrypts, as its `EncryptList` names them.
            let field = match path.as_str() {
                "Response.Text.IdCard" => &mut text.id_card,
                "Response.Text.Name" => &mut text.name,
                "Response.Text.OcrIdCard" => &mut text.ocr_id_card,
                "Response.Text.OcrName" => &mut text.ocr_name,
                _ => return Err(FieldCryptoError::UnknownField(path.clone())),
            };
            if let Some(value) = field.as_mut().filter(|value| !value.is_empty()) {
                let plain = aes_cbc::decrypt(&self.0, &iv, value.expose()).map_err(|why| {
                    FieldCryptoError::Field {
                        field: path.clone(),
                        reason: why.reason(),
                    }
                })?;
                *value = Secret::new(plain);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::aes_cbc::n1;
    use super::*;

    fn answer(encrypt_list: &[&str], algorithm: &str) -> DetectInfo {
        serde_json::from_value(json!({
            "Text": {"ErrCode": 0, "IdCard": n1::ID_CARD, "Name": n1::NAME, "OcrName": ""},
            "Encryption": {
                "EncryptList": encrypt_list, "CiphertextBlob": "", "Iv": n1::IV,
                "Algorithm": algorithm, "TagList": [],
            },
            "RequestId": "r",
        }))
        .unwrap()
    }

    /// Vector N1 through the client's reading of an answer.
    #[test]
    fn decrypts_the_official_n1_answer_in_place() {
        let key = SymmetricKey(Zeroizing::new(n1::array(n1::KEY)));
        let listed = [
            "Response.Text.IdCard",
            "Response.Text.Name",
            "Response.Text.OcrName",
        ];
        let mut info = answer(&listed, AES_256_CBC);
        key.decrypt_answer(&mut info).unwrap();
        let text = info.text.unwrap();
        assert_eq!(text.id_card.unwrap().expose(), "440111111111111111");
        assert_eq!(text.name.unwrap().expose(), "爱新觉罗永琪");
        assert_eq!(text.ocr_name.unwrap().expose(), "", "empty stays empty");

        let refused = |list: &[&str], algorithm| {
            key.decrypt_answer(&mut answer(list, algorithm))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            refused(&["Response.Text.Mobile"], AES_256_CBC),
            "the answer lists \"Response.Text.Mobile\" as encrypted, a field this client does not decrypt"
        );
        assert_eq!(
            refused(&["Response.Text.IdCard"], "SM4-GCM"),
            "the answer's fields are encrypted with \"SM4-GCM\", not AES-256-CBC"
        );
        let other = SymmetricKey(Zeroizing::new([1; KEY_LEN]));
        let mut info = answer(&["Response.Text.IdCard"], AES_256_CBC);
        let error = other.decrypt_answer(&mut info).unwrap_err().to_string();
        assert!(
            error.starts_with("the answer's Response.Text.IdCard "),
            "{error}"
        );
        assert!(!error.contains("4401"), "no value in the message");
    }

    #[test]
    fn a_detect_auth_request_leaves_with_its_fields_encrypted_and_nothing_else() {
        let pem = include_str!("../../../emulator/src/wechat/test_key.pub.pem");
        let encryption = FieldEncryption::aes_256_cbc(pem).unwrap();
        let mut request = DetectAuthRequest::new("1");
        assert!(encryption.encrypt_detect_auth(&request).unwrap().is_none());
        request.name = Some(Secret::new("爱新觉罗永琪"));
        request.id_card = Some(Secret::new("440111111111111111"));
        let sealed = encryption.encrypt_detect_auth(&request).unwrap().unwrap();
        let sent = sealed.encryption.as_ref().unwrap();
        assert_eq!(sent.encrypt_list, ["IdCard", "Name"]);
        assert_eq!(STANDARD.decode(&sent.ciphertext_blob).unwrap().len(), 128);
        let iv = STANDARD.decode(sent.iv.as_deref().unwrap()).unwrap();
        assert_eq!(iv.len(), IV_LEN);
        let body = serde_json::to_string(&sealed).unwrap();
        assert!(
            !body.contains("4401") && !body.contains("爱新觉罗"),
            "{body}"
        );
    }
}
