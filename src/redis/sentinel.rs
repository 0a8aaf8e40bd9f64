//! A connection to the master a set of Redis Sentinels names, that follows
//! a failover: after a connection error or a `READONLY` answer it asks the
//! sentinels again, connects to the master they name, checks with `ROLE`
//! that it is one, and swaps (the sentinel clients' protocol; `redis`
//! itself connects once and stays).

use std::fmt;
use std::sync::Arc;

use ::redis::aio::{ConnectionLike, ConnectionManager};
use ::redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};
use ::redis::{
    Cmd, ErrorKind, Pipeline, RedisConnectionInfo, RedisError, RedisFuture, RedisResult,
    ServerErrorKind, Value,
};
use arc_swap::ArcSwap;
use tokio::sync::Mutex;

use super::manager_config;

/// The master a [`SentinelMaster`] talks to now.
struct Master {
    connection: ConnectionManager,
    /// `host:port`, for the logs.
    address: String,
    /// Counts the swaps: a caller that saw generation `n` fail asks the
    /// sentinels only if no other caller swapped since.
    generation: u64,
}

/// A connection to the master `name` that the sentinels know, following
/// its failovers. Cheap to clone; the clones share the connection.
#[derive(Clone)]
pub(crate) struct SentinelMaster {
    shared: Arc<Shared>,
}

struct Shared {
    name: String,
    sentinels: Mutex<SentinelClient>,
    master: ArcSwap<Master>,
}

impl fmt::Debug for SentinelMaster {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SentinelMaster")
            .field("name", &self.shared.name)
            .field("generation", &self.shared.master.load().generation)
            .finish_non_exhaustive()
    }
}

impl SentinelMaster {
    /// Asks the `sentinels` (`redis://host:port` each) for the master
    /// `name` and connects to it, with `password` if it requires one.
    pub(crate) async fn connect(
        sentinels: &[String],
        name: &str,
        password: Option<&str>,
    ) -> RedisResult<Self> {
        let master_info = password.map(|password| {
            let info = RedisConnectionInfo::default().set_password(password);
            SentinelNodeConnectionInfo::default().set_redis_connection_info(info)
        });
        let mut client = SentinelClient::build(
            sentinels.to_vec(),
            name.to_owned(),
            master_info,
            SentinelServerType::Master,
        )?;
        let master = master_of(&mut client, name, 0).await?;
        tracing::info!(master = name, address = %master.address, "connected to the Redis master the sentinels name");
        Ok(Self {
            shared: Arc::new(Shared {
                name: name.to_owned(),
                sentinels: Mutex::new(client),
                master: ArcSwap::from_pointee(master),
            }),
        })
    }

    /// The master now.
    fn current(&self) -> Arc<Master> {
        self.shared.master.load_full()
    }

    /// After `answer` from the master of generation `seen`: when it says
    /// the master moved, follows it, and answers the new connection if
    /// `answer` cannot have changed anything (refused, or refused as a
    /// replica), so that the request runs once more there.
    async fn retry_on(&self, seen: u64, answer: Answer) -> Option<ConnectionManager> {
        if answer == Answer::Fine {
            return None;
        }
        match self.follow(seen).await {
            Ok(connection) => (answer == Answer::MovedBeforeRunning).then_some(connection),
            Err(error) => {
                tracing::warn!(master = %self.shared.name, %error, "could not follow the Redis master through the sentinels");
                None
            }
        }
    }

    async fn command(&self, cmd: &Cmd) -> RedisResult<Value> {
        let master = self.current();
        let answer = master.connection.clone().req_packed_command(cmd).await;
        let verdict = answer
            .as_ref()
            .map_or_else(Answer::of_error, |_| Answer::Fine);
        match self.retry_on(master.generation, verdict).await {
            Some(mut connection) => connection.req_packed_command(cmd).await,
            None => answer,
        }
    }

    async fn pipeline(
        &self,
        pipeline: &Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisResult<Vec<Value>> {
        let master = self.current();
        let answer = master
            .connection
            .clone()
            .req_packed_commands(pipeline, offset, count)
            .await;
        let verdict = match &answer {
            Ok(values) if refused_by_replica(values) => Answer::MovedBeforeRunning,
            Ok(_) => Answer::Fine,
            Err(error) => Answer::of_error(error),
        };
        match self.retry_on(master.generation, verdict).await {
            Some(mut connection) => {
                connection
                    .req_packed_commands(pipeline, offset, count)
                    .await
            }
            None => answer,
        }
    }

    /// Asks the sentinels for the master unless another caller swapped
    /// since `seen`; answers the connection to use now.
    async fn follow(&self, seen: u64) -> RedisResult<ConnectionManager> {
        let mut sentinels = self.shared.sentinels.lock().await;
        let current = self.shared.master.load_full();
        if current.generation != seen {
            return Ok(current.connection.clone());
        }
        let master = Arc::new(master_of(&mut sentinels, &self.shared.name, seen + 1).await?);
        if master.address == current.address {
            tracing::debug!(master = %self.shared.name, address = %master.address, "the sentinels still name the same Redis master; reconnected");
        } else {
            tracing::warn!(
                master = %self.shared.name,
                address = %master.address,
                previous = %current.address,
                "followed the Redis master to where the sentinels name it now"
            );
        }
        self.shared.master.store(Arc::clone(&master));
        Ok(master.connection.clone())
    }
}

/// Connects to the master the sentinels name and checks its `ROLE`.
async fn master_of(
    sentinels: &mut SentinelClient,
    name: &str,
    generation: u64,
) -> RedisResult<Master> {
    let client = sentinels.async_get_client().await?;
    let address = client.get_connection_info().addr().to_string();
    let mut connection = ConnectionManager::new_with_config(client, manager_config()).await?;
    let role: Vec<Value> = ::redis::cmd("ROLE").query_async(&mut connection).await?;
    match role.first() {
        Some(Value::BulkString(role)) if role.as_slice() == b"master" => Ok(Master {
            connection,
            address,
            generation,
        }),
        _ => Err(RedisError::from((
            ErrorKind::Server(ServerErrorKind::ReadOnly),
            "the sentinels named a Redis that is not a master (yet)",
            format!("{name} at {address}"),
        ))),
    }
}

/// What an answer says about where the master is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// Nothing about it.
    Fine,
    /// It moved, and the request did not run (refused, or refused by a
    /// replica).
    MovedBeforeRunning,
    /// It may have moved (a broken or silent connection), and the request
    /// may have run.
    MaybeMoved,
}

impl Answer {
    fn of_error(error: &RedisError) -> Self {
        if error.kind() == ErrorKind::Server(ServerErrorKind::ReadOnly)
            || error.is_connection_refusal()
        {
            Self::MovedBeforeRunning
        } else if error.is_io_error() || error.is_connection_dropped() || error.is_timeout() {
            Self::MaybeMoved
        } else {
            Self::Fine
        }
    }
}

/// Whether a pipeline's answers hold a replica's refusal.
fn refused_by_replica(values: &[Value]) -> bool {
    values.iter().any(|value| {
        matches!(value, Value::ServerError(error) if error.kind() == Some(ServerErrorKind::ReadOnly))
    })
}

impl ConnectionLike for SentinelMaster {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(self.command(cmd))
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(self.pipeline(pipeline, offset, count))
    }

    fn get_db(&self) -> i64 {
        self.shared.master.load().connection.get_db()
    }
}
