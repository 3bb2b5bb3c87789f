//! Command documentation for the console's completion: every command and subcommand the server
//! knows, with its summary, group and a syntax line built from `COMMAND DOCS` arguments the
//! way redis-cli shows them (`SET key value [NX|XX] [GET] …`). Read once per connection URL
//! and kept; servers before 7.0 (no COMMAND DOCS) answer with names only, from `COMMAND`.

use std::sync::{Arc, Mutex};

use redis::Value;
use serde::Serialize;

use super::session::Session;
use super::sync::lock;
use redscope::error::Result;

/// One command (or `CONTAINER SUB` subcommand) for completion.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct CommandDoc {
    /// Upper case, subcommands as `CONFIG SET`.
    pub name: String,
    pub summary: String,
    /// `string`, `hash`, `server`, … (empty when unknown).
    pub group: String,
    /// The arguments after the name, as redis-cli shows them.
    pub syntax: String,
    /// The Redis version that added it.
    pub since: String,
}

/// Reply of `console_docs`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct CommandDocs {
    /// Sorted by name.
    pub commands: Vec<CommandDoc>,
}

/// The cached documentation of the connection it was read from.
#[derive(Default)]
pub struct DocsCache {
    cached: Mutex<Option<(String, Arc<CommandDocs>)>>,
}

fn text(v: &Value) -> String {
    match v {
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::VerbatimString { text, .. } => text.clone(),
        Value::Int(n) => n.to_string(),
        _ => String::new(),
    }
}

/// The pairs of a map reply (RESP3 map, or RESP2's flat key/value array).
fn pairs(v: &Value) -> Vec<(String, &Value)> {
    match v {
        Value::Map(m) => m.iter().map(|(k, v)| (text(k), v)).collect(),
        Value::Array(a) => a
            .chunks(2)
            .filter(|p| p.len() == 2)
            .map(|p| (text(&p[0]), &p[1]))
            .collect(),
        _ => Vec::new(),
    }
}

fn field<'a>(m: &'a [(String, &'a Value)], name: &str) -> Option<&'a Value> {
    m.iter().find(|(k, _)| k == name).map(|(_, v)| *v)
}

fn items(v: &Value) -> &[Value] {
    match v {
        Value::Array(a) | Value::Set(a) => a,
        _ => &[],
    }
}

/// One argument as redis-cli writes it.
fn render_arg(arg: &Value) -> String {
    let m = pairs(arg);
    let kind = field(&m, "type").map(text).unwrap_or_default();
    let name = field(&m, "display_text")
        .or_else(|| field(&m, "name"))
        .map(text)
        .unwrap_or_default();
    let token = field(&m, "token").map(text);
    let flags: Vec<String> = field(&m, "flags")
        .map(|f| items(f).iter().map(text).collect())
        .unwrap_or_default();
    let subs: Vec<String> = field(&m, "arguments")
        .map(|a| items(a).iter().map(render_arg).collect())
        .unwrap_or_default();
    let body = match kind.as_str() {
        "pure-token" => token.clone().unwrap_or(name),
        "oneof" => subs.join("|"),
        "block" => subs.join(" "),
        _ => name,
    };
    let body = match (&token, kind.as_str()) {
        (Some(t), k) if k != "pure-token" => format!("{t} {body}"),
        _ => body,
    };
    let body = if flags.iter().any(|f| f == "multiple") {
        format!("{body} [{body} ...]")
    } else {
        body
    };
    if flags.iter().any(|f| f == "optional") {
        format!("[{body}]")
    } else {
        body
    }
}

fn doc(name: String, d: &Value) -> CommandDoc {
    let m = pairs(d);
    let syntax = field(&m, "arguments")
        .map(|a| {
            items(a)
                .iter()
                .map(render_arg)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    CommandDoc {
        name: name.to_uppercase().replace('|', " "),
        summary: field(&m, "summary").map(text).unwrap_or_default(),
        group: field(&m, "group").map(text).unwrap_or_default(),
        syntax,
        since: field(&m, "since").map(text).unwrap_or_default(),
    }
}

/// Every command and subcommand of a `COMMAND DOCS` reply, sorted.
pub fn parse_docs(v: &Value) -> Vec<CommandDoc> {
    let mut out = Vec::new();
    for (name, d) in pairs(v) {
        out.push(doc(name, d));
        let m = pairs(d);
        if let Some(subs) = field(&m, "subcommands") {
            for (sub, sd) in pairs(subs) {
                out.push(doc(sub, sd));
            }
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

impl DocsCache {
    /// The documentation of the session's server, read on first use per connection.
    pub async fn get(&self, session: &Session) -> Result<Arc<CommandDocs>> {
        let url = session.active_config().display_url();
        if let Some((u, d)) = lock(&self.cached).as_ref() {
            if *u == url {
                return Ok(d.clone());
            }
        }
        let mut c = session.conn().await?;
        let docs: redis::RedisResult<Value> =
            redis::cmd("COMMAND").arg("DOCS").query_async(&mut c).await;
        let commands = match docs {
            Ok(v @ (Value::Array(_) | Value::Map(_))) => parse_docs(&v),
            // Before 7.0: names from COMMAND, without docs.
            _ => {
                let v: Value = redis::cmd("COMMAND").query_async(&mut c).await?;
                let mut out: Vec<CommandDoc> = items(&v)
                    .iter()
                    .filter_map(|c| items(c).first().map(text))
                    .map(|n| CommandDoc {
                        name: n.to_uppercase(),
                        summary: String::new(),
                        group: String::new(),
                        syntax: String::new(),
                        since: String::new(),
                    })
                    .collect();
                out.sort_by(|a, b| a.name.cmp(&b.name));
                out
            }
        };
        let docs = Arc::new(CommandDocs { commands });
        *lock(&self.cached) = Some((url, docs.clone()));
        Ok(docs)
    }
}
