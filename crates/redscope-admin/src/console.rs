//! The console: runs one command given as arguments and returns its reply typed ([`Reply`]),
//! secrets hidden ([`crate::redact`]) and bounded in elements and bytes.
//! Each command is classified once from the server's own `COMMAND INFO` (flags and ACL
//! categories, cached per session): read-only mode is an allowlist — only commands flagged
//! `readonly` and in none of `@admin`, `@dangerous`, `@write`, `@scripting` (EVAL_RO, FCALL_RO
//! aside) run; unknown and renamed commands are refused. The same class decides which need
//! `confirm`. Blocking commands and ones that change the shared connection's state (SELECT,
//! CLIENT SETNAME, ...) are refused: a console call must return and must not disturb others.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use redis::Value;
use serde::{Deserialize, Serialize};

use super::bytes::Bytes;
use super::session::Session;
use super::sync::lock;
use super::tree::Trees;
use redscope::error::{Error, Result};

/// Most elements of a reply shown (deeper ones are cut and `truncated` is set).
pub const MAX_REPLY_ITEMS: usize = 10_000;
/// Most bytes of bulk strings a reply shows in all; longer ones are cut (`truncated` is set and
/// the cut string carries its true length).
pub const MAX_REPLY_BYTES: usize = 1 << 20;

/// Not flagged `readonly` but harmless on a shared read-only connection.
const READ_EXTRA: &[&str] = &["ping", "echo", "time", "lastsave"];

/// `@connection` commands that only inspect; every other one changes the shared connection.
const CONNECTION_INSPECT: &[&str] = &[
    "PING",
    "ECHO",
    "CLIENT ID",
    "CLIENT INFO",
    "CLIENT LIST",
    "CLIENT GETNAME",
    "CLIENT GETREDIR",
    "CLIENT TRACKINGINFO",
    "CLIENT HELP",
];

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
    "SLOWLOG RESET",
    "LATENCY RESET",
    "ACL SETUSER",
    "ACL DELUSER",
    "ACL LOAD",
    "ACL SAVE",
    "ACL LOG RESET",
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
    "CLIENT SETNAME",
    "CLIENT SETINFO",
    "CLIENT NO-EVICT",
    "CLIENT NO-TOUCH",
    "CLIENT CACHING",
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

/// The console of one session.
pub struct Console {
    session: Arc<Session>,
    /// Writes make cached tree counts stale.
    trees: Arc<Trees>,
    /// `COMMAND INFO` by lowercase command name (or `container|sub`), cached per session.
    flags: Mutex<HashMap<String, Option<CommandInfo>>>,
}

impl Console {
    pub(crate) fn new(session: Arc<Session>, trees: Arc<Trees>) -> Self {
        Console {
            session,
            trees,
            flags: Mutex::new(HashMap::new()),
        }
    }

    /// Runs one command and returns its typed reply (see the module doc for what is refused).
    pub async fn run(&self, req: ConsoleRequest) -> Result<ConsoleReply> {
        let screened = screen(&req.args)?;
        let mut conn = self.session.conn().await?;
        let kind = self.classify(&mut conn, &screened, &req.args).await?;
        let full = &kind.full;
        if self.session.read_only() && kind.class != Class::Read {
            return Err(Error::ReadOnly(format!(
                "{} is not a read-only command ({}): read-only mode runs only commands the server flags readonly outside @admin, @dangerous, @write and @scripting",
                screened.full, kind.why
            )));
        }
        if kind.class == Class::Dangerous && !req.confirm {
            return Err(Error::ConfirmationRequired(format!(
                "{} is dangerous ({}): pass confirm: true to run it",
                screened.full, kind.why
            )));
        }
        let mut cmd = redis::cmd(&screened.first);
        for a in &req.args[1..] {
            cmd.arg(a);
        }
        let started = Instant::now();
        let result: std::result::Result<Value, redis::RedisError> =
            cmd.query_async(&mut conn).await;
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        if kind.class == Class::Dangerous {
            let mut shown = req.args.clone();
            super::redact::args(&mut shown);
            tracing::warn!(command = %full, args = ?shown, "dangerous console command run (confirmed)");
        }
        if kind.class != Class::Read {
            // Tree counts cached from before this command may be stale now.
            self.trees.clear();
        }
        let mut budget = Budget {
            left: MAX_REPLY_ITEMS,
            bytes: MAX_REPLY_BYTES,
            cut: false,
        };
        let reply = match result {
            Ok(v) => super::redact::reply(full, to_reply(v, &mut budget)),
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

    /// Classifies a command by what the server says of it (COMMAND INFO flags and ACL
    /// categories, under its own name even when renamed); read-only mode and the confirmation
    /// step both go by this one answer.
    async fn classify(
        &self,
        conn: &mut redscope::conn::Conn,
        s: &Screened,
        args: &[String],
    ) -> Result<Kind> {
        let typed = s.name.to_ascii_lowercase();
        let Some(mut info) = self.command_info(conn, &typed).await? else {
            return Ok(Kind {
                class: Class::Unknown,
                full: s.full.clone(),
                why: "the server does not describe it".into(),
            });
        };
        let renamed = info.name != typed;
        let canonical = info.name.clone();
        let mut full = canonical.to_ascii_uppercase();
        if let Some(sub) = &s.sub {
            full = format!("{full} {sub}");
            if !info.subcommands.is_empty() {
                let name = format!("{canonical}|{}", sub.to_ascii_lowercase());
                match info.subcommands.iter().find(|i| i.name == name).cloned() {
                    Some(i) => info = i,
                    None => {
                        return Ok(Kind {
                            class: Class::Unknown,
                            full,
                            why: "the server does not describe that subcommand".into(),
                        })
                    }
                }
            }
        }
        // The server's own name is screened too: a renamed SUBSCRIBE or SELECT is still refused.
        if renamed {
            let mut own = args.to_vec();
            own[0] = canonical.clone();
            screen(&own)?;
        }
        let cat = |c: &str| info.categories.iter().any(|x| x == c);
        let flag = |f: &str| info.flags.iter().any(|x| x == f);
        if cat("@connection") && !cat("@admin") && !CONNECTION_INSPECT.contains(&full.as_str()) {
            return Err(Error::InvalidInput(format!(
                "{} changes the connection's state, which the console shares: not available here",
                s.full
            )));
        }
        let name_only = full.split(' ').next().unwrap_or("");
        let listed = |list: &[&str]| list.iter().any(|d| *d == full || *d == name_only);
        let ro_script = matches!(canonical.as_str(), "eval_ro" | "evalsha_ro" | "fcall_ro");
        let read = !renamed
            && ((flag("readonly")
                && !cat("@admin")
                && !cat("@dangerous")
                && !cat("@write")
                && (!cat("@scripting") || ro_script))
                || READ_EXTRA.contains(&canonical.as_str()));
        let acl_log_reset =
            full == "ACL LOG" && args.get(2).is_some_and(|a| a.eq_ignore_ascii_case("RESET"));
        let (class, why) = if read {
            (Class::Read, "read".to_string())
        } else if renamed {
            (
                Class::Dangerous,
                format!("{} is the server's {full}, renamed", s.name),
            )
        } else if listed(DANGEROUS)
            || acl_log_reset
            || (cat("@dangerous") && (flag("write") || flag("may_replicate")))
        {
            (
                Class::Dangerous,
                "it can lose data or disturb the server".into(),
            )
        } else {
            let why = if flag("write") || cat("@write") || flag("may_replicate") {
                "it writes"
            } else if cat("@scripting") {
                "a script may write"
            } else if cat("@admin") || cat("@dangerous") {
                "an administrative command"
            } else {
                "not flagged readonly"
            };
            (Class::Write, why.to_string())
        };
        Ok(Kind { class, full, why })
    }

    /// COMMAND INFO of one command (lower case, as typed), cached per session; `None` when the
    /// server does not know it.
    async fn command_info(
        &self,
        conn: &mut redscope::conn::Conn,
        name: &str,
    ) -> Result<Option<CommandInfo>> {
        if let Some(f) = lock(&self.flags).get(name) {
            return Ok(f.clone());
        }
        let v: Value = redis::cmd("COMMAND")
            .arg("INFO")
            .arg(name)
            .query_async(conn)
            .await?;
        let info = match &v {
            Value::Array(items) => items.first().and_then(parse_command_info),
            _ => None,
        };
        lock(&self.flags).insert(name.to_string(), info.clone());
        Ok(info)
    }
}

/// How a command is treated, decided once from the server's own description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// Runs in read-only mode.
    Read,
    /// Writes or administers: refused read-only.
    Write,
    /// Refused read-only, needs `confirm` otherwise.
    Dangerous,
    /// The server does not describe it: refused read-only, sent as typed otherwise.
    Unknown,
}

/// A command's class, its name as the server knows it, and why it is not a plain read.
struct Kind {
    class: Class,
    /// `NAME SUB` under the server's own name.
    full: String,
    why: String,
}

/// What COMMAND INFO says of one command.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CommandInfo {
    /// The server's own name (lower case; `container|sub` for subcommands).
    name: String,
    flags: Vec<String>,
    /// ACL categories (`@read`, `@admin`, ...); empty before Redis 6.
    categories: Vec<String>,
    /// Its subcommands, described the same way (Redis 7; named `container|sub`).
    subcommands: Vec<CommandInfo>,
}

/// One command's COMMAND INFO entry; `None` for a nil entry (unknown command).
fn parse_command_info(v: &Value) -> Option<CommandInfo> {
    let Value::Array(info) = v else {
        return None;
    };
    let text = |x: &Value| match x {
        Value::SimpleString(s) => Some(s.to_ascii_lowercase()),
        Value::BulkString(b) => Some(String::from_utf8_lossy(b).to_ascii_lowercase()),
        _ => None,
    };
    let list = |i: usize| match info.get(i) {
        Some(Value::Array(f)) | Some(Value::Set(f)) => f.iter().filter_map(text).collect(),
        _ => Vec::new(),
    };
    Some(CommandInfo {
        name: info.first().and_then(text)?,
        flags: list(2),
        categories: list(6),
        subcommands: match info.get(9) {
            Some(Value::Array(subs)) => subs.iter().filter_map(parse_command_info).collect(),
            _ => Vec::new(),
        },
    })
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

/// Elements and bytes a reply may still show, and whether some were left out.
struct Budget {
    left: usize,
    bytes: usize,
    cut: bool,
}

impl Budget {
    /// `b` as shown: cut to the bytes left (with its true length) when longer.
    fn bulk(&mut self, b: &[u8]) -> Bytes {
        if b.len() <= self.bytes {
            self.bytes -= b.len();
            return Bytes::new(b);
        }
        self.cut = true;
        let shown = Bytes::cut(&b[..self.bytes], b.len() as u64);
        self.bytes = 0;
        shown
    }

    /// `s` as shown: cut (at a character boundary) to the bytes left.
    fn text(&mut self, mut s: String) -> String {
        if s.len() <= self.bytes {
            self.bytes -= s.len();
            return s;
        }
        self.cut = true;
        let mut end = self.bytes;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        self.bytes = 0;
        s
    }
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
        Value::BulkString(b) => Reply::Bulk(budget.bulk(&b)),
        Value::SimpleString(s) => Reply::String(budget.text(s)),
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
            text: budget.text(text),
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
            bytes: 100,
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
            bytes: 100,
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
