//! [`UnsharedHome`]: the [`TicketHome`] of a process that shares its
//! ticket pair with no other.

use std::time::Duration;

use async_trait::async_trait;

use super::{BoxError, StoredTicketPair, TicketHome};

/// No sharing: this process is the app id's only refresher.
pub(crate) struct UnsharedHome;

#[async_trait]
impl TicketHome for UnsharedHome {
    async fn read(&self) -> Result<Option<StoredTicketPair>, BoxError> {
        Ok(None)
    }

    async fn try_lock(&self, _holder: &str) -> Result<bool, BoxError> {
        Ok(true)
    }

    async fn publish(&self, _holder: &str, _pair: &StoredTicketPair) -> Result<bool, BoxError> {
        Ok(true)
    }

    async fn release(&self, _holder: &str) -> Result<bool, BoxError> {
        Ok(true)
    }

    fn lock_name(&self) -> &str {
        "this process's single flight"
    }

    fn wait_timeout(&self) -> Duration {
        Duration::ZERO
    }
}
