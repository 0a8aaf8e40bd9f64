//! [`Release`]: what a release build refuses to start with (an `http://`
//! callback URL to a remote host), and the line a debug build says about
//! it.

use super::FaceIdError;

/// The build's kind and what its configuration allows in release.
#[derive(Debug, Clone, Copy)]
pub(super) struct Release {
    /// Whether this is a release build (no `debug_assertions`).
    pub(super) build: bool,
    /// [`FaceIdBuilder::allow_http_callback_url`](super::FaceIdBuilder::allow_http_callback_url).
    pub(super) http_callback_allowed: bool,
}

impl Release {
    /// `url` may be the callback URL: https, or loopback, or any URL in a
    /// debug build or when allowed.
    pub(super) fn check_callback_url(self, url: url::Url) -> Result<url::Url, FaceIdError> {
        if self.build && !self.http_callback_allowed && is_remote_http(&url) {
            return Err(FaceIdError::HttpCallbackUrl);
        }
        Ok(url)
    }

    /// In a debug build, the one line naming what a release build would
    /// refuse with this configuration (`None` when nothing, or in release,
    /// where it is refused or allowed explicitly).
    pub(super) fn refusals_line(self, callback_url: Option<&url::Url>) -> Option<String> {
        let refused =
            !self.build && !self.http_callback_allowed && callback_url.is_some_and(is_remote_http);
        refused.then(|| {
            "tencent-faceid: this debug build starts with what a release build refuses: an http:// callback URL whose host is not loopback (use https, or FACEID_HTTP_CALLBACK_IN_RELEASE=1)".to_owned()
        })
    }
}

/// Whether `url` is `http://` to a host other than loopback.
fn is_remote_http(url: &url::Url) -> bool {
    let loopback = match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    url.scheme() == "http" && !loopback
}

#[cfg(test)]
mod tests {
    use super::*;

    fn release(build: bool) -> Release {
        Release {
            build,
            http_callback_allowed: false,
        }
    }

    fn url(text: &str) -> url::Url {
        text.parse().unwrap()
    }

    #[test]
    fn an_http_callback_url_is_refused_in_release_unless_loopback_or_allowed() {
        let remote = url("http://shop.example/face/callback");
        let error = release(true)
            .check_callback_url(remote.clone())
            .unwrap_err();
        assert!(matches!(error, FaceIdError::HttpCallbackUrl));
        assert!(
            error
                .to_string()
                .contains("FACEID_HTTP_CALLBACK_IN_RELEASE=1")
        );
        for fine in [
            "https://shop.example/face/callback",
            "http://127.0.0.1:3000/face/callback",
            "http://localhost:3000/face/callback",
            "http://[::1]:3000/face/callback",
        ] {
            assert!(
                release(true).check_callback_url(url(fine)).is_ok(),
                "{fine}"
            );
        }
        let allowed = Release {
            http_callback_allowed: true,
            ..release(true)
        };
        assert!(allowed.check_callback_url(remote.clone()).is_ok());
        assert!(release(false).check_callback_url(remote).is_ok());
    }

    #[test]
    fn a_debug_build_names_in_one_line_what_release_would_refuse() {
        let remote = url("http://shop.example/face/callback");
        let line = release(false).refusals_line(Some(&remote)).unwrap();
        assert!(!line.contains('\n'));
        assert!(line.contains("http:// callback URL"));
        let https = url("https://shop.example/face/callback");
        let line = release(false).refusals_line(Some(&https));
        assert_eq!(line, None);
        assert_eq!(release(true).refusals_line(Some(&remote)), None);
    }
}
