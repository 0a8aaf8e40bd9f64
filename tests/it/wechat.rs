//! The WeChat edition end to end against the emulator over loopback HTTP:
//! `DetectAuth` at the start, the WeChat page's redirect (`?BizToken=`,
//! no signature) and a mini program's post judged by
//! `GetDetectInfoEnhanced`, order first, bound to the browser (H5),
//! exactly once.

use std::time::Duration;

use tencent_faceid::FaceId;
use tencent_faceid::ManualClock;
use tencent_faceid::UserId;
use tencent_faceid::callback::{BrowserCallback, Malformed, RejectionKind};
use tencent_faceid::orders::{Lookup, MemoryOrderStore, OrderStore};
use tencent_faceid::session::Edition;
use tencent_faceid::session::{InvalidStart, StartError, StartSession, Started};
use tencent_faceid::wechat::{Tc3Client, Tc3Error};
use tencent_faceid::wechat::{biz_token_of, verify_mini_program_body};
use tencent_faceid_emulator::{Emulator, WeChatOutcome};
use url::Url;

const NAME: &str = "Zhang Sanfeng";
const ID_NO: &str = "11010119900307447x";

async fn face_id(emulator: &Emulator, store: &MemoryOrderStore, binding: bool) -> FaceId {
    emulator
        .face_id()
        .callback_url("https://partner.example/face/callback")
        .browser_binding(binding)
        .store(store.clone())
        .build()
        .await
        .unwrap()
}

fn wechat(user: &str) -> StartSession {
    StartSession::for_user(UserId::new(user).unwrap())
        .name(NAME)
        .id_number(ID_NO)
        .edition(Edition::WeChat)
}

fn query(url: &Url) -> String {
    url.query().unwrap_or_default().to_owned()
}

fn cookie(started: &Started) -> String {
    let binding = started.binding.as_ref().expect("bound to the browser");
    binding.value().expose().to_owned()
}

#[tokio::test]
async fn a_pass_on_the_wechat_page_is_the_vendor_records_verdict_once() {
    let emulator = Emulator::start().await.unwrap();
    let store = MemoryOrderStore::new();
    let face_id = face_id(&emulator, &store, true).await;
    let started = face_id.start(wechat("user1")).await.unwrap();
    assert_eq!(started.edition, Edition::WeChat);
    assert_eq!(emulator.counts().detect_auth, 1);
    let biz_token = started.h5face_id.clone();
    assert_eq!(
        biz_token_of(&started.order_no).as_deref(),
        Some(&*biz_token)
    );
    assert!(
        started
            .redirect_url
            .as_str()
            .starts_with(emulator.base_url().as_str())
    );
    assert!(matches!(
        store.lookup(&started.order_no).await.unwrap(),
        Lookup::Pending { binding: Some(_) }
    ));

    let back = emulator
        .complete_wechat(&biz_token, WeChatOutcome::Pass)
        .unwrap();
    assert!(
        back.as_str()
            .starts_with("https://partner.example/face/callback?BizToken=")
    );
    let verifier = face_id.verifier();
    let outcome = verifier
        .verify(BrowserCallback::new(&query(&back), Some(&cookie(&started))))
        .await
        .unwrap();
    assert!(outcome.passed());
    assert_eq!(outcome.edition, Edition::WeChat);
    assert_eq!(outcome.user_id.as_str(), "user1");
    assert_eq!(outcome.order_no, started.order_no);
    let info = outcome.wechat.as_deref().expect("the vendor's record");
    assert_eq!((info.err_code(), info.billed_attempts()), (Some(0), 1));
    assert!(
        !format!("{outcome:?}").contains(NAME),
        "personal data hidden"
    );
    assert_eq!(emulator.counts().detect_info, 1);

    // The same browser again: the outcome shown again, nothing twice.
    let again = verifier
        .verify(BrowserCallback::new(&query(&back), Some(&cookie(&started))))
        .await
        .unwrap();
    assert!(again.repeated && again.passed());
    // Any other browser: refused, by the store, with no vendor call.
    let before = emulator.counts().detect_info;
    let other = verifier
        .verify(BrowserCallback::new(&query(&back), Some("another-browser")))
        .await
        .unwrap_err();
    assert_eq!(other.status(), 409);
    assert_eq!(emulator.counts().detect_info, before);
}

#[tokio::test]
async fn a_failed_attempt_is_a_failed_outcome_and_a_replay_is_409() {
    let emulator = Emulator::start().await.unwrap();
    let store = MemoryOrderStore::new();
    let face_id = face_id(&emulator, &store, false).await;
    let started = face_id.start(wechat("user1")).await.unwrap();
    assert!(started.binding.is_none());
    let back = emulator
        .complete_wechat(&started.h5face_id, WeChatOutcome::Fail(2006))
        .unwrap();
    let outcome = face_id.verifier().verify(&query(&back)).await.unwrap();
    assert!(!outcome.passed());
    assert_eq!(outcome.code.as_str(), "2006");
    let info = outcome.wechat.as_deref().unwrap();
    assert_eq!(info.billed_attempts(), 1, "2006 is billed");
    let replay = face_id.verifier().verify(&query(&back)).await.unwrap_err();
    assert_eq!(replay.kind(), &RejectionKind::Replay);
    assert_eq!(replay.status(), 409);
}

#[tokio::test]
async fn a_biz_token_this_server_never_issued_is_404_without_a_vendor_call() {
    let emulator = Emulator::start().await.unwrap();
    let store = MemoryOrderStore::new();
    let face_id = face_id(&emulator, &store, true).await;
    // Issued by the vendor, to someone else's server.
    let mut request = tencent_faceid::wechat::DetectAuthRequest::new(emulator.rule_id());
    request.redirect_url = Some("https://elsewhere.example/back".to_owned());
    let foreign = emulator
        .tc3_client()
        .detect_auth(&request)
        .await
        .unwrap()
        .biz_token;
    emulator
        .complete_wechat(&foreign, WeChatOutcome::Pass)
        .unwrap();
    let before = emulator.counts();
    let rejection = face_id
        .verifier()
        .verify(BrowserCallback::new(
            &format!("BizToken={foreign}"),
            Some("cookie"),
        ))
        .await
        .unwrap_err();
    assert_eq!(rejection.kind(), &RejectionKind::UnknownOrder);
    assert_eq!(rejection.status(), 404);
    assert_eq!(emulator.counts(), before, "no vendor call");

    let malformed = face_id
        .verifier()
        .verify("BizToken=not-a-token")
        .await
        .unwrap_err();
    assert!(matches!(
        malformed.kind(),
        RejectionKind::Malformed(Malformed::InvalidBizToken(_))
    ));
    assert_eq!(emulator.counts(), before);
}

#[tokio::test]
async fn a_biz_token_from_another_browser_is_409_and_leaves_the_order_to_its_own() {
    let emulator = Emulator::start().await.unwrap();
    let store = MemoryOrderStore::new();
    let face_id = face_id(&emulator, &store, true).await;
    let started = face_id.start(wechat("user1")).await.unwrap();
    let back = emulator
        .complete_wechat(&started.h5face_id, WeChatOutcome::Pass)
        .unwrap();
    let verifier = face_id.verifier();
    let before = emulator.counts().detect_info;
    let other = verifier
        .verify(BrowserCallback::new(&query(&back), Some("another-browser")))
        .await
        .unwrap_err();
    assert_eq!(other.kind(), &RejectionKind::OtherBrowser);
    assert_eq!(other.status(), 409);
    let none = verifier.verify(&query(&back)).await.unwrap_err();
    assert_eq!(none.kind(), &RejectionKind::NoBindingCookie);
    // The mini program's endpoint has no cookies: refused for a bound order.
    let body = format!(r#"{{"bizToken":"{}"}}"#, started.h5face_id);
    let posted = verify_mini_program_body(verifier, body.as_bytes())
        .await
        .unwrap_err();
    assert_eq!(posted.kind(), &RejectionKind::NoBindingCookie);
    assert_eq!(emulator.counts().detect_info, before, "no vendor call");
    assert!(matches!(
        store.lookup(&started.order_no).await.unwrap(),
        Lookup::Pending { .. }
    ));
    let own = verifier
        .verify(BrowserCallback::new(&query(&back), Some(&cookie(&started))))
        .await
        .unwrap();
    assert!(own.passed() && !own.repeated);
}

#[tokio::test]
async fn before_the_user_finishes_the_order_stays_pending() {
    let emulator = Emulator::start().await.unwrap();
    let store = MemoryOrderStore::new();
    let face_id = face_id(&emulator, &store, false).await;
    let started = face_id.start(wechat("user1")).await.unwrap();
    let early = format!("BizToken={}", started.h5face_id);
    let rejection = face_id.verifier().verify(&early).await.unwrap_err();
    assert_eq!(rejection.kind(), &RejectionKind::NotFinished);
    assert_eq!(rejection.status(), 409);
    assert!(matches!(
        store.lookup(&started.order_no).await.unwrap(),
        Lookup::Pending { .. }
    ));
    emulator
        .complete_wechat(&started.h5face_id, WeChatOutcome::Pass)
        .unwrap();
    assert!(face_id.verifier().verify(&early).await.unwrap().passed());
}

#[tokio::test]
async fn a_mini_program_posts_its_biz_token_through_the_same_pipeline() {
    let emulator = Emulator::start().await.unwrap();
    let store = MemoryOrderStore::new();
    let face_id = face_id(&emulator, &store, true).await;
    let request = StartSession::for_mini_program(UserId::new("user1").unwrap());
    let started = face_id.start(request).await.unwrap();
    assert!(started.binding.is_none(), "a mini program has no cookies");
    assert!(matches!(
        store.lookup(&started.order_no).await.unwrap(),
        Lookup::Pending { binding: None }
    ));
    let biz_token = emulator
        .run_mini_program(&started.h5face_id, WeChatOutcome::Pass)
        .unwrap();
    let body = format!(r#"{{"bizToken":"{biz_token}"}}"#);
    let verifier = face_id.verifier();
    let outcome = verify_mini_program_body(verifier, body.as_bytes())
        .await
        .unwrap();
    assert!(outcome.passed() && outcome.edition == Edition::WeChat);
    let replay = verify_mini_program_body(verifier, body.as_bytes())
        .await
        .unwrap_err();
    assert_eq!(replay.kind(), &RejectionKind::Replay);
    let junk = verify_mini_program_body(verifier, b"{\"orderNo\":1}")
        .await
        .unwrap_err();
    assert_eq!(junk.status(), 400);
}

#[tokio::test]
async fn a_start_with_a_clock_off_by_more_than_five_minutes_says_so_and_records_nothing() {
    let emulator = Emulator::start().await.unwrap();
    let store = MemoryOrderStore::new();
    let skewed = ManualClock::starting_at(emulator.clock().now() + Duration::from_secs(301));
    let client = Tc3Client::builder(
        emulator.tc3_secret_id(),
        emulator.tc3_secret_key(),
        emulator.rule_id(),
    )
    .base_url(emulator.base_url().as_str())
    .clock(skewed)
    .build()
    .unwrap();
    let face_id = emulator
        .face_id()
        .callback_url("https://partner.example/face/callback")
        .store(store.clone())
        .wechat(client)
        .build()
        .await
        .unwrap();
    let error = face_id.start(wechat("user1")).await.unwrap_err();
    let StartError::WeChat(cause) = &error else {
        panic!("{error:?}");
    };
    assert!(matches!(cause, Tc3Error::ClockSkew { .. }), "{cause:?}");
    assert!(
        std::error::Error::source(&error)
            .unwrap()
            .to_string()
            .contains("clock is more than 5 minutes off")
    );
    assert_eq!(error.status(), 502);
    assert_eq!(store.len(), 0);
}

#[tokio::test]
async fn a_wechat_start_checks_its_request_before_any_vendor_call() {
    let emulator = Emulator::start().await.unwrap();
    let store = MemoryOrderStore::new();
    let face_id = face_id(&emulator, &store, true).await;
    let photo = tencent_faceid::session::SourcePhoto::from_base64(
        "Qk0=",
        tencent_faceid::client::SourcePhotoType::HighDefinition,
    )
    .unwrap();
    let error = face_id
        .start(wechat("user1").source_photo(photo))
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        StartError::Invalid(InvalidStart::PhotoInWeChat)
    ));
    assert_eq!(emulator.counts().detect_auth, 0);
    // Without name and id number the RuleId decides: allowed.
    let bare = StartSession::for_user(UserId::new("user2").unwrap()).edition(Edition::WeChat);
    assert!(face_id.start(bare).await.is_ok());
}
