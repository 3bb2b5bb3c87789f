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

use std::sync::Arc;

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::{Cmd, Pipeline, RedisFuture, Value};

use crate::config::{RedisConfig, Topology};
use crate::error::Result;

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
            Inner::Sentinel(s) => Some(s.current().0),
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
                let (addr, conn) = s.current();
                Ok(vec![NodeConn { addr, conn }])
            }
            Inner::Cluster(state) => state.masters().await,
        }
    }

    /// The Cluster's slot ranges and their masters (fresh `CLUSTER SLOTS`); empty for a single
    /// server or Sentinel, where one node holds every key.
    pub async fn slot_map(&self) -> Result<Vec<SlotRange>> {
        match &self.inner {
            Inner::Cluster(state) => state.slot_map().await,
            _ => Ok(Vec::new()),
        }
    }
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

    fn get_db(&self) -> i64 {
        self.db
    }
}
