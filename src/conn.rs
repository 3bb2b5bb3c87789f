//! Opening connections: [`Conn`], one cheap-to-clone handle for a single server, a Cluster or a
//! Sentinel-managed master that reconnects (and follows failovers) by itself; plus dedicated
//! connections for blocking commands and pub/sub.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use redis::aio::{
    ConnectionLike, ConnectionManager, ConnectionManagerConfig, MultiplexedConnection,
};
use redis::cluster_async::ClusterConnection;
use redis::{AsyncConnectionConfig, Cmd, Pipeline, RedisFuture, Value};

use crate::config::{Endpoint, RedisConfig, Secret, Topology};
use crate::error::{Error, Result};

/// A redis-rs client for this configuration's (first) server.
pub fn client(cfg: &RedisConfig) -> Result<redis::Client> {
    crate::tls::client(cfg, cfg.connection_info()?)
}

/// An auto-reconnecting connection to the one server `cfg.endpoint` names.
///
/// Fails fast (within the connect timeout) when the server is unreachable or refuses the credentials.
pub async fn connect(cfg: &RedisConfig) -> Result<ConnectionManager> {
    let config = ConnectionManagerConfig::new()
        .set_connection_timeout(Some(cfg.connect_timeout))
        .set_response_timeout(Some(cfg.response_timeout))
        .set_number_of_retries(1)
        .set_max_delay(Duration::from_secs(2));
    let fut = ConnectionManager::new_with_config(client(cfg)?, config);
    match tokio::time::timeout(cfg.connect_timeout + cfg.response_timeout, fut).await {
        Ok(res) => res.map_err(|e| crate::tls::classify(cfg, e)),
        Err(_) => Err(Error::Timeout(cfg.connect_timeout)),
    }
}

/// A dedicated multiplexed connection with no response timeout, for blocking commands
/// (`XREAD BLOCK`, `BLPOP`) that must not share the main connection's pipeline.
/// For Sentinel, it goes to the current master; for a Cluster, to the first seed node.
pub async fn connect_blocking(cfg: &RedisConfig) -> Result<MultiplexedConnection> {
    let cfg = match &cfg.topology {
        Topology::Sentinel { .. } => resolve_sentinel_master(cfg).await?,
        _ => cfg.clone(),
    };
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(cfg.connect_timeout))
        .set_response_timeout(None);
    client(&cfg)?
        .get_multiplexed_async_connection_with_config(&config)
        .await
        .map_err(|e| crate::tls::classify(&cfg, e))
}

/// One master of the deployment and a connection straight to it (for per-node work: SCAN, INFO, DBSIZE).
#[derive(Clone)]
pub struct NodeConn {
    /// `host:port` of the node.
    pub addr: String,
    /// A connection to this node only.
    pub conn: ConnectionManager,
}

/// A connection to any topology. Implements [`ConnectionLike`], so every redis-rs command and
/// pipeline works on it; in a Cluster, commands are routed by slot (multi-key commands such as
/// `MGET`, `DEL` and `UNLINK` are split by slot by redis-rs).
#[derive(Clone)]
pub struct Conn {
    inner: Inner,
    db: i64,
}

#[derive(Clone)]
enum Inner {
    Single(ConnectionManager),
    Cluster(Box<ClusterState>),
    Sentinel(Arc<SentinelState>),
}

#[derive(Clone)]
struct ClusterState {
    conn: ClusterConnection,
    cfg: RedisConfig,
    nodes: Arc<tokio::sync::Mutex<HashMap<String, ConnectionManager>>>,
}

struct SentinelState {
    cfg: RedisConfig,
    current: RwLock<(String, ConnectionManager)>,
    resolving: AtomicBool,
    last_resolve: Mutex<Instant>,
}

/// Which kind of deployment a [`Conn`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TopologyKind {
    /// One server.
    Standalone,
    /// A Redis Cluster.
    Cluster,
    /// A Sentinel-managed master.
    Sentinel,
}

impl Conn {
    /// Connects according to `cfg.topology`: one server, a Cluster, or the master Sentinels name.
    pub async fn connect(cfg: &RedisConfig) -> Result<Conn> {
        let inner = match &cfg.topology {
            Topology::Standalone => Inner::Single(connect(cfg).await?),
            Topology::Cluster { nodes } => {
                let conn = connect_cluster(cfg, nodes).await?;
                Inner::Cluster(Box::new(ClusterState {
                    conn,
                    cfg: cfg.clone(),
                    nodes: Default::default(),
                }))
            }
            Topology::Sentinel { .. } => {
                let master = resolve_sentinel_master(cfg).await?;
                let addr = endpoint_addr(&master.endpoint);
                let conn = connect(&master).await?;
                Inner::Sentinel(Arc::new(SentinelState {
                    cfg: cfg.clone(),
                    current: RwLock::new((addr, conn)),
                    resolving: AtomicBool::new(false),
                    last_resolve: Mutex::new(Instant::now()),
                }))
            }
        };
        Ok(Conn { inner, db: cfg.db })
    }

    /// The kind of deployment.
    pub fn topology(&self) -> TopologyKind {
        match self.inner {
            Inner::Single(_) => TopologyKind::Standalone,
            Inner::Cluster(_) => TopologyKind::Cluster,
            Inner::Sentinel(_) => TopologyKind::Sentinel,
        }
    }

    /// The master's `host:port` for a Sentinel-managed connection (changes after a failover).
    pub fn current_master(&self) -> Option<String> {
        match &self.inner {
            Inner::Sentinel(s) => Some(s.current.read().expect("lock").0.clone()),
            _ => None,
        }
    }

    /// Every master with a direct connection: one entry for a single server or Sentinel, one per
    /// slot-serving master for a Cluster (from `CLUSTER SLOTS` each call, so resharding is seen).
    pub async fn masters(&self) -> Result<Vec<NodeConn>> {
        match &self.inner {
            Inner::Single(c) => Ok(vec![NodeConn {
                addr: "primary".into(),
                conn: c.clone(),
            }]),
            Inner::Sentinel(s) => {
                let (addr, conn) = s.current.read().expect("lock").clone();
                Ok(vec![NodeConn { addr, conn }])
            }
            Inner::Cluster(state) => {
                let mut c = state.conn.clone();
                let slots: Value = redis::cmd("CLUSTER")
                    .arg("SLOTS")
                    .query_async(&mut c)
                    .await?;
                let mut out = Vec::new();
                let mut cache = state.nodes.lock().await;
                let mut addrs = masters_from_slots(&slots);
                addrs.sort();
                addrs.dedup(); // the reply may be gathered from several nodes
                for addr in addrs {
                    let conn = match cache.get(&addr) {
                        Some(c) => c.clone(),
                        None => {
                            let mut node_cfg = state.cfg.clone();
                            node_cfg.topology = Topology::Standalone;
                            let (host, port) = split_addr(&addr)?;
                            node_cfg.endpoint = match &state.cfg.endpoint {
                                Endpoint::Tls { insecure, .. } => Endpoint::Tls {
                                    host,
                                    port,
                                    insecure: *insecure,
                                },
                                _ => Endpoint::Tcp { host, port },
                            };
                            let c = connect(&node_cfg).await?;
                            cache.insert(addr.clone(), c.clone());
                            c
                        }
                    };
                    out.push(NodeConn { addr, conn });
                }
                Ok(out)
            }
        }
    }
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.inner {
            Inner::Single(c) => c.req_packed_command(cmd),
            Inner::Cluster(state) => state.conn.req_packed_command(cmd),
            Inner::Sentinel(s) => {
                let s = s.clone();
                Box::pin(async move {
                    let mut c = s.current.read().expect("lock").1.clone();
                    let r = c.req_packed_command(cmd).await;
                    if let Err(e) = &r {
                        SentinelState::after_error(&s, e);
                    }
                    r
                })
            }
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.inner {
            Inner::Single(c) => c.req_packed_commands(cmd, offset, count),
            Inner::Cluster(state) => {
                if cmd.is_transaction() {
                    return state.conn.req_packed_commands(cmd, offset, count);
                }
                // A plain pipeline whose keys span slots is run command by command (concurrently,
                // each routed to its slot's master), with the replies in pipeline order.
                let conn = state.conn.clone();
                Box::pin(async move {
                    let mut c = conn.clone();
                    match c.req_packed_commands(cmd, offset, count).await {
                        Err(e)
                            if e.kind()
                                == redis::ErrorKind::Server(redis::ServerErrorKind::CrossSlot) =>
                        {
                            split_pipeline(conn, cmd).await
                        }
                        other => other,
                    }
                })
            }
            Inner::Sentinel(s) => {
                let s = s.clone();
                Box::pin(async move {
                    let mut c = s.current.read().expect("lock").1.clone();
                    let r = c.req_packed_commands(cmd, offset, count).await;
                    if let Err(e) = &r {
                        SentinelState::after_error(&s, e);
                    }
                    r
                })
            }
        }
    }

    fn get_db(&self) -> i64 {
        self.db
    }
}

/// Runs each command of `pipeline` on its own, at most 64 at a time, keeping their order.
async fn split_pipeline(
    conn: ClusterConnection,
    pipeline: &Pipeline,
) -> redis::RedisResult<Vec<Value>> {
    let mut replies = Vec::with_capacity(pipeline.len());
    let cmds: Vec<&Cmd> = pipeline.cmd_iter().collect();
    for chunk in cmds.chunks(64) {
        let mut running = Vec::with_capacity(chunk.len());
        for one in chunk {
            let mut c = conn.clone();
            let one: &Cmd = one;
            running.push(async move { c.req_packed_command(one).await });
        }
        for r in futures::future::join_all(running).await {
            replies.push(r?);
        }
    }
    Ok(replies)
}

impl SentinelState {
    /// After a failed call: when the master looks gone or demoted, ask the Sentinels again
    /// (in the background, at most every 200 ms) and switch to the new master.
    fn after_error(this: &Arc<Self>, e: &redis::RedisError) {
        let demoted = e.to_string().contains("READONLY");
        if !(demoted
            || e.is_connection_dropped()
            || e.is_connection_refusal()
            || e.is_io_error()
            || e.is_timeout())
        {
            return;
        }
        {
            let mut last = this.last_resolve.lock().expect("lock");
            if last.elapsed() < Duration::from_millis(200) {
                return;
            }
            *last = Instant::now();
        }
        if this.resolving.swap(true, Ordering::SeqCst) {
            return;
        }
        let this = this.clone();
        tokio::spawn(async move {
            match resolve_sentinel_master(&this.cfg).await {
                Ok(master) => {
                    let addr = endpoint_addr(&master.endpoint);
                    let same = this.current.read().expect("lock").0 == addr;
                    if !same {
                        match connect(&master).await {
                            Ok(conn) => {
                                tracing::warn!(new_master = %addr, "Sentinel failover: switched to the new master");
                                *this.current.write().expect("lock") = (addr, conn);
                            }
                            Err(e) => tracing::debug!("new master not reachable yet: {e}"),
                        }
                    }
                }
                Err(e) => tracing::debug!("Sentinel resolution failed: {e}"),
            }
            this.resolving.store(false, Ordering::SeqCst);
        });
    }
}

/// Asks the Sentinels, in order, for the address of the master; returns a standalone config for it.
pub async fn resolve_sentinel_master(cfg: &RedisConfig) -> Result<RedisConfig> {
    let Topology::Sentinel {
        sentinels,
        master,
        sentinel_password,
    } = &cfg.topology
    else {
        return Ok(cfg.clone());
    };
    let mut last_err = None;
    for (host, port) in sentinels {
        let endpoint = match &cfg.endpoint {
            Endpoint::Tls { insecure, .. } => Endpoint::Tls {
                host: host.clone(),
                port: *port,
                insecure: *insecure,
            },
            _ => Endpoint::Tcp {
                host: host.clone(),
                port: *port,
            },
        };
        let scfg = RedisConfig {
            endpoint,
            password: sentinel_password.clone(),
            connect_timeout: cfg.connect_timeout,
            response_timeout: cfg.response_timeout,
            tls_ca: cfg.tls_ca.clone(),
            ..RedisConfig::default()
        };
        let asked = async {
            let mut c = client(&scfg)?
                .get_multiplexed_async_connection_with_config(
                    &AsyncConnectionConfig::new()
                        .set_connection_timeout(Some(cfg.connect_timeout))
                        .set_response_timeout(Some(cfg.response_timeout)),
                )
                .await?;
            let addr: Option<(String, u16)> = redis::cmd("SENTINEL")
                .arg("GET-MASTER-ADDR-BY-NAME")
                .arg(master)
                .query_async(&mut c)
                .await?;
            Ok::<_, Error>(addr)
        };
        match asked.await {
            Ok(Some((mhost, mport))) => {
                let mut m = cfg.clone();
                m.topology = Topology::Standalone;
                m.endpoint = match &cfg.endpoint {
                    Endpoint::Tls { insecure, .. } => Endpoint::Tls {
                        host: mhost,
                        port: mport,
                        insecure: *insecure,
                    },
                    _ => Endpoint::Tcp {
                        host: mhost,
                        port: mport,
                    },
                };
                return Ok(m);
            }
            Ok(None) => {
                last_err = Some(Error::NotFound(format!(
                    "no Sentinel knows a master named {master:?}"
                )))
            }
            Err(e) => last_err = Some(e),
        }
    }
    Err(last_err
        .unwrap_or_else(|| Error::Config("a Sentinel URL needs at least one Sentinel".into())))
}

async fn connect_cluster(cfg: &RedisConfig, nodes: &[(String, u16)]) -> Result<ClusterConnection> {
    let tls = matches!(cfg.endpoint, Endpoint::Tls { .. });
    let insecure = matches!(cfg.endpoint, Endpoint::Tls { insecure: true, .. });
    let infos: Vec<redis::ConnectionInfo> = nodes
        .iter()
        .map(|(h, p)| {
            let mut n = cfg.clone();
            n.topology = Topology::Standalone;
            n.endpoint = if tls {
                Endpoint::Tls {
                    host: h.clone(),
                    port: *p,
                    insecure,
                }
            } else {
                Endpoint::Tcp {
                    host: h.clone(),
                    port: *p,
                }
            };
            n.connection_info()
        })
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
    if tls {
        crate::tls::install_crypto_provider();
        if let Some(certs) = crate::tls::certificates(cfg)? {
            builder = builder.certs(certs);
        }
    }
    let client = builder.build()?;
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

/// The `host:port` of every master that serves slots, from a `CLUSTER SLOTS` reply.
fn masters_from_slots(v: &Value) -> Vec<String> {
    let Value::Array(ranges) = v else {
        return Vec::new();
    };
    ranges
        .iter()
        .filter_map(|range| {
            let Value::Array(fields) = range else {
                return None;
            };
            let Value::Array(master) = fields.get(2)? else {
                return None;
            };
            let host = match master.first()? {
                Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                Value::SimpleString(s) => s.clone(),
                _ => return None,
            };
            let Value::Int(port) = master.get(1)? else {
                return None;
            };
            Some(if host.contains(':') {
                format!("[{host}]:{port}")
            } else {
                format!("{host}:{port}")
            })
        })
        .collect()
}

fn split_addr(addr: &str) -> Result<(String, u16)> {
    let (h, p) = addr
        .rsplit_once(':')
        .ok_or_else(|| Error::Server(format!("bad node address {addr:?}")))?;
    let port = p
        .parse()
        .map_err(|_| Error::Server(format!("bad node address {addr:?}")))?;
    Ok((
        h.trim_start_matches('[').trim_end_matches(']').to_string(),
        port,
    ))
}

fn endpoint_addr(e: &Endpoint) -> String {
    match e {
        Endpoint::Tcp { host, port } | Endpoint::Tls { host, port, .. } => format!("{host}:{port}"),
        Endpoint::Unix { path } => path.display().to_string(),
    }
}

/// The Cluster hash slot of a key (CRC16/XMODEM of the key or its `{hash tag}`, mod 16384).
pub fn key_slot(key: &[u8]) -> u16 {
    let tagged = key
        .iter()
        .position(|&b| b == b'{')
        .and_then(|open| {
            let close = key[open + 1..].iter().position(|&b| b == b'}')?;
            (close > 0).then(|| &key[open + 1..open + 1 + close])
        })
        .unwrap_or(key);
    let mut crc: u16 = 0;
    for &b in tagged {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc % 16384
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_slots_match_redis() {
        // Values from CLUSTER KEYSLOT on a real server.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
    }

    #[test]
    fn parses_masters_from_cluster_slots() {
        let node = |port: i64| {
            Value::Array(vec![
                Value::BulkString(b"127.0.0.1".to_vec()),
                Value::Int(port),
                Value::BulkString(b"id".to_vec()),
            ])
        };
        let reply = Value::Array(vec![
            Value::Array(vec![
                Value::Int(0),
                Value::Int(5460),
                node(7000),
                node(7003),
            ]),
            Value::Array(vec![
                Value::Int(5461),
                Value::Int(10922),
                node(7001),
                node(7004),
            ]),
        ]);
        assert_eq!(
            masters_from_slots(&reply),
            vec!["127.0.0.1:7000", "127.0.0.1:7001"]
        );
        assert!(masters_from_slots(&Value::Nil).is_empty());
    }
}
