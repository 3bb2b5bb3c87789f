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

/// Least time between two rebuilds of a Cluster connection.
const REBUILD_EVERY: Duration = Duration::from_secs(1);

impl ClusterState {
    /// The current redis-rs connection (cheap clone).
    fn current(&self) -> ClusterConnection {
        self.conn.read().expect("lock").clone()
    }

    /// After a failed call. redis-rs refreshes its slot map on MOVED and on dropped or refused
    /// connections, but retries a node that stops answering (a frozen master: no socket
    /// closes) forever, so it never learns that a replica took over. After a timeout or I/O
    /// error a fresh connection is built from the seeds in the background (at most once a
    /// second) and replaces this one.
    fn after_error(&self, e: &redis::RedisError) {
        if !(e.is_timeout() || e.is_io_error() || e.is_connection_dropped()) {
            return;
        }
        {
            let mut last = self.rebuild.last.lock().expect("lock");
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
                        *this.conn.write().expect("lock") = fresh;
                    }
                    Err(e) => tracing::debug!("Cluster connection rebuild failed: {e}"),
                }
            }
            this.rebuild.running.store(false, Ordering::SeqCst);
        });
    }
}

struct SentinelState {
    cfg: RedisConfig,
    current: RwLock<(String, ConnectionManager)>,
    resolving: AtomicBool,
    last_resolve: Mutex<Instant>,
}

/// Which kind of deployment a [`Conn`] talks to.
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema, ts_rs::TS))]
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
                    conn: Arc::new(RwLock::new(conn)),
                    cfg: cfg.clone(),
                    nodes: Default::default(),
                    rebuild: Default::default(),
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
                let mut c = state.current();
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

/// A range of hash slots and the master serving it, from `CLUSTER SLOTS`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SlotRange {
    /// First slot of the range.
    pub start: u16,
    /// Last slot of the range (inclusive).
    pub end: u16,
    /// `host:port` of the master serving it.
    pub master: String,
}

impl Conn {
    /// The Cluster's slot ranges and their masters (fresh `CLUSTER SLOTS`); empty for a single
    /// server or Sentinel, where one node holds every key.
    pub async fn slot_map(&self) -> Result<Vec<SlotRange>> {
        let Inner::Cluster(state) = &self.inner else {
            return Ok(Vec::new());
        };
        let mut c = state.current();
        let slots: Value = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query_async(&mut c)
            .await?;
        Ok(slot_ranges(&slots))
    }
}

/// The master of `slot` in a slot map from [`Conn::slot_map`].
pub fn slot_owner(map: &[SlotRange], slot: u16) -> Option<&str> {
    map.iter()
        .find(|r| r.start <= slot && slot <= r.end)
        .map(|r| r.master.as_str())
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.inner {
            Inner::Single(c) => c.req_packed_command(cmd),
            Inner::Cluster(state) => {
                let state = state.clone();
                Box::pin(async move {
                    let mut c = state.current();
                    let r = c.req_packed_command(cmd).await;
                    if let Err(e) = &r {
                        state.after_error(e);
                    }
                    r
                })
            }
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
                // A plain pipeline whose keys span slots is run command by command (concurrently,
                // each routed to its slot's master), with the replies in pipeline order.
                let state = state.clone();
                Box::pin(async move {
                    let conn = state.current();
                    let mut c = conn.clone();
                    let r = match c.req_packed_commands(cmd, offset, count).await {
                        Err(e)
                            if !cmd.is_transaction()
                                && e.kind()
                                    == redis::ErrorKind::Server(
                                        redis::ServerErrorKind::CrossSlot,
                                    ) =>
                        {
                            split_pipeline(conn, cmd).await
                        }
                        other => other,
                    };
                    if let Err(e) = &r {
                        state.after_error(e);
                    }
                    r
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
        for r in futures_util::future::join_all(running).await {
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
            this.follow_failover().await;
            this.resolving.store(false, Ordering::SeqCst);
        });
    }

    /// Asks the Sentinels until they name a reachable new master (then switches to it) or the
    /// current one answers again, polling every 200 ms for at most [`FOLLOW_FOR`]. Polling on its
    /// own, not only on the next failed call, matters: with a circuit breaker open nobody calls,
    /// and the half-open probe must find the promoted replica already in place.
    async fn follow_failover(&self) {
        let deadline = Instant::now() + FOLLOW_FOR;
        loop {
            match resolve_sentinel_master(&self.cfg).await {
                Ok(master) => {
                    let addr = endpoint_addr(&master.endpoint);
                    let current = self.current.read().expect("lock").clone();
                    if current.0 != addr {
                        match connect(&master).await {
                            Ok(conn) => {
                                tracing::warn!(new_master = %addr, "Sentinel failover: switched to the new master");
                                *self.current.write().expect("lock") = (addr, conn);
                                return;
                            }
                            Err(e) => tracing::debug!("new master not reachable yet: {e}"),
                        }
                    } else {
                        // Same master named: done if it answers as a master, else wait for
                        // the Sentinels to promote a replica.
                        let mut c = current.1;
                        let role: redis::RedisResult<Value> = tokio::time::timeout(
                            self.cfg.response_timeout,
                            redis::cmd("ROLE").query_async(&mut c),
                        )
                        .await
                        .unwrap_or_else(|_| {
                            Err(redis::RedisError::from(std::io::Error::from(
                                std::io::ErrorKind::TimedOut,
                            )))
                        });
                        if let Ok(Value::Array(fields)) = role {
                            if matches!(fields.first(), Some(Value::BulkString(b)) if b == b"master")
                            {
                                return;
                            }
                        }
                    }
                }
                Err(e) => tracing::debug!("Sentinel resolution failed: {e}"),
            }
            if Instant::now() >= deadline {
                tracing::warn!("no reachable master named by the Sentinels within {FOLLOW_FOR:?}");
                return;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// How long a Sentinel-managed connection keeps asking for a new master after losing its own.
const FOLLOW_FOR: Duration = Duration::from_secs(60);

/// A standalone config for seed node `i` (modulo their number) of a Cluster config; `None` for
/// other topologies. For connections that may use any node (classic pub/sub).
pub fn cluster_seed(cfg: &RedisConfig, i: usize) -> Option<RedisConfig> {
    let Topology::Cluster { nodes } = &cfg.topology else {
        return None;
    };
    let (host, port) = nodes.get(i % nodes.len().max(1))?.clone();
    let mut c = cfg.clone();
    c.topology = Topology::Standalone;
    c.endpoint = match &cfg.endpoint {
        Endpoint::Tls { insecure, .. } => Endpoint::Tls {
            host,
            port,
            insecure: *insecure,
        },
        _ => Endpoint::Tcp { host, port },
    };
    Some(c)
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
    let client = cluster_builder(cfg, nodes)?.build()?;
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
    let client = cluster_builder(cfg, nodes)?
        .use_protocol(redis::ProtocolVersion::RESP3)
        .push_sender(push)
        .build()?;
    open_cluster(cfg, client).await
}

fn cluster_builder(
    cfg: &RedisConfig,
    nodes: &[(String, u16)],
) -> Result<redis::cluster::ClusterClientBuilder> {
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

/// Slot ranges with their master's `host:port`, from a `CLUSTER SLOTS` reply.
fn slot_ranges(v: &Value) -> Vec<SlotRange> {
    let Value::Array(ranges) = v else {
        return Vec::new();
    };
    ranges
        .iter()
        .filter_map(|range| {
            let Value::Array(fields) = range else {
                return None;
            };
            let (Some(Value::Int(start)), Some(Value::Int(end))) = (fields.first(), fields.get(1))
            else {
                return None;
            };
            Some(SlotRange {
                start: u16::try_from(*start).ok()?,
                end: u16::try_from(*end).ok()?,
                master: range_master(fields)?,
            })
        })
        .collect()
}

/// The `host:port` of every master that serves slots, from a `CLUSTER SLOTS` reply.
fn masters_from_slots(v: &Value) -> Vec<String> {
    let Value::Array(ranges) = v else {
        return Vec::new();
    };
    ranges
        .iter()
        .filter_map(|range| match range {
            Value::Array(fields) => range_master(fields),
            _ => None,
        })
        .collect()
}

/// The master (third field) of one `CLUSTER SLOTS` range.
fn range_master(fields: &[Value]) -> Option<String> {
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
        let ranges = slot_ranges(&reply);
        assert_eq!(ranges.len(), 2);
        assert_eq!((ranges[1].start, ranges[1].end), (5461, 10922));
        assert_eq!(slot_owner(&ranges, 0), Some("127.0.0.1:7000"));
        assert_eq!(slot_owner(&ranges, 5460), Some("127.0.0.1:7000"));
        assert_eq!(slot_owner(&ranges, 5461), Some("127.0.0.1:7001"));
        assert_eq!(
            slot_owner(&ranges, 16000),
            None,
            "an uncovered slot has no owner"
        );
    }
}
