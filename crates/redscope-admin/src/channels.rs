//! Channel monitor: SUBSCRIBE/PSUBSCRIBE on a dedicated connection, SSUBSCRIBE (Redis 7 shard
//! channels) on it too, or on a Cluster on one connection per master owning a subscribed
//! channel's slot; exact per-channel counts and rates, a bounded ring of recent messages, and
//! `channel_batch` events at most 10 times a second (`dropped` counts messages not shown, never
//! messages not counted); plus `publish` (PUBLISH or SPUBLISH).
//!
//! The hot path parses RESP straight from the socket buffer with [`crate::resp`] (bounded, no
//! allocation per frame): per message it does one hash lookup and copies the payload into a
//! reused ring slot, taking a (std, never awaited) lock once per socket read, not per message.
//! TLS endpoints use redis-rs's pub/sub connection instead (classic channels only). The reader
//! reconnects with backoff and re-subscribes after a server restart; on a Cluster, the shard
//! connections re-read the slot map (`CLUSTER SLOTS`) whenever one of them ends (dropped, MOVED,
//! or the node gave the slot up), so the subscriptions follow a failover or a slot move.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

use super::bytes::{escape, Bytes};
use super::events::Publisher;
use super::resp::{encode_command, Frame, Limits, RespBuf};
use super::session::Session;
use super::sync::lock;
use super::task::Task;
use redscope::config::{Endpoint, RedisConfig, Topology};
use redscope::conn::{key_slot, node_config, slot_owner, Conn};
use redscope::error::{Error, Result};

/// How many recent messages the ring keeps.
pub const RECENT_CAPACITY: usize = 1000;
/// At most this many messages per `channel_batch` event.
pub const BATCH_MAX: usize = 100;
/// Batches go out at most this often (10 a second).
pub const BATCH_EVERY: Duration = Duration::from_millis(100);
/// Payload bytes kept per recent message (the full length is reported).
pub const PAYLOAD_KEEP: usize = 16 * 1024;
/// Most channels plus patterns one monitor takes.
pub const MAX_SUBSCRIPTIONS: usize = 1000;
/// Distinct channels counted one by one; beyond this (a `*` pattern on a busy server) further
/// channels share one [`OTHER_CHANNELS`] counter, so memory stays bounded.
pub const MAX_CHANNEL_STATS: usize = 10_000;
/// Name of the shared counter of channels beyond [`MAX_CHANNEL_STATS`].
pub const OTHER_CHANNELS: &str = "(other channels)";
/// Busiest channels listed in each `channel_batch` event (`monitor_stats` lists all).
pub const BATCH_CHANNELS: usize = 200;

/// What `monitor` subscribes to (replaces the previous set).
#[derive(
    Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS,
)]
pub struct MonitorRequest {
    /// Exact channel names (SUBSCRIBE).
    #[serde(default)]
    pub channels: Vec<String>,
    /// Glob patterns (PSUBSCRIBE).
    #[serde(default)]
    pub patterns: Vec<String>,
    /// Shard channels (SSUBSCRIBE, Redis 7+): on a Cluster each is subscribed on the master
    /// owning its slot. They carry only SPUBLISH messages.
    #[serde(default)]
    pub shard_channels: Vec<String>,
}

/// One received message as the UI shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Message {
    /// The channel it was published on.
    pub channel: String,
    /// The pattern that matched it, for PSUBSCRIBE deliveries.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub pattern: Option<String>,
    /// True when it came from a shard channel (SSUBSCRIBE, sent with SPUBLISH).
    pub sharded: bool,
    /// The payload (at most [`PAYLOAD_KEEP`] bytes of it).
    pub payload: Bytes,
    /// The payload's full length in bytes.
    pub length: usize,
    /// The payload parsed as JSON, when it is JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub json: Option<serde_json::Value>,
    /// When it was received (ms since the Unix epoch).
    pub at_ms: u64,
}

/// Count and rate of one channel (per matching pattern).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ChannelStat {
    /// The channel.
    pub name: String,
    /// The pattern it matched, for PSUBSCRIBE deliveries.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub pattern: Option<String>,
    /// True for a shard channel (SSUBSCRIBE).
    pub sharded: bool,
    /// Messages received since the monitor started (exact).
    pub count: u64,
    /// Messages per second over the last second or so.
    pub rate: f64,
}

/// What `monitor`, `monitor_stats` and each `channel_batch` report.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct MonitorStats {
    /// Per-channel counts, busiest first.
    pub channels: Vec<ChannelStat>,
    /// Messages received in all.
    pub total: u64,
    /// Messages received but never sent to the view in a batch.
    pub dropped: u64,
    /// The most recent messages, oldest first (empty in `channel_batch` events).
    pub recent: Vec<Message>,
    /// Whether every subscriber connection is up and its subscriptions confirmed.
    pub connected: bool,
    /// The monitored channels.
    pub subscribed_channels: Vec<String>,
    /// The monitored patterns.
    pub subscribed_patterns: Vec<String>,
    /// The monitored shard channels.
    pub subscribed_shard_channels: Vec<String>,
}

/// `{channel, message}` for `publish`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct PublishRequest {
    /// Channel name.
    pub channel: String,
    /// Message text.
    pub message: String,
    /// Publish on the shard channel (SPUBLISH, Redis 7+) instead of the classic one.
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub sharded: bool,
}

/// `{receivers}`: how many subscribers got the message.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct PublishReply {
    /// Subscribers that received it.
    pub receivers: u64,
}

/// `channel_batch`: recent messages, at most 10 batches a second.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[schemars(rename = "ChannelBatchEvent")]
#[ts(rename = "ChannelBatchEvent")]
pub struct Batch {
    /// Messages shown in this batch.
    pub messages: Vec<Message>,
    /// Messages received since the previous batch and not in this one (still counted).
    pub dropped: u64,
    /// Per-channel counts and rates (its `recent` is empty: the messages are above).
    pub stats: MonitorStats,
}

/// The channel monitor of one session (at most one runs) and publishing.
pub struct Channels {
    session: Arc<Session>,
    monitor: Mutex<Option<Monitor>>,
    events: Publisher<Batch>,
}

struct Monitor {
    request: MonitorRequest,
    shared: Arc<Mutex<Shared>>,
    reader: Task,
    flusher: Task,
}

struct Stat {
    name: Vec<u8>,
    pattern: Option<usize>,
    sharded: bool,
    count: u64,
    count_at_rate: u64,
    rate: f64,
}

struct Slot {
    stat: usize,
    at_ms: u64,
    length: usize,
    payload: Vec<u8>,
}

/// How a message reached the monitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via<'a> {
    /// A channel subscription (`message`).
    Channel,
    /// A shard channel subscription (`smessage`).
    Shard,
    /// A pattern subscription (`pmessage`), with the pattern.
    Pattern(&'a [u8]),
}

/// The subscriber connections of a monitor: the classic one (channels and patterns, and shard
/// channels outside a Cluster) and, on a Cluster, the shard connections as one group.
#[derive(Debug, Clone, Copy)]
enum Link {
    Classic = 0,
    Shards = 1,
}

/// Counts and the ring, shared by the reader (one lock per socket read) and readers of stats.
struct Shared {
    patterns: Vec<Vec<u8>>,
    stats: Vec<Stat>,
    /// `[0]`: channel subscriptions; `[1]`: shard channels; `[2 + i]`: deliveries through
    /// pattern `i`.
    index: Vec<HashMap<Vec<u8>, usize>>,
    ring: Vec<Slot>,
    /// Next ring slot to overwrite once the ring is full.
    head: usize,
    total: u64,
    dropped: u64,
    since_flush: u64,
    /// Subscriptions confirmed on each [`Link`] since its (re)connection, and how many it needs.
    confirmed: [usize; 2],
    expected: [usize; 2],
    rate_at: Instant,
}

impl Shared {
    fn new(patterns: &[String], expected: [usize; 2]) -> Shared {
        Shared {
            patterns: patterns.iter().map(|p| p.as_bytes().to_vec()).collect(),
            stats: Vec::new(),
            index: vec![HashMap::new(); patterns.len() + 2],
            ring: Vec::new(),
            head: 0,
            total: 0,
            dropped: 0,
            since_flush: 0,
            confirmed: [0; 2],
            expected,
            rate_at: Instant::now(),
        }
    }

    /// Whether every link has all its subscriptions confirmed.
    fn connected(&self) -> bool {
        self.confirmed
            .iter()
            .zip(&self.expected)
            .all(|(got, want)| got >= want)
    }

    /// Counts one message and keeps it in the ring (reusing the evicted slot's buffer).
    fn record(&mut self, via: Via<'_>, channel: &[u8], payload: &[u8], at_ms: u64) {
        let p = match via {
            Via::Channel => 0,
            Via::Shard => 1,
            Via::Pattern(pat) => match self.patterns.iter().position(|x| x == pat) {
                Some(i) => i + 2,
                None => 0,
            },
        };
        let stat = match self.index[p].get(channel) {
            Some(&i) => i,
            None if self.stats.len() >= MAX_CHANNEL_STATS => self.overflow(),
            None => {
                let i = self.stats.len();
                self.stats.push(Stat {
                    name: channel.to_vec(),
                    pattern: p.checked_sub(2),
                    sharded: p == 1,
                    count: 0,
                    count_at_rate: 0,
                    rate: 0.0,
                });
                self.index[p].insert(channel.to_vec(), i);
                i
            }
        };
        self.stats[stat].count += 1;
        self.total += 1;
        self.since_flush += 1;
        let kept = &payload[..payload.len().min(PAYLOAD_KEEP)];
        if self.ring.len() < RECENT_CAPACITY {
            self.ring.push(Slot {
                stat,
                at_ms,
                length: payload.len(),
                payload: kept.to_vec(),
            });
        } else {
            let slot = &mut self.ring[self.head];
            slot.stat = stat;
            slot.at_ms = at_ms;
            slot.length = payload.len();
            slot.payload.clear();
            slot.payload.extend_from_slice(kept);
            self.head = (self.head + 1) % RECENT_CAPACITY;
        }
    }

    /// The shared counter of channels beyond [`MAX_CHANNEL_STATS`], created on first use.
    fn overflow(&mut self) -> usize {
        if let Some(&i) = self.index[0].get(OTHER_CHANNELS.as_bytes()) {
            return i;
        }
        let i = self.stats.len();
        self.stats.push(Stat {
            name: OTHER_CHANNELS.as_bytes().to_vec(),
            pattern: None,
            sharded: false,
            count: 0,
            count_at_rate: 0,
            rate: 0.0,
        });
        self.index[0].insert(OTHER_CHANNELS.as_bytes().to_vec(), i);
        i
    }

    /// The newest `n` messages, oldest first.
    fn newest(&self, n: usize) -> Vec<Message> {
        let len = self.ring.len();
        let n = n.min(len);
        // Oldest slot is `head` once the ring wrapped, 0 before.
        let oldest = if len < RECENT_CAPACITY { 0 } else { self.head };
        (len - n..len)
            .map(|i| self.message(&self.ring[(oldest + i) % len]))
            .collect()
    }

    fn message(&self, slot: &Slot) -> Message {
        let stat = &self.stats[slot.stat];
        Message {
            channel: display(&stat.name),
            pattern: stat.pattern.map(|p| display(&self.patterns[p])),
            sharded: stat.sharded,
            payload: Bytes::new(&slot.payload),
            length: slot.length,
            json: decode_json(&slot.payload, slot.length),
            at_ms: slot.at_ms,
        }
    }

    fn update_rates(&mut self) {
        let elapsed = self.rate_at.elapsed().as_secs_f64();
        if elapsed < 1.0 {
            return;
        }
        for s in &mut self.stats {
            s.rate = (s.count - s.count_at_rate) as f64 / elapsed;
            s.count_at_rate = s.count;
        }
        self.rate_at = Instant::now();
    }

    fn stats(&self, request: &MonitorRequest, recent: usize, top: usize) -> MonitorStats {
        let mut channels: Vec<ChannelStat> = self
            .stats
            .iter()
            .map(|s| ChannelStat {
                name: display(&s.name),
                pattern: s.pattern.map(|p| display(&self.patterns[p])),
                sharded: s.sharded,
                count: s.count,
                rate: s.rate,
            })
            .collect();
        channels.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        channels.truncate(top);
        MonitorStats {
            channels,
            total: self.total,
            dropped: self.dropped,
            recent: self.newest(recent),
            connected: self.connected(),
            subscribed_channels: request.channels.clone(),
            subscribed_patterns: request.patterns.clone(),
            subscribed_shard_channels: request.shard_channels.clone(),
        }
    }
}

fn display(raw: &[u8]) -> String {
    match std::str::from_utf8(raw) {
        Ok(s) => s.to_string(),
        Err(_) => escape(raw),
    }
}

/// JSON objects and arrays (whole payloads only) are decoded for the view.
fn decode_json(kept: &[u8], length: usize) -> Option<serde_json::Value> {
    if kept.len() != length {
        return None;
    }
    let first = kept.iter().find(|b| !b.is_ascii_whitespace())?;
    if *first != b'{' && *first != b'[' {
        return None;
    }
    serde_json::from_slice(kept).ok()
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl Channels {
    pub(crate) fn new(session: Arc<Session>, events: Publisher<Batch>) -> Self {
        Channels {
            session,
            monitor: Mutex::new(None),
            events,
        }
    }

    /// Monitors `request`'s channels, patterns and shard channels on dedicated connections,
    /// replacing any previous monitor (counts start from zero).
    pub async fn monitor(&self, request: MonitorRequest) -> Result<MonitorStats> {
        validate(&request)?;
        self.session.ensure_open("a channel monitor")?;
        let cfg = self.session.active_config();
        let cluster = matches!(cfg.topology, Topology::Cluster { .. });
        let conn = if request.shard_channels.is_empty() {
            None
        } else {
            Some(self.shard_channels_supported(&cfg).await?)
        };
        // On a Cluster the shard channels get their own connections (one per owning master).
        let (classic, shards) = if cluster {
            let mut classic = request.clone();
            let shards = std::mem::take(&mut classic.shard_channels);
            (classic, shards)
        } else {
            (request.clone(), Vec::new())
        };
        let classic_count =
            classic.channels.len() + classic.patterns.len() + classic.shard_channels.len();
        let shared = Arc::new(Mutex::new(Shared::new(
            &request.patterns,
            [classic_count, shards.len()],
        )));
        let events = self.events.clone();
        let reader = {
            let (shared, cfg) = (shared.clone(), cfg.clone());
            Task::spawn(move |cancel| async move {
                let classic_reader = async {
                    if classic_count > 0 {
                        read_forever(&cfg, &classic, &shared, &cancel).await;
                    }
                };
                let shard_reader = async {
                    if let (Some(conn), false) = (conn, shards.is_empty()) {
                        shards_forever(&conn, &cfg, &shards, &shared, &cancel).await;
                    }
                };
                futures::join!(classic_reader, shard_reader);
            })
        };
        let flusher = {
            let (shared, request) = (shared.clone(), request.clone());
            Task::spawn(move |cancel| flush_forever(shared, request, events, cancel))
        };
        let old = lock(&self.monitor).replace(Monitor {
            request: request.clone(),
            shared: shared.clone(),
            reader,
            flusher,
        });
        if let Some(old) = old {
            old.reader.stop().await;
            old.flusher.stop().await;
        }
        // Report once the subscription is live (or after a short wait if the server is down).
        let deadline = Instant::now() + Duration::from_secs(2);
        while !lock(&shared).connected() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let stats = lock(&shared).stats(&request, 0, MAX_CHANNEL_STATS + 1);
        Ok(stats)
    }

    /// The session's connection when shard channels can be monitored here: Redis 7+ (or
    /// Valkey), over plain TCP or a Unix socket (the TLS subscriber is redis-rs's, which has
    /// no SSUBSCRIBE outside a Cluster connection).
    async fn shard_channels_supported(&self, cfg: &RedisConfig) -> Result<Conn> {
        if matches!(cfg.endpoint, Endpoint::Tls { .. }) {
            return Err(Error::InvalidInput(
                "shard channels are not monitored over TLS yet: use classic channels or a non-TLS connection".into(),
            ));
        }
        let mut conn = self.session.conn().await?;
        let product = self.session.product(&mut conn).await?;
        let sharded =
            product.major_minor().is_some_and(|mm| mm >= (7, 0)) || product.name == "valkey";
        if !sharded {
            return Err(Error::InvalidInput(format!(
                "shard channels (SSUBSCRIBE) need Redis 7.0 or later; this server is {} {}",
                product.name, product.version
            )));
        }
        Ok(conn)
    }

    /// Counts, rates and the `recent` newest messages of the running monitor.
    pub fn monitor_stats(&self, recent: Option<usize>) -> Result<MonitorStats> {
        let slot = lock(&self.monitor);
        let m = slot
            .as_ref()
            .ok_or_else(|| Error::NotFound("no channel monitor is running".into()))?;
        let stats = lock(&m.shared).stats(
            &m.request,
            recent.unwrap_or(100).min(RECENT_CAPACITY),
            MAX_CHANNEL_STATS + 1,
        );
        Ok(stats)
    }

    /// Stops the channel monitor (a no-op when none runs).
    pub async fn monitor_stop(&self) {
        let old = lock(&self.monitor).take();
        if let Some(m) = old {
            m.reader.stop().await;
            m.flusher.stop().await;
        }
    }

    /// Restarts the running monitor (same set) on the now-active connection.
    pub(crate) async fn restart(&self) -> Result<()> {
        let request = lock(&self.monitor).as_ref().map(|m| m.request.clone());
        if let Some(request) = request {
            self.monitor(request).await?;
        }
        Ok(())
    }

    /// The server's own pub/sub counts: channels and their subscribers, pattern subscriptions,
    /// sharded channels (see [`crate::pubsub_counts`]).
    pub async fn counts(
        &self,
        q: &crate::pubsub_counts::PubsubQuery,
    ) -> Result<crate::pubsub_counts::PubsubCounts> {
        crate::pubsub_counts::counts(&self.session, q).await
    }

    /// `PUBLISH channel message` (`SPUBLISH` for a shard channel, on a Cluster routed to the
    /// slot's master); refused in read-only mode.
    pub async fn publish(&self, request: PublishRequest) -> Result<PublishReply> {
        let command = if request.sharded {
            "SPUBLISH"
        } else {
            "PUBLISH"
        };
        if self.session.read_only() {
            return Err(Error::ReadOnly(command.into()));
        }
        if request.channel.is_empty() {
            return Err(Error::InvalidInput("the channel name is empty".into()));
        }
        let mut c = self.session.conn().await?;
        let receivers: u64 = redis::cmd(command)
            .arg(&request.channel)
            .arg(&request.message)
            .query_async(&mut c)
            .await?;
        Ok(PublishReply { receivers })
    }
}

fn validate(request: &MonitorRequest) -> Result<()> {
    let n = request.channels.len() + request.patterns.len() + request.shard_channels.len();
    if n == 0 {
        return Err(Error::InvalidInput(
            "give at least one channel, pattern or shard channel to monitor".into(),
        ));
    }
    if n > MAX_SUBSCRIPTIONS {
        return Err(Error::InvalidInput(format!(
            "at most {MAX_SUBSCRIPTIONS} channels, patterns and shard channels, got {n}"
        )));
    }
    if request
        .channels
        .iter()
        .chain(&request.patterns)
        .chain(&request.shard_channels)
        .any(String::is_empty)
    {
        return Err(Error::InvalidInput("empty channel or pattern name".into()));
    }
    Ok(())
}

/// Sends a batch every [`BATCH_EVERY`] when messages arrived since the last one.
async fn flush_forever(
    shared: Arc<Mutex<Shared>>,
    request: MonitorRequest,
    events: Publisher<Batch>,
    cancel: CancellationToken,
) {
    let mut tick = tokio::time::interval(BATCH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        let event = {
            let mut s = lock(&shared);
            s.update_rates();
            if s.since_flush == 0 {
                continue;
            }
            let fresh = s.since_flush;
            let shown = (fresh as usize).min(BATCH_MAX).min(s.ring.len());
            let messages = s.newest(shown);
            let dropped = fresh - shown as u64;
            s.dropped += dropped;
            s.since_flush = 0;
            Batch {
                messages,
                dropped,
                stats: s.stats(&request, 0, BATCH_CHANNELS),
            }
        };
        events.publish(event);
    }
}

/// Runs the sessions `connect` makes, one after another, until cancelled: when one ends its
/// link is no longer confirmed, the reason is logged, and after a backoff `connect` runs again.
async fn keep_linked<F, Fut>(
    link: Link,
    shared: &Mutex<Shared>,
    cancel: &CancellationToken,
    mut connect: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<()>>,
{
    let mut backoff = Backoff::new();
    loop {
        let run = connect();
        let started = Instant::now();
        tokio::select! {
            _ = cancel.cancelled() => return,
            r = run => {
                lock(shared).confirmed[link as usize] = 0;
                match (link, r) {
                    (Link::Classic, Ok(())) => tracing::warn!("channel monitor: the server closed the connection"),
                    (Link::Classic, Err(e)) => tracing::warn!(error = %e, "channel monitor: connection lost"),
                    (Link::Shards, Ok(())) => tracing::warn!("channel monitor: a shard's node closed the connection"),
                    (Link::Shards, Err(e)) => tracing::warn!(error = %e, "channel monitor: shard connections renewed; re-reading the slot map"),
                }
            }
        }
        if !backoff.wait(started, cancel).await {
            return;
        }
    }
}

/// Connects, subscribes and reads until cancelled, reconnecting with backoff: the classic
/// link (channels, patterns, and shard channels outside a Cluster).
async fn read_forever(
    cfg: &RedisConfig,
    request: &MonitorRequest,
    shared: &Mutex<Shared>,
    cancel: &CancellationToken,
) {
    // A Cluster's classic messages reach every node: after a lost session, the next seed is tried.
    let mut seed = 0usize;
    keep_linked(Link::Classic, shared, cancel, || {
        let this_seed = seed;
        seed = seed.wrapping_add(1);
        async move {
            let cfg = match cfg.topology {
                Topology::Sentinel { .. } => redscope::conn::resolve_sentinel_master(cfg).await?,
                Topology::Cluster { .. } => {
                    redscope::conn::cluster_seed(cfg, this_seed).unwrap_or_else(|| cfg.clone())
                }
                _ => cfg.clone(),
            };
            session(&cfg, request, Link::Classic, shared).await
        }
    })
    .await
}

/// The shard channels of a Cluster: reads the slot map, opens one connection per master owning
/// a subscribed channel's slot, and reads them all. When any of them ends (dropped, MOVED, the
/// node gave its slot up), or the slot map, read again every [`SLOT_CHECK_EVERY`], names other
/// owners (a node that came back still believing it owns the slot, then was demoted without a
/// word), all are closed and the owners looked up again, after a backoff.
async fn shards_forever(
    conn: &Conn,
    cfg: &RedisConfig,
    channels: &[String],
    shared: &Mutex<Shared>,
    cancel: &CancellationToken,
) {
    keep_linked(Link::Shards, shared, cancel, || async move {
        let owners = shard_owners(conn, channels).await?;
        let mut sessions = Vec::with_capacity(owners.len());
        for (addr, request) in &owners {
            let node = node_config(cfg, addr)?;
            sessions.push(Box::pin(async move {
                session(&node, request, Link::Shards, shared).await
            }));
        }
        tracing::debug!(owners = ?owners.keys().collect::<Vec<_>>(), "channel monitor: shard connections");
        let moved = async {
            loop {
                tokio::time::sleep(SLOT_CHECK_EVERY).await;
                // A failed read is no evidence of a move: the sessions notice dead nodes.
                if let Ok(now) = shard_owners(conn, channels).await {
                    if now != owners {
                        return;
                    }
                }
            }
        };
        tokio::select! {
            (first, _, _) = futures::future::select_all(sessions) => first,
            _ = moved => Err(Error::Connection("a shard channel's slot has a new owner".into())),
        }
    })
    .await
}

/// How often the shard connections check the slot map for new owners of their channels.
const SLOT_CHECK_EVERY: Duration = Duration::from_secs(2);

/// The shard channels grouped by the master owning their slot (`host:port`), from a fresh
/// `CLUSTER SLOTS`.
async fn shard_owners(
    conn: &Conn,
    channels: &[String],
) -> Result<BTreeMap<String, MonitorRequest>> {
    let map = conn.slot_map().await?;
    let mut by_master: BTreeMap<String, MonitorRequest> = BTreeMap::new();
    for channel in channels {
        let owner = slot_owner(&map, key_slot(channel.as_bytes())).ok_or_else(|| {
            Error::Connection(format!("no master serves the slot of {channel:?}"))
        })?;
        by_master
            .entry(owner.to_string())
            .or_default()
            .shard_channels
            .push(channel.clone());
    }
    Ok(by_master)
}

/// Reconnection delays: 50 ms doubling to 2 s, back to 50 ms after a session that lasted.
struct Backoff(Duration);

impl Backoff {
    fn new() -> Self {
        Backoff(Duration::from_millis(50))
    }

    /// Waits the current delay (false when cancelled meanwhile) and doubles it.
    async fn wait(&mut self, session_started: Instant, cancel: &CancellationToken) -> bool {
        if session_started.elapsed() > Duration::from_secs(5) {
            self.0 = Duration::from_millis(50);
        }
        tokio::select! {
            _ = cancel.cancelled() => return false,
            _ = tokio::time::sleep(self.0) => {}
        }
        self.0 = (self.0 * 2).min(Duration::from_secs(2));
        true
    }
}

/// One subscriber connection to the server `cfg` names, on `link`; returns when it ends.
async fn session(
    cfg: &RedisConfig,
    request: &MonitorRequest,
    link: Link,
    shared: &Mutex<Shared>,
) -> Result<()> {
    match &cfg.endpoint {
        Endpoint::Tcp { host, port } => {
            let stream = tokio::time::timeout(
                cfg.connect_timeout,
                tokio::net::TcpStream::connect((host.as_str(), *port)),
            )
            .await
            .map_err(|_| Error::Timeout(cfg.connect_timeout))?
            .map_err(|e| Error::Connection(e.to_string()))?;
            let _ = stream.set_nodelay(true);
            raw_session(stream, cfg, request, link, shared).await
        }
        #[cfg(unix)]
        Endpoint::Unix { path } => {
            let stream = tokio::net::UnixStream::connect(path)
                .await
                .map_err(|e| Error::Connection(e.to_string()))?;
            raw_session(stream, cfg, request, link, shared).await
        }
        _ => client_session(cfg, request, shared).await,
    }
}

/// One subscriber connection speaking RESP2 directly; returns when the connection ends.
async fn raw_session<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    cfg: &RedisConfig,
    request: &MonitorRequest,
    link: Link,
    shared: &Mutex<Shared>,
) -> Result<()> {
    let mut buf = RespBuf::new(READ_BUFFER, Limits::DEFAULT);
    if let Some(pw) = &cfg.password {
        let mut args: Vec<&[u8]> = vec![b"AUTH"];
        if let Some(u) = &cfg.username {
            args.push(u.as_bytes());
        }
        args.push(pw.expose().as_bytes());
        stream.write_all(&encode_command(&args)).await?;
        if let Some(e) = command_error(&mut buf, &mut stream).await? {
            return Err(Error::Auth(format!(
                "the subscriber connection was refused: {}",
                e.split_whitespace().next().unwrap_or("AUTH failed")
            )));
        }
    }
    let mut out = Vec::new();
    if !request.channels.is_empty() {
        let mut args: Vec<&[u8]> = vec![b"SUBSCRIBE"];
        args.extend(request.channels.iter().map(|c| c.as_bytes()));
        out.extend(encode_command(&args));
    }
    if !request.patterns.is_empty() {
        let mut args: Vec<&[u8]> = vec![b"PSUBSCRIBE"];
        args.extend(request.patterns.iter().map(|c| c.as_bytes()));
        out.extend(encode_command(&args));
    }
    // One SSUBSCRIBE per channel: on a Cluster, one command may only name channels of one slot.
    for channel in &request.shard_channels {
        out.extend(encode_command(&[b"SSUBSCRIBE", channel.as_bytes()]));
    }
    stream.write_all(&out).await?;
    let mut ping_sent = false;
    loop {
        // A silent connection is probed with PING; a second silence means the server hangs.
        let n = match tokio::time::timeout(KEEPALIVE, fill(&mut buf, &mut stream)).await {
            Ok(n) => n?,
            Err(_) if ping_sent => return Err(Error::Timeout(KEEPALIVE * 2)),
            Err(_) => {
                stream.write_all(&encode_command(&[b"PING"])).await?;
                ping_sent = true;
                continue;
            }
        };
        if n == 0 {
            return Ok(());
        }
        ping_sent = false;
        let at_ms = now_ms();
        let mut s = lock(shared);
        while let Some((frame, used)) = buf.next_frame()? {
            match Push::of(frame) {
                Push::Message {
                    via,
                    channel,
                    payload,
                } => s.record(via, channel, payload, at_ms),
                Push::Subscribed => s.confirmed[link as usize] += 1,
                Push::ShardLost(channel) => {
                    return Err(Error::Connection(format!(
                        "the node gave up shard channel {} (its slot moved)",
                        display(channel)
                    )))
                }
                Push::Error(text) => {
                    return Err(Error::from_error_reply(&String::from_utf8_lossy(text)))
                }
                Push::Other => {}
            }
            buf.consume(used);
        }
    }
}

/// The redis-rs subscriber, for endpoints the raw reader does not speak (TLS).
async fn client_session(
    cfg: &RedisConfig,
    request: &MonitorRequest,
    shared: &Mutex<Shared>,
) -> Result<()> {
    let client = redscope::conn::client(cfg).await?;
    let mut pubsub = client.get_async_pubsub().await?;
    if !request.channels.is_empty() {
        pubsub.subscribe(&request.channels).await?;
    }
    if !request.patterns.is_empty() {
        pubsub.psubscribe(&request.patterns).await?;
    }
    lock(shared).confirmed[Link::Classic as usize] =
        request.channels.len() + request.patterns.len();
    let mut messages = pubsub.on_message();
    while let Some(msg) = messages.next().await {
        let pattern: Option<Vec<u8>> = msg.get_pattern().unwrap_or(None);
        let channel: Vec<u8> = msg.get_channel().unwrap_or_default();
        let via = match &pattern {
            Some(p) => Via::Pattern(p),
            None => Via::Channel,
        };
        lock(shared).record(via, &channel, msg.get_payload_bytes(), now_ms());
    }
    Ok(())
}

/// After this long without a byte the subscriber sends a PING; after twice this, it reconnects.
pub const KEEPALIVE: Duration = Duration::from_secs(3);

/// Initial size of the subscriber's read buffer.
const READ_BUFFER: usize = 256 * 1024;

/// What one frame on a subscriber connection means (slices borrow the read buffer).
#[derive(Debug, PartialEq, Eq)]
enum Push<'a> {
    /// A `message`, `smessage` or `pmessage` delivery.
    Message {
        via: Via<'a>,
        channel: &'a [u8],
        payload: &'a [u8],
    },
    /// A `subscribe`, `psubscribe` or `ssubscribe` confirmation.
    Subscribed,
    /// An `sunsubscribe` we did not ask for: the node no longer owns the channel's slot.
    ShardLost(&'a [u8]),
    /// An error reply (its text).
    Error(&'a [u8]),
    /// Anything else (PONG, unsubscribe confirmations).
    Other,
}

impl<'a> Push<'a> {
    fn of(frame: Frame<'a>) -> Push<'a> {
        let items = match frame {
            Frame::Error(text) => return Push::Error(text),
            Frame::Array(items) => items,
            _ => return Push::Other,
        };
        let mut it = items.iter();
        let mut bulk = || match it.next() {
            Some(Frame::Bulk(b)) => Some(b),
            _ => None,
        };
        let Some(kind) = bulk() else {
            return Push::Other;
        };
        match (items.len(), kind) {
            (3, b"message" | b"smessage") => match (bulk(), bulk()) {
                (Some(channel), Some(payload)) => Push::Message {
                    via: if kind == b"smessage" {
                        Via::Shard
                    } else {
                        Via::Channel
                    },
                    channel,
                    payload,
                },
                _ => Push::Other,
            },
            (4, b"pmessage") => match (bulk(), bulk(), bulk()) {
                (Some(pattern), Some(channel), Some(payload)) => Push::Message {
                    via: Via::Pattern(pattern),
                    channel,
                    payload,
                },
                _ => Push::Other,
            },
            (3, b"subscribe" | b"psubscribe" | b"ssubscribe") => Push::Subscribed,
            (3, b"sunsubscribe") => match bulk() {
                Some(channel) => Push::ShardLost(channel),
                None => Push::Other,
            },
            _ => Push::Other,
        }
    }
}

/// Reads more bytes into `buf`; 0 at end of stream.
async fn fill<S: AsyncRead + Unpin>(buf: &mut RespBuf, stream: &mut S) -> Result<usize> {
    let n = stream.read(buf.spare()?).await?;
    buf.filled(n);
    Ok(n)
}

/// The reply to a command sent before subscribing (AUTH): its text if it is an error.
async fn command_error<S: AsyncRead + Unpin>(
    buf: &mut RespBuf,
    stream: &mut S,
) -> Result<Option<String>> {
    loop {
        if let Some((frame, used)) = buf.next_frame()? {
            let error = match frame {
                Frame::Error(text) => Some(String::from_utf8_lossy(text).into_owned()),
                _ => None,
            };
            buf.consume(used);
            return Ok(error);
        }
        if fill(buf, stream).await? == 0 {
            return Err(Error::Connection("connection closed".into()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(wire: &[u8]) -> Option<Push<'_>> {
        let (frame, used) = parsed(wire)?;
        assert_eq!(used, wire.len());
        Some(Push::of(frame))
    }

    fn parsed(wire: &[u8]) -> Option<(Frame<'_>, usize)> {
        crate::resp::parse(wire, &Limits::DEFAULT).unwrap()
    }

    #[test]
    fn reads_messages_pmessages_confirmations_and_errors() {
        let frame = b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$5\r\nhello\r\n";
        assert_eq!(
            push(frame),
            Some(Push::Message {
                via: Via::Channel,
                channel: b"ch",
                payload: b"hello"
            })
        );
        for cut in 0..frame.len() {
            assert_eq!(parsed(&frame[..cut]), None, "cut at {cut}");
        }
        let p = b"*4\r\n$8\r\npmessage\r\n$3\r\nt:*\r\n$3\r\nt:a\r\n$0\r\n\r\n";
        assert_eq!(
            push(p),
            Some(Push::Message {
                via: Via::Pattern(b"t:*"),
                channel: b"t:a",
                payload: b""
            })
        );
        let s = b"*3\r\n$8\r\nsmessage\r\n$4\r\n{o}x\r\n$2\r\nhi\r\n";
        assert_eq!(
            push(s),
            Some(Push::Message {
                via: Via::Shard,
                channel: b"{o}x",
                payload: b"hi"
            })
        );
        let ssub = b"*3\r\n$10\r\nssubscribe\r\n$4\r\n{o}x\r\n:1\r\n";
        assert_eq!(push(ssub), Some(Push::Subscribed));
        let lost = b"*3\r\n$12\r\nsunsubscribe\r\n$4\r\n{o}x\r\n:0\r\n";
        assert_eq!(push(lost), Some(Push::ShardLost(b"{o}x")));
        let sub = b"*3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n";
        assert_eq!(push(sub), Some(Push::Subscribed));
        assert_eq!(push(b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"), Some(Push::Other));
        assert_eq!(push(b"-NOPERM no\r\n"), Some(Push::Error(b"NOPERM no")));
        assert!(crate::resp::parse(b"?x\r\n", &Limits::DEFAULT).is_err());
    }

    #[test]
    fn the_ring_keeps_the_newest_and_counts_everything() {
        let mut s = Shared::new(&["p:*".to_string()], [2, 0]);
        for i in 0..(RECENT_CAPACITY + 5) {
            s.record(Via::Channel, b"a", format!("{i}").as_bytes(), 1);
        }
        s.record(Via::Pattern(b"p:*"), b"p:x", b"{\"k\":1}", 2);
        s.record(Via::Shard, b"a", b"sharded", 3);
        assert_eq!(s.total, RECENT_CAPACITY as u64 + 7);
        assert_eq!(s.ring.len(), RECENT_CAPACITY);
        let newest = s.newest(3);
        assert_eq!(newest[0].payload.text, format!("{}", RECENT_CAPACITY + 4));
        assert_eq!(newest[1].json, Some(serde_json::json!({"k": 1})));
        assert_eq!(newest[1].pattern.as_deref(), Some("p:*"));
        assert!(!newest[1].sharded);
        assert!(newest[2].sharded, "a shard channel's message is marked");
        assert_eq!(newest[2].channel, "a");
        let stats = s.stats(&MonitorRequest::default(), 0, 10);
        let counts: Vec<(&str, bool, u64)> = stats
            .channels
            .iter()
            .map(|c| (c.name.as_str(), c.sharded, c.count))
            .collect();
        assert_eq!(
            counts,
            [
                ("a", false, RECENT_CAPACITY as u64 + 5),
                ("a", true, 1),
                ("p:x", false, 1)
            ],
            "the classic and the shard channel of one name are counted apart"
        );
        assert!(!stats.connected, "no subscription confirmed yet");
        s.confirmed[Link::Classic as usize] = 2;
        assert!(s.connected());
    }

    #[test]
    fn distinct_channels_beyond_the_cap_share_one_counter() {
        let mut s = Shared::new(&["*".to_string()], [1, 0]);
        for i in 0..(MAX_CHANNEL_STATS + 50) {
            s.record(Via::Pattern(b"*"), format!("c{i}").as_bytes(), b"x", 1);
        }
        assert_eq!(s.stats.len(), MAX_CHANNEL_STATS + 1);
        let stats = s.stats(&MonitorRequest::default(), 0, 3);
        assert_eq!(stats.channels.len(), 3);
        assert_eq!(
            (stats.channels[0].name.as_str(), stats.channels[0].count),
            (OTHER_CHANNELS, 50)
        );
        assert_eq!(stats.total, (MAX_CHANNEL_STATS + 50) as u64);
    }
}
