//! [`RedisConnection`]: the connection the Redis store and tickets talk
//! through, whichever kind of Redis the user runs.

use std::fmt;

use ::redis::aio::{ConnectionLike, ConnectionManager};
use ::redis::cluster_async::ClusterConnection;
use ::redis::{Cmd, Pipeline, RedisFuture, Value};

use super::sentinel::SentinelMaster;

/// A connection to a standalone Redis, a Redis Cluster, or the master a
/// set of Redis Sentinels names, for
/// [`RedisOrderStore`](crate::orders::RedisOrderStore) and
/// [`RedisTickets`](crate::tickets::RedisTickets). Cheap to clone; the
/// clones share the connection.
///
/// - From a [`ConnectionManager`] (standalone; it reconnects by itself) or
///   a [`ClusterConnection`] (it follows the cluster's slots and
///   failovers by itself), both `From`; or from
///   [`RedisTopology::connect`](super::RedisTopology::connect).
/// - [`sentinel`](Self::sentinel): a connection that **follows a
///   failover**. After a connection error or a `READONLY` answer (the
///   master it knew was demoted) it asks the sentinels again, connects to
///   the master they name, checks with `ROLE` that it is one, and swaps; a
///   command that cannot have run (refused, or refused by a replica) runs
///   once more on the new master. The `redis` crate's own Sentinel client
///   connects once and stays.
///
/// Every script of this crate keeps its keys in one hash slot (see the
/// [key layout](super#key-layout)), so all of them run on a Cluster.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use tencent_faceid::orders::RedisOrderStore;
/// use tencent_faceid::redis::client::cluster::ClusterClient;
///
/// let nodes = ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379", "redis://10.0.0.3:6379"];
/// let cluster = ClusterClient::new(nodes)?.get_async_connection().await?;
/// let store = RedisOrderStore::builder(cluster, "appId001").build();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisConnection(Kind);

#[derive(Clone)]
enum Kind {
    Standalone(ConnectionManager),
    Cluster(ClusterConnection),
    Sentinel(SentinelMaster),
}

impl RedisConnection {
    /// Asks the `sentinels` (`redis://host:port` each, the sentinels'
    /// own ports) for the master `master` (the name of their `sentinel
    /// monitor` line), connects to it, and follows its failovers (see
    /// above).
    ///
    /// # Errors
    /// [`RedisBackendError::Redis`](super::RedisBackendError::Redis) when no sentinel answers, they know no
    /// master of that name, or the one they name is no master.
    ///
    /// ```no_run
    /// # async fn run() -> Result<(), tencent_faceid::redis::RedisBackendError> {
    /// use tencent_faceid::redis::RedisConnection;
    /// let sentinels = ["redis://10.0.0.1:26379".to_owned(), "redis://10.0.0.2:26379".to_owned()];
    /// let connection = RedisConnection::sentinel(&sentinels, "mymaster").await?;
    /// # Ok(()) }
    /// ```
    pub async fn sentinel(
        sentinels: &[String],
        master: &str,
    ) -> Result<Self, super::RedisBackendError> {
        Ok(Self(Kind::Sentinel(
            SentinelMaster::connect(sentinels, master, None).await?,
        )))
    }

    /// [`sentinel`](Self::sentinel) for a master (and replicas) that
    /// require `password` (`requirepass`; Tencent Cloud's
    /// `instance-id:password` form included). The sentinels' own
    /// credentials, if any, go in their URLs.
    ///
    /// # Errors
    /// As [`sentinel`](Self::sentinel), and when the master refuses the
    /// password (never quoted).
    pub async fn sentinel_with_password(
        sentinels: &[String],
        master: &str,
        password: &str,
    ) -> Result<Self, super::RedisBackendError> {
        Ok(Self(Kind::Sentinel(
            SentinelMaster::connect(sentinels, master, Some(password)).await?,
        )))
    }

    /// Which kind of Redis this connection talks to: `"standalone"`,
    /// `"cluster"` or `"sentinel"`.
    pub fn kind(&self) -> &'static str {
        match self.0 {
            Kind::Standalone(_) => "standalone",
            Kind::Cluster(_) => "cluster",
            Kind::Sentinel(_) => "sentinel",
        }
    }
}

impl fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Kind::Sentinel(master) => f.debug_tuple("RedisConnection").field(master).finish(),
            _ => f
                .debug_tuple("RedisConnection")
                .field(&self.kind())
                .finish(),
        }
    }
}

impl From<ConnectionManager> for RedisConnection {
    fn from(manager: ConnectionManager) -> Self {
        Self(Kind::Standalone(manager))
    }
}

impl From<ClusterConnection> for RedisConnection {
    fn from(cluster: ClusterConnection) -> Self {
        Self(Kind::Cluster(cluster))
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.0 {
            Kind::Standalone(manager) => manager.req_packed_command(cmd),
            Kind::Cluster(cluster) => cluster.req_packed_command(cmd),
            Kind::Sentinel(master) => master.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.0 {
            Kind::Standalone(manager) => manager.req_packed_commands(pipeline, offset, count),
            Kind::Cluster(cluster) => cluster.req_packed_commands(pipeline, offset, count),
            Kind::Sentinel(master) => master.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match &self.0 {
            Kind::Standalone(manager) => manager.get_db(),
            Kind::Cluster(cluster) => cluster.get_db(),
            Kind::Sentinel(master) => master.get_db(),
        }
    }
}
