//! MONITOR connections, shared by the hot-keys sample ([`crate::hotkeys`]) and the MONITOR
//! view ([`crate::command_monitor`]): one dedicated connection per master, each proven attached
//! (Redis's refusal of MONITOR is otherwise silent), their lines merged into one channel, and
//! each line parsed into its time, database, client and exact arguments.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use redis::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use redscope::conn::NodeConn;
use redscope::error::{Error, Result};

/// The text our attach probe (`ECHO`) carries; lines containing it are not the user's commands.
pub const PROBE_PREFIX: &str = "redscope-monitor-probe-";

/// How long a new MONITOR connection may take to show our probe command.
const PROBE_WAIT: Duration = Duration::from_secs(3);

/// Lines queued between the connections and their reader before a connection waits.
const QUEUE: usize = 10_000;

/// The lines of one MONITOR connection.
type Lines = std::pin::Pin<Box<dyn futures::Stream<Item = String> + Send>>;

/// A MONITOR connection to every master, merged: lines arrive tagged with the master's index.
/// Dropping it closes the connections.
pub struct Feed {
    rx: mpsc::Receiver<(usize, String)>,
    forwarders: Vec<JoinHandle<()>>,
}

impl Feed {
    /// Opens a MONITOR connection to each of `masters` (in their order) and proves each
    /// attached: an `ECHO` probe sent on the shared connection must show up on it. A refusal
    /// (ACL) is this call's error, with the server's own reason when it gives one.
    pub async fn open(cfg: &redscope::RedisConfig, masters: &[NodeConn]) -> Result<Feed> {
        let probe = format!("{PROBE_PREFIX}{}", crate::registry::now_ms());
        let mut lines = Vec::new();
        for m in masters {
            lines.push(open_one(cfg, m, &probe).await?);
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        let forwarders = lines
            .into_iter()
            .enumerate()
            .map(|(i, mut s)| {
                let tx = tx.clone();
                tokio::spawn(async move {
                    while let Some(line) = s.next().await {
                        if tx.send((i, line)).await.is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        Ok(Feed { rx, forwarders })
    }

    /// The next line of any master (with the master's index), skipping our probes; `None`
    /// once every connection has closed.
    pub async fn next(&mut self) -> Option<(usize, String)> {
        loop {
            let (i, line) = self.rx.recv().await?;
            if !line.contains(PROBE_PREFIX) {
                return Some((i, line));
            }
        }
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        for f in &self.forwarders {
            f.abort();
        }
    }
}

async fn open_one(cfg: &redscope::RedisConfig, m: &NodeConn, probe: &str) -> Result<Lines> {
    let refused = |why: String| Error::server(format!("MONITOR refused on {}: {why}", m.addr));
    let node_cfg = redscope::conn::node_config(cfg, &m.addr)?;
    let client = redscope::conn::client(&node_cfg).await?;
    let wait = node_cfg.connect_timeout + node_cfg.response_timeout;
    let monitor = tokio::time::timeout(wait, client.get_async_monitor())
        .await
        .map_err(|_| Error::Timeout(node_cfg.connect_timeout))?
        .map_err(|e| refused(e.to_string()))?;
    let mut lines: Lines = Box::pin(monitor.into_on_message::<String>());
    let _: Value = redis::cmd("ECHO")
        .arg(probe)
        .query_async(&mut m.conn.clone())
        .await?;
    let seen = tokio::time::timeout(PROBE_WAIT, async {
        while let Some(line) = lines.next().await {
            if line.contains(probe) {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    if seen {
        return Ok(lines);
    }
    Err(refused(refusal_reason(&client, wait).await))
}

/// Why the server did not attach a MONITOR connection: MONITOR sent on a connection of its
/// own answers with the server's error (`NOPERM …` under an ACL that forbids it).
async fn refusal_reason(client: &redis::Client, wait: Duration) -> String {
    let generic =
        "the user has no permission to run MONITOR (ACL), or the server does not show commands";
    let asked = tokio::time::timeout(wait, async {
        let mut c = client.get_multiplexed_async_connection().await?;
        redis::cmd("MONITOR").query_async::<Value>(&mut c).await
    })
    .await;
    match asked {
        Ok(Err(e)) if e.code().is_some() => {
            format!("{} {}", e.code().unwrap_or(""), e.detail().unwrap_or(""))
                .trim()
                .to_string()
        }
        Ok(Ok(Value::ServerError(e))) => format!("{} {}", e.code(), e.details().unwrap_or(""))
            .trim()
            .to_string(),
        _ => generic.to_string(),
    }
}

/// One MONITOR line, parsed: `1700000000.123456 [0 127.0.0.1:6000] "SET" "k" "v"`.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// The server's clock when it ran the command (seconds since the Unix epoch).
    pub at_s: f64,
    /// The database it ran in.
    pub db: i64,
    /// The client's address (`127.0.0.1:6000`, `unix:/path`, `lua` for scripts).
    pub client: String,
    /// The command and its arguments, exactly.
    pub args: Vec<Vec<u8>>,
}

/// Parses a MONITOR line; `None` for anything else (the `OK` of MONITOR itself).
pub fn parse(line: &str) -> Option<Line> {
    let (head, _) = line.split_once(" [")?;
    let at_s: f64 = head.trim().parse().ok()?;
    let inner = &line[head.len() + 2..line.find("] ")?];
    let (db, client) = inner.split_once(' ')?;
    Some(Line {
        at_s,
        db: db.parse().ok()?,
        client: client.to_string(),
        args: args(line)?,
    })
}

/// A MONITOR line's arguments, each quoted with C escapes (`\"`, `\\`, `\n`, `\xNN`, …).
pub fn args(line: &str) -> Option<Vec<Vec<u8>>> {
    let rest = &line[line.find("] ")? + 2..];
    let b = rest.as_bytes();
    let mut args = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b' ' {
            i += 1;
            continue;
        }
        if b[i] != b'"' {
            return None;
        }
        i += 1;
        let mut a = Vec::new();
        loop {
            let c = *b.get(i)?;
            i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = *b.get(i)?;
                    i += 1;
                    a.push(match e {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'a' => 7,
                        b'b' => 8,
                        b'x' => {
                            let hex = std::str::from_utf8(b.get(i..i + 2)?).ok()?;
                            i += 2;
                            u8::from_str_radix(hex, 16).ok()?
                        }
                        other => other,
                    });
                }
                other => a.push(other),
            }
        }
        args.push(a);
    }
    (!args.is_empty()).then_some(args)
}

/// Where each command's first key is (`COMMAND`'s first-key position; 0: no key), by
/// lowercase name.
pub async fn key_positions(node: &NodeConn) -> Result<HashMap<String, usize>> {
    let v: Value = redis::cmd("COMMAND")
        .query_async(&mut node.conn.clone())
        .await?;
    let mut out = HashMap::new();
    if let Value::Array(cmds) = v {
        for c in cmds {
            if let Value::Array(f) = c {
                let name = match f.first() {
                    Some(Value::BulkString(b)) => String::from_utf8_lossy(b).to_lowercase(),
                    Some(Value::SimpleString(s)) => s.to_lowercase(),
                    _ => continue,
                };
                let first = match f.get(3) {
                    Some(Value::Int(n)) => (*n).max(0) as usize,
                    _ => 0,
                };
                out.insert(name, first);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn monitor_lines_are_split_into_exact_arguments() {
        let line = r#"1700000000.123456 [0 127.0.0.1:6000] "SET" "a \"b\"" "\xff\x00\n" """#;
        let args = args(line).unwrap();
        assert_eq!(
            args,
            vec![
                b"SET".to_vec(),
                b"a \"b\"".to_vec(),
                vec![0xff, 0, b'\n'],
                Vec::new()
            ]
        );
        assert_eq!(super::args("OK"), None);
        assert_eq!(super::args(r#"1 [0 x] "unterminated"#), None);
    }

    #[test]
    fn a_line_gives_its_time_database_and_client() {
        let l = parse(r#"1700000000.5 [3 unix:/tmp/r.sock] "GET" "k""#).unwrap();
        assert_eq!(l.at_s, 1_700_000_000.5);
        assert_eq!((l.db, l.client.as_str()), (3, "unix:/tmp/r.sock"));
        assert_eq!(l.args, vec![b"GET".to_vec(), b"k".to_vec()]);
        let lua = parse(r#"1700000000.000001 [0 lua] "incr" "n""#).unwrap();
        assert_eq!(lua.client, "lua");
        assert_eq!(parse("OK"), None);
    }
}
