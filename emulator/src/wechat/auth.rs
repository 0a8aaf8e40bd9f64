//! The TC3-HMAC-SHA256 check, as the vendor's DetectAuth documentation says the vendor
//! makes it: from the headers and body bytes received and the
//! `SignedHeaders` the client declared (which must include `content-type`
//! and `host`), with the documented codes.
//!
//! The signature is recomputed with [`tencent_faceid::wechat::sign::signature`], the
//! function the documented worked examples test.

use std::time::UNIX_EPOCH;

use axum::http::HeaderMap;
use subtle::ConstantTimeEq;

use super::{ApiRefusal, Settings};
use tencent_faceid::wechat::sign::{ALGORITHM, SigningInput, signature, utc_date};

/// How far `X-TC-Timestamp` may be from the vendor's clock (documented:
/// "超过5分钟").
pub(super) const SKEW_WINDOW_SECS: u64 = 300;

/// The parts of `Authorization: TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request, SignedHeaders=<names>, Signature=<hex>`.
struct Authorization<'a> {
    secret_id: &'a str,
    date: &'a str,
    service: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

fn parse(header: &str) -> Option<Authorization<'_>> {
    let rest = header.strip_prefix(ALGORITHM)?.strip_prefix(' ')?;
    let mut parts = rest.split(", ");
    let credential = parts.next()?.strip_prefix("Credential=")?;
    let signed_headers = parts.next()?.strip_prefix("SignedHeaders=")?;
    let signature = parts.next()?.strip_prefix("Signature=")?;
    if parts.next().is_some() {
        return None;
    }
    let mut scope = credential.rsplitn(4, '/');
    let terminator = scope.next()?;
    let service = scope.next()?;
    let date = scope.next()?;
    let secret_id = scope.next()?;
    (terminator == "tc3_request" && !secret_id.is_empty()).then(|| Authorization {
        secret_id,
        date,
        service,
        signed_headers: signed_headers.split(';').collect(),
        signature,
    })
}

fn invalid_authorization() -> ApiRefusal {
    ApiRefusal::new(
        "AuthFailure.InvalidAuthorization",
        "请求头部的 Authorization 不符合腾讯云标准。",
    )
}

fn signature_failure() -> ApiRefusal {
    ApiRefusal::new(
        "AuthFailure.SignatureFailure",
        "请求签名验证失败，请检查您的签名计算是否正确。",
    )
}

/// Checks the request's TC3 signature at `now` (Unix seconds).
pub(super) fn check(
    settings: &Settings,
    headers: &HeaderMap,
    body: &[u8],
    now: u64,
) -> Result<(), ApiRefusal> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok());
    let authorization = header("authorization")
        .and_then(parse)
        .ok_or_else(invalid_authorization)?;
    if !authorization.signed_headers.contains(&"content-type")
        || !authorization.signed_headers.contains(&"host")
    {
        return Err(invalid_authorization());
    }
    if authorization.secret_id != settings.secret_id {
        return Err(ApiRefusal::new(
            "AuthFailure.SecretIdNotFound",
            "密钥不存在，请在控制台检查密钥是否已被删除或者禁用。",
        ));
    }
    let timestamp: u64 = header("x-tc-timestamp")
        .and_then(|value| value.parse().ok())
        .ok_or_else(|| ApiRefusal::new("MissingParameter", "缺少参数 X-TC-Timestamp。"))?;
    if now.abs_diff(timestamp) > SKEW_WINDOW_SECS {
        return Err(ApiRefusal::new(
            "AuthFailure.SignatureExpire",
            format!(
                "签名过期。Timestamp 和服务器时间相差不得超过五分钟，请检查本地时间是否和标准时间同步。(请求时间 {timestamp}，服务器时间 {now})"
            ),
        ));
    }
    if authorization.date != utc_date(timestamp)
        || authorization.service != tencent_faceid::wechat::SERVICE
    {
        return Err(signature_failure());
    }
    let signed: Vec<(&str, &str)> = authorization
        .signed_headers
        .iter()
        .map(|name| header(name).map(|value| (*name, value)))
        .collect::<Option<_>>()
        .ok_or_else(signature_failure)?;
    let input = SigningInput {
        method: "POST",
        query: "",
        headers: &signed,
        payload: body,
        service: authorization.service,
        timestamp,
    };
    let expected = signature(&settings.secret_key, &input);
    if expected
        .as_bytes()
        .ct_eq(authorization.signature.as_bytes())
        .into()
    {
        Ok(())
    } else {
        Err(signature_failure())
    }
}

/// Unix seconds of the vendor's clock.
pub(super) fn unix_seconds(time: std::time::SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;
    use tencent_faceid::Secret;

    fn settings() -> Settings {
        Settings {
            secret_id: "AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******".to_owned(),
            secret_key: Secret::new("Gu5t9xGARNpq86cd98joQYCN3*******"),
            rule_id: "1".to_owned(),
            #[cfg(feature = "wechat-encryption")]
            keys: None,
        }
    }

    const D1_BODY: &[u8] = br#"{"RuleId":"1","RedirectUrl":"https://www.qq.com","Extra":"Orderid=f904f4cf75db4f8fdc4f942c7f7a"}"#;

    /// The request of vector D1 (the vendor's DetectAuth documentation), as sent.
    fn d1_headers(signature: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let mut set = |name: &'static str, value: &str| {
            headers.insert(name, HeaderValue::from_str(value).unwrap());
        };
        set("host", "faceid.tencentcloudapi.com");
        set("content-type", "application/json");
        set("x-tc-action", "DetectAuth");
        set("x-tc-timestamp", "1551113065");
        set(
            "authorization",
            &format!(
                "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3*******/2019-02-25/faceid/tc3_request, \
                 SignedHeaders=content-type;host, Signature={signature}"
            ),
        );
        headers
    }

    const D1_SIGNATURE: &str = "453665a85ed0f05be31f2aa3a81fd31f3320b3c0123d4aeadefc90d3fce088cc";

    #[test]
    fn accepts_the_documented_d1_request() {
        let headers = d1_headers(D1_SIGNATURE);
        assert!(check(&settings(), &headers, D1_BODY, 1_551_113_065).is_ok());
        // Anywhere within five minutes.
        assert!(check(&settings(), &headers, D1_BODY, 1_551_113_065 + 300).is_ok());
    }

    #[test]
    fn refuses_a_changed_body_a_wrong_signature_and_an_old_timestamp() {
        let code = |headers: &HeaderMap, body: &[u8], now: u64| {
            check(&settings(), headers, body, now).unwrap_err().code
        };
        let good = d1_headers(D1_SIGNATURE);
        assert_eq!(
            code(&good, b"{}", 1_551_113_065),
            "AuthFailure.SignatureFailure"
        );
        let wrong = d1_headers(&D1_SIGNATURE.replace('4', "5"));
        assert_eq!(
            code(&wrong, D1_BODY, 1_551_113_065),
            "AuthFailure.SignatureFailure"
        );
        assert_eq!(
            code(&good, D1_BODY, 1_551_113_065 + 301),
            "AuthFailure.SignatureExpire"
        );
        assert_eq!(
            code(&good, D1_BODY, 1_551_113_065 - 301),
            "AuthFailure.SignatureExpire"
        );
        let mut malformed = good.clone();
        malformed.insert("authorization", HeaderValue::from_static("Bearer x"));
        assert_eq!(
            code(&malformed, D1_BODY, 1_551_113_065),
            "AuthFailure.InvalidAuthorization"
        );
        let mut other_id = settings();
        other_id.secret_id = "AKIDother".to_owned();
        assert_eq!(
            check(&other_id, &good, D1_BODY, 1_551_113_065)
                .unwrap_err()
                .code,
            "AuthFailure.SecretIdNotFound"
        );
    }
}
