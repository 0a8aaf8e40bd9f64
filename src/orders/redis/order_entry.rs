//! An order's entry as the Redis store writes it in its key's value:
//! `<created ms>:<binding hash or ->:<user id>[:<edition>]`.

use crate::binding::BindingHash;
use crate::clock::{from_unix_millis, unix_millis};
use crate::edition::Edition;
use crate::ids::{OrderNo, UserId};
use crate::orders::PendingOrder;

/// The binding field of an order that has none.
pub(super) const UNBOUND: &str = "-";

/// The entry of `order`; a basic order's without its edition.
pub(super) fn encode(order: &PendingOrder) -> String {
    let created = unix_millis(order.created_at);
    let binding = order
        .binding
        .as_ref()
        .map_or_else(|| UNBOUND.to_owned(), BindingHash::to_hex);
    let user_id = order.user_id.as_str();
    match order.edition {
        Edition::Basic => format!("{created}:{binding}:{user_id}"),
        edition => format!("{created}:{binding}:{user_id}:{edition}"),
    }
}

/// The order `order_no` its entry describes, or why it is corrupt; an
/// order without an edition is basic.
pub(super) fn decode(order_no: &OrderNo, order: &str) -> Result<PendingOrder, &'static str> {
    let mut fields = order.splitn(4, ':');
    let (Some(created), Some(binding), Some(user_id)) =
        (fields.next(), fields.next(), fields.next())
    else {
        return Err("no binding or user id");
    };
    let edition = match fields.next() {
        None => Edition::Basic,
        Some(edition) => edition.parse().map_err(|_| "unknown edition")?,
    };
    let created: u64 = created
        .parse()
        .map_err(|_| "creation time is not a number")?;
    let binding = match binding {
        UNBOUND => None,
        hex => Some(BindingHash::from_hex(hex).ok_or("invalid binding hash")?),
    };
    let user_id = UserId::new(user_id).map_err(|_| "invalid user id")?;
    Ok(PendingOrder {
        order_no: order_no.clone(),
        user_id,
        created_at: from_unix_millis(created),
        binding,
        edition,
    })
}
