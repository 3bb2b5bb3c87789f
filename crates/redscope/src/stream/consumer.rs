//! The consumer-group loop: `XREADGROUP ... BLOCK` on a dedicated blocking connection, the handler
//! called for each tick, `XACK` only after it succeeded (a failure leaves the entry pending), and a
//! periodic `XAUTOCLAIM` that takes over entries idle for longer than `claim_idle` (a dead
//! consumer's, or our own failed ones) and handles them like new ones. Malformed entries, and
//! entries delivered more than `max_deliveries` times, are reported and acknowledged or
//! dead-lettered, never fatal. Redis being down (at start or later) is waited out with backoff;
//! a wrong password or a key that is not a stream ends the loop with the error. Stops on a
//! [`CancellationToken`], or when the [`Consumer`] handle is dropped.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use redis::aio::MultiplexedConnection;
use redis::Value;
use serde::Serialize;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{decode, entry, MalformedEntry, MarketDataStream, RawEntry, StreamTick};
use crate::error::{Error, Result};

/// What to do with an entry that does not decode as a tick.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MalformedPolicy {
    /// Log it, count it and acknowledge it (it stays in the stream for inspection).
    Ack,
    /// Copy it to this stream (fields as they were, plus `_dlq_*` fields naming the source
    /// stream, id, group and reason), then acknowledge it.
    DeadLetter(String),
}

/// Options of a consumer loop, builder style.
#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    group: String,
    consumer: String,
    start_id: String,
    block: Duration,
    count: usize,
    claim_idle: Duration,
    claim_interval: Duration,
    malformed: MalformedPolicy,
    max_deliveries: Option<u64>,
}

impl ConsumerOptions {
    /// Consumer `consumer` of group `group`; defaults: group created at `$` if missing, block 2 s,
    /// count 100, claim entries idle for 30 s, checked every 5 s, malformed entries acknowledged.
    pub fn new(group: impl Into<String>, consumer: impl Into<String>) -> Self {
        ConsumerOptions {
            group: group.into(),
            consumer: consumer.into(),
            start_id: "$".into(),
            block: Duration::from_secs(2),
            count: 100,
            claim_idle: Duration::from_secs(30),
            claim_interval: Duration::from_secs(5),
            malformed: MalformedPolicy::Ack,
            max_deliveries: None,
        }
    }

    /// Where a group created by this consumer starts (`$` new entries only, `0` all history).
    pub fn start_id(mut self, id: impl Into<String>) -> Self {
        self.start_id = id.into();
        self
    }

    /// Longest wait of one `XREADGROUP` (at least 1 ms).
    pub fn block(mut self, block: Duration) -> Self {
        self.block = block.max(Duration::from_millis(1));
        self
    }

    /// Entries per read and per claim page.
    pub fn count(mut self, count: usize) -> Self {
        self.count = count.max(1);
        self
    }

    /// How long an entry must sit unacknowledged before this consumer takes it over.
    pub fn claim_idle(mut self, idle: Duration) -> Self {
        self.claim_idle = idle;
        self
    }

    /// How often to look for entries to take over.
    pub fn claim_interval(mut self, every: Duration) -> Self {
        self.claim_interval = every.max(Duration::from_millis(10));
        self
    }

    /// Give up on an entry once it has been delivered more than `n` times (its handler keeps
    /// failing): it is then treated like a malformed entry (acknowledged or dead-lettered).
    /// Default: retry forever.
    pub fn max_deliveries(mut self, n: u64) -> Self {
        self.max_deliveries = Some(n.max(1));
        self
    }

    /// What to do with entries that are not valid ticks (and with those given up on).
    pub fn malformed(mut self, policy: MalformedPolicy) -> Self {
        self.malformed = policy;
        self
    }

    /// The group name.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// The consumer name.
    pub fn consumer(&self) -> &str {
        &self.consumer
    }
}

/// What a consumer loop did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ConsumerStats {
    /// Ticks the handler accepted.
    pub processed: u64,
    /// Entries acknowledged (handled ticks, malformed and dead-lettered entries).
    pub acked: u64,
    /// Handler failures (those entries were left pending).
    pub failed: u64,
    /// Entries taken over from the pending list with `XAUTOCLAIM`.
    pub claimed: u64,
    /// Entries that did not decode as ticks.
    pub malformed: u64,
    /// Entries copied to the dead-letter stream (malformed or given up on).
    pub dead_lettered: u64,
    /// Entries given up on after `max_deliveries` failed deliveries.
    pub given_up: u64,
    /// Redis errors the loop recovered from (reconnects, a recreated group).
    pub errors: u64,
}

#[derive(Default)]
struct Counters {
    processed: AtomicU64,
    acked: AtomicU64,
    failed: AtomicU64,
    claimed: AtomicU64,
    malformed: AtomicU64,
    dead_lettered: AtomicU64,
    given_up: AtomicU64,
    errors: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> ConsumerStats {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        ConsumerStats {
            processed: g(&self.processed),
            acked: g(&self.acked),
            failed: g(&self.failed),
            claimed: g(&self.claimed),
            malformed: g(&self.malformed),
            dead_lettered: g(&self.dead_lettered),
            given_up: g(&self.given_up),
            errors: g(&self.errors),
        }
    }
}

fn add(a: &AtomicU64, n: u64) {
    a.fetch_add(n, Ordering::Relaxed);
}

/// A running consumer loop. Stop it with [`Consumer::stop`] (finishes the batch in hand and
/// acknowledges it) and collect its stats with [`Consumer::join`]; dropping the handle stops it too.
pub struct Consumer {
    token: CancellationToken,
    counters: Arc<Counters>,
    task: Option<JoinHandle<Result<ConsumerStats>>>,
}

impl Drop for Consumer {
    fn drop(&mut self) {
        self.token.cancel();
    }
}

impl Consumer {
    pub(crate) fn spawn<H, Fut, E>(
        stream: MarketDataStream,
        opts: ConsumerOptions,
        handler: H,
    ) -> Consumer
    where
        H: FnMut(StreamTick) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = std::result::Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        let token = CancellationToken::new();
        let counters = Arc::new(Counters::default());
        let task = tokio::spawn(run(stream, opts, handler, token.clone(), counters.clone()));
        Consumer {
            token,
            counters,
            task: Some(task),
        }
    }

    /// Asks the loop to stop: a blocked read is abandoned at once (entries the server hands out
    /// meanwhile stay pending and are claimed by others); a batch in hand is finished first.
    pub fn stop(&self) {
        self.token.cancel();
    }

    /// The token that stops this loop (to tie it to a wider shutdown).
    pub fn cancellation_token(&self) -> CancellationToken {
        self.token.clone()
    }

    /// The counts so far.
    pub fn stats(&self) -> ConsumerStats {
        self.counters.snapshot()
    }

    /// True once the loop has ended.
    pub fn is_finished(&self) -> bool {
        self.task.as_ref().is_none_or(|t| t.is_finished())
    }

    /// Kills the loop where it stands, like a crashed process: nothing more is acknowledged, and
    /// what it had read stays pending for others to claim.
    pub fn abort(&self) {
        if let Some(t) = &self.task {
            t.abort();
        }
    }

    /// Waits for the loop to end and returns its final counts (an error if it ended on one it
    /// could not recover from, such as a wrong password or a key that is not a stream).
    pub async fn join(mut self) -> Result<ConsumerStats> {
        let Some(task) = self.task.take() else {
            return Ok(self.counters.snapshot());
        };
        match task.await {
            Ok(r) => r,
            Err(e) if e.is_cancelled() => Ok(self.counters.snapshot()),
            Err(e) => Err(Error::Io(std::io::Error::other(format!(
                "consumer task panicked: {e}"
            )))),
        }
    }

    /// [`stop`](Self::stop) then [`join`](Self::join).
    pub async fn stop_and_join(self) -> Result<ConsumerStats> {
        self.stop();
        self.join().await
    }
}

/// Runs a consumer loop in the current task until `token` is cancelled; see the module doc.
pub async fn run_consumer<H, Fut, E>(
    stream: MarketDataStream,
    opts: ConsumerOptions,
    handler: H,
    token: CancellationToken,
) -> Result<ConsumerStats>
where
    H: FnMut(StreamTick) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = std::result::Result<(), E>> + Send + 'static,
    E: std::fmt::Display + 'static,
{
    run(stream, opts, handler, token, Arc::new(Counters::default())).await
}

struct Loop<H> {
    stream: MarketDataStream,
    opts: ConsumerOptions,
    handler: H,
    counters: Arc<Counters>,
}

/// Why one step of the loop did not complete.
enum Fail {
    /// The group (or the stream) is gone: recreate it and go on.
    NoGroup,
    /// Anything else; transient errors are retried with backoff.
    Redis(Error),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Self {
        Fail::Redis(e)
    }
}

impl From<redis::RedisError> for Fail {
    fn from(e: redis::RedisError) -> Self {
        use redis::ServerErrorKind as S;
        if e.code() == Some("NOGROUP") {
            return Fail::NoGroup;
        }
        if let redis::ErrorKind::Server(
            S::Moved | S::Ask | S::TryAgain | S::ClusterDown | S::MasterDown | S::ReadOnly,
        ) = e.kind()
        {
            // The blocking connection's node no longer serves the stream (a failover or a slot
            // move): a transient failure, after which the slot's master is looked up again.
            return Fail::Redis(Error::Connection(format!(
                "the stream's node changed role or slots: {e}"
            )));
        }
        Fail::Redis(e.into())
    }
}

async fn run<H, Fut, E>(
    stream: MarketDataStream,
    opts: ConsumerOptions,
    handler: H,
    token: CancellationToken,
    counters: Arc<Counters>,
) -> Result<ConsumerStats>
where
    H: FnMut(StreamTick) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = std::result::Result<(), E>> + Send + 'static,
    E: std::fmt::Display + 'static,
{
    let mut this = Loop {
        stream,
        opts,
        handler,
        counters,
    };
    let mut group_ready = false;
    let mut blocking: Option<MultiplexedConnection> = None;
    let mut backoff = Backoff::default();
    let mut next_claim = Instant::now();
    tracing::debug!(stream = %this.stream.name(), group = %this.opts.group, consumer = %this.opts.consumer, "consumer started");
    while !token.is_cancelled() {
        let step = async {
            if !group_ready {
                this.stream
                    .ensure_group(&this.opts.group, &this.opts.start_id)
                    .await?;
                group_ready = true;
            }
            if Instant::now() >= next_claim {
                this.claim_round(&token).await?;
                next_claim = Instant::now() + this.opts.claim_interval;
            }
            let conn = match &mut blocking {
                Some(c) => c,
                None => blocking.insert(this.stream.blocking_conn().await?),
            };
            let until_claim = next_claim.saturating_duration_since(Instant::now());
            let block = this
                .opts
                .block
                .min(until_claim)
                .max(Duration::from_millis(1));
            let mut cmd = redis::cmd("XREADGROUP");
            cmd.arg("GROUP")
                .arg(&this.opts.group)
                .arg(&this.opts.consumer)
                .arg("COUNT")
                .arg(this.opts.count)
                .arg("BLOCK")
                .arg(block.as_millis() as u64)
                .arg("STREAMS")
                .arg(this.stream.name())
                .arg(">");
            // Bounded even though it blocks: a master that hangs (no socket closes) must not
            // stall the consumer past a failover.
            let limit = block + this.stream.cfg.response_timeout;
            let read = tokio::time::timeout(limit, cmd.query_async::<Value>(conn));
            let reply = tokio::select! {
                biased;
                _ = token.cancelled() => return Ok(()),
                r = read => match r {
                    Ok(r) => r?,
                    Err(_) => return Err(Fail::Redis(Error::Timeout(limit))),
                },
            };
            this.handle(entry::parse_read_reply(&reply)?).await
        };
        match step.await {
            Ok(()) => backoff.reset(),
            Err(Fail::NoGroup) => {
                tracing::warn!(group = %this.opts.group, "consumer group or stream vanished; recreating it");
                add(&this.counters.errors, 1);
                group_ready = false;
                // The node may be one that wrongly believes it serves the stream (a restarted,
                // empty former master of a Cluster): ask for the slot's master again.
                blocking = None;
            }
            Err(Fail::Redis(e)) if e.is_transient() => {
                add(&this.counters.errors, 1);
                blocking = None;
                group_ready = false;
                let wait = backoff.next();
                tracing::warn!(error = %e, retry_in = ?wait, "consumer: Redis unavailable, retrying");
                tokio::select! {
                    _ = token.cancelled() => break,
                    _ = tokio::time::sleep(wait) => {}
                }
            }
            Err(Fail::Redis(e)) => {
                tracing::error!(error = %e, "consumer stopped on an error it cannot recover from");
                return Err(e);
            }
        }
    }
    let stats = this.counters.snapshot();
    tracing::debug!(?stats, consumer = %this.opts.consumer, "consumer stopped");
    Ok(stats)
}

impl<H, Fut, E> Loop<H>
where
    H: FnMut(StreamTick) -> Fut + Send,
    Fut: std::future::Future<Output = std::result::Result<(), E>> + Send + 'static,
    E: std::fmt::Display + 'static,
{
    /// Walks the group's pending list once, taking over and handling entries idle long enough;
    /// entries delivered more than `max_deliveries` times are given up on.
    async fn claim_round(&mut self, token: &CancellationToken) -> std::result::Result<(), Fail> {
        let mut cursor = "0-0".to_string();
        let mut c = self.stream.conn().clone();
        loop {
            let v: Value = redis::cmd("XAUTOCLAIM")
                .arg(self.stream.name())
                .arg(&self.opts.group)
                .arg(&self.opts.consumer)
                .arg(self.opts.claim_idle.as_millis() as u64)
                .arg(&cursor)
                .arg("COUNT")
                .arg(self.opts.count)
                .query_async(&mut c)
                .await?;
            let (next, mut entries, deleted) = entry::parse_autoclaim(&v)?;
            if !entries.is_empty() {
                add(&self.counters.claimed, entries.len() as u64);
                tracing::info!(
                    consumer = %self.opts.consumer,
                    claimed = entries.len(),
                    deleted = deleted.len(),
                    "took over idle pending entries"
                );
                if let Some(max) = self.opts.max_deliveries {
                    entries = self.give_up_on_exhausted(entries, max).await?;
                }
            }
            self.handle(entries).await?;
            cursor = next;
            if cursor == "0-0" || token.is_cancelled() {
                return Ok(());
            }
        }
    }

    /// Splits off claimed entries delivered more than `max` times, disposes of them like
    /// malformed ones, and returns the rest.
    async fn give_up_on_exhausted(
        &mut self,
        entries: Vec<RawEntry>,
        max: u64,
    ) -> std::result::Result<Vec<RawEntry>, Fail> {
        let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
            return Ok(entries);
        };
        let counts: std::collections::HashMap<String, u64> = self
            .stream
            .pending_entries(
                &self.opts.group,
                &first.id,
                &last.id,
                entries.len(),
                Some(&self.opts.consumer),
            )
            .await?
            .into_iter()
            .map(|p| (p.id, p.deliveries))
            .collect();
        let mut keep = Vec::with_capacity(entries.len());
        let mut done = Vec::new();
        for e in entries {
            let n = counts.get(&e.id).copied().unwrap_or(0);
            if n <= max {
                keep.push(e);
                continue;
            }
            add(&self.counters.given_up, 1);
            tracing::error!(id = %e.id, deliveries = n, "giving up on an entry its handler keeps failing");
            if let MalformedPolicy::DeadLetter(dlq) = &self.opts.malformed {
                let bad = MalformedEntry {
                    id: e.id.clone(),
                    error: super::TickDecodeError {
                        field: None,
                        reason: format!("delivered {} times without an ack", n - 1),
                    },
                    fields: e.fields.unwrap_or_default(),
                };
                dead_letter(&self.stream, &self.opts.group, dlq, &bad).await?;
                add(&self.counters.dead_lettered, 1);
            }
            done.push(e.id);
        }
        let acked = self.stream.ack(&self.opts.group, &done).await?;
        add(&self.counters.acked, acked);
        Ok(keep)
    }

    /// Handles one batch: the handler per tick, then one `XACK` for all that succeeded.
    async fn handle(&mut self, entries: Vec<RawEntry>) -> std::result::Result<(), Fail> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut done = Vec::with_capacity(entries.len());
        for e in entries {
            match decode(e) {
                Ok(tick) => {
                    let id = tick.id.clone();
                    match (self.handler)(tick).await {
                        Ok(()) => {
                            add(&self.counters.processed, 1);
                            done.push(id);
                        }
                        Err(err) => {
                            add(&self.counters.failed, 1);
                            tracing::warn!(id = %id, error = %err, "handler failed; entry left pending");
                        }
                    }
                }
                Err(bad) => {
                    add(&self.counters.malformed, 1);
                    tracing::warn!(id = %bad.id, error = %bad.error, "malformed stream entry");
                    if let MalformedPolicy::DeadLetter(dlq) = &self.opts.malformed {
                        // If the copy fails the entry stays pending (claimed again later), and
                        // the ticks handled in this batch are still acknowledged.
                        if let Err(e) = dead_letter(&self.stream, &self.opts.group, dlq, &bad).await
                        {
                            add(&self.counters.errors, 1);
                            tracing::warn!(id = %bad.id, error = %e, "dead-letter copy failed; entry left pending");
                            continue;
                        }
                        add(&self.counters.dead_lettered, 1);
                    }
                    done.push(bad.id);
                }
            }
        }
        let acked = self.stream.ack(&self.opts.group, &done).await?;
        add(&self.counters.acked, acked);
        Ok(())
    }
}

/// Copies a malformed entry to stream `dlq` with `_dlq_*` fields saying where it came from.
async fn dead_letter(
    stream: &MarketDataStream,
    group: &str,
    dlq: &str,
    bad: &MalformedEntry,
) -> Result<()> {
    let mut cmd = redis::cmd("XADD");
    cmd.arg(dlq);
    if let Some(n) = stream.maxlen() {
        cmd.arg("MAXLEN").arg("~").arg(n);
    }
    cmd.arg("*");
    for (k, v) in &bad.fields {
        cmd.arg(k).arg(v);
    }
    cmd.arg("_dlq_stream")
        .arg(stream.name())
        .arg("_dlq_id")
        .arg(&bad.id)
        .arg("_dlq_group")
        .arg(group)
        .arg("_dlq_reason")
        .arg(bad.error.to_string());
    let mut c = stream.conn().clone();
    let _: String = cmd.query_async(&mut c).await?;
    Ok(())
}

/// Exponential backoff from 100 ms to 5 s.
#[derive(Default)]
struct Backoff(u32);

impl Backoff {
    fn next(&mut self) -> Duration {
        let d = Duration::from_millis(100 * (1u64 << self.0.min(6))).min(Duration::from_secs(5));
        self.0 += 1;
        d
    }
    fn reset(&mut self) {
        self.0 = 0;
    }
}
