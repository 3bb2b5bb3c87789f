//! Server tools: INFO by section, SLOWLOG (get, reset), CLIENT LIST (kill by id), CONFIG GET
//! (secrets hidden everywhere by [`crate::redact`]) and BGSAVE / BGREWRITEAOF. On a Cluster each tool asks every master and says
//! which node answered; resets, kills and saves go to every master.

use std::collections::BTreeMap;
use std::sync::Arc;

use redis::Value;
use serde::{Deserialize, Serialize};

use super::session::Session;
use redscope::conn::NodeConn;
use redscope::error::{Error, Result};

/// Default and largest number of slowlog entries per master.
const SLOWLOG_DEFAULT: usize = 128;
const SLOWLOG_MAX: usize = 10_000;

/// Request of `info`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct InfoQuery {
    /// One section (`server`, `memory`, ...); all when absent.
    pub section: Option<String>,
}

/// Sections of INFO: section name (lowercase) → field → value.
pub type Sections = BTreeMap<String, BTreeMap<String, String>>;

/// Reply of `info`: the first master's sections, and every master's when there are several.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct InfoReply {
    pub sections: Sections,
    /// Per master (`host:port` → sections), for a Cluster.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[ts(as = "Option<BTreeMap<String, Sections>>", optional)]
    pub nodes: BTreeMap<String, Sections>,
}

/// Request of `slowlog`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct SlowlogQuery {
    pub count: Option<usize>,
}

/// One slow command.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct SlowlogEntry {
    pub id: i64,
    /// When it ran, Unix seconds.
    pub at_s: i64,
    pub duration_us: i64,
    /// The command and its arguments (as the server kept them: long ones are cut).
    pub args: Vec<String>,
    pub client: Option<String>,
    pub client_name: Option<String>,
    /// The master that logged it.
    pub node: String,
}

/// A confirmation flag (query string or body).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct Confirm {
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub confirm: bool,
}

/// One connected client, from CLIENT LIST.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ClientInfo {
    pub id: u64,
    pub addr: String,
    pub name: String,
    pub age_s: u64,
    pub idle_s: u64,
    pub db: i64,
    pub flags: String,
    /// Last command.
    pub cmd: String,
    /// The master this client is connected to.
    pub node: String,
    /// Every field CLIENT LIST reported.
    pub fields: BTreeMap<String, String>,
}

/// Request of `client_kill`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ClientKill {
    pub id: u64,
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub confirm: bool,
}

/// Reply of `client_kill`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Killed {
    pub killed: u64,
}

/// Request of `config_get`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ConfigQuery {
    pub pattern: Option<String>,
}

/// Which background persistence to start.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS,
)]
#[serde(rename_all = "lowercase")]
pub enum ServerActionKind {
    Bgsave,
    Bgrewriteaof,
}

/// Request of `server_action`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ServerAction {
    pub action: ServerActionKind,
}

/// Reply of `server_action`: the server's status line (per master, joined with `; `).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ActionReply {
    pub reply: String,
}

/// Empty reply.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Empty {}

/// The server tools of one session; cheap to clone (findings read the slowlog through it).
#[derive(Clone)]
pub struct ServerTools {
    session: Arc<Session>,
}

impl ServerTools {
    pub(crate) fn new(session: Arc<Session>) -> Self {
        ServerTools { session }
    }

    async fn masters(&self) -> Result<Vec<NodeConn>> {
        self.session.masters().await
    }

    /// INFO, parsed by section.
    pub async fn info(&self, q: InfoQuery) -> Result<InfoReply> {
        let section = q.section.filter(|s| !s.is_empty());
        if let Some(s) = &section {
            if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(Error::InvalidInput(format!("{s:?} is not an INFO section")));
            }
        }
        let masters = self.masters().await?;
        let mut nodes = BTreeMap::new();
        let mut first = None;
        for mut m in masters.iter().cloned() {
            let mut cmd = redis::cmd("INFO");
            if let Some(s) = &section {
                cmd.arg(s);
            }
            let text: String = cmd.query_async(&mut m.conn).await?;
            let parsed = parse_info(&crate::redact::info_text(&text));
            first.get_or_insert_with(|| parsed.clone());
            if masters.len() > 1 {
                nodes.insert(m.addr.clone(), parsed);
            }
        }
        Ok(InfoReply {
            sections: first.unwrap_or_default(),
            nodes,
        })
    }

    /// The slowest recent commands of every master, newest first.
    pub async fn slowlog(&self, q: SlowlogQuery) -> Result<Vec<SlowlogEntry>> {
        let count = match q.count {
            None => SLOWLOG_DEFAULT,
            Some(n) if (1..=SLOWLOG_MAX).contains(&n) => n,
            Some(n) => {
                return Err(Error::InvalidInput(format!(
                    "count must be 1 to {SLOWLOG_MAX} ({n} given)"
                )))
            }
        };
        let mut out = Vec::new();
        for mut m in self.masters().await? {
            let v: Value = redis::cmd("SLOWLOG")
                .arg("GET")
                .arg(count)
                .query_async(&mut m.conn)
                .await?;
            out.extend(parse_slowlog(&v, &m.addr));
        }
        out.sort_by(|a, b| b.at_s.cmp(&a.at_s).then(b.id.cmp(&a.id)));
        out.truncate(count);
        Ok(out)
    }

    /// Empties the slowlog of every master (needs `confirm`).
    pub async fn slowlog_reset(&self, c: Confirm) -> Result<Empty> {
        self.session.ensure_writable("SLOWLOG RESET")?;
        if !c.confirm {
            return Err(Error::ConfirmationRequired(
                "SLOWLOG RESET forgets every entry: pass confirm: true".into(),
            ));
        }
        for mut m in self.masters().await? {
            let _: Value = redis::cmd("SLOWLOG")
                .arg("RESET")
                .query_async(&mut m.conn)
                .await?;
        }
        tracing::info!("slowlog reset");
        Ok(Empty {})
    }

    /// Every client connected to every master.
    pub async fn clients(&self) -> Result<Vec<ClientInfo>> {
        let mut out = Vec::new();
        for mut m in self.masters().await? {
            let text: String = redis::cmd("CLIENT")
                .arg("LIST")
                .query_async(&mut m.conn)
                .await?;
            let text = crate::redact::client_text(&text);
            out.extend(text.lines().filter_map(|l| parse_client(l, &m.addr)));
        }
        Ok(out)
    }

    /// Disconnects the client with this id (needs `confirm`).
    pub async fn client_kill(&self, k: ClientKill) -> Result<Killed> {
        self.session.ensure_writable("CLIENT KILL")?;
        if !k.confirm {
            return Err(Error::ConfirmationRequired(format!(
                "killing client {} drops its connection: pass confirm: true",
                k.id
            )));
        }
        let mut killed = 0;
        for mut m in self.masters().await? {
            let n: u64 = redis::cmd("CLIENT")
                .arg("KILL")
                .arg("ID")
                .arg(k.id)
                .query_async(&mut m.conn)
                .await?;
            killed += n;
        }
        tracing::info!(id = k.id, killed, "client kill");
        Ok(Killed { killed })
    }

    /// CONFIG GET `pattern` (default `*`) of the first master; secrets are replaced by `(hidden)`.
    pub async fn config_get(&self, q: ConfigQuery) -> Result<BTreeMap<String, String>> {
        let pattern = q
            .pattern
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "*".into());
        let mut masters = self.masters().await?;
        let m = masters
            .first_mut()
            .ok_or_else(|| Error::Connection("no master to ask".into()))?;
        let pairs: Vec<(String, String)> = redis::cmd("CONFIG")
            .arg("GET")
            .arg(&pattern)
            .query_async(&mut m.conn)
            .await?;
        Ok(crate::redact::pairs(pairs).into_iter().collect())
    }

    /// Starts BGSAVE or BGREWRITEAOF on every master.
    pub async fn action(&self, a: ServerAction) -> Result<ActionReply> {
        let name = match a.action {
            ServerActionKind::Bgsave => "BGSAVE",
            ServerActionKind::Bgrewriteaof => "BGREWRITEAOF",
        };
        self.session.ensure_writable(name)?;
        let mut replies = Vec::new();
        for mut m in self.masters().await? {
            let v: Value = redis::cmd(name).query_async(&mut m.conn).await?;
            let text = match v {
                Value::SimpleString(s) => s,
                Value::Okay => "OK".into(),
                Value::BulkString(b) => String::from_utf8_lossy(&b).into_owned(),
                other => format!("{other:?}"),
            };
            replies.push(text);
        }
        tracing::info!(action = name, "server action");
        Ok(ActionReply {
            reply: replies.join("; "),
        })
    }
}

/// INFO text → sections (`# Server` → `server`).
pub fn parse_info(text: &str) -> Sections {
    let mut out = Sections::new();
    let mut current = "default".to_string();
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('#') {
            current = name.trim().to_ascii_lowercase();
            out.entry(current.clone()).or_default();
        } else if let Some((k, v)) = line.split_once(':') {
            out.entry(current.clone())
                .or_default()
                .insert(k.to_string(), v.to_string());
        }
    }
    out
}

fn parse_slowlog(v: &Value, node: &str) -> Vec<SlowlogEntry> {
    let Value::Array(entries) = v else {
        return Vec::new();
    };
    entries
        .iter()
        .filter_map(|e| {
            let Value::Array(f) = e else { return None };
            let int = |i: usize| match f.get(i) {
                Some(Value::Int(n)) => Some(*n),
                _ => None,
            };
            let text = |i: usize| match f.get(i) {
                Some(Value::BulkString(b)) => Some(String::from_utf8_lossy(b).into_owned()),
                Some(Value::SimpleString(s)) => Some(s.clone()),
                _ => None,
            };
            let mut args: Vec<String> = match f.get(3) {
                Some(Value::Array(a)) => a
                    .iter()
                    .map(|x| match x {
                        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                        Value::SimpleString(s) => s.clone(),
                        other => format!("{other:?}"),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            crate::redact::args(&mut args);
            Some(SlowlogEntry {
                id: int(0)?,
                at_s: int(1)?,
                duration_us: int(2)?,
                args,
                client: text(4).filter(|s| !s.is_empty()),
                client_name: text(5).filter(|s| !s.is_empty()),
                node: node.to_string(),
            })
        })
        .collect()
}

fn parse_client(line: &str, node: &str) -> Option<ClientInfo> {
    let fields: BTreeMap<String, String> = line
        .split_whitespace()
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let get = |k: &str| fields.get(k).cloned().unwrap_or_default();
    let num = |k: &str| {
        fields
            .get(k)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Some(ClientInfo {
        id: fields.get("id")?.parse().ok()?,
        addr: get("addr"),
        name: get("name"),
        age_s: num("age"),
        idle_s: num("idle"),
        db: fields.get("db").and_then(|v| v.parse().ok()).unwrap_or(0),
        flags: get("flags"),
        cmd: get("cmd"),
        node: node.to_string(),
        fields,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_info_sections_and_client_lines() {
        let s = parse_info(
            "# Server\r\nredis_version:7.0.15\r\n\r\n# Keyspace\r\ndb0:keys=3,expires=0\r\n",
        );
        assert_eq!(s["server"]["redis_version"], "7.0.15");
        assert_eq!(s["keyspace"]["db0"], "keys=3,expires=0");
        let c = parse_client(
            "id=7 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=8 name=feed age=12 idle=3 flags=N db=0 cmd=client|list",
            "n1",
        )
        .unwrap();
        assert_eq!(
            (c.id, c.name.as_str(), c.age_s, c.idle_s),
            (7, "feed", 12, 3)
        );
        assert_eq!(c.cmd, "client|list");
        assert!(parse_client("garbage", "n1").is_none());
    }
}
