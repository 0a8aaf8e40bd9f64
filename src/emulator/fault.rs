//! Faults the tests inject: what the vendor does on a bad day.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

use super::{lock, Shared};
use crate::client::Endpoint;
use crate::result_code::ResultCode;

/// A fault for the next `times` requests to `endpoint` (see
/// [`Emulator::inject`](super::Emulator::inject)). `Endpoint::ApiTicket` covers SIGN and NONCE
/// tickets alike.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Fault {
    /// Answer this HTTP status with an empty body (500 if `status` is not
    /// a valid status code).
    HttpStatus {
        /// The endpoint to fault.
        endpoint: Endpoint,
        /// The status to answer.
        status: u16,
        /// How many requests.
        times: usize,
    },
    /// Answer HTTP 200 with this vendor error code.
    VendorError {
        /// The endpoint to fault.
        endpoint: Endpoint,
        /// The code to answer.
        code: ResultCode,
        /// How many requests.
        times: usize,
    },
    /// Wait this long, then answer normally.
    Delay {
        /// The endpoint to fault.
        endpoint: Endpoint,
        /// How long to wait.
        delay: Duration,
        /// How many requests.
        times: usize,
    },
    /// Hold requests to `endpoint` until `release` is notified, then answer
    /// normally. Each held request waits for one notification:
    /// `release.notify_one()` releases one (or, sent before the request
    /// arrives, lets it through), `release.notify_waiters()` releases all
    /// those already waiting. The request is counted before it is held.
    Hold {
        /// The endpoint to fault.
        endpoint: Endpoint,
        /// Notify it to release.
        release: Arc<Notify>,
        /// How many requests.
        times: usize,
    },
    /// Answer HTTP 200 with this body as `application/json`, for example
    /// something that is not JSON at all.
    RawBody {
        /// The endpoint to fault.
        endpoint: Endpoint,
        /// The body to answer.
        body: String,
        /// How many requests.
        times: usize,
    },
}

impl Fault {
    fn endpoint(&self) -> Endpoint {
        match self {
            Self::HttpStatus { endpoint, .. }
            | Self::VendorError { endpoint, .. }
            | Self::Delay { endpoint, .. }
            | Self::Hold { endpoint, .. }
            | Self::RawBody { endpoint, .. } => *endpoint,
        }
    }

    pub(super) fn times(&self) -> usize {
        match self {
            Self::HttpStatus { times, .. }
            | Self::VendorError { times, .. }
            | Self::Delay { times, .. }
            | Self::Hold { times, .. }
            | Self::RawBody { times, .. } => *times,
        }
    }

    fn times_mut(&mut self) -> &mut usize {
        match self {
            Self::HttpStatus { times, .. }
            | Self::VendorError { times, .. }
            | Self::Delay { times, .. }
            | Self::Hold { times, .. }
            | Self::RawBody { times, .. } => times,
        }
    }
}

impl Shared {
    /// Takes one use of the first queued fault for `endpoint`.
    pub(super) fn take_fault(&self, endpoint: Endpoint) -> Option<Fault> {
        let mut faults = lock(&self.faults);
        let index = faults.iter().position(|f| f.endpoint() == endpoint)?;
        let times = faults[index].times_mut();
        *times = times.saturating_sub(1);
        if *times == 0 {
            faults.remove(index)
        } else {
            Some(faults[index].clone())
        }
    }
}
