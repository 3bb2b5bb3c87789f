//! The key browser: `SCAN` pages over every master behind one opaque cursor, per-key metadata
//! (TYPE, PTTL, OBJECT ENCODING, length, MEMORY USAGE) in pipelines, paged value views for every
//! core type with bounded string previews, and edits (each refused in read-only mode).

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::Value;
use serde::{Deserialize, Deserializer, Serialize};

use super::bytes::{decode_b64, escape, key_arg, opt_arg, Bytes, KeyRef};
use super::decode::{decode, Decoded};
use super::session::Session;
use super::streams::{range_entries, StreamEntry};
use super::tree::Trees;
use redscope::conn::Conn;
use redscope::error::{Error, Result};
use redscope::keyspace;
use redscope::market::{layout, Shape};

/// Default page size of listings.
pub const DEFAULT_COUNT: usize = 100;
/// Largest page size of listings.
pub const MAX_COUNT: usize = 10_000;
/// Default string preview size.
pub const DEFAULT_MAX_BYTES: usize = 64 << 10;
/// Largest string preview size.
pub const MAX_MAX_BYTES: usize = 1 << 20;
/// Most keys one `keys_meta` call describes.
pub const MAX_META_KEYS: usize = 1000;
/// A RedisJSON document larger than this (by `JSON.DEBUG MEMORY`) is not fetched whole: the
/// UI reads it by path (`json_get`).
const MAX_JSON_MEMORY: u64 = crate::json_docs::DEFAULT_JSON_BUDGET;
/// Bytes one page of a collection should stay under, judged by the key's average element size.
const PAGE_BUDGET: u64 = 8 << 20;
/// How long one `keys` call keeps scanning to fill its page.
const KEYS_BUDGET: Duration = Duration::from_millis(250);

/// Request of `keys`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct KeysQuery {
    /// Glob pattern (default `*`).
    #[serde(rename = "match")]
    pub pattern: Option<String>,
    /// Only keys of this type.
    #[serde(rename = "type")]
    pub key_type: Option<String>,
    /// Cursor from the previous page (`"0"` or absent to start).
    pub cursor: Option<String>,
    /// Page size hint (default 100, max 10,000).
    pub count: Option<usize>,
}

/// A page of keys; `cursor` is `"0"` when the walk of every master is complete.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct KeyPage {
    /// Opaque cursor of the next page: `"<master-index>:<scan-cursor>"`, `"0"` when done.
    pub cursor: String,
    /// The keys of this page.
    pub keys: Vec<Bytes>,
}

/// Request of `keys_meta`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct KeysMetaRequest {
    /// The keys, base64 (at most 1000).
    pub keys_b64: Vec<String>,
}

/// Type, TTL, encoding and size of one key.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct KeyMeta {
    /// The key.
    pub key: Bytes,
    /// `string`, `hash`, ..., `none` when the key does not exist, or `noperm` when the
    /// connection's ACL user may not access it.
    #[serde(rename = "type")]
    pub key_type: String,
    /// Milliseconds to live; -1 without expiry, -2 when gone.
    pub ttl_ms: i64,
    /// OBJECT ENCODING.
    pub encoding: Option<String>,
    /// Length (strings), cardinality (collections), or bytes of a JSON document
    /// (`JSON.DEBUG MEMORY`).
    pub size: Option<u64>,
    /// MEMORY USAGE in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub memory: Option<u64>,
    /// Cluster only: the key's hash slot (`CLUSTER KEYSLOT`, computed locally).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub slot: Option<u16>,
    /// Cluster only: `host:port` of the master serving that slot.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub node: Option<String>,
    /// The view the UI shows the key in, when it is one of the library's data shapes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub shape: Option<Shape>,
}

/// Request of `key`: which key and which page of its value.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct KeyQuery {
    /// The key as UTF-8 text.
    pub key: Option<String>,
    /// The key as base64.
    pub key_b64: Option<String>,
    /// Lists, sorted sets: index of the first item; strings: first byte of the preview.
    pub offset: Option<u64>,
    /// Hashes, sets: HSCAN/SSCAN cursor; streams: first entry ID (`-` by default).
    pub cursor: Option<String>,
    /// Page size (default 100, max 10,000).
    pub count: Option<usize>,
    /// String preview size (default 64 KiB, max 1 MiB).
    pub max_bytes: Option<usize>,
}

/// A key, its metadata and one page of its value.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct KeyValue {
    /// The key.
    pub key: Bytes,
    /// Its type (`none` after an edit removed it).
    #[serde(rename = "type")]
    pub key_type: String,
    /// Milliseconds to live (-1 none, -2 gone).
    pub ttl_ms: i64,
    /// OBJECT ENCODING.
    pub encoding: Option<String>,
    /// Length or cardinality.
    pub size: Option<u64>,
    /// MEMORY USAGE in bytes (absent when the server refuses it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub memory: Option<u64>,
    /// The view the UI shows the key in, when it is one of the library's data shapes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub shape: Option<Shape>,
    /// The page of the value, shaped by type.
    pub value: ValueView,
}

/// One page of a value, by type.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(untagged)]
pub enum ValueView {
    /// A string: a `GETRANGE` preview of at most `max_bytes`.
    String {
        length: u64,
        offset: u64,
        preview: Bytes,
        truncated: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        #[ts(optional)]
        decoded: Option<Decoded>,
    },
    /// A hash: one HSCAN page.
    Hash {
        cursor: String,
        fields: Vec<FieldValue>,
    },
    /// A list: one LRANGE window.
    List {
        offset: u64,
        items: Vec<Bytes>,
        next: Option<u64>,
    },
    /// A set: one SSCAN page.
    Set { cursor: String, members: Vec<Bytes> },
    /// A sorted set: one ZRANGE window, with scores.
    Zset {
        offset: u64,
        members: Vec<ScoredMember>,
        next: Option<u64>,
    },
    /// A stream: one XRANGE page; `next` is the start of the following page.
    Stream {
        entries: Vec<StreamEntry>,
        next: Option<String>,
    },
    /// A RedisJSON document (`null` and `truncated` when too large to fetch).
    Json {
        json: serde_json::Value,
        truncated: bool,
    },
    /// A Bloom, Cuckoo, Count-Min or Top-K key: its INFO (check and add with `prob_op`).
    Probabilistic {
        probabilistic: crate::probabilistic::ProbInfo,
    },
    /// A type the browser does not page (other module types); `none` when the key is gone.
    Unsupported { unsupported: String },
}

/// A hash field and its value.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct FieldValue {
    pub field: Bytes,
    pub value: Bytes,
    /// The field's own TTL in ms (-1: none); only on servers with per-field TTLs (Redis ≥ 7.4).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ttl_ms: Option<i64>,
}

/// A sorted-set member and its score.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ScoredMember {
    pub member: Bytes,
    pub score: f64,
}

/// What an edit does.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum EditOp {
    Set,
    Hset,
    Hdel,
    /// Give hash field `field` its own TTL of `ttl_ms` (HPEXPIRE; Redis ≥ 7.4).
    Hexpire,
    /// Remove hash field `field`'s own TTL (HPERSIST; Redis ≥ 7.4).
    Hpersist,
    Lpush,
    Rpush,
    Lset,
    Lrem,
    /// Insert `value` before (or, with `after: true`, after) the first `pivot`.
    Linsert,
    Lpop,
    Rpop,
    /// Rename hash field `field` to `new_field` (refused when it exists, unless `overwrite`).
    Hrename,
    /// Overwrite the string's bytes from `offset` with `value` (SETRANGE).
    Setrange,
    Sadd,
    Srem,
    /// Replace set member `member` by `new_member` (refused when it exists).
    Srename,
    Zadd,
    Zrem,
    /// Replace sorted-set member `member` by `new_member`, keeping its score (refused when the
    /// new member exists, unless `overwrite`).
    Zrename,
    Xadd,
    Xdel,
}

/// Request of `key_set`: one edit of one key.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct KeyEdit {
    pub key: Option<String>,
    pub key_b64: Option<String>,
    /// The edit.
    pub op: EditOp,
    pub value: Option<String>,
    pub value_b64: Option<String>,
    pub field: Option<String>,
    pub field_b64: Option<String>,
    pub member: Option<String>,
    pub member_b64: Option<String>,
    /// `lset`: the index.
    pub index: Option<i64>,
    /// `lrem`: how many occurrences to remove: n > 0 the first n from the head, n < 0 the
    /// first |n| from the tail, 0 every one (default 1).
    pub count: Option<i64>,
    /// `linsert`: the item to insert next to.
    pub pivot: Option<String>,
    pub pivot_b64: Option<String>,
    /// `linsert`: insert after the pivot instead of before it.
    pub after: Option<bool>,
    /// `hrename`: the field's new name.
    pub new_field: Option<String>,
    pub new_field_b64: Option<String>,
    /// `srename` / `zrename`: the member's new value.
    pub new_member: Option<String>,
    pub new_member_b64: Option<String>,
    /// `hrename` / `zrename`: replace an existing field or member of the new name.
    pub overwrite: Option<bool>,
    /// `setrange`: the first byte to overwrite.
    pub offset: Option<u64>,
    /// `zadd`: the score.
    pub score: Option<f64>,
    /// `set`: a TTL in ms (without it an existing TTL is kept); `hexpire`: the field's TTL.
    pub ttl_ms: Option<u64>,
    /// `xadd`: field/value pairs.
    pub fields: Option<Vec<(String, String)>>,
    /// `xdel`: the entry ID.
    pub id: Option<String>,
}

/// Request of `key_ttl`: `ttl_ms: null` removes the expiry.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[schemars(transform = ttl_ms_required)]
#[ts(optional_fields)]
pub struct KeyTtl {
    pub key: Option<String>,
    pub key_b64: Option<String>,
    /// Milliseconds to live, or `null` for PERSIST (the field is required).
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<u64>")]
    #[ts(type = "number | null")]
    pub ttl_ms: Option<Option<u64>>,
}

/// Request of `key_rename`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct KeyRename {
    pub key: Option<String>,
    pub key_b64: Option<String>,
    pub new_key: Option<String>,
    pub new_key_b64: Option<String>,
    /// Replace an existing key of the new name (RENAME instead of RENAMENX).
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub overwrite: bool,
}

/// Reply of `key_delete`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Deleted {
    pub deleted: u64,
}

/// Reply of `key_ttl`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct TtlReply {
    pub ttl_ms: i64,
}

/// Reply of `key_rename`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Renamed {
    pub key: Bytes,
}

/// `KeyTtl`'s schema: `ttl_ms` is required (`key_ttl` refuses a missing one); serde's
/// `default` is only how `present` tells a missing field from `null`.
fn ttl_ms_required(schema: &mut schemars::Schema) {
    let o = schema.ensure_object();
    if let Some(p) = o
        .get_mut("properties")
        .and_then(|p| p.get_mut("ttl_ms"))
        .and_then(|p| p.as_object_mut())
    {
        p.remove("default");
    }
    let required = o.entry("required").or_insert_with(|| serde_json::json!([]));
    if let Some(r) = required.as_array_mut() {
        r.push("ttl_ms".into());
    }
}

fn present<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Option<u64>>, D::Error> {
    Option::<u64>::deserialize(d).map(Some)
}

/// The key browser of one session (see the module doc).
pub struct Browser {
    pub(crate) session: Arc<Session>,
    /// Edits make cached tree counts stale.
    pub(crate) trees: Arc<Trees>,
}

impl Browser {
    pub(crate) fn new(session: Arc<Session>, trees: Arc<Trees>) -> Self {
        Browser { session, trees }
    }

    /// One page of keys matching `match` (and `type`), walking every master in turn.
    pub async fn keys(&self, q: KeysQuery) -> Result<KeyPage> {
        let count = count_arg(q.count)?;
        if let Some(t) = &q.key_type {
            check_type_name(t)?;
        }
        let pattern = q
            .pattern
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "*".into());
        let (mut node, mut cursor) = parse_cursor(q.cursor.as_deref())?;
        let masters = self.session.conn().await?.masters().await?;
        if node >= masters.len() {
            return Err(Error::InvalidInput(format!(
                "the cursor names master {node} but there are {} (the topology changed): start again from cursor 0",
                masters.len()
            )));
        }
        let deadline = Instant::now() + KEYS_BUDGET;
        let mut keys = Vec::new();
        let done = loop {
            let mut c = masters[node].conn.clone();
            let (next, page) =
                keyspace::scan_page(&mut c, cursor, &pattern, count, q.key_type.as_deref()).await?;
            keys.extend(page);
            if next == 0 {
                node += 1;
                cursor = 0;
                if node == masters.len() {
                    break true;
                }
            } else {
                cursor = next;
            }
            if keys.len() >= count || Instant::now() >= deadline {
                break false;
            }
        };
        Ok(KeyPage {
            cursor: if done {
                "0".into()
            } else {
                format!("{node}:{cursor}")
            },
            keys: keys.iter().map(|k| Bytes::new(k)).collect(),
        })
    }

    /// TYPE, PTTL, OBJECT ENCODING, length and MEMORY USAGE of up to 1000 keys, in two pipelines.
    pub async fn keys_meta(&self, req: KeysMetaRequest) -> Result<Vec<KeyMeta>> {
        if req.keys_b64.len() > MAX_META_KEYS {
            return Err(Error::InvalidInput(format!(
                "at most {MAX_META_KEYS} keys per call ({} given)",
                req.keys_b64.len()
            )));
        }
        let keys = req
            .keys_b64
            .iter()
            .map(|k| decode_b64(k, "keys_b64"))
            .collect::<Result<Vec<_>>>()?;
        let mut c = self.session.conn().await?;
        let mut metas = meta_of(&mut c, &keys, true).await?;
        let slots = c.slot_map().await?;
        if !slots.is_empty() {
            for (m, k) in metas.iter_mut().zip(&keys) {
                let slot = redscope::conn::key_slot(k);
                m.slot = Some(slot);
                m.node = redscope::conn::slot_owner(&slots, slot).map(str::to_string);
            }
        }
        Ok(metas)
    }

    /// A key's metadata and one page of its value.
    pub async fn key(&self, q: KeyQuery) -> Result<KeyValue> {
        let key = key_arg(q.key.as_deref(), q.key_b64.as_deref(), "key")?;
        match self.key_value(&key, &q).await? {
            Some(v) => Ok(v),
            None => Err(Error::NotFound(format!(
                "key {:?} does not exist",
                escape(&key)
            ))),
        }
    }

    pub(crate) async fn key_value(&self, key: &[u8], q: &KeyQuery) -> Result<Option<KeyValue>> {
        let count = count_arg(q.count)?;
        let max_bytes = match q.max_bytes {
            None => DEFAULT_MAX_BYTES,
            Some(n) if (1..=MAX_MAX_BYTES).contains(&n) => n,
            Some(n) => {
                return Err(Error::InvalidInput(format!(
                    "max_bytes must be 1 to {MAX_MAX_BYTES} ({n} given)"
                )))
            }
        };
        let mut c = self.session.conn().await?;
        let Some(meta) = meta_of(&mut c, &[key.to_vec()], true).await?.pop() else {
            return Ok(None);
        };
        if meta.key_type == "none" {
            return Ok(None);
        }
        if meta.key_type == "noperm" {
            return Err(Error::Server {
                code: Some("NOPERM".into()),
                message: format!(
                    "NOPERM this user has no permissions to access the key {:?}",
                    escape(key)
                ),
            });
        }
        let offset = q.offset.unwrap_or(0);
        // Collections: every element cut on the server to the preview size (see `cut`); the
        // plain commands below remain for servers that refuse scripts.
        let cut = super::cut::view(&mut c, &meta, key, q, offset, count, max_bytes);
        if let Some(mut value) = cut.await? {
            super::field_ttl::fill(&self.session, &mut c, key, &mut value).await?;
            return Ok(Some(KeyValue {
                key: meta.key,
                key_type: meta.key_type,
                ttl_ms: meta.ttl_ms,
                encoding: meta.encoding,
                size: meta.size,
                memory: meta.memory,
                shape: meta.shape,
                value,
            }));
        }
        let count = page_count(count, &meta);
        let mut value = match meta.key_type.as_str() {
            "string" => {
                let length = meta.size.unwrap_or(0);
                let offset = offset.min(length);
                let preview: Vec<u8> = redis::cmd("GETRANGE")
                    .arg(key)
                    .arg(offset)
                    .arg(offset.saturating_add(max_bytes as u64).saturating_sub(1))
                    .query_async(&mut c)
                    .await?;
                let truncated = offset > 0 || offset.saturating_add(preview.len() as u64) < length;
                ValueView::String {
                    length,
                    offset,
                    decoded: Some(if truncated {
                        decode(&preview, false)
                    } else {
                        super::views::auto(&preview)
                    }),
                    preview: Bytes::new(&preview),
                    truncated,
                }
            }
            "hash" => {
                let cursor = scan_cursor(q.cursor.as_deref())?;
                let (next, flat): (u64, Vec<Vec<u8>>) = redis::cmd("HSCAN")
                    .arg(key)
                    .arg(cursor)
                    .arg("COUNT")
                    .arg(count)
                    .query_async(&mut c)
                    .await?;
                ValueView::Hash {
                    cursor: next.to_string(),
                    fields: flat
                        .chunks_exact(2)
                        .map(|p| FieldValue {
                            field: Bytes::new(&p[0]),
                            value: Bytes::new(&p[1]),
                            ttl_ms: None,
                        })
                        .collect(),
                }
            }
            "list" => {
                let items: Vec<Vec<u8>> = redis::cmd("LRANGE")
                    .arg(key)
                    .arg(offset)
                    .arg(offset.saturating_add(count as u64).saturating_sub(1))
                    .query_async(&mut c)
                    .await?;
                let end = offset.saturating_add(items.len() as u64);
                ValueView::List {
                    offset,
                    next: (end < meta.size.unwrap_or(0)).then_some(end),
                    items: items.iter().map(|i| Bytes::new(i)).collect(),
                }
            }
            "set" => {
                let cursor = scan_cursor(q.cursor.as_deref())?;
                let (next, members): (u64, Vec<Vec<u8>>) = redis::cmd("SSCAN")
                    .arg(key)
                    .arg(cursor)
                    .arg("COUNT")
                    .arg(count)
                    .query_async(&mut c)
                    .await?;
                ValueView::Set {
                    cursor: next.to_string(),
                    members: members.iter().map(|m| Bytes::new(m)).collect(),
                }
            }
            "zset" => {
                let members: Vec<(Vec<u8>, f64)> = redis::cmd("ZRANGE")
                    .arg(key)
                    .arg(offset)
                    .arg(offset.saturating_add(count as u64).saturating_sub(1))
                    .arg("WITHSCORES")
                    .query_async(&mut c)
                    .await?;
                let end = offset.saturating_add(members.len() as u64);
                ValueView::Zset {
                    offset,
                    next: (end < meta.size.unwrap_or(0)).then_some(end),
                    members: members
                        .iter()
                        .map(|(m, s)| ScoredMember {
                            member: Bytes::new(m),
                            score: *s,
                        })
                        .collect(),
                }
            }
            "stream" => {
                let start = q.cursor.as_deref().filter(|s| !s.is_empty()).unwrap_or("-");
                let (entries, next) = xrange(&mut c, key, start, "+", count).await?;
                ValueView::Stream { entries, next }
            }
            "ReJSON-RL" => {
                if meta.size.or(meta.memory).unwrap_or(0) > MAX_JSON_MEMORY {
                    ValueView::Json {
                        json: serde_json::Value::Null,
                        truncated: true,
                    }
                } else {
                    let text: Option<String> =
                        redis::cmd("JSON.GET").arg(key).query_async(&mut c).await?;
                    let json = match text {
                        Some(t) => serde_json::from_str(&t)?,
                        None => serde_json::Value::Null,
                    };
                    ValueView::Json {
                        json,
                        truncated: false,
                    }
                }
            }
            other => match crate::probabilistic::ProbKind::of_type(other) {
                Some(kind) => ValueView::Probabilistic {
                    probabilistic: crate::probabilistic::info_of(&mut c, key, kind).await?,
                },
                None => ValueView::Unsupported {
                    unsupported: other.to_string(),
                },
            },
        };
        super::field_ttl::fill(&self.session, &mut c, key, &mut value).await?;
        Ok(Some(KeyValue {
            key: meta.key,
            key_type: meta.key_type,
            ttl_ms: meta.ttl_ms,
            encoding: meta.encoding,
            size: meta.size,
            memory: meta.memory,
            shape: meta.shape,
            value,
        }))
    }

    /// Applies one edit and returns the key's first page afterwards.
    pub async fn key_set(&self, e: KeyEdit) -> Result<KeyValue> {
        self.session.ensure_writable("editing a key")?;
        let key = key_arg(e.key.as_deref(), e.key_b64.as_deref(), "key")?;
        let value = || {
            need(
                opt_arg(e.value.as_deref(), e.value_b64.as_deref(), "value")?,
                "value",
            )
        };
        let field = || {
            need(
                opt_arg(e.field.as_deref(), e.field_b64.as_deref(), "field")?,
                "field",
            )
        };
        let member = || {
            need(
                opt_arg(e.member.as_deref(), e.member_b64.as_deref(), "member")?,
                "member",
            )
        };
        let mut cmd;
        match e.op {
            EditOp::Set => {
                cmd = redis::cmd("SET");
                cmd.arg(&key).arg(value()?);
                match e.ttl_ms {
                    Some(0) => return Err(Error::InvalidInput("ttl_ms must be positive".into())),
                    Some(ms) => cmd.arg("PX").arg(ms),
                    None => cmd.arg("KEEPTTL"),
                };
            }
            EditOp::Hset => {
                cmd = redis::cmd("HSET");
                cmd.arg(&key).arg(field()?).arg(value()?);
            }
            EditOp::Hdel => {
                cmd = redis::cmd("HDEL");
                cmd.arg(&key).arg(field()?);
            }
            EditOp::Hexpire | EditOp::Hpersist => {
                let ttl = if e.op == EditOp::Hexpire {
                    Some(
                        e.ttl_ms
                            .ok_or_else(|| Error::InvalidInput("hexpire needs ttl_ms".into()))?,
                    )
                } else {
                    None
                };
                let mut c = self.session.conn().await?;
                cmd =
                    super::field_ttl::command(&self.session, &mut c, &key, &field()?, ttl).await?;
            }
            EditOp::Lpush | EditOp::Rpush => {
                cmd = redis::cmd(if e.op == EditOp::Lpush {
                    "LPUSH"
                } else {
                    "RPUSH"
                });
                cmd.arg(&key).arg(value()?);
            }
            EditOp::Lset => {
                let index = e
                    .index
                    .ok_or_else(|| Error::InvalidInput("lset needs index".into()))?;
                cmd = redis::cmd("LSET");
                cmd.arg(&key).arg(index).arg(value()?);
            }
            EditOp::Lrem => {
                cmd = redis::cmd("LREM");
                cmd.arg(&key).arg(e.count.unwrap_or(1)).arg(value()?);
            }
            EditOp::Linsert => {
                let pivot = need(
                    opt_arg(e.pivot.as_deref(), e.pivot_b64.as_deref(), "pivot")?,
                    "pivot",
                )?;
                cmd = redis::cmd("LINSERT");
                cmd.arg(&key)
                    .arg(if e.after == Some(true) {
                        "AFTER"
                    } else {
                        "BEFORE"
                    })
                    .arg(pivot)
                    .arg(value()?);
            }
            EditOp::Lpop | EditOp::Rpop => {
                cmd = redis::cmd(if e.op == EditOp::Lpop { "LPOP" } else { "RPOP" });
                cmd.arg(&key);
            }
            EditOp::Hrename => {
                let new_field = need(
                    opt_arg(
                        e.new_field.as_deref(),
                        e.new_field_b64.as_deref(),
                        "new_field",
                    )?,
                    "new_field",
                )?;
                cmd = redis::cmd("EVAL");
                cmd.arg(HRENAME_SCRIPT)
                    .arg(1)
                    .arg(&key)
                    .arg(field()?)
                    .arg(new_field)
                    .arg(if e.overwrite == Some(true) { "1" } else { "0" });
            }
            EditOp::Setrange => {
                let offset = e
                    .offset
                    .ok_or_else(|| Error::InvalidInput("setrange needs offset".into()))?;
                if offset >= 512 << 20 {
                    return Err(Error::InvalidInput(
                        "offset must be below 512 MiB (the largest Redis string)".into(),
                    ));
                }
                cmd = redis::cmd("SETRANGE");
                cmd.arg(&key).arg(offset).arg(value()?);
            }
            EditOp::Sadd | EditOp::Srem => {
                cmd = redis::cmd(if e.op == EditOp::Sadd { "SADD" } else { "SREM" });
                cmd.arg(&key).arg(member()?);
            }
            EditOp::Srename | EditOp::Zrename => {
                let new_member = need(
                    opt_arg(
                        e.new_member.as_deref(),
                        e.new_member_b64.as_deref(),
                        "new_member",
                    )?,
                    "new_member",
                )?;
                cmd = redis::cmd("EVAL");
                cmd.arg(if e.op == EditOp::Srename {
                    SRENAME_SCRIPT
                } else {
                    ZRENAME_SCRIPT
                })
                .arg(1)
                .arg(&key)
                .arg(member()?)
                .arg(new_member)
                .arg(if e.overwrite == Some(true) { "1" } else { "0" });
            }
            EditOp::Zadd => {
                let score = e
                    .score
                    .filter(|s| s.is_finite())
                    .ok_or_else(|| Error::InvalidInput("zadd needs a finite score".into()))?;
                cmd = redis::cmd("ZADD");
                cmd.arg(&key).arg(score).arg(member()?);
            }
            EditOp::Zrem => {
                cmd = redis::cmd("ZREM");
                cmd.arg(&key).arg(member()?);
            }
            EditOp::Xadd => {
                let fields = e.fields.as_deref().unwrap_or_default();
                if fields.is_empty() {
                    return Err(Error::InvalidInput(
                        "xadd needs at least one [field, value] pair".into(),
                    ));
                }
                cmd = redis::cmd("XADD");
                cmd.arg(&key).arg("*");
                for (f, v) in fields {
                    cmd.arg(f).arg(v);
                }
            }
            EditOp::Xdel => {
                let id =
                    e.id.as_deref()
                        .ok_or_else(|| Error::InvalidInput("xdel needs id".into()))?;
                cmd = redis::cmd("XDEL");
                cmd.arg(&key).arg(id);
            }
        }
        let mut c = self.session.conn().await?;
        if matches!(
            e.op,
            EditOp::Linsert | EditOp::Hrename | EditOp::Lset | EditOp::Srename | EditOp::Zrename
        ) {
            // These fail quietly (LINSERT: -1, the script: an error string) or vaguely.
            let exists: u64 = redis::cmd("EXISTS").arg(&key).query_async(&mut c).await?;
            if exists == 0 {
                return Err(Error::NotFound(format!(
                    "key {:?} does not exist",
                    escape(&key)
                )));
            }
        }
        let reply: Value = cmd.query_async(&mut c).await?;
        match (e.op, &reply) {
            (EditOp::Linsert, Value::Int(-1)) => {
                return Err(Error::NotFound(
                    "the pivot is not in the list (it changed meanwhile?)".into(),
                ))
            }
            (EditOp::Hrename, Value::Int(0)) => {
                return Err(Error::NotFound(format!(
                    "hash {:?} has no such field",
                    escape(&key)
                )))
            }
            (EditOp::Hrename, Value::Int(-1)) => return Err(Error::ConfirmationRequired(
                "the hash already has a field of the new name: pass overwrite: true to replace it"
                    .into(),
            )),
            (EditOp::Hexpire | EditOp::Hpersist, r) if super::field_ttl::missing(r) => {
                return Err(Error::NotFound(format!(
                    "hash {:?} has no such field",
                    escape(&key)
                )))
            }
            (EditOp::Srename | EditOp::Zrename, Value::Int(0)) => {
                return Err(Error::NotFound(format!(
                    "{:?} has no such member (removed meanwhile?)",
                    escape(&key)
                )))
            }
            (EditOp::Srename | EditOp::Zrename, Value::Int(-1)) => {
                return Err(Error::ConfirmationRequired(
                    "the new member is already there: pass overwrite: true to merge them".into(),
                ))
            }
            _ => {}
        }
        tracing::info!(op = ?e.op, key = %escape(&key), "key edited");
        self.trees.clear();
        self.key_after(&key).await
    }

    /// The key's first page after an edit (type `none` when the edit removed it).
    pub(crate) async fn key_after(&self, key: &[u8]) -> Result<KeyValue> {
        let q = KeyQuery::default();
        Ok(match self.key_value(key, &q).await? {
            Some(v) => v,
            None => KeyValue {
                key: Bytes::new(key),
                key_type: "none".into(),
                ttl_ms: -2,
                encoding: None,
                size: None,
                memory: None,
                shape: None,
                value: ValueView::Unsupported {
                    unsupported: "none".into(),
                },
            },
        })
    }

    /// Deletes one key (UNLINK).
    pub async fn key_delete(&self, k: KeyRef) -> Result<Deleted> {
        self.session.ensure_writable("deleting a key")?;
        let key = k.bytes()?;
        let mut c = self.session.conn().await?;
        let deleted: u64 = redis::cmd("UNLINK").arg(&key).query_async(&mut c).await?;
        tracing::info!(key = %escape(&key), deleted, "key deleted");
        self.trees.clear();
        Ok(Deleted { deleted })
    }

    /// Sets (PEXPIRE) or removes (PERSIST) a key's expiry; returns the TTL afterwards.
    pub async fn key_ttl(&self, r: KeyTtl) -> Result<TtlReply> {
        self.session.ensure_writable("changing a TTL")?;
        let key = key_arg(r.key.as_deref(), r.key_b64.as_deref(), "key")?;
        let ttl = r.ttl_ms.ok_or_else(|| {
            Error::InvalidInput("ttl_ms is required (a number of ms, or null to persist)".into())
        })?;
        let mut c = self.session.conn().await?;
        let exists: u64 = redis::cmd("EXISTS").arg(&key).query_async(&mut c).await?;
        if exists == 0 {
            return Err(Error::NotFound(format!(
                "key {:?} does not exist",
                escape(&key)
            )));
        }
        match ttl {
            Some(0) => return Err(Error::InvalidInput("ttl_ms must be positive".into())),
            Some(ms) => {
                let _: i64 = redis::cmd("PEXPIRE")
                    .arg(&key)
                    .arg(ms)
                    .query_async(&mut c)
                    .await?;
            }
            None => {
                let _: i64 = redis::cmd("PERSIST").arg(&key).query_async(&mut c).await?;
            }
        }
        let ttl_ms: i64 = redis::cmd("PTTL").arg(&key).query_async(&mut c).await?;
        Ok(TtlReply { ttl_ms })
    }

    /// Renames a key: RENAMENX (409 when the new name exists) unless `overwrite`.
    pub async fn key_rename(&self, r: KeyRename) -> Result<Renamed> {
        self.session.ensure_writable("renaming a key")?;
        let key = key_arg(r.key.as_deref(), r.key_b64.as_deref(), "key")?;
        let new_key = key_arg(r.new_key.as_deref(), r.new_key_b64.as_deref(), "new_key")?;
        let mut c = self.session.conn().await?;
        let exists: u64 = redis::cmd("EXISTS").arg(&key).query_async(&mut c).await?;
        if exists == 0 {
            return Err(Error::NotFound(format!(
                "key {:?} does not exist",
                escape(&key)
            )));
        }
        if r.overwrite {
            let _: Value = redis::cmd("RENAME")
                .arg(&key)
                .arg(&new_key)
                .query_async(&mut c)
                .await?;
        } else {
            let done: u64 = redis::cmd("RENAMENX")
                .arg(&key)
                .arg(&new_key)
                .query_async(&mut c)
                .await?;
            if done == 0 {
                return Err(Error::ConfirmationRequired(format!(
                    "key {:?} already exists: pass overwrite: true to replace it",
                    escape(&new_key)
                )));
            }
        }
        self.trees.clear();
        Ok(Renamed {
            key: Bytes::new(&new_key),
        })
    }
}

/// Renames hash field ARGV[1] to ARGV[2] atomically: 1 done, 0 no such field, -1 the new name
/// exists and ARGV[3] is not `1`. The value (and a per-field TTL's loss) moves with it.
const HRENAME_SCRIPT: &str = r"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
if ARGV[1] == ARGV[2] then return 1 end
if ARGV[3] ~= '1' and redis.call('HEXISTS', KEYS[1], ARGV[2]) == 1 then return -1 end
local v = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('HSET', KEYS[1], ARGV[2], v)
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
";

/// Replaces set member ARGV[1] by ARGV[2] atomically: 1 done, 0 no such member, -1 the new
/// member exists and ARGV[3] is not `1` (a set cannot hold it twice: merging drops the old one).
const SRENAME_SCRIPT: &str = r"
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 0 then return 0 end
if ARGV[1] == ARGV[2] then return 1 end
if ARGV[3] ~= '1' and redis.call('SISMEMBER', KEYS[1], ARGV[2]) == 1 then return -1 end
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[1], ARGV[2])
return 1
";

/// Replaces sorted-set member ARGV[1] by ARGV[2] with ARGV[1]'s score, atomically: 1 done, 0 no
/// such member, -1 the new member exists and ARGV[3] is not `1`.
const ZRENAME_SCRIPT: &str = r"
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
if ARGV[1] == ARGV[2] then return 1 end
if ARGV[3] ~= '1' and redis.call('ZSCORE', KEYS[1], ARGV[2]) then return -1 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], score, ARGV[2])
return 1
";

/// One XRANGE page and the (exclusive) start of the next one, if the page was full.
async fn xrange(
    c: &mut Conn,
    key: &[u8],
    start: &str,
    end: &str,
    count: usize,
) -> Result<(Vec<StreamEntry>, Option<String>)> {
    let reply: Value = redis::cmd("XRANGE")
        .arg(key)
        .arg(start)
        .arg(end)
        .arg("COUNT")
        .arg(count)
        .query_async(c)
        .await?;
    let entries = range_entries(&reply)?;
    let next = (entries.len() == count)
        .then(|| entries.last().map(|e| format!("({}", e.id)))
        .flatten();
    Ok((entries, next))
}

/// Metadata of `keys` in two pipelines (TYPE/PTTL/ENCODING/MEMORY, then the length by type).
async fn meta_of(c: &mut Conn, keys: &[Vec<u8>], memory: bool) -> Result<Vec<KeyMeta>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let per = if memory { 4 } else { 3 };
    let mut p = redis::pipe();
    p.ignore_errors();
    for k in keys {
        p.cmd("TYPE").arg(k);
        p.cmd("PTTL").arg(k);
        p.cmd("OBJECT").arg("ENCODING").arg(k);
        if memory {
            p.cmd("MEMORY").arg("USAGE").arg(k);
        }
    }
    let first: Vec<Value> = p.query_async(c).await?;
    let mut metas: Vec<KeyMeta> = keys
        .iter()
        .zip(first.chunks(per))
        .map(|(k, v)| {
            // A key the ACL user may not touch is `noperm`, not "missing".
            let key_type = match v.first() {
                Some(Value::ServerError(e)) if e.code() == "NOPERM" => "noperm".to_string(),
                first => first.and_then(v_str).unwrap_or_else(|| "none".into()),
            };
            KeyMeta {
                key: Bytes::new(k),
                shape: shape_of(k, &key_type),
                key_type,
                ttl_ms: v.get(1).and_then(v_int).unwrap_or(-2),
                encoding: v.get(2).and_then(v_str),
                size: None,
                memory: v.get(3).and_then(v_int).and_then(|m| u64::try_from(m).ok()),
                slot: None,
                node: None,
            }
        })
        .collect();
    let mut p = redis::pipe();
    p.ignore_errors();
    let mut asked = Vec::new();
    for (i, m) in metas.iter().enumerate() {
        if m.key_type == "ReJSON-RL" {
            p.cmd("JSON.DEBUG").arg("MEMORY").arg(&keys[i]);
            asked.push(i);
            continue;
        }
        let len_cmd = match m.key_type.as_str() {
            "string" => "STRLEN",
            "hash" => "HLEN",
            "list" => "LLEN",
            "set" => "SCARD",
            "zset" => "ZCARD",
            "stream" => "XLEN",
            _ => continue,
        };
        p.cmd(len_cmd).arg(&keys[i]);
        asked.push(i);
    }
    if !asked.is_empty() {
        let lens: Vec<Value> = p.query_async(c).await?;
        for (i, v) in asked.into_iter().zip(lens) {
            metas[i].size = v_int(&v).and_then(|n| u64::try_from(n).ok());
        }
    }
    Ok(metas)
}

/// The view the UI shows a key in: the shape of the key's entry in the library's key layout,
/// when the key also has the Redis type that entry's encoding is stored as (a `ts:` key is a
/// series only as a sorted set, `signals:buffer` the signal table only as a list).
fn shape_of(key: &[u8], key_type: &str) -> Option<Shape> {
    layout::classify(key)
        .filter(|e| e.encoding.redis_type() == key_type)
        .and_then(|e| e.shape)
}

/// The page size for a collection: `count`, lowered so that `count` elements of the key's
/// average size (MEMORY USAGE / cardinality) stay under [`PAGE_BUDGET`]. Redis cannot cut one
/// element short, so a page of big hash values or list items is made shorter instead.
fn page_count(count: usize, meta: &KeyMeta) -> usize {
    match (meta.memory, meta.size) {
        (Some(memory), Some(size)) if size > 0 => {
            let average = (memory / size).max(1);
            count.min((PAGE_BUDGET / average).max(1) as usize)
        }
        _ => count,
    }
}

fn v_str(v: &Value) -> Option<String> {
    match v {
        Value::SimpleString(s) => Some(s.clone()),
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        Value::Okay => Some("OK".into()),
        _ => None,
    }
}

fn v_int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(n) => Some(*n),
        Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        _ => None,
    }
}

fn need<T>(v: Option<T>, name: &str) -> Result<T> {
    v.ok_or_else(|| Error::InvalidInput(format!("this edit needs {name} (or {name}_b64)")))
}

/// A page size: default 100, 1 to 10,000.
pub(crate) fn count_arg(count: Option<usize>) -> Result<usize> {
    match count {
        None => Ok(DEFAULT_COUNT),
        Some(n) if (1..=MAX_COUNT).contains(&n) => Ok(n),
        Some(n) => Err(Error::InvalidInput(format!(
            "count must be 1 to {MAX_COUNT} ({n} given)"
        ))),
    }
}

/// Refuses type names that are not plain words (they go into `SCAN ... TYPE`).
#[doc(hidden)]
pub fn check_type_name(t: &str) -> Result<()> {
    if t.is_empty()
        || t.len() > 32
        || !t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::InvalidInput(format!("{t:?} is not a key type")));
    }
    Ok(())
}

#[doc(hidden)]
pub fn scan_cursor(c: Option<&str>) -> Result<u64> {
    match c.filter(|s| !s.is_empty()) {
        None => Ok(0),
        Some(s) => s
            .parse()
            .map_err(|_| Error::InvalidInput(format!("cursor {s:?} is not a number"))),
    }
}

/// Parses `"<master-index>:<scan-cursor>"` (`"0"` or nothing: the start).
#[doc(hidden)]
pub fn parse_cursor(c: Option<&str>) -> Result<(usize, u64)> {
    let c = c.unwrap_or("0");
    if c == "0" || c.is_empty() {
        return Ok((0, 0));
    }
    let bad = || Error::InvalidInput(format!("cursor {c:?} is not one this API returned"));
    let (node, cursor) = c.split_once(':').ok_or_else(bad)?;
    Ok((
        node.parse().map_err(|_| bad())?,
        cursor.parse().map_err(|_| bad())?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_of_big_elements_are_shorter() {
        let meta = |memory, size| KeyMeta {
            key: Bytes::new(b"k"),
            key_type: "hash".into(),
            ttl_ms: -1,
            encoding: None,
            size: Some(size),
            memory: Some(memory),
            slot: None,
            node: None,
            shape: None,
        };
        assert_eq!(page_count(100, &meta(10_000, 100)), 100);
        assert_eq!(page_count(100, &meta(100 << 20, 100)), 8);
        assert_eq!(page_count(100, &meta(4 << 30, 2)), 1);
    }

    #[test]
    fn a_shape_needs_the_layout_and_the_redis_type() {
        assert_eq!(shape_of(b"ohlcv:AAPL:1m", "zset"), Some(Shape::Candles));
        assert_eq!(shape_of(b"ts:latency:publish", "zset"), Some(Shape::Series));
        assert_eq!(shape_of(b"market:data", "stream"), Some(Shape::Quotes));
        assert_eq!(shape_of(b"signals:buffer", "list"), Some(Shape::Signals));
        assert_eq!(
            shape_of(b"features:AAPL:2025-01-17", "string"),
            Some(Shape::Features)
        );
        assert_eq!(shape_of(b"ts:latency:publish", "list"), None);
        assert_eq!(shape_of(b"market:data", "string"), None);
        assert_eq!(shape_of(b"market:data:AAPL", "string"), None);
        assert_eq!(shape_of(b"features:AAPL:today", "string"), None);
        assert_eq!(shape_of(b"cache:x", "string"), None);
        assert_eq!(shape_of(b"ts:gone", "none"), None);
    }

    #[test]
    fn cursors_and_counts_are_checked() {
        assert_eq!(parse_cursor(None).unwrap(), (0, 0));
        assert_eq!(parse_cursor(Some("2:1234")).unwrap(), (2, 1234));
        assert!(parse_cursor(Some("x")).is_err());
        assert!(parse_cursor(Some("1:-3")).is_err());
        assert_eq!(count_arg(None).unwrap(), 100);
        assert!(count_arg(Some(0)).is_err());
        assert!(count_arg(Some(10_001)).is_err());
        assert!(check_type_name("ReJSON-RL").is_ok());
        assert!(check_type_name("string x").is_err());
    }
}
