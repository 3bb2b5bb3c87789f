//! Raw stream entries read binary-safely from `XRANGE`/`XREVRANGE`, `XREAD`/`XREADGROUP` and
//! `XAUTOCLAIM` replies (RESP2 arrays or RESP3 maps), and stream ids (`<ms>-<seq>`). The one
//! parser of entry replies: the admin's stream views read through it too.

use redis::Value;
use serde::Serialize;

use crate::error::{Error, Result};

/// One stream entry as stored: its id and its field/value pairs, bytes as they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RawEntry {
    /// The entry id, `<ms>-<seq>`.
    pub id: String,
    /// Field/value pairs in the order the producer wrote them; `None` when the entry was
    /// deleted (trimmed) while still pending in a group.
    pub fields: Option<Vec<(Vec<u8>, Vec<u8>)>>,
}

impl RawEntry {
    /// The millisecond part of the id (the server's clock when the entry was added).
    pub fn id_ms(&self) -> i64 {
        StreamId::parse(&self.id).map(|i| i.ms as i64).unwrap_or(0)
    }
}

/// A parsed stream id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct StreamId {
    /// Milliseconds part.
    pub ms: u64,
    /// Sequence part.
    pub seq: u64,
}

impl StreamId {
    /// Parses `<ms>-<seq>` or `<ms>` (sequence 0).
    pub fn parse(s: &str) -> Option<StreamId> {
        let (ms, seq) = match s.split_once('-') {
            Some((a, b)) => (a.parse().ok()?, b.parse().ok()?),
            None => (s.parse().ok()?, 0),
        };
        Some(StreamId { ms, seq })
    }
}

impl std::fmt::Display for StreamId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

pub(crate) fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => String::from_utf8(b.clone()).ok(),
        Value::SimpleString(s) => Some(s.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        Value::Int(i) => Some(i.to_string()),
        Value::Okay => Some("OK".into()),
        _ => None,
    }
}

fn bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::BulkString(b) => Some(b.clone()),
        Value::SimpleString(s) => Some(s.clone().into_bytes()),
        Value::VerbatimString { text, .. } => Some(text.clone().into_bytes()),
        Value::Int(i) => Some(i.to_string().into_bytes()),
        _ => None,
    }
}

fn bad(what: &str) -> Error {
    Error::Codec(format!("unexpected stream reply: {what}"))
}

/// Key/value pairs of a flat array or a map.
pub(crate) fn pairs(v: &Value) -> Option<Vec<(&Value, &Value)>> {
    match v {
        Value::Array(items) if items.len() % 2 == 0 => {
            Some(items.chunks(2).map(|c| (&c[0], &c[1])).collect())
        }
        Value::Map(kv) => Some(kv.iter().map(|(k, v)| (k, v)).collect()),
        _ => None,
    }
}

/// One `[id, [field, value, ...]]` entry.
pub(crate) fn parse_entry(v: &Value) -> Result<RawEntry> {
    let Value::Array(parts) = v else {
        return Err(bad("entry is not an array"));
    };
    let id = parts
        .first()
        .and_then(text)
        .ok_or_else(|| bad("entry id"))?;
    let fields = match parts.get(1) {
        None | Some(Value::Nil) => None,
        Some(f) => {
            let kv = pairs(f).ok_or_else(|| bad("entry fields"))?;
            let mut out = Vec::with_capacity(kv.len());
            for (k, v) in kv {
                out.push((
                    bytes(k).ok_or_else(|| bad("field name"))?,
                    bytes(v).ok_or_else(|| bad("field value"))?,
                ));
            }
            Some(out)
        }
    };
    Ok(RawEntry { id, fields })
}

/// An array of entries (`XRANGE`/`XREVRANGE`, or one stream of an `XREAD*` reply).
pub fn parse_entries(v: &Value) -> Result<Vec<RawEntry>> {
    match v {
        Value::Nil => Ok(Vec::new()),
        Value::Array(items) => items.iter().map(parse_entry).collect(),
        _ => Err(bad("entries are not an array")),
    }
}

/// The entries of an `XREAD`/`XREADGROUP` reply for a single stream (nil when none arrived).
pub fn parse_read_reply(v: &Value) -> Result<Vec<RawEntry>> {
    let mut out = Vec::new();
    match v {
        Value::Nil => {}
        Value::Map(kv) => {
            for (_, entries) in kv {
                out.extend(parse_entries(entries)?);
            }
        }
        Value::Array(streams) => {
            for s in streams {
                let Value::Array(kv) = s else {
                    return Err(bad("stream reply"));
                };
                out.extend(parse_entries(
                    kv.get(1).ok_or_else(|| bad("stream reply"))?,
                )?);
            }
        }
        _ => return Err(bad("read reply")),
    }
    Ok(out)
}

/// An `XAUTOCLAIM` reply: the next cursor, the claimed entries, and the ids that were deleted
/// from the stream while pending (Redis 7 removes those from the pending list itself).
pub(crate) fn parse_autoclaim(v: &Value) -> Result<(String, Vec<RawEntry>, Vec<String>)> {
    let Value::Array(parts) = v else {
        return Err(bad("XAUTOCLAIM reply"));
    };
    let cursor = parts.first().and_then(text).ok_or_else(|| bad("cursor"))?;
    let entries = parse_entries(parts.get(1).unwrap_or(&Value::Nil))?;
    let deleted = match parts.get(2) {
        Some(Value::Array(ids)) => ids.iter().filter_map(text).collect(),
        _ => Vec::new(),
    };
    Ok((cursor, entries, deleted))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn parses_resp2_and_resp3_read_replies() {
        let entry = Value::Array(vec![b("1-0"), Value::Array(vec![b("symbol"), b("A")])]);
        let gone = Value::Array(vec![b("2-0"), Value::Nil]);
        let resp2 = Value::Array(vec![Value::Array(vec![
            b("s"),
            Value::Array(vec![entry.clone(), gone.clone()]),
        ])]);
        let resp3 = Value::Map(vec![(b("s"), Value::Array(vec![entry, gone]))]);
        for reply in [resp2, resp3] {
            let e = parse_read_reply(&reply).unwrap();
            assert_eq!(e.len(), 2);
            assert_eq!(e[0].id, "1-0");
            assert_eq!(e[0].fields.as_ref().map(Vec::len), Some(1));
            assert_eq!(e[1].fields, None);
        }
        assert!(parse_read_reply(&Value::Nil).unwrap().is_empty());
    }

    #[test]
    fn orders_and_parses_ids() {
        assert!(StreamId::parse("5-1").unwrap() < StreamId::parse("10-0").unwrap());
        assert_eq!(StreamId::parse("7").unwrap().to_string(), "7-0");
        assert_eq!(StreamId::parse("x-1"), None);
    }
}
