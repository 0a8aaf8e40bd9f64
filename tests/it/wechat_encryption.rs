//! The WeChat channel's field encryption (the `Encryption` option,
//! AES-256-CBC under a key wrapped with the vendor's RSA public key) on
//! loopback: the crate's client against an emulator holding the test key
//! pair, and the emulator against the official vector N1 sent as raw HTTP
//! (DETECTAUTH.md §7), so that a client and an emulator agreeing with each
//! other but not with the documents would fail here.

use aes::Aes256;
use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, KeyIvInit};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::{Pkcs1v15Encrypt, RsaPublicKey};
use serde_json::{Value, json};
use tencent_faceid::UserId;
use tencent_faceid::orders::MemoryOrderStore;
use tencent_faceid::session::Edition;
use tencent_faceid::session::StartSession;
use tencent_faceid::wechat::{
    ApiErrorCode, DetectAuthRequest, FieldEncryption, Tc3Client, Tc3Error,
};
use tencent_faceid_emulator::{Emulator, TEST_PUBLIC_KEY_PEM, WeChatOutcome};

use crate::wechat_vendor::send_signed;

const NAME: &str = "张三丰";
const ID_NO: &str = "11010119900307447X";

/// A public key that is not the emulator's (RSA-1024, PKCS#1).
const OTHER_PUBLIC_KEY_PEM: &str = "-----BEGIN RSA PUBLIC KEY-----
MIGJAoGBAK6M68wl+wJ3NopJ8FPxb96/fVI7/aQAPQk+G53vAC52qKR/jjQ1jsJR
kbWoO8gqrAFnyTR/VyEebj7T43RYojX4ShHJp6DpkPvgoJaoogXJIygOFkhe+wfO
mZCOSVBnxyByh9FmhNQRFqF8Q3AT99SlG8AJKjSTobD0+KaEJvlFAgMBAAE=
-----END RSA PUBLIC KEY-----
";

/// Vector N1 (the vendor's Node helper, `example/encrypt-output.js`).
const N1_KEY: &str = "XJKXDwFwoYHoORb/g1ReMJ+POptUa7Ax4R+CRI0GLgU=";
const N1_IV: &str = "vTjCqg1Xz6Lh0pJZCNjAAQ==";
const N1_ID_CARD: &str = "8TEJyC4YWALmK5U9cw+R+1Rvs4LuNRAAm8LQkwrJEa4=";
const N1_NAME: &str = "QR3meQHDzArXCIuJIyETLzRtOjg0vjRxcYdKQTOE7vw=";

async fn encrypting_emulator() -> Emulator {
    Emulator::builder()
        .field_encryption()
        .start()
        .await
        .unwrap()
}

/// A client of `emulator`, encrypting with `public_key_pem` when given.
fn client_with_key(emulator: &Emulator, public_key_pem: Option<&str>) -> Tc3Client {
    let mut builder = Tc3Client::builder(
        emulator.tc3_secret_id(),
        emulator.tc3_secret_key(),
        emulator.rule_id(),
    )
    .base_url(emulator.base_url().as_str());
    if let Some(pem) = public_key_pem {
        builder = builder.field_encryption(FieldEncryption::aes_256_cbc(pem).unwrap());
    }
    builder.build().unwrap()
}

fn identified(client: &Tc3Client) -> DetectAuthRequest {
    let mut request = DetectAuthRequest::new(client.rule_id());
    request.name = Some(NAME.into());
    request.id_card = Some(ID_NO.into());
    request
}

/// `key` (32 bytes, base64) wrapped with the emulator's public key, as the
/// vendor's helper SDKs wrap it (RSA PKCS#1 v1.5), base64.
fn wrapped(key: &str) -> String {
    let public_key = RsaPublicKey::from_pkcs1_pem(TEST_PUBLIC_KEY_PEM).unwrap();
    let key = STANDARD.decode(key).unwrap();
    let blob = public_key
        .encrypt(&mut rsa::rand_core::OsRng, Pkcs1v15Encrypt, &key)
        .unwrap();
    STANDARD.encode(blob)
}

fn error_code(answer: &Value) -> &Value {
    &answer["Response"]["Error"]["Code"]
}

#[tokio::test]
async fn a_wechat_session_sends_name_and_id_number_encrypted_and_reads_them_back_decrypted() {
    let emulator = encrypting_emulator().await;
    let face_id = emulator
        .face_id()
        .callback_url("https://partner.example/face/callback")
        .browser_binding(false)
        .store(MemoryOrderStore::new())
        .build()
        .await
        .unwrap();
    let start = StartSession::for_user(UserId::new("userenc").unwrap())
        .name(NAME)
        .id_number(ID_NO)
        .edition(Edition::WeChat);
    let started = face_id.start(start).await.unwrap();

    // The emulator unwrapped the key and decrypted what it expected.
    let seen = emulator.wechat_identity(&started.h5face_id).unwrap();
    assert!(seen.encrypted, "the fields came encrypted");
    assert_eq!(seen.name.unwrap().expose(), NAME);
    assert_eq!(seen.id_card.unwrap().expose(), ID_NO);

    let back = emulator
        .complete_wechat(&started.h5face_id, WeChatOutcome::Pass)
        .unwrap();
    let outcome = face_id
        .verifier()
        .verify(back.query().unwrap_or_default())
        .await
        .unwrap();
    assert!(outcome.passed());
    let info = outcome.wechat.as_deref().unwrap();
    let encryption = info.encryption.as_ref().expect("the answer was encrypted");
    assert_eq!(
        encryption.encrypt_list,
        ["Response.Text.IdCard", "Response.Text.Name"]
    );
    let text = info.text.as_ref().unwrap();
    assert_eq!(text.name.as_ref().unwrap().expose(), NAME);
    assert_eq!(text.id_card.as_ref().unwrap().expose(), ID_NO);
    assert!(!format!("{outcome:?} {face_id:?}").contains(NAME));
}

#[tokio::test]
async fn a_public_key_that_is_not_the_vendors_is_refused_with_a_sentence_that_names_it() {
    let emulator = encrypting_emulator().await;
    let client = client_with_key(&emulator, Some(OTHER_PUBLIC_KEY_PEM));
    let error = client.detect_auth(&identified(&client)).await.unwrap_err();
    assert!(matches!(error, Tc3Error::KeyRejected { .. }), "{error:?}");
    assert_eq!(error.code(), Some(ApiErrorCode::DecryptSystemError));
    assert!(!error.is_retryable());
    assert_eq!(
        error.to_string(),
        "DetectAuth was refused because the vendor could not decrypt the encrypted fields; \
         set the public key (FACEID_TC3_PUBLIC_KEY) to the one the FaceID console shows"
    );

    // The result pull hands the vendor a key it cannot unwrap either.
    let issued = emulator.tc3_client();
    let started = issued.detect_auth(&identified(&issued)).await.unwrap();
    let pulled = client.detect_info(&started.biz_token).await.unwrap_err();
    assert!(matches!(pulled, Tc3Error::KeyRejected { .. }), "{pulled:?}");
}

#[tokio::test]
async fn without_a_key_pair_the_emulator_refuses_the_option_with_the_documented_code() {
    let emulator = Emulator::start().await.unwrap();
    let client = client_with_key(&emulator, Some(TEST_PUBLIC_KEY_PEM));
    let error = client.detect_auth(&identified(&client)).await.unwrap_err();
    assert_eq!(error.code(), Some(ApiErrorCode::DecryptSystemError));
    // A request with nothing to encrypt carries no `Encryption`.
    let plain = DetectAuthRequest::new(client.rule_id());
    assert!(client.detect_auth(&plain).await.is_ok());
    // Asked plainly, the emulator with a key pair answers plainly.
    let emulator = encrypting_emulator().await;
    let plain_client = client_with_key(&emulator, None);
    let started = plain_client
        .detect_auth(&identified(&plain_client))
        .await
        .unwrap();
    assert!(
        !emulator
            .wechat_identity(&started.biz_token)
            .unwrap()
            .encrypted
    );
    emulator
        .complete_wechat(&started.biz_token, WeChatOutcome::Pass)
        .unwrap();
    let info = plain_client.detect_info(&started.biz_token).await.unwrap();
    assert!(info.encryption.is_none());
    assert_eq!(info.text.unwrap().name.unwrap().expose(), NAME);
}

/// `DetectAuth` with N1's ciphertexts under N1's key and IV, as the
/// vendor's Go helper builds the body.
fn n1_detect_auth(encrypt_list: Value, id_card: &str, blob: &str) -> String {
    json!({
        "RuleId": "1",
        "IdCard": id_card,
        "Name": N1_NAME,
        "Encryption": {
            "EncryptList": encrypt_list,
            "CiphertextBlob": blob,
            "Iv": N1_IV,
            "Algorithm": "AES-256-CBC",
            "TagList": [],
        },
    })
    .to_string()
}

#[tokio::test]
async fn the_emulator_decrypts_the_official_vector_and_refuses_bad_input_with_the_documented_codes()
{
    let emulator = encrypting_emulator().await;
    let blob = wrapped(N1_KEY);
    let body = n1_detect_auth(json!(["IdCard", "Name"]), N1_ID_CARD, &blob);
    let started = send_signed(&emulator, "DetectAuth", &body).await;
    let token = started["Response"]["BizToken"].as_str().expect("issued");
    let seen = emulator.wechat_identity(token).unwrap();
    assert_eq!(seen.id_card.unwrap().expose(), "440111111111111111");
    assert_eq!(seen.name.unwrap().expose(), "爱新觉罗永琪");

    let refused = |body: String| {
        let emulator = emulator.clone();
        async move { error_code(&send_signed(&emulator, "DetectAuth", &body).await).clone() }
    };
    // A sensitive field sent but not listed, a field that is never encrypted.
    let unlisted = n1_detect_auth(json!(["IdCard"]), N1_ID_CARD, &blob);
    assert_eq!(
        refused(unlisted).await,
        "InvalidParameter.UnsupportEncryptField"
    );
    let extra = n1_detect_auth(json!(["IdCard", "Name", "Extra"]), N1_ID_CARD, &blob);
    assert_eq!(
        refused(extra).await,
        "InvalidParameter.UnsupportEncryptField"
    );
    // A key wrapped for another public key, a field that is not ciphertext.
    let foreign = n1_detect_auth(
        json!(["IdCard", "Name"]),
        N1_ID_CARD,
        &STANDARD.encode([7; 128]),
    );
    assert_eq!(refused(foreign).await, "FailedOperation.DecryptSystemError");
    let garbled = n1_detect_auth(json!(["IdCard", "Name"]), "bm90IGNpcGhlcnRleHQ=", &blob);
    assert_eq!(refused(garbled).await, "FailedOperation.DecryptSystemError");
    // SM4-GCM is not emulated.
    let sm4 = body.replace("AES-256-CBC", "SM4-GCM");
    assert_eq!(refused(sm4).await, "FailedOperation.DecryptSystemError");
}

#[tokio::test]
async fn the_emulator_encrypts_the_answer_with_the_callers_key_and_a_fresh_iv() {
    let emulator = encrypting_emulator().await;
    let client = emulator.tc3_client();
    let started = client.detect_auth(&identified(&client)).await.unwrap();
    emulator
        .complete_wechat(&started.biz_token, WeChatOutcome::Pass)
        .unwrap();
    // As the vendor's Node helper asks: the key, no fields, no IV.
    let body = json!({
        "BizToken": started.biz_token,
        "RuleId": "1",
        "InfoType": "1",
        "Encryption": {"EncryptList": [], "CiphertextBlob": wrapped(N1_KEY), "Iv": null, "Algorithm": "AES-256-CBC"},
    })
    .to_string();
    let pull = || send_signed(&emulator, "GetDetectInfoEnhanced", &body);
    let answer = pull().await;
    let response = &answer["Response"];
    assert_eq!(
        response["Encryption"]["EncryptList"],
        json!(["Response.Text.IdCard", "Response.Text.Name"])
    );
    let key: [u8; 32] = STANDARD.decode(N1_KEY).unwrap().try_into().unwrap();
    let iv_text = response["Encryption"]["Iv"].as_str().unwrap();
    let iv: [u8; 16] = STANDARD.decode(iv_text).unwrap().try_into().unwrap();
    let decrypt = |field: &str| {
        let sealed = STANDARD
            .decode(response["Text"][field].as_str().unwrap())
            .unwrap();
        let plain = cbc::Decryptor::<Aes256>::new(&key.into(), &iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(&sealed)
            .unwrap();
        String::from_utf8(plain).unwrap()
    };
    assert_eq!(decrypt("IdCard"), ID_NO);
    assert_eq!(decrypt("Name"), NAME);
    let again = pull().await;
    assert_ne!(
        again["Response"]["Encryption"]["Iv"].as_str(),
        Some(iv_text)
    );
    // The whole answer encrypted is not emulated.
    let whole = body.replace(
        r#""InfoType":"1""#,
        r#""InfoType":"1","IsEncryptResponse":true"#,
    );
    let refused = send_signed(&emulator, "GetDetectInfoEnhanced", &whole).await;
    assert_eq!(error_code(&refused), "FailedOperation.DecryptSystemError");
}
