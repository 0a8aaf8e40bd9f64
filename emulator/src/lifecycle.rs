//! The vendor's credential lifetimes, as documented: a new access token
//! ends the previous ones one minute later, a new SIGN ticket ends the
//! previous ones one minute later, every ticket dies with the token that
//! fetched it, and a NONCE ticket is used once.

use std::time::{Duration, SystemTime};

use crate::random::random_alphanumeric;
use tencent_faceid::Secret;

/// An access token and when it ends (possibly brought forward by a
/// successor).
struct Token {
    id: u64,
    value: Secret,
    ends_at: SystemTime,
}

/// A ticket, the token that fetched it, and its own end.
struct Ticket {
    value: Secret,
    token: u64,
    ends_at: SystemTime,
}

struct NonceTicket {
    user_id: String,
    ticket: Ticket,
}

/// Every token and ticket of the app that may still be alive.
#[derive(Default)]
pub(super) struct Credentials {
    tokens: Vec<Token>,
    /// Oldest first.
    sign_tickets: Vec<Ticket>,
    nonce_tickets: Vec<NonceTicket>,
    next_token_id: u64,
}

/// A live access token, for issuing tickets with.
#[derive(Clone, Copy)]
pub(super) struct TokenId(u64);

impl Credentials {
    /// Issues an access token living `ttl`; the ones before end at
    /// `now + overlap` at the latest.
    pub fn issue_token(&mut self, now: SystemTime, ttl: Duration, overlap: Duration) -> Secret {
        for token in &mut self.tokens {
            token.ends_at = token.ends_at.min(now + overlap);
        }
        self.forget_dead(now);
        let value = Secret::new(random_alphanumeric(40));
        self.next_token_id += 1;
        self.tokens.push(Token {
            id: self.next_token_id,
            value: value.clone(),
            ends_at: now + ttl,
        });
        value
    }

    /// The token with this value, if it is alive at `now`.
    pub fn live_token(&self, value: &str, now: SystemTime) -> Option<TokenId> {
        self.tokens
            .iter()
            .find(|token| token.value.expose() == value && now < token.ends_at)
            .map(|token| TokenId(token.id))
    }

    /// Whether a ticket is alive at `now`: before its own end and its
    /// token's.
    fn alive(&self, ticket: &Ticket, now: SystemTime) -> bool {
        now < ticket.ends_at
            && self
                .tokens
                .iter()
                .any(|token| token.id == ticket.token && now < token.ends_at)
    }

    fn new_ticket(token: TokenId, now: SystemTime, ttl: Duration) -> Ticket {
        Ticket {
            value: Secret::new(random_alphanumeric(64)),
            token: token.0,
            ends_at: now + ttl,
        }
    }

    /// Issues a SIGN ticket with `token`; the ones before end at
    /// `now + overlap` at the latest.
    pub fn issue_sign_ticket(
        &mut self,
        token: TokenId,
        now: SystemTime,
        ttl: Duration,
        overlap: Duration,
    ) -> Secret {
        for ticket in &mut self.sign_tickets {
            ticket.ends_at = ticket.ends_at.min(now + overlap);
        }
        self.forget_dead(now);
        let ticket = Self::new_ticket(token, now, ttl);
        let value = ticket.value.clone();
        self.sign_tickets.push(ticket);
        value
    }

    /// The SIGN tickets alive at `now`, newest first.
    pub fn live_sign_tickets(&self, now: SystemTime) -> impl Iterator<Item = &Secret> {
        self.sign_tickets
            .iter()
            .rev()
            .filter(move |ticket| self.alive(ticket, now))
            .map(|ticket| &ticket.value)
    }

    /// The newest SIGN ticket alive at `now`: the one the vendor signs
    /// callbacks with.
    pub fn current_sign_ticket(&self, now: SystemTime) -> Option<&Secret> {
        self.live_sign_tickets(now).next()
    }

    /// Issues a NONCE ticket for `user_id` with `token`.
    pub fn issue_nonce_ticket(
        &mut self,
        token: TokenId,
        user_id: &str,
        now: SystemTime,
        ttl: Duration,
    ) -> Secret {
        self.forget_dead(now);
        let ticket = Self::new_ticket(token, now, ttl);
        let value = ticket.value.clone();
        self.nonce_tickets.push(NonceTicket {
            user_id: user_id.to_owned(),
            ticket,
        });
        value
    }

    /// Uses up the live NONCE ticket of `user_id` that `signs` accepts;
    /// `false` when there is none.
    pub fn use_nonce_ticket(
        &mut self,
        user_id: &str,
        now: SystemTime,
        signs: impl Fn(&Secret) -> bool,
    ) -> bool {
        let found = self.nonce_tickets.iter().position(|nonce| {
            nonce.user_id == user_id && self.alive(&nonce.ticket, now) && signs(&nonce.ticket.value)
        });
        found
            .map(|index| self.nonce_tickets.swap_remove(index))
            .is_some()
    }

    /// Drops what can never be alive again (time only moves forward).
    fn forget_dead(&mut self, now: SystemTime) {
        let sign_tickets = std::mem::take(&mut self.sign_tickets);
        self.sign_tickets = sign_tickets
            .into_iter()
            .filter(|ticket| self.alive(ticket, now))
            .collect();
        let nonce_tickets = std::mem::take(&mut self.nonce_tickets);
        self.nonce_tickets = nonce_tickets
            .into_iter()
            .filter(|nonce| self.alive(&nonce.ticket, now))
            .collect();
        self.tokens.retain(|token| now < token.ends_at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);
    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn a_new_token_ends_the_old_one_a_minute_later_and_its_tickets_with_it() {
        let mut credentials = Credentials::default();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let old = credentials.issue_token(t0, 2 * HOUR, MINUTE);
        let old_id = credentials.live_token(old.expose(), t0).unwrap();
        let ticket = credentials.issue_sign_ticket(old_id, t0, HOUR, MINUTE);

        let t1 = t0 + 10 * MINUTE;
        let new = credentials.issue_token(t1, 2 * HOUR, MINUTE);
        let just_before = t1 + MINUTE - Duration::from_secs(1);
        assert!(credentials.live_token(old.expose(), just_before).is_some());
        assert_eq!(credentials.current_sign_ticket(just_before), Some(&ticket));
        assert!(credentials.live_token(old.expose(), t1 + MINUTE).is_none());
        assert_eq!(credentials.current_sign_ticket(t1 + MINUTE), None);
        assert!(credentials.live_token(new.expose(), t1 + MINUTE).is_some());
    }

    #[test]
    fn a_new_sign_ticket_ends_the_old_one_a_minute_later() {
        let mut credentials = Credentials::default();
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let token = credentials.issue_token(t0, 2 * HOUR, MINUTE);
        let id = credentials.live_token(token.expose(), t0).unwrap();
        let old = credentials.issue_sign_ticket(id, t0, HOUR, MINUTE);
        let new = credentials.issue_sign_ticket(id, t0, HOUR, MINUTE);
        let live: Vec<_> = credentials.live_sign_tickets(t0).collect();
        assert_eq!(live, [&new, &old]);
        let live: Vec<_> = credentials.live_sign_tickets(t0 + MINUTE).collect();
        assert_eq!(live, [&new]);
    }
}
