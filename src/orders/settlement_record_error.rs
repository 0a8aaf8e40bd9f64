//! [`SettlementRecordError`]: a kept settlement record that cannot be read.

use super::SettlementRecord;
use crate::ids::OrderNo;
use crate::json::DecodeError;

/// A settlement record a store keeps that
/// [`SettlementRecord::decode`] cannot read. It reaches the settler and
/// the reconciler as [`StoreError::UnreadableSettlement`](super::StoreError::UnreadableSettlement),
/// and the order stays in the due index until the record is readable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SettlementRecordError {
    /// The record is of a version newer than [`SettlementRecord::VERSION`]:
    /// a newer tencent-faceid sharing the store wrote it.
    #[error(
        "the settlement record of order {order_no} is version {version}, newer than the version {} this tencent-faceid reads: run one version of tencent-faceid on every instance sharing the store",
        SettlementRecord::VERSION
    )]
    Newer {
        /// The order it was kept with.
        order_no: OrderNo,
        /// The version it says it is.
        version: u64,
    },
    /// The record is not one tencent-faceid wrote: a field is missing, or
    /// holds a value of the wrong type or form (the source says which and
    /// why).
    #[error(
        "the settlement record of order {order_no} cannot be read at `{field}`, so tencent-faceid did not write it as it stands: correct or delete it in the store",
        field = source.field()
    )]
    Unreadable {
        /// The order it was kept with.
        order_no: OrderNo,
        /// Which field, and why.
        #[source]
        source: DecodeError,
    },
}
