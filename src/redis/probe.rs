//! The capability probe: whether a Redis can carry the store and tickets
//! (version, Lua scripts, `WAIT`), asked once at startup so that a missing
//! capability is one sentence then rather than a bare error at the first
//! callback.

use std::fmt;
use std::sync::LazyLock;

use ::redis::{RedisError, Script, Value};

use super::{RedisBackendError, RedisConnection};

/// The oldest Redis this crate runs on: 5.0 (its scripts use no command
/// newer, such as `KEEPTTL` of 6.0).
pub const MINIMUM_VERSION: RedisVersion = RedisVersion {
    major: 5,
    minor: 0,
    patch: 0,
};

/// A script touching no key, run with one key for the proxies and
/// Clusters that route scripts by their keys.
static ANSWERS: LazyLock<Script> = LazyLock::new(|| Script::new("return 1"));

/// A Redis server's version (`redis_version` of `INFO server`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RedisVersion {
    /// 7 in 7.0.15.
    pub major: u32,
    /// 0 in 7.0.15.
    pub minor: u32,
    /// 15 in 7.0.15.
    pub patch: u32,
}

impl RedisVersion {
    /// The `redis_version` line of `INFO server` text, if it has one.
    ///
    /// ```
    /// use tencent_faceid::redis::RedisVersion;
    /// let info = "# Server\r\nredis_version:5.0.14\r\nredis_mode:standalone\r\n";
    /// let version = RedisVersion::from_info(info).unwrap();
    /// assert_eq!((version.major, version.minor, version.patch), (5, 0, 14));
    /// ```
    pub fn from_info(info: &str) -> Option<Self> {
        let version = info
            .lines()
            .find_map(|line| line.trim().strip_prefix("redis_version:"))?;
        let mut parts = version.trim().splitn(3, '.').map(str::parse::<u32>);
        let major = parts.next()?.ok()?;
        let minor = parts.next().unwrap_or(Ok(0)).ok()?;
        let patch = parts.next().unwrap_or(Ok(0)).ok()?;
        Some(Self {
            major,
            minor,
            patch,
        })
    }
}

impl fmt::Display for RedisVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A capability this crate needs that the Redis lacks; the message names
/// what was found and what to do.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RedisCapabilityError {
    /// Redis could not be asked.
    #[error(transparent)]
    Backend(#[from] RedisBackendError),
    /// The server is older than [`MINIMUM_VERSION`].
    #[error(
        "this Redis is version {found}, and tencent-faceid needs Redis 5.0 or later: upgrade it"
    )]
    TooOld {
        /// The version found (the oldest node's, on a Cluster).
        found: RedisVersion,
    },
    /// `INFO server` told no version.
    #[error(
        "Redis answered INFO server without a version ({answer}), so it cannot be checked to be 5.0 or later: allow INFO for this user"
    )]
    VersionUnknown {
        /// What Redis answered.
        answer: String,
    },
    /// Lua scripts are refused.
    #[error(
        "Redis refused to run a Lua script ({answer}), and tencent-faceid's order store and tickets are Lua scripts: allow EVAL, EVALSHA and SCRIPT LOAD for this user, or enable Lua in the cloud instance's settings"
    )]
    EvalForbidden {
        /// What Redis answered.
        answer: String,
    },
    /// `WAIT` is refused (cloud proxy endpoints reject it).
    #[error(
        "Redis refused WAIT ({answer}), which wait_for_replicas needs; cloud proxy endpoints reject it: connect to the primary (or the Cluster's nodes) directly, or turn wait_for_replicas off"
    )]
    WaitRejected {
        /// What Redis answered.
        answer: String,
    },
}

/// Checks that the Redis behind `connection` can carry the store and the
/// tickets: version 5.0 or later (every node's, on a Cluster), Lua scripts
/// allowed (run with `key`, which they do not touch, so that proxies and
/// Clusters route them), and with `needs_wait` (the order store's
/// [`wait_for_replicas`](crate::orders::RedisOrderStoreBuilder::wait_for_replicas))
/// `WAIT` accepted. Answers the version (the oldest node's).
/// [`FaceIdBuilder::build`](crate::facade::FaceIdBuilder::build) runs it;
/// call it at startup when you wire the store and tickets by hand.
///
/// # Errors
/// A [`RedisCapabilityError`] per missing capability, saying what was
/// found and what to do.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let connection = tencent_faceid::redis::connect("redis://127.0.0.1:6379").await?.into();
/// let version = tencent_faceid::redis::probe(&connection, "faceid:{appId001}:probe", false).await?;
/// println!("Redis {version}");
/// # Ok(()) }
/// ```
pub async fn probe(
    connection: &RedisConnection,
    key: &str,
    needs_wait: bool,
) -> Result<RedisVersion, RedisCapabilityError> {
    let mut connection = connection.clone();
    let info: Value = ask(&mut connection, ::redis::cmd("INFO").arg("server")).await?;
    let version = oldest_version(&info).ok_or_else(|| RedisCapabilityError::VersionUnknown {
        answer: describe(&info),
    })?;
    if version < MINIMUM_VERSION {
        return Err(RedisCapabilityError::TooOld { found: version });
    }
    let answered: Result<i64, RedisError> = ANSWERS.key(key).invoke_async(&mut connection).await;
    unless_refused(answered, |answer| RedisCapabilityError::EvalForbidden {
        answer,
    })?;
    if needs_wait {
        let waited: Result<Value, RedisError> = ::redis::cmd("WAIT")
            .arg(0)
            .arg(1)
            .query_async(&mut connection)
            .await;
        unless_refused(waited, |answer| RedisCapabilityError::WaitRejected {
            answer,
        })?;
    }
    tracing::info!(%version, kind = connection.kind(), "Redis can carry the order store and tickets");
    Ok(version)
}

/// Nothing if Redis answered; `missing` with its answer if it refused; a
/// backend error if it could not be asked.
fn unless_refused<T>(
    answered: Result<T, RedisError>,
    missing: impl FnOnce(String) -> RedisCapabilityError,
) -> Result<(), RedisCapabilityError> {
    match answered {
        Ok(_) => Ok(()),
        Err(error) if error.code().is_some() => Err(missing(error.to_string())),
        Err(error) => Err(RedisBackendError::from(error).into()),
    }
}

/// Sends `command`; a server's refusal is part of the answer.
async fn ask(
    connection: &mut RedisConnection,
    command: &::redis::Cmd,
) -> Result<Value, RedisBackendError> {
    match command.query_async::<Value>(connection).await {
        Ok(value) => Ok(value),
        Err(error) if error.code().is_some() => Ok(Value::SimpleString(error.to_string())),
        Err(error) => Err(error.into()),
    }
}

/// The oldest version among the `INFO` texts of `value` (one per node on a
/// Cluster); `None` if any of them tells none.
fn oldest_version(value: &Value) -> Option<RedisVersion> {
    match value {
        Value::Map(nodes) => nodes
            .iter()
            .map(|(_, info)| oldest_version(info))
            .try_fold(None, |oldest: Option<RedisVersion>, version| {
                let version = version?;
                Some(Some(oldest.map_or(version, |oldest| oldest.min(version))))
            })
            .flatten(),
        Value::BulkString(text) => RedisVersion::from_info(&String::from_utf8_lossy(text)),
        Value::VerbatimString { text, .. } | Value::SimpleString(text) => {
            RedisVersion::from_info(text)
        }
        _ => None,
    }
}

/// A short description of an answer that told no version.
fn describe(value: &Value) -> String {
    let text = match value {
        Value::SimpleString(text) => text.clone(),
        Value::ServerError(error) => format!("{error:?}"),
        Value::Map(_) => "a node's answer without redis_version".to_owned(),
        _ => "no redis_version line".to_owned(),
    };
    text.chars().take(120).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFO_5: &str = "# Server\r\nredis_version:5.0.14\r\nredis_git_sha1:00000000\r\nredis_mode:standalone\r\nos:Linux\r\n";
    const INFO_7: &str = "# Server\r\nredis_version:7.0.15\r\nredis_mode:cluster\r\n";
    const INFO_4: &str = "# Server\r\nredis_version:4.0.9\r\n";

    #[test]
    fn the_version_is_read_from_info_server_text() {
        let version = RedisVersion::from_info(INFO_5).unwrap();
        assert_eq!(version.to_string(), "5.0.14");
        assert!(version >= MINIMUM_VERSION);
        assert!(RedisVersion::from_info(INFO_4).unwrap() < MINIMUM_VERSION);
        assert_eq!(RedisVersion::from_info("# Server\r\nos:Linux\r\n"), None);
        assert_eq!(RedisVersion::from_info("redis_version:x.1\r\n"), None);
    }

    #[test]
    fn a_cluster_answers_the_oldest_nodes_version() {
        let node = |addr: &str, info: &str| {
            (
                Value::BulkString(addr.as_bytes().to_vec()),
                Value::BulkString(info.as_bytes().to_vec()),
            )
        };
        let nodes = Value::Map(vec![node("a:1", INFO_7), node("b:2", INFO_5)]);
        assert_eq!(oldest_version(&nodes).unwrap().to_string(), "5.0.14");
        let hidden = Value::Map(vec![node("a:1", INFO_7), node("b:2", "# Server\r\n")]);
        assert_eq!(oldest_version(&hidden), None);
    }

    #[test]
    fn too_old_names_the_version_found_and_the_fix() {
        let found = RedisVersion::from_info(INFO_4).unwrap();
        assert_eq!(
            RedisCapabilityError::TooOld { found }.to_string(),
            "this Redis is version 4.0.9, and tencent-faceid needs Redis 5.0 or later: upgrade it"
        );
    }
}
