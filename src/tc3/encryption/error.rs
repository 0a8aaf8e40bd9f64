//! [`FieldCryptoError`]: why the client could not encrypt a request's
//! fields or decrypt an answer's.

/// Why field encryption failed, the cause of
/// [`Tc3Error::Encryption`](crate::tc3::Tc3Error::Encryption). Never holds
/// a key or a field's value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FieldCryptoError {
    /// The vendor's public key could not wrap the symmetric key (a key
    /// too small for it, or no system randomness).
    #[error("the symmetric key could not be wrapped with the vendor's public key")]
    Wrap(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The answer names an algorithm the client does not implement.
    #[error("the answer's fields are encrypted with {0:?}, not AES-256-CBC")]
    Algorithm(String),
    /// The answer's `Iv` is not 16 bytes in base64.
    #[error("the answer's Iv is not 16 bytes in base64")]
    Iv,
    /// The answer lists a field the client does not know as encrypted.
    #[error("the answer lists {0:?} as encrypted, a field this client does not decrypt")]
    UnknownField(String),
    /// An encrypted field did not decrypt.
    #[error("the answer's {field} {reason}")]
    Field {
        /// The field's path, such as `Response.Text.IdCard`.
        field: String,
        /// What is wrong with it.
        reason: &'static str,
    },
}
