//! [`StaticTickets`]: fixed tickets, for tests and examples.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::{SignTickets, TicketError, TicketProvider};
use crate::credentials::Ticket;
use crate::ids::UserId;
use crate::secret::Secret;

/// Fixed tickets, for tests and examples.
///
/// ```
/// # tokio_test_block_on(async {
/// use tencent_faceid::tickets::{StaticTickets, TicketProvider};
/// use tencent_faceid::UserId;
/// let tickets = StaticTickets::new("sign-ticket", "nonce-ticket");
/// assert_eq!(tickets.sign_tickets().await?.current.value(), "sign-ticket");
/// assert_eq!(tickets.nonce_ticket(&UserId::new("u1")?).await?.expose(), "nonce-ticket");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # });
/// # fn tokio_test_block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct StaticTickets {
    sign: Arc<SignTickets>,
    nonce: Secret,
}

impl StaticTickets {
    /// How long the fixed SIGN ticket claims to be valid.
    const VALIDITY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

    /// A fixed SIGN ticket (valid for a century) and NONCE ticket.
    pub fn new(sign_ticket: impl Into<Secret>, nonce_ticket: impl Into<Secret>) -> Self {
        Self {
            sign: Arc::new(SignTickets::new(Ticket::new(
                sign_ticket,
                SystemTime::now() + Self::VALIDITY,
            ))),
            nonce: nonce_ticket.into(),
        }
    }

    /// Adds a previous SIGN ticket accepted until `accepted_until`.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use tencent_faceid::tickets::StaticTickets;
    /// let tickets = StaticTickets::new("new", "nonce")
    ///     .with_previous("old", SystemTime::now() + Duration::from_secs(300));
    /// ```
    pub fn with_previous(mut self, ticket: impl Into<Secret>, accepted_until: SystemTime) -> Self {
        Arc::make_mut(&mut self.sign).previous = Some(Ticket::new(ticket, accepted_until));
        self
    }
}

#[async_trait]
impl TicketProvider for StaticTickets {
    async fn sign_tickets(&self) -> Result<Arc<SignTickets>, TicketError> {
        Ok(Arc::clone(&self.sign))
    }

    async fn nonce_ticket(&self, _user_id: &UserId) -> Result<Secret, TicketError> {
        Ok(self.nonce.clone())
    }
}
