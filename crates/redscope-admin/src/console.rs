//! The console: runs one command given as arguments and returns its reply typed ([`Reply`]).
//! Whether a command writes is decided by its `COMMAND INFO` flags (`write`, `may_replicate`;
//! cached per session) plus scripts and PUBLISH, with a list of dangerous commands on top that need `confirm` and are
//! refused in read-only mode. Blocking commands and ones that change the shared connection's
//! state are refused: a console call must return, and must not disturb other callers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use redis::Value;
use serde::{Deserialize, Serialize};

use super::bytes::Bytes;
use super::AdminService;
use redscope::error::{Error, Result};

/// Most elements of a reply shown (deeper ones are cut and `truncated` is set).
pub const MAX_REPLY_ITEMS: usize = 10_000;

/// Dangerous commands (or `COMMAND SUBCOMMAND`): confirmation needed, refused read-only.
const DANGEROUS: &[&str] = &[
    "FLUSHDB",
    "FLUSHALL",
    "KEYS",
    "SHUTDOWN",
    "DEBUG",
    "SWAPDB",
    "MIGRATE",
    "RESTORE",
    "CONFIG SET",
    "CONFIG RESETSTAT",
    "CONFIG REWRITE",
    "SCRIPT FLUSH",
    "SCRIPT KILL",
    "FUNCTION FLUSH",
    "FUNCTION DELETE",
    "FUNCTION RESTORE",
    "FUNCTION KILL",
    "CLIENT KILL",
    "CLIENT PAUSE",
    "CLIENT NO-EVICT",
    "SLOWLOG RESET",
    "LATENCY RESET",
    "ACL SETUSER",
    "ACL DELUSER",
    "ACL LOAD",
    "ACL SAVE",
    "REPLICAOF",
    "SLAVEOF",
    "FAILOVER",
    "MODULE LOAD",
    "MODULE LOADEX",
    "MODULE UNLOAD",
    "CLUSTER RESET",
    "CLUSTER FAILOVER",
    "CLUSTER FORGET",
    "CLUSTER MEET",
    "CLUSTER ADDSLOTS",
    "CLUSTER ADDSLOTSRANGE",
    "CLUSTER DELSLOTS",
    "CLUSTER DELSLOTSRANGE",
    "CLUSTER FLUSHSLOTS",
    "CLUSTER SETSLOT",
    "CLUSTER REPLICATE",
    "CLUSTER SAVECONFIG",
    "CLUSTER BUMPEPOCH",
    "CLUSTER SET-CONFIG-EPOCH",
    "MEMORY PURGE",
    "BGSAVE",
    "BGREWRITEAOF",
    "SAVE",
];

/// Commands whose flags do not say `write` but that may write (scripts) or reach other systems
/// (publishing to trading channels): refused in read-only mode like writes.
const MAY_WRITE: &[&str] = &["EVAL", "EVALSHA", "FCALL", "PUBLISH", "SPUBLISH"];

/// Commands that block or subscribe: a console call must return.
const BLOCKING: &[&str] = &[
    "BLPOP",
    "BRPOP",
    "BRPOPLPUSH",
    "BLMOVE",
    "BLMPOP",
    "BZPOPMIN",
    "BZPOPMAX",
    "BZMPOP",
    "WAIT",
    "WAITAOF",
    "SUBSCRIBE",
    "PSUBSCRIBE",
    "SSUBSCRIBE",
    "UNSUBSCRIBE",
    "PUNSUBSCRIBE",
    "SUNSUBSCRIBE",
    "MONITOR",
    "SYNC",
    "PSYNC",
];

/// Commands that change the shared connection's state (database, transaction, protocol).
const STATEFUL: &[&str] = &[
    "SELECT",
    "MULTI",
    "EXEC",
    "DISCARD",
    "WATCH",
    "UNWATCH",
    "AUTH",
    "HELLO",
    "RESET",
    "QUIT",
    "CLIENT REPLY",
    "CLIENT TRACKING",
    "READONLY",
    "READWRITE",
];

/// Request of `console`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ConsoleRequest {
    /// The command and its arguments, as text.
    pub args: Vec<String>,
    /// Confirms a dangerous command.
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub confirm: bool,
}

/// A reply, typed as the server sent it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Reply {
    Nil,
    Int(i64),
    /// A status reply (`OK`, `PONG`).
    String(String),
    /// A bulk string (binary-safe).
    Bulk(Bytes),
    /// An error reply.
    Error(String),
    Array(Vec<Reply>),
    /// Key/value pairs.
    Map(Vec<(Reply, Reply)>),
    Set(Vec<Reply>),
    /// Doubles; non-finite values as their text (`inf`, `nan`).
    Double(serde_json::Value),
    Bool(bool),
    Verbatim {
        format: String,
        text: String,
    },
}

/// Reply of `console`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ConsoleReply {
    pub reply: Reply,
    pub elapsed_ms: f64,
    /// True when the reply had more than [`MAX_REPLY_ITEMS`] elements and was cut.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[ts(as = "Option<bool>", optional)]
    pub truncated: bool,
}

/// `COMMAND INFO` flags by lowercase command name (or `container|sub`), cached per session.
#[derive(Default)]
pub(crate) struct CommandTable {
    flags: Mutex<HashMap<String, Vec<String>>>,
}

impl AdminService {
    /// Runs one command and returns its typed reply (see the module doc for what is refused).
    pub async fn console(&self, req: ConsoleRequest) -> Result<ConsoleReply> {
        let Screened {
            first,
            name,
            sub,
            full,
            dangerous,
            may_write,
        } = screen(&req.args)?;
        let mut conn = self.conn().await?;
        let writes =
            dangerous || may_write || self.writes(&mut conn, &name, sub.as_deref()).await?;
        if self.read_only() && writes {
            return Err(Error::ReadOnly(format!("{full} may write")));
        }
        if dangerous && !req.confirm {
            return Err(Error::ConfirmationRequired(format!(
                "{full} is dangerous: pass confirm: true to run it"
            )));
        }
        let mut cmd = redis::cmd(&first);
        for a in &req.args[1..] {
            cmd.arg(a);
        }
        let started = Instant::now();
        let result: std::result::Result<Value, redis::RedisError> =
            cmd.query_async(&mut conn).await;
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        if dangerous {
            tracing::warn!(command = %full, "dangerous console command run (confirmed)");
        }
        if writes {
            // Tree counts cached from before this command may be stale now.
            self.inner.trees.clear();
        }
        let mut budget = Budget {
            left: MAX_REPLY_ITEMS,
            cut: false,
        };
        let reply = match result {
            Ok(v) if full == "CONFIG GET" => hide_secrets(to_reply(v, &mut budget)),
            Ok(v) => to_reply(v, &mut budget),
            Err(e) => match Error::from(e) {
                Error::Server { message, .. } => Reply::Error(message),
                other => return Err(other),
            },
        };
        Ok(ConsoleReply {
            reply,
            elapsed_ms,
            truncated: budget.cut,
        })
    }

    /// True when COMMAND INFO flags the command (or `container|sub`) `write` or `may_replicate`.
    async fn writes(
        &self,
        conn: &mut redscope::conn::Conn,
        name: &str,
        sub: Option<&str>,
    ) -> Result<bool> {
        let lower = name.to_ascii_lowercase();
        let mut flags = self.command_flags(conn, &lower).await?;
        if let (Some(sub), true) = (sub, flags.iter().any(|f| f == "__container")) {
            flags = self
                .command_flags(conn, &format!("{lower}|{}", sub.to_ascii_lowercase()))
                .await?;
        }
        Ok(flags.iter().any(|f| f == "write" || f == "may_replicate"))
    }

    async fn command_flags(
        &self,
        conn: &mut redscope::conn::Conn,
        name: &str,
    ) -> Result<Vec<String>> {
        if let Some(f) = self
            .inner
            .commands
            .flags
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
        {
            return Ok(f.clone());
        }
        let v: Value = redis::cmd("COMMAND")
            .arg("INFO")
            .arg(name)
            .query_async(conn)
            .await?;
        let flags = parse_command_flags(&v);
        self.inner
            .commands
            .flags
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), flags.clone());
        Ok(flags)
    }
}

/// Flags of the first command in a COMMAND INFO reply; `__container` is added when the command
/// has subcommands (element 9 in Redis 7), so callers look the subcommand up too.
fn parse_command_flags(v: &Value) -> Vec<String> {
    let Value::Array(items) = v else {
        return Vec::new();
    };
    let Some(Value::Array(info)) = items.first() else {
        return Vec::new();
    };
    let mut flags: Vec<String> = match info.get(2) {
        Some(Value::Array(f)) | Some(Value::Set(f)) => f
            .iter()
            .filter_map(|x| match x {
                Value::SimpleString(s) => Some(s.to_ascii_lowercase()),
                Value::BulkString(b) => Some(String::from_utf8_lossy(b).to_ascii_lowercase()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    if matches!(info.get(9), Some(Value::Array(subs)) if !subs.is_empty()) {
        flags.push("__container".into());
    }
    flags
}

/// Replaces the values of secret parameters in a CONFIG GET reply (flat array or RESP3 map).
fn hide_secrets(reply: Reply) -> Reply {
    let secret = |r: &Reply| match r {
        Reply::Bulk(b) => super::server::SECRET_CONFIG.contains(&b.text.as_str()),
        Reply::String(s) => super::server::SECRET_CONFIG.contains(&s.as_str()),
        _ => false,
    };
    let hidden = || Reply::String("(hidden)".into());
    match reply {
        Reply::Array(mut items) => {
            for i in (1..items.len()).step_by(2) {
                if secret(&items[i - 1]) {
                    items[i] = hidden();
                }
            }
            Reply::Array(items)
        }
        Reply::Map(pairs) => Reply::Map(
            pairs
                .into_iter()
                .map(|(k, v)| if secret(&k) { (k, hidden()) } else { (k, v) })
                .collect(),
        ),
        other => other,
    }
}

/// A console command's arguments, checked before anything is sent.
#[doc(hidden)]
pub struct Screened {
    /// The command name as given.
    pub first: String,
    /// The command name, upper case.
    pub name: String,
    /// The second argument, upper case (a subcommand for containers).
    pub sub: Option<String>,
    /// `NAME SUB` (or `NAME`), as the lists spell it.
    pub full: String,
    /// Listed as dangerous: needs `confirm`, refused read-only.
    pub dangerous: bool,
    /// Listed as possibly writing (scripts, publishing).
    pub may_write: bool,
}

/// Checks a console call's arguments without touching Redis: a command must be named, and
/// blocking or connection-state commands are refused. Shared with [`crate::fuzzing`].
#[doc(hidden)]
pub fn screen(args: &[String]) -> Result<Screened> {
    let Some(first) = args.first() else {
        return Err(Error::InvalidInput("args must name a command".into()));
    };
    let name = first.to_ascii_uppercase();
    let sub = args.get(1).map(|s| s.to_ascii_uppercase());
    let full = match &sub {
        Some(s) => format!("{name} {s}"),
        None => name.clone(),
    };
    let listed = |list: &[&str]| list.iter().any(|d| *d == name || *d == full);
    if listed(BLOCKING) || blocks(&name, args) {
        return Err(Error::InvalidInput(format!(
            "{name} blocks or subscribes, and a console call must return: use the stream tail or the channel monitor instead"
        )));
    }
    if listed(STATEFUL) {
        return Err(Error::InvalidInput(format!(
            "{full} changes the connection's state, which the console shares: not available here"
        )));
    }
    Ok(Screened {
        first: first.clone(),
        dangerous: listed(DANGEROUS),
        may_write: listed(MAY_WRITE),
        name,
        sub,
        full,
    })
}

/// `XREAD`/`XREADGROUP` with a `BLOCK` argument block.
fn blocks(name: &str, args: &[String]) -> bool {
    matches!(name, "XREAD" | "XREADGROUP") && args.iter().any(|a| a.eq_ignore_ascii_case("BLOCK"))
}

/// Elements a reply may still show, and whether some were left out.
struct Budget {
    left: usize,
    cut: bool,
}

fn to_reply(v: Value, budget: &mut Budget) -> Reply {
    let list = |items: Vec<Value>, budget: &mut Budget| {
        let mut out = Vec::new();
        for x in items {
            if budget.left == 0 {
                budget.cut = true;
                break;
            }
            budget.left -= 1;
            out.push(to_reply(x, budget));
        }
        out
    };
    match v {
        Value::Nil => Reply::Nil,
        Value::Int(n) => Reply::Int(n),
        Value::BulkString(b) => Reply::Bulk(Bytes::new(&b)),
        Value::SimpleString(s) => Reply::String(s),
        Value::Okay => Reply::String("OK".into()),
        Value::Array(items) => Reply::Array(list(items, budget)),
        Value::Set(items) => Reply::Set(list(items, budget)),
        Value::Push { data, .. } => Reply::Array(list(data, budget)),
        Value::Map(pairs) => {
            let mut out = Vec::new();
            for (k, val) in pairs {
                if budget.left == 0 {
                    budget.cut = true;
                    break;
                }
                budget.left -= 1;
                out.push((to_reply(k, budget), to_reply(val, budget)));
            }
            Reply::Map(out)
        }
        Value::Attribute { data, .. } => to_reply(*data, budget),
        Value::Double(d) => Reply::Double(
            serde_json::Number::from_f64(d)
                .map(serde_json::Value::Number)
                .unwrap_or_else(|| serde_json::Value::String(d.to_string())),
        ),
        Value::Boolean(b) => Reply::Bool(b),
        Value::VerbatimString { format, text } => Reply::Verbatim {
            format: format.to_string(),
            text,
        },
        Value::BigNumber(n) => Reply::String(format!("{n:?}")),
        Value::ServerError(e) => Reply::Error(e.to_string()),
        other => Reply::String(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_serialize_typed() {
        let mut budget = Budget {
            left: 3,
            cut: false,
        };
        let r = to_reply(
            Value::Array(vec![
                Value::Int(1),
                Value::BulkString(b"x".to_vec()),
                Value::Nil,
            ]),
            &mut budget,
        );
        assert_eq!(
            serde_json::to_value(&r).unwrap(),
            serde_json::json!({"type": "array", "value": [
                {"type": "int", "value": 1},
                {"type": "bulk", "value": {"text": "x", "b64": "eA=="}},
                {"type": "nil"}
            ]})
        );
        assert!(!budget.cut, "exactly the budget is not a cut");
        let mut small = Budget {
            left: 2,
            cut: false,
        };
        let Reply::Array(cut) = to_reply(Value::Array(vec![Value::Int(1); 5]), &mut small) else {
            panic!("not an array")
        };
        assert_eq!((cut.len(), small.cut), (2, true));
    }

    #[test]
    fn xread_block_is_blocking() {
        let a = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(blocks(
            "XREAD",
            &a(&["XREAD", "block", "0", "STREAMS", "s", "$"])
        ));
        assert!(!blocks("XREAD", &a(&["XREAD", "STREAMS", "s", "0"])));
    }
}
