//! A throwaway 3-master Redis Cluster of a test's own on free loopback
//! ports: three `redis-server --cluster-enabled yes`, joined by
//! `redis-cli --cluster create`, ready once every node answers
//! `cluster_state:ok` to `CLUSTER INFO`. The servers are killed and their
//! directory removed on drop.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;

use super::spare_redis::{SpareRedis, temp_dir};

/// How long the cluster may take to agree on its slots.
const READY_WITHIN: Duration = Duration::from_secs(30);

/// How often `CLUSTER INFO` is asked until the cluster is ok.
const POLL_EVERY: Duration = Duration::from_millis(20);

/// Three master nodes of a Redis Cluster, no replicas.
pub struct RedisCluster {
    nodes: Vec<SpareRedis>,
    dir: PathBuf,
}

impl RedisCluster {
    /// Starts the nodes, creates the cluster and returns once every node
    /// says it is ok.
    pub fn start() -> Self {
        let dir = temp_dir();
        let nodes: Vec<SpareRedis> = (0..3)
            .map(|i| {
                let config = dir.join(format!("nodes-{i}.conf"));
                SpareRedis::start(&[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    &config.to_string_lossy(),
                    "--dir",
                    &dir.to_string_lossy(),
                    "--appendonly",
                    "no",
                ])
            })
            .collect();
        let cluster = Self { nodes, dir };
        let addresses: Vec<String> = cluster
            .nodes
            .iter()
            .map(|node| format!("127.0.0.1:{}", node.port()))
            .collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&addresses)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .expect("redis-cli runs");
        assert!(
            created.status.success(),
            "redis-cli --cluster create failed: {}",
            String::from_utf8_lossy(&created.stdout)
        );
        cluster.wait_until_ok();
        cluster
    }

    /// Polls `CLUSTER INFO` on every node until each says
    /// `cluster_state:ok`.
    fn wait_until_ok(&self) {
        let deadline = Instant::now() + READY_WITHIN;
        for node in &self.nodes {
            let mut connection = redis::Client::open(node.url())
                .and_then(|client| client.get_connection())
                .expect("a cluster node answers");
            loop {
                let info: String = redis::cmd("CLUSTER")
                    .arg("INFO")
                    .query(&mut connection)
                    .expect("CLUSTER INFO");
                if info.contains("cluster_state:ok") {
                    break;
                }
                assert!(
                    Instant::now() < deadline,
                    "the cluster was not ok within {READY_WITHIN:?}: {info}"
                );
                std::thread::sleep(POLL_EVERY);
            }
        }
    }

    /// The nodes' URLs.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(SpareRedis::url).collect()
    }

    /// A connection to the cluster (the crate's settings).
    pub async fn connection(&self) -> ClusterConnection {
        ClusterClient::new(self.urls())
            .expect("the nodes' URLs")
            .get_async_connection()
            .await
            .expect("the cluster answers")
    }

    /// Removes the keys under `prefix` from every node, and answers how
    /// many there were.
    pub async fn remove_keys(&self, prefix: &str) -> usize {
        super::redis::remove_keys_on(&mut self.connection().await, prefix).await
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        // The servers first: they write into the directory.
        self.nodes.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
