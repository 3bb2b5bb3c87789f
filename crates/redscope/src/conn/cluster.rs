//! Redis Cluster: the redis-rs Cluster connection built from the seeds (plain, TLS, RESP3 push),
//! rebuilt after a frozen master, and direct connections to each slot-serving master.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use redis::aio::ConnectionManager;
use redis::cluster_async::ClusterConnection;
use redis::Value;

use super::single::{connect, standalone_at};
use super::slots::{masters_from_slots, slot_ranges, split_addr, SlotRange};
use crate::config::{Endpoint, RedisConfig, Secret, Topology};
use crate::error::{Error, Result};

/// Least time between two rebuilds of a Cluster connection.
const REBUILD_EVERY: Duration = Duration::from_secs(1);

/// The redis-rs Cluster connection of a Cluster [`super::Conn`], the direct connections to its
/// masters, and the guard of rebuilds.
#[derive(Clone)]
pub(super) struct ClusterState {
    /// The redis-rs Cluster connection; replaced by a fresh one (new slot map) after timeouts.
    conn: Arc<RwLock<ClusterConnection>>,
    cfg: RedisConfig,
    nodes: Arc<tokio::sync::Mutex<HashMap<String, ConnectionManager>>>,
    rebuild: Arc<Rebuild>,
}

/// Rate limit and guard of Cluster connection rebuilds.
#[derive(Default)]
struct Rebuild {
    running: AtomicBool,
    last: Mutex<Option<Instant>>,
}

impl ClusterState {
    /// Connects to the Cluster through its seed nodes.
    pub(super) async fn connect(cfg: &RedisConfig, nodes: &[(String, u16)]) -> Result<Self> {
        let conn = connect_cluster(cfg, nodes).await?;
        Ok(ClusterState {
            conn: Arc::new(RwLock::new(conn)),
            cfg: cfg.clone(),
            nodes: Default::default(),
            rebuild: Default::default(),
        })
    }

    /// The current redis-rs connection (cheap clone).
    pub(super) fn current(&self) -> ClusterConnection {
        self.conn.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// After a failed call. redis-rs refreshes its slot map on MOVED and on dropped or refused
    /// connections, but retries a node that stops answering (a frozen master: no socket
    /// closes) forever, so it never learns that a replica took over. After a timeout or I/O
    /// error a fresh connection is built from the seeds in the background (at most once a
    /// second) and replaces this one.
    pub(super) fn after_error(&self, e: &redis::RedisError) {
        if !(e.is_timeout() || e.is_io_error() || e.is_connection_dropped()) {
            return;
        }
        {
            let mut last = self.rebuild.last.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_some_and(|at| at.elapsed() < REBUILD_EVERY) {
                return;
            }
            *last = Some(Instant::now());
        }
        if self.rebuild.running.swap(true, Ordering::SeqCst) {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            if let Topology::Cluster { nodes } = &this.cfg.topology {
                match connect_cluster(&this.cfg, nodes).await {
                    Ok(fresh) => {
                        tracing::warn!("Cluster connection rebuilt from the seeds after timeouts");
                        *this.conn.write().unwrap_or_else(|p| p.into_inner()) = fresh;
                    }
                    Err(e) => tracing::debug!("Cluster connection rebuild failed: {e}"),
                }
            }
            this.rebuild.running.store(false, Ordering::SeqCst);
        });
    }

    /// Every slot-serving master (from `CLUSTER SLOTS` each call, so resharding is seen) with a
    /// direct connection, kept for the next call.
    pub(super) async fn masters(&self) -> Result<Vec<(String, ConnectionManager)>> {
        let slots = self.cluster_slots().await?;
        let mut out = Vec::new();
        let mut cache = self.nodes.lock().await;
        let mut addrs = masters_from_slots(&slots);
        addrs.sort();
        addrs.dedup(); // the reply may be gathered from several nodes
        for addr in addrs {
            let conn = match cache.get(&addr) {
                Some(c) => c.clone(),
                None => {
                    let (host, port) = split_addr(&addr)?;
                    let c = connect(&standalone_at(&self.cfg, host, port)).await?;
                    cache.insert(addr.clone(), c.clone());
                    c
                }
            };
            out.push((addr, conn));
        }
        Ok(out)
    }

    /// The slot ranges and their masters (fresh `CLUSTER SLOTS`).
    pub(super) async fn slot_map(&self) -> Result<Vec<SlotRange>> {
        Ok(slot_ranges(&self.cluster_slots().await?))
    }

    /// A fresh `CLUSTER SLOTS` reply, through the Cluster connection.
    async fn cluster_slots(&self) -> Result<Value> {
        let mut c = self.current();
        Ok(redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query_async(&mut c)
            .await?)
    }
}

/// A standalone config for seed node `i` (modulo their number) of a Cluster config; `None` for
/// other topologies. For connections that may use any node (classic pub/sub).
pub fn cluster_seed(cfg: &RedisConfig, i: usize) -> Option<RedisConfig> {
    let Topology::Cluster { nodes } = &cfg.topology else {
        return None;
    };
    let (host, port) = nodes.get(i % nodes.len().max(1))?.clone();
    Some(standalone_at(cfg, host, port))
}

async fn connect_cluster(cfg: &RedisConfig, nodes: &[(String, u16)]) -> Result<ClusterConnection> {
    let client = cluster_builder(cfg, nodes).await?.build()?;
    open_cluster(cfg, client).await
}

/// A RESP3 Cluster connection whose push messages (sharded pub/sub deliveries, subscription
/// confirmations, disconnections) go to `push`; for [`crate::pubsub`]'s sharded listener.
pub(crate) async fn connect_cluster_push(
    cfg: &RedisConfig,
    push: tokio::sync::mpsc::UnboundedSender<redis::PushInfo>,
) -> Result<ClusterConnection> {
    let Topology::Cluster { nodes } = &cfg.topology else {
        return Err(Error::InvalidInput(
            "sharded pub/sub listeners need a redis+cluster:// configuration".into(),
        ));
    };
    let client = cluster_builder(cfg, nodes)
        .await?
        .use_protocol(redis::ProtocolVersion::RESP3)
        .push_sender(push)
        .build()?;
    open_cluster(cfg, client).await
}

/// The redis-rs Cluster client builder for the seeds: credentials, TLS, and with an SSH tunnel a
/// resolver that maps every node address the Cluster announces to a forwarder through it.
async fn cluster_builder(
    cfg: &RedisConfig,
    nodes: &[(String, u16)],
) -> Result<redis::cluster::ClusterClientBuilder> {
    let infos: Vec<redis::ConnectionInfo> = nodes
        .iter()
        .map(|(h, p)| standalone_at(cfg, h.clone(), *p).connection_info())
        .collect::<Result<_>>()?;
    let mut builder = redis::cluster::ClusterClientBuilder::new(infos)
        .connection_timeout(cfg.connect_timeout)
        .response_timeout(cfg.response_timeout)
        .retries(3);
    if let Some(u) = &cfg.username {
        builder = builder.username(u);
    }
    if let Some(p) = &cfg.password {
        builder = builder.password(Secret::expose(p));
    }
    if let Some(name) = &cfg.tls_server_name {
        // Every node is checked against the address it announces; one name for all of them
        // would need a relay per node, which is not built.
        return Err(Error::Config(format!(
            "a TLS server name ({name}) cannot be set for a Cluster: each node's certificate is \
             checked against the address it announces (#verify-ca checks the CA only)"
        )));
    }
    if matches!(cfg.endpoint, Endpoint::Tls { .. }) {
        crate::tls::install_crypto_provider();
        if let Some(certs) = crate::tls::certificates(cfg)? {
            builder = builder.certs(certs);
        }
        // `#verify-ca`: the CA is checked, the node's host name not.
        builder = builder.danger_accept_invalid_hostnames(!cfg.tls_verify_host);
    }
    #[cfg(feature = "ssh")]
    if let Some(ssh) = &cfg.ssh {
        let tunnel = crate::ssh::tunnel(ssh, cfg.connect_timeout).await?;
        builder = builder.async_dns_resolver(crate::ssh::TunnelResolver(tunnel));
    }
    #[cfg(not(feature = "ssh"))]
    if let Some(ssh) = &cfg.ssh {
        return Err(Error::Config(format!(
            "{} needs an SSH tunnel, but this build of redscope has no `ssh` feature",
            ssh.display()
        )));
    }
    Ok(builder)
}

async fn open_cluster(
    cfg: &RedisConfig,
    client: redis::cluster::ClusterClient,
) -> Result<ClusterConnection> {
    match tokio::time::timeout(
        cfg.connect_timeout + cfg.response_timeout,
        client.get_async_connection(),
    )
    .await
    {
        Ok(r) => r.map_err(|e| crate::tls::classify(cfg, e)),
        Err(_) => Err(Error::Timeout(cfg.connect_timeout)),
    }
}

#[cfg(test)]
mod tests {
    use super::super::single::endpoint_addr;
    use super::*;

    #[test]
    fn cluster_seeds_rotate() {
        let cfg = RedisConfig::from_url("redis+cluster://10.0.0.1:7000,10.0.0.2:7001").unwrap();
        let seed = |i| endpoint_addr(&cluster_seed(&cfg, i).unwrap().endpoint);
        assert_eq!(
            (seed(0), seed(1), seed(2)),
            (
                "10.0.0.1:7000".to_string(),
                "10.0.0.2:7001".to_string(),
                "10.0.0.1:7000".to_string()
            )
        );
        assert_eq!(
            cluster_seed(&cfg, 1).unwrap().topology,
            Topology::Standalone
        );
        let single = RedisConfig::from_url("redis://127.0.0.1:7000/0").unwrap();
        assert!(cluster_seed(&single, 0).is_none());
    }
}
