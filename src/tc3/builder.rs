//! [`Tc3ClientBuilder`]: the API 3.0 client's settings, their defaults,
//! and the `FACEID_TC3_*` environment variables.

use std::time::Duration;

use url::Url;

use super::Tc3Client;
use super::error::Tc3Error;
use crate::client::DEFAULT_MAX_BODY_BYTES;
use crate::clock::Clock;
use crate::contact::ContactLog;
use crate::secret::Secret;

/// The vendor's API 3.0 endpoint for FaceID.
pub const DEFAULT_TC3_BASE_URL: &str = "https://faceid.tencentcloudapi.com/";

/// Configures a [`Tc3Client`].
///
/// ```
/// use std::time::Duration;
/// use tencent_faceid::wechat::Tc3Client;
/// let client = Tc3Client::builder("AKIDexample", "secret-key", "1")
///     .region("ap-guangzhou")
///     .timeout(Duration::from_secs(5))
///     .build()?;
/// assert_eq!(client.rule_id(), "1");
/// # Ok::<(), tencent_faceid::wechat::Tc3Error>(())
/// ```
#[derive(Debug)]
pub struct Tc3ClientBuilder {
    secret_id: String,
    secret_key: Secret,
    rule_id: String,
    region: Option<String>,
    base_url: String,
    timeout: Duration,
    connect_timeout: Duration,
    http: Option<reqwest::Client>,
    clock: Clock,
    max_body_bytes: usize,
    #[cfg(feature = "wechat-encryption")]
    encryption: Option<super::FieldEncryption>,
}

impl Tc3ClientBuilder {
    pub(super) fn new(secret_id: String, secret_key: Secret, rule_id: String) -> Self {
        Self {
            secret_id,
            secret_key,
            rule_id,
            region: None,
            base_url: DEFAULT_TC3_BASE_URL.to_owned(),
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            http: None,
            clock: Clock::system(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            #[cfg(feature = "wechat-encryption")]
            encryption: None,
        }
    }

    /// A builder from the environment: `FACEID_TC3_SECRET_ID`,
    /// `FACEID_TC3_SECRET_KEY` and `FACEID_TC3_RULE_ID` (required),
    /// `FACEID_TC3_REGION` and `FACEID_TC3_BASE_URL` (for a stand-in
    /// vendor such as the emulator) when set. `FACEID_TC3_PUBLIC_KEY` (the
    /// vendor's PEM public key) turns on field encryption (feature
    /// `wechat-encryption`) with `FACEID_TC3_ENCRYPTION`, `aes-256-cbc`
    /// (the default and the only one implemented).
    ///
    /// # Errors
    /// [`Tc3Error::Config`] naming the first required variable that is
    /// missing or not Unicode, or the encryption variable that is wrong.
    pub fn from_env() -> Result<Self, Tc3Error> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Tc3ClientBuilder::from_env`] over any lookup (tests, a
    /// configuration file).
    ///
    /// ```
    /// use tencent_faceid::wechat::Tc3ClientBuilder;
    /// let vars = |name: &str| match name {
    ///     "FACEID_TC3_SECRET_ID" => Some("AKIDexample".to_owned()),
    ///     "FACEID_TC3_SECRET_KEY" => Some("key".to_owned()),
    ///     "FACEID_TC3_RULE_ID" => Some("1".to_owned()),
    ///     _ => None,
    /// };
    /// let client = Tc3ClientBuilder::from_vars(vars)?.build()?;
    /// assert_eq!(client.base_url().as_str(), "https://faceid.tencentcloudapi.com/");
    /// # Ok::<(), tencent_faceid::wechat::Tc3Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`Tc3ClientBuilder::from_env`].
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Tc3Error> {
        let required = |name: &str| {
            lookup(name)
                .filter(|value| !value.is_empty())
                .ok_or_else(|| {
                    Tc3Error::Config(format!(
                        "{name} is not set; set it to the value from the Tencent Cloud console"
                    ))
                })
        };
        let mut builder = Self::new(
            required("FACEID_TC3_SECRET_ID")?,
            Secret::new(required("FACEID_TC3_SECRET_KEY")?),
            required("FACEID_TC3_RULE_ID")?,
        );
        if let Some(region) = lookup("FACEID_TC3_REGION").filter(|v| !v.is_empty()) {
            builder = builder.region(region);
        }
        if let Some(base_url) = lookup("FACEID_TC3_BASE_URL").filter(|v| !v.is_empty()) {
            builder = builder.base_url(base_url);
        }
        let public_key = lookup("FACEID_TC3_PUBLIC_KEY").filter(|v| !v.is_empty());
        let algorithm = lookup("FACEID_TC3_ENCRYPTION").filter(|v| !v.is_empty());
        match (public_key, algorithm) {
            (None, None) => Ok(builder),
            (None, Some(_)) => Err(Tc3Error::Config(
                "FACEID_TC3_ENCRYPTION is set but FACEID_TC3_PUBLIC_KEY is not; set it to the public key from the FaceID console".to_owned(),
            )),
            (Some(pem), algorithm) => builder.encryption_from_vars(&pem, algorithm.as_deref()),
        }
    }

    /// Field encryption from `FACEID_TC3_PUBLIC_KEY` and
    /// `FACEID_TC3_ENCRYPTION`.
    #[cfg(feature = "wechat-encryption")]
    fn encryption_from_vars(self, pem: &str, algorithm: Option<&str>) -> Result<Self, Tc3Error> {
        match algorithm.map(str::to_ascii_lowercase).as_deref() {
            None | Some("aes-256-cbc") => {
                // A PEM in one line of a .env file, its line breaks escaped.
                let pem = pem.replace("\\n", "\n");
                Ok(self.field_encryption(super::FieldEncryption::aes_256_cbc(&pem)?))
            }
            Some("sm4-gcm") => Err(Tc3Error::Config(
                "FACEID_TC3_ENCRYPTION=sm4-gcm is not implemented by this crate; use aes-256-cbc, the vendor's default".to_owned(),
            )),
            Some(_) => Err(Tc3Error::Config(
                "FACEID_TC3_ENCRYPTION must be aes-256-cbc".to_owned(),
            )),
        }
    }

    /// Field encryption asked for in a build without it.
    #[cfg(not(feature = "wechat-encryption"))]
    fn encryption_from_vars(self, _pem: &str, _algorithm: Option<&str>) -> Result<Self, Tc3Error> {
        Err(Tc3Error::Config(
            "FACEID_TC3_PUBLIC_KEY is set, but this build has no field encryption; enable the feature wechat-encryption of tencent-faceid".to_owned(),
        ))
    }

    /// Sends `DetectAuth`'s name and id number encrypted, and has
    /// `GetDetectInfoEnhanced` answer its names and id numbers encrypted
    /// (decrypted by the client); default off (the TLS body only).
    #[cfg(feature = "wechat-encryption")]
    pub fn field_encryption(mut self, encryption: super::FieldEncryption) -> Self {
        self.encryption = Some(encryption);
        self
    }

    /// The region sent as `X-TC-Region` (the FaceID actions ignore it;
    /// default none).
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The endpoint (or a stand-in's), default [`DEFAULT_TC3_BASE_URL`].
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// Whole-request timeout; default 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connect timeout; default 3 s.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Uses this `reqwest::Client` (its own timeouts then apply), for
    /// example the one of the SaaS [`FaceIdClient`](crate::client::FaceIdClient).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The clock `X-TC-Timestamp` is read from; default the system's.
    pub fn clock(mut self, clock: impl Into<Clock>) -> Self {
        self.clock = clock.into();
        self
    }

    /// The largest answer body read, in bytes; default
    /// [`DEFAULT_MAX_BODY_BYTES`].
    pub fn max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    /// [`Tc3Error::Config`] when the SecretId, SecretKey or RuleId is empty
    /// or the base URL is not an absolute http(s) URL.
    pub fn build(self) -> Result<Tc3Client, Tc3Error> {
        for (value, name) in [
            (self.secret_id.as_str(), "the SecretId"),
            (self.secret_key.expose(), "the SecretKey"),
            (self.rule_id.as_str(), "the RuleId"),
        ] {
            if value.is_empty() {
                return Err(Tc3Error::Config(format!("{name} is empty")));
            }
        }
        let base_url = Url::parse(&self.base_url)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host())
            .ok_or_else(|| {
                Tc3Error::Config(format!(
                    "the base URL {:?} is not an absolute http(s) URL such as {DEFAULT_TC3_BASE_URL}",
                    self.base_url
                ))
            })?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(self.timeout)
                .connect_timeout(self.connect_timeout)
                .build()
                .map_err(|e| Tc3Error::Config(format!("the HTTP client failed to build: {e}")))?,
        };
        Ok(Tc3Client {
            http,
            host: host_header(&base_url),
            base_url,
            secret_id: self.secret_id,
            secret_key: self.secret_key,
            rule_id: self.rule_id,
            region: self.region,
            contact: ContactLog::new(self.clock.clone()),
            clock: self.clock,
            max_body_bytes: self.max_body_bytes,
            #[cfg(feature = "wechat-encryption")]
            encryption: self.encryption,
        })
    }
}

/// The `Host` header for `url`: the host, and the port when it is not the
/// scheme's default.
fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn the_environment_names_what_is_missing() {
        let error =
            Tc3ClientBuilder::from_vars(lookup(&[("FACEID_TC3_SECRET_ID", "AKID")])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "invalid Tc3Client configuration: FACEID_TC3_SECRET_KEY is not set; set it to the value from the Tencent Cloud console"
        );
    }

    #[test]
    fn the_environment_configures_base_url_and_region() {
        let client = Tc3ClientBuilder::from_vars(lookup(&[
            ("FACEID_TC3_SECRET_ID", "AKID"),
            ("FACEID_TC3_SECRET_KEY", "key"),
            ("FACEID_TC3_RULE_ID", "7"),
            ("FACEID_TC3_REGION", "ap-shanghai"),
            ("FACEID_TC3_BASE_URL", "http://127.0.0.1:9/"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(client.base_url().as_str(), "http://127.0.0.1:9/");
        assert_eq!(client.host, "127.0.0.1:9");
        assert_eq!(client.region.as_deref(), Some("ap-shanghai"));
        assert_eq!(client.rule_id(), "7");
        assert!(!format!("{client:?}").contains("key\""));
    }

    const ID: [(&str, &str); 3] = [
        ("FACEID_TC3_SECRET_ID", "AKID"),
        ("FACEID_TC3_SECRET_KEY", "key"),
        ("FACEID_TC3_RULE_ID", "7"),
    ];

    fn with<'a>(extra: &[(&'a str, &'a str)]) -> Result<Tc3ClientBuilder, Tc3Error> {
        let vars: Vec<_> = ID.iter().chain(extra).copied().collect();
        Tc3ClientBuilder::from_vars(lookup(&vars))
    }

    #[cfg(feature = "wechat-encryption")]
    #[test]
    fn the_environment_turns_field_encryption_on_and_names_what_is_wrong() {
        let pem = include_str!("../../emulator/src/wechat/test_key.pub.pem");
        let client = with(&[("FACEID_TC3_PUBLIC_KEY", pem)])
            .unwrap()
            .build()
            .unwrap();
        assert!(client.encryption.is_some());
        // One line of a .env file, its line breaks escaped; the algorithm named.
        let escaped = pem.trim().replace('\n', "\\n");
        let client = with(&[
            ("FACEID_TC3_PUBLIC_KEY", &escaped),
            ("FACEID_TC3_ENCRYPTION", "AES-256-CBC"),
        ])
        .unwrap()
        .build()
        .unwrap();
        assert!(format!("{client:?}").contains("AES-256-CBC"));
        assert!(!format!("{client:?}").contains("MIGJ"), "no key in Debug");
        let message = |extra: &[(&str, &str)]| with(extra).unwrap_err().to_string();
        assert!(
            message(&[("FACEID_TC3_ENCRYPTION", "aes-256-cbc")])
                .contains("FACEID_TC3_PUBLIC_KEY is not")
        );
        assert!(
            message(&[
                ("FACEID_TC3_PUBLIC_KEY", pem),
                ("FACEID_TC3_ENCRYPTION", "sm4-gcm")
            ])
            .contains("sm4-gcm is not implemented")
        );
        assert!(
            message(&[("FACEID_TC3_PUBLIC_KEY", "not a key")])
                .contains("copy it from the FaceID console")
        );
    }
}
