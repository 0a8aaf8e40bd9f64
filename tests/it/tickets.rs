//! `CachedTickets` against the emulator: single flight on a cold cache,
//! rotation with a grace window, serving the valid ticket while refreshes
//! fail, the typed error once it has expired, NONCE tickets.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::support::emu::{browser, login_url, on_manual_clock, replaced, start_session};
use reqwest::StatusCode;
use tencent_faceid::ManualClock;
use tencent_faceid::UserId;
use tencent_faceid::client::Endpoint;
use tencent_faceid::client::ResultCode;
use tencent_faceid::tickets::{CachedTickets, TicketError, TicketProvider, TicketTimings};
use tencent_faceid_emulator::{Emulator, Fault};
use tokio::sync::Notify;

const HOUR: Duration = Duration::from_secs(3600);

/// Wraps a future and reports, once, that its first poll returned
/// `Pending`: the caller is then really waiting inside it.
struct ReportPending<F> {
    inner: F,
    reported: bool,
    waiting: Arc<AtomicUsize>,
    all_waiting: Arc<Notify>,
    of: usize,
}

impl<F: Future + Unpin> Future for ReportPending<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll(cx);
        if poll.is_pending() && !this.reported {
            this.reported = true;
            if this.waiting.fetch_add(1, Ordering::SeqCst) + 1 == this.of {
                this.all_waiting.notify_one();
            }
        }
        poll
    }
}

/// Runs `callers` concurrent calls of `call` and answers once every one of
/// them is waiting, with their join handles.
fn spawn_waiting<T, F>(
    callers: usize,
    call: F,
) -> (Arc<Notify>, Vec<tokio::task::JoinHandle<T::Output>>)
where
    F: Fn() -> T,
    T: Future + Unpin + Send + 'static,
    T::Output: Send + 'static,
{
    let waiting = Arc::new(AtomicUsize::new(0));
    let all_waiting = Arc::new(Notify::new());
    let handles = (0..callers)
        .map(|_| {
            tokio::spawn(ReportPending {
                inner: call(),
                reported: false,
                waiting: Arc::clone(&waiting),
                all_waiting: Arc::clone(&all_waiting),
                of: callers,
            })
        })
        .collect();
    (all_waiting, handles)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cold_cache_500_callers_cause_one_token_and_one_ticket_fetch() {
    let emulator = Emulator::start().await.unwrap();
    let release = Arc::new(Notify::new());
    emulator.inject(Fault::hold(Endpoint::ApiTicket, Arc::clone(&release)));
    let tickets = Arc::new(CachedTickets::builder(emulator.client()).build());

    let (all_waiting, handles) = spawn_waiting(500, || {
        let tickets = Arc::clone(&tickets);
        Box::pin(async move { tickets.sign_tickets().await })
    });
    // Every caller is inside sign_tickets(), and none can have been served:
    // the only ticket request is held.
    all_waiting.notified().await;
    release.notify_one();

    let mut served = Vec::new();
    for handle in handles {
        served.push(handle.await.unwrap().unwrap());
    }
    let counts = emulator.counts();
    assert_eq!((counts.access_token, counts.sign_ticket), (1, 1));
    assert!(served.iter().all(|t| Arc::ptr_eq(t, &served[0])));
    assert_eq!(
        served[0].current.value(),
        emulator.current_sign_ticket().unwrap().expose()
    );
}

#[tokio::test]
async fn fresh_tickets_are_served_from_memory() {
    let emulator = Emulator::start().await.unwrap();
    let tickets = CachedTickets::builder(emulator.client()).build();
    let first = tickets.sign_tickets().await.unwrap();
    for _ in 0..100 {
        assert!(Arc::ptr_eq(&tickets.sign_tickets().await.unwrap(), &first));
    }
    let counts = emulator.counts();
    assert_eq!((counts.access_token, counts.sign_ticket), (1, 1));
    assert!(first.previous.is_none());
}

const REFRESH_EVERY: Duration = Duration::from_secs(20 * 60);

fn with_timings(emulator: &Emulator, timings: TicketTimings) -> CachedTickets {
    CachedTickets::builder(emulator.client())
        .timings(timings)
        .build()
}

#[tokio::test]
async fn the_token_and_sign_ticket_are_replaced_together_every_twenty_minutes() {
    let (clock, emulator) = on_manual_clock().await;
    let tickets = CachedTickets::builder(emulator.client()).build();
    let first = tickets.sign_tickets().await.unwrap();
    clock.advance(REFRESH_EVERY - Duration::from_secs(1));
    assert!(Arc::ptr_eq(&tickets.sign_tickets().await.unwrap(), &first));
    let counts = emulator.counts();
    assert_eq!((counts.access_token, counts.sign_ticket), (1, 1));

    clock.advance(Duration::from_secs(1));
    let second = replaced(&tickets).await;
    assert_ne!(second.current.value(), first.current.value());
    let counts = emulator.counts();
    assert_eq!((counts.access_token, counts.sign_ticket), (2, 2));
    // And the new pair works with the vendor at once.
    let session = start_session(&emulator.client(), "orderPair1", "user1").await;
    assert!(!session.h5face_id.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_pair_serves_while_one_background_task_replaces_it() {
    let (clock, emulator) = on_manual_clock().await;
    let tickets = CachedTickets::builder(emulator.client()).build();
    let first = tickets.sign_tickets().await.unwrap();
    clock.advance(REFRESH_EVERY);
    let release = Arc::new(Notify::new());
    emulator.inject(Fault::hold(Endpoint::AccessToken, Arc::clone(&release)));
    // The vendor holds the new token, yet every caller is served at once:
    // SIGN tickets and NONCE tickets (with the still-valid token).
    let user = UserId::new("user1").unwrap();
    for _ in 0..100 {
        assert!(Arc::ptr_eq(&tickets.sign_tickets().await.unwrap(), &first));
    }
    tickets.nonce_ticket(&user).await.unwrap();
    // One background task asked for the new token.
    emulator.wait_for_counts(|c| c.access_token == 2).await;
    release.notify_one();
    tickets.warm_up().await.unwrap();
    let second = tickets.sign_tickets().await.unwrap();
    assert_ne!(second.current.value(), first.current.value());
    let counts = emulator.counts();
    assert_eq!((counts.access_token, counts.sign_ticket), (2, 2));
}

#[tokio::test]
async fn warm_up_fetches_the_pair_before_the_first_caller() {
    let emulator = Emulator::start().await.unwrap();
    let tickets = CachedTickets::builder(emulator.client()).build();
    tickets.warm_up().await.unwrap();
    let counts = emulator.counts();
    assert_eq!((counts.access_token, counts.sign_ticket), (1, 1));
    tickets.sign_tickets().await.unwrap();
    tickets.warm_up().await.unwrap();
    assert_eq!(emulator.counts().sign_ticket, 1, "a fresh pair is kept");
    let cold = CachedTickets::builder(emulator.client()).build();
    emulator.inject(Fault::http_status(Endpoint::AccessToken, 503));
    assert!(matches!(
        cold.warm_up().await,
        Err(TicketError::SignUnavailable { .. })
    ));
}

#[tokio::test]
async fn a_sign_ticket_is_never_used_past_the_token_that_fetched_it() {
    let clock = ManualClock::new();
    let emulator = Emulator::builder()
        .clock(clock.clone())
        .access_token_ttl(Duration::from_secs(600))
        .start()
        .await
        .unwrap();
    let tickets = CachedTickets::builder(emulator.client()).build();
    let now = clock.now();
    let first = tickets.sign_tickets().await.unwrap();
    assert_eq!(first.current.expires_at(), now + Duration::from_secs(600));
    // A pair the vendor granted less than 40 minutes is replaced at half
    // its life.
    clock.advance(Duration::from_secs(299));
    assert!(Arc::ptr_eq(&tickets.sign_tickets().await.unwrap(), &first));
    clock.advance(Duration::from_secs(1));
    assert!(!Arc::ptr_eq(&replaced(&tickets).await, &first));
    assert_eq!(emulator.counts().access_token, 2);
}

#[tokio::test]
async fn rotation_keeps_the_previous_ticket_for_the_grace_window() {
    let (clock, emulator) = on_manual_clock().await;
    let tickets = with_timings(&emulator, TicketTimings::default().grace(HOUR));
    let first = tickets.sign_tickets().await.unwrap();
    clock.advance(REFRESH_EVERY);
    let rotated_at = clock.now();
    let second = replaced(&tickets).await;

    assert_ne!(second.current.value(), first.current.value());
    assert_eq!(
        second.current.value(),
        emulator.current_sign_ticket().unwrap().expose()
    );
    let previous = second.previous.as_ref().unwrap();
    assert_eq!(previous.value(), first.current.value());
    // Accepted until rotation time + grace.
    assert_eq!(previous.expires_at(), rotated_at + HOUR);
    let accepted = |at| {
        second
            .accepted_at(at)
            .map(|t| t.value().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        accepted(rotated_at + HOUR - Duration::from_secs(1)),
        [second.current.value(), first.current.value()]
    );
    assert_eq!(accepted(rotated_at + HOUR), [second.current.value()]);
}

#[tokio::test]
async fn with_zero_grace_the_previous_ticket_is_not_accepted() {
    let (clock, emulator) = on_manual_clock().await;
    let tickets = with_timings(&emulator, TicketTimings::default().grace(Duration::ZERO));
    let first = tickets.sign_tickets().await.unwrap();
    clock.advance(REFRESH_EVERY);
    let second = replaced(&tickets).await;
    let previous = second.previous.as_ref().unwrap();
    assert_eq!(previous.value(), first.current.value());
    let now: Vec<&str> = second.accepted_at(clock.now()).map(|t| t.value()).collect();
    assert_eq!(now, [second.current.value()]);
}

#[tokio::test]
async fn a_failing_refresh_serves_the_valid_ticket_without_a_retry_storm() {
    let (clock, emulator) = on_manual_clock().await;
    let tickets = Arc::new(with_timings(
        &emulator,
        TicketTimings::default().retry_backoff(HOUR),
    ));
    let first = tickets.sign_tickets().await.unwrap();
    clock.advance(REFRESH_EVERY);
    emulator.inject(Fault::http_status(Endpoint::ApiTicket, 500).times(100));
    // One attempt, which fails: the valid ticket is served.
    let served = tickets.sign_tickets().await.unwrap();
    assert_eq!(served.current.value(), first.current.value());
    tickets.warm_up().await.unwrap();
    assert_eq!(emulator.counts().sign_ticket, 2);
    // Within the backoff nobody tries again, however many call.
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let tickets = Arc::clone(&tickets);
        calls.spawn(async move { tickets.sign_tickets().await });
    }
    while let Some(result) = calls.join_next().await {
        assert_eq!(
            result.unwrap().unwrap().current.value(),
            first.current.value()
        );
    }
    let counts = emulator.counts();
    assert_eq!((counts.access_token, counts.sign_ticket), (2, 2));
}

#[tokio::test]
async fn a_ticket_fetch_that_failed_after_a_new_token_is_retried_with_that_token() {
    let (clock, emulator) = on_manual_clock().await;
    let tickets = with_timings(
        &emulator,
        TicketTimings::default().retry_backoff(Duration::from_secs(2)),
    );
    let first = tickets.sign_tickets().await.unwrap();
    clock.advance(REFRESH_EVERY);
    emulator.inject(Fault::http_status(Endpoint::ApiTicket, 502));
    // The new token came, its ticket did not: the old ticket is served, but
    // only until the vendor ends it with its token, a minute later.
    tickets.warm_up().await.unwrap();
    let served = tickets.sign_tickets().await.unwrap();
    assert_eq!(served.current.value(), first.current.value());
    assert_eq!(
        served.current.expires_at(),
        clock.now() + Duration::from_secs(60)
    );
    clock.advance(Duration::from_secs(2));
    let refreshed = replaced(&tickets).await;
    assert_ne!(refreshed.current.value(), first.current.value());
    let counts = emulator.counts();
    assert_eq!(
        (counts.access_token, counts.sign_ticket),
        (2, 3),
        "the retry fetched a ticket with the token already fetched"
    );
}

#[tokio::test]
async fn an_expired_ticket_and_a_failing_refresh_give_the_typed_error() {
    let (clock, emulator) = on_manual_clock().await;
    let tickets = with_timings(&emulator, TicketTimings::default().retry_backoff(HOUR));
    let expired = tickets.sign_tickets().await.unwrap();
    clock.advance(2 * HOUR);
    assert!(!expired.current.is_valid_at(clock.now()));
    emulator.inject(Fault::http_status(Endpoint::AccessToken, 500).times(100));
    let error = tickets.sign_tickets().await.unwrap_err();
    assert!(
        matches!(error, TicketError::SignUnavailable { .. }),
        "{error:?}"
    );
    let mut chain = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        chain.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    assert!(chain.contains("HTTP 500"), "{chain}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(emulator.secret()));
    assert!(!shown.contains(expired.current.value()));
    // Within the backoff: the same error, no new request.
    assert!(matches!(
        tickets.sign_tickets().await,
        Err(TicketError::SignUnavailable { .. })
    ));
    assert_eq!(emulator.counts().access_token, 2);
}

#[tokio::test]
async fn a_cold_cache_with_a_failing_vendor_gives_the_typed_error() {
    let emulator = Emulator::start().await.unwrap();
    let tickets = CachedTickets::builder(emulator.client()).build();
    emulator.inject(Fault::http_status(Endpoint::AccessToken, 503));
    assert!(matches!(
        tickets.sign_tickets().await,
        Err(TicketError::SignUnavailable { .. })
    ));
    assert_eq!(emulator.counts().sign_ticket, 0);
}

#[tokio::test]
async fn a_token_the_vendor_ended_is_replaced_once_with_its_ticket() {
    let (clock, emulator) = on_manual_clock().await;
    let tickets = CachedTickets::builder(emulator.client()).build();
    let user = UserId::new("user1").unwrap();
    tickets.nonce_ticket(&user).await.unwrap();
    // Someone else fetches a token: a minute later the vendor ends ours.
    emulator.client().access_token().await.unwrap();
    clock.advance(Duration::from_secs(61));
    tickets.nonce_ticket(&user).await.unwrap();
    let counts = emulator.counts();
    // Ours, theirs, our replacement; two SIGN tickets (one per pair); the
    // refused NONCE request and its retry.
    assert_eq!(
        (counts.access_token, counts.sign_ticket, counts.nonce_ticket),
        (3, 2, 3)
    );
    // The replacement serves the SIGN ticket too.
    tickets.sign_tickets().await.unwrap();
    assert_eq!(emulator.counts().access_token, 3);
}

#[tokio::test]
async fn a_refusal_is_recovered_from_once_and_the_new_token_is_kept() {
    let (clock, emulator) = on_manual_clock().await;
    let tickets = CachedTickets::builder(emulator.client()).build();
    let user = UserId::new("user1").unwrap();
    tickets.nonce_ticket(&user).await.unwrap();
    emulator
        .inject(Fault::vendor_error(Endpoint::ApiTicket, ResultCode::from_code("400101")).times(3));
    // Refused, recovered (a new pair: its ticket fetch refused too), so the
    // refusal stands; no loop.
    let error = tickets.nonce_ticket(&user).await.unwrap_err();
    assert!(
        matches!(error, TicketError::NonceUnavailable { .. }),
        "{error:?}"
    );
    assert_eq!(emulator.counts().access_token, 2);
    // After the backoff the token already fetched gets its ticket.
    clock.advance(Duration::from_secs(5));
    tickets.nonce_ticket(&user).await.unwrap();
    assert_eq!(emulator.counts().access_token, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_nonce_callers_share_one_token_fetch() {
    let emulator = Emulator::start().await.unwrap();
    let release = Arc::new(Notify::new());
    emulator.inject(Fault::hold(Endpoint::AccessToken, Arc::clone(&release)));
    let tickets = Arc::new(CachedTickets::builder(emulator.client()).build());
    let (all_waiting, handles) = spawn_waiting(20, || {
        let tickets = Arc::clone(&tickets);
        Box::pin(async move {
            let user = UserId::new("user1").unwrap();
            tickets.nonce_ticket(&user).await
        })
    });
    all_waiting.notified().await;
    release.notify_one();
    let mut values = Vec::new();
    for handle in handles {
        values.push(handle.await.unwrap().unwrap().expose().to_owned());
    }
    values.sort();
    values.dedup();
    assert_eq!(values.len(), 20, "every NONCE ticket is new");
    let counts = emulator.counts();
    assert_eq!((counts.access_token, counts.nonce_ticket), (1, 20));
}

#[tokio::test]
async fn nonce_tickets_are_single_use_and_per_user() {
    let emulator = Emulator::start().await.unwrap();
    let tickets = CachedTickets::builder(emulator.client()).build();
    let session = start_session(&emulator.client(), "orderCached1", "user1").await;
    let user1 = UserId::new("user1").unwrap();
    let user2 = UserId::new("user2").unwrap();
    let for_user1 = tickets.nonce_ticket(&user1).await.unwrap();
    let for_user2 = tickets.nonce_ticket(&user2).await.unwrap();
    assert_ne!(for_user1, for_user2);

    let page = |ticket: &str| {
        login_url(
            &emulator,
            ticket,
            "orderCached1",
            "user1",
            &session.h5face_id,
            "https://partner.example/cb",
        )
    };
    let status = |url: url::Url| async move { browser().get(url).send().await.unwrap().status() };
    // user2's ticket cannot sign user1's page.
    assert_eq!(
        status(page(for_user2.expose())).await,
        StatusCode::FORBIDDEN
    );
    // user1's ticket signs it once.
    assert_eq!(status(page(for_user1.expose())).await, StatusCode::OK);
    assert_eq!(
        status(page(for_user1.expose())).await,
        StatusCode::FORBIDDEN
    );
    // A fresh ticket signs it again.
    let again = tickets.nonce_ticket(&user1).await.unwrap();
    assert_eq!(status(page(again.expose())).await, StatusCode::OK);
}
