//! [`FaceIdClient`]: every call the partner server makes to the vendor.
//!
//! One shared `reqwest::Client` (rustls, connection pooling), a base URL
//! that points at the vendor or at a stand-in (`tencent-faceid-emulator`), request
//! and connect timeouts, and errors that tell transport failures, HTTP
//! statuses, undecodable bodies and vendor error codes apart. Secrets never
//! appear in `Debug` or error text (URLs are stripped from transport errors
//! because the access-token URL carries the secret).

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::clock::Clock;
use crate::contact::ContactLog;
use crate::ids::{OrderNo, UserId};
use crate::json;
use crate::random::nonce;
use crate::result_query::QueryRecordRequest;
use crate::secret::Secret;
use crate::sign::sign;
use crate::wire::{
    AccessTokenResponse, ApiTicketResponse, FaceIdResponse, QueryRecordResponse, StartResponse,
    VendorResponse,
};

mod builder;
mod endpoint;
mod error;

pub use crate::contact::{VendorContact, VendorFailure};
pub use crate::credentials::{AccessToken, Credential, Ticket};
/// Why the vendor's answer (or an App SDK result) could not be decoded.
pub use crate::json::DecodeError;
pub use crate::result_code::{FrontEndCode, ResultCode};
pub use crate::result_query::{
    Evidence, FaceResult, Files, QUERY_VERSION, QueryOptions, VerificationResult,
};
pub use crate::wire::{
    FaceIdRequest, FaceIdResult, SourcePhotoType, StartRequest, StartResult, VERSION,
};
pub use builder::{DEFAULT_BASE_URL, DEFAULT_MAX_BODY_BYTES, FaceIdClientBuilder};
pub use endpoint::Endpoint;
pub use error::{ClientError, TransportError};

/// The vendor's API, over one shared connection pool. Cheap to clone.
///
/// ```no_run
/// # async fn run() -> Result<(), tencent_faceid::client::ClientError> {
/// use tencent_faceid::client::FaceIdClient;
/// let client = FaceIdClient::builder("appId001", "secret").build()?;
/// let token = client.access_token().await?;
/// let ticket = client.sign_ticket(token.secret()).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct FaceIdClient {
    http: reqwest::Client,
    base_url: Url,
    app_id: String,
    secret: Secret,
    clock: Clock,
    max_body_bytes: usize,
    /// When the vendor last answered and last failed, shared by clones.
    contact: ContactLog,
}

impl fmt::Debug for FaceIdClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FaceIdClient")
            .field("base_url", &self.base_url.as_str())
            .field("app_id", &self.app_id)
            .field("secret", &self.secret)
            .finish_non_exhaustive()
    }
}

impl FaceIdClient {
    /// Starts configuring a client for `app_id` and `secret`.
    pub fn builder(app_id: impl Into<String>, secret: impl Into<Secret>) -> FaceIdClientBuilder {
        FaceIdClientBuilder::new(app_id.into(), secret.into())
    }

    /// The app id (WBappid).
    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &Url {
        &self.base_url
    }

    /// The clock this client stamps expiries with.
    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// When the vendor last answered this client (or a clone) and last
    /// failed to, as the health report shows it
    /// ([`FaceId::health`](crate::FaceId::health)).
    pub fn contact(&self) -> VendorContact {
        self.contact.snapshot()
    }

    /// Fetches a new access token. The vendor ends the previous one (and
    /// every ticket fetched with it) one minute later: call this from one
    /// place only (see [`crate::tickets::CachedTickets`]).
    ///
    /// # Errors
    /// Any [`ClientError`]; a missing token in a success answer is
    /// [`ClientError::Decode`].
    pub async fn access_token(&self) -> Result<AccessToken, ClientError> {
        let endpoint = Endpoint::AccessToken;
        // `app_id`, as older pages and every public implementation send it
        // (current pages write `appId`; the vendor accepts both).
        let query = [
            ("app_id", self.app_id.as_str()),
            ("secret", self.secret.expose()),
            ("grant_type", "client_credential"),
            ("version", VERSION),
        ];
        let response: AccessTokenResponse = self.send(endpoint, self.get(endpoint, &query)).await?;
        match (response.access_token, response.expire_in) {
            (Some(value), Some(seconds)) => Ok(AccessToken::new(
                value,
                self.clock.now() + Duration::from_secs(seconds),
            )),
            _ => Err(missing_field(endpoint, "access_token and expire_in")),
        }
    }

    /// Fetches the SIGN ticket with an access token.
    ///
    /// # Errors
    /// Any [`ClientError`]; an expired token is [`ClientError::Vendor`].
    pub async fn sign_ticket(&self, access_token: &Secret) -> Result<Ticket, ClientError> {
        self.api_ticket(access_token, "SIGN", None).await
    }

    /// Fetches a single-use NONCE ticket for `user_id`.
    ///
    /// # Errors
    /// Any [`ClientError`].
    pub async fn nonce_ticket(
        &self,
        access_token: &Secret,
        user_id: &UserId,
    ) -> Result<Ticket, ClientError> {
        self.api_ticket(access_token, "NONCE", Some(user_id)).await
    }

    async fn api_ticket(
        &self,
        access_token: &Secret,
        kind: &str,
        user_id: Option<&UserId>,
    ) -> Result<Ticket, ClientError> {
        let endpoint = Endpoint::ApiTicket;
        let mut query = vec![
            ("app_id", self.app_id.as_str()),
            ("access_token", access_token.expose()),
            ("type", kind),
            ("version", VERSION),
        ];
        if let Some(user_id) = user_id {
            query.push(("user_id", user_id.as_str()));
        }
        let response: ApiTicketResponse = self.send(endpoint, self.get(endpoint, &query)).await?;
        let entry = response
            .tickets
            .into_iter()
            .next()
            .ok_or_else(|| missing_field(endpoint, "tickets"))?;
        Ok(Ticket::new(
            entry.value,
            self.clock.now() + Duration::from_secs(entry.expire_in),
        ))
    }

    /// Starts a verification session (geth5faceid) with a signed request;
    /// [`crate::session::SessionStarter`] builds and signs it for you.
    ///
    /// # Errors
    /// Any [`ClientError`]; a rejected request is [`ClientError::Vendor`].
    pub async fn start_session(&self, request: &StartRequest) -> Result<StartResult, ClientError> {
        let endpoint = Endpoint::StartSession;
        let response: StartResponse = self
            .send(endpoint, self.post(endpoint, &request.order_no, request))
            .await?;
        response
            .result
            .ok_or_else(|| missing_field(endpoint, "result"))
    }

    /// Starts an enhanced H5 session (getAdvFaceId) with a signed request;
    /// [`crate::session::SessionStarter`] builds and signs it for you (see
    /// [`Edition`](crate::session::Edition)).
    ///
    /// # Errors
    /// Any [`ClientError`]; a rejected request is [`ClientError::Vendor`].
    pub async fn start_enhanced(
        &self,
        request: &FaceIdRequest,
    ) -> Result<FaceIdResult, ClientError> {
        self.upload_face_id(Endpoint::StartEnhanced, request).await
    }

    /// Starts an App SDK session (getfaceid) with a signed request;
    /// [`crate::session::SessionStarter::start_sdk`] builds and signs it
    /// for you.
    ///
    /// # Errors
    /// Any [`ClientError`]; a rejected request is [`ClientError::Vendor`].
    pub async fn start_sdk(&self, request: &FaceIdRequest) -> Result<FaceIdResult, ClientError> {
        self.upload_face_id(Endpoint::StartSdk, request).await
    }

    async fn upload_face_id(
        &self,
        endpoint: Endpoint,
        request: &FaceIdRequest,
    ) -> Result<FaceIdResult, ClientError> {
        let response: FaceIdResponse = self
            .send(endpoint, self.post(endpoint, &request.order_no, request))
            .await?;
        response
            .result
            .ok_or_else(|| missing_field(endpoint, "result"))
    }

    /// Fetches the vendor's result of a verification (queryfacerecord),
    /// signed with `sign_ticket`, with the files and SDK version `options`
    /// ask for. Ask only after the callback; the vendor keeps results three
    /// days, and none for a session the user aborted.
    ///
    /// A failed verification has a result too: the answer's
    /// [`code`](VerificationResult::code) says whether it passed. Photo
    /// and video come decoded, as [`Evidence`].
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use tencent_faceid_emulator::{Emulator, Outcome};
    /// use tencent_faceid::client::{Files, QueryOptions};
    /// # use tencent_faceid::{OrderNo, UserId};
    /// # use tencent_faceid::client::{StartRequest, VERSION};
    /// # use tencent_faceid::sign::sign;
    /// let emulator = Emulator::start().await?;
    /// let client = emulator.client();
    /// let token = client.access_token().await?;
    /// let ticket = client.sign_ticket(token.secret()).await?;
    /// # let order_no = OrderNo::new("order1")?;
    /// # let values = [client.app_id(), "order1", "Zhang San", "110101199001011234", "user1", VERSION];
    /// # let session = client.start_session(&StartRequest {
    /// #     webank_app_id: client.app_id().to_owned(), order_no: order_no.clone(),
    /// #     name: Some("Zhang San".into()), id_no: Some("110101199001011234".into()),
    /// #     user_id: UserId::new("user1")?, source_photo_str: None, source_photo_type: None,
    /// #     version: VERSION.to_owned(), sign: sign(&values, ticket.value()),
    /// # }).await?;
    /// # emulator.complete(&session.h5face_id, Outcome::Pass)?;
    /// // After the callback for `order_no`:
    /// let answer = client
    ///     .query_record(&order_no, ticket.value(), QueryOptions::default().files(Files::Photo))
    ///     .await?;
    /// assert!(answer.passed());
    /// let photo = answer.result.photo.expect("asked for the photo");
    /// assert!(photo.expose().starts_with(&[0xFF, 0xD8])); // a JPEG
    /// assert!(answer.result.video.is_none());
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// Any [`ClientError`]; a refused query, or an order the vendor has no
    /// record of
    /// ([`ResultCode::NoRecord`]),
    /// is [`ClientError::Vendor`]; an answer over
    /// [`FaceIdClientBuilder::max_body_bytes`] is [`ClientError::TooLarge`].
    pub async fn query_record(
        &self,
        order_no: &OrderNo,
        sign_ticket: &str,
        options: QueryOptions,
    ) -> Result<VerificationResult, ClientError> {
        let endpoint = Endpoint::QueryRecord;
        let nonce = nonce();
        let signature = sign(
            &[&self.app_id, order_no.as_str(), VERSION, &nonce],
            sign_ticket,
        );
        let request = QueryRecordRequest {
            app_id: self.app_id.clone(),
            version: VERSION.to_owned(),
            nonce,
            order_no: order_no.clone(),
            sign: signature,
            get_file: options.get_files().get_file().map(str::to_owned),
            query_version: options.asks_sdk_version().then(|| QUERY_VERSION.to_owned()),
        };
        let response: QueryRecordResponse = self
            .fetch(endpoint, self.post(endpoint, order_no, &request))
            .await?;
        match response.result {
            Some(result) => {
                tracing::debug!(%endpoint, code = response.code.as_str(), "vendor answered a result");
                Ok(VerificationResult {
                    code: response.code,
                    msg: response.msg,
                    result,
                })
            }
            None if response.code.is_success() => Err(missing_field(endpoint, "result")),
            None => Err(vendor_error(endpoint, &response)),
        }
    }

    /// The endpoint's URL: its path appended to the base URL's path, so a
    /// base URL with a prefix (a gateway at `https://gw.example/kyc/`) keeps
    /// it.
    fn url(&self, endpoint: Endpoint) -> Url {
        let mut url = self.base_url.clone();
        let path = format!(
            "{}{}",
            self.base_url.path().trim_end_matches('/'),
            endpoint.path()
        );
        url.set_path(&path);
        url
    }

    fn get(&self, endpoint: Endpoint, query: &[(&str, &str)]) -> reqwest::RequestBuilder {
        self.http.get(self.url(endpoint)).query(query)
    }

    fn post(
        &self,
        endpoint: Endpoint,
        order_no: &OrderNo,
        body: &impl Serialize,
    ) -> reqwest::RequestBuilder {
        self.http
            .post(self.url(endpoint))
            .query(&[("orderNo", order_no.as_str())])
            .json(body)
    }

    /// Sends a request and decodes its answer; a non-zero code is
    /// [`ClientError::Vendor`].
    async fn send<T: DeserializeOwned + VendorResponse>(
        &self,
        endpoint: Endpoint,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let decoded: T = self.fetch(endpoint, request).await?;
        if !decoded.code().is_success() {
            return Err(vendor_error(endpoint, &decoded));
        }
        tracing::debug!(%endpoint, "vendor call succeeded");
        Ok(decoded)
    }

    /// Sends a request and decodes its answer, whatever its code.
    async fn fetch<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let fetch = self.fetch_unmeasured(endpoint, request);
        crate::metrics::vendor_call(&self.contact, endpoint.name(), fetch, ClientError::outcome)
            .await
    }

    async fn fetch_unmeasured<T: DeserializeOwned>(
        &self,
        endpoint: Endpoint,
        request: reqwest::RequestBuilder,
    ) -> Result<T, ClientError> {
        let transport = |source: reqwest::Error| ClientError::Transport {
            endpoint,
            source: TransportError::without_url(source),
        };
        let mut response = request.send().await.map_err(transport)?;
        let status = response.status();
        if !status.is_success() {
            tracing::warn!(%endpoint, status = status.as_u16(), "vendor answered an HTTP error");
            return Err(ClientError::Status {
                endpoint,
                status: status.as_u16(),
            });
        }
        let limit = self.max_body_bytes;
        let body = match read_body(&mut response, limit).await {
            Ok(body) => body,
            Err(BodyError::Transport(source)) => return Err(transport(source)),
            Err(BodyError::TooLarge) => {
                tracing::warn!(%endpoint, limit, "vendor answered a body over the limit");
                return Err(ClientError::TooLarge { endpoint, limit });
            }
        };
        json::decode(&body).map_err(|source| ClientError::Decode { endpoint, source })
    }
}

/// Why an answer's body was not read.
pub(crate) enum BodyError {
    /// The connection failed while reading.
    Transport(reqwest::Error),
    /// Over the limit, announced or read.
    TooLarge,
}

/// The answer's body, at most `limit` bytes: refused from `Content-Length`
/// before reading, or while reading when the length is not announced.
pub(crate) async fn read_body(
    response: &mut reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, BodyError> {
    let announced = response.content_length();
    if announced.is_some_and(|length| length > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut body = Vec::with_capacity(announced.map_or(0, |length| length as usize));
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if chunk.len() > limit - body.len() {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn vendor_error(endpoint: Endpoint, response: &impl VendorResponse) -> ClientError {
    let code = response.code().as_str();
    if *response.code() == ResultCode::NoRecord {
        // The normal answer about an order whose user has not finished
        // (or abandoned): the reconciler asks it all day.
        tracing::debug!(%endpoint, code, "the vendor has no record of the order");
    } else {
        tracing::warn!(%endpoint, code, "vendor answered an error code");
    }
    ClientError::Vendor {
        endpoint,
        code: response.code().clone(),
        msg: response.msg().to_owned(),
    }
}

fn missing_field(endpoint: Endpoint, field: &str) -> ClientError {
    ClientError::Decode {
        endpoint,
        source: DecodeError::missing(field),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url_for(base: &str, endpoint: Endpoint) -> String {
        FaceIdClient::builder("appId001", "secret")
            .base_url(base)
            .build()
            .unwrap()
            .url(endpoint)
            .to_string()
    }

    #[test]
    fn endpoint_urls_keep_the_base_path() {
        assert_eq!(
            url_for("https://kyc.example", Endpoint::AccessToken),
            "https://kyc.example/api/oauth2/access_token"
        );
        assert_eq!(
            url_for("http://127.0.0.1:8080/", Endpoint::QueryRecord),
            "http://127.0.0.1:8080/api/v2/base/queryfacerecord"
        );
        assert_eq!(
            url_for("https://gw.example/kyc/", Endpoint::ApiTicket),
            "https://gw.example/kyc/api/oauth2/api_ticket"
        );
        assert_eq!(
            url_for("https://gw.example/kyc", Endpoint::StartSession),
            "https://gw.example/kyc/api/server/h5/geth5faceid"
        );
    }
}
