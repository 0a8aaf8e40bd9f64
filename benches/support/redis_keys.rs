//! Shared by the Redis benches: cleaning up after themselves.

/// Removes the keys under `prefix` that a bench left in the Redis at `url`.
pub async fn remove_keys(url: &str, prefix: &str) {
    let mut conn = tencent_faceid::redis::connect(url).await.expect("connect");
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(&mut conn)
        .await
        .expect("KEYS");
    for chunk in keys.chunks(1000) {
        let _: () = redis::cmd("DEL")
            .arg(chunk)
            .query_async(&mut conn)
            .await
            .expect("DEL");
    }
}
