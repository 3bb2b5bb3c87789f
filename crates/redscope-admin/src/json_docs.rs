//! RedisJSON documents: one node of a document read by JSONPath (whole when it fits the reply
//! budget by `JSON.DEBUG MEMORY`, else its type, length and one page of children, each whole
//! when small), and edits by path (`JSON.SET` / `JSON.DEL` / `JSON.ARRAPPEND` /
//! `JSON.NUMINCRBY`) of existing documents — new ones come from the new-key dialog
//! (`key_create`) — each refused in read-only mode.

use std::sync::Arc;

use redis::Value;
use serde::{Deserialize, Serialize};

use super::browser::count_arg;
use super::bytes::{escape, key_arg, Bytes};
use super::modules::{missing_module, text, to_json};
use super::session::Session;
use super::tree::Trees;
use redscope::conn::Conn;
use redscope::error::{Error, Result};

/// Default size up to which a node is returned whole.
pub const DEFAULT_JSON_BUDGET: u64 = 256 << 10;
/// Largest size a node is returned whole at (a bigger one is read by its children).
pub const MAX_JSON_BUDGET: u64 = 1 << 20;
/// A child is returned whole up to this size; bigger ones are opened by their own path.
const CHILD_BUDGET: u64 = 4 << 10;
/// Longest JSONPath accepted.
const MAX_PATH: usize = 1024;
/// One page of an object's member names: `JSON.OBJKEYS KEYS[1] ARGV[1]`, members ARGV[2]
/// (from 0) to ARGV[2] + ARGV[3] - 1, cut on the server (a read-only script).
const OBJKEYS_PAGE: &str = r"#!lua flags=no-writes
local names = redis.call('JSON.OBJKEYS', KEYS[1], ARGV[1])[1]
local out = {}
if type(names) ~= 'table' then return out end
local from = tonumber(ARGV[2]) + 1
local to = math.min(#names, from + tonumber(ARGV[3]) - 1)
for i = from, to do out[#out + 1] = names[i] end
return out
";

/// Request of `json_get`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct JsonQuery {
    pub key: Option<String>,
    pub key_b64: Option<String>,
    /// A JSONPath naming one node (`$` by default: the whole document).
    pub path: Option<String>,
    /// Objects and arrays read by their children: index of the first child.
    pub offset: Option<u64>,
    /// Children per page (default 100, max 10,000).
    pub count: Option<usize>,
    /// Return the node whole up to this many bytes of `JSON.DEBUG MEMORY` (default 256 KiB,
    /// max 1 MiB).
    pub max_bytes: Option<u64>,
}

/// One node of a JSON document.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct JsonNode {
    pub key: Bytes,
    /// The JSONPath of the node.
    pub path: String,
    /// `object`, `array`, `string`, `integer`, `number`, `boolean` or `null`.
    #[serde(rename = "type")]
    pub json_type: String,
    /// Its size in bytes (`JSON.DEBUG MEMORY`).
    pub memory: u64,
    /// Keys of an object, items of an array, bytes of a string.
    pub len: Option<u64>,
    /// The node whole, when it fits the budget.
    pub value: Option<serde_json::Value>,
    /// Otherwise, for objects and arrays: the children from `offset`.
    pub children: Vec<JsonChild>,
    /// The first child of this page.
    pub offset: u64,
    /// The offset of the next page of children, if any.
    pub next: Option<u64>,
}

/// A child of an object or array read by its children.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct JsonChild {
    /// The object key, or the array index as text.
    pub name: String,
    /// Its JSONPath (open it with `json_get`).
    pub path: String,
    #[serde(rename = "type")]
    pub json_type: String,
    /// Its size in bytes.
    pub memory: u64,
    /// The child whole, when small (4 KiB or less).
    pub value: Option<serde_json::Value>,
}

/// What `json_edit` does at `path`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum JsonOp {
    /// `JSON.SET`: replace or add the node (new documents come from `key_create`).
    Set,
    /// `JSON.DEL`: remove the node (`$` removes the key).
    Del,
    /// `JSON.ARRAPPEND`: append `value` to the array.
    Arrappend,
    /// `JSON.NUMINCRBY`: add the number `value`.
    Numincrby,
}

/// Request of `json_edit` (of an existing document: new ones are made by `key_create`).
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct JsonEdit {
    pub key: Option<String>,
    pub key_b64: Option<String>,
    pub op: JsonOp,
    /// JSONPath (default `$`).
    pub path: Option<String>,
    /// JSON text: the new node (`set`), the item (`arrappend`) or a number (`numincrby`).
    pub value: Option<String>,
}

/// Reply of `json_edit`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct JsonEdited {
    pub key: Bytes,
    /// The command's answer: `"OK"`, the number of nodes deleted, the new array lengths or
    /// the new numbers (one per matched node).
    pub result: serde_json::Value,
}

/// JSON documents of one session (see the module doc).
pub struct JsonDocs {
    session: Arc<Session>,
    trees: Arc<Trees>,
}

impl JsonDocs {
    pub(crate) fn new(session: Arc<Session>, trees: Arc<Trees>) -> Self {
        JsonDocs { session, trees }
    }

    /// One node of a document (see the module doc).
    pub async fn get(&self, q: JsonQuery) -> Result<JsonNode> {
        let key = key_arg(q.key.as_deref(), q.key_b64.as_deref(), "key")?;
        let path = path_arg(q.path.as_deref())?;
        let count = count_arg(q.count)?;
        let budget = match q.max_bytes {
            None => DEFAULT_JSON_BUDGET,
            Some(n) if (1..=MAX_JSON_BUDGET).contains(&n) => n,
            Some(n) => {
                return Err(Error::InvalidInput(format!(
                    "max_bytes must be 1 to {MAX_JSON_BUDGET} ({n} given)"
                )))
            }
        };
        let mut c = self.session.conn().await?;
        let (json_type, memory) = type_and_memory(&mut c, &key, &path).await?;
        let mut node = JsonNode {
            key: Bytes::new(&key),
            path: path.clone(),
            json_type: json_type.clone(),
            memory,
            len: None,
            value: None,
            children: Vec::new(),
            offset: 0,
            next: None,
        };
        let len_cmd = match json_type.as_str() {
            "object" => Some("JSON.OBJLEN"),
            "array" => Some("JSON.ARRLEN"),
            "string" => Some("JSON.STRLEN"),
            _ => None,
        };
        if let Some(cmd) = len_cmd {
            let v: Value = json_cmd(cmd)
                .arg(&key)
                .arg(&path)
                .query_async(&mut c)
                .await?;
            node.len = first(&v).and_then(super::modules::int).map(|n| n as u64);
        }
        if memory <= budget {
            node.value = Some(get_value(&mut c, &key, &path).await?);
            return Ok(node);
        }
        let offset = q.offset.unwrap_or(0);
        node.offset = offset;
        let len = node.len.unwrap_or(0);
        let names: Vec<(String, String)> = match json_type.as_str() {
            "object" => {
                // OBJKEYS has no paging: a read-only script cuts the page on the server, so
                // only this page's names cross the wire.
                let v: Value = redis::Script::new(OBJKEYS_PAGE)
                    .key(&key)
                    .arg(&path)
                    .arg(offset)
                    .arg(count)
                    .invoke_async(&mut c)
                    .await?;
                let names: Vec<String> = match v {
                    Value::Array(items) => items.iter().filter_map(text).collect(),
                    _ => Vec::new(),
                };
                names
                    .into_iter()
                    .map(|n| {
                        let p = child_path(&path, &n);
                        (n, p)
                    })
                    .collect()
            }
            "array" => (offset..len.min(offset + count as u64))
                .map(|i| (i.to_string(), format!("{path}[{i}]")))
                .collect(),
            // A scalar over the budget (a huge string): its type and length only.
            _ => Vec::new(),
        };
        if matches!(json_type.as_str(), "object" | "array") {
            let end = offset + names.len() as u64;
            node.next = (end < len).then_some(end);
        }
        if names.is_empty() {
            return Ok(node);
        }
        let mut p = redis::pipe();
        for (_, cp) in &names {
            p.add_command(json_cmd("JSON.TYPE").arg(&key).arg(cp).to_owned());
            p.add_command(
                json_cmd("JSON.DEBUG")
                    .arg("MEMORY")
                    .arg(&key)
                    .arg(cp)
                    .to_owned(),
            );
        }
        let metas: Vec<Value> = p.query_async(&mut c).await?;
        // Small children come whole, as long as together they stay within the budget.
        let mut small = Vec::new();
        let mut spent = 0u64;
        for ((name, cp), m) in names.into_iter().zip(metas.chunks(2)) {
            let json_type = first(&m[0]).and_then(text).unwrap_or_default();
            let memory = first(&m[1])
                .and_then(super::modules::int)
                .unwrap_or(0)
                .max(0) as u64;
            if memory <= CHILD_BUDGET && spent + memory <= budget {
                spent += memory;
                small.push(node.children.len());
            }
            node.children.push(JsonChild {
                name,
                path: cp,
                json_type,
                memory,
                value: None,
            });
        }
        if !small.is_empty() {
            let mut p = redis::pipe();
            for &i in &small {
                p.add_command(
                    json_cmd("JSON.GET")
                        .arg(&key)
                        .arg(&node.children[i].path)
                        .to_owned(),
                );
            }
            let values: Vec<Option<String>> = p.query_async(&mut c).await?;
            for (&i, v) in small.iter().zip(values) {
                node.children[i].value = v.as_deref().and_then(first_of_text);
            }
        }
        Ok(node)
    }

    /// One edit by path (see [`JsonOp`]).
    pub async fn edit(&self, e: JsonEdit) -> Result<JsonEdited> {
        self.session.ensure_writable("editing a JSON document")?;
        let key = key_arg(e.key.as_deref(), e.key_b64.as_deref(), "key")?;
        let path = path_arg(e.path.as_deref())?;
        let value = || -> Result<String> {
            let v = e
                .value
                .as_deref()
                .ok_or_else(|| Error::InvalidInput("this edit needs value (JSON text)".into()))?;
            let parsed: serde_json::Value = serde_json::from_str(v)
                .map_err(|err| Error::InvalidInput(format!("value is not JSON: {err}")))?;
            if e.op == JsonOp::Numincrby && !parsed.is_number() {
                return Err(Error::InvalidInput(format!(
                    "numincrby needs a number ({v} given)"
                )));
            }
            Ok(v.to_string())
        };
        let mut c = self.session.conn().await?;
        let mut cmd = match e.op {
            JsonOp::Set => json_cmd("JSON.SET"),
            JsonOp::Del => json_cmd("JSON.DEL"),
            JsonOp::Arrappend => json_cmd("JSON.ARRAPPEND"),
            JsonOp::Numincrby => json_cmd("JSON.NUMINCRBY"),
        };
        cmd.arg(&key).arg(&path);
        if e.op != JsonOp::Del {
            cmd.arg(value()?);
        }
        if e.op == JsonOp::Set && path == "$" {
            // Replace the whole document, never make one (a key deleted meanwhile stays gone).
            cmd.arg("XX");
        }
        let reply: Value = cmd
            .query_async(&mut c)
            .await
            .map_err(|err| missing_module(err.into(), "RedisJSON"))?;
        if e.op == JsonOp::Set && reply == Value::Nil {
            return Err(Error::NotFound(if path == "$" {
                format!("key {:?} does not exist", escape(&key))
            } else {
                format!(
                    "{path} names no node of {:?} that can be set (its parent is missing)",
                    escape(&key)
                )
            }));
        }
        tracing::info!(op = ?e.op, key = %escape(&key), path = %path, "JSON document edited");
        self.trees.clear();
        let result = match &reply {
            // NUMINCRBY with a `$` path answers JSON text of the new numbers.
            Value::BulkString(b) => serde_json::from_slice(b)
                .unwrap_or_else(|_| serde_json::Value::String(String::from_utf8_lossy(b).into())),
            other => to_json(other),
        };
        Ok(JsonEdited {
            key: Bytes::new(&key),
            result,
        })
    }
}

/// A `JSON.*` command; a server without RedisJSON answers "unknown command", turned into a
/// clear error by the callers.
fn json_cmd(name: &str) -> redis::Cmd {
    redis::cmd(name)
}

/// The type and size of the node at `path`; `not_found` when the key or the node is missing.
async fn type_and_memory(c: &mut Conn, key: &[u8], path: &str) -> Result<(String, u64)> {
    // TYPE first, alone: JSON commands go out only for a JSON key (so the module is there).
    // Unknown-command replies (no module) under concurrent calls made the shared connection
    // drop, failing the other calls with "broken pipe".
    let key_type: String = redis::cmd("TYPE").arg(key).query_async(c).await?;
    if key_type == "none" {
        // MODULE LIST tells a missing key from a server without the module, without sending
        // a command the server doesn't know.
        let modules = super::modules::module_list(c).await.unwrap_or_default();
        if !modules
            .iter()
            .any(|m| super::modules::is_json_module(&m.name))
        {
            return Err(Error::InvalidInput(
                "the server has no RedisJSON module loaded".into(),
            ));
        }
        return Err(Error::NotFound(format!(
            "key {:?} does not exist",
            escape(key)
        )));
    }
    if key_type != "ReJSON-RL" {
        return Err(Error::InvalidInput(format!(
            "key {:?} is a {key_type}, not a JSON document",
            escape(key)
        )));
    }
    let mut p = redis::pipe();
    p.add_command(json_cmd("JSON.TYPE").arg(key).arg(path).to_owned());
    p.add_command(
        json_cmd("JSON.DEBUG")
            .arg("MEMORY")
            .arg(key)
            .arg(path)
            .to_owned(),
    );
    let (types, memory): (Value, Value) = match p.query_async(c).await {
        Ok(v) => v,
        Err(e) => return Err(missing_module(e.into(), "RedisJSON")),
    };
    let Some(json_type) = first(&types).and_then(text) else {
        return Err(Error::NotFound(format!(
            "{path} names nothing in {:?}",
            escape(key)
        )));
    };
    let memory = first(&memory)
        .and_then(super::modules::int)
        .unwrap_or(0)
        .max(0) as u64;
    Ok((json_type, memory))
}

/// The node at `path`, whole.
async fn get_value(c: &mut Conn, key: &[u8], path: &str) -> Result<serde_json::Value> {
    let text: Option<String> = json_cmd("JSON.GET")
        .arg(key)
        .arg(path)
        .query_async(c)
        .await?;
    Ok(text
        .as_deref()
        .and_then(first_of_text)
        .unwrap_or(serde_json::Value::Null))
}

/// The first match of a `$`-path reply: `[x, ...]` (RESP2 and RESP3 nest it once more).
fn first(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(items) => match items.first() {
            Some(Value::Array(inner)) if items.len() == 1 && inner.len() == 1 => inner.first(),
            other => other,
        },
        Value::Nil => None,
        other => Some(other),
    }
}

/// The first match of a `$`-path JSON.GET answer (`"[...]"` JSON text).
fn first_of_text(t: &str) -> Option<serde_json::Value> {
    match serde_json::from_str(t).ok()? {
        serde_json::Value::Array(mut items) if !items.is_empty() => Some(items.swap_remove(0)),
        _ => None,
    }
}

/// A JSONPath naming one node: starts with `$`, at most 1 KiB.
fn path_arg(path: Option<&str>) -> Result<String> {
    let path = path.filter(|p| !p.is_empty()).unwrap_or("$");
    if !path.starts_with('$') || path.len() > MAX_PATH {
        return Err(Error::InvalidInput(format!(
            "path must be a JSONPath starting with $ (at most {MAX_PATH} bytes): {path:?}"
        )));
    }
    Ok(path.to_string())
}

/// The path of an object member: `.name` for identifiers, `["name"]` otherwise.
fn child_path(parent: &str, name: &str) -> String {
    let ident = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident {
        format!("{parent}.{name}")
    } else {
        format!("{parent}[{}]", serde_json::Value::String(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_paths_quote_what_is_not_an_identifier() {
        assert_eq!(child_path("$", "rsi_14"), "$.rsi_14");
        assert_eq!(child_path("$.a", "two words"), r#"$.a["two words"]"#);
        assert_eq!(child_path("$", "q\"x"), r#"$["q\"x"]"#);
        assert_eq!(child_path("$", "1st"), r#"$["1st"]"#);
        assert!(path_arg(Some("a.b")).is_err());
        assert_eq!(path_arg(None).unwrap(), "$");
    }
}
