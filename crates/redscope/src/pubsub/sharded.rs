//! The sharded half of a listener: `SSUBSCRIBE` on a Cluster, each shard channel on the master
//! that owns its slot, renewed on the new owner after a failover or slot move.
//!
//! It rides on a RESP3 redis-rs Cluster connection with a push sender: deliveries (`smessage`),
//! confirmations (`ssubscribe`) and losses (`sunsubscribe` sent by a node that no longer owns the
//! slot, or a dropped node connection) all arrive as pushes. A channel whose confirmation is
//! missing is subscribed again every backoff step; each attempt routes by the current slot map,
//! and a failed attempt makes redis-rs refresh that map, so the promoted replica is found.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr};
use redis::{PushInfo, PushKind, Value};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{ListenerOptions, ListenerStats, ListenerStatus, Received};
use crate::config::RedisConfig;
use crate::conn;
use crate::error::{Error, Result};
use crate::events::Body;

/// The running state of the sharded subscriptions.
pub(super) struct ShardedTask {
    cfg: RedisConfig,
    conn: ClusterConnection,
    /// When the connection was last rebuilt from the seeds.
    rebuilt_at: Instant,
    pushes: mpsc::UnboundedReceiver<PushInfo>,
    opts: ListenerOptions,
    response_timeout: std::time::Duration,
    channels: HashMap<Vec<u8>, mpsc::Sender<Received>>,
    /// Channels whose subscription the server confirmed and has not taken back since.
    confirmed: HashSet<Vec<u8>>,
    status: Option<mpsc::UnboundedSender<ListenerStatus>>,
    stats: Arc<ListenerStats>,
}

impl ShardedTask {
    /// Connects to the Cluster and subscribes to every shard channel, each on its slot's master;
    /// fails (within the connect timeouts) when any subscription is not confirmed.
    pub(super) async fn connect(
        cfg: RedisConfig,
        opts: ListenerOptions,
        channels: HashMap<Vec<u8>, mpsc::Sender<Received>>,
        status: Option<mpsc::UnboundedSender<ListenerStatus>>,
        stats: Arc<ListenerStats>,
    ) -> Result<ShardedTask> {
        let (tx, pushes) = mpsc::unbounded_channel();
        let conn = conn::connect_cluster_push(&cfg, tx).await?;
        let mut task = ShardedTask {
            cfg: cfg.clone(),
            conn,
            rebuilt_at: Instant::now(),
            pushes,
            opts,
            response_timeout: cfg.response_timeout,
            channels,
            confirmed: HashSet::new(),
            status,
            stats,
        };
        let all: Vec<Vec<u8>> = task.channels.keys().cloned().collect();
        for channel in &all {
            task.ssubscribe(channel).await?;
            task.confirmed.insert(channel.clone());
        }
        Ok(task)
    }

    /// One `SSUBSCRIBE` (a channel at a time: each may live on another node), bounded in time.
    async fn ssubscribe(&mut self, channel: &[u8]) -> Result<()> {
        let limit = self.response_timeout;
        match tokio::time::timeout(limit, self.conn.ssubscribe(channel)).await {
            Ok(r) => r.map_err(Error::from),
            Err(_) => Err(Error::Timeout(limit)),
        }
    }

    /// A fresh Cluster connection (new slot map from the seeds), at most once a second: redis-rs
    /// keeps retrying a master that hangs without closing its socket, so a subscription routed
    /// there would never reach the replica promoted in its place.
    async fn rebuild(&mut self) {
        if self.rebuilt_at.elapsed() < Duration::from_secs(1) {
            return;
        }
        self.rebuilt_at = Instant::now();
        let (tx, pushes) = mpsc::unbounded_channel();
        match conn::connect_cluster_push(&self.cfg, tx).await {
            Ok(fresh) => {
                tracing::warn!("sharded listener: Cluster connection rebuilt from the seeds");
                self.conn = fresh;
                self.pushes = pushes;
                self.confirmed.clear();
            }
            Err(e) => tracing::debug!("sharded listener: rebuild failed: {e}"),
        }
    }

    fn report(&self, s: ListenerStatus) {
        if let Some(tx) = &self.status {
            let _ = tx.send(s);
        }
    }

    /// Delivers messages and renews lost subscriptions until `stop` is cancelled.
    pub(super) async fn run(mut self, stop: CancellationToken) {
        let mut lost_at: Option<Instant> = None;
        let mut attempts = 0u32;
        let mut delay = self.opts.backoff_min;
        loop {
            let missing: Vec<Vec<u8>> = self
                .channels
                .keys()
                .filter(|c| !self.confirmed.contains(*c))
                .cloned()
                .collect();
            if missing.is_empty() {
                if let Some(at) = lost_at.take() {
                    let outage = at.elapsed();
                    self.stats.reconnects.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(?outage, attempts, "sharded subscriptions renewed");
                    self.report(ListenerStatus::Resubscribed { outage, attempts });
                    attempts = 0;
                    delay = self.opts.backoff_min;
                }
            } else if lost_at.is_none() {
                lost_at = Some(Instant::now());
            }
            let retry_in = if missing.is_empty() {
                self.opts.ping_interval
            } else {
                delay
            };
            tokio::select! {
                _ = stop.cancelled() => return,
                push = self.pushes.recv() => match push {
                    Some(push) => self.handle(push),
                    None => {
                        tracing::warn!("sharded listener: the Cluster connection ended");
                        return;
                    }
                },
                _ = tokio::time::sleep(retry_in), if missing.is_empty() => self.check_owners().await,
                _ = tokio::time::sleep(retry_in), if !missing.is_empty() => {
                    attempts += 1;
                    let mut stuck = false;
                    for channel in &missing {
                        match self.ssubscribe(channel).await {
                            // The confirmation push marks it confirmed; a reply alone says the
                            // owner accepted it, which is as good.
                            Ok(()) => {
                                self.confirmed.insert(channel.clone());
                            }
                            Err(e) => {
                                stuck |= e.is_connection();
                                tracing::debug!(attempts,
                                    channel = %String::from_utf8_lossy(channel),
                                    "SSUBSCRIBE not accepted yet: {e}");
                            }
                        }
                    }
                    if stuck {
                        self.rebuild().await;
                    }
                    delay = (delay * 2).min(self.opts.backoff_max);
                }
            }
        }
    }

    /// Liveness, every `ping_interval`: asks each channel's slot owner (`PUBSUB SHARDNUMSUB`)
    /// whether the channel has a subscriber there. A node that does not answer in time (frozen,
    /// gone without a closed socket) or has none marks the channel for renewal.
    async fn check_owners(&mut self) {
        let channels: Vec<Vec<u8>> = self.confirmed.iter().cloned().collect();
        for channel in channels {
            let slot = conn::key_slot(&channel);
            let mut cmd = redis::cmd("PUBSUB");
            cmd.arg("SHARDNUMSUB").arg(&channel);
            let route = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(Route::new(
                slot,
                SlotAddr::Master,
            )));
            let asked =
                tokio::time::timeout(self.response_timeout, self.conn.route_command(cmd, route))
                    .await;
            let subscribed = match asked {
                // RESP2: [channel, count]; RESP3 (this connection): {channel: count}.
                Ok(Ok(Value::Array(reply))) => {
                    matches!(reply.get(1), Some(Value::Int(n)) if *n > 0)
                }
                Ok(Ok(Value::Map(reply))) => {
                    matches!(reply.first(), Some((_, Value::Int(n))) if *n > 0)
                }
                Ok(Ok(_)) => true, // an unexpected shape is not evidence of a loss
                Ok(Err(e)) => {
                    tracing::debug!("SHARDNUMSUB failed: {e}");
                    false
                }
                Err(_) => false,
            };
            if !subscribed && self.confirmed.remove(&channel) {
                tracing::warn!(channel = %String::from_utf8_lossy(&channel),
                    "shard channel's owner does not answer or lost the subscription; renewing");
                self.report(ListenerStatus::Disconnected {
                    error: "the slot's node did not confirm the shard subscription".into(),
                });
            }
        }
    }

    fn handle(&mut self, push: PushInfo) {
        match push.kind {
            PushKind::SMessage => {
                if let Some(msg) = redis::Msg::from_push_info(push) {
                    self.deliver(&msg);
                }
            }
            PushKind::SSubscribe => {
                if let Some(channel) = push.data.first().and_then(bytes) {
                    self.confirmed.insert(channel);
                }
            }
            PushKind::SUnsubscribe => {
                // Sent by a node that lost the channel's slot (moved, or demoted to replica).
                if let Some(channel) = push.data.first().and_then(bytes) {
                    if self.confirmed.remove(&channel) {
                        tracing::warn!(channel = %String::from_utf8_lossy(&channel),
                            "shard channel unsubscribed by the server; renewing on the slot's owner");
                        self.report(ListenerStatus::Disconnected {
                            error: "the slot's node dropped the shard subscription".into(),
                        });
                    }
                }
            }
            // Which node went away is not said here: renew every channel (idempotent on the
            // nodes that are fine).
            PushKind::Disconnection if !self.confirmed.is_empty() => {
                tracing::warn!("sharded listener lost a node connection; renewing subscriptions");
                self.confirmed.clear();
                self.report(ListenerStatus::Disconnected {
                    error: "a Cluster node connection dropped".into(),
                });
            }
            _ => {}
        }
    }

    fn deliver(&self, msg: &redis::Msg) {
        self.stats.received.fetch_add(1, Ordering::Relaxed);
        let channel: Vec<u8> = msg.get_channel().unwrap_or_default();
        let payload = msg.get_payload_bytes().to_vec();
        let body = Body::decode(&payload);
        if let Body::Undecodable { reason } = &body {
            self.stats.undecodable.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(channel = %String::from_utf8_lossy(&channel), %reason,
                "sharded payload did not decode; delivered raw");
        }
        let Some(tx) = self.channels.get(&channel) else {
            return;
        };
        let received = Received {
            channel: String::from_utf8_lossy(&channel).into_owned(),
            pattern: None,
            payload,
            body,
        };
        if tx.try_send(received).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::BulkString(b) => Some(b.clone()),
        Value::SimpleString(s) => Some(s.as_bytes().to_vec()),
        _ => None,
    }
}
