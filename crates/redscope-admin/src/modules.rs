//! Which server and modules a session talks to: the product and version from INFO
//! (`server_name`: Redis or Valkey) and the loaded modules from `MODULE LIST`, so the UI shows
//! the JSON, Search and probabilistic views only where they work; and the reply helpers the
//! module features share (RESP2 flat pairs or RESP3 maps alike).

use std::sync::Arc;

use redis::Value;
use serde::Serialize;

use super::session::Session;
use redscope::conn::Conn;
use redscope::error::{Error, Result};
use redscope::health;

/// One loaded module.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ModuleInfo {
    /// The module's name (`ReJSON`, `search`, `bf`, ...).
    pub name: String,
    /// Its version number as the module reports it.
    pub version: Option<i64>,
}

/// Reply of `modules`: the server product and what the modules let the UI offer.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ServerModules {
    /// `redis` or `valkey` (INFO's `server_name`; Redis 7.0 has none and is `redis`).
    pub server: String,
    /// The product's version (`valkey_version` on Valkey, else `redis_version`).
    pub version: Option<String>,
    /// Every loaded module (empty when there are none or `MODULE LIST` is not allowed).
    pub modules: Vec<ModuleInfo>,
    /// RedisJSON is loaded: JSON documents can be read and edited by path.
    pub json: bool,
    /// RediSearch is loaded: the search workbench works.
    pub search: bool,
    /// RedisBloom is loaded: Bloom, Cuckoo, Count-Min and Top-K keys open.
    pub bloom: bool,
}

/// Detects the server product and its modules (see the module doc).
pub struct Modules {
    session: Arc<Session>,
}

impl Modules {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        Modules { session }
    }

    /// The server product, version and loaded modules. A server that refuses `MODULE LIST`
    /// (an ACL without it) is reported with no modules rather than as an error.
    pub async fn detect(&self) -> Result<ServerModules> {
        let mut c = self.session.conn().await?;
        let info = health::info(&mut c, Some("server")).await?;
        let modules = module_list(&mut c).await?;
        let has = |is: fn(&str) -> bool| modules.iter().any(|m| is(&m.name));
        Ok(ServerModules {
            server: info.server_name().to_string(),
            version: info.server_version().map(str::to_string),
            json: has(is_json_module),
            search: has(is_search_module),
            bloom: has(is_bloom_module),
            modules,
        })
    }
}

/// The loaded modules (`MODULE LIST`). An error reply (NOPERM, unknown command) means "none
/// we can use", not a failure; a dead connection is one.
pub async fn module_list(c: &mut Conn) -> Result<Vec<ModuleInfo>> {
    match redis::cmd("MODULE")
        .arg("LIST")
        .query_async::<Value>(c)
        .await
    {
        Ok(v) => Ok(parse_module_list(&v)),
        Err(e) if !e.is_io_error() && !e.is_timeout() && !e.is_connection_dropped() => {
            tracing::debug!("MODULE LIST refused: {e}");
            Ok(Vec::new())
        }
        Err(e) => Err(e.into()),
    }
}

/// RedisJSON answers as `ReJSON`, Valkey's own JSON module as `json`.
pub fn is_json_module(name: &str) -> bool {
    name.eq_ignore_ascii_case("rejson") || name.eq_ignore_ascii_case("json")
}

/// RediSearch answers as `search` (`ft` in some builds).
pub fn is_search_module(name: &str) -> bool {
    name.eq_ignore_ascii_case("search") || name.eq_ignore_ascii_case("ft")
}

/// RedisBloom answers as `bf`.
pub fn is_bloom_module(name: &str) -> bool {
    name.eq_ignore_ascii_case("bf")
}

fn parse_module_list(v: &Value) -> Vec<ModuleInfo> {
    let Value::Array(items) = v else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|m| {
            let p = pairs(m);
            let name = p
                .iter()
                .find(|(k, _)| k == "name")
                .and_then(|(_, v)| text(v))?;
            let version = p.iter().find(|(k, _)| k == "ver").and_then(|(_, v)| int(v));
            Some(ModuleInfo { name, version })
        })
        .collect()
}

/// A reply's key/value pairs: a RESP3 map, or a RESP2 flat array read two at a time (a
/// non-text key ends the pairs).
pub(crate) fn pairs(v: &Value) -> Vec<(String, &Value)> {
    match v {
        Value::Map(kv) => kv
            .iter()
            .filter_map(|(k, v)| text(k).map(|k| (k, v)))
            .collect(),
        Value::Array(items) => items
            .chunks_exact(2)
            .map_while(|p| text(&p[0]).map(|k| (k, &p[1])))
            .collect(),
        _ => Vec::new(),
    }
}

/// The value of `key` among `pairs`.
pub(crate) fn field<'a>(pairs: &'a [(String, &'a Value)], key: &str) -> Option<&'a Value> {
    pairs.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
}

/// A text reply (bulk, simple, verbatim, OK).
pub(crate) fn text(v: &Value) -> Option<String> {
    match v {
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).into_owned()),
        Value::SimpleString(s) => Some(s.clone()),
        Value::VerbatimString { text, .. } => Some(text.clone()),
        Value::Okay => Some("OK".into()),
        Value::Int(n) => Some(n.to_string()),
        Value::Double(d) => Some(d.to_string()),
        _ => None,
    }
}

/// A number reply: an integer, a double, or text that parses as one.
pub(crate) fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Int(n) => Some(*n as f64),
        Value::Double(d) => Some(*d),
        other => text(other)?.trim().parse().ok(),
    }
}

/// A whole-number reply.
pub(crate) fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(n) => Some(*n),
        other => num(other).map(|f| f as i64),
    }
}

/// A reply as JSON, for figures shown as they come (module INFO, profiles): maps become
/// objects, arrays stay arrays, text that is a number becomes a number.
pub(crate) fn to_json(v: &Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        Value::Nil => J::Null,
        Value::Int(n) => J::from(*n),
        Value::Double(d) => serde_json::Number::from_f64(*d)
            .map(J::Number)
            .unwrap_or(J::Null),
        Value::Boolean(b) => J::Bool(*b),
        Value::Map(kv) => J::Object(
            kv.iter()
                .map(|(k, v)| (text(k).unwrap_or_default(), to_json(v)))
                .collect(),
        ),
        Value::Array(items) | Value::Set(items) => J::Array(items.iter().map(to_json).collect()),
        other => match text(other) {
            Some(t) => J::String(t),
            None => J::String(format!("{other:?}")),
        },
    }
}

/// The error to show when a module command is unknown: which module the server lacks.
pub(crate) fn missing_module(e: Error, module: &str) -> Error {
    let msg = e.to_string();
    if msg.to_ascii_lowercase().contains("unknown command") {
        Error::InvalidInput(format!("the server has no {module} module loaded ({msg})"))
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_lists_are_read_from_resp2_and_resp3_replies() {
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let resp2 = Value::Array(vec![Value::Array(vec![
            bulk("name"),
            bulk("ReJSON"),
            bulk("ver"),
            Value::Int(20000),
        ])]);
        let m = parse_module_list(&resp2);
        assert_eq!((m[0].name.as_str(), m[0].version), ("ReJSON", Some(20000)));
        let resp3 = Value::Array(vec![Value::Map(vec![(bulk("name"), bulk("json"))])]);
        let m = parse_module_list(&resp3);
        assert_eq!((m[0].name.as_str(), m[0].version), ("json", None));
        assert!(is_json_module("ReJSON") && is_json_module("json") && !is_json_module("search"));
    }
}
