//! Cluster hash slots: the slot of a key, the slot map read from `CLUSTER SLOTS` (ranges and
//! their masters), and running a pipeline whose keys span slots command by command.

use redis::aio::ConnectionLike;
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, Value};

use crate::error::{Error, Result};

/// A range of hash slots and the master serving it, from `CLUSTER SLOTS`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SlotRange {
    /// First slot of the range.
    pub start: u16,
    /// Last slot of the range (inclusive).
    pub end: u16,
    /// `host:port` of the master serving it.
    pub master: String,
}

/// The master of `slot` in a slot map from [`super::Conn::slot_map`].
pub fn slot_owner(map: &[SlotRange], slot: u16) -> Option<&str> {
    map.iter()
        .find(|r| r.start <= slot && slot <= r.end)
        .map(|r| r.master.as_str())
}

/// The Cluster hash slot of a key (CRC16/XMODEM of the key or its `{hash tag}`, mod 16384).
pub fn key_slot(key: &[u8]) -> u16 {
    let tagged = key
        .iter()
        .position(|&b| b == b'{')
        .and_then(|open| {
            let close = key[open + 1..].iter().position(|&b| b == b'}')?;
            (close > 0).then(|| &key[open + 1..open + 1 + close])
        })
        .unwrap_or(key);
    let mut crc: u16 = 0;
    for &b in tagged {
        crc ^= (b as u16) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc % 16384
}

/// Runs each command of `pipeline` on its own, at most 64 at a time, keeping their order.
pub(super) async fn split_pipeline(
    conn: ClusterConnection,
    pipeline: &Pipeline,
) -> redis::RedisResult<Vec<Value>> {
    let mut replies = Vec::with_capacity(pipeline.len());
    let cmds: Vec<&Cmd> = pipeline.cmd_iter().collect();
    for chunk in cmds.chunks(64) {
        let mut running = Vec::with_capacity(chunk.len());
        for one in chunk {
            let mut c = conn.clone();
            let one: &Cmd = one;
            running.push(async move { c.req_packed_command(one).await });
        }
        for r in futures_util::future::join_all(running).await {
            replies.push(r?);
        }
    }
    Ok(replies)
}

/// Slot ranges with their master's `host:port`, from a `CLUSTER SLOTS` reply.
pub(super) fn slot_ranges(v: &Value) -> Vec<SlotRange> {
    let Value::Array(ranges) = v else {
        return Vec::new();
    };
    ranges
        .iter()
        .filter_map(|range| {
            let Value::Array(fields) = range else {
                return None;
            };
            let (Some(Value::Int(start)), Some(Value::Int(end))) = (fields.first(), fields.get(1))
            else {
                return None;
            };
            Some(SlotRange {
                start: u16::try_from(*start).ok()?,
                end: u16::try_from(*end).ok()?,
                master: range_master(fields)?,
            })
        })
        .collect()
}

/// The `host:port` of every master that serves slots, from a `CLUSTER SLOTS` reply.
pub(super) fn masters_from_slots(v: &Value) -> Vec<String> {
    let Value::Array(ranges) = v else {
        return Vec::new();
    };
    ranges
        .iter()
        .filter_map(|range| match range {
            Value::Array(fields) => range_master(fields),
            _ => None,
        })
        .collect()
}

/// The master (third field) of one `CLUSTER SLOTS` range.
fn range_master(fields: &[Value]) -> Option<String> {
    let Value::Array(master) = fields.get(2)? else {
        return None;
    };
    let host = match master.first()? {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        _ => return None,
    };
    let Value::Int(port) = master.get(1)? else {
        return None;
    };
    Some(if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    })
}

/// The host and port of a `host:port` (or `[v6 host]:port`) node address.
pub(super) fn split_addr(addr: &str) -> Result<(String, u16)> {
    let (h, p) = addr
        .rsplit_once(':')
        .ok_or_else(|| Error::server(format!("bad node address {addr:?}")))?;
    let port = p
        .parse()
        .map_err(|_| Error::server(format!("bad node address {addr:?}")))?;
    Ok((
        h.trim_start_matches('[').trim_end_matches(']').to_string(),
        port,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_slots_match_redis() {
        // Values from CLUSTER KEYSLOT on a real server.
        assert_eq!(key_slot(b"foo"), 12182);
        assert_eq!(key_slot(b"bar"), 5061);
        assert_eq!(key_slot(b"{user1000}.following"), key_slot(b"user1000"));
    }

    #[test]
    fn parses_masters_from_cluster_slots() {
        let node = |port: i64| {
            Value::Array(vec![
                Value::BulkString(b"127.0.0.1".to_vec()),
                Value::Int(port),
                Value::BulkString(b"id".to_vec()),
            ])
        };
        let reply = Value::Array(vec![
            Value::Array(vec![
                Value::Int(0),
                Value::Int(5460),
                node(7000),
                node(7003),
            ]),
            Value::Array(vec![
                Value::Int(5461),
                Value::Int(10922),
                node(7001),
                node(7004),
            ]),
        ]);
        assert_eq!(
            masters_from_slots(&reply),
            vec!["127.0.0.1:7000", "127.0.0.1:7001"]
        );
        assert!(masters_from_slots(&Value::Nil).is_empty());
        let ranges = slot_ranges(&reply);
        assert_eq!(ranges.len(), 2);
        assert_eq!((ranges[1].start, ranges[1].end), (5461, 10922));
        assert_eq!(slot_owner(&ranges, 0), Some("127.0.0.1:7000"));
        assert_eq!(slot_owner(&ranges, 5460), Some("127.0.0.1:7000"));
        assert_eq!(slot_owner(&ranges, 5461), Some("127.0.0.1:7001"));
        assert_eq!(
            slot_owner(&ranges, 16000),
            None,
            "an uncovered slot has no owner"
        );
    }
}
