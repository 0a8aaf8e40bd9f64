//! Shared by `callback`, `axum_layer`, `actix` and the other callback tests:
//! the seed vector and the verifier on it (from the test-support crate's
//! `callbacks`), callback builders, a failing ticket source, the matrix of
//! good and bad callbacks every surface must answer alike, and a partner
//! server against the emulator.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tencent_faceid::Secret;
use tencent_faceid::callback::{CallbackRejection, CallbackVerifier, VerificationOutcome};
use tencent_faceid::orders::{MemoryOrderStore, OrderStore, PendingOrder};
use tencent_faceid::session::{SessionStarter, StartSession, Started};
use tencent_faceid::sign::sign;
use tencent_faceid::tickets::{CachedTickets, SignTickets, TicketError, TicketProvider};
use tencent_faceid::wiring::Wiring;
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::{Emulator, Outcome as EmulatorOutcome};
use url::Url;

use faceid_test_support::callbacks::verifier_with;
pub use faceid_test_support::callbacks::{APP_ID, TICKET, seed_tickets, wiring};

/// The SIGN ticket before the last rotation.
pub const PREVIOUS_TICKET: &str = "previousSignTicket0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH";
/// A ticket this app never had.
pub const FOREIGN_TICKET: &str = "foreignSignTicket0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHI";
/// The user every test order is for.
pub const USER: &str = "user42";
/// The h5faceId a genuine callback carries.
pub const H5FACE_ID: &str = "h5face1";
/// How long test orders stay pending.
pub const TTL: Duration = Duration::from_secs(900);
/// The route the HTTP surfaces serve the callback on.
pub const CALLBACK_PATH: &str = "/face/callback";

/// Where the SIGN tickets come from in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tickets {
    /// Only the seed ticket.
    Current,
    /// The seed ticket, and [`PREVIOUS_TICKET`] still within its grace window.
    PreviousInGrace,
    /// The seed ticket, and [`PREVIOUS_TICKET`] whose grace window is over.
    PreviousAfterGrace,
    /// A ticket source that always fails.
    Unavailable,
}

/// A ticket source that is down: every call fails.
#[derive(Debug, Clone, Copy)]
pub struct FailingTickets;

#[async_trait]
impl TicketProvider for FailingTickets {
    async fn sign_tickets(&self) -> Result<Arc<SignTickets>, TicketError> {
        Err(TicketError::SignUnavailable {
            source: "the ticket source is down".into(),
        })
    }

    async fn nonce_ticket(&self, _user_id: &UserId) -> Result<Secret, TicketError> {
        Err(TicketError::NonceUnavailable {
            source: "the ticket source is down".into(),
        })
    }
}

/// A verifier for [`APP_ID`] over `store`, with `tickets`: without browser
/// binding, and never asking the vendor.
pub fn verifier(tickets: Tickets, store: &MemoryOrderStore) -> CallbackVerifier {
    let now = SystemTime::now();
    let grace = Duration::from_secs(300);
    let store = store.clone();
    match tickets {
        Tickets::Current => verifier_with(seed_tickets(), store),
        Tickets::PreviousInGrace => verifier_with(
            seed_tickets().with_previous(PREVIOUS_TICKET, now + grace),
            store,
        ),
        Tickets::PreviousAfterGrace => verifier_with(
            seed_tickets().with_previous(PREVIOUS_TICKET, now - Duration::from_secs(1)),
            store,
        ),
        Tickets::Unavailable => verifier_with(FailingTickets, store),
    }
}

/// Records a pending order for [`USER`] that lives `ttl`.
pub async fn start_order(
    store: &(impl OrderStore + ?Sized),
    order_no: &str,
    ttl: Duration,
) -> OrderNo {
    let order_no = OrderNo::new(order_no).expect("valid order number");
    let user = UserId::new(USER).expect("valid user id");
    store
        .put(PendingOrder::new(order_no.clone(), user), ttl)
        .await
        .expect("order recorded");
    order_no
}

/// The query of a callback for `order_no` with `code`, signed as the vendor
/// signs it (app id, order number, code) with `ticket`.
pub fn callback(order_no: &str, code: &str, ticket: &str) -> String {
    let signature = sign(&[APP_ID, order_no, code], ticket);
    callback_signed(order_no, code, &signature.to_string())
}

/// The query of a callback for `order_no` with `code` and `signature`.
pub fn callback_signed(order_no: &str, code: &str, signature: &str) -> String {
    format!("code={code}&orderNo={order_no}&h5faceId={H5FACE_ID}&newSignature={signature}")
}

/// What a handler saw of a verified callback; the HTTP test handlers send
/// it back as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub passed: bool,
    pub code: String,
    pub order_no: String,
    pub user_id: String,
    pub h5face_id: String,
    pub live_rate: Option<String>,
    /// Whether the vendor's record confirmed it.
    pub confirmed: bool,
}

impl Summary {
    pub fn of(outcome: &VerificationOutcome) -> Self {
        Self {
            passed: outcome.passed(),
            code: outcome.code.as_str().to_owned(),
            order_no: outcome.order_no.to_string(),
            user_id: outcome.user_id.to_string(),
            h5face_id: outcome.h5face_id.clone(),
            live_rate: outcome.live_rate.clone(),
            confirmed: outcome.record.is_some(),
        }
    }
}

/// What a surface answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observed {
    /// The handler ran with this outcome.
    Accepted(Summary),
    /// The callback was rejected with this status and, when the surface
    /// tells, this kind.
    Rejected { status: u16, kind: Option<String> },
}

impl From<Result<VerificationOutcome, CallbackRejection>> for Observed {
    fn from(result: Result<VerificationOutcome, CallbackRejection>) -> Self {
        match result {
            Ok(outcome) => Self::Accepted(Summary::of(&outcome)),
            Err(rejection) => Self::Rejected {
                status: rejection.status(),
                kind: Some(rejection.kind().as_str().to_owned()),
            },
        }
    }
}

/// The state of a case's order before the callback under test arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// Started and pending.
    Pending,
    /// Started with a zero time to live: expired by the time it is consumed.
    Expired,
    /// Never started by this server.
    NotStarted,
    /// Started, and the same callback was already accepted once.
    AlreadyAccepted,
}

/// What the surface must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    Accepted {
        passed: bool,
        code: &'static str,
        h5face_id: &'static str,
        live_rate: Option<&'static str>,
    },
    Rejected {
        status: u16,
        kind: &'static str,
    },
}

/// One callback and what must come of it.
pub struct Case {
    pub name: &'static str,
    pub tickets: Tickets,
    pub setup: Setup,
    /// The query, given the case's order number.
    pub query: fn(&str) -> String,
    pub expect: Expect,
}

const PASS: Expect = Expect::Accepted {
    passed: true,
    code: "0",
    h5face_id: H5FACE_ID,
    live_rate: None,
};

const fn rejected(status: u16, kind: &'static str) -> Expect {
    Expect::Rejected { status, kind }
}

const MALFORMED: Expect = rejected(400, "malformed");
const BAD_SIGNATURE: Expect = rejected(401, "bad_signature");

fn case(name: &'static str, query: fn(&str) -> String, expect: Expect) -> Case {
    Case {
        name,
        tickets: Tickets::Current,
        setup: Setup::Pending,
        query,
        expect,
    }
}

/// The matrix of good and bad callbacks.
pub fn cases() -> Vec<Case> {
    vec![
        case("valid pass", |o| callback(o, "0", TICKET), PASS),
        case(
            "valid failure is an outcome",
            |o| callback(o, "66660004", TICKET),
            Expect::Accepted {
                passed: false,
                code: "66660004",
                h5face_id: H5FACE_ID,
                live_rate: None,
            },
        ),
        case(
            "liveRate is passed on",
            |o| format!("{}&liveRate=99", callback(o, "0", TICKET)),
            Expect::Accepted {
                passed: true,
                code: "0",
                h5face_id: H5FACE_ID,
                live_rate: Some("99"),
            },
        ),
        case(
            "legacy signature and unknown parameters are ignored",
            |o| {
                format!(
                    "ret=%2Fhome&signature=x&signature=y&{}&from=browser",
                    callback(o, "0", TICKET)
                )
            },
            PASS,
        ),
        case(
            "lower-case signature is accepted",
            |o| {
                let signature = sign(&[APP_ID, o, "0"], TICKET).to_string();
                callback_signed(o, "0", &signature.to_lowercase())
            },
            PASS,
        ),
        case(
            "percent-encoded names and values are decoded",
            |o| {
                let signature = sign(&[APP_ID, o, "0"], TICKET);
                format!("%63ode=%30&order%4Eo={o}&h5faceId=h5face%31&newSignature={signature}")
            },
            PASS,
        ),
        Case {
            tickets: Tickets::PreviousInGrace,
            ..case(
                "previous ticket within its grace window is accepted",
                |o| callback(o, "0", PREVIOUS_TICKET),
                PASS,
            )
        },
        Case {
            tickets: Tickets::PreviousAfterGrace,
            ..case(
                "previous ticket after its grace window is refused",
                |o| callback(o, "0", PREVIOUS_TICKET),
                BAD_SIGNATURE,
            )
        },
        case(
            "a ticket this app never had is refused",
            |o| callback(o, "0", FOREIGN_TICKET),
            BAD_SIGNATURE,
        ),
        case(
            "tampered code (signed failure turned into pass)",
            |o| callback(o, "66660004", TICKET).replace("code=66660004", "code=0"),
            BAD_SIGNATURE,
        ),
        case(
            "tampered orderNo (another order's signature)",
            |o| {
                let signature = sign(&[APP_ID, "someoneElse1", "0"], TICKET);
                callback_signed(o, "0", &signature.to_string())
            },
            BAD_SIGNATURE,
        ),
        case(
            "signature for another app id",
            |o| {
                let signature = sign(&["appId002", o, "0"], TICKET);
                callback_signed(o, "0", &signature.to_string())
            },
            BAD_SIGNATURE,
        ),
        case(
            "tampered h5faceId is not signed: accepted, reported as sent",
            |o| callback(o, "0", TICKET).replace(H5FACE_ID, "h5faceForged"),
            Expect::Accepted {
                passed: true,
                code: "0",
                h5face_id: "h5faceForged",
                live_rate: None,
            },
        ),
        Case {
            setup: Setup::AlreadyAccepted,
            ..case(
                "replay",
                |o| callback(o, "0", TICKET),
                rejected(409, "replay"),
            )
        },
        Case {
            setup: Setup::NotStarted,
            ..case(
                "unknown order",
                |o| callback(o, "0", TICKET),
                rejected(404, "unknown_order"),
            )
        },
        Case {
            setup: Setup::Expired,
            ..case(
                "expired order",
                |o| callback(o, "0", TICKET),
                rejected(410, "expired"),
            )
        },
        case(
            "duplicate code with another value",
            |o| format!("code=1&{}", callback(o, "0", TICKET)),
            MALFORMED,
        ),
        case(
            "duplicate orderNo with the same value",
            |o| format!("{}&orderNo={o}", callback(o, "0", TICKET)),
            MALFORMED,
        ),
        case(
            "truncated query (no newSignature)",
            |o| {
                let full = callback(o, "0", TICKET);
                full[..full.find("&newSignature").unwrap_or(0)].to_owned()
            },
            MALFORMED,
        ),
        case(
            "truncated signature",
            |o| {
                let mut full = callback(o, "0", TICKET);
                full.pop();
                full
            },
            MALFORMED,
        ),
        case(
            "oversized query",
            |o| format!("{}&pad={}", callback(o, "0", TICKET), "x".repeat(2100)),
            MALFORMED,
        ),
        case(
            "invalid percent-encoding",
            |o| callback(o, "0", TICKET).replace("h5faceId=", "h5faceId=%zz"),
            MALFORMED,
        ),
        case(
            "truncated percent-encoding",
            |o| format!("{}&liveRate=9%4", callback(o, "0", TICKET)),
            MALFORMED,
        ),
        case(
            "not UTF-8 once decoded",
            |o| callback(o, "0", TICKET).replace("h5faceId=", "h5faceId=%FF"),
            MALFORMED,
        ),
        case(
            "order number with invalid characters",
            |o| callback(&format!("{o}_x"), "0", TICKET),
            MALFORMED,
        ),
        case("empty query", |_| String::new(), MALFORMED),
        Case {
            tickets: Tickets::Unavailable,
            ..case(
                "ticket source unavailable",
                |o| callback(o, "0", TICKET),
                rejected(503, "tickets_unavailable"),
            )
        },
    ]
}

/// Runs every case of [`cases`] through a surface: `call(verifier, query)`
/// sends `query` to the callback route of an app verifying with `verifier`.
///
/// Returns how many calls were expected to reach the handler.
pub async fn run_matrix<F, Fut>(mut call: F) -> usize
where
    F: FnMut(CallbackVerifier, String) -> Fut,
    Fut: Future<Output = Observed>,
{
    let mut handler_calls = 0;
    for (i, case) in cases().into_iter().enumerate() {
        let store = MemoryOrderStore::new();
        let verifier = verifier(case.tickets, &store);
        let order_no = format!("order{i}");
        let query = (case.query)(&order_no);
        match case.setup {
            Setup::Pending => {
                start_order(&store, &order_no, TTL).await;
            }
            Setup::Expired => {
                start_order(&store, &order_no, Duration::ZERO).await;
            }
            Setup::NotStarted => {}
            Setup::AlreadyAccepted => {
                start_order(&store, &order_no, TTL).await;
                let first = call(verifier.clone(), query.clone()).await;
                assert!(
                    matches!(first, Observed::Accepted(_)),
                    "{}: the first callback was not accepted: {first:?}",
                    case.name
                );
                handler_calls += 1;
            }
        }
        let observed = call(verifier, query).await;
        match (case.expect, observed) {
            (
                Expect::Accepted {
                    passed,
                    code,
                    h5face_id,
                    live_rate,
                },
                Observed::Accepted(summary),
            ) => {
                let expected = Summary {
                    passed,
                    code: code.to_owned(),
                    order_no: order_no.clone(),
                    user_id: USER.to_owned(),
                    h5face_id: h5face_id.to_owned(),
                    live_rate: live_rate.map(str::to_owned),
                    confirmed: false,
                };
                assert_eq!(summary, expected, "{}", case.name);
                handler_calls += 1;
            }
            (Expect::Rejected { status, kind }, Observed::Rejected { status: s, kind: k }) => {
                assert_eq!(s, status, "{}: status", case.name);
                if let Some(k) = k {
                    assert_eq!(k, kind, "{}: kind", case.name);
                }
            }
            (expect, observed) => panic!("{}: expected {expect:?}, got {observed:?}", case.name),
        }
    }
    handler_calls
}

/// A partner server against the emulator: sessions started for real, and
/// a verifier over the same tickets and store, confirming passes with the
/// vendor's record when asked to.
pub struct Partner {
    pub emulator: Emulator,
    pub starter: SessionStarter,
    pub verifier: CallbackVerifier,
}

impl Partner {
    pub async fn start(confirm: bool) -> Self {
        let emulator = Emulator::start().await.expect("emulator started");
        let tickets = CachedTickets::builder(emulator.client()).build();
        let store = MemoryOrderStore::new();
        let wiring = Wiring::new(emulator.client(), tickets, store.clone()).browser_binding(false);
        let starter = SessionStarter::builder(&wiring)
            .build()
            .expect("valid starter");
        let verifier = CallbackVerifier::builder(&wiring)
            .confirm(confirm)
            .record_judge(confirm)
            .build()
            .expect("valid verifier");
        Self {
            emulator,
            starter,
            verifier,
        }
    }

    /// Starts a session for [`USER`] (recorded in the store).
    pub async fn start_session(&self) -> Started {
        let callback_url = Url::parse("https://partner.example/face/callback").expect("valid URL");
        let user = UserId::new(USER).expect("valid user id");
        self.starter
            .start(
                StartSession::new(user, callback_url)
                    .name("Zhang San")
                    .id_number("110101199003071234"),
            )
            .await
            .expect("session started")
    }

    /// Starts a session, lets the user finish it with `outcome`, and
    /// answers the callback query the browser would bring back.
    pub async fn finished_session(&self, outcome: EmulatorOutcome) -> (Started, String) {
        let started = self.start_session().await;
        let url = self
            .emulator
            .complete(&started.h5face_id, outcome)
            .expect("session completed");
        let query = url.query().expect("a callback query").to_owned();
        (started, query)
    }

    /// A callback claiming a pass for `started`, signed with the vendor's
    /// current SIGN ticket as a forger holding that ticket would.
    pub fn forged_pass(&self, started: &Started) -> String {
        let ticket = self
            .emulator
            .current_sign_ticket()
            .expect("a SIGN ticket was issued");
        let order_no = started.order_no.as_str();
        let signature = sign(&[self.emulator.app_id(), order_no, "0"], ticket.expose());
        callback_signed(order_no, "0", &signature.to_string())
    }
}
