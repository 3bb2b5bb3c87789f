//! Pub/sub for trading events: [`PubSubManager`] publishes trading envelopes and flat
//! events (returning the subscriber count) and starts a [`Listener`] on its own connection
//! that re-subscribes by itself after the server comes back, reporting the outage.
//!
//! Handlers are mpsc receivers: one per subscribed channel and one per pattern
//! ([`ListenerBuilder::channel`], [`ListenerBuilder::pattern`]), plus a status receiver
//! ([`ListenerBuilder::status`]) that says when the listener lost and regained the server;
//! [`spawn_handler`] runs an async closure over such a queue.
//! Payloads that do not decode are delivered as [`Body::Undecodable`] with their raw bytes.
//! Sharded pub/sub (Redis 7, Cluster): [`PubSubManager::publish_sharded`] sends `SPUBLISH`, and
//! [`ListenerBuilder::shard_channel`] subscribes with `SSUBSCRIBE` on the master owning the
//! channel's slot, re-resolving the owner after a failover or slot move (the `sharded` submodule).

mod sharded;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use rand::Rng;
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::{RedisConfig, Topology};
use crate::conn::{self, Conn};
use crate::error::{Error, Result};
use crate::events::{
    channels, Alert, Body, Envelope, FlatEvent, Heartbeat, MessageType, OrderUpdate, Payload,
    PositionUpdate, Severity, SignalEvent, SystemEvent, TradeSignal,
};

/// Publishes trading messages and starts listeners.
#[derive(Clone)]
pub struct PubSubManager {
    conn: Conn,
    cfg: RedisConfig,
    source: String,
}

impl PubSubManager {
    /// A manager publishing through `conn`; listeners open their own connections from `cfg`.
    /// `source` is written into every envelope (the producing service's name).
    pub fn new(conn: Conn, cfg: RedisConfig, source: impl Into<String>) -> PubSubManager {
        PubSubManager {
            conn,
            cfg,
            source: source.into(),
        }
    }

    /// Connects according to `cfg` (any topology) and returns a manager.
    pub async fn connect(cfg: &RedisConfig, source: impl Into<String>) -> Result<PubSubManager> {
        Ok(PubSubManager::new(
            Conn::connect(cfg).await?,
            cfg.clone(),
            source,
        ))
    }

    /// The name written as `source` in envelopes.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// `PUBLISH channel payload`; returns how many subscribers received it.
    pub async fn publish_raw(&self, channel: &str, payload: &[u8]) -> Result<u64> {
        let mut c = self.conn.clone();
        let n: u64 = redis::cmd("PUBLISH")
            .arg(channel)
            .arg(payload)
            .query_async(&mut c)
            .await?;
        Ok(n)
    }

    /// `SPUBLISH channel payload` (Redis 7 sharded pub/sub): on a Cluster it goes to the master
    /// owning the channel's slot and reaches only that shard's `SSUBSCRIBE`rs; returns how many
    /// shard subscribers received it.
    pub async fn publish_sharded_raw(&self, channel: &str, payload: &[u8]) -> Result<u64> {
        let mut c = self.conn.clone();
        let n: u64 = redis::cmd("SPUBLISH")
            .arg(channel)
            .arg(payload)
            .query_async(&mut c)
            .await?;
        Ok(n)
    }

    /// Publishes an envelope as JSON on the shard channel `channel` (`SPUBLISH`).
    pub async fn publish_sharded(&self, channel: &str, envelope: &Envelope) -> Result<u64> {
        let body = serde_json::to_vec(envelope)?;
        self.publish_sharded_raw(channel, &body).await
    }

    /// Publishes an envelope as JSON on `channel`; returns the subscriber count.
    pub async fn publish(&self, channel: &str, envelope: &Envelope) -> Result<u64> {
        let body = serde_json::to_vec(envelope)?;
        self.publish_raw(channel, &body).await
    }

    /// Publishes a typed payload in an envelope on its standard channel.
    pub async fn publish_payload(&self, payload: &Payload) -> Result<u64> {
        let env = Envelope::from_payload(&self.source, payload)?;
        let channel = env.message_type.channel().ok_or_else(|| {
            Error::InvalidInput("a custom message type has no standard channel".into())
        })?;
        self.publish(channel, &env).await
    }

    /// `TRADE_SIGNAL` on `trading:signals`.
    pub async fn publish_trade_signal(
        &self,
        symbol: &str,
        signal: &str,
        confidence: f64,
    ) -> Result<u64> {
        if !(0.0..=1.0).contains(&confidence) {
            return Err(Error::InvalidInput(format!(
                "confidence must be within [0, 1], got {confidence}"
            )));
        }
        self.publish_payload(&Payload::TradeSignal(TradeSignal {
            symbol: symbol.to_string(),
            signal: signal.to_string(),
            confidence,
            extra: Map::new(),
        }))
        .await
    }

    /// `ORDER_UPDATE` on `trading:orders`.
    pub async fn publish_order_update(
        &self,
        order_id: &str,
        status: &str,
        symbol: &str,
    ) -> Result<u64> {
        self.publish_payload(&Payload::OrderUpdate(OrderUpdate {
            order_id: order_id.to_string(),
            status: status.to_string(),
            symbol: symbol.to_string(),
            extra: Map::new(),
        }))
        .await
    }

    /// `POSITION_UPDATE` on `trading:positions`.
    pub async fn publish_position_update(&self, symbol: &str, quantity: f64) -> Result<u64> {
        self.publish_payload(&Payload::PositionUpdate(PositionUpdate {
            symbol: symbol.to_string(),
            quantity,
            extra: Map::new(),
        }))
        .await
    }

    /// An alert on `trading:alerts`: `PRICE_ALERT` when `alert_type` is `price`, else `RISK_ALERT`.
    pub async fn publish_alert(
        &self,
        alert_type: &str,
        message: &str,
        severity: Severity,
    ) -> Result<u64> {
        let alert = Alert {
            alert_type: alert_type.to_string(),
            message: message.to_string(),
            severity,
            extra: Map::new(),
        };
        let payload = if alert_type.eq_ignore_ascii_case("price") {
            Payload::PriceAlert(alert)
        } else {
            Payload::RiskAlert(alert)
        };
        self.publish_payload(&payload).await
    }

    /// `SYSTEM_EVENT` on `trading:system`.
    pub async fn publish_system_event(
        &self,
        event: &str,
        details: Map<String, Value>,
    ) -> Result<u64> {
        self.publish_payload(&Payload::SystemEvent(SystemEvent {
            event: event.to_string(),
            extra: details,
        }))
        .await
    }

    /// `HEARTBEAT` on `trading:system`.
    pub async fn publish_heartbeat(&self) -> Result<u64> {
        self.publish_payload(&Payload::Heartbeat(Heartbeat::default()))
            .await
    }

    /// A flat event on the channel its `event_type` names.
    pub async fn publish_event(&self, event: &FlatEvent) -> Result<u64> {
        self.publish_flat(&event.event_type, event).await
    }

    /// A `SignalEvent` on `signals.generated`.
    pub async fn publish_signal_event(&self, event: &SignalEvent) -> Result<u64> {
        self.publish_flat(channels::SIGNALS_GENERATED, event).await
    }

    async fn publish_flat(&self, channel: &str, event: &impl Serialize) -> Result<u64> {
        if channel.is_empty() {
            return Err(Error::InvalidInput("an event needs an event_type".into()));
        }
        let body = serde_json::to_vec(event)?;
        self.publish_raw(channel, &body).await
    }

    /// A builder for a listener on its own connection.
    pub fn listener(&self) -> ListenerBuilder {
        ListenerBuilder::new(self.cfg.clone())
    }
}

/// Runs `handler` for every message of one subscription's queue, one at a time, until the
/// queue closes (the listener stopped) or `stop` is cancelled. A handler error is logged and
/// counted in the returned total of failures; it never stops the loop.
pub fn spawn_handler<F, Fut>(
    mut queue: mpsc::Receiver<Received>,
    stop: CancellationToken,
    mut handler: F,
) -> JoinHandle<u64>
where
    F: FnMut(Received) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    tokio::spawn(async move {
        let mut failures = 0u64;
        loop {
            let msg = tokio::select! {
                _ = stop.cancelled() => break,
                m = queue.recv() => match m {
                    Some(m) => m,
                    None => break,
                },
            };
            let channel = msg.channel.clone();
            if let Err(e) = handler(msg).await {
                failures += 1;
                tracing::warn!(%channel, "pub/sub handler failed: {e}");
            }
        }
        failures
    })
}

/// One message as received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The channel it was published on.
    pub channel: String,
    /// The pattern that matched, for pattern subscriptions.
    pub pattern: Option<String>,
    /// The raw payload bytes.
    pub payload: Vec<u8>,
    /// What the payload decoded to.
    pub body: Body,
}

impl Received {
    /// The envelope, when the payload was one.
    pub fn envelope(&self) -> Option<&Envelope> {
        match &self.body {
            Body::Envelope(e) => Some(e),
            _ => None,
        }
    }

    /// The flat event, when the payload was one.
    pub fn event(&self) -> Option<&FlatEvent> {
        match &self.body {
            Body::Event(e) => Some(e),
            _ => None,
        }
    }

    /// The envelope's typed body: `None` when the payload was not an envelope, an error when
    /// its `data` does not fit its `type`.
    pub fn payload(&self) -> Option<Result<Payload>> {
        self.envelope().map(Envelope::payload)
    }

    /// The envelope's type, when the payload was an envelope.
    pub fn message_type(&self) -> Option<&MessageType> {
        self.envelope().map(|e| &e.message_type)
    }
}

/// The listener's connection state changes.
#[derive(Debug, Clone, PartialEq)]
pub enum ListenerStatus {
    /// Subscribed for the first time.
    Connected,
    /// The connection was lost; messages published from now on are missed until re-subscribed.
    Disconnected {
        /// Why.
        error: String,
    },
    /// Subscribed again after an outage.
    Resubscribed {
        /// From losing the connection to being subscribed again: the gap in which messages
        /// were missed.
        outage: Duration,
        /// Connection attempts it took.
        attempts: u32,
    },
}

/// Counters of a running listener.
#[derive(Debug, Default)]
pub struct ListenerStats {
    received: AtomicU64,
    undecodable: AtomicU64,
    dropped: AtomicU64,
    reconnects: AtomicU64,
}

/// A snapshot of [`ListenerStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ListenerCounts {
    /// Messages received from the server.
    pub received: u64,
    /// Of those, messages whose payload did not decode (still delivered, raw).
    pub undecodable: u64,
    /// Messages not delivered because the handler's queue was full or closed.
    pub dropped: u64,
    /// Times the listener re-subscribed after an outage.
    pub reconnects: u64,
}

impl ListenerStats {
    fn snapshot(&self) -> ListenerCounts {
        ListenerCounts {
            received: self.received.load(Ordering::Relaxed),
            undecodable: self.undecodable.load(Ordering::Relaxed),
            dropped: self.dropped.load(Ordering::Relaxed),
            reconnects: self.reconnects.load(Ordering::Relaxed),
        }
    }
}

/// Reconnection and liveness settings of a listener.
#[derive(Debug, Clone)]
pub struct ListenerOptions {
    /// First delay before reconnecting.
    pub backoff_min: Duration,
    /// Largest delay between attempts.
    pub backoff_max: Duration,
    /// How often the connection is checked with `PING` (a frozen server is noticed this way).
    pub ping_interval: Duration,
    /// How many messages each handler queue holds before new ones are dropped (and counted).
    pub queue: usize,
}

impl Default for ListenerOptions {
    fn default() -> Self {
        ListenerOptions {
            backoff_min: Duration::from_millis(50),
            backoff_max: Duration::from_secs(5),
            ping_interval: Duration::from_secs(5),
            queue: 10_000,
        }
    }
}

/// Collects subscriptions and handler queues, then starts the listener task.
pub struct ListenerBuilder {
    cfg: RedisConfig,
    opts: ListenerOptions,
    channels: HashMap<Vec<u8>, mpsc::Sender<Received>>,
    patterns: HashMap<Vec<u8>, mpsc::Sender<Received>>,
    shard_channels: HashMap<Vec<u8>, mpsc::Sender<Received>>,
    status: Option<mpsc::UnboundedSender<ListenerStatus>>,
}

impl ListenerBuilder {
    fn new(cfg: RedisConfig) -> ListenerBuilder {
        ListenerBuilder {
            cfg,
            opts: ListenerOptions::default(),
            channels: HashMap::new(),
            patterns: HashMap::new(),
            shard_channels: HashMap::new(),
            status: None,
        }
    }

    /// Replaces the reconnection and liveness settings (call it before `channel`/`pattern`:
    /// their queues are sized from it).
    pub fn options(mut self, opts: ListenerOptions) -> ListenerBuilder {
        self.opts = opts;
        self
    }

    /// Subscribes to `channel`; its messages arrive on the returned receiver.
    pub fn channel(&mut self, channel: &str) -> mpsc::Receiver<Received> {
        let (tx, rx) = mpsc::channel(self.opts.queue.max(1));
        self.channels.insert(channel.as_bytes().to_vec(), tx);
        rx
    }

    /// Subscribes to a glob `pattern` (`signals.*`); matching messages arrive on the receiver.
    pub fn pattern(&mut self, pattern: &str) -> mpsc::Receiver<Received> {
        let (tx, rx) = mpsc::channel(self.opts.queue.max(1));
        self.patterns.insert(pattern.as_bytes().to_vec(), tx);
        rx
    }

    /// Subscribes to the shard channel `channel` (`SSUBSCRIBE`, Cluster only) on the master that
    /// owns its slot; after a failover or slot move the owner is looked up again and the
    /// subscription renewed there. Messages sent with `SPUBLISH` arrive on the receiver.
    pub fn shard_channel(&mut self, channel: &str) -> mpsc::Receiver<Received> {
        let (tx, rx) = mpsc::channel(self.opts.queue.max(1));
        self.shard_channels.insert(channel.as_bytes().to_vec(), tx);
        rx
    }

    /// Connection state changes (connected, lost, re-subscribed with the outage's length).
    pub fn status(&mut self) -> mpsc::UnboundedReceiver<ListenerStatus> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.status = Some(tx);
        rx
    }

    /// Spawns the listener; it runs until `stop` is cancelled or [`Listener::stop`] is called.
    /// Returns once the first subscription is confirmed, or with the error of the first attempt
    /// (a dead server or wrong password is reported to the caller rather than retried silently).
    pub async fn start(self, stop: CancellationToken) -> Result<Listener> {
        if self.channels.is_empty() && self.patterns.is_empty() && self.shard_channels.is_empty() {
            return Err(Error::InvalidInput(
                "a listener needs at least one channel, pattern or shard channel".into(),
            ));
        }
        if self.opts.backoff_min.is_zero() || self.opts.backoff_max < self.opts.backoff_min {
            return Err(Error::InvalidInput(
                "listener backoff must be positive with min <= max".into(),
            ));
        }
        let stats = Arc::new(ListenerStats::default());
        let token = stop.child_token();
        let sharded = if self.shard_channels.is_empty() {
            None
        } else {
            let task = sharded::ShardedTask::connect(
                self.cfg.clone(),
                self.opts.clone(),
                self.shard_channels,
                self.status.clone(),
                stats.clone(),
            )
            .await?;
            let t = token.clone();
            Some(tokio::spawn(async move { task.run(t).await }))
        };
        let mut task = None;
        if !(self.channels.is_empty() && self.patterns.is_empty()) {
            let mut state = ListenerTask {
                cfg: self.cfg,
                opts: self.opts,
                channels: self.channels,
                patterns: self.patterns,
                status: self.status,
                stats: stats.clone(),
                seed_index: 0,
            };
            let first = match state.subscribe().await {
                Ok(first) => first,
                Err(e) => {
                    token.cancel();
                    return Err(e);
                }
            };
            state.report(ListenerStatus::Connected);
            let t = token.clone();
            task = Some(tokio::spawn(async move { state.run(first, t).await }));
        } else if let Some(tx) = &self.status {
            let _ = tx.send(ListenerStatus::Connected);
        }
        Ok(Listener {
            token,
            task,
            sharded,
            stats,
        })
    }
}

/// A running listener; dropping it stops it too.
pub struct Listener {
    token: CancellationToken,
    task: Option<JoinHandle<()>>,
    sharded: Option<JoinHandle<()>>,
    stats: Arc<ListenerStats>,
}

impl Listener {
    /// Counters so far (received, undecodable, dropped, reconnects).
    pub fn counts(&self) -> ListenerCounts {
        self.stats.snapshot()
    }

    /// Stops the listener and waits for its task to end (its connection is closed).
    pub async fn stop(mut self) {
        self.token.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
        if let Some(task) = self.sharded.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

struct ListenerTask {
    cfg: RedisConfig,
    opts: ListenerOptions,
    channels: HashMap<Vec<u8>, mpsc::Sender<Received>>,
    patterns: HashMap<Vec<u8>, mpsc::Sender<Received>>,
    status: Option<mpsc::UnboundedSender<ListenerStatus>>,
    stats: Arc<ListenerStats>,
    seed_index: usize,
}

impl ListenerTask {
    fn report(&self, s: ListenerStatus) {
        if let Some(tx) = &self.status {
            let _ = tx.send(s);
        }
    }

    /// The server to subscribe on: the master for Sentinel, the next seed node for a Cluster
    /// (plain pub/sub messages reach every node of a Cluster).
    async fn target(&mut self) -> Result<RedisConfig> {
        match &self.cfg.topology {
            Topology::Sentinel { .. } => conn::resolve_sentinel_master(&self.cfg).await,
            Topology::Cluster { nodes } if !nodes.is_empty() => {
                let (host, port) = nodes[self.seed_index % nodes.len()].clone();
                self.seed_index = self.seed_index.wrapping_add(1);
                let mut c = self.cfg.clone();
                c.topology = Topology::Standalone;
                c.endpoint = match &self.cfg.endpoint {
                    crate::config::Endpoint::Tls { insecure, .. } => crate::config::Endpoint::Tls {
                        host,
                        port,
                        insecure: *insecure,
                    },
                    _ => crate::config::Endpoint::Tcp { host, port },
                };
                Ok(c)
            }
            _ => Ok(self.cfg.clone()),
        }
    }

    /// Opens a pub/sub connection and subscribes to everything, within the connect timeouts.
    async fn subscribe(&mut self) -> Result<redis::aio::PubSub> {
        let target = self.target().await?;
        let limit = target.connect_timeout + target.response_timeout;
        let channels: Vec<Vec<u8>> = self.channels.keys().cloned().collect();
        let patterns: Vec<Vec<u8>> = self.patterns.keys().cloned().collect();
        let attempt = async {
            let mut ps = conn::client(&target).await?.get_async_pubsub().await?;
            if !channels.is_empty() {
                ps.subscribe(&channels).await?;
            }
            if !patterns.is_empty() {
                ps.psubscribe(&patterns).await?;
            }
            Ok::<_, Error>(ps)
        };
        match tokio::time::timeout(limit, attempt).await {
            Ok(r) => r,
            Err(_) => Err(Error::Timeout(limit)),
        }
    }

    async fn run(mut self, first: redis::aio::PubSub, stop: CancellationToken) {
        let mut current = Some(first);
        loop {
            let Some(ps) = current.take() else { break };
            let error = self.pump(ps, &stop).await;
            if stop.is_cancelled() {
                break;
            }
            let lost_at = Instant::now();
            tracing::warn!(%error, "pub/sub listener lost its connection; re-subscribing");
            self.report(ListenerStatus::Disconnected { error });
            let mut attempts = 0u32;
            let mut delay = self.opts.backoff_min;
            loop {
                attempts += 1;
                tokio::select! {
                    _ = stop.cancelled() => return,
                    r = self.subscribe() => match r {
                        Ok(ps) => {
                            let outage = lost_at.elapsed();
                            self.stats.reconnects.fetch_add(1, Ordering::Relaxed);
                            tracing::info!(?outage, attempts, "pub/sub listener re-subscribed");
                            self.report(ListenerStatus::Resubscribed { outage, attempts });
                            current = Some(ps);
                            break;
                        }
                        Err(e) => tracing::debug!(attempts, "pub/sub reconnect failed: {e}"),
                    }
                }
                let jittered = delay.mul_f64(rand::rng().random_range(0.5..=1.0));
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(jittered) => {}
                }
                delay = (delay * 2).min(self.opts.backoff_max);
            }
        }
    }

    /// Delivers messages until the connection breaks (returns why) or `stop` is cancelled.
    async fn pump(&mut self, ps: redis::aio::PubSub, stop: &CancellationToken) -> String {
        let (mut sink, mut stream) = ps.split();
        let mut ping = tokio::time::interval(self.opts.ping_interval);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ping.tick().await;
        let ping_timeout = self.cfg.response_timeout;
        loop {
            tokio::select! {
                _ = stop.cancelled() => return "stopped".into(),
                msg = stream.next() => match msg {
                    Some(msg) => self.deliver(&msg),
                    None => return "connection closed".into(),
                },
                _ = ping.tick() => {
                    match tokio::time::timeout(ping_timeout, sink.ping::<redis::Value>()).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(e)) => return format!("ping failed: {e}"),
                        Err(_) => return format!("no answer to PING within {ping_timeout:?}"),
                    }
                }
            }
        }
    }

    fn deliver(&self, msg: &redis::Msg) {
        self.stats.received.fetch_add(1, Ordering::Relaxed);
        let channel_bytes: Vec<u8> = msg.get_channel().unwrap_or_default();
        let pattern: Option<Vec<u8>> = msg.get_pattern().unwrap_or(None);
        let payload = msg.get_payload_bytes().to_vec();
        let body = Body::decode(&payload);
        if let Body::Undecodable { reason } = &body {
            self.stats.undecodable.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(channel = %String::from_utf8_lossy(&channel_bytes), %reason,
                "pub/sub payload did not decode; delivered raw");
        }
        let tx = match &pattern {
            Some(p) => self.patterns.get(p),
            None => self.channels.get(&channel_bytes),
        };
        let Some(tx) = tx else {
            return;
        };
        let received = Received {
            channel: String::from_utf8_lossy(&channel_bytes).into_owned(),
            pattern: pattern.map(|p| String::from_utf8_lossy(&p).into_owned()),
            payload,
            body,
        };
        if tx.try_send(received).is_err() {
            self.stats.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}
