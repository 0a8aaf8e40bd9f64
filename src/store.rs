//! Pending orders: the sessions this server started, each accepted once.
//!
//! A callback is only trusted for an order this server (or a sibling
//! instance sharing the store) started, and only the first time it arrives.
//! [`OrderStore`] is the seam: [`MemoryOrderStore`] for one process,
//! (feature `redis`) `RedisOrderStore` for many.

use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::model::{OrderNo, UserId};

mod memory;
pub use memory::MemoryOrderStore;

/// A session this server started and has not seen come back yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingOrder {
    /// The order number sent to the vendor.
    pub order_no: OrderNo,
    /// The user the session is for.
    pub user_id: UserId,
    /// When the session was started.
    pub created_at: SystemTime,
}

impl PendingOrder {
    /// A pending order created now.
    ///
    /// ```
    /// use tencent_faceid::model::{OrderNo, UserId};
    /// use tencent_faceid::store::PendingOrder;
    /// let order = PendingOrder::new(OrderNo::new("o1")?, UserId::new("u1")?);
    /// assert_eq!(order.order_no.as_str(), "o1");
    /// # Ok::<(), tencent_faceid::model::IdentifierError>(())
    /// ```
    pub fn new(order_no: OrderNo, user_id: UserId) -> Self {
        Self {
            order_no,
            user_id,
            created_at: SystemTime::now(),
        }
    }
}

/// What [`OrderStore::consume`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Consumed {
    /// The order was pending and is now consumed: accept the callback.
    Accepted(PendingOrder),
    /// No such order was ever recorded (or it was forgotten long ago).
    Unknown,
    /// The order was recorded but its time to live ran out.
    Expired,
    /// The order was consumed before: this is a replay.
    AlreadyConsumed,
}

/// The store failed (not a verdict on the order).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The order number is already recorded: order numbers are single use.
    #[error("order number {0} is already recorded; generate a new one for each session")]
    Duplicate(OrderNo),
    /// The store is full of pending orders that have not expired.
    #[error("the order store holds its maximum of {capacity} pending orders; raise the capacity or shorten the time to live")]
    Full {
        /// The configured capacity.
        capacity: usize,
    },
    /// The backend could not be reached or answered wrongly.
    #[error("the order store backend failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync + 'static>),
}

/// Where pending orders live between session start and callback.
///
/// Object-safe: store it as `Arc<dyn OrderStore>`. `consume` must be atomic:
/// of two concurrent calls for one order, exactly one gets
/// [`Consumed::Accepted`].
#[async_trait]
pub trait OrderStore: Send + Sync + 'static {
    /// Records a pending order that may be consumed within `ttl`.
    async fn put(&self, order: PendingOrder, ttl: Duration) -> Result<(), StoreError>;

    /// Consumes the order once; see [`Consumed`] for the answers.
    async fn consume(&self, order_no: &OrderNo) -> Result<Consumed, StoreError>;

    /// Consumes the order like [`consume`] if the store can answer without
    /// waiting (an in-process store), else `None`, having done nothing:
    /// then [`consume`] is called.
    ///
    /// The fast path that lets a callback be verified without an `async`
    /// detour. The default answers `None`.
    ///
    /// [`consume`]: OrderStore::consume
    ///
    /// ```
    /// use tencent_faceid::model::OrderNo;
    /// use tencent_faceid::store::{Consumed, MemoryOrderStore, OrderStore};
    /// let store = MemoryOrderStore::new();
    /// let order_no = OrderNo::new("order1")?;
    /// let answer = store.consume_now(&order_no).expect("a memory store answers at once");
    /// assert!(matches!(answer, Ok(Consumed::Unknown)));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn consume_now(&self, order_no: &OrderNo) -> Option<Result<Consumed, StoreError>> {
        let _ = order_no;
        None
    }
}

#[async_trait]
impl<T: OrderStore + ?Sized> OrderStore for std::sync::Arc<T> {
    async fn put(&self, order: PendingOrder, ttl: Duration) -> Result<(), StoreError> {
        (**self).put(order, ttl).await
    }

    async fn consume(&self, order_no: &OrderNo) -> Result<Consumed, StoreError> {
        (**self).consume(order_no).await
    }

    fn consume_now(&self, order_no: &OrderNo) -> Option<Result<Consumed, StoreError>> {
        (**self).consume_now(order_no)
    }
}
