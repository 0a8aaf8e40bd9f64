//! How many requests each endpoint received, and waiting on it.

use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::watch;

/// Requests received per endpoint, faulted ones included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// `GET /api/oauth2/access_token`.
    pub access_token: usize,
    /// `GET /api/oauth2/api_ticket` with any type but `NONCE`.
    pub sign_ticket: usize,
    /// `GET /api/oauth2/api_ticket?type=NONCE`.
    pub nonce_ticket: usize,
    /// `POST /api/server/h5/geth5faceid`.
    pub start_session: usize,
    /// `POST /api/server/getAdvFaceId`.
    pub start_enhanced: usize,
    /// `POST /api/server/getfaceid`.
    pub start_sdk: usize,
    /// `GET /api/web/login`, and the pages
    /// [`Emulator::complete_login`](super::Emulator::complete_login) opened.
    pub login_page: usize,
    /// `POST /api/v2/base/queryfacerecord`.
    pub query_record: usize,
    /// API 3.0 `DetectAuth` (`POST /`, `X-TC-Action: DetectAuth`), refused ones included.
    pub detect_auth: usize,
    /// API 3.0 `GetDetectInfoEnhanced`, refused ones included.
    pub detect_info: usize,
    /// API 3.0 requests with another or no action.
    pub tc3_other: usize,
}

/// One endpoint's count.
#[derive(Default)]
pub(super) struct Counter(AtomicUsize);

impl Counter {
    fn increment(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    fn get(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

pub(super) struct CountCells {
    pub(super) access_token: Counter,
    pub(super) sign_ticket: Counter,
    pub(super) nonce_ticket: Counter,
    pub(super) start_session: Counter,
    pub(super) start_enhanced: Counter,
    pub(super) start_sdk: Counter,
    pub(super) login_page: Counter,
    pub(super) query_record: Counter,
    pub(super) detect_auth: Counter,
    pub(super) detect_info: Counter,
    pub(super) tc3_other: Counter,
    /// Bumped after every count, for [`super::Emulator::wait_for_counts`].
    pub(super) changed: watch::Sender<()>,
}

impl Default for CountCells {
    fn default() -> Self {
        Self {
            access_token: Counter::default(),
            sign_ticket: Counter::default(),
            nonce_ticket: Counter::default(),
            start_session: Counter::default(),
            start_enhanced: Counter::default(),
            start_sdk: Counter::default(),
            login_page: Counter::default(),
            query_record: Counter::default(),
            detect_auth: Counter::default(),
            detect_info: Counter::default(),
            tc3_other: Counter::default(),
            changed: watch::channel(()).0,
        }
    }
}

impl CountCells {
    /// Counts one request on the counter `pick` chooses and wakes waiters.
    pub(super) fn add(&self, pick: impl Fn(&Self) -> &Counter) {
        pick(self).increment();
        self.changed.send_replace(());
    }

    pub(super) fn snapshot(&self) -> Counts {
        Counts {
            access_token: self.access_token.get(),
            sign_ticket: self.sign_ticket.get(),
            nonce_ticket: self.nonce_ticket.get(),
            start_session: self.start_session.get(),
            start_enhanced: self.start_enhanced.get(),
            start_sdk: self.start_sdk.get(),
            login_page: self.login_page.get(),
            query_record: self.query_record.get(),
            detect_auth: self.detect_auth.get(),
            detect_info: self.detect_info.get(),
            tc3_other: self.tc3_other.get(),
        }
    }
}
