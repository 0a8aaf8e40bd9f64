//! Every public error's message is whole and says what to fix, and its
//! causes are in `source()`, never repeated in it: walking each error's
//! chain, no message contains the message of a cause below it; `Report`
//! prints the message and each cause once.

use std::error::Error;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use tencent_faceid::Report;
use tencent_faceid::callback::{CallbackConfigError, CallbackVerifier};
use tencent_faceid::client::{ClientError, Endpoint};
use tencent_faceid::facade::{FaceIdBuilder, FaceIdError};
use tencent_faceid::orders::{MemoryOrderStore, StoreError};
use tencent_faceid::redis::RedisBackendError;
use tencent_faceid::session::{InvalidStart, StartError};
use tencent_faceid::sign::Signature;
use tencent_faceid::tickets::{CachedTickets, RefreshError, TicketProvider, TicketTimings};
use tencent_faceid::{IdentifierError, OrderNo, UserId};
use tencent_faceid_emulator::{Emulator, EmulatorError, Fault, SetupError};

/// The messages of `error` and of each cause below it.
fn chain(error: &(dyn Error + 'static)) -> Vec<String> {
    let mut messages = vec![error.to_string()];
    let mut source = error.source();
    while let Some(cause) = source {
        messages.push(cause.to_string());
        source = cause.source();
    }
    messages
}

/// No message is empty, and none repeats a cause's message.
fn assert_told_once(error: &(dyn Error + 'static)) {
    let messages = chain(error);
    for (level, message) in messages.iter().enumerate() {
        assert!(
            !message.trim().is_empty(),
            "an empty message in {messages:#?}"
        );
        for cause in &messages[level + 1..] {
            assert!(
                !message.contains(cause.as_str()),
                "{message:?} repeats its cause {cause:?}"
            );
        }
    }
}

/// The errors made for real: a client of a stopped emulator, a vendor
/// answering a body that is not JSON, and the tickets and starts on them.
async fn real_errors() -> Vec<Box<dyn Error + Send + Sync>> {
    let emulator = Emulator::start().await.unwrap();
    let face_id = emulator
        .face_id()
        .callback_url_per_request()
        .build()
        .await
        .unwrap();
    emulator.inject(Fault::raw_body(
        Endpoint::AccessToken,
        "<html>not JSON</html>",
    ));
    let decode = face_id.client().access_token().await.unwrap_err();
    let timings = TicketTimings::default().retry_backoff(Duration::from_secs(3600));
    let tickets = CachedTickets::builder(emulator.client())
        .timings(timings)
        .build();
    let user = UserId::new("user42").unwrap();
    let callback = "https://shop.example/face/callback".parse().unwrap();
    let request = tencent_faceid::session::StartSession::new(user.clone(), callback)
        .name("Zhang San")
        .id_number("110101199003071234");
    let client = emulator.client();
    emulator.shutdown().await;
    let transport = client.access_token().await.unwrap_err();
    let no_ticket = tickets.sign_tickets().await.unwrap_err();
    let no_nonce = tickets.nonce_ticket(&user).await.unwrap_err();
    let start = face_id.start(request).await.unwrap_err();
    let wiring =
        tencent_faceid::wiring::Wiring::new(client.clone(), tickets, MemoryOrderStore::new());
    let verifier = CallbackVerifier::builder(&wiring).build().unwrap();
    let malformed = verifier
        .verify("orderNo=not%20valid&code=0&h5faceId=h&newSignature=00")
        .await
        .unwrap_err();
    vec![
        Box::new(decode),
        Box::new(transport),
        Box::new(no_ticket),
        Box::new(no_nonce),
        Box::new(start),
        Box::new(malformed),
    ]
}

/// The errors made by hand, one of each variant that has a cause or a
/// message of its own.
fn made_errors() -> Vec<Box<dyn Error + Send + Sync>> {
    let identifier = || OrderNo::new("not valid!").unwrap_err();
    let io = || io::Error::new(io::ErrorKind::AddrInUse, "address in use");
    let store = || StoreError::Backend(Box::new(io()));
    let client = || ClientError::Status {
        endpoint: Endpoint::StartSession,
        status: 502,
    };
    let refresh = || RefreshError::Vendor(Arc::new(client()));
    vec![
        Box::new(FaceIdBuilder::from_vars(|_| None).unwrap_err()),
        Box::new(SetupError::VendorAndEmulator),
        Box::new(SetupError::TwoEmulators),
        Box::new(SetupError::InRelease),
        Box::new(SetupError::InvalidFlag {
            name: "FACEID_EMULATOR",
        }),
        Box::new(SetupError::Start(io())),
        Box::new(FaceIdError::OrderPrefix(identifier())),
        Box::new(FaceIdError::Client(client())),
        Box::new(FaceIdError::Callback(CallbackConfigError::ZeroMaxQueryLen)),
        Box::new(FaceIdError::Redis(RedisBackendError::TimedOut(
            Duration::from_secs(1),
        ))),
        Box::new(StartError::OrderNo(identifier())),
        Box::new(StartError::Vendor(client())),
        Box::new(StartError::Store(store())),
        Box::new(StartError::Invalid(InvalidStart::MissingIdentity)),
        Box::new(StartError::Refused("5 a minute".to_owned())),
        Box::new(store()),
        Box::new(refresh()),
        Box::new(RefreshError::Shared(Arc::new(io()))),
        Box::new(IdentifierError::Empty { what: "user id" }),
        Box::new("zz".parse::<Signature>().unwrap_err()),
        Box::new(EmulatorError::SystemClock),
    ]
}

#[tokio::test]
async fn no_error_prints_its_cause_twice() {
    let mut errors = real_errors().await;
    errors.extend(made_errors());
    for error in &errors {
        assert_told_once(&**error);
    }
    // The deepest real chain: the start's tickets, their refresh, the
    // client, the transport.
    let start = &errors[4];
    assert!(chain(&**start).len() >= 4, "{:#?}", chain(&**start));
}

#[tokio::test]
async fn a_report_prints_the_message_and_each_cause_once() {
    let errors = real_errors().await;
    let start = chain(&*errors[4]);
    let report = format!(
        "{:?}",
        Report::from(BoxedError(errors.into_iter().nth(4).unwrap()))
    );
    assert!(report.starts_with(&start[0]), "{report}");
    assert!(report.contains("\n\nCaused by:\n"), "{report}");
    for cause in &start[1..] {
        assert_eq!(
            report.matches(cause.as_str()).count(),
            1,
            "{cause:?} in {report}"
        );
    }
    let missing = FaceIdBuilder::from_vars(|_| None).unwrap_err();
    assert_eq!(format!("{:?}", Report::from(missing)).lines().count(), 1);
}

/// A boxed error as an error of its own type (a box is not an `Error`).
#[derive(Debug)]
struct BoxedError(Box<dyn Error + Send + Sync>);

impl std::fmt::Display for BoxedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl Error for BoxedError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.0.source()
    }
}
