//! The formats written key by key from windows of values: Redis commands for `redis-cli --pipe`
//! (SET, RPUSH, HSET, SADD, ZADD, XADD, then PEXPIREAT), JSON lines (one object per key) and CSV
//! (one row per element: `key,type,ttl_ms,field,value`). Text that is not UTF-8 is written as
//! `\xNN` escapes in JSON object keys and as `b64:` + base64 in values (JSON: `{"b64": …}`).

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::Value as Json;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::commands::write_command;
use super::values::Chunk;
use crate::registry::now_ms;
use redscope::error::{Error, Result};

/// A readable format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readable {
    Commands,
    Jsonl,
    Csv,
}

/// Writes keys in one readable format; [`KeyWriter::begin`], chunks, [`KeyWriter::end`].
pub struct KeyWriter<W> {
    out: W,
    kind: Readable,
    /// Commands: `DEL` each key before writing it.
    replace: bool,
    bytes: u64,
    key: Vec<u8>,
    key_type: String,
    expire_at_ms: Option<i64>,
    /// JSON: elements written in the current key (for commas).
    written: u64,
}

/// Bytes as JSON: a string when UTF-8, else `{"b64": …}` (lossless either way).
fn json_bytes(b: &[u8]) -> Json {
    match std::str::from_utf8(b) {
        Ok(s) => Json::String(s.to_string()),
        Err(_) => serde_json::json!({ "b64": B64.encode(b) }),
    }
}

fn field_name(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => crate::bytes::escape(b),
    }
}

/// Bytes as a CSV field: the text when UTF-8, else `b64:` + base64.
pub(super) fn csv_text(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_string(),
        Err(_) => format!("b64:{}", B64.encode(b)),
    }
}

fn score_json(s: &str) -> Json {
    s.parse::<f64>()
        .ok()
        .filter(|f| f.is_finite())
        .and_then(serde_json::Number::from_f64)
        .map(Json::Number)
        .unwrap_or_else(|| Json::String(s.to_string()))
}

impl<W: AsyncWrite + Unpin> KeyWriter<W> {
    /// Starts the file (CSV writes its header row).
    pub async fn start(out: W, kind: Readable, replace: bool) -> Result<Self> {
        let mut w = KeyWriter {
            out,
            kind,
            replace,
            bytes: 0,
            key: Vec::new(),
            key_type: String::new(),
            expire_at_ms: None,
            written: 0,
        };
        if kind == Readable::Csv {
            w.csv_row(&["key", "type", "ttl_ms", "field", "value"])
                .await?;
        }
        Ok(w)
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    async fn raw(&mut self, b: &[u8]) -> Result<()> {
        self.out.write_all(b).await?;
        self.bytes += b.len() as u64;
        Ok(())
    }

    async fn cmd(&mut self, args: &[&[u8]]) -> Result<()> {
        self.bytes += write_command(&mut self.out, args).await?;
        Ok(())
    }

    async fn csv_row(&mut self, fields: &[&str]) -> Result<()> {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        w.write_record(fields)
            .map_err(|e| Error::Codec(format!("CSV: {e}")))?;
        let row = w
            .into_inner()
            .map_err(|e| Error::Codec(format!("CSV: {e}")))?;
        self.raw(&row).await
    }

    fn ttl_text(&self) -> String {
        self.expire_at_ms
            .map(|at| (at - now_ms()).max(0).to_string())
            .unwrap_or_default()
    }

    /// Starts a key.
    pub async fn begin(
        &mut self,
        key: &[u8],
        key_type: &str,
        expire_at_ms: Option<i64>,
    ) -> Result<()> {
        self.key = key.to_vec();
        self.key_type = key_type.to_string();
        self.expire_at_ms = expire_at_ms;
        self.written = 0;
        match self.kind {
            Readable::Commands if self.replace => {
                let k = self.key.clone();
                self.cmd(&[&b"DEL"[..], &k[..]]).await
            }
            Readable::Jsonl => {
                let mut head = serde_json::json!({ "key": json_bytes(key), "type": key_type });
                if let Some(at) = expire_at_ms {
                    head["expire_at_ms"] = at.into();
                }
                let mut s = serde_json::to_string(&head)?;
                s.pop(); // reopen the object for "value"
                s.push_str(",\"value\":");
                s.push_str(match key_type {
                    "hash" => "{",
                    "string" => "",
                    _ => "[",
                });
                self.raw(s.as_bytes()).await
            }
            _ => Ok(()),
        }
    }

    async fn json_item(&mut self, item: String) -> Result<()> {
        if self.written > 0 {
            self.raw(b",").await?;
        }
        self.written += 1;
        self.raw(item.as_bytes()).await
    }

    /// Writes one window of the current key.
    pub async fn chunk(&mut self, c: &Chunk) -> Result<()> {
        let key = self.key.clone();
        match self.kind {
            Readable::Commands => match c {
                Chunk::String(v) => self.cmd(&[&b"SET"[..], &key[..], &v[..]]).await?,
                Chunk::List(xs) | Chunk::Set(xs) if !xs.is_empty() => {
                    let name: &[u8] = if matches!(c, Chunk::List(_)) {
                        b"RPUSH"
                    } else {
                        b"SADD"
                    };
                    let mut args: Vec<&[u8]> = vec![name, &key[..]];
                    args.extend(xs.iter().map(|x| x.as_slice()));
                    self.cmd(&args).await?
                }
                Chunk::Hash(ps) if !ps.is_empty() => {
                    let mut args: Vec<&[u8]> = vec![&b"HSET"[..], &key[..]];
                    for (f, v) in ps {
                        args.push(f);
                        args.push(v);
                    }
                    self.cmd(&args).await?
                }
                Chunk::Zset(ps) if !ps.is_empty() => {
                    let mut args: Vec<&[u8]> = vec![&b"ZADD"[..], &key[..]];
                    for (m, s) in ps {
                        args.push(s.as_bytes());
                        args.push(m);
                    }
                    self.cmd(&args).await?
                }
                Chunk::Stream(es) => {
                    for (id, fields) in es {
                        let mut args: Vec<&[u8]> = vec![&b"XADD"[..], &key[..], id.as_bytes()];
                        for (f, v) in fields {
                            args.push(f);
                            args.push(v);
                        }
                        self.cmd(&args).await?;
                    }
                }
                _ => {}
            },
            Readable::Jsonl => match c {
                Chunk::String(v) => {
                    self.raw(serde_json::to_string(&json_bytes(v))?.as_bytes())
                        .await?
                }
                Chunk::List(xs) | Chunk::Set(xs) => {
                    for x in xs {
                        self.json_item(serde_json::to_string(&json_bytes(x))?)
                            .await?;
                    }
                }
                Chunk::Hash(ps) => {
                    for (f, v) in ps {
                        let item = format!(
                            "{}:{}",
                            serde_json::to_string(&field_name(f))?,
                            serde_json::to_string(&json_bytes(v))?
                        );
                        self.json_item(item).await?;
                    }
                }
                Chunk::Zset(ps) => {
                    for (m, s) in ps {
                        let item = serde_json::to_string(&serde_json::json!([
                            json_bytes(m),
                            score_json(s)
                        ]))?;
                        self.json_item(item).await?;
                    }
                }
                Chunk::Stream(es) => {
                    for (id, fields) in es {
                        let mut obj = serde_json::Map::new();
                        for (f, v) in fields {
                            obj.insert(field_name(f), json_bytes(v));
                        }
                        let item =
                            serde_json::to_string(&serde_json::json!({ "id": id, "fields": obj }))?;
                        self.json_item(item).await?;
                    }
                }
            },
            Readable::Csv => {
                let k = csv_text(&key);
                let t = self.key_type.clone();
                let ttl = self.ttl_text();
                match c {
                    Chunk::String(v) => self.csv_row(&[&k, &t, &ttl, "", &csv_text(v)]).await?,
                    Chunk::List(xs) => {
                        let base = self.written;
                        for (i, x) in xs.iter().enumerate() {
                            let idx = (base + i as u64).to_string();
                            self.csv_row(&[&k, &t, &ttl, &idx, &csv_text(x)]).await?;
                        }
                        self.written += xs.len() as u64;
                    }
                    Chunk::Set(xs) => {
                        for x in xs {
                            self.csv_row(&[&k, &t, &ttl, "", &csv_text(x)]).await?;
                        }
                    }
                    Chunk::Hash(ps) => {
                        for (f, v) in ps {
                            self.csv_row(&[&k, &t, &ttl, &csv_text(f), &csv_text(v)])
                                .await?;
                        }
                    }
                    Chunk::Zset(ps) => {
                        for (m, s) in ps {
                            self.csv_row(&[&k, &t, &ttl, &csv_text(m), s]).await?;
                        }
                    }
                    Chunk::Stream(es) => {
                        for (id, fields) in es {
                            let mut obj = serde_json::Map::new();
                            for (f, v) in fields {
                                obj.insert(field_name(f), json_bytes(v));
                            }
                            let v = serde_json::to_string(&obj)?;
                            self.csv_row(&[&k, &t, &ttl, id, &v]).await?;
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Ends the current key (its expiry, the JSON line's end).
    pub async fn end(&mut self) -> Result<()> {
        let key = self.key.clone();
        match self.kind {
            Readable::Commands => {
                if let Some(at) = self.expire_at_ms {
                    let at = at.to_string();
                    self.cmd(&[&b"PEXPIREAT"[..], &key[..], at.as_bytes()])
                        .await?;
                }
            }
            Readable::Jsonl => {
                let close: &[u8] = match self.key_type.as_str() {
                    "hash" => b"}}\n",
                    "string" => b"}\n",
                    _ => b"]}\n",
                };
                self.raw(close).await?;
            }
            Readable::Csv => {}
        }
        Ok(())
    }

    /// Flushes the file.
    pub async fn finish(mut self) -> Result<u64> {
        self.out.flush().await?;
        Ok(self.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key as the tests write it: name, type, expiry, windows.
    type TestKey = (&'static [u8], &'static str, Option<i64>, Vec<Chunk>);

    async fn write(kind: Readable, keys: &[TestKey]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = KeyWriter::start(&mut out, kind, false).await.unwrap();
        for (k, t, exp, chunks) in keys {
            w.begin(k, t, *exp).await.unwrap();
            for c in chunks {
                w.chunk(c).await.unwrap();
            }
            w.end().await.unwrap();
        }
        w.finish().await.unwrap();
        out
    }

    fn sample() -> Vec<TestKey> {
        vec![
            (
                &b"s"[..],
                "string",
                None,
                vec![Chunk::String(vec![0xff, b'a'])],
            ),
            (
                &b"h"[..],
                "hash",
                Some(4_000_000_000_000),
                vec![
                    Chunk::Hash(vec![(b"a".to_vec(), b"1".to_vec())]),
                    Chunk::Hash(vec![(b"b,\"".to_vec(), b"2".to_vec())]),
                ],
            ),
            (
                &b"z"[..],
                "zset",
                None,
                vec![Chunk::Zset(vec![
                    (b"m".to_vec(), "inf".into()),
                    (b"n".to_vec(), "1.5".into()),
                ])],
            ),
            (
                &b"x"[..],
                "stream",
                None,
                vec![Chunk::Stream(vec![(
                    "1-1".into(),
                    vec![(b"bid".to_vec(), b"1".to_vec())],
                )])],
            ),
        ]
    }

    #[tokio::test]
    async fn json_lines_are_one_valid_object_per_key_across_windows() {
        let text = String::from_utf8(write(Readable::Jsonl, &sample()).await).unwrap();
        let lines: Vec<Json> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0]["value"]["b64"], B64.encode([0xff, b'a']));
        assert_eq!(
            lines[1]["value"],
            serde_json::json!({"a": "1", "b,\"": "2"})
        );
        assert_eq!(lines[1]["expire_at_ms"], 4_000_000_000_000i64);
        assert_eq!(
            lines[2]["value"],
            serde_json::json!([["m", "inf"], ["n", 1.5]])
        );
        assert_eq!(lines[3]["value"][0]["fields"]["bid"], "1");
    }

    #[tokio::test]
    async fn csv_quotes_what_needs_quoting() {
        let text = String::from_utf8(write(Readable::Csv, &sample()).await).unwrap();
        let mut r = csv::Reader::from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = r.records().map(|r| r.unwrap()).collect();
        assert_eq!(rows.len(), 6);
        assert_eq!(&rows[0][4], &format!("b64:{}", B64.encode([0xff, b'a'])));
        assert_eq!(&rows[2][3], "b,\"");
        assert!(rows[1][2].parse::<i64>().unwrap() > 0, "a TTL in ms");
        assert_eq!(&rows[3][4], "inf");
    }

    #[tokio::test]
    async fn commands_put_the_expiry_after_the_value() {
        let text = write(Readable::Commands, &sample()).await;
        let mut r = super::super::commands::CommandReader::new(&text[..], text.len() as u64);
        let mut names = Vec::new();
        while let Some(a) = r.next().await.unwrap() {
            names.push(String::from_utf8(a[0].clone()).unwrap());
        }
        assert_eq!(names, ["SET", "HSET", "HSET", "PEXPIREAT", "ZADD", "XADD"]);
    }
}
