//! [`RedisTopology`]: which kind of Redis to connect to, and where, as
//! `FACEID_REDIS_URL`, `FACEID_REDIS_MODE` and
//! `FACEID_REDIS_SENTINEL_MASTER` say it.

use std::time::Duration;

use ::redis::cluster::ClusterClientBuilder;

use super::{RedisBackendError, RedisConnection};
use crate::secret::Secret;

/// Which kind of Redis to connect to, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedisTopology {
    /// One Redis (or a cloud proxy in front of several): its URL.
    Standalone(String),
    /// A Redis Cluster: the URLs of some of its nodes (the others are
    /// found through them).
    Cluster(Vec<String>),
    /// The master a set of Redis Sentinels names, followed across
    /// failovers.
    Sentinel {
        /// The sentinels' URLs (`redis://host:26379`).
        sentinels: Vec<String>,
        /// The master's name in the sentinels' `sentinel monitor` line.
        master: String,
        /// The master's password, if it requires one
        /// ([`with_master_password`](RedisTopology::with_master_password)).
        master_password: Option<Secret>,
    },
}

/// A Redis topology that cannot work; the message says what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedisTopologyError {
    /// The mode is none of the three.
    #[error("FACEID_REDIS_MODE must be standalone, cluster or sentinel")]
    UnknownMode,
    /// No URL at all.
    #[error(
        "FACEID_REDIS_URL lists no URL; give the Redis URL, or a comma-separated list of nodes or sentinels"
    )]
    NoUrl,
    /// Several URLs for one standalone Redis.
    #[error(
        "FACEID_REDIS_URL lists {0} URLs, which needs FACEID_REDIS_MODE=cluster (the nodes of a Redis Cluster) or FACEID_REDIS_MODE=sentinel (the sentinels); give one URL for a standalone Redis"
    )]
    SeveralUrls(usize),
    /// Sentinels without a master name.
    #[error(
        "FACEID_REDIS_MODE=sentinel needs FACEID_REDIS_SENTINEL_MASTER, the master's name in the sentinels' `sentinel monitor` line"
    )]
    NoSentinelMaster,
    /// A master name without sentinels.
    #[error(
        "FACEID_REDIS_SENTINEL_MASTER is set but FACEID_REDIS_MODE is not sentinel: set FACEID_REDIS_MODE=sentinel and list the sentinels in FACEID_REDIS_URL, or unset FACEID_REDIS_SENTINEL_MASTER"
    )]
    MasterWithoutSentinel,
    /// A master password without sentinels.
    #[error(
        "FACEID_REDIS_SENTINEL_PASSWORD is the password of the master the sentinels name, but FACEID_REDIS_MODE is not sentinel: put the password of a standalone Redis or a Cluster in FACEID_REDIS_URL (redis://:password@host:6379), or unset FACEID_REDIS_SENTINEL_PASSWORD"
    )]
    PasswordWithoutSentinel,
}

impl RedisTopology {
    /// The topology `FACEID_REDIS_URL` (`urls`, comma-separated),
    /// `FACEID_REDIS_MODE` (`mode`: `standalone`, the default, `cluster` or
    /// `sentinel`) and `FACEID_REDIS_SENTINEL_MASTER` (`master`) describe.
    ///
    /// # Errors
    /// A [`RedisTopologyError`] for a combination that cannot work.
    ///
    /// ```
    /// use tencent_faceid::redis::RedisTopology;
    /// let topology = RedisTopology::parse("redis://a:6379, redis://b:6379", Some("cluster"), None)?;
    /// assert_eq!(
    ///     topology,
    ///     RedisTopology::Cluster(vec!["redis://a:6379".into(), "redis://b:6379".into()])
    /// );
    /// # Ok::<(), tencent_faceid::redis::RedisTopologyError>(())
    /// ```
    pub fn parse(
        urls: &str,
        mode: Option<&str>,
        master: Option<&str>,
    ) -> Result<Self, RedisTopologyError> {
        let urls: Vec<String> = urls
            .split(',')
            .map(str::trim)
            .filter(|url| !url.is_empty())
            .map(str::to_owned)
            .collect();
        if urls.is_empty() {
            return Err(RedisTopologyError::NoUrl);
        }
        let master = master.map(str::trim).filter(|master| !master.is_empty());
        match (mode.map(str::trim).unwrap_or("standalone"), master) {
            ("sentinel", Some(master)) => Ok(Self::Sentinel {
                sentinels: urls,
                master: master.to_owned(),
                master_password: None,
            }),
            ("sentinel", None) => Err(RedisTopologyError::NoSentinelMaster),
            (_, Some(_)) => Err(RedisTopologyError::MasterWithoutSentinel),
            ("cluster", None) => Ok(Self::Cluster(urls)),
            ("standalone" | "", None) => match <[String; 1]>::try_from(urls) {
                Ok([url]) => Ok(Self::Standalone(url)),
                Err(urls) => Err(RedisTopologyError::SeveralUrls(urls.len())),
            },
            _ => Err(RedisTopologyError::UnknownMode),
        }
    }

    /// This sentinel topology with the master's `password`
    /// (`FACEID_REDIS_SENTINEL_PASSWORD`).
    ///
    /// # Errors
    /// [`RedisTopologyError::PasswordWithoutSentinel`] for any other
    /// topology (their password goes in their URLs).
    ///
    /// ```
    /// use tencent_faceid::redis::RedisTopology;
    /// let topology = RedisTopology::parse("redis://s1:26379", Some("sentinel"), Some("m"))?
    ///     .with_master_password("secret")?;
    /// assert!(!format!("{topology:?}").contains("secret"));
    /// # Ok::<(), tencent_faceid::redis::RedisTopologyError>(())
    /// ```
    pub fn with_master_password(
        self,
        password: impl Into<String>,
    ) -> Result<Self, RedisTopologyError> {
        match self {
            Self::Sentinel {
                sentinels, master, ..
            } => Ok(Self::Sentinel {
                sentinels,
                master,
                master_password: Some(Secret::from(password.into())),
            }),
            _ => Err(RedisTopologyError::PasswordWithoutSentinel),
        }
    }

    /// Connects with the settings of [`connect`](super::connect): one
    /// connection attempt at most 1 s, answers within 1 s.
    ///
    /// # Errors
    /// [`RedisBackendError::Redis`] when a URL is invalid or Redis (a node,
    /// the sentinels, their master) cannot be reached now.
    pub async fn connect(&self) -> Result<RedisConnection, RedisBackendError> {
        Ok(match self {
            Self::Standalone(url) => super::connect(url).await?.into(),
            Self::Cluster(nodes) => ClusterClientBuilder::new(nodes.iter().map(String::as_str))
                .connection_timeout(Duration::from_secs(1))
                .response_timeout(Duration::from_secs(1))
                .build()?
                .get_async_connection()
                .await?
                .into(),
            Self::Sentinel {
                sentinels,
                master,
                master_password: None,
            } => RedisConnection::sentinel(sentinels, master).await?,
            Self::Sentinel {
                sentinels,
                master,
                master_password: Some(password),
            } => {
                RedisConnection::sentinel_with_password(sentinels, master, password.expose())
                    .await?
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_url_is_a_standalone_redis_and_a_list_needs_a_mode() {
        assert_eq!(
            RedisTopology::parse("redis://a", None, None),
            Ok(RedisTopology::Standalone("redis://a".into()))
        );
        assert_eq!(
            RedisTopology::parse("redis://a,redis://b", None, None),
            Err(RedisTopologyError::SeveralUrls(2))
        );
        assert_eq!(
            RedisTopology::parse(" , ", Some("cluster"), None),
            Err(RedisTopologyError::NoUrl)
        );
    }

    #[test]
    fn sentinels_need_a_master_name_and_only_they_take_one() {
        assert_eq!(
            RedisTopology::parse(
                "redis://a:26379,redis://b:26379",
                Some("sentinel"),
                Some("m")
            ),
            Ok(RedisTopology::Sentinel {
                sentinels: vec!["redis://a:26379".into(), "redis://b:26379".into()],
                master: "m".into(),
                master_password: None,
            })
        );
        assert_eq!(
            RedisTopology::parse("redis://a", Some("sentinel"), None),
            Err(RedisTopologyError::NoSentinelMaster)
        );
        assert_eq!(
            RedisTopology::parse("redis://a", Some("cluster"), Some("m")),
            Err(RedisTopologyError::MasterWithoutSentinel)
        );
        assert_eq!(
            RedisTopology::parse("redis://a", Some("clustered"), None),
            Err(RedisTopologyError::UnknownMode)
        );
    }

    #[test]
    fn only_a_sentinels_master_takes_a_password_here() {
        let cluster = RedisTopology::parse("redis://a,redis://b", Some("cluster"), None).unwrap();
        assert_eq!(
            cluster.with_master_password("pw"),
            Err(RedisTopologyError::PasswordWithoutSentinel)
        );
        let sentinel = RedisTopology::parse("redis://s", Some("sentinel"), Some("m")).unwrap();
        let RedisTopology::Sentinel {
            master_password, ..
        } = sentinel.with_master_password("pw").unwrap()
        else {
            panic!("still a sentinel topology");
        };
        assert_eq!(master_password.as_ref().map(Secret::expose), Some("pw"));
    }
}
