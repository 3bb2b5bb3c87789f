//! New keys: one key of any core type (or a RedisJSON document when the module is loaded) with
//! its first elements and a TTL, written by one Lua script so that "refuse to overwrite" is
//! decided by the server atomically, not by a client-side EXISTS that races other writers.

use redis::Value;
use serde::{Deserialize, Serialize};

use super::browser::{Browser, KeyValue};
use super::bytes::{escape, key_arg, opt_arg};
use redscope::error::{Error, Result};

/// Most elements one `key_create` writes (the script passes them as one command's arguments).
pub const MAX_CREATE_ELEMENTS: usize = 1000;

/// The type of a new key.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum NewKeyType {
    String,
    Hash,
    List,
    Set,
    Zset,
    Stream,
    /// A RedisJSON document (needs the module: `MODULE LIST` shows ReJSON).
    Json,
}

/// One element of a new collection: a list item or set member (`value`), a hash field or
/// stream field (`field` + `value`), a sorted-set member (`value` + `score`).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct NewElement {
    pub value: Option<String>,
    pub value_b64: Option<String>,
    pub field: Option<String>,
    pub field_b64: Option<String>,
    pub score: Option<f64>,
}

/// Request of `key_create`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct KeyCreate {
    pub key: Option<String>,
    pub key_b64: Option<String>,
    /// What to create.
    #[serde(rename = "type")]
    pub key_type: NewKeyType,
    /// A string's value; a JSON document's text.
    pub value: Option<String>,
    pub value_b64: Option<String>,
    /// A collection's first elements (at least one: Redis has no empty collections).
    pub elements: Option<Vec<NewElement>>,
    /// A stream's first entry ID (default `*`, the server's clock).
    pub stream_id: Option<String>,
    /// Milliseconds to live (none: no expiry).
    pub ttl_ms: Option<u64>,
    /// Replace an existing key of this name (otherwise the call is refused with 409).
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub overwrite: bool,
}

/// Creates KEYS[1] with `redis.call(ARGV[3], KEYS[1], ARGV[4..])`, then PEXPIRE ARGV[2] when not
/// `0`. Returns 0 without writing when the key exists and ARGV[1] is not `1`.
const CREATE_SCRIPT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then
  if ARGV[1] ~= '1' then return 0 end
  redis.call('DEL', KEYS[1])
end
redis.call(ARGV[3], KEYS[1], unpack(ARGV, 4))
if ARGV[2] ~= '0' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
";

impl Browser {
    /// Creates a key with its first value(s) and an optional TTL; refuses (409) to replace an
    /// existing key unless `overwrite`. Everything that could fail after the old key is deleted
    /// (bad JSON, scores, stream IDs) is checked before the script runs.
    pub async fn key_create(&self, r: KeyCreate) -> Result<KeyValue> {
        self.session.ensure_writable("creating a key")?;
        let key = key_arg(r.key.as_deref(), r.key_b64.as_deref(), "key")?;
        let value = opt_arg(r.value.as_deref(), r.value_b64.as_deref(), "value")?;
        let elements = r.elements.as_deref().unwrap_or_default();
        if elements.len() > MAX_CREATE_ELEMENTS {
            return Err(Error::InvalidInput(format!(
                "at most {MAX_CREATE_ELEMENTS} elements when creating a key ({} given): add more afterwards",
                elements.len()
            )));
        }
        if r.ttl_ms == Some(0) {
            return Err(Error::InvalidInput("ttl_ms must be positive".into()));
        }
        let collection = !matches!(r.key_type, NewKeyType::String | NewKeyType::Json);
        if collection && elements.is_empty() {
            return Err(Error::InvalidInput(
                "a new collection needs at least one element (Redis keeps no empty collections)"
                    .into(),
            ));
        }
        let elem_value = |e: &NewElement, what: &str| -> Result<Vec<u8>> {
            opt_arg(e.value.as_deref(), e.value_b64.as_deref(), what)?
                .ok_or_else(|| Error::InvalidInput(format!("every element needs a {what}")))
        };
        let elem_field = |e: &NewElement| -> Result<Vec<u8>> {
            opt_arg(e.field.as_deref(), e.field_b64.as_deref(), "field")?
                .ok_or_else(|| Error::InvalidInput("every element needs a field".into()))
        };
        let (command, args): (&str, Vec<Vec<u8>>) = match r.key_type {
            NewKeyType::String => (
                "SET",
                vec![value.ok_or_else(|| Error::InvalidInput("a string needs value".into()))?],
            ),
            NewKeyType::Json => {
                let text = value.ok_or_else(|| {
                    Error::InvalidInput("a JSON document needs value (its JSON text)".into())
                })?;
                serde_json::from_slice::<serde_json::Value>(&text).map_err(|e| {
                    Error::InvalidInput(format!("the value is not valid JSON: {e}"))
                })?;
                self.ensure_json_module().await?;
                ("JSON.SET", vec![b"$".to_vec(), text])
            }
            NewKeyType::Hash => {
                let mut a = Vec::new();
                for e in elements {
                    a.push(elem_field(e)?);
                    a.push(elem_value(e, "value")?);
                }
                ("HSET", a)
            }
            NewKeyType::List | NewKeyType::Set => {
                let a = elements
                    .iter()
                    .map(|e| elem_value(e, "value"))
                    .collect::<Result<Vec<_>>>()?;
                (
                    if r.key_type == NewKeyType::List {
                        "RPUSH"
                    } else {
                        "SADD"
                    },
                    a,
                )
            }
            NewKeyType::Zset => {
                let mut a = Vec::new();
                for e in elements {
                    let score = e.score.filter(|s| s.is_finite()).ok_or_else(|| {
                        Error::InvalidInput("every sorted-set member needs a finite score".into())
                    })?;
                    a.push(score.to_string().into_bytes());
                    a.push(elem_value(e, "value")?);
                }
                ("ZADD", a)
            }
            NewKeyType::Stream => {
                let id = r.stream_id.as_deref().unwrap_or("*");
                check_new_stream_id(id)?;
                let mut a = vec![id.as_bytes().to_vec()];
                for e in elements {
                    a.push(elem_field(e)?);
                    a.push(elem_value(e, "value")?);
                }
                ("XADD", a)
            }
        };
        let mut c = self.session.conn().await?;
        let mut cmd = redis::cmd("EVAL");
        cmd.arg(CREATE_SCRIPT)
            .arg(1)
            .arg(&key)
            .arg(if r.overwrite { "1" } else { "0" })
            .arg(r.ttl_ms.unwrap_or(0))
            .arg(command);
        for a in &args {
            cmd.arg(a);
        }
        let created: i64 = cmd.query_async(&mut c).await?;
        if created == 0 {
            return Err(Error::ConfirmationRequired(format!(
                "key {:?} already exists: pass overwrite: true to replace it",
                escape(&key)
            )));
        }
        tracing::info!(key = %escape(&key), kind = ?r.key_type, "key created");
        self.trees.clear();
        self.key_after(&key).await
    }

    /// Refuses JSON keys when the server has no RedisJSON module.
    async fn ensure_json_module(&self) -> Result<()> {
        if self.modules().await?.iter().any(|m| is_json_module(m)) {
            Ok(())
        } else {
            Err(Error::InvalidInput(
                "this server has no RedisJSON module (MODULE LIST shows no ReJSON): JSON keys cannot be created"
                    .into(),
            ))
        }
    }

    /// Names of the loaded modules (`MODULE LIST`); empty when the server refuses the command.
    pub(crate) async fn modules(&self) -> Result<Vec<String>> {
        let mut c = self.session.conn().await?;
        let reply: redis::RedisResult<Value> =
            redis::cmd("MODULE").arg("LIST").query_async(&mut c).await;
        let Ok(reply) = reply else {
            return Ok(Vec::new());
        };
        Ok(module_names(&reply))
    }
}

/// RedisJSON answers as `ReJSON`, Valkey's JSON module as `json`.
pub(crate) fn is_json_module(name: &str) -> bool {
    name.eq_ignore_ascii_case("rejson") || name.eq_ignore_ascii_case("json")
}

/// The `name` of each module in a MODULE LIST reply (RESP2 flat pairs or RESP3 maps).
fn module_names(reply: &Value) -> Vec<String> {
    let Value::Array(mods) = reply else {
        return Vec::new();
    };
    let text = |v: &Value| match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        _ => None,
    };
    mods.iter()
        .filter_map(|m| match m {
            Value::Array(kv) => kv
                .chunks_exact(2)
                .find(|p| text(&p[0]).as_deref() == Some("name"))
                .and_then(|p| text(&p[1])),
            Value::Map(kv) => kv
                .iter()
                .find(|(k, _)| text(k).as_deref() == Some("name"))
                .and_then(|(_, v)| text(v)),
            _ => None,
        })
        .collect()
}

/// A first entry ID XADD accepts on a new stream: `*`, `<ms>`, `<ms>-*` or `<ms>-<seq>` above 0-0.
#[doc(hidden)]
pub fn check_new_stream_id(id: &str) -> Result<()> {
    let bad = || {
        Error::InvalidInput(format!(
            "{id:?} is not a stream entry ID (use *, <ms>, <ms>-* or <ms>-<seq>, above 0-0)"
        ))
    };
    if id == "*" {
        return Ok(());
    }
    let (ms, seq) = id.split_once('-').unwrap_or((id, "*"));
    let ms: u64 = ms.parse().map_err(|_| bad())?;
    let seq: Option<u64> = if seq == "*" {
        None
    } else {
        Some(seq.parse().map_err(|_| bad())?)
    };
    if ms == 0 && seq.unwrap_or(0) == 0 && seq.is_some() {
        return Err(bad());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_stream_ids_are_checked_before_anything_is_deleted() {
        for ok in ["*", "5", "5-*", "5-0", "0-1"] {
            assert!(check_new_stream_id(ok).is_ok(), "{ok}");
        }
        for bad in ["0-0", "x", "5-x", "-1", ""] {
            assert!(check_new_stream_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn module_names_come_from_resp2_and_resp3_replies() {
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let resp2 = Value::Array(vec![Value::Array(vec![
            bulk("name"),
            bulk("ReJSON"),
            bulk("ver"),
            Value::Int(20000),
        ])]);
        assert_eq!(module_names(&resp2), vec!["ReJSON"]);
        let resp3 = Value::Array(vec![Value::Map(vec![(bulk("name"), bulk("json"))])]);
        assert_eq!(module_names(&resp3), vec!["json"]);
        assert!(is_json_module("ReJSON") && is_json_module("json") && !is_json_module("search"));
    }
}
