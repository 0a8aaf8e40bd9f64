//! The ticket provider contract: what the session starter and the callback
//! verifier rely on from a [`TicketProvider`].

use std::sync::Arc;

use super::{SuiteOutcome, TICKET_PROVIDER, race};
use crate::clock::Clock;
use crate::ids::UserId;
use crate::sign::{sign, verify};
use crate::tickets::{SignTickets, TicketError, TicketProvider};

/// Concurrent `sign_tickets` calls on a provider that has none yet.
const CALLERS: usize = 32;
/// What a callback signs besides the ticket: app id, order number, code.
const SIGNED: [&str; 3] = ["contractApp", "contract1", "0"];

/// Runs the ticket provider contract on providers made by `make`, each
/// fresh (nothing fetched or cached yet), on the system's clock; panics
/// naming the first rule that does not hold. See
/// [`ticket_provider_with_clock`] for a provider on another clock.
///
/// The rules:
///
/// - **SIGN tickets.** [`sign_tickets`](TicketProvider::sign_tickets)
///   answers a current ticket, not empty and valid now; a callback signed
///   with it verifies against the tickets a later call accepts now (the
///   current one, or the previous one within its grace window), and later
///   calls answer the same current ticket (no refresh is due within the
///   suite).
/// - **NONCE tickets.** [`nonce_ticket`](TicketProvider::nonce_ticket)
///   answers a ticket, not empty, for each user.
/// - **Recovery.** [`recover`](TicketProvider::recover) with the tickets a
///   call answered (as when the vendor refused them) answers tickets, valid
///   now (rate-limited providers may answer the same), which later calls of
///   `sign_tickets` then answer; recovering again at once answers too.
/// - **Concurrent callers.** 32 concurrent first calls of `sign_tickets` on
///   a fresh provider all succeed and answer the same current ticket.
///
/// Not checked: refreshes on schedule, rotation and its grace window, and
/// failures of the vendor or the shared state (they need time to pass or
/// faults injected: see the emulator).
///
/// # Panics
/// When a rule does not hold, or the provider fails: the message names the
/// rule and shows what the provider answered (ticket values left out).
///
/// ```
/// use std::sync::Arc;
/// use std::time::{Duration, SystemTime};
/// use tencent_faceid::async_trait;
/// use tencent_faceid::UserId;
/// use tencent_faceid::client::Ticket;
/// use tencent_faceid::tickets::{SignTickets, TicketError, TicketProvider};
/// use tencent_faceid::Secret;
///
/// /// Tickets from your own secret manager.
/// struct VaultTickets { sign: Secret, nonce: Secret }
///
/// #[async_trait]
/// impl TicketProvider for VaultTickets {
///     async fn sign_tickets(&self) -> Result<Arc<SignTickets>, TicketError> {
///         let expires_at = SystemTime::now() + Duration::from_secs(20 * 60);
///         Ok(Arc::new(SignTickets::new(Ticket::new(self.sign.clone(), expires_at))))
///     }
///
///     async fn nonce_ticket(&self, _user_id: &UserId) -> Result<Secret, TicketError> {
///         Ok(self.nonce.clone())
///     }
/// }
///
/// # #[tokio::main(flavor = "multi_thread")]
/// # async fn main() {
/// // In a #[tokio::test(flavor = "multi_thread")]:
/// let make = async || VaultTickets { sign: "sign-ticket".into(), nonce: "nonce-ticket".into() };
/// let outcome = tencent_faceid::contract::ticket_provider(make).await;
/// assert!(outcome.skipped.is_empty());
/// # }
/// ```
pub async fn ticket_provider<P: TicketProvider>(make: impl AsyncFn() -> P) -> SuiteOutcome {
    ticket_provider_with_clock(Clock::system(), make).await
}

/// [`ticket_provider`] for providers that read `clock` (such as
/// `CachedTickets` on the client of an emulator running on a
/// [`ManualClock`](crate::clock::ManualClock)): tickets must be valid at
/// its time.
///
/// ```
/// # #[tokio::main(flavor = "multi_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use std::time::{Duration, UNIX_EPOCH};
/// use tencent_faceid::ManualClock;
/// use tencent_faceid_emulator::Emulator;
/// use tencent_faceid::tickets::CachedTickets;
///
/// // November 2023: tickets valid then, long expired by the system's clock.
/// let clock = ManualClock::starting_at(UNIX_EPOCH + Duration::from_secs(1_700_000_000));
/// let emulator = Emulator::builder().clock(clock).start().await?;
/// let make = async || CachedTickets::builder(emulator.client()).build();
/// tencent_faceid::contract::ticket_provider_with_clock(emulator.clock(), make).await;
/// # Ok(()) }
/// ```
pub async fn ticket_provider_with_clock<P: TicketProvider>(
    clock: Clock,
    make: impl AsyncFn() -> P,
) -> SuiteOutcome {
    let mut outcome = SuiteOutcome::default();
    let provider = make().await;
    let first = sign_tickets(&provider, &clock, "sign_tickets answers").await;
    let later = sign_tickets(&provider, &clock, "a later sign_tickets answers").await;
    let signature = sign(&SIGNED, first.current.value());
    let rule = "a callback signed with the current SIGN ticket verifies against the tickets a later call accepts now";
    let now = clock.now();
    let verifies = later
        .accepted_at(now)
        .any(|t| verify(&SIGNED, t.value(), &signature));
    TICKET_PROVIDER.ensure(verifies, rule, &later);
    let rule = "later sign_tickets calls answer the same current SIGN ticket";
    TICKET_PROVIDER.ensure(same(&first, &later), rule, &later);
    outcome.checked("SIGN tickets");

    for user in ["contractUser1", "contractUser2"] {
        let user = UserId::new(user).expect("a valid user id");
        match provider.nonce_ticket(&user).await {
            Ok(ticket) if !ticket.is_empty() => {}
            Ok(_) => TICKET_PROVIDER.broken(
                "nonce_ticket answers a NONCE ticket that is not empty",
                "an empty one",
            ),
            Err(error) => TICKET_PROVIDER.broken("nonce_ticket answers", error),
        }
    }
    outcome.checked("NONCE tickets");

    let recovered = answer(provider.recover(&first).await, &clock, "recover answers");
    let served = sign_tickets(&provider, &clock, "sign_tickets answers after recover").await;
    let rule = "after recover, sign_tickets answers the current SIGN ticket recover answered";
    TICKET_PROVIDER.ensure(same(&recovered, &served), rule, &served);
    answer(
        provider.recover(&first).await,
        &clock,
        "recover again at once answers",
    );
    outcome.checked("recovery");

    super::note_single_thread(&mut outcome, "concurrent callers");
    let provider = Arc::new(make().await);
    let answers = race(CALLERS, |_| {
        let provider = Arc::clone(&provider);
        async move { provider.sign_tickets().await }
    })
    .await;
    let mut tickets = answers.into_iter().map(|got| {
        answer(
            got,
            &clock,
            "32 concurrent first calls of sign_tickets all answer",
        )
    });
    if let Some(one) = tickets.next() {
        let rule = "32 concurrent first calls of sign_tickets answer the same current SIGN ticket";
        for other in tickets {
            TICKET_PROVIDER.ensure(same(&one, &other), rule, &other);
        }
    }
    outcome.checked("concurrent callers");
    outcome
}

async fn sign_tickets(
    provider: &impl TicketProvider,
    clock: &Clock,
    rule: &str,
) -> Arc<SignTickets> {
    answer(provider.sign_tickets().await, clock, rule)
}

/// The tickets a call answered, which `rule` says it must, with a current
/// ticket that is not empty and valid at `clock`'s time.
#[track_caller]
fn answer(
    got: Result<Arc<SignTickets>, TicketError>,
    clock: &Clock,
    rule: &str,
) -> Arc<SignTickets> {
    let tickets = got.unwrap_or_else(|error| TICKET_PROVIDER.broken(rule, error));
    let current = &tickets.current;
    TICKET_PROVIDER.ensure(
        !current.value().is_empty(),
        "the current SIGN ticket is not empty",
        &tickets,
    );
    let now = clock.now();
    let rule = "the current SIGN ticket is valid now (expires after the provider's clock)";
    TICKET_PROVIDER.ensure(current.is_valid_at(now), rule, (&tickets, now));
    tickets
}

/// Whether `a` and `b` have the same current ticket.
fn same(a: &SignTickets, b: &SignTickets) -> bool {
    a.current.value() == b.current.value()
}
