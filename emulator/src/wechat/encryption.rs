//! The `Encryption` option as the vendor's DetectAuth documentation
//! describes it (section 7), for AES-256-CBC: `CiphertextBlob` is the
//! caller's 32-byte key wrapped with the vendor's RSA public key (PKCS#1
//! v1.5, base64), `Iv` 16 bytes in base64, the fields base64 ciphertext
//! in place; the answer's sensitive fields are encrypted with the caller's
//! key under a fresh IV of the vendor's, and listed as JSON paths.
//!
//! The emulator holds a published test key pair
//! ([`TEST_PUBLIC_KEY_PEM`]) that protects nothing, so the timing side
//! channel of RSA decryption (RUSTSEC-2023-0071) has no secret to leak
//! here.
//!
//! Documented: the codes `FailedOperation.DecryptSystemError` (a blob or
//! field that does not decrypt) and `InvalidParameter.UnsupportEncryptField`.
//! *Inferred*: which mistakes give which code (a field outside `IdCard`
//! and `Name`, or a sensitive field sent but not listed, is
//! `UnsupportEncryptField`), an `Iv` also read as 16 raw characters (the
//! field's text says so, the SDKs send base64), the answer echoing the
//! request's `CiphertextBlob`. Not emulated: SM4-GCM, whole-body
//! encryption (`IsEncryptResponse`): both refused with
//! `DecryptSystemError`.

use std::io;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::{Pkcs1v15Encrypt, RsaPrivateKey};
use serde::Deserialize;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::ApiRefusal;
use super::request::read_value;
use tencent_faceid::Secret;
use tencent_faceid::wechat::aes_cbc::{self, IV_LEN, KEY_LEN, fresh_iv};

/// The emulator's test private key (RSA-1024, PKCS#1), published: it
/// protects nothing.
const TEST_PRIVATE_KEY_PEM: &str = include_str!("test_key.pem");

/// The public half of the emulator's test key pair, for
/// [`FieldEncryption::aes_256_cbc`](tencent_faceid::wechat::FieldEncryption::aes_256_cbc)
/// when the emulator has [`field_encryption`](crate::EmulatorBuilder::field_encryption).
pub const TEST_PUBLIC_KEY_PEM: &str = include_str!("test_key.pub.pem");

/// The algorithm emulated.
const AES_256_CBC: &str = "AES-256-CBC";

/// The answer's fields the vendor encrypts that the emulator fills, by
/// their `EncryptList` path and their name in `Text`.
const ANSWER_FIELDS: [(&str, &str); 2] = [
    ("Response.Text.IdCard", "IdCard"),
    ("Response.Text.Name", "Name"),
];

/// `Encryption`, by its documented field names.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EncryptionOption {
    #[serde(rename = "EncryptList", default)]
    encrypt_list: Option<Vec<String>>,
    #[serde(rename = "CiphertextBlob", default)]
    ciphertext_blob: Option<String>,
    #[serde(rename = "Iv", default)]
    iv: Option<String>,
    #[serde(rename = "Algorithm", default)]
    algorithm: Option<String>,
    #[serde(rename = "TagList", default)]
    _tag_list: Option<Vec<String>>,
}

fn undecryptable(what: &str) -> ApiRefusal {
    ApiRefusal::new(
        "FailedOperation.DecryptSystemError",
        format!("解密失败: {what}"),
    )
}

fn unsupported_field() -> ApiRefusal {
    ApiRefusal::new(
        "InvalidParameter.UnsupportEncryptField",
        "存在不加密的字段，请参考文档修改",
    )
}

/// The vendor's private key.
pub(crate) struct Keys {
    private: RsaPrivateKey,
}

impl Keys {
    /// The published test key pair.
    pub(crate) fn test_pair() -> io::Result<Self> {
        let private = RsaPrivateKey::from_pkcs1_pem(TEST_PRIVATE_KEY_PEM)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        Ok(Self { private })
    }

    /// The caller's key and the option read from `encryption`.
    fn open(&self, encryption: &Value) -> Result<(Key, EncryptionOption), ApiRefusal> {
        let option: EncryptionOption = read_value(encryption)?;
        let algorithm = option.algorithm.as_deref().unwrap_or_default();
        if !matches!(algorithm, "" | AES_256_CBC) {
            return Err(undecryptable("the emulator emulates AES-256-CBC only"));
        }
        let blob = option
            .ciphertext_blob
            .as_deref()
            .and_then(|blob| STANDARD.decode(blob).ok())
            .ok_or_else(|| undecryptable("CiphertextBlob is not base64"))?;
        let key = self
            .private
            .decrypt(Pkcs1v15Encrypt, &blob)
            .map_err(|_| undecryptable("CiphertextBlob does not decrypt with the vendor's key"))?;
        let key = Zeroizing::new(key);
        let key: [u8; KEY_LEN] = key
            .as_slice()
            .try_into()
            .map_err(|_| undecryptable("the key in CiphertextBlob is not 32 bytes"))?;
        Ok((Key(Zeroizing::new(key)), option))
    }

    /// `DetectAuth`'s `Name` and `IdCard` decrypted in place, as
    /// `encryption` says.
    pub(crate) fn open_request(
        &self,
        encryption: &Value,
        fields: [(&str, &mut Option<Secret>); 2],
    ) -> Result<(), ApiRefusal> {
        let (key, option) = self.open(encryption)?;
        let listed = option.encrypt_list.unwrap_or_default();
        let known = |name: &String| fields.iter().any(|(field, _)| *field == name.as_str());
        if !listed.iter().all(known) {
            return Err(unsupported_field());
        }
        let iv = option
            .iv
            .as_deref()
            .and_then(read_iv)
            .ok_or_else(|| undecryptable("Iv is not 16 bytes"))?;
        for (name, value) in fields {
            let Some(value) = value.as_mut() else {
                continue;
            };
            if !listed.iter().any(|listed| listed == name) {
                return Err(unsupported_field());
            }
            let plain = aes_cbc::decrypt(&key.0, &iv, value.expose())
                .map_err(|why| undecryptable(&format!("{name} {}", why.reason())))?;
            *value = Secret::new(plain);
        }
        Ok(())
    }

    /// `GetDetectInfoEnhanced`'s `Encryption`: the caller's key for the
    /// answer.
    pub(crate) fn answer_key(&self, encryption: &Value) -> Result<AnswerKey, ApiRefusal> {
        let (key, option) = self.open(encryption)?;
        if option.encrypt_list.is_some_and(|listed| !listed.is_empty()) {
            // The request has no sensitive field to encrypt.
            return Err(unsupported_field());
        }
        Ok(AnswerKey {
            key,
            blob: option.ciphertext_blob.unwrap_or_default(),
        })
    }
}

/// An `Iv`: 16 bytes in base64 (as the SDKs send it), or 16 characters.
fn read_iv(iv: &str) -> Option<[u8; IV_LEN]> {
    STANDARD
        .decode(iv)
        .ok()
        .and_then(|bytes| bytes.try_into().ok())
        .or_else(|| iv.as_bytes().try_into().ok())
}

/// One request's symmetric key, wiped when dropped.
struct Key(Zeroizing<[u8; KEY_LEN]>);

/// The caller's key for an answer.
pub(crate) struct AnswerKey {
    key: Key,
    blob: String,
}

impl AnswerKey {
    /// Encrypts `answer`'s non-empty `Text.IdCard` and `Text.Name` under a
    /// fresh IV and adds the `Encryption` that lists them.
    pub(crate) fn seal(&self, answer: &mut Value) {
        let iv = fresh_iv();
        let mut listed = Vec::new();
        if let Some(Value::Object(text)) = answer.get_mut("Text") {
            for (path, name) in ANSWER_FIELDS {
                if let Some(Value::String(value)) = text.get_mut(name)
                    && !value.is_empty()
                {
                    *value = aes_cbc::encrypt(&self.key.0, &iv, value);
                    listed.push(path);
                }
            }
        }
        if let Value::Object(fields) = answer {
            fields.insert(
                "Encryption".to_owned(),
                json!({
                    "EncryptList": listed,
                    "CiphertextBlob": self.blob,
                    "Iv": STANDARD.encode(iv),
                    "Algorithm": AES_256_CBC,
                    "TagList": [],
                }),
            );
        }
    }
}
