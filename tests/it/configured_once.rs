//! Configured once: the callback URL every start comes back to (from the
//! builder or `FACEID_CALLBACK_URL`, checked at build), and the shared
//! emulator (`FACEID_EMULATOR_URL`) on which instances, and an instance
//! restarted mid-session, agree on one vendor.

use std::collections::HashMap;

use crate::support::env::vars;
use tencent_faceid::UserId;
use tencent_faceid::facade::FaceIdError;
use tencent_faceid::session::StartSession;
use tencent_faceid_emulator::{
    Configured, Emulator, Outcome, SetupError, VendorChoice, WhenUnconfigured,
};
use url::Url;

#[tokio::test]
async fn instances_on_one_shared_emulator_agree_on_one_vendor() {
    // The shared emulator (`cargo run --example emulator`), here in-process.
    let shared = Emulator::start().await.unwrap();
    let url = shared.base_url().to_string();
    let store = tencent_faceid::orders::MemoryOrderStore::new();
    let configured = || async {
        let vars = vars(&[
            ("FACEID_EMULATOR_URL", url.as_str()),
            ("FACEID_CALLBACK_URL", "https://shop.example/face/callback"),
        ]);
        Configured::from_vars(vars, WhenUnconfigured::Refuse)
            .await
            .unwrap()
    };
    let instance = || async {
        let configured = configured().await;
        configured
            .builder
            .store(store.clone())
            .browser_binding(false)
            .build()
            .await
            .unwrap()
    };
    assert!(matches!(
        configured().await.vendor,
        VendorChoice::Shared { base_url } if base_url == url
    ));
    let first = instance().await;
    assert_eq!(first.client().base_url().as_str(), url);
    let person = StartSession::for_user(UserId::new("user42").unwrap())
        .name("Zhang San")
        .id_number("110101199003071234");
    let started = first.start(person).await.unwrap();
    drop(first);

    // The user passes while the instance restarts; the new one (or another
    // instance of the cluster) gets the callback and verifies it.
    let callback = shared
        .complete_login(started.redirect_url.as_str(), Outcome::Pass)
        .unwrap();
    let second = instance().await;
    let outcome = second
        .verifier()
        .verify(callback.query().unwrap())
        .await
        .unwrap();
    assert!(outcome.passed());
    assert_eq!(outcome.order_no, started.order_no);

    // One emulator: the embedded one or the shared one, not both.
    let both = vars(&[
        ("FACEID_EMULATOR_URL", url.as_str()),
        ("FACEID_EMULATOR", "1"),
    ]);
    let both = Configured::from_vars(both, WhenUnconfigured::Refuse).await;
    assert!(matches!(both, Err(SetupError::TwoEmulators)));
}

#[tokio::test]
async fn the_callback_url_is_configured_once_and_checked_at_build() {
    let emulator = Emulator::start().await.unwrap();
    let user = || UserId::new("user42").unwrap();
    let person = || {
        StartSession::for_user(user())
            .name("Zhang San")
            .id_number("110101199003071234")
    };

    // From the environment; the session comes back there.
    let callback = vars(&[("FACEID_CALLBACK_URL", "https://shop.example/face/callback")]);
    let configured = Configured::from_vars(callback, WhenUnconfigured::Emulate)
        .await
        .unwrap();
    let embedded = matches!(configured.vendor, VendorChoice::Embedded(_));
    assert!(embedded, "nothing configured, a debug build");
    let face_id = configured.builder.build().await.unwrap();
    let started = face_id.start(person()).await.unwrap();
    let login: HashMap<_, _> = started.redirect_url.query_pairs().collect();
    assert_eq!(login["url"], "https://shop.example/face/callback");

    // A request's own URL wins.
    let own: Url = "https://other.example/back".parse().unwrap();
    let started = face_id
        .start(person().callback_url(own.clone()))
        .await
        .unwrap();
    let login: HashMap<_, _> = started.redirect_url.query_pairs().collect();
    assert_eq!(login["url"], own.as_str());

    // Neither: the server's configuration to fix, said at build.
    let none = emulator.face_id().build().await.unwrap_err();
    assert!(matches!(none, FaceIdError::NoCallbackUrl), "{none}");
    assert!(none.to_string().contains("FACEID_CALLBACK_URL"), "{none}");
    // Every start was to bring its own, and this one did not: a 500.
    let bare = emulator
        .face_id()
        .callback_url_per_request()
        .build()
        .await
        .unwrap();
    let error = bare.start(person()).await.unwrap_err();
    assert_eq!(error.status(), 500, "{error}");
    assert!(error.to_string().contains("FaceIdBuilder::callback_url"));

    // Not an absolute http(s) URL: refused at build.
    for bad in ["/face/callback", "ftp://shop.example/cb", "not a url"] {
        let built = emulator.face_id().callback_url(bad).build().await;
        assert!(matches!(built, Err(FaceIdError::CallbackUrl)), "{bad}");
    }
}
