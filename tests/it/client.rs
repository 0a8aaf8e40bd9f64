//! `FaceIdClient` against the emulator over real HTTP on loopback: every
//! endpoint's happy path, every rejection the vendor makes, and each kind
//! of `ClientError` — none of which may show a secret.

use std::error::Error as _;
use std::time::{Duration, SystemTime};

use crate::support::emu::{
    ID_NO, NAME, fresh_sign_ticket, on_manual_clock, start_request, start_session,
};
use base64::Engine as _;
use serde_json::json;
use tencent_faceid::ManualClock;
use tencent_faceid::Secret;
use tencent_faceid::client::VERSION;
use tencent_faceid::client::{ClientError, Endpoint, FaceIdClient};
use tencent_faceid::client::{Files, QueryOptions};
use tencent_faceid::client::{FrontEndCode, ResultCode};
use tencent_faceid::sign::sign;
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::{Emulator, Fault, Outcome, Refusal};

fn client_with_secret(emulator: &Emulator, secret: &str) -> FaceIdClient {
    FaceIdClient::builder(emulator.app_id(), secret)
        .base_url(emulator.base_url().as_str())
        .build()
        .unwrap()
}

fn vendor_code(result: Result<impl std::fmt::Debug, ClientError>) -> ResultCode {
    match result {
        Err(ClientError::Vendor { code, .. }) => code,
        other => panic!("expected a vendor error, got {other:?}"),
    }
}

/// Posts a raw geth5faceid body (what `FaceIdClient`'s types cannot
/// express) and answers the vendor's code.
async fn raw_start(emulator: &Emulator, body: serde_json::Value) -> ResultCode {
    let url = emulator
        .base_url()
        .join(Endpoint::StartSession.path())
        .unwrap();
    let response: serde_json::Value = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    ResultCode::from_code(response["code"].as_str().unwrap())
}

/// A geth5faceid body signed with the current SIGN ticket.
async fn signed_raw_body(emulator: &Emulator, order_no: &str) -> serde_json::Value {
    let client = emulator.client();
    let ticket = fresh_sign_ticket(&client).await;
    let app_id = emulator.app_id();
    let signature = sign(
        &[app_id, order_no, NAME, ID_NO, "user1", VERSION],
        ticket.value(),
    );
    json!({
        "webankAppId": app_id, "orderNo": order_no, "name": NAME, "idNo": ID_NO,
        "userId": "user1", "version": VERSION, "sign": signature.to_string(),
    })
}

#[tokio::test]
async fn access_token_is_issued_for_the_right_credentials() {
    let emulator = Emulator::start().await.unwrap();
    let token = emulator.client().access_token().await.unwrap();
    assert!(!token.value().is_empty());
    assert!(token.expires_at() > SystemTime::now());
    assert_eq!(emulator.counts().access_token, 1);
}

#[tokio::test]
async fn wrong_secret_or_app_id_is_invalid_credentials() {
    let emulator = Emulator::start().await.unwrap();
    let wrong_secret = client_with_secret(&emulator, "not-the-secret");
    assert_eq!(
        vendor_code(wrong_secret.access_token().await),
        Refusal::InvalidCredentials.code()
    );
    let wrong_app = FaceIdClient::builder("TIDAnope", emulator.secret())
        .base_url(emulator.base_url().as_str())
        .build()
        .unwrap();
    assert_eq!(
        vendor_code(wrong_app.access_token().await),
        Refusal::InvalidCredentials.code()
    );
}

#[tokio::test]
async fn sign_and_nonce_tickets_are_issued() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let token = client.access_token().await.unwrap();
    let sign_ticket = client.sign_ticket(token.secret()).await.unwrap();
    assert!(sign_ticket.is_valid_at(SystemTime::now()));
    assert_eq!(
        emulator.current_sign_ticket().unwrap().expose(),
        sign_ticket.value()
    );
    let user = UserId::new("user1").unwrap();
    let first = client.nonce_ticket(token.secret(), &user).await.unwrap();
    let second = client.nonce_ticket(token.secret(), &user).await.unwrap();
    assert_ne!(first.value(), second.value());
    assert_ne!(first.value(), sign_ticket.value());
    let counts = emulator.counts();
    assert_eq!((counts.sign_ticket, counts.nonce_ticket), (1, 2));
}

#[tokio::test]
async fn expired_access_token_is_refused() {
    let emulator = Emulator::builder()
        .access_token_ttl(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let client = emulator.client();
    let token = client.access_token().await.unwrap();
    assert_eq!(
        vendor_code(client.sign_ticket(token.secret()).await),
        ResultCode::InvalidAccessToken
    );
}

#[tokio::test]
async fn unknown_access_token_is_refused() {
    let emulator = Emulator::start().await.unwrap();
    assert_eq!(
        vendor_code(
            emulator
                .client()
                .sign_ticket(&Secret::new("made-up-token"))
                .await
        ),
        ResultCode::InvalidAccessToken
    );
}

#[tokio::test]
async fn a_new_access_token_ends_the_previous_one_a_minute_later() {
    let (_clock, emulator) = on_manual_clock().await;
    let client = emulator.client();
    let old = client.access_token().await.unwrap();
    let new = client.access_token().await.unwrap();
    // The documented minute of coexistence.
    assert!(client.sign_ticket(old.secret()).await.is_ok());
    emulator.advance(Duration::from_secs(59)).unwrap();
    assert!(client.sign_ticket(old.secret()).await.is_ok());
    emulator.advance(Duration::from_secs(1)).unwrap();
    assert_eq!(
        vendor_code(client.sign_ticket(old.secret()).await),
        ResultCode::InvalidAccessToken
    );
    let user = UserId::new("user1").unwrap();
    assert_eq!(
        vendor_code(client.nonce_ticket(old.secret(), &user).await),
        ResultCode::InvalidAccessToken
    );
    assert!(client.sign_ticket(new.secret()).await.is_ok());
}

#[tokio::test]
async fn without_overlap_a_new_access_token_ends_the_previous_one_at_once() {
    let emulator = Emulator::builder()
        .overlap(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let client = emulator.client();
    let old = client.access_token().await.unwrap();
    let _new = client.access_token().await.unwrap();
    assert_eq!(
        vendor_code(client.sign_ticket(old.secret()).await),
        ResultCode::InvalidAccessToken
    );
}

#[tokio::test]
async fn access_tokens_live_7200_seconds_by_the_emulators_clock() {
    let (clock, emulator) = on_manual_clock().await;
    let client = emulator.client();
    let token = client.access_token().await.unwrap();
    // The client stamps the expiry with the same clock.
    assert_eq!(token.expires_at(), clock.now() + Duration::from_secs(7200));
    emulator.advance(Duration::from_secs(7199)).unwrap();
    assert!(client.sign_ticket(token.secret()).await.is_ok());
    emulator.advance(Duration::from_secs(1)).unwrap();
    assert_eq!(
        vendor_code(client.sign_ticket(token.secret()).await),
        ResultCode::InvalidAccessToken
    );
}

/// GETs an emulator endpoint with a raw query; answers the JSON body.
async fn raw_get(
    emulator: &Emulator,
    endpoint: Endpoint,
    query: &[(&str, &str)],
) -> serde_json::Value {
    let url = emulator.base_url().join(endpoint.path()).unwrap();
    reqwest::Client::new()
        .get(url)
        .query(query)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn tokens_and_tickets_accept_app_id_under_both_names_and_write_lifetimes_as_strings() {
    let emulator = Emulator::start().await.unwrap();
    for name in ["app_id", "appId"] {
        let token = raw_get(
            &emulator,
            Endpoint::AccessToken,
            &[
                (name, emulator.app_id()),
                ("secret", emulator.secret()),
                ("grant_type", "client_credential"),
                ("version", VERSION),
            ],
        )
        .await;
        assert_eq!(token["code"], "0", "{name}");
        assert_eq!(
            token["expire_in"], "7200",
            "the docs' example writes a string"
        );
        let ticket = raw_get(
            &emulator,
            Endpoint::ApiTicket,
            &[
                (name, emulator.app_id()),
                ("access_token", token["access_token"].as_str().unwrap()),
                ("type", "SIGN"),
                ("version", VERSION),
            ],
        )
        .await;
        assert_eq!(ticket["code"], "0", "{name}");
        assert_eq!(ticket["tickets"][0]["expire_in"], "3600");
    }
}

/// Serves one HTTP answer on a loopback port, `body` in chunked encoding
/// (which the emulator never sends); answers the base URL and the request
/// head it will have read.
async fn one_chunked_answer(body: Vec<u8>) -> (String, tokio::task::JoinHandle<String>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let served = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0; 4096];
        let read = socket.read(&mut request).await.unwrap();
        let mut answer =
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                .to_vec();
        for chunk in body.chunks(1024) {
            answer.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
            answer.extend_from_slice(chunk);
            answer.extend_from_slice(b"\r\n");
        }
        answer.extend_from_slice(b"0\r\n\r\n");
        // The client may hang up early: that is the point.
        let _ = socket.write_all(&answer).await;
        String::from_utf8_lossy(&request[..read]).into_owned()
    });
    (format!("http://{address}/"), served)
}

#[tokio::test]
async fn a_body_over_the_cap_is_a_typed_error_announced_or_not() {
    // Announced: the emulator's answer has a Content-Length.
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let session = start_session(&client, "orderBig1", "user1").await;
    emulator
        .complete(&session.h5face_id, Outcome::Pass)
        .unwrap();
    let ticket = emulator.current_sign_ticket().unwrap();
    let small = FaceIdClient::builder(emulator.app_id(), emulator.secret())
        .base_url(emulator.base_url().as_str())
        .max_body_bytes(64)
        .build()
        .unwrap();
    let order_no = OrderNo::new("orderBig1").unwrap();
    let options = QueryOptions::default().files(Files::PhotoAndVideo);
    let error = small
        .query_record(&order_no, ticket.expose(), options)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ClientError::TooLarge {
                endpoint: Endpoint::QueryRecord,
                limit: 64
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("max_body_bytes"), "{error}");

    // Not announced: chunked, cut off while reading.
    let mut body = br#"{"code":"0","msg":"ok","access_token":""#.to_vec();
    body.extend(std::iter::repeat_n(b'a', 100_000));
    body.extend_from_slice(br#"","expire_in":"7200"}"#);
    let (base_url, _) = one_chunked_answer(body).await;
    let capped = FaceIdClient::builder("TIDAemu1", "secret")
        .base_url(base_url)
        .max_body_bytes(10_000)
        .build()
        .unwrap();
    assert!(matches!(
        capped.access_token().await,
        Err(ClientError::TooLarge { limit: 10_000, .. })
    ));
}

#[tokio::test]
async fn tokens_and_tickets_are_asked_for_with_app_id_as_every_implementation_does() {
    let token = br#"{"code":"0","access_token":"t","expire_in":"7200"}"#.to_vec();
    let (base_url, request) = one_chunked_answer(token).await;
    let client = FaceIdClient::builder("TIDAemu1", "secret")
        .base_url(base_url)
        .build()
        .unwrap();
    client.access_token().await.unwrap();
    let head = request.await.unwrap();
    assert!(head.contains("app_id=TIDAemu1&"), "{head}");
    assert!(!head.contains("appId"), "{head}");

    let ticket = br#"{"code":"0","tickets":[{"value":"v","expire_in":"3600"}]}"#.to_vec();
    let (base_url, request) = one_chunked_answer(ticket).await;
    let client = FaceIdClient::builder("TIDAemu1", "secret")
        .base_url(base_url)
        .build()
        .unwrap();
    client.sign_ticket(&Secret::new("t")).await.unwrap();
    let head = request.await.unwrap();
    assert!(head.contains("app_id=TIDAemu1&"), "{head}");
}

#[tokio::test]
async fn start_session_with_a_photo_needs_no_name() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let ticket = fresh_sign_ticket(&client).await;
    let mut request = start_request(client.app_id(), ticket.value(), "orderPhoto1", "user1");
    request.name = None;
    request.id_no = None;
    request.source_photo_str = Some(Secret::new(
        base64::engine::general_purpose::STANDARD.encode(b"\xFF\xD8\xFF\xE0 a photo"),
    ));
    request.source_photo_type = Some(tencent_faceid::client::SourcePhotoType::HighDefinition);
    request.sign = sign(
        &[client.app_id(), "orderPhoto1", "user1", VERSION],
        ticket.value(),
    );
    assert!(client.start_session(&request).await.is_ok());

    // Neither a photo nor name and id number: refused.
    request.source_photo_str = None;
    request.order_no = OrderNo::new("orderPhoto2").unwrap();
    request.sign = sign(
        &[client.app_id(), "orderPhoto2", "user1", VERSION],
        ticket.value(),
    );
    assert_eq!(
        vendor_code(client.start_session(&request).await),
        Refusal::InvalidRequest.code()
    );
}

#[tokio::test]
async fn start_session_with_a_bad_sign_is_refused() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let ticket = fresh_sign_ticket(&client).await;

    // Signed with something that is not a SIGN ticket.
    let forged = start_request(client.app_id(), "not-a-ticket", "orderSign1", "user1");
    assert_eq!(
        vendor_code(client.start_session(&forged).await),
        Refusal::InvalidSign.code()
    );
    // The right ticket, but the signed values differ from the sent ones.
    let mut tampered = start_request(client.app_id(), ticket.value(), "orderSign1", "user1");
    tampered.user_id = UserId::new("user2").unwrap();
    assert_eq!(
        vendor_code(client.start_session(&tampered).await),
        Refusal::InvalidSign.code()
    );
    // Refused requests do not use the order number up.
    let good = start_request(client.app_id(), ticket.value(), "orderSign1", "user1");
    assert!(client.start_session(&good).await.is_ok());
}

#[tokio::test]
async fn start_session_signed_with_an_expired_ticket_is_refused() {
    let emulator = Emulator::builder()
        .sign_ticket_ttl(Duration::ZERO)
        .start()
        .await
        .unwrap();
    let client = emulator.client();
    let ticket = fresh_sign_ticket(&client).await;
    let request = start_request(client.app_id(), ticket.value(), "orderExpired1", "user1");
    assert_eq!(
        vendor_code(client.start_session(&request).await),
        Refusal::InvalidSign.code()
    );
}

#[tokio::test]
async fn start_session_without_sign_is_refused() {
    let emulator = Emulator::start().await.unwrap();
    let mut body = signed_raw_body(&emulator, "orderNoSign1").await;
    body.as_object_mut().unwrap().remove("sign");
    assert_eq!(
        raw_start(&emulator, body).await,
        Refusal::InvalidSign.code()
    );
    let mut body = signed_raw_body(&emulator, "orderNoSign1").await;
    body["sign"] = json!("not hex");
    assert_eq!(
        raw_start(&emulator, body).await,
        Refusal::InvalidSign.code()
    );
    // The same body with its sign is accepted: only the sign was at fault.
    let body = signed_raw_body(&emulator, "orderNoSign1").await;
    assert_eq!(raw_start(&emulator, body).await, ResultCode::Success);
}

#[tokio::test]
async fn bad_or_long_order_numbers_are_refused() {
    let emulator = Emulator::start().await.unwrap();
    let too_long = "a".repeat(33);
    for order_no in ["order-1", "order 1", "订单1", too_long.as_str()] {
        // Correctly signed, so the order number alone is at fault.
        let body = signed_raw_body(&emulator, order_no).await;
        assert_eq!(
            raw_start(&emulator, body).await,
            Refusal::InvalidRequest.code(),
            "{order_no}"
        );
    }
    let mut body = signed_raw_body(&emulator, "orderMissing1").await;
    body.as_object_mut().unwrap().remove("orderNo");
    assert_eq!(
        raw_start(&emulator, body).await,
        Refusal::InvalidRequest.code()
    );
    // 32 characters is the limit, not over it.
    let longest = "b".repeat(32);
    let body = signed_raw_body(&emulator, &longest).await;
    assert_eq!(raw_start(&emulator, body).await, ResultCode::Success);
}

#[tokio::test]
async fn a_body_that_is_not_json_is_an_invalid_request() {
    let emulator = Emulator::start().await.unwrap();
    let url = emulator
        .base_url()
        .join(Endpoint::StartSession.path())
        .unwrap();
    let response: serde_json::Value = reqwest::Client::new()
        .post(url)
        .body("{not json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = ResultCode::from_code(response["code"].as_str().unwrap());
    assert_eq!(code, Refusal::InvalidRequest.code());
}

#[tokio::test]
async fn duplicate_order_no_is_refused() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    start_session(&client, "orderDup1", "user1").await;
    let ticket = fresh_sign_ticket(&client).await;
    let again = start_request(client.app_id(), ticket.value(), "orderDup1", "user2");
    assert_eq!(
        vendor_code(client.start_session(&again).await),
        Refusal::DuplicateOrderNo.code()
    );
}

/// A session of `order_no` finished with `outcome`; answers the SIGN
/// ticket alive.
async fn finished(emulator: &Emulator, order_no: &str, outcome: Outcome) -> Secret {
    let session = start_session(&emulator.client(), order_no, "user1").await;
    emulator.complete(&session.h5face_id, outcome).unwrap();
    emulator.current_sign_ticket().unwrap()
}

#[tokio::test]
async fn query_record_returns_the_decoded_evidence_asked_for() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let ticket = finished(&emulator, "orderRecord1", Outcome::Pass).await;
    let order_no = OrderNo::new("orderRecord1").unwrap();
    let query = |files| {
        let options = QueryOptions::default().files(files);
        client.query_record(&order_no, ticket.expose(), options)
    };

    let answer = query(Files::PhotoAndVideo).await.unwrap();
    assert!(answer.passed());
    assert_eq!(answer.code, ResultCode::Success);
    let result = &answer.result;
    assert_eq!(result.order_no, "orderRecord1");
    assert_eq!(result.app_id.as_deref(), Some(emulator.app_id()));
    assert!(result.live_rate.is_some() && result.similarity.is_some());
    assert_eq!(result.occurred_time.as_ref().map(String::len), Some(14));
    let photo = result.photo.as_ref().unwrap();
    assert!(photo.expose().starts_with(b"\xFF\xD8"), "a JPEG");
    let video = result.video.as_ref().unwrap();
    assert_eq!(&video.expose()[4..8], b"ftyp", "an MP4");
    assert!(result.sdk_version.is_none() && result.trtc_flag.is_none());
    // Personal data: not in Debug.
    let debug = format!("{answer:?}");
    assert!(
        !debug.contains("JFIF") && !debug.contains("ftyp"),
        "{debug}"
    );

    let photo_only = query(Files::Photo).await.unwrap().result;
    assert!(photo_only.photo.is_some() && photo_only.video.is_none());
    let video_only = query(Files::Video).await.unwrap().result;
    assert!(video_only.photo.is_none() && video_only.video.is_some());
    let neither = query(Files::None).await.unwrap().result;
    assert!(neither.photo.is_none() && neither.video.is_none());
    assert_eq!(emulator.counts().query_record, 4);
}

#[tokio::test]
async fn query_version_adds_the_sdk_version_and_trtc_flag() {
    let emulator = Emulator::start().await.unwrap();
    let ticket = finished(&emulator, "orderVersion1", Outcome::Pass).await;
    let order_no = OrderNo::new("orderVersion1").unwrap();
    let options = QueryOptions::default().sdk_version(true);
    let record = emulator
        .client()
        .query_record(&order_no, ticket.expose(), options)
        .await
        .unwrap()
        .result;
    assert!(record.sdk_version.is_some() && record.trtc_flag.is_some());
    assert!(record.photo.is_none());
}

#[tokio::test]
async fn a_failed_verification_has_a_record_with_its_code() {
    let emulator = Emulator::start().await.unwrap();
    let failure = ResultCode::from_code("66660004");
    let ticket = finished(&emulator, "orderRecord2", Outcome::Fail(failure.clone())).await;
    let order_no = OrderNo::new("orderRecord2").unwrap();
    let options = QueryOptions::default().files(Files::Photo);
    let answer = emulator
        .client()
        .query_record(&order_no, ticket.expose(), options)
        .await
        .unwrap();
    assert!(!answer.passed());
    assert_eq!(answer.code, failure);
    assert_eq!(answer.result.order_no, "orderRecord2");
    assert!(answer.result.photo.is_some());
}

#[tokio::test]
async fn unknown_unfinished_and_aborted_sessions_have_no_record() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    start_session(&client, "orderUnfinished1", "user1").await;
    let aborted = Outcome::FrontEnd(FrontEndCode::NoCameraPermission);
    let ticket = finished(&emulator, "orderAborted1", aborted).await;
    for order_no in ["orderUnknown1", "orderUnfinished1", "orderAborted1"] {
        let order_no = OrderNo::new(order_no).unwrap();
        let error = client
            .query_record(&order_no, ticket.expose(), QueryOptions::default())
            .await
            .unwrap_err();
        assert_eq!(
            error.vendor_code(),
            Some(&ResultCode::NoRecord),
            "{order_no}"
        );
    }
}

#[tokio::test]
async fn records_are_kept_three_days() {
    let emulator = Emulator::builder()
        .clock(ManualClock::new())
        .start()
        .await
        .unwrap();
    let client = emulator.client();
    finished(&emulator, "orderOld1", Outcome::Pass).await;
    let order_no = OrderNo::new("orderOld1").unwrap();
    let query = || async {
        // Tokens and tickets end long before records do: fresh ones.
        let ticket = fresh_sign_ticket(&client).await;
        client
            .query_record(&order_no, ticket.value(), QueryOptions::default())
            .await
    };
    emulator
        .advance(Duration::from_secs(3 * 24 * 3600 - 1))
        .unwrap();
    assert!(query().await.unwrap().passed());
    emulator.advance(Duration::from_secs(1)).unwrap();
    assert_eq!(vendor_code(query().await), ResultCode::NoRecord);
}

#[tokio::test]
async fn query_record_with_a_wrong_ticket_is_invalid_sign() {
    let emulator = Emulator::start().await.unwrap();
    finished(&emulator, "orderRecord3", Outcome::Pass).await;
    let order_no = OrderNo::new("orderRecord3").unwrap();
    let result = emulator
        .client()
        .query_record(&order_no, "wrong-ticket", QueryOptions::default())
        .await;
    assert_eq!(vendor_code(result), Refusal::InvalidSign.code());
}

#[tokio::test]
async fn http_errors_are_status_errors_on_every_endpoint() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    for endpoint in [
        Endpoint::AccessToken,
        Endpoint::ApiTicket,
        Endpoint::StartSession,
        Endpoint::QueryRecord,
    ] {
        emulator.inject(Fault::http_status(endpoint, 500));
    }
    let token = Secret::new("t");
    let order_no = OrderNo::new("order1").unwrap();
    let results = [
        client.access_token().await.map(drop),
        client.sign_ticket(&token).await.map(drop),
        client
            .start_session(&start_request(client.app_id(), "t", "order1", "user1"))
            .await
            .map(drop),
        client
            .query_record(&order_no, "t", QueryOptions::default())
            .await
            .map(drop),
    ];
    let expected = [
        Endpoint::AccessToken,
        Endpoint::ApiTicket,
        Endpoint::StartSession,
        Endpoint::QueryRecord,
    ];
    for (result, expected) in results.into_iter().zip(expected) {
        match result {
            Err(ClientError::Status {
                endpoint,
                status: 500,
            }) => assert_eq!(endpoint, expected),
            other => panic!("expected HTTP 500 from {expected}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn injected_vendor_codes_are_vendor_errors() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let token = client.access_token().await.unwrap();
    emulator.inject(Fault::vendor_error(
        Endpoint::ApiTicket,
        ResultCode::Other("66662001".into()),
    ));
    let error = client.sign_ticket(token.secret()).await.unwrap_err();
    match &error {
        ClientError::Vendor {
            endpoint: Endpoint::ApiTicket,
            code: ResultCode::Other(raw),
            ..
        } => assert_eq!(raw, "66662001"),
        other => panic!("expected a vendor error, got {other:?}"),
    }
    assert!(error.to_string().contains("66662001"));
}

#[tokio::test]
async fn undecodable_bodies_are_decode_errors() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    emulator.inject(Fault::raw_body(
        Endpoint::AccessToken,
        "<html>gateway error</html>",
    ));
    // Valid JSON, success code, but no token in it.
    emulator.inject(Fault::raw_body(
        Endpoint::AccessToken,
        r#"{"code":"0","msg":"ok"}"#,
    ));
    for _ in 0..2 {
        assert!(matches!(
            client.access_token().await,
            Err(ClientError::Decode {
                endpoint: Endpoint::AccessToken,
                ..
            })
        ));
    }
}

#[tokio::test]
async fn a_closed_port_is_a_transport_error() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    emulator.shutdown().await;
    let error = client.access_token().await.unwrap_err();
    assert!(
        matches!(
            &error,
            ClientError::Transport {
                endpoint: Endpoint::AccessToken,
                source,
            } if source.is_connect() && !source.is_timeout()
        ),
        "{error:?}"
    );
}

/// Display, Debug and the whole source chain.
fn everything_shown(error: &ClientError) -> String {
    let mut shown = format!("{error} {error:?}");
    let mut source = error.source();
    while let Some(cause) = source {
        shown.push_str(&format!(" {cause} {cause:?}"));
        source = cause.source();
    }
    shown
}

#[tokio::test]
async fn no_error_shows_a_secret_token_or_ticket() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let token = client.access_token().await.unwrap();
    let ticket = client.sign_ticket(token.secret()).await.unwrap();
    let order_no = OrderNo::new("orderSecret1").unwrap();
    let mut errors = vec![
        client_with_secret(&emulator, "wrong-secret-value")
            .access_token()
            .await
            .unwrap_err(),
        client
            .query_record(&order_no, ticket.value(), QueryOptions::default())
            .await
            .unwrap_err(),
        client
            .start_session(&start_request(
                client.app_id(),
                "some-other-ticket",
                "orderSecret1",
                "user1",
            ))
            .await
            .unwrap_err(),
    ];
    emulator.inject(Fault::http_status(Endpoint::ApiTicket, 503));
    errors.push(client.sign_ticket(token.secret()).await.unwrap_err());
    emulator.inject(Fault::raw_body(Endpoint::ApiTicket, "not json"));
    errors.push(client.sign_ticket(token.secret()).await.unwrap_err());

    // Transport errors: the secret and the token are in the request URLs.
    let secrets = [
        emulator.secret().to_owned(),
        token.value().to_owned(),
        ticket.value().to_owned(),
        "wrong-secret-value".to_owned(),
        NAME.to_owned(),
        ID_NO.to_owned(),
    ];
    emulator.shutdown().await;
    errors.push(client.access_token().await.unwrap_err());
    errors.push(client.sign_ticket(token.secret()).await.unwrap_err());
    errors.push(
        client
            .nonce_ticket(token.secret(), &UserId::new("user1").unwrap())
            .await
            .unwrap_err(),
    );

    let kinds: Vec<&str> = errors
        .iter()
        .map(|e| match e {
            ClientError::Vendor { .. } => "vendor",
            ClientError::Status { .. } => "status",
            ClientError::Decode { .. } => "decode",
            ClientError::Transport { .. } => "transport",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "vendor",
            "vendor",
            "vendor",
            "status",
            "decode",
            "transport",
            "transport",
            "transport"
        ]
    );
    for error in &errors {
        let shown = everything_shown(error);
        for secret in &secrets {
            assert!(!shown.contains(secret.as_str()), "{shown}");
        }
    }
    // The client's own Debug hides its secret too.
    assert!(!format!("{client:?}").contains(&secrets[0]));
}
