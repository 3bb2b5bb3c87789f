//! Stream viewer: stream keys (`SCAN TYPE stream` on every master), `XINFO` of a stream with its
//! groups and consumers (and lag), entry pages (`XRANGE`/`XREVRANGE`), pending entries with idle
//! times and delivery counts (`XPENDING` extended), and live tails (`XREAD BLOCK` on a dedicated
//! connection) whose entries reach the bus as `stream_entries` events.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::Value;
use serde::{Deserialize, Serialize};
use tokio_util::sync::CancellationToken;

use super::bytes::{Bytes, KeyRef};
use super::events::Publisher;
use super::session::Session;
use super::sync::lock;
use super::task::Task;
use redscope::error::{Error, Result};
use redscope::stream::entry::{self, RawEntry};

/// Default and largest page sizes.
pub const DEFAULT_COUNT: usize = 100;
/// Largest page a caller may ask for.
pub const MAX_COUNT: usize = 10_000;
/// Most tails running at once per service.
pub const MAX_TAILS: usize = 32;
/// Entries read per `XREAD` of a tail.
const TAIL_READ: usize = 1000;
/// Tails emit at most this often.
const TAIL_EVERY: Duration = Duration::from_millis(100);
/// How long one `XREAD` blocks (the tail checks for a stop between reads).
const TAIL_BLOCK_MS: u64 = 1000;

/// A page of stream keys: `{cursor, keys}` (`cursor` "0" when done).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct StreamKeys {
    /// Opaque cursor for the next page, `"0"` when finished.
    pub cursor: String,
    /// Stream keys of this page.
    pub keys: Vec<Bytes>,
}

/// `XINFO STREAM` plus its groups and their consumers.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct StreamInfo {
    /// The key.
    pub key: Bytes,
    /// Entries in the stream.
    pub length: u64,
    /// Id of the first entry.
    pub first_id: Option<String>,
    /// Id of the last entry.
    pub last_id: Option<String>,
    /// `last-generated-id`.
    pub last_generated_id: Option<String>,
    /// Consumer groups.
    pub groups: Vec<GroupInfo>,
}

/// One consumer group.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct GroupInfo {
    /// Group name.
    pub name: String,
    /// Number of consumers.
    pub consumers: u64,
    /// Entries delivered and not acknowledged.
    pub pending: u64,
    /// Last id delivered to the group.
    pub last_delivered_id: String,
    /// Entries not yet delivered to the group (Redis ≥ 7; `None` when unknown).
    pub lag: Option<u64>,
    /// The group's consumers.
    pub consumer_list: Vec<ConsumerInfo>,
}

/// One consumer of a group.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ConsumerInfo {
    /// Consumer name.
    pub name: String,
    /// Its pending entries.
    pub pending: u64,
    /// Milliseconds since it last interacted.
    pub idle_ms: u64,
}

/// One stream entry: `{id, fields: [[field, value]]}`, made from the library's parsed entry
/// (`redscope::stream::RawEntry`) for pages, live tails and the key browser alike.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct StreamEntry {
    /// Entry id (`ms-seq`).
    pub id: String,
    /// Field/value pairs in order.
    pub fields: Vec<(Bytes, Bytes)>,
}

impl From<RawEntry> for StreamEntry {
    fn from(e: RawEntry) -> Self {
        StreamEntry {
            id: e.id,
            // An entry trimmed while pending has no fields left (never in a range or a read).
            fields: e
                .fields
                .unwrap_or_default()
                .iter()
                .map(|(f, v)| (Bytes::new(f), Bytes::new(v)))
                .collect(),
        }
    }
}

/// Entries of an `XRANGE`/`XREVRANGE` reply.
pub(crate) fn range_entries(reply: &Value) -> Result<Vec<StreamEntry>> {
    Ok(entry::parse_entries(reply)?
        .into_iter()
        .map(StreamEntry::from)
        .collect())
}

/// A page of entries; `next` is where the next page starts (inclusive), `None` at the end.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct EntriesPage {
    /// Entries of this page.
    pub entries: Vec<StreamEntry>,
    /// Start (or, reversed, end) id of the next page.
    pub next: Option<String>,
}

/// One pending entry of a group.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct PendingEntry {
    /// Entry id.
    pub id: String,
    /// Consumer holding it.
    pub consumer: String,
    /// Milliseconds since it was last delivered.
    pub idle_ms: u64,
    /// How many times it was delivered.
    pub deliveries: u64,
}

/// Query of `stream_entries`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct EntriesQuery {
    /// The stream.
    #[serde(flatten)]
    pub key: KeyRef,
    /// First id (default `-`).
    pub start: Option<String>,
    /// Last id (default `+`).
    pub end: Option<String>,
    /// Page size (default 100).
    pub count: Option<usize>,
    /// Newest first.
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub rev: bool,
}

/// Query of `stream_pending`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct PendingQuery {
    /// The stream.
    #[serde(flatten)]
    pub key: KeyRef,
    /// Consumer group.
    pub group: String,
    /// Most entries (default 100).
    pub count: Option<usize>,
    /// First pending ID of the page (default `-`; `(id` starts after `id`).
    pub start: Option<String>,
    /// Only entries held by this consumer.
    pub consumer: Option<String>,
    /// Only entries idle at least this long.
    pub min_idle_ms: Option<u64>,
}

/// Body of `stream_tail`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct TailRequest {
    /// The stream.
    #[serde(flatten)]
    pub key: KeyRef,
    /// Read entries after this id (default `$`: only new ones).
    pub from: Option<String>,
}

/// `{tail_id}` of a started tail.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct TailStarted {
    /// Id to stop it with.
    pub tail_id: u64,
}

/// Query of `streams`: with a key, that stream's info; without, a page of stream keys.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct StreamsQuery {
    /// The stream, when asking for its info.
    #[serde(flatten)]
    pub key: KeyRef,
    /// Cursor of the key listing.
    pub cursor: Option<String>,
    /// Page size of the key listing.
    pub count: Option<usize>,
}

/// What `streams` answers: a key page, or one stream's info.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(untagged)]
pub enum StreamsReply {
    /// No key given: stream keys.
    Keys(StreamKeys),
    /// A key given: its `StreamInfo`.
    Info(StreamInfo),
}

/// `stream_entries`: new entries of a live-tailed stream.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[schemars(rename = "StreamEntriesEvent")]
#[ts(rename = "StreamEntriesEvent")]
pub struct TailEntries {
    /// The tail that read them.
    pub tail_id: u64,
    /// The stream key.
    pub key: Bytes,
    /// Entries in id order.
    pub entries: Vec<StreamEntry>,
}

/// The stream viewer of one session and its running tails.
pub struct Streams {
    session: Arc<Session>,
    next_tail: AtomicU64,
    tails: Mutex<HashMap<u64, Task>>,
    events: Publisher<TailEntries>,
}

pub(crate) fn page_count(count: Option<usize>) -> Result<usize> {
    match count.unwrap_or(DEFAULT_COUNT) {
        0 => Err(Error::InvalidInput("count must be at least 1".into())),
        n if n > MAX_COUNT => Err(Error::InvalidInput(format!(
            "count must be at most {MAX_COUNT}"
        ))),
        n => Ok(n),
    }
}

pub(crate) fn valid_id(id: &str) -> Result<()> {
    let body = id.strip_prefix('(').unwrap_or(id);
    let parts: Vec<&str> = body.split('-').collect();
    let ok = matches!(id, "-" | "+" | "$")
        || (parts.len() <= 2
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "{id:?} is not a stream id (ms-seq, -, + or $)"
        )))
    }
}

impl Streams {
    pub(crate) fn new(session: Arc<Session>, events: Publisher<TailEntries>) -> Self {
        Streams {
            session,
            next_tail: AtomicU64::new(0),
            tails: Mutex::new(HashMap::new()),
            events,
        }
    }

    /// The session (for the management calls in `stream_admin`).
    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    /// `GET /api/streams`: stream keys without a key, the stream's info with one.
    pub async fn list(&self, q: &StreamsQuery) -> Result<StreamsReply> {
        if !q.key.is_given() {
            Ok(StreamsReply::Keys(
                self.keys(q.cursor.as_deref(), q.count).await?,
            ))
        } else {
            Ok(StreamsReply::Info(self.info(&q.key).await?))
        }
    }

    /// One page of stream keys over every master (`cursor` `"<master>:<cursor>"`, `"0"` first).
    pub async fn keys(&self, cursor: Option<&str>, count: Option<usize>) -> Result<StreamKeys> {
        let count = page_count(count)?;
        let (mut node, mut cur) = match cursor.unwrap_or("0") {
            "0" | "" => (0usize, 0u64),
            c => {
                let (n, k) = c
                    .split_once(':')
                    .ok_or_else(|| Error::InvalidInput(format!("bad cursor {c:?}")))?;
                (
                    n.parse()
                        .map_err(|_| Error::InvalidInput(format!("bad cursor {c:?}")))?,
                    k.parse()
                        .map_err(|_| Error::InvalidInput(format!("bad cursor {c:?}")))?,
                )
            }
        };
        let masters = self.session.conn().await?.masters().await?;
        let mut keys = Vec::new();
        while node < masters.len() && keys.len() < count {
            let mut c = masters[node].conn.clone();
            let (next, page) =
                redscope::keyspace::scan_page(&mut c, cur, "*", count.max(100), Some("stream"))
                    .await?;
            keys.extend(page.iter().map(|k| Bytes::new(k)));
            if next == 0 {
                node += 1;
                cur = 0;
            } else {
                cur = next;
            }
        }
        let cursor = if node >= masters.len() {
            "0".to_string()
        } else {
            format!("{node}:{cur}")
        };
        Ok(StreamKeys { cursor, keys })
    }

    /// `XINFO STREAM`, `XINFO GROUPS` and `XINFO CONSUMERS` of `key`.
    pub async fn info(&self, key: &KeyRef) -> Result<StreamInfo> {
        let key = key.bytes()?;
        let mut c = self.session.conn().await?;
        let kind: String = redis::cmd("TYPE").arg(&key).query_async(&mut c).await?;
        match kind.as_str() {
            "stream" => {}
            "none" => return Err(Error::NotFound(format!("no key {}", Bytes::new(&key).text))),
            other => {
                return Err(Error::InvalidInput(format!(
                    "{} is a {other}, not a stream",
                    Bytes::new(&key).text
                )))
            }
        }
        let info: Value = redis::cmd("XINFO")
            .arg("STREAM")
            .arg(&key)
            .query_async(&mut c)
            .await?;
        let info = fields(info);
        let entry_id = |name: &str| {
            info.get(name).and_then(|v| match v {
                Value::Array(items) => items.first().and_then(text),
                _ => None,
            })
        };
        let mut out = StreamInfo {
            key: Bytes::new(&key),
            length: info.get("length").and_then(number).unwrap_or(0),
            first_id: entry_id("first-entry"),
            last_id: entry_id("last-entry"),
            last_generated_id: info.get("last-generated-id").and_then(text),
            groups: Vec::new(),
        };
        let groups: Vec<Value> = redis::cmd("XINFO")
            .arg("GROUPS")
            .arg(&key)
            .query_async(&mut c)
            .await?;
        for g in groups {
            let g = fields(g);
            let name = g.get("name").and_then(text).unwrap_or_default();
            let consumers: Vec<Value> = redis::cmd("XINFO")
                .arg("CONSUMERS")
                .arg(&key)
                .arg(&name)
                .query_async(&mut c)
                .await?;
            let consumer_list = consumers
                .into_iter()
                .map(|c| {
                    let c = fields(c);
                    ConsumerInfo {
                        name: c.get("name").and_then(text).unwrap_or_default(),
                        pending: c.get("pending").and_then(number).unwrap_or(0),
                        idle_ms: c.get("idle").and_then(number).unwrap_or(0),
                    }
                })
                .collect();
            out.groups.push(GroupInfo {
                consumers: g.get("consumers").and_then(number).unwrap_or(0),
                pending: g.get("pending").and_then(number).unwrap_or(0),
                last_delivered_id: g
                    .get("last-delivered-id")
                    .and_then(text)
                    .unwrap_or_default(),
                lag: g.get("lag").and_then(number),
                name,
                consumer_list,
            });
        }
        Ok(out)
    }

    /// One page of entries (`XRANGE`, or `XREVRANGE` with `rev`).
    pub async fn entries(&self, q: &EntriesQuery) -> Result<EntriesPage> {
        let key = q.key.bytes()?;
        let count = page_count(q.count)?;
        let start = q.start.clone().unwrap_or_else(|| "-".into());
        let end = q.end.clone().unwrap_or_else(|| "+".into());
        valid_id(&start)?;
        valid_id(&end)?;
        let mut cmd = if q.rev {
            let mut c = redis::cmd("XREVRANGE");
            c.arg(&key).arg(&end).arg(&start);
            c
        } else {
            let mut c = redis::cmd("XRANGE");
            c.arg(&key).arg(&start).arg(&end);
            c
        };
        cmd.arg("COUNT").arg(count + 1);
        let mut c = self.session.conn().await?;
        let reply: Value = cmd.query_async(&mut c).await?;
        let mut entries = range_entries(&reply)?;
        let next = if entries.len() > count {
            entries.pop().map(|e| e.id)
        } else {
            None
        };
        Ok(EntriesPage { entries, next })
    }

    /// `XPENDING key group [IDLE ms] start + count [consumer]`: pending entries with their
    /// consumer, idle time and deliveries.
    pub async fn pending(&self, q: &PendingQuery) -> Result<Vec<PendingEntry>> {
        let key = q.key.bytes()?;
        let count = page_count(q.count)?;
        if q.group.is_empty() {
            return Err(Error::InvalidInput("give the consumer `group`".into()));
        }
        let start = q.start.clone().unwrap_or_else(|| "-".into());
        valid_id(&start)?;
        let mut cmd = redis::cmd("XPENDING");
        cmd.arg(&key).arg(&q.group);
        if let Some(idle) = q.min_idle_ms.filter(|&i| i > 0) {
            cmd.arg("IDLE").arg(idle);
        }
        cmd.arg(&start).arg("+").arg(count);
        if let Some(consumer) = q.consumer.as_deref().filter(|c| !c.is_empty()) {
            cmd.arg(consumer);
        }
        let mut c = self.session.conn().await?;
        let reply: Vec<Value> = cmd.query_async(&mut c).await.map_err(|e| {
            if e.code() == Some("NOGROUP") {
                Error::NotFound(format!("no group {:?} on this stream", q.group))
            } else {
                Error::from(e)
            }
        })?;
        reply
            .into_iter()
            .map(|row| match row {
                Value::Array(items) if items.len() >= 4 => Ok(PendingEntry {
                    id: text(&items[0]).unwrap_or_default(),
                    consumer: text(&items[1]).unwrap_or_default(),
                    idle_ms: number(&items[2]).unwrap_or(0),
                    deliveries: number(&items[3]).unwrap_or(0),
                }),
                other => Err(Error::Codec(format!("unexpected XPENDING row {other:?}"))),
            })
            .collect()
    }

    /// Starts a live tail of a stream: new entries (after `from`, default `$`) arrive as
    /// `stream_entries` events, at most 10 batches a second.
    pub async fn tail(&self, req: &TailRequest) -> Result<TailStarted> {
        let key = req.key.bytes()?;
        let from = req.from.clone().unwrap_or_else(|| "$".into());
        valid_id(&from)?;
        self.session.ensure_open("a stream tail")?;
        if lock(&self.tails).len() >= MAX_TAILS {
            return Err(Error::InvalidInput(format!(
                "at most {MAX_TAILS} tails at once: stop one first"
            )));
        }
        let cfg = self.session.active_config();
        let conn = tail_connection(&cfg, &key).await?;
        let tail_id = self.next_tail.fetch_add(1, Ordering::Relaxed) + 1;
        let events = self.events.clone();
        let task = Task::spawn(move |cancel| tail(cfg, conn, key, from, tail_id, events, cancel));
        lock(&self.tails).insert(tail_id, task);
        Ok(TailStarted { tail_id })
    }

    /// Stops a tail; `not_found` when there is no such tail.
    pub async fn tail_stop(&self, tail_id: u64) -> Result<()> {
        let task = lock(&self.tails).remove(&tail_id);
        match task {
            Some(t) => {
                t.stop().await;
                Ok(())
            }
            None => Err(Error::NotFound(format!("no tail {tail_id}"))),
        }
    }

    /// Stops every tail (on a switch of the active connection).
    pub async fn stop_all(&self) {
        let tails: Vec<Task> = lock(&self.tails).drain().map(|(_, t)| t).collect();
        for t in tails {
            t.stop().await;
        }
    }
}

/// A dedicated connection for `XREAD BLOCK` on `key`: in a Cluster, to the master owning the key
/// (found from the MOVED redirect a probe gets).
async fn tail_connection(
    cfg: &redscope::config::RedisConfig,
    key: &[u8],
) -> Result<redis::aio::MultiplexedConnection> {
    use redscope::config::{Endpoint, Topology};
    let mut conn = redscope::conn::connect_blocking(cfg).await?;
    if !matches!(cfg.topology, Topology::Cluster { .. }) {
        return Ok(conn);
    }
    let probe = redis::cmd("EXISTS")
        .arg(key)
        .query_async::<i64>(&mut conn)
        .await;
    let err = match probe {
        Ok(_) => return Ok(conn),
        Err(e) => e,
    };
    let Some((addr, _slot)) = err.redirect_node() else {
        return Err(err.into());
    };
    let (host, port) = addr
        .rsplit_once(':')
        .and_then(|(h, p)| Some((h.trim_matches(['[', ']']).to_string(), p.parse().ok()?)))
        .ok_or_else(|| Error::Codec(format!("bad redirect address {addr:?}")))?;
    let mut node = cfg.clone();
    node.topology = Topology::Standalone;
    node.endpoint = match &cfg.endpoint {
        Endpoint::Tls { insecure, .. } => Endpoint::Tls {
            host,
            port,
            insecure: *insecure,
        },
        _ => Endpoint::Tcp { host, port },
    };
    redscope::conn::connect_blocking(&node).await
}

async fn tail(
    cfg: redscope::config::RedisConfig,
    mut conn: redis::aio::MultiplexedConnection,
    key: Vec<u8>,
    mut last: String,
    tail_id: u64,
    events: Publisher<TailEntries>,
    cancel: CancellationToken,
) {
    let shown = Bytes::new(&key);
    let mut errors = 0u32;
    loop {
        let started = Instant::now();
        let mut cmd = redis::cmd("XREAD");
        cmd.arg("COUNT")
            .arg(TAIL_READ)
            .arg("BLOCK")
            .arg(TAIL_BLOCK_MS)
            .arg("STREAMS")
            .arg(&key)
            .arg(&last);
        let read = cmd.query_async::<Value>(&mut conn);
        let reply = tokio::select! {
            _ = cancel.cancelled() => return,
            r = read => r,
        };
        let read = reply
            .map_err(Error::from)
            .and_then(|v| entry::parse_read_reply(&v));
        match read {
            Ok(entries) => {
                errors = 0;
                if let Some(e) = entries.last() {
                    last = e.id.clone();
                    events.publish(TailEntries {
                        tail_id,
                        key: shown.clone(),
                        entries: entries.into_iter().map(StreamEntry::from).collect(),
                    });
                }
            }
            Err(e) => {
                errors += 1;
                tracing::warn!(tail_id, error = %e, "stream tail read failed");
                let wait = Duration::from_millis(100 * u64::from(errors.min(20)));
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(wait) => {}
                }
                // A dedicated connection does not reconnect by itself: after a connection
                // error (server restarted, network cut) open a new one, from the same `last`.
                if e.is_connection() || e.is_timeout() {
                    let fresh = tokio::select! {
                        _ = cancel.cancelled() => return,
                        c = tail_connection(&cfg, &key) => c,
                    };
                    match fresh {
                        Ok(c) => conn = c,
                        Err(e) => {
                            tracing::debug!(tail_id, error = %e, "stream tail reconnect failed")
                        }
                    }
                }
                continue;
            }
        }
        // At most one batch per TAIL_EVERY; entries meanwhile wait in the stream, not in memory.
        let rest = TAIL_EVERY.saturating_sub(started.elapsed());
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(rest) => {}
        }
    }
}

/// A RESP2 flat `[k, v, k, v]` reply or a RESP3 map -> name -> value.
fn fields(v: Value) -> HashMap<String, Value> {
    match v {
        Value::Array(items) => {
            let mut out = HashMap::new();
            let mut it = items.into_iter();
            while let (Some(k), Some(v)) = (it.next(), it.next()) {
                if let Some(k) = text(&k) {
                    out.insert(k, v);
                }
            }
            out
        }
        Value::Map(pairs) => pairs
            .into_iter()
            .filter_map(|(k, v)| text(&k).map(|k| (k, v)))
            .collect(),
        _ => HashMap::new(),
    }
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

fn number(v: &Value) -> Option<u64> {
    match v {
        Value::Int(i) => u64::try_from(*i).ok(),
        Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        Value::SimpleString(s) => s.parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_read_from_resp2_and_resp3_keep_their_json_shape() {
        let b = |s: &[u8]| Value::BulkString(s.to_vec());
        let resp2 = Value::Array(vec![Value::Array(vec![
            b(b"1-0"),
            Value::Array(vec![b(b"symbol"), b(b"BTC"), b(b"raw"), b(b"\xff")]),
        ])]);
        let resp3 = Value::Array(vec![Value::Array(vec![
            b(b"1-0"),
            Value::Map(vec![(b(b"symbol"), b(b"BTC")), (b(b"raw"), b(b"\xff"))]),
        ])]);
        let expected = serde_json::json!([{
            "id": "1-0",
            "fields": [
                [{"text": "symbol", "b64": "c3ltYm9s"}, {"text": "BTC", "b64": "QlRD"}],
                [{"text": "raw", "b64": "cmF3"}, {"text": "\\xff", "b64": "/w==", "binary": true}]
            ]
        }]);
        for reply in [resp2, resp3] {
            let entries = range_entries(&reply).unwrap();
            assert_eq!(serde_json::to_value(&entries).unwrap(), expected);
        }
        assert!(range_entries(&Value::Nil).unwrap().is_empty());
        assert!(range_entries(&Value::Int(1)).is_err());
    }

    #[test]
    fn ids_are_checked_before_reaching_redis() {
        for ok in ["-", "+", "$", "0", "1-2", "(1-2", "1700000000000-0"] {
            assert!(valid_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a", "1-2-3", "1-", "-1", "1 2"] {
            assert!(valid_id(bad).is_err(), "{bad}");
        }
    }
}
