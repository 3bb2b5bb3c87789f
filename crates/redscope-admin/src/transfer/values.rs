//! Reading keys for export. The lossless file takes `PTTL` and `DUMP` of a page in one pipeline;
//! the readable formats take `TYPE` and `PTTL`, then the first window of every value (GET,
//! LRANGE, HSCAN, SSCAN, ZRANGE WITHSCORES, XRANGE COUNT) in a second, and read the rest of a
//! big value window by window, so no reply holds more than one window of a collection.

use crate::registry::now_ms;
use redis::aio::ConnectionLike;
use redis::Value;

use redscope::error::{Error, Result};

/// Elements per window of a collection.
pub const WINDOW: usize = 1000;

/// Field/value pairs (of a hash window or a stream entry).
pub type Fields = Vec<(Vec<u8>, Vec<u8>)>;
/// A stream entry: its id and fields.
pub type Entry = (String, Fields);

/// Part of a value, in the order the server gave it.
#[derive(Debug, Clone, PartialEq)]
pub enum Chunk {
    String(Vec<u8>),
    List(Vec<Vec<u8>>),
    Hash(Vec<(Vec<u8>, Vec<u8>)>),
    Set(Vec<Vec<u8>>),
    /// Members with their scores as the server wrote them (exact, `inf` included).
    Zset(Vec<(Vec<u8>, String)>),
    /// Entries: id and field/value pairs.
    Stream(Vec<Entry>),
}

/// Where the next window of a value starts.
#[derive(Debug, Clone, PartialEq)]
pub enum More {
    /// LRANGE / ZRANGE from this index.
    Index(i64),
    /// HSCAN / SSCAN from this cursor.
    Cursor(u64),
    /// XRANGE after this id.
    After(String),
}

/// One key as the readable formats need it.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub key: Vec<u8>,
    /// `TYPE`.
    pub key_type: String,
    /// Absolute expiry, epoch ms.
    pub expire_at_ms: Option<i64>,
    /// The first window; `None` for types the readable formats cannot show (module types).
    pub first: Option<Chunk>,
    /// Set when the value has more windows.
    pub more: Option<More>,
}

/// One key of the lossless file.
pub struct Dumped {
    pub key: Vec<u8>,
    pub expire_at_ms: Option<i64>,
    pub payload: Vec<u8>,
}

fn bytes(v: &Value) -> Option<Vec<u8>> {
    match v {
        Value::BulkString(b) => Some(b.clone()),
        Value::SimpleString(s) => Some(s.as_bytes().to_vec()),
        Value::Int(n) => Some(n.to_string().into_bytes()),
        Value::Double(d) => Some(d.to_string().into_bytes()),
        Value::VerbatimString { text, .. } => Some(text.as_bytes().to_vec()),
        _ => None,
    }
}

fn text(v: &Value) -> String {
    bytes(v)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(n) => Some(*n),
        other => text(other).parse().ok(),
    }
}

fn items(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) | Value::Set(a) => a,
        _ => &[],
    }
}

fn expiry(pttl: &Value, now: i64) -> Option<i64> {
    int(pttl).filter(|p| *p >= 0).map(|p| now + p)
}

fn server_error(v: &Value) -> Option<Error> {
    match v {
        Value::ServerError(e) => Some(Error::server(format!(
            "{} {}",
            e.code(),
            e.details().unwrap_or("")
        ))),
        _ => None,
    }
}

/// `PTTL` and `DUMP` of a page of keys; keys gone since SCAN are left out.
pub async fn dump_page<C: ConnectionLike + Send>(
    conn: &mut C,
    keys: Vec<Vec<u8>>,
) -> Result<Vec<Dumped>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = redis::pipe();
    p.ignore_errors();
    for k in &keys {
        p.cmd("PTTL").arg(k);
        p.cmd("DUMP").arg(k);
    }
    let replies: Vec<Value> = p.query_async(conn).await?;
    let now = now_ms();
    let mut out = Vec::with_capacity(keys.len());
    for (key, r) in keys.into_iter().zip(replies.chunks(2)) {
        if let Some(e) = server_error(&r[1]) {
            return Err(e);
        }
        let Value::BulkString(payload) = &r[1] else {
            continue; // Nil: deleted since SCAN
        };
        out.push(Dumped {
            key,
            expire_at_ms: expiry(&r[0], now),
            payload: payload.clone(),
        });
    }
    Ok(out)
}

/// The command reading one window of a value of `key_type`.
fn window_cmd(key: &[u8], key_type: &str, from: &More) -> Option<redis::Cmd> {
    let w = WINDOW as i64;
    let mut c;
    match (key_type, from) {
        ("string", _) => {
            c = redis::cmd("GET");
            c.arg(key);
        }
        ("list", More::Index(i)) => {
            c = redis::cmd("LRANGE");
            c.arg(key).arg(*i).arg(i + w - 1);
        }
        ("zset", More::Index(i)) => {
            c = redis::cmd("ZRANGE");
            c.arg(key).arg(*i).arg(i + w - 1).arg("WITHSCORES");
        }
        ("hash", More::Cursor(n)) | ("set", More::Cursor(n)) => {
            c = redis::cmd(if key_type == "hash" { "HSCAN" } else { "SSCAN" });
            c.arg(key).arg(*n).arg("COUNT").arg(WINDOW);
        }
        ("stream", More::After(id)) => {
            c = redis::cmd("XRANGE");
            c.arg(key)
                .arg(id.as_str())
                .arg("+")
                .arg("COUNT")
                .arg(WINDOW);
        }
        _ => return None,
    }
    Some(c)
}

fn start_of(key_type: &str) -> More {
    match key_type {
        "hash" | "set" => More::Cursor(0),
        "stream" => More::After("-".into()),
        _ => More::Index(0),
    }
}

fn pairs(v: &[Value]) -> Vec<(Vec<u8>, Vec<u8>)> {
    v.chunks(2)
        .filter(|p| p.len() == 2)
        .filter_map(|p| Some((bytes(&p[0])?, bytes(&p[1])?)))
        .collect()
}

/// Turns one window's reply into a chunk and where the next window starts.
fn parse_window(key_type: &str, from: &More, v: &Value) -> Result<(Option<Chunk>, Option<More>)> {
    if let Some(e) = server_error(v) {
        return Err(e);
    }
    Ok(match (key_type, from) {
        ("string", _) => (bytes(v).map(Chunk::String), None),
        ("list", More::Index(i)) => {
            let xs: Vec<Vec<u8>> = items(v).iter().filter_map(bytes).collect();
            let more = (xs.len() == WINDOW).then(|| More::Index(i + WINDOW as i64));
            (Some(Chunk::List(xs)), more)
        }
        ("zset", More::Index(i)) => {
            let a = items(v);
            // RESP3 may nest [member, score] pairs; RESP2 alternates them.
            let xs: Vec<(Vec<u8>, String)> =
                if a.first().is_some_and(|x| matches!(x, Value::Array(_))) {
                    a.iter()
                        .filter_map(|p| {
                            let p = items(p);
                            Some((bytes(p.first()?)?, text(p.get(1)?)))
                        })
                        .collect()
                } else {
                    a.chunks(2)
                        .filter(|p| p.len() == 2)
                        .filter_map(|p| Some((bytes(&p[0])?, text(&p[1]))))
                        .collect()
                };
            let more = (xs.len() == WINDOW).then(|| More::Index(i + WINDOW as i64));
            (Some(Chunk::Zset(xs)), more)
        }
        ("hash", More::Cursor(_)) | ("set", More::Cursor(_)) => {
            let a = items(v);
            let next = a.first().and_then(int).unwrap_or(0) as u64;
            let page = a.get(1).map(items).unwrap_or(&[]);
            let chunk = if key_type == "hash" {
                Chunk::Hash(pairs(page))
            } else {
                Chunk::Set(page.iter().filter_map(bytes).collect())
            };
            (Some(chunk), (next != 0).then_some(More::Cursor(next)))
        }
        ("stream", More::After(_)) => {
            let entries: Vec<Entry> = items(v)
                .iter()
                .filter_map(|e| {
                    let e = items(e);
                    Some((text(e.first()?), pairs(items(e.get(1)?))))
                })
                .collect();
            let more = (entries.len() == WINDOW)
                .then(|| entries.last().map(|(id, _)| More::After(format!("({id}"))))
                .flatten();
            (Some(Chunk::Stream(entries)), more)
        }
        _ => (None, None),
    })
}

/// `TYPE`, `PTTL` and the first window of every key of a page; keys gone since SCAN are left out.
pub async fn fetch_page<C: ConnectionLike + Send>(
    conn: &mut C,
    keys: Vec<Vec<u8>>,
) -> Result<Vec<Fetched>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = redis::pipe();
    p.ignore_errors();
    for k in &keys {
        p.cmd("TYPE").arg(k);
        p.cmd("PTTL").arg(k);
    }
    let replies: Vec<Value> = p.query_async(conn).await?;
    let now = now_ms();
    let mut rows = Vec::with_capacity(keys.len());
    let mut reads = redis::pipe();
    reads.ignore_errors();
    let mut read_of = Vec::with_capacity(keys.len());
    for (key, r) in keys.into_iter().zip(replies.chunks(2)) {
        if let Some(e) = server_error(&r[0]) {
            return Err(e);
        }
        let key_type = text(&r[0]);
        if key_type == "none" {
            continue;
        }
        let from = start_of(&key_type);
        match window_cmd(&key, &key_type, &from) {
            Some(c) => {
                reads.add_command(c);
                read_of.push(Some(from));
            }
            None => read_of.push(None),
        }
        rows.push(Fetched {
            key,
            key_type,
            expire_at_ms: expiry(&r[1], now),
            first: None,
            more: None,
        });
    }
    let values: Vec<Value> = if reads.is_empty() {
        Vec::new()
    } else {
        reads.query_async(conn).await?
    };
    let mut values = values.into_iter();
    let mut keep = Vec::with_capacity(rows.len());
    for (mut row, from) in rows.into_iter().zip(read_of) {
        if let Some(from) = from {
            let v = values.next().unwrap_or(Value::Nil);
            if matches!(v, Value::Nil) {
                continue; // deleted between the two pipelines
            }
            let (first, more) = parse_window(&row.key_type, &from, &v)?;
            row.first = first;
            row.more = more;
        }
        keep.push(row);
    }
    Ok(keep)
}

/// The next window of a value; answers it and where the one after starts.
pub async fn next_window<C: ConnectionLike + Send>(
    conn: &mut C,
    key: &[u8],
    key_type: &str,
    from: &More,
) -> Result<(Option<Chunk>, Option<More>)> {
    let Some(c) = window_cmd(key, key_type, from) else {
        return Ok((None, None));
    };
    let v: Value = c.query_async(conn).await?;
    parse_window(key_type, from, &v)
}
