//! One order as [`MemoryOrderStore`](super::MemoryOrderStore) holds it:
//! every field inline, so that a consume reads only the map's own slot. In
//! a store of hundreds of thousands of orders that slot is rarely in the
//! CPU's caches; a string or shared allocation behind it would be one more
//! miss, each waited for in turn.

use std::hash::{Hash, Hasher};
use std::time::{Instant, SystemTime};

use crate::binding::BindingHash;
use crate::edition::Edition;
use crate::ids::{OrderNo, UserId};
use crate::orders::{PendingOrder, SettlementRecord};

/// An identifier of at most 32 ASCII bytes, as [`OrderNo`] and [`UserId`]
/// guarantee, held inline.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct InlineId {
    len: u8,
    bytes: [u8; InlineId::MAX],
}

impl InlineId {
    const MAX: usize = 32;

    pub(super) fn new(id: &str) -> Self {
        let source = id.as_bytes();
        // Identifiers hold at most 32 bytes; `min` only keeps this total.
        let len = source.len().min(Self::MAX);
        let mut bytes = [0; Self::MAX];
        bytes[..len].copy_from_slice(&source[..len]);
        Self {
            len: len as u8,
            bytes,
        }
    }

    pub(super) fn as_str(&self) -> &str {
        // Made from a `str` of at most `MAX` bytes: always whole.
        std::str::from_utf8(&self.bytes[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl Hash for InlineId {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write(&self.bytes[..usize::from(self.len)]);
    }
}

/// An order, pending or consumed, keyed by its order number.
pub(super) struct Entry {
    pub(super) expires_at: Instant,
    pub(super) user_id: InlineId,
    pub(super) created_at: SystemTime,
    pub(super) binding: Option<BindingHash>,
    pub(super) edition: Edition,
    pub(super) state: State,
    /// Its reference time in the due index, while it is there.
    pub(super) due: Option<SystemTime>,
}

pub(super) enum State {
    Pending,
    /// Consumed at `at` by the claim with this attempt id (none once
    /// anonymised), with the settlement kept with it.
    Consumed {
        attempt: Option<u64>,
        settlement: Option<SettlementRecord>,
        at: SystemTime,
    },
}

impl Entry {
    pub(super) fn pending(
        order: &PendingOrder,
        expires_at: Instant,
        due: Option<SystemTime>,
    ) -> Self {
        Self {
            expires_at,
            user_id: InlineId::new(order.user_id.as_str()),
            created_at: order.created_at,
            binding: order.binding,
            edition: order.edition,
            state: State::Pending,
            due,
        }
    }

    /// Forgets the user, the browser binding, the attempt id and the
    /// settlement of a consumed order: a tombstone that still refuses a
    /// replay. Answers whether a settlement was dropped.
    pub(super) fn anonymise(&mut self) -> bool {
        self.user_id = InlineId::new("");
        self.binding = None;
        match &mut self.state {
            State::Consumed {
                attempt,
                settlement,
                ..
            } => {
                *attempt = None;
                settlement.take().is_some()
            }
            State::Pending => false,
        }
    }

    /// The order this entry holds for `order_no`.
    pub(super) fn order(&self, order_no: &InlineId) -> PendingOrder {
        PendingOrder {
            order_no: OrderNo::revalidated(order_no.as_str()),
            user_id: UserId::revalidated(self.user_id.as_str()),
            created_at: self.created_at,
            binding: self.binding,
            edition: self.edition,
        }
    }
}
