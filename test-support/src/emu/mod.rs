//! Helpers shared by the tests that drive the emulator (in `tests/it` and
//! `tests/spans.rs`).

use tencent_faceid::ManualClock;
use tencent_faceid::client::FaceIdClient;
use tencent_faceid::client::Ticket;
use tencent_faceid::client::{StartRequest, StartResult, VERSION};
use tencent_faceid::sign::sign;
use tencent_faceid::tickets::{SignTickets, TicketProvider};
use tencent_faceid::{OrderNo, UserId};
use tencent_faceid_emulator::Emulator;
use url::Url;

pub mod wired;

/// Personal data the tests send; it must never show up in logs or errors.
pub const NAME: &str = "Zhang Sanfeng";
/// The id number the tests send, as personal as [`NAME`].
pub const ID_NO: &str = "110101199003074477";

/// A geth5faceid request signed with `ticket`, as the vendor documents.
pub fn start_request(app_id: &str, ticket: &str, order_no: &str, user_id: &str) -> StartRequest {
    StartRequest {
        webank_app_id: app_id.to_owned(),
        order_no: OrderNo::new(order_no).unwrap(),
        name: Some(NAME.into()),
        id_no: Some(ID_NO.into()),
        user_id: UserId::new(user_id).unwrap(),
        source_photo_str: None,
        source_photo_type: None,
        version: VERSION.to_owned(),
        sign: sign(&[app_id, order_no, NAME, ID_NO, user_id, VERSION], ticket),
    }
}

/// A new access token, then a new SIGN ticket with it.
pub async fn fresh_sign_ticket(client: &FaceIdClient) -> Ticket {
    let token = client.access_token().await.unwrap();
    client.sign_ticket(token.secret()).await.unwrap()
}

/// Fetches a SIGN ticket and starts a session.
pub async fn start_session(client: &FaceIdClient, order_no: &str, user_id: &str) -> StartResult {
    let ticket = fresh_sign_ticket(client).await;
    client
        .start_session(&start_request(
            client.app_id(),
            ticket.value(),
            order_no,
            user_id,
        ))
        .await
        .unwrap()
}

/// The H5 login URL for a session, signed with `nonce_ticket`.
pub fn login_url(
    emulator: &Emulator,
    nonce_ticket: &str,
    order_no: &str,
    user_id: &str,
    h5face_id: &str,
    callback: &str,
) -> Url {
    // 32 letters and digits, as the vendor's `nonce` parameters want.
    let nonce = crate::random_alphanumeric(32);
    let app_id = emulator.app_id();
    let signature = sign(
        &[app_id, order_no, user_id, VERSION, h5face_id, &nonce],
        nonce_ticket,
    );
    let mut url = emulator.base_url().join("api/web/login").unwrap();
    url.query_pairs_mut()
        .append_pair("webankAppId", app_id)
        .append_pair("version", VERSION)
        .append_pair("nonce", &nonce)
        .append_pair("orderNo", order_no)
        .append_pair("h5faceId", h5face_id)
        .append_pair("url", callback)
        .append_pair("resultType", "1")
        .append_pair("userId", user_id)
        .append_pair("sign", &signature.to_string())
        .append_pair("from", "browser")
        .append_pair("redirectType", "1");
    url
}

/// A plain HTTP client that does not follow redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of query parameter `name` in `url`.
pub fn query_param(url: &Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// An emulator on a manual clock, and the clock.
pub async fn on_manual_clock() -> (ManualClock, Emulator) {
    let clock = ManualClock::new();
    let emulator = Emulator::builder()
        .clock(clock.clone())
        .start()
        .await
        .unwrap();
    (clock, emulator)
}

/// The tickets once the due pair is replaced: the call that finds it due
/// is served the still-valid pair while a background task replaces it,
/// and `warm_up` waits for that replacement.
pub async fn replaced(tickets: &impl TicketProvider) -> std::sync::Arc<SignTickets> {
    let due = tickets.sign_tickets().await.unwrap();
    tickets.warm_up().await.unwrap();
    let replaced = tickets.sign_tickets().await.unwrap();
    assert_ne!(
        due.current.value(),
        replaced.current.value(),
        "the due pair was replaced"
    );
    replaced
}
