//! `FaceIdClient` against the emulator over real HTTP on loopback: every
//! endpoint's happy path, every rejection the vendor makes, and each kind
//! of `ClientError` — none of which may show a secret.

mod emu_support;

use std::error::Error as _;
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use emu_support::{fresh_sign_ticket, start_request, start_session, ID_NO, NAME};
use serde_json::json;
use tencent_faceid::client::{ClientError, Endpoint, FaceIdClient};
use tencent_faceid::emulator::{Emulator, Fault, Outcome};
use tencent_faceid::model::{OrderNo, ResultCode, StartResponse, UserId, VERSION};
use tencent_faceid::sign::sign;
use tencent_faceid::Secret;

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
    let response: StartResponse = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    response.code
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
    assert!(!token.value.is_empty());
    assert!(token.expires_at > SystemTime::now());
    assert_eq!(emulator.counts().access_token, 1);
}

#[tokio::test]
async fn wrong_secret_or_app_id_is_invalid_credentials() {
    let emulator = Emulator::start().await.unwrap();
    let wrong_secret = client_with_secret(&emulator, "not-the-secret");
    assert_eq!(
        vendor_code(wrong_secret.access_token().await),
        ResultCode::InvalidCredentials
    );
    let wrong_app = FaceIdClient::builder("TIDAnope", emulator.secret())
        .base_url(emulator.base_url().as_str())
        .build()
        .unwrap();
    assert_eq!(
        vendor_code(wrong_app.access_token().await),
        ResultCode::InvalidCredentials
    );
}

#[tokio::test]
async fn sign_and_nonce_tickets_are_issued() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let token = client.access_token().await.unwrap();
    let sign_ticket = client.sign_ticket(&token.value).await.unwrap();
    assert!(sign_ticket.is_valid_at(SystemTime::now()));
    assert_eq!(
        emulator.current_sign_ticket().unwrap().expose(),
        sign_ticket.value()
    );
    let user = UserId::new("user1").unwrap();
    let first = client.nonce_ticket(&token.value, &user).await.unwrap();
    let second = client.nonce_ticket(&token.value, &user).await.unwrap();
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
        vendor_code(client.sign_ticket(&token.value).await),
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
async fn a_new_access_token_invalidates_the_previous_one() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let old = client.access_token().await.unwrap();
    let new = client.access_token().await.unwrap();
    assert_eq!(
        vendor_code(client.sign_ticket(&old.value).await),
        ResultCode::InvalidAccessToken
    );
    assert!(client.sign_ticket(&new.value).await.is_ok());
    let user = UserId::new("user1").unwrap();
    assert_eq!(
        vendor_code(client.nonce_ticket(&old.value, &user).await),
        ResultCode::InvalidAccessToken
    );
}

#[tokio::test]
async fn previous_tokens_stay_valid_when_configured_so() {
    let emulator = Emulator::builder()
        .invalidate_previous_token(false)
        .start()
        .await
        .unwrap();
    let client = emulator.client();
    let old = client.access_token().await.unwrap();
    let _new = client.access_token().await.unwrap();
    assert!(client.sign_ticket(&old.value).await.is_ok());
}

#[tokio::test]
async fn start_session_opens_a_session() {
    let emulator = Emulator::start().await.unwrap();
    let session = start_session(&emulator.client(), "orderStart1", "user1").await;
    assert_eq!(session.order_no, "orderStart1");
    assert!(session.h5face_id.len() > 8);
    let base = emulator.base_url();
    assert_eq!(
        session.optimal_domain,
        Some(format!(
            "{}:{}",
            base.host_str().unwrap(),
            base.port().unwrap()
        ))
    );
    assert_eq!(emulator.counts().start_session, 1);
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
    request.source_photo_type = Some(tencent_faceid::model::SourcePhotoType::HighDefinition);
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
        ResultCode::InvalidRequest
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
        ResultCode::InvalidSign
    );
    // The right ticket, but the signed values differ from the sent ones.
    let mut tampered = start_request(client.app_id(), ticket.value(), "orderSign1", "user1");
    tampered.user_id = UserId::new("user2").unwrap();
    assert_eq!(
        vendor_code(client.start_session(&tampered).await),
        ResultCode::InvalidSign
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
        ResultCode::InvalidSign
    );
}

#[tokio::test]
async fn start_session_without_sign_is_refused() {
    let emulator = Emulator::start().await.unwrap();
    let mut body = signed_raw_body(&emulator, "orderNoSign1").await;
    body.as_object_mut().unwrap().remove("sign");
    assert_eq!(raw_start(&emulator, body).await, ResultCode::InvalidSign);
    let mut body = signed_raw_body(&emulator, "orderNoSign1").await;
    body["sign"] = json!("not hex");
    assert_eq!(raw_start(&emulator, body).await, ResultCode::InvalidSign);
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
            ResultCode::InvalidRequest,
            "{order_no}"
        );
    }
    let mut body = signed_raw_body(&emulator, "orderMissing1").await;
    body.as_object_mut().unwrap().remove("orderNo");
    assert_eq!(raw_start(&emulator, body).await, ResultCode::InvalidRequest);
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
    let response: StartResponse = reqwest::Client::new()
        .post(url)
        .body("{not json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(response.code, ResultCode::InvalidRequest);
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
        ResultCode::DuplicateOrderNo
    );
}

#[tokio::test]
async fn query_record_returns_the_evidence() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let session = start_session(&client, "orderRecord1", "user1").await;
    emulator
        .complete(&session.h5face_id, Outcome::Pass)
        .unwrap();
    let ticket = emulator.current_sign_ticket().unwrap();
    let order_no = OrderNo::new("orderRecord1").unwrap();

    let record = client
        .query_record(&order_no, ticket.expose(), true)
        .await
        .unwrap();
    assert_eq!(record.order_no, "orderRecord1");
    assert_eq!(record.app_id.as_deref(), Some(emulator.app_id()));
    assert!(record.live_rate.is_some() && record.similarity.is_some());
    assert_eq!(record.occurred_time.as_ref().map(String::len), Some(14));
    let engine = base64::engine::general_purpose::STANDARD;
    let photo = engine.decode(record.photo.unwrap().expose()).unwrap();
    assert!(photo.starts_with(b"\xFF\xD8"), "a JPEG");
    let video = engine.decode(record.video.unwrap().expose()).unwrap();
    assert_eq!(&video[4..8], b"ftyp", "an MP4");

    let without_files = client
        .query_record(&order_no, ticket.expose(), false)
        .await
        .unwrap();
    assert!(without_files.photo.is_none() && without_files.video.is_none());
    assert_eq!(emulator.counts().query_record, 2);
}

#[tokio::test]
async fn query_record_of_a_failed_verification_answers_its_code() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let session = start_session(&client, "orderRecord2", "user1").await;
    emulator
        .complete(&session.h5face_id, Outcome::Fail(ResultCode::FaceMismatch))
        .unwrap();
    let ticket = emulator.current_sign_ticket().unwrap();
    let order_no = OrderNo::new("orderRecord2").unwrap();
    assert_eq!(
        vendor_code(client.query_record(&order_no, ticket.expose(), true).await),
        ResultCode::FaceMismatch
    );
}

#[tokio::test]
async fn query_record_for_an_unknown_or_unfinished_order_is_not_found() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    start_session(&client, "orderUnfinished1", "user1").await;
    let ticket = emulator.current_sign_ticket().unwrap();
    for order_no in ["orderUnknown1", "orderUnfinished1"] {
        let order_no = OrderNo::new(order_no).unwrap();
        assert_eq!(
            vendor_code(client.query_record(&order_no, ticket.expose(), false).await),
            ResultCode::OrderNotFound
        );
    }
}

#[tokio::test]
async fn query_record_with_a_wrong_ticket_is_invalid_sign() {
    let emulator = Emulator::start().await.unwrap();
    let client = emulator.client();
    let session = start_session(&client, "orderRecord3", "user1").await;
    emulator
        .complete(&session.h5face_id, Outcome::Pass)
        .unwrap();
    let order_no = OrderNo::new("orderRecord3").unwrap();
    assert_eq!(
        vendor_code(client.query_record(&order_no, "wrong-ticket", false).await),
        ResultCode::InvalidSign
    );
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
        emulator.inject(Fault::HttpStatus {
            endpoint,
            status: 500,
            times: 1,
        });
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
        client.query_record(&order_no, "t", false).await.map(drop),
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
    emulator.inject(Fault::VendorError {
        endpoint: Endpoint::ApiTicket,
        code: ResultCode::Other("66662001".into()),
        times: 1,
    });
    let error = client.sign_ticket(&token.value).await.unwrap_err();
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
    emulator.inject(Fault::RawBody {
        endpoint: Endpoint::AccessToken,
        body: "<html>gateway error</html>".into(),
        times: 1,
    });
    // Valid JSON, success code, but no token in it.
    emulator.inject(Fault::RawBody {
        endpoint: Endpoint::AccessToken,
        body: r#"{"code":"0","msg":"ok"}"#.into(),
        times: 1,
    });
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
            error,
            ClientError::Transport {
                endpoint: Endpoint::AccessToken,
                ..
            }
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
    let ticket = client.sign_ticket(&token.value).await.unwrap();
    let order_no = OrderNo::new("orderSecret1").unwrap();
    let mut errors = vec![
        client_with_secret(&emulator, "wrong-secret-value")
            .access_token()
            .await
            .unwrap_err(),
        client
            .query_record(&order_no, ticket.value(), true)
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
    emulator.inject(Fault::HttpStatus {
        endpoint: Endpoint::ApiTicket,
        status: 503,
        times: 1,
    });
    errors.push(client.sign_ticket(&token.value).await.unwrap_err());
    emulator.inject(Fault::RawBody {
        endpoint: Endpoint::ApiTicket,
        body: "not json".into(),
        times: 1,
    });
    errors.push(client.sign_ticket(&token.value).await.unwrap_err());

    // Transport errors: the secret and the token are in the request URLs.
    let secrets = [
        emulator.secret().to_owned(),
        token.value.expose().to_owned(),
        ticket.value().to_owned(),
        "wrong-secret-value".to_owned(),
        NAME.to_owned(),
        ID_NO.to_owned(),
    ];
    emulator.shutdown().await;
    errors.push(client.access_token().await.unwrap_err());
    errors.push(client.sign_ticket(&token.value).await.unwrap_err());
    errors.push(
        client
            .nonce_ticket(&token.value, &UserId::new("user1").unwrap())
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
