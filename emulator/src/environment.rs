//! [`Configured`]: the vendor or an emulator, as the environment says, and
//! [`FromEnvOrEmulator`], the quick start's one line.

use std::future::Future;

use tencent_faceid::FaceId;
use tencent_faceid::facade::{self, FaceIdBuilder};

use crate::builder::{DEFAULT_APP_ID, DEFAULT_SECRET};
use crate::{Emulator, SetupError};

/// The environment variables [`Configured`] reads beside
/// [`tencent_faceid::facade::vars`].
pub mod vars {
    /// `1`: use an emulator embedded in this process instead of the
    /// vendor (development and tests only).
    pub const EMULATOR: &str = "FACEID_EMULATOR";
    /// The base URL of a shared emulator (`cargo run --example emulator`)
    /// that every instance talks to instead of the vendor: one vendor for
    /// a staging cluster, and for an instance restarted mid-session. Its
    /// app id and secret are the emulator's defaults unless
    /// `FACEID_APP_ID` and `FACEID_SECRET` say otherwise.
    pub const EMULATOR_URL: &str = "FACEID_EMULATOR_URL";
    /// `1`: allow an emulator (embedded or shared) in a release build too.
    pub const EMULATOR_IN_RELEASE: &str = "FACEID_EMULATOR_IN_RELEASE";
}

/// What [`Configured`] does when the environment configures no vendor (none
/// of `FACEID_APP_ID`, `FACEID_SECRET`, [`vars::EMULATOR`],
/// [`vars::EMULATOR_URL`] set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenUnconfigured {
    /// The error [`FaceIdBuilder::from_env`] gives, naming the variable to
    /// set.
    Refuse,
    /// An embedded emulator in a debug build, said on stderr and in a
    /// `tracing` warning; the error, as [`Refuse`](Self::Refuse), in a
    /// release build.
    Emulate,
}

/// Who answers the vendor's calls, as the environment chose.
#[derive(Debug, Clone)]
pub enum VendorChoice {
    /// The vendor (`FACEID_APP_ID`, `FACEID_SECRET`).
    Vendor,
    /// An emulator started in this process ([`vars::EMULATOR`], or
    /// [`WhenUnconfigured::Emulate`]): it serves for the life of the
    /// runtime it was started on.
    Embedded(Emulator),
    /// The shared emulator at [`vars::EMULATOR_URL`].
    Shared {
        /// Its base URL.
        base_url: String,
    },
}

/// A [`FaceIdBuilder`] configured from the environment, with the vendor or
/// an emulator, and which one it is. An emulator is never a silent
/// fallback: it is used when asked for ([`vars::EMULATOR`]`=1`,
/// [`vars::EMULATOR_URL`], or [`WhenUnconfigured::Emulate`] with nothing
/// configured in a debug build), announced with a `tracing` warning, and
/// refused in release builds unless [`vars::EMULATOR_IN_RELEASE`]`=1`.
/// Every other setting comes from the variables
/// [`FaceIdBuilder::settings_from_vars`] reads.
#[derive(Debug)]
pub struct Configured {
    /// The builder: set the other options on it, then build.
    pub builder: FaceIdBuilder,
    /// Who answers the vendor's calls.
    pub vendor: VendorChoice,
}

impl Configured {
    /// From the process environment.
    ///
    /// # Errors
    /// As [`Configured::from_vars`].
    pub async fn from_env(unconfigured: WhenUnconfigured) -> Result<Self, SetupError> {
        Self::from_vars(|name| std::env::var(name).ok(), unconfigured).await
    }

    /// From the variables `var` gives (empty values count as unset).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid_emulator::{Configured, VendorChoice, WhenUnconfigured};
    /// // Nothing configured: an emulator, in a debug build (as doctests are).
    /// let configured = Configured::from_vars(|_| None, WhenUnconfigured::Emulate).await?;
    /// assert!(matches!(configured.vendor, VendorChoice::Embedded(_)));
    /// // Or the error naming the variable to set.
    /// assert!(Configured::from_vars(|_| None, WhenUnconfigured::Refuse).await.is_err());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// [`SetupError`]: an emulator in a release build, the vendor and an
    /// emulator both configured, an embedded emulator that cannot start,
    /// or the rest of the configuration ([`SetupError::FaceId`]).
    pub async fn from_vars(
        var: impl Fn(&str) -> Option<String>,
        unconfigured: WhenUnconfigured,
    ) -> Result<Self, SetupError> {
        let get = |name: &str| var(name).filter(|value| !value.trim().is_empty());
        let flag = |name: &'static str| match get(name).as_deref().map(str::trim) {
            None | Some("0") | Some("false") => Ok(false),
            Some("1") | Some("true") => Ok(true),
            Some(_) => Err(SetupError::InvalidFlag { name }),
        };
        let embedded = flag(vars::EMULATOR)?;
        let allowed = flag(vars::EMULATOR_IN_RELEASE)?;
        let app_id = get(facade::vars::APP_ID);
        if let Some(base_url) = get(vars::EMULATOR_URL) {
            if embedded {
                return Err(SetupError::TwoEmulators);
            }
            SetupError::check_release(allowed)?;
            let secret = get(facade::vars::SECRET).unwrap_or_else(|| DEFAULT_SECRET.to_owned());
            let builder =
                FaceId::builder(app_id.unwrap_or_else(|| DEFAULT_APP_ID.to_owned()), secret)
                    .base_url(base_url.as_str())
                    .settings_from_vars(get)?;
            tracing::warn!(
                %base_url,
                "FACE VERIFICATION IS EMULATED by the shared emulator at FACEID_EMULATOR_URL: anyone who presses \"pass\" is verified. For development and staging only"
            );
            let vendor = VendorChoice::Shared { base_url };
            return Ok(Configured { builder, vendor });
        }
        if embedded {
            if app_id.is_some() {
                return Err(SetupError::VendorAndEmulator);
            }
            return Self::embedded(get, allowed).await;
        }
        let no_vendor = app_id.is_none() && get(facade::vars::SECRET).is_none();
        if no_vendor && unconfigured == WhenUnconfigured::Emulate && cfg!(debug_assertions) {
            let configured = Self::embedded(get, allowed).await?;
            if let VendorChoice::Embedded(emulator) = &configured.vendor {
                // Chosen for the user, not by them: said where it is seen
                // without a tracing subscriber too.
                eprintln!(
                    "tencent-faceid: no FACEID_APP_ID is set, so this debug build verifies faces with the local emulator at {} (anyone who presses \"pass\" is verified); set FACEID_APP_ID and FACEID_SECRET to use the vendor",
                    emulator.base_url()
                );
            }
            return Ok(configured);
        }
        let builder = FaceIdBuilder::from_vars(get)?;
        Ok(Configured {
            builder,
            vendor: VendorChoice::Vendor,
        })
    }

    /// An emulator started in this process, and the rest of the settings
    /// `get` gives.
    async fn embedded(
        get: impl Fn(&str) -> Option<String>,
        allowed: bool,
    ) -> Result<Self, SetupError> {
        SetupError::check_release(allowed)?;
        let emulator = Emulator::builder()
            .allow_in_release(allowed)
            .start()
            .await
            .map_err(SetupError::Start)?;
        let builder = emulator.face_id().settings_from_vars(get)?;
        let vendor = VendorChoice::Embedded(emulator);
        Ok(Configured { builder, vendor })
    }
}

/// The quick start's one line, on [`FaceId`]: the vendor when the
/// environment configures it, and in a debug build with nothing configured
/// an embedded emulator (announced), which serves for the life of the
/// runtime. `use tencent_faceid_emulator::FromEnvOrEmulator;`, then:
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), tencent_faceid::Report> {
/// use tencent_faceid::FaceId;
/// use tencent_faceid_emulator::FromEnvOrEmulator;
/// # if false {
/// let face_id = FaceId::from_env_or_emulator("http://127.0.0.1:3000/face/callback").await?;
/// # }
/// # Ok(()) }
/// ```
///
/// A production build, with no emulator in its dependencies, says
/// `FaceId::from_env().await?` instead (with `FACEID_CALLBACK_URL` set).
pub trait FromEnvOrEmulator: Sized {
    /// [`Configured::from_env`] with [`WhenUnconfigured::Emulate`], coming
    /// back to `callback_url` unless `FACEID_CALLBACK_URL` is set, built.
    ///
    /// # Errors
    /// As [`Configured::from_vars`] and [`FaceIdBuilder::build`].
    fn from_env_or_emulator(
        callback_url: &str,
    ) -> impl Future<Output = Result<Self, SetupError>> + Send;
}

impl FromEnvOrEmulator for FaceId {
    async fn from_env_or_emulator(callback_url: &str) -> Result<Self, SetupError> {
        let configured = Configured::from_env(WhenUnconfigured::Emulate).await?;
        let callback_configured =
            std::env::var(facade::vars::CALLBACK_URL).is_ok_and(|url| !url.trim().is_empty());
        let builder = match callback_configured {
            true => configured.builder,
            false => configured.builder.callback_url(callback_url),
        };
        Ok(builder.build().await?)
    }
}
