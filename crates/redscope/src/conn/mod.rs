//! Opening connections: [`Conn`], one cheap-to-clone handle for a single server, a Cluster or a
//! Sentinel-managed master that reconnects (and follows failovers) by itself; plus dedicated
//! connections for blocking commands and pub/sub.
//!
//! This file holds the handle and its dispatch to the topology's state; `single` opens
//! connections to one server, `cluster` and `sentinel` keep the state of those topologies, and
//! `slots` reads Cluster slot maps and splits pipelines by slot.

mod cluster;
mod sentinel;
mod single;
mod slots;

use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::{Cmd, Pipeline, RedisFuture, RedisResult, Value};
use tokio_util::sync::CancellationToken;

use crate::config::{RedisConfig, Topology};
use crate::error::{Error, Result};

pub use cluster::cluster_seed;
pub(crate) use cluster::connect_cluster_push;
pub use sentinel::resolve_sentinel_master;
pub use single::{client, connect, connect_blocking};
pub use slots::{key_slot, slot_owner, SlotRange};

use cluster::ClusterState;
use sentinel::SentinelState;

/// A standalone configuration for one master as [`Conn::masters`] names it (`primary` is the
/// configuration's own server), for connections a shared handle cannot serve (MONITOR).
pub fn node_config(cfg: &RedisConfig, addr: &str) -> Result<RedisConfig> {
    if addr == "primary" {
        let mut c = cfg.clone();
        c.topology = Topology::Standalone;
        return Ok(c);
    }
    let (host, port) = slots::split_addr(addr)?;
    Ok(single::standalone_at(cfg, host, port))
}

/// One master of the deployment and a connection straight to it (for per-node work: SCAN, INFO, DBSIZE).
#[derive(Clone)]
pub struct NodeConn {
    /// `host:port` of the node.
    pub addr: String,
    /// A connection to this node only.
    pub conn: NodeLink,
}

/// A connection to one node whose every call ends by its own deadline (the response timeout),
/// even when it first waits for a reconnect another call started: on a hung server, calls fail
/// side by side instead of queueing behind one another's recovery.
#[derive(Clone)]
pub struct NodeLink {
    conn: ConnectionManager,
    deadline: Duration,
}

impl NodeLink {
    fn new(conn: ConnectionManager, deadline: Duration) -> Self {
        NodeLink { conn, deadline }
    }
}

impl ConnectionLike for NodeLink {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        let deadline = self.deadline;
        Box::pin(within(deadline, self.conn.req_packed_command(cmd)))
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        let deadline = self.deadline;
        Box::pin(within(
            deadline,
            self.conn.req_packed_commands(cmd, offset, count),
        ))
    }

    fn get_db(&self) -> i64 {
        self.conn.get_db()
    }
}

/// `fut`, or a timeout error once `deadline` has passed since the call began.
async fn within<T>(deadline: Duration, fut: RedisFuture<'_, T>) -> RedisResult<T> {
    match tokio::time::timeout(deadline, fut).await {
        Ok(r) => r,
        Err(_) => Err(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!("no answer within {deadline:?}"),
        )
        .into()),
    }
}

/// A connection to any topology. Implements [`ConnectionLike`], so every redis-rs command and
/// pipeline works on it; in a Cluster, commands are routed by slot (multi-key commands such as
/// `MGET`, `DEL` and `UNLINK` are split by slot by redis-rs).
#[derive(Clone)]
pub struct Conn {
    inner: Inner,
    db: i64,
    /// Every call's own deadline (the response timeout); see [`NodeLink`].
    deadline: Duration,
}

#[derive(Clone)]
enum Inner {
    Single(ConnectionManager),
    Cluster(Box<ClusterState>),
    Sentinel(Arc<SentinelState>),
    /// Not connected yet: a background task keeps trying; calls fail as unavailable until then.
    Lazy(Arc<Lazy>),
    /// Redis is turned off (`REDIS_ENABLED=false`): every call fails as unavailable.
    Disabled,
}

/// The state of a connection opened in the background ([`Conn::connect_lazy`]).
struct Lazy {
    kind: TopologyKind,
    ready: OnceLock<Conn>,
    /// Stops the connecting task when the last handle is dropped.
    stop: CancellationToken,
}

impl Drop for Lazy {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// First and longest pause between background connection attempts.
const LAZY_BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(2));

fn unavailable(why: &'static str) -> redis::RedisError {
    redis::RedisError::from(std::io::Error::new(std::io::ErrorKind::NotConnected, why))
}

const NOT_YET: &str = "Redis has not been reached yet (connecting in the background)";
const DISABLED: &str = "Redis is disabled (REDIS_ENABLED=false)";

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
                Inner::Cluster(Box::new(ClusterState::connect(cfg, nodes).await?))
            }
            Topology::Sentinel { .. } => {
                Inner::Sentinel(Arc::new(SentinelState::connect(cfg).await?))
            }
        };
        Ok(Conn {
            inner,
            db: cfg.db,
            deadline: cfg.response_timeout,
        })
    }

    /// A handle that connects in the background, so a service can start while Redis is down:
    /// until the first connection succeeds every call fails as a connection error (a cache
    /// reads misses and skips writes), then calls go through. Attempts back off from 100 ms to
    /// 2 s and stop when the last clone is dropped. Needs a Tokio runtime.
    pub fn connect_lazy(cfg: &RedisConfig) -> Conn {
        let kind = match cfg.topology {
            Topology::Standalone => TopologyKind::Standalone,
            Topology::Cluster { .. } => TopologyKind::Cluster,
            Topology::Sentinel { .. } => TopologyKind::Sentinel,
        };
        let lazy = Arc::new(Lazy {
            kind,
            ready: OnceLock::new(),
            stop: CancellationToken::new(),
        });
        let weak: Weak<Lazy> = Arc::downgrade(&lazy);
        let stop = lazy.stop.clone();
        let db = cfg.db;
        let deadline = cfg.response_timeout;
        let cfg = cfg.clone();
        tokio::spawn(async move {
            let mut pause = LAZY_BACKOFF.0;
            loop {
                let attempt = tokio::select! {
                    r = Conn::connect(&cfg) => r,
                    () = stop.cancelled() => return,
                };
                match attempt {
                    Ok(conn) => {
                        if let Some(lazy) = weak.upgrade() {
                            let _ = lazy.ready.set(conn);
                            tracing::info!(server = %cfg.display_url(), "Redis reached");
                        }
                        return;
                    }
                    Err(e) => {
                        tracing::debug!(server = %cfg.display_url(), "Redis not reached yet: {e}")
                    }
                }
                tokio::select! {
                    () = tokio::time::sleep(pause) => {}
                    () = stop.cancelled() => return,
                }
                pause = (pause * 2).min(LAZY_BACKOFF.1);
            }
        });
        Conn {
            inner: Inner::Lazy(lazy),
            db,
            deadline,
        }
    }

    /// A handle for a service running with Redis turned off: every call fails as unavailable.
    pub fn disabled() -> Conn {
        Conn {
            inner: Inner::Disabled,
            db: 0,
            deadline: RedisConfig::default().response_timeout,
        }
    }

    /// True unless this handle is [`Conn::disabled`].
    pub fn is_enabled(&self) -> bool {
        !matches!(self.inner, Inner::Disabled)
    }

    /// False while a [`Conn::connect_lazy`] handle has not reached Redis yet (and when disabled).
    pub fn is_connected(&self) -> bool {
        match &self.inner {
            Inner::Lazy(l) => l.ready.get().is_some(),
            Inner::Disabled => false,
            _ => true,
        }
    }

    /// The connected handle behind a lazy one; `Err` while not connected or disabled.
    fn resolved(&self) -> Result<&Conn> {
        match &self.inner {
            Inner::Lazy(l) => l
                .ready
                .get()
                .ok_or_else(|| Error::Connection(NOT_YET.into())),
            Inner::Disabled => Err(Error::Connection(DISABLED.into())),
            _ => Ok(self),
        }
    }

    /// The kind of deployment.
    pub fn topology(&self) -> TopologyKind {
        match &self.inner {
            Inner::Single(_) | Inner::Disabled => TopologyKind::Standalone,
            Inner::Cluster(_) => TopologyKind::Cluster,
            Inner::Sentinel(_) => TopologyKind::Sentinel,
            Inner::Lazy(l) => l.kind,
        }
    }

    /// The master's `host:port` for a Sentinel-managed connection (changes after a failover).
    pub fn current_master(&self) -> Option<String> {
        match &self.inner {
            Inner::Sentinel(s) => Some(s.current().0),
            Inner::Lazy(l) => l.ready.get().and_then(Conn::current_master),
            _ => None,
        }
    }

    /// Every master with a direct connection: one entry for a single server or Sentinel, one per
    /// slot-serving master for a Cluster (from `CLUSTER SLOTS` each call, so resharding is seen).
    pub async fn masters(&self) -> Result<Vec<NodeConn>> {
        match &self.inner {
            Inner::Single(c) => Ok(vec![NodeConn {
                addr: "primary".into(),
                conn: NodeLink::new(c.clone(), self.deadline),
            }]),
            Inner::Sentinel(s) => {
                let (addr, conn) = s.current();
                Ok(vec![NodeConn {
                    addr,
                    conn: NodeLink::new(conn, self.deadline),
                }])
            }
            Inner::Cluster(state) => Ok(state
                .masters()
                .await?
                .into_iter()
                .map(|(addr, conn)| NodeConn {
                    addr,
                    conn: NodeLink::new(conn, self.deadline),
                })
                .collect()),
            Inner::Lazy(_) | Inner::Disabled => Box::pin(self.resolved()?.masters()).await,
        }
    }

    /// The Cluster's slot ranges and their masters (fresh `CLUSTER SLOTS`); empty for a single
    /// server or Sentinel, where one node holds every key.
    pub async fn slot_map(&self) -> Result<Vec<SlotRange>> {
        match &self.inner {
            Inner::Cluster(state) => state.slot_map().await,
            Inner::Lazy(_) | Inner::Disabled => Box::pin(self.resolved()?.slot_map()).await,
            _ => Ok(Vec::new()),
        }
    }
}

/// Every call ends by the connection's deadline, whatever the topology's state does meanwhile
/// (a reconnect, a Sentinel lookup, a Cluster rebuild).
impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        let deadline = self.deadline;
        Box::pin(within(deadline, self.dispatch_command(cmd)))
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        let deadline = self.deadline;
        Box::pin(within(deadline, self.dispatch_commands(cmd, offset, count)))
    }

    fn get_db(&self) -> i64 {
        self.db
    }
}

impl Conn {
    /// Runs `cmd` under one deadline, the shorter of `limit` and the connection's own (the
    /// response timeout): a caller with its own per-call timeout (the cache) arms one timer per
    /// call instead of two. Past `limit` the error is [`Error::Timeout`]; past the connection's
    /// deadline it is the same "no answer within" error every other call gets.
    pub(crate) async fn query_within<T: redis::FromRedisValue>(
        &mut self,
        cmd: &Cmd,
        limit: Duration,
    ) -> Result<T> {
        let own = self.deadline;
        let reply = if limit < own {
            match tokio::time::timeout(limit, self.dispatch_command(cmd)).await {
                Ok(r) => r,
                Err(_) => return Err(Error::Timeout(limit)),
            }
        } else {
            within(own, self.dispatch_command(cmd)).await
        };
        let value = reply?.extract_error()?;
        Ok(redis::from_redis_value(value).map_err(redis::RedisError::from)?)
    }

    fn dispatch_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match &mut self.inner {
            Inner::Single(c) => c.req_packed_command(cmd),
            Inner::Lazy(l) => match l.ready.get() {
                Some(c) => {
                    let mut c = c.clone();
                    Box::pin(async move { c.req_packed_command(cmd).await })
                }
                None => Box::pin(async { Err(unavailable(NOT_YET)) }),
            },
            Inner::Disabled => Box::pin(async { Err(unavailable(DISABLED)) }),
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
                    let mut c = s.current().1;
                    let r = c.req_packed_command(cmd).await;
                    if let Err(e) = &r {
                        SentinelState::after_error(&s, e);
                    }
                    r
                })
            }
        }
    }

    fn dispatch_commands<'a>(
        &'a mut self,
        cmd: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match &mut self.inner {
            Inner::Single(c) => c.req_packed_commands(cmd, offset, count),
            Inner::Lazy(l) => match l.ready.get() {
                Some(c) => {
                    let mut c = c.clone();
                    Box::pin(async move { c.req_packed_commands(cmd, offset, count).await })
                }
                None => Box::pin(async { Err(unavailable(NOT_YET)) }),
            },
            Inner::Disabled => Box::pin(async { Err(unavailable(DISABLED)) }),
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
                            slots::split_pipeline(conn, cmd).await
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
                    let mut c = s.current().1;
                    let r = c.req_packed_commands(cmd, offset, count).await;
                    if let Err(e) = &r {
                        SentinelState::after_error(&s, e);
                    }
                    r
                })
            }
        }
    }
}
