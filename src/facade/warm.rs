//! [`WarmUp`]: whether [`FaceIdBuilder::build`](super::FaceIdBuilder::build)
//! fetches the access token and SIGN ticket before the server takes
//! traffic, so that the first user does not wait for them.

use std::error::Error as StdError;
use std::sync::Arc;

use super::FaceIdError;
use crate::client::{ClientError, Endpoint};
use crate::tickets::{TicketError, TicketProvider};

/// Whether [`FaceIdBuilder::build`](super::FaceIdBuilder::build) fetches
/// the access token and SIGN ticket at boot
/// ([`TicketProvider::warm_up`]); set with
/// [`FaceIdBuilder::warm_up`](super::FaceIdBuilder::warm_up).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tencent_faceid_emulator::Emulator;
/// use tencent_faceid::facade::WarmUp;
/// use tencent_faceid::FaceId;
/// let emulator = Emulator::start().await?;
/// let face_id = emulator.face_id()
///     .callback_url("http://127.0.0.1:3000/face/callback")
///     .warm_up(WarmUp::Strict)
///     .build()
///     .await?;
/// assert_eq!(emulator.counts().sign_ticket, 1); // before any user came
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WarmUp {
    /// Nothing is fetched at boot: the first user waits for the pair.
    Off,
    /// The pair is fetched at boot; a vendor out of reach is a warning,
    /// the server starts, and the first user's request tries again. The
    /// vendor refusing the app id or secret still fails the build
    /// ([`FaceIdError::CredentialsRefused`]): no user could be served. The
    /// default.
    #[default]
    BestEffort,
    /// The pair is fetched at boot, and a vendor out of reach fails the
    /// build with [`FaceIdError::WarmUp`] (refused credentials with
    /// [`FaceIdError::CredentialsRefused`]).
    Strict,
}

/// Fetches the pair through `tickets` as `mode` says.
pub(super) async fn warm_up(tickets: &dyn TicketProvider, mode: WarmUp) -> Result<(), FaceIdError> {
    if mode == WarmUp::Off {
        return Ok(());
    }
    match tickets.warm_up().await {
        Ok(()) => {
            tracing::info!("fetched the access token and SIGN ticket before taking traffic");
            Ok(())
        }
        Err(error) if refuses_credentials(&error) => Err(FaceIdError::CredentialsRefused(error)),
        Err(error) if mode == WarmUp::Strict => Err(FaceIdError::WarmUp(error)),
        Err(error) => {
            tracing::warn!(%error, "could not fetch the access token and SIGN ticket at boot; starting anyway, the first session start tries again (WarmUp::Strict makes this fatal)");
            Ok(())
        }
    }
}

/// Whether `error` comes from the vendor refusing the access-token call
/// ([`ClientError::refuses_credentials`]): that call's only inputs are the
/// app id and secret, so it refused them (an outage is a transport error
/// or an HTTP status).
fn refuses_credentials(error: &TicketError) -> bool {
    let mut cause: Option<&(dyn StdError + 'static)> = Some(error);
    while let Some(error) = cause {
        // The refresher shares one error between its waiters in an `Arc`.
        let client = (error.downcast_ref::<ClientError>())
            .or_else(|| error.downcast_ref::<Arc<ClientError>>().map(|arc| &**arc));
        if let Some(
            refusal @ ClientError::Vendor {
                endpoint: Endpoint::AccessToken,
                ..
            },
        ) = client
            && refusal.refuses_credentials()
        {
            return true;
        }
        cause = error.source();
    }
    false
}
