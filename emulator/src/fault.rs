//! Faults the tests inject: what the vendor does on a bad day.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::lock;
use tencent_faceid::client::Endpoint;
use tencent_faceid::client::ResultCode;

/// What the next request to one endpoint meets instead of the vendor's
/// usual answer (see [`Emulator::inject`](super::Emulator::inject)): made
/// by one constructor per kind of fault, for one request unless
/// [`times`](Self::times) says more. `Endpoint::ApiTicket` covers SIGN and
/// NONCE tickets alike.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use tencent_faceid::client::{ClientError, Endpoint};
/// use tencent_faceid_emulator::{Emulator, Fault};
/// let emulator = Emulator::start().await?;
/// emulator.inject(Fault::http_status(Endpoint::AccessToken, 503).times(2));
/// let client = emulator.client();
/// for _ in 0..2 {
///     let error = client.access_token().await.unwrap_err();
///     assert!(matches!(error, ClientError::Status { status: 503, .. }));
/// }
/// assert!(client.access_token().await.is_ok());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Fault {
    endpoint: Endpoint,
    times: usize,
    kind: FaultKind,
}

/// What a fault does to a request.
#[derive(Debug, Clone)]
pub(super) enum FaultKind {
    /// Answers this HTTP status with an empty body.
    HttpStatus(u16),
    /// Answers HTTP 200 with this vendor error code.
    VendorError(ResultCode),
    /// Answers normally, this much later.
    Delay(Duration),
    /// Answers normally once notified.
    Hold(Arc<Notify>),
    /// Answers HTTP 200 with this body as `application/json`.
    RawBody(String),
}

impl Fault {
    fn new(endpoint: Endpoint, kind: FaultKind) -> Self {
        Self {
            endpoint,
            times: 1,
            kind,
        }
    }

    /// Answers this HTTP status with an empty body (500 if `status` is
    /// not a valid status code).
    pub fn http_status(endpoint: Endpoint, status: u16) -> Self {
        Self::new(endpoint, FaultKind::HttpStatus(status))
    }

    /// Answers HTTP 200 with this vendor error code, as the vendor refuses.
    pub fn vendor_error(endpoint: Endpoint, code: ResultCode) -> Self {
        Self::new(endpoint, FaultKind::VendorError(code))
    }

    /// Waits this long, then answers normally.
    pub fn delay(endpoint: Endpoint, delay: Duration) -> Self {
        Self::new(endpoint, FaultKind::Delay(delay))
    }

    /// Holds the request until `release` is notified, then answers
    /// normally. Each held request waits for one notification:
    /// `release.notify_one()` releases one (or, sent before the request
    /// arrives, lets it through), `release.notify_waiters()` releases all
    /// those already waiting. The request is counted before it is held.
    pub fn hold(endpoint: Endpoint, release: Arc<Notify>) -> Self {
        Self::new(endpoint, FaultKind::Hold(release))
    }

    /// Answers HTTP 200 with this body as `application/json`, for example
    /// something that is not JSON at all.
    pub fn raw_body(endpoint: Endpoint, body: impl Into<String>) -> Self {
        Self::new(endpoint, FaultKind::RawBody(body.into()))
    }

    /// For the next `times` requests to the endpoint instead of the next
    /// one; `0` makes a fault that applies to no request.
    pub fn times(mut self, times: usize) -> Self {
        self.times = times;
        self
    }
}

/// The faults injected and not used up yet, in the order injected.
#[derive(Default)]
pub(super) struct FaultQueue(Mutex<VecDeque<Fault>>);

impl FaultQueue {
    /// Queues `fault` behind the others (unless it applies to no request).
    pub(super) fn push(&self, fault: Fault) {
        if fault.times > 0 {
            lock(&self.0).push_back(fault);
        }
    }

    /// Drops every queued fault.
    pub(super) fn clear(&self) {
        lock(&self.0).clear();
    }

    /// Takes one use of the first queued fault for `endpoint`.
    pub(super) fn take(&self, endpoint: Endpoint) -> Option<FaultKind> {
        let mut faults = lock(&self.0);
        let index = faults.iter().position(|f| f.endpoint == endpoint)?;
        let fault = &mut faults[index];
        fault.times = fault.times.saturating_sub(1);
        if fault.times == 0 {
            faults.remove(index).map(|fault| fault.kind)
        } else {
            Some(fault.kind.clone())
        }
    }
}
