//! [`FaceIdBuilder::build`]: the steps from settings to a [`FaceId`].

use super::backend::Connected;
use super::builder::{Configure, FaceIdBuilder};
use super::release::Release;
use super::warm::warm_up;
use super::{FaceId, FaceIdError};
use crate::callback::{CallbackVerifier, CallbackVerifierBuilder};
use crate::orders::SettlementStore;
use crate::session::{SessionStarter, SessionStarterBuilder};
use crate::settle::{Settler, SettlerBuilder};
use crate::wiring::Wiring;

impl FaceIdBuilder {
    /// Builds the app's parts: checks what a release build refuses,
    /// makes the vendor's client, chooses the backend (see
    /// [`store`](Self::store)) and connects it, assembles the starter,
    /// verifier and settler on one [`Wiring`], then fetches the access
    /// token and SIGN ticket as [`warm_up`](Self::warm_up) says.
    ///
    /// # Errors
    /// [`FaceIdError`]: an empty app id or secret, an invalid base URL or
    /// order prefix, no callback URL, an `http://` callback URL in a
    /// release build, Redis unreachable or lacking a capability
    /// (`redis::probe`, feature `redis`), PostgreSQL unreachable or its
    /// schema not migrated, the vendor refusing the app id or secret at
    /// warm-up (unless [`WarmUp::Off`](super::WarmUp::Off)), the vendor
    /// out of reach with [`WarmUp::Strict`](super::WarmUp::Strict).
    ///
    /// In a debug build, what a release build would refuse (an `http://`
    /// callback URL to a remote host) is said once on stderr, with or
    /// without a `tracing` subscriber.
    pub async fn build(self) -> Result<FaceId, FaceIdError> {
        let callback_url = self.checked_callback_url()?;
        let client = self.vendor.client()?;
        // Boxed: the backends' futures nest deep, and an app's own async
        // setup around `build` nests them deeper still.
        let connecting = Box::pin(self.backend.connect(&client));
        let Connected { store, tickets } = connecting.await?;
        let mut wiring =
            Wiring::shared(client, tickets, store).browser_binding(self.browser_binding);
        if let Some(tc3) = self.tc3 {
            wiring = wiring.wechat(tc3);
        }
        let parts = Parts::assemble(&wiring, self.settle, self.starter, self.verifier)?;
        warm_up(wiring.tickets(), self.warm_up).await?;
        Ok(FaceId {
            callback_url,
            verifier: parts.verifier,
            starter: parts.starter,
            wiring,
            rejection_format: self.rejection_format,
            settler: parts.settler,
            readiness: self.readiness,
        })
    }

    /// The callback URL, as a release build allows it (or none, when each
    /// start brings its own); said once on stderr in a debug build if a
    /// release build would refuse it.
    fn checked_callback_url(&self) -> Result<Option<url::Url>, FaceIdError> {
        let release = Release {
            build: !cfg!(debug_assertions),
            http_callback_allowed: self.http_callback_in_release,
        };
        let callback_url = match &self.callback_url {
            Some(url) => Some(release.check_callback_url(parse_callback_url(url)?)?),
            None if self.callback_url_per_request => None,
            None => return Err(FaceIdError::NoCallbackUrl),
        };
        if let Some(line) = release.refusals_line(callback_url.as_ref()) {
            say_once(&line);
        }
        Ok(callback_url)
    }
}

/// The parts built on the wiring.
struct Parts {
    settler: Option<Settler>,
    verifier: CallbackVerifier,
    starter: SessionStarter,
}

impl Parts {
    /// The settler (when settlement is on), the verifier (settling through
    /// it) and the starter, each configured as the builder was told.
    fn assemble(
        wiring: &Wiring<dyn SettlementStore>,
        settle: Option<Configure<SettlerBuilder>>,
        starter: Option<Configure<SessionStarterBuilder>>,
        verifier: Option<Configure<CallbackVerifierBuilder>>,
    ) -> Result<Self, FaceIdError> {
        let settler = settle.map(|configure| configure(Settler::on(wiring.clone())).build());
        let verifier_builder = match &settler {
            Some(settler) => CallbackVerifier::settling(settler),
            None => CallbackVerifier::builder(wiring),
        };
        let verifier_builder = configured(verifier_builder, verifier);
        let starter_builder = configured(SessionStarter::builder(wiring), starter);
        Ok(Parts {
            settler,
            verifier: verifier_builder.build()?,
            starter: starter_builder.build()?,
        })
    }
}

/// `builder` as `configure` (if any) leaves it.
fn configured<B>(builder: B, configure: Option<Configure<B>>) -> B {
    match configure {
        Some(configure) => configure(builder),
        None => builder,
    }
}

/// `url` as a callback URL: absolute, http or https.
fn parse_callback_url(url: &str) -> Result<url::Url, FaceIdError> {
    match url::Url::parse(url.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        _ => Err(FaceIdError::CallbackUrl),
    }
}

/// Prints `line` on stderr, once per process.
fn say_once(line: &str) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| eprintln!("{line}"));
}
