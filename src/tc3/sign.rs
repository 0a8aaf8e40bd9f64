//! TC3-HMAC-SHA256, the request signature of Tencent Cloud API 3.0
//! (the vendor's "签名方法 v3"), step by step as documented: the canonical
//! request, the string to sign, the derived key, the `Authorization`
//! header.
//!
//! The documented worked examples are this module's tests, through
//! [`authorization`]:
//!
//! ```
//! use tencent_faceid::Secret;
//! use tencent_faceid::wechat::sign::{SigningInput, authorization};
//! // The vendor's worked example with `SignedHeaders=content-type;host`.
//! let body = br#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
//! let input = SigningInput {
//!     method: "POST",
//!     query: "",
//!     headers: &[
//!         ("Content-Type", "application/json; charset=utf-8"),
//!         ("Host", "cvm.tencentcloudapi.com"),
//!     ],
//!     payload: body,
//!     service: "cvm",
//!     timestamp: 1_551_113_065,
//! };
//! let key = Secret::new("Gu5t9xGARNpq86cd98joQYCN3*******");
//! assert_eq!(
//!     authorization("AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******", &key, &input),
//!     "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, \
//!      SignedHeaders=content-type;host, \
//!      Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
//! );
//! ```

use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::secret::Secret;

/// The algorithm's name, first in the string to sign and the header.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";

/// What a TC3 signature covers.
#[derive(Debug, Clone, Copy)]
pub struct SigningInput<'a> {
    /// `POST` (or `GET`).
    pub method: &'a str,
    /// The canonical query string: `""` for `POST`, the URL-encoded query
    /// after `?` for `GET`.
    pub query: &'a str,
    /// The signed headers, names and values exactly as sent; they must
    /// include `Content-Type` and `Host`. Their order does not matter.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body, byte for byte as sent (empty for `GET`).
    pub payload: &'a [u8],
    /// The product: `faceid` (the host's first label).
    pub service: &'a str,
    /// `X-TC-Timestamp`, Unix seconds.
    pub timestamp: u64,
}

impl SigningInput<'_> {
    /// `lower(name):lower(trim(value))\n` for every header, sorted by name,
    /// and the names joined by `;`.
    fn canonical_headers(&self) -> (String, String) {
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.trim().to_lowercase()))
            .collect();
        headers.sort();
        let canonical = headers
            .iter()
            .fold(String::new(), |mut out, (name, value)| {
                let _ = writeln!(out, "{name}:{value}");
                out
            });
        let names: Vec<&str> = headers.iter().map(|(name, _)| name.as_str()).collect();
        (canonical, names.join(";"))
    }

    /// The signed header names, lower-case, sorted, joined by `;`.
    pub fn signed_headers(&self) -> String {
        self.canonical_headers().1
    }

    /// The canonical request (step 1): method, `/`, query, headers, signed
    /// header names and the payload's SHA-256, one per line.
    pub fn canonical_request(&self) -> String {
        let (headers, names) = self.canonical_headers();
        format!(
            "{}\n/\n{}\n{headers}\n{names}\n{}",
            self.method,
            self.query,
            hex(&Sha256::digest(self.payload))
        )
    }

    /// `Date/service/tc3_request`, the date being the UTC date of the
    /// timestamp.
    pub fn credential_scope(&self) -> String {
        format!("{}/{}/tc3_request", utc_date(self.timestamp), self.service)
    }

    /// The string to sign (step 2).
    pub fn string_to_sign(&self) -> String {
        format!(
            "{ALGORITHM}\n{}\n{}\n{}",
            self.timestamp,
            self.credential_scope(),
            hex(&Sha256::digest(self.canonical_request().as_bytes()))
        )
    }
}

/// The signature (step 3): HMAC-SHA256 of the string to sign with the key
/// derived from `secret_key`, the date and the service; lower-case hex.
pub fn signature(secret_key: &Secret, input: &SigningInput<'_>) -> String {
    let date = utc_date(input.timestamp);
    let secret_date = hmac(format!("TC3{}", secret_key.expose()).as_bytes(), &date);
    let secret_service = hmac(&secret_date, input.service);
    let secret_signing = hmac(&secret_service, "tc3_request");
    hex(&hmac(&secret_signing, &input.string_to_sign()))
}

/// The `Authorization` header (step 4):
/// `TC3-HMAC-SHA256 Credential=<SecretId>/<scope>, SignedHeaders=<names>, Signature=<hex>`.
pub fn authorization(secret_id: &str, secret_key: &Secret, input: &SigningInput<'_>) -> String {
    format!(
        "{ALGORITHM} Credential={secret_id}/{}, SignedHeaders={}, Signature={}",
        input.credential_scope(),
        input.signed_headers(),
        signature(secret_key, input)
    )
}

/// `YYYY-MM-DD`, the UTC date of `timestamp` (Unix seconds).
pub fn utc_date(timestamp: u64) -> String {
    let (year, month, day, _) = crate::clock::civil(timestamp);
    format!("{year:04}-{month:02}-{day:02}")
}

fn hmac(key: &[u8], message: &str) -> Vec<u8> {
    // HMAC takes keys of any length: `new_from_slice` cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The body of the vendor's CVM examples (V1-V3), `\u672a` as literal
    /// backslash sequences.
    const CVM_BODY: &[u8] = br#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
    const OLD_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******";
    const OLD_KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3*******";

    fn cvm(headers: &'static [(&'static str, &'static str)]) -> SigningInput<'static> {
        SigningInput {
            method: "POST",
            query: "",
            headers,
            payload: CVM_BODY,
            service: "cvm",
            timestamp: 1_551_113_065,
        }
    }

    const WITH_ACTION: &[(&str, &str)] = &[
        ("Content-Type", "application/json; charset=utf-8"),
        ("Host", "cvm.tencentcloudapi.com"),
        ("X-TC-Action", "DescribeInstances"),
    ];
    const WITHOUT_ACTION: &[(&str, &str)] = &[
        ("Host", "cvm.tencentcloudapi.com"),
        ("Content-Type", "application/json; charset=utf-8"),
    ];

    fn sha256_hex(text: &str) -> String {
        hex(&Sha256::digest(text.as_bytes()))
    }

    #[test]
    fn v1_current_revision_signs_the_action_too() {
        let input = cvm(WITH_ACTION);
        assert_eq!(
            input.canonical_request(),
            "POST\n/\n\ncontent-type:application/json; charset=utf-8\nhost:cvm.tencentcloudapi.com\n\
             x-tc-action:describeinstances\n\ncontent-type;host;x-tc-action\n\
             35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
        );
        assert_eq!(
            sha256_hex(&input.canonical_request()),
            "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
        );
        assert_eq!(
            input.string_to_sign(),
            "TC3-HMAC-SHA256\n1551113065\n2019-02-25/cvm/tc3_request\n\
             7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
        );
        let key = Secret::new("*".repeat(32));
        assert_eq!(
            signature(&key, &input),
            "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"
        );
    }

    #[test]
    fn v2_earlier_revision() {
        assert_eq!(
            authorization(OLD_ID, &Secret::new(OLD_KEY), &cvm(WITH_ACTION)),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host;x-tc-action, \
             Signature=be4f67d323c78ab9acb7395e43c0dbcf822a9cfac32fea2449a7bc7726b770a3"
        );
    }

    #[test]
    fn v3_content_type_and_host_only() {
        let input = cvm(WITHOUT_ACTION);
        assert_eq!(
            sha256_hex(&input.canonical_request()),
            "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
        );
        assert_eq!(
            authorization(OLD_ID, &Secret::new(OLD_KEY), &input),
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host, \
             Signature=2230eefd229f582d8b1b891af7107b91597240707d778ab3738f756258d7652c"
        );
    }

    #[test]
    fn v4_get_with_a_query() {
        let input = SigningInput {
            method: "GET",
            query: "Limit=10&Offset=0",
            headers: &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Host", "cvm.tencentcloudapi.com"),
            ],
            payload: b"",
            service: "cvm",
            timestamp: 1_539_084_154,
        };
        assert_eq!(
            sha256_hex(&input.canonical_request()),
            "91c9c192c14460df6c1ffc69e34e6c5e90708de2a6d282cccf957dbf1aa7f3a7"
        );
        let key = Secret::new("Gu5t9xGARNpq86cd98joQYCN3EXAMPLE");
        assert_eq!(
            signature(&key, &input),
            "5da7a33f6993f0614b047e5df4582db9e9bf4672ba50567dba16c6ccf174c474"
        );
    }

    fn faceid(body: &'static [u8]) -> SigningInput<'static> {
        SigningInput {
            method: "POST",
            query: "",
            headers: &[
                ("Content-Type", "application/json"),
                ("Host", "faceid.tencentcloudapi.com"),
            ],
            payload: body,
            service: "faceid",
            timestamp: 1_551_113_065,
        }
    }

    #[test]
    fn d1_detect_auth() {
        let input = faceid(
            br#"{"RuleId":"1","RedirectUrl":"https://www.qq.com","Extra":"Orderid=f904f4cf75db4f8fdc4f942c7f7a"}"#,
        );
        assert_eq!(
            sha256_hex(&input.canonical_request()),
            "cebf2a17c8162893baac0ee2383ff3447b65c88c90b0a2f6b8f263778e7b20cb"
        );
        assert_eq!(
            signature(&Secret::new(OLD_KEY), &input),
            "453665a85ed0f05be31f2aa3a81fd31f3320b3c0123d4aeadefc90d3fce088cc"
        );
    }

    #[test]
    fn d2_get_detect_info_enhanced() {
        let input = faceid(
            br#"{"BizToken":"CE661F1A-0F1E-45BD-BE13-34C05CEA7681","RuleId":"0","InfoType":"0"}"#,
        );
        assert_eq!(
            sha256_hex(&input.canonical_request()),
            "d25f97d59c678bf71002faf877cf90e169ba52c8eb132816b0f626c885f3e5a7"
        );
        assert_eq!(
            signature(&Secret::new(OLD_KEY), &input),
            "d60224bab719d1406c5f2423485167d6b54fe31c61ada52dac7a913d48ab242a"
        );
    }

    #[test]
    fn the_date_is_utc_not_beijing() {
        // 2019-02-26 00:44:25 in Beijing, still the 25th in UTC.
        assert_eq!(utc_date(1_551_113_065), "2019-02-25");
        assert_eq!(utc_date(0), "1970-01-01");
    }
}
