//! Market data on Redis Streams: [`MarketDataStream`] publishes [`MarketTick`]s with `XADD MAXLEN ~`
//! (one pipeline per batch), manages consumer groups, replays history by id or time in `XRANGE`
//! pages, and reports lag and pending counts; [`consumer`] runs the group consumer loop.
//!
//! Entries are flat string fields (`symbol`, `price`, `bid`, `ask`, `volume`, `timestamp`, extras),
//! so producers and consumers in other languages (redis-py) read and write the same stream.
//! Delivery is at least once: an entry is acknowledged only after its handler succeeded, and
//! entries left pending by a dead consumer are taken over with `XAUTOCLAIM`.

pub mod consumer;
pub mod entry;
pub mod tick;

use std::time::Duration;

use chrono::{DateTime, Utc};
use redis::Value;
use serde::Serialize;

pub use consumer::{run_consumer, Consumer, ConsumerOptions, ConsumerStats, MalformedPolicy};
pub use entry::{RawEntry, StreamId};
pub use tick::{MarketTick, TickDecodeError};

use crate::config::{Endpoint, RedisConfig, Topology};
use crate::conn::{self, Conn};
use crate::error::{Error, Result};

/// The market stream's name, as the Python services use it (the layout's [`crate::market::layout::MARKET_STREAM`]).
pub const DEFAULT_STREAM: &str = crate::market::layout::MARKET_STREAM_KEY;
/// Default bound on the stream's length (`MAXLEN ~`): about 100,000 entries are kept.
pub const DEFAULT_MAXLEN: usize = 100_000;
/// Default `COUNT` of one `XRANGE` page when replaying.
pub const DEFAULT_PAGE: usize = 1_000;

/// A decoded tick and the id of the entry it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamTick {
    /// The entry id (`<ms>-<seq>`), what gets acknowledged.
    pub id: String,
    /// The tick.
    pub tick: MarketTick,
}

/// An entry that is not a valid tick: its id, what is wrong, and its raw fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MalformedEntry {
    /// The entry id.
    pub id: String,
    /// Why it could not be decoded.
    pub error: TickDecodeError,
    /// The fields as stored.
    pub fields: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Decodes a raw entry (an entry deleted while pending has no fields and is malformed).
pub fn decode(entry: RawEntry) -> std::result::Result<StreamTick, MalformedEntry> {
    let ms = entry.id_ms();
    match entry.fields {
        Some(fields) => match MarketTick::from_fields(&fields, ms) {
            Ok(tick) => Ok(StreamTick { id: entry.id, tick }),
            Err(error) => Err(MalformedEntry {
                id: entry.id,
                error,
                fields,
            }),
        },
        None => Err(MalformedEntry {
            id: entry.id,
            error: TickDecodeError {
                field: None,
                reason: "entry was deleted from the stream".into(),
            },
            fields: Vec::new(),
        }),
    }
}

/// Where a replay starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayFrom {
    /// The oldest entry still in the stream.
    Start,
    /// Entries at or after this id.
    Id(String),
    /// Entries strictly after this id (how a page's `next` continues).
    After(String),
    /// Entries added at or after this time (by the id's millisecond part).
    Time(DateTime<Utc>),
}

impl ReplayFrom {
    fn start_id(&self) -> Result<String> {
        match self {
            ReplayFrom::Start => Ok("-".into()),
            ReplayFrom::Id(id) => Ok(parse_id(id)?.to_string()),
            ReplayFrom::After(id) => Ok(format!("({}", parse_id(id)?)),
            ReplayFrom::Time(t) => Ok(format!("{}-0", t.timestamp_millis().max(0))),
        }
    }
}

fn parse_id(id: &str) -> Result<StreamId> {
    StreamId::parse(id).ok_or_else(|| Error::InvalidInput(format!("not a stream id: {id:?}")))
}

/// One page of a replay: decoded ticks and malformed entries in stream order, and where the
/// next page starts (`None` at the end of the requested range).
#[derive(Debug, Clone, Serialize)]
pub struct ReplayPage {
    /// Entries of this page in id order.
    pub entries: Vec<std::result::Result<StreamTick, MalformedEntry>>,
    /// The id to pass as [`ReplayFrom::After`] for the next page.
    pub next: Option<String>,
}

/// One consumer group, from `XINFO GROUPS`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupInfo {
    /// Group name.
    pub name: String,
    /// Consumers known to the group.
    pub consumers: u64,
    /// Entries delivered and not yet acknowledged.
    pub pending: u64,
    /// The last id delivered to the group.
    pub last_delivered_id: String,
    /// Entries the group has read (Redis 7+).
    pub entries_read: Option<u64>,
    /// Entries not yet delivered to the group (Redis 7+; `None` when the server cannot tell).
    pub lag: Option<u64>,
}

/// A group's pending entries, from the `XPENDING` summary.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct PendingSummary {
    /// Entries delivered and not acknowledged.
    pub count: u64,
    /// Smallest pending id.
    pub min_id: Option<String>,
    /// Largest pending id.
    pub max_id: Option<String>,
    /// Pending entries per consumer name.
    pub consumers: Vec<(String, u64)>,
}

/// One pending entry of a group, from the extended `XPENDING` form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PendingEntry {
    /// The entry id.
    pub id: String,
    /// The consumer that holds it.
    pub consumer: String,
    /// Milliseconds since it was last delivered.
    pub idle_ms: u64,
    /// How many times it has been delivered.
    pub deliveries: u64,
}

/// The result of one `XAUTOCLAIM` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoClaim {
    /// The cursor for the next call; `0-0` when the pending list was walked to its end.
    pub next: String,
    /// Entries now owned by the claiming consumer.
    pub entries: Vec<RawEntry>,
    /// Pending ids whose entries were deleted from the stream (dropped from the pending list).
    pub deleted: Vec<String>,
}

/// A market data stream: publishing, consumer groups, replay and telemetry on one stream key.
#[derive(Clone)]
pub struct MarketDataStream {
    conn: Conn,
    cfg: RedisConfig,
    name: String,
    maxlen: Option<usize>,
}

impl MarketDataStream {
    /// A handle on stream `name` over `conn`; `cfg` (the same deployment) opens the consumers'
    /// dedicated blocking connections. Length bound: [`DEFAULT_MAXLEN`].
    pub fn new(conn: Conn, cfg: RedisConfig, name: impl Into<String>) -> Self {
        MarketDataStream {
            conn,
            cfg,
            name: name.into(),
            maxlen: Some(DEFAULT_MAXLEN),
        }
    }

    /// Connects to `cfg` and returns a handle on stream `name`.
    pub async fn connect(cfg: &RedisConfig, name: impl Into<String>) -> Result<Self> {
        Ok(Self::new(Conn::connect(cfg).await?, cfg.clone(), name))
    }

    /// Bounds the stream to about `maxlen` entries (`MAXLEN ~`); `None` keeps everything.
    pub fn with_maxlen(mut self, maxlen: Option<usize>) -> Self {
        self.maxlen = maxlen;
        self
    }

    /// The stream key.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The length bound applied on publish.
    pub fn maxlen(&self) -> Option<usize> {
        self.maxlen
    }

    /// The shared connection.
    pub fn conn(&self) -> &Conn {
        &self.conn
    }

    fn xadd(&self, tick: &MarketTick) -> Result<redis::Cmd> {
        tick.validate()
            .map_err(|e| Error::InvalidInput(format!("tick: {e}")))?;
        let mut cmd = redis::cmd("XADD");
        cmd.arg(&self.name);
        if let Some(n) = self.maxlen {
            cmd.arg("MAXLEN").arg("~").arg(n);
        }
        cmd.arg("*");
        tick.each_field(|k, v| {
            cmd.arg(k).arg(v);
        });
        Ok(cmd)
    }

    /// Appends one tick; returns its entry id.
    pub async fn publish(&self, tick: &MarketTick) -> Result<String> {
        let cmd = self.xadd(tick)?;
        let mut c = self.conn.clone();
        Ok(cmd.query_async(&mut c).await?)
    }

    /// Appends a quote for `symbol` stamped now (the Python services' `publish_quote`); returns its id.
    pub async fn publish_quote(
        &self,
        symbol: &str,
        price: f64,
        bid: Option<f64>,
        ask: Option<f64>,
    ) -> Result<String> {
        let mut tick = MarketTick::new(symbol, price);
        tick.bid = bid;
        tick.ask = ask;
        self.publish(&tick).await
    }

    /// Appends all `ticks` in one pipeline, in order; returns their ids. Every tick is validated
    /// first, so a bad one rejects the batch before anything is written.
    pub async fn publish_batch(&self, ticks: &[MarketTick]) -> Result<Vec<String>> {
        if ticks.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = redis::Pipeline::with_capacity(ticks.len());
        for t in ticks {
            pipe.add_command(self.xadd(t)?);
        }
        let mut c = self.conn.clone();
        Ok(pipe.query_async(&mut c).await?)
    }

    /// Number of entries in the stream (`XLEN`).
    pub async fn len(&self) -> Result<u64> {
        let mut c = self.conn.clone();
        Ok(redis::cmd("XLEN")
            .arg(&self.name)
            .query_async(&mut c)
            .await?)
    }

    /// Trims to about `maxlen` entries now; returns how many were removed.
    pub async fn trim(&self, maxlen: usize) -> Result<u64> {
        let mut c = self.conn.clone();
        Ok(redis::cmd("XTRIM")
            .arg(&self.name)
            .arg("MAXLEN")
            .arg("~")
            .arg(maxlen)
            .query_async(&mut c)
            .await?)
    }

    /// Creates consumer group `group` (and the stream, `MKSTREAM`) delivering entries after
    /// `start_id` (`$`: only new ones, `0`: the whole history). Returns false when the group
    /// already existed (`BUSYGROUP` is success).
    pub async fn ensure_group(&self, group: &str, start_id: &str) -> Result<bool> {
        let mut c = self.conn.clone();
        let r: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&self.name)
            .arg(group)
            .arg(start_id)
            .arg("MKSTREAM")
            .query_async(&mut c)
            .await;
        match r {
            Ok(()) => Ok(true),
            Err(e) if e.code() == Some("BUSYGROUP") => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes consumer group `group`; returns whether it existed.
    pub async fn destroy_group(&self, group: &str) -> Result<bool> {
        let mut c = self.conn.clone();
        let n: i64 = redis::cmd("XGROUP")
            .arg("DESTROY")
            .arg(&self.name)
            .arg(group)
            .query_async(&mut c)
            .await?;
        Ok(n > 0)
    }

    /// Acknowledges `ids` for `group`; returns how many were pending.
    pub async fn ack(&self, group: &str, ids: &[String]) -> Result<u64> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut c = self.conn.clone();
        Ok(redis::cmd("XACK")
            .arg(&self.name)
            .arg(group)
            .arg(ids)
            .query_async(&mut c)
            .await?)
    }

    /// One `XAUTOCLAIM` page: takes over for `consumer` up to `count` entries of `group` idle for
    /// at least `min_idle`, scanning the pending list from `cursor` (`0-0` to start).
    pub async fn autoclaim(
        &self,
        group: &str,
        consumer: &str,
        min_idle: Duration,
        cursor: &str,
        count: usize,
    ) -> Result<AutoClaim> {
        let mut c = self.conn.clone();
        let v: Value = redis::cmd("XAUTOCLAIM")
            .arg(&self.name)
            .arg(group)
            .arg(consumer)
            .arg(min_idle.as_millis() as u64)
            .arg(cursor)
            .arg("COUNT")
            .arg(count.max(1))
            .query_async(&mut c)
            .await?;
        let (next, entries, deleted) = entry::parse_autoclaim(&v)?;
        Ok(AutoClaim {
            next,
            entries,
            deleted,
        })
    }

    /// Raw entries with ids in `[start, end]` (`-`/`+` for the ends, `(id` exclusive), at most `count`.
    pub async fn range(&self, start: &str, end: &str, count: usize) -> Result<Vec<RawEntry>> {
        let mut c = self.conn.clone();
        let v: Value = redis::cmd("XRANGE")
            .arg(&self.name)
            .arg(start)
            .arg(end)
            .arg("COUNT")
            .arg(count.max(1))
            .query_async(&mut c)
            .await?;
        entry::parse_entries(&v)
    }

    /// One replay page of at most `count` entries from `from` up to `until` (inclusive).
    pub async fn replay_page(
        &self,
        from: &ReplayFrom,
        until: Option<DateTime<Utc>>,
        count: usize,
    ) -> Result<ReplayPage> {
        let start = from.start_id()?;
        let end = match until {
            Some(t) => t.timestamp_millis().max(0).to_string(),
            None => "+".into(),
        };
        let count = count.max(1);
        let raw = self.range(&start, &end, count).await?;
        let next = (raw.len() == count).then(|| raw[raw.len() - 1].id.clone());
        Ok(ReplayPage {
            entries: raw.into_iter().map(decode).collect(),
            next,
        })
    }

    /// Replays `[from, until]` page by page (`page` entries per `XRANGE`), calling `f` for each
    /// entry in order; memory stays bounded by one page. Returns the number of entries seen.
    pub async fn replay<F>(
        &self,
        from: ReplayFrom,
        until: Option<DateTime<Utc>>,
        page: usize,
        mut f: F,
    ) -> Result<u64>
    where
        F: FnMut(std::result::Result<StreamTick, MalformedEntry>),
    {
        let mut seen = 0;
        let mut from = from;
        loop {
            let p = self.replay_page(&from, until, page).await?;
            seen += p.entries.len() as u64;
            p.entries.into_iter().for_each(&mut f);
            match p.next {
                Some(id) => from = ReplayFrom::After(id),
                None => return Ok(seen),
            }
        }
    }

    /// Every consumer group of the stream with its lag and pending count (`XINFO GROUPS`).
    pub async fn groups(&self) -> Result<Vec<GroupInfo>> {
        let mut c = self.conn.clone();
        let v: Value = redis::cmd("XINFO")
            .arg("GROUPS")
            .arg(&self.name)
            .query_async(&mut c)
            .await?;
        let Value::Array(groups) = v else {
            return Err(Error::Codec("XINFO GROUPS: not an array".into()));
        };
        let mut out = Vec::with_capacity(groups.len());
        for g in &groups {
            let kv = entry::pairs(g).ok_or_else(|| Error::Codec("XINFO GROUPS entry".into()))?;
            let mut info = GroupInfo {
                name: String::new(),
                consumers: 0,
                pending: 0,
                last_delivered_id: String::new(),
                entries_read: None,
                lag: None,
            };
            for (k, v) in kv {
                let int = match v {
                    Value::Int(i) if *i >= 0 => Some(*i as u64),
                    _ => None,
                };
                match entry::text(k).as_deref() {
                    Some("name") => info.name = entry::text(v).unwrap_or_default(),
                    Some("consumers") => info.consumers = int.unwrap_or(0),
                    Some("pending") => info.pending = int.unwrap_or(0),
                    Some("last-delivered-id") => {
                        info.last_delivered_id = entry::text(v).unwrap_or_default()
                    }
                    Some("entries-read") => info.entries_read = int,
                    Some("lag") => info.lag = int,
                    _ => {}
                }
            }
            out.push(info);
        }
        Ok(out)
    }

    /// The `XPENDING` summary of `group`: how many entries wait for an ack, and by whom.
    pub async fn pending(&self, group: &str) -> Result<PendingSummary> {
        let mut c = self.conn.clone();
        let v: Value = redis::cmd("XPENDING")
            .arg(&self.name)
            .arg(group)
            .query_async(&mut c)
            .await?;
        let Value::Array(parts) = v else {
            return Err(Error::Codec("XPENDING: not an array".into()));
        };
        let count = match parts.first() {
            Some(Value::Int(n)) => (*n).max(0) as u64,
            _ => return Err(Error::Codec("XPENDING: no count".into())),
        };
        let mut consumers = Vec::new();
        if let Some(Value::Array(list)) = parts.get(3) {
            for c in list {
                if let Value::Array(pair) = c {
                    let name = pair.first().and_then(entry::text).unwrap_or_default();
                    let n = pair
                        .get(1)
                        .and_then(entry::text)
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    consumers.push((name, n));
                }
            }
        }
        Ok(PendingSummary {
            count,
            min_id: parts.get(1).and_then(entry::text),
            max_id: parts.get(2).and_then(entry::text),
            consumers,
        })
    }

    /// Up to `count` pending entries of `group` with ids in `[start, end]` (`-`/`+`), optionally
    /// only those held by `consumer`, with idle time and delivery count.
    pub async fn pending_entries(
        &self,
        group: &str,
        start: &str,
        end: &str,
        count: usize,
        consumer: Option<&str>,
    ) -> Result<Vec<PendingEntry>> {
        let mut c = self.conn.clone();
        let mut cmd = redis::cmd("XPENDING");
        cmd.arg(&self.name)
            .arg(group)
            .arg(start)
            .arg(end)
            .arg(count.max(1));
        if let Some(name) = consumer {
            cmd.arg(name);
        }
        let v: Value = cmd.query_async(&mut c).await?;
        let Value::Array(rows) = v else {
            return Err(Error::Codec("XPENDING: not an array".into()));
        };
        let int = |v: Option<&Value>| match v {
            Some(Value::Int(i)) => (*i).max(0) as u64,
            _ => 0,
        };
        rows.iter()
            .map(|r| {
                let Value::Array(f) = r else {
                    return Err(Error::Codec("XPENDING entry".into()));
                };
                Ok(PendingEntry {
                    id: f
                        .first()
                        .and_then(entry::text)
                        .ok_or_else(|| Error::Codec("XPENDING entry id".into()))?,
                    consumer: f.get(1).and_then(entry::text).unwrap_or_default(),
                    idle_ms: int(f.get(2)),
                    deliveries: int(f.get(3)),
                })
            })
            .collect()
    }

    /// A dedicated connection for blocking reads of this stream: for a Cluster, straight to the
    /// master serving the stream's slot; otherwise as [`conn::connect_blocking`].
    pub(crate) async fn blocking_conn(&self) -> Result<redis::aio::MultiplexedConnection> {
        if let Topology::Cluster { .. } = self.cfg.topology {
            let mut c = self.conn.clone();
            let slots: Value = redis::cmd("CLUSTER")
                .arg("SLOTS")
                .query_async(&mut c)
                .await?;
            let slot = conn::key_slot(self.name.as_bytes()) as i64;
            let (host, port) = slot_master(&slots, slot).ok_or_else(|| {
                Error::Connection(format!("no Cluster master serves slot {slot}"))
            })?;
            let mut node = self.cfg.clone();
            node.topology = Topology::Standalone;
            node.endpoint = match &self.cfg.endpoint {
                Endpoint::Tls { insecure, .. } => Endpoint::Tls {
                    host,
                    port,
                    insecure: *insecure,
                },
                _ => Endpoint::Tcp { host, port },
            };
            return conn::connect_blocking(&node).await;
        }
        conn::connect_blocking(&self.cfg).await
    }

    /// Starts a consumer loop in group `opts.group` calling `handler` for every tick; see
    /// [`consumer`]. The group is created (from `opts.start_id`) if missing.
    pub fn spawn_consumer<H, Fut, E>(&self, opts: ConsumerOptions, handler: H) -> Consumer
    where
        H: FnMut(StreamTick) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = std::result::Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        Consumer::spawn(self.clone(), opts, handler)
    }
}

/// The master `(host, port)` serving `slot` in a `CLUSTER SLOTS` reply.
fn slot_master(v: &Value, slot: i64) -> Option<(String, u16)> {
    let Value::Array(ranges) = v else {
        return None;
    };
    ranges.iter().find_map(|r| {
        let Value::Array(f) = r else { return None };
        let (Some(Value::Int(lo)), Some(Value::Int(hi))) = (f.first(), f.get(1)) else {
            return None;
        };
        if slot < *lo || slot > *hi {
            return None;
        }
        let Some(Value::Array(m)) = f.get(2) else {
            return None;
        };
        let host = entry::text(m.first()?)?;
        let Value::Int(port) = m.get(1)? else {
            return None;
        };
        Some((host, u16::try_from(*port).ok()?))
    })
}
