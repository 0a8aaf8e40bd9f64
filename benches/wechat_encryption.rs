//! What field encryption (feature `wechat-encryption`) costs a WeChat
//! call: `DetectAuth` with a name and id number, and the result pull
//! (`GetDetectInfoEnhanced`), plain and encrypted, against the emulator on
//! loopback. The encrypted call adds a fresh key wrapped with RSA-1024
//! (the client's public-key operation) and AES-256-CBC over the fields,
//! plus the emulator's unwrapping with its private key (the vendor's share
//! of the cost, on the same machine here).

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tencent_faceid::wechat::{DetectAuthRequest, Tc3Client};
use tencent_faceid_emulator::{Emulator, WeChatOutcome};

fn identified(client: &Tc3Client) -> DetectAuthRequest {
    let mut request = DetectAuthRequest::new(client.rule_id());
    request.name = Some("爱新觉罗永琪".into());
    request.id_card = Some("440111111111111111".into());
    request
}

fn wechat_encryption(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("a Tokio runtime");
    let emulator = runtime
        .block_on(
            Emulator::builder()
                .allow_in_release(true)
                .field_encryption()
                .start(),
        )
        .expect("the emulator starts");
    let encrypted = emulator.tc3_client();
    let plain = Tc3Client::builder(
        emulator.tc3_secret_id(),
        emulator.tc3_secret_key(),
        emulator.rule_id(),
    )
    .base_url(emulator.base_url().as_str())
    .build()
    .expect("a plain client");
    let biz_token = runtime
        .block_on(plain.detect_auth(&identified(&plain)))
        .expect("DetectAuth answers")
        .biz_token;
    emulator
        .complete_wechat(&biz_token, WeChatOutcome::Pass)
        .expect("the user passes");

    let mut group = c.benchmark_group("wechat_encryption");
    for (name, client) in [("plain", &plain), ("encrypted", &encrypted)] {
        let request = identified(client);
        group.bench_function(format!("detect_auth_{name}"), |b| {
            b.iter(|| black_box(runtime.block_on(client.detect_auth(&request))))
        });
        group.bench_function(format!("detect_info_{name}"), |b| {
            b.iter(|| black_box(runtime.block_on(client.detect_info(&biz_token))))
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_secs(1));
    targets = wechat_encryption
}
criterion_main!(benches);
