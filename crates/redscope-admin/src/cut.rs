//! Collection pages cut on the server: one read-only Lua script (EVAL_RO, EVAL before Redis 7)
//! reads a page of a list, hash, set or sorted set and sends at most `cap` bytes of each element
//! and `budget` bytes in all, with every element's true length. So a page of three 20 MiB list
//! items costs a few hundred KiB on the wire and in the reply, not 60 MiB. Where scripts are not
//! allowed (an ACL user without `@scripting`) the caller falls back to plain commands.

use redis::Value;

use crate::browser::{scan_cursor, FieldValue, KeyMeta, KeyQuery, ScoredMember, ValueView};

use redscope::conn::Conn;
use redscope::error::{Error, Result};

/// Bytes of element data one page sends in all (cut elements count their shown part).
pub const PAGE_BYTES: usize = 8 << 20;

/// Reads one page and cuts every element (`KEYS[1]` the key; ARGV: cap, budget, kind, a, b).
/// Returns `{next, {bytes, len, bytes, len, …}}`; scores come back as their text.
const SCRIPT: &str = r#"
local cap, left, kind = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local out = {}
local function put(v)
  local n = #v
  local take = math.min(n, cap, left)
  left = left - take
  out[#out + 1] = string.sub(v, 1, take)
  out[#out + 1] = n
end
local next = '0'
if kind == 'list' then
  for _, v in ipairs(redis.call('LRANGE', KEYS[1], ARGV[4], ARGV[5])) do put(v) end
elseif kind == 'zset' then
  local r = redis.call('ZRANGE', KEYS[1], ARGV[4], ARGV[5], 'WITHSCORES')
  for i = 1, #r, 2 do put(r[i]); out[#out + 1] = r[i + 1] end
else
  local r = redis.call(kind == 'hash' and 'HSCAN' or 'SSCAN', KEYS[1], ARGV[4], 'COUNT', ARGV[5])
  next = r[1]
  for _, v in ipairs(r[2]) do put(v) end
end
return {next, out}
"#;

/// One element as read: its first bytes and its true length.
pub struct Piece {
    pub bytes: Vec<u8>,
    pub len: u64,
}

/// A page read through the script: the next SCAN cursor (`"0"` for ranges), the elements, and
/// for sorted sets each member's score text.
pub struct Page {
    pub next: String,
    pub pieces: Vec<Piece>,
    pub scores: Vec<String>,
}

/// Reads a page of `kind` (`list`/`zset`: `a`..`b` indexes; `hash`/`set`: cursor `a`, count
/// `b`) with each element cut to `cap` bytes. `None` when the server refuses scripts (the
/// caller reads the page with plain commands instead).
pub async fn page(
    c: &mut Conn,
    kind: &str,
    key: &[u8],
    a: &str,
    b: &str,
    cap: usize,
) -> Result<Option<Page>> {
    let run = |eval: &'static str| {
        let mut cmd = redis::cmd(eval);
        cmd.arg(SCRIPT)
            .arg(1)
            .arg(key)
            .arg(cap)
            .arg(PAGE_BYTES)
            .arg(kind)
            .arg(a)
            .arg(b);
        let mut c = c.clone();
        async move { cmd.query_async::<Value>(&mut c).await }
    };
    let v = match run("EVAL_RO").await {
        Ok(v) => v,
        Err(e) if unknown_command(&e) => match run("EVAL").await {
            Ok(v) => v,
            Err(e) if refused(&e) => return Ok(None),
            Err(e) => return Err(e.into()),
        },
        Err(e) if refused(&e) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    parse(v, kind == "zset").map(Some)
}

fn unknown_command(e: &redis::RedisError) -> bool {
    e.to_string()
        .to_ascii_lowercase()
        .contains("unknown command")
}

/// A server that will not run the script (no permission, scripts disabled, busy loading).
fn refused(e: &redis::RedisError) -> bool {
    let t = e.to_string().to_ascii_lowercase();
    t.contains("noperm") || t.contains("noscript") || unknown_command(e)
}

fn parse(v: Value, scored: bool) -> Result<Page> {
    let bad = || Error::Server {
        code: None,
        message: "unexpected reply from the page script".into(),
    };
    let Value::Array(mut top) = v else {
        return Err(bad());
    };
    if top.len() != 2 {
        return Err(bad());
    }
    let items = match top.pop() {
        Some(Value::Array(items)) => items,
        _ => return Err(bad()),
    };
    let next = match top.pop() {
        Some(Value::BulkString(b)) => String::from_utf8_lossy(&b).into_owned(),
        Some(Value::Int(n)) => n.to_string(),
        _ => return Err(bad()),
    };
    let step = if scored { 3 } else { 2 };
    if items.len() % step != 0 {
        return Err(bad());
    }
    let mut pieces = Vec::with_capacity(items.len() / step);
    let mut scores = Vec::new();
    for chunk in items.chunks_exact(step) {
        let (Value::BulkString(bytes), Value::Int(len)) = (&chunk[0], &chunk[1]) else {
            return Err(bad());
        };
        pieces.push(Piece {
            bytes: bytes.clone(),
            len: u64::try_from(*len).map_err(|_| bad())?,
        });
        if scored {
            match &chunk[2] {
                Value::BulkString(s) => scores.push(String::from_utf8_lossy(s).into_owned()),
                _ => return Err(bad()),
            }
        }
    }
    Ok(Page {
        next,
        pieces,
        scores,
    })
}

/// A page of a hash, set, list or sorted set with every element cut to `cap` bytes; `None` for
/// other types and when the server refuses scripts.
pub async fn view(
    c: &mut Conn,
    meta: &KeyMeta,
    key: &[u8],
    q: &KeyQuery,
    offset: u64,
    count: usize,
    cap: usize,
) -> Result<Option<ValueView>> {
    let t = meta.key_type.as_str();
    let (a, b) = match t {
        "hash" | "set" => (scan_cursor(q.cursor.as_deref())?, count as u64),
        "list" | "zset" => (
            offset,
            offset.saturating_add(count as u64).saturating_sub(1),
        ),
        _ => return Ok(None),
    };
    let Some(p) = page(c, t, key, &a.to_string(), &b.to_string(), cap).await? else {
        return Ok(None);
    };
    let size = meta.size.unwrap_or(0);
    let end = offset.saturating_add(p.pieces.len() as u64);
    Ok(Some(match t {
        "hash" => ValueView::Hash {
            cursor: p.next,
            fields: p
                .pieces
                .chunks_exact(2)
                .map(|f| FieldValue {
                    field: f[0].shown(),
                    value: f[1].shown(),
                })
                .collect(),
        },
        "set" => ValueView::Set {
            cursor: p.next,
            members: p.pieces.iter().map(Piece::shown).collect(),
        },
        "list" => ValueView::List {
            offset,
            next: (end < size).then_some(end),
            items: p.pieces.iter().map(Piece::shown).collect(),
        },
        _ => ValueView::Zset {
            offset,
            next: (end < size).then_some(end),
            members: p
                .pieces
                .iter()
                .zip(&p.scores)
                .map(|(m, s)| ScoredMember {
                    member: m.shown(),
                    score: parse_score(s),
                })
                .collect(),
        },
    }))
}

/// A score as Redis writes it (`inf`, `-inf` included).
fn parse_score(s: &str) -> f64 {
    match s {
        "inf" | "+inf" => f64::INFINITY,
        "-inf" => f64::NEG_INFINITY,
        _ => s.parse().unwrap_or(f64::NAN),
    }
}

impl Piece {
    /// As the API shows it: cut pieces carry their true length.
    pub fn shown(&self) -> crate::bytes::Bytes {
        crate::bytes::Bytes::cut(&self.bytes, self.len)
    }
}
