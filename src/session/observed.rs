//! A start as operators see it: its `faceid.start` span, its count by
//! outcome and its latency (see [`crate::metrics`]).

use std::future::Future;
use std::time::Instant;

use tracing::Instrument;
use tracing::field::Empty;

use super::StartError;
use crate::orders::StoreError;

/// Runs `start` (a start of `edition`) in its span, then counts it and
/// records how long it took.
pub(super) async fn observed<T>(
    edition: &'static str,
    start: impl Future<Output = Result<T, StartError>>,
) -> Result<T, StartError> {
    let span = tracing::info_span!("faceid.start", edition, order_no = Empty, outcome = Empty);
    let began = Instant::now();
    let result = start.instrument(span.clone()).await;
    let outcome = outcome(&result);
    span.record("outcome", outcome);
    crate::metrics::start(edition, outcome, began.elapsed());
    result
}

/// The `outcome` label of a start's result.
fn outcome<T>(result: &Result<T, StartError>) -> &'static str {
    match result {
        Ok(_) => "started",
        Err(StartError::Refused(_)) => "refused",
        Err(StartError::Store(StoreError::Full { .. })) => "store_full",
        Err(StartError::Store(_)) => "store_unavailable",
        Err(StartError::Tickets(_)) => "tickets_unavailable",
        Err(StartError::Invalid(_)) => "invalid",
        Err(error) if error.status() == 422 => "identity_refused",
        Err(StartError::Vendor(_) | StartError::Answer(_)) => "vendor_error",
        Err(_) => "misconfigured",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{ClientError, Endpoint};
    use crate::result_code::ResultCode;
    use crate::session::{InvalidStart, Started};

    #[test]
    fn each_failure_has_its_outcome() {
        let vendor = |code| -> Result<Started, StartError> {
            Err(StartError::Vendor(ClientError::Vendor {
                endpoint: Endpoint::StartSession,
                code,
                msg: String::new(),
            }))
        };
        let cases = [
            (Err(StartError::Refused("5 a minute".into())), "refused"),
            (Err(StoreError::Full { capacity: 1 }.into()), "store_full"),
            (
                Err(StoreError::Backend("connection refused".into()).into()),
                "store_unavailable",
            ),
            (Err(InvalidStart::BlankIdentity.into()), "invalid"),
            (
                vendor(ResultCode::InvalidNameOrIdNumber),
                "identity_refused",
            ),
            (vendor(ResultCode::InvalidAccessToken), "vendor_error"),
            (Err(StartError::Answer("no".into())), "vendor_error"),
        ];
        for (result, expected) in cases {
            assert_eq!(outcome(&result), expected, "{result:?}");
        }
    }
}
