//! [`Refresher`]: the providers' handle on the refresh [`Engine`], shared
//! by their clones; dropping its last clone stops the background refresh.

use std::ops::Deref;
use std::sync::Arc;

use super::engine::{Engine, Want};
use super::{SignTickets, TicketError, TicketHome};
use crate::ids::UserId;
use crate::secret::Secret;

/// The providers' handle on their engine (shared by their clones): what
/// they answer, as inherent methods so that their
/// [`TicketProvider`](super::TicketProvider) impls box one future per
/// call, not two. Dropped with the provider's last clone, it stops the
/// background refresh.
pub(crate) struct Refresher<S: TicketHome> {
    engine: Arc<Engine<S>>,
}

impl<S: TicketHome> Refresher<S> {
    pub fn new(engine: Engine<S>) -> Self {
        Self {
            engine: Arc::new(engine),
        }
    }

    pub async fn sign_tickets(&self) -> Result<Arc<SignTickets>, TicketError> {
        if let Some(sign) = self.engine.fresh_sign() {
            return Ok(sign);
        }
        let pair = self.engine.due_pair().await.map_err(TicketError::sign)?;
        Ok(Arc::clone(&pair.sign))
    }

    pub async fn recover(&self, stale: &SignTickets) -> Result<Arc<SignTickets>, TicketError> {
        let pair = self
            .engine
            .replace(stale.current.value())
            .await
            .map_err(TicketError::sign)?;
        Ok(Arc::clone(&pair.sign))
    }

    pub async fn nonce_ticket(&self, user_id: &UserId) -> Result<Secret, TicketError> {
        self.engine.nonce(user_id).await.map_err(|error| {
            tracing::warn!(app_id = %self.engine.client.app_id(), %error, "NONCE ticket fetch failed");
            TicketError::NonceUnavailable {
                source: Box::new(error),
            }
        })
    }

    /// A pair not yet due, fetched now (or by the refresh in flight) unless
    /// there is one: an error only when no valid pair could be had.
    pub async fn warm_up(&self) -> Result<(), TicketError> {
        if self.engine.fresh_now().is_some() {
            return Ok(());
        }
        let _pair = self
            .engine
            .refresh(Want::Ready)
            .await
            .map_err(TicketError::sign)?;
        Ok(())
    }
}

impl<S: TicketHome> Deref for Refresher<S> {
    type Target = Engine<S>;

    fn deref(&self) -> &Engine<S> {
        &self.engine
    }
}

impl<S: TicketHome> Drop for Refresher<S> {
    fn drop(&mut self) {
        self.engine.background_refresh.stop();
    }
}

/// Implements [`TicketProvider`](super::TicketProvider) for a provider type
/// whose `refresher` field is an `Arc<Refresher<_>>`: every call goes to
/// the refresher. A generic provider names its parameter and bound first:
/// `impl<H: TicketHome> SharedTickets<H>`.
macro_rules! provide_through_refresher {
    (impl<$($generic:ident: $bound:path),*> $provider:ty) => {
        #[async_trait::async_trait]
        impl<$($generic: $bound),*> $crate::tickets::TicketProvider for $provider {
            async fn sign_tickets(
                &self,
            ) -> Result<std::sync::Arc<$crate::tickets::SignTickets>, $crate::tickets::TicketError>
            {
                self.refresher.sign_tickets().await
            }

            async fn recover(
                &self,
                stale: &$crate::tickets::SignTickets,
            ) -> Result<std::sync::Arc<$crate::tickets::SignTickets>, $crate::tickets::TicketError>
            {
                self.refresher.recover(stale).await
            }

            async fn nonce_ticket(
                &self,
                user_id: &$crate::ids::UserId,
            ) -> Result<$crate::secret::Secret, $crate::tickets::TicketError> {
                self.refresher.nonce_ticket(user_id).await
            }

            async fn warm_up(&self) -> Result<(), $crate::tickets::TicketError> {
                self.refresher.warm_up().await
            }

            fn pair_status(&self) -> Option<$crate::tickets::TicketPairStatus> {
                self.refresher.pair_status()
            }
        }
    };
    ($provider:ty) => {
        $crate::tickets::refresher::provide_through_refresher!(impl<> $provider);
    };
}
pub(crate) use provide_through_refresher;

#[cfg(test)]
mod tests {
    use tencent_faceid_emulator::{Emulator, Fault};
    use tokio::sync::Notify;

    use super::*;
    use crate::client::FaceIdClient;
    use crate::clock::ManualClock;
    use crate::tickets::TicketTimings;
    use crate::tickets::unshared_home::UnsharedHome;

    #[tokio::test]
    async fn dropping_the_last_handle_stops_the_background_refresh() {
        // The emulator links the library, a copy of this crate other than
        // the one under test: its `Endpoint` is that copy's, and the client
        // under test is this copy's, on a clock of its own (the emulator's
        // tokens outlive the hours it moves).
        use tencent_faceid::client::Endpoint;
        let clock = ManualClock::new();
        let emulator = Emulator::start().await.unwrap();
        let client = FaceIdClient::builder(emulator.app_id(), emulator.secret())
            .base_url(emulator.base_url().as_str())
            .clock(clock.clone().into())
            .build()
            .unwrap();
        let timings = TicketTimings::default();
        let refresher = Refresher::new(Engine::new(client, UnsharedHome, timings));
        refresher.sign_tickets().await.unwrap();
        clock.advance(timings.refresh_every);
        let release = Arc::new(Notify::new());
        emulator.inject(Fault::hold(Endpoint::AccessToken, Arc::clone(&release)));
        // Served the due pair; the background task waits for the vendor.
        refresher.sign_tickets().await.unwrap();
        emulator.wait_for_counts(|c| c.access_token == 2).await;
        let engine = Arc::downgrade(&refresher.engine);
        assert_eq!(engine.strong_count(), 2, "the handle and the task");

        drop(refresher);
        // The aborted task lets go of the engine when it is next polled.
        for _ in 0..100 {
            if engine.strong_count() == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(engine.strong_count(), 0, "no task outlives the handles");
        release.notify_one();
        assert_eq!(emulator.counts().sign_ticket, 1);
    }
}
