//! Hot keys: which keys are used most. With an LFU eviction policy the server keeps a use
//! counter per key, read with `OBJECT FREQ` over a SCAN of every master (as `redis-cli
//! --hotkeys` does). Otherwise the only way to see is a time-boxed `MONITOR` sample: every
//! command of every client is copied to us while it runs, which costs the server, so it is
//! refused unless confirmed, limited to a minute, and counts per key and per command into
//! bounded tables.

use std::cmp::Reverse;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::Value;
use serde::{Deserialize, Serialize};

use super::bytes::Bytes;
use super::events::Publisher;
use super::monitor_feed::{self, Feed};
use super::registry::{now_ms, JobHandle, JobState, Policy, Registry};
use super::session::Session;
use redscope::conn::NodeConn;
use redscope::error::{Error, Result};
use redscope::keyspace;

/// Keys in the reply's top list.
pub const TOP: usize = 100;
/// Longest MONITOR sample.
pub const MAX_SECONDS: u64 = 60;
/// Distinct keys a MONITOR sample counts; later new keys are not counted (the reply says so).
pub const MAX_TRACKED_KEYS: usize = 100_000;
const SCAN_COUNT: usize = 1000;
const MAX_JOBS: usize = 20;
/// Hot-key jobs running at once (a MONITOR sample each costs the server).
const MAX_RUNNING: usize = 2;
const EVENT_EVERY: Duration = Duration::from_millis(250);

/// Request of `hotkeys`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct HotkeysRequest {
    /// `lfu` (OBJECT FREQ over a scan; needs an LFU maxmemory-policy), `monitor` (a MONITOR
    /// sample; costly, needs `confirm`), or `auto` (the default: lfu when the policy allows).
    pub method: Option<String>,
    /// MONITOR: how long to sample, 1 to 60 seconds (default 10).
    pub seconds: Option<u64>,
    /// MONITOR: the user accepted its cost.
    #[serde(default)]
    #[ts(as = "Option<bool>")]
    pub confirm: bool,
    /// LFU: only keys matching this glob.
    pub pattern: Option<String>,
}

/// One hot key.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct HotKey {
    pub key: Bytes,
    /// LFU: the server's logarithmic use counter (0–255). MONITOR: commands seen on the key.
    pub count: u64,
    /// The master holding the key.
    pub node: String,
}

/// Commands of one name seen by a MONITOR sample.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct CommandCount {
    /// Lowercase, as MONITOR shows it.
    pub command: String,
    pub count: u64,
}

/// A hot-keys job: its progress, then its outcome.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct HotkeysJob {
    pub id: String,
    /// `hotkeys`.
    pub kind: String,
    pub state: JobState,
    /// `lfu` or `monitor`.
    pub method: String,
    /// True for a MONITOR sample: it slowed the server while it ran.
    pub costly: bool,
    /// The `maxmemory_policy` of the (first) master.
    pub policy: String,
    /// LFU: keys looked at so far, and DBSIZE of the masters.
    pub scanned: u64,
    pub expected: u64,
    /// MONITOR: the length of the sample and how much of it has run.
    pub seconds: u64,
    pub elapsed_ms: u64,
    /// MONITOR: commands seen.
    pub commands: u64,
    /// The hottest keys, hottest first (during a MONITOR sample, as counted so far).
    pub keys: Vec<HotKey>,
    /// MONITOR: commands by name, most first.
    pub by_command: Vec<CommandCount>,
    /// MONITOR: more distinct keys were seen than are counted.
    pub truncated: bool,
    /// Masters sampled.
    pub nodes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
    pub started_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub finished_ms: Option<i64>,
}

crate::registry::job_record!(HotkeysJob);

/// Hot-key jobs of one session.
pub struct Hotkeys {
    session: Arc<Session>,
    registry: Registry<HotkeysJob>,
}

/// `maxmemory_policy` from INFO memory (readable where CONFIG is renamed or refused).
async fn policy_of(node: &NodeConn) -> Result<String> {
    let info: String = redis::cmd("INFO")
        .arg("memory")
        .query_async(&mut node.conn.clone())
        .await?;
    Ok(info
        .lines()
        .find_map(|l| l.strip_prefix("maxmemory_policy:"))
        .unwrap_or("")
        .trim()
        .to_string())
}

impl Hotkeys {
    pub(crate) fn new(session: Arc<Session>, events: Publisher<serde_json::Value>) -> Self {
        let policy = Policy {
            what: "hot-keys job",
            id_prefix: "h",
            keep: MAX_JOBS,
            event_every: EVENT_EVERY,
            max_running: MAX_RUNNING,
        };
        Hotkeys {
            session,
            registry: Registry::new(policy, events),
        }
    }

    /// Starts a hot-keys job by the method asked for (or the one the server allows).
    pub async fn start(&self, req: HotkeysRequest) -> Result<HotkeysJob> {
        let seconds = req.seconds.unwrap_or(10);
        if seconds == 0 || seconds > MAX_SECONDS {
            return Err(Error::InvalidInput(format!(
                "seconds must be 1 to {MAX_SECONDS}"
            )));
        }
        self.session.ensure_open("a hot-keys job")?;
        let conn = self.session.conn().await?;
        let masters = conn.masters().await?;
        let first = masters
            .first()
            .ok_or_else(|| Error::server("no master to sample"))?;
        let policy = policy_of(first).await?;
        let lfu = policy.contains("lfu");
        let method = match req.method.as_deref().unwrap_or("auto") {
            "auto" if lfu => "lfu",
            "auto" | "monitor" => "monitor",
            "lfu" if lfu => "lfu",
            "lfu" => {
                return Err(Error::InvalidInput(format!(
                    "OBJECT FREQ needs an LFU maxmemory-policy (allkeys-lfu or volatile-lfu); this server's is {policy}: use a MONITOR sample instead"
                )))
            }
            other => {
                return Err(Error::InvalidInput(format!(
                    "method must be auto, lfu or monitor ({other:?} given)"
                )))
            }
        };
        if method == "monitor" && !req.confirm {
            return Err(Error::ConfirmationRequired(format!(
                "the maxmemory-policy is {policy} (not LFU), so hot keys can only be seen with a MONITOR sample: every command of every client is copied to Redscope for {seconds} s, which slows the server; confirm to run it"
            )));
        }
        let mut expected = 0;
        if method == "lfu" {
            for m in &masters {
                let n: u64 = redis::cmd("DBSIZE")
                    .query_async(&mut m.conn.clone())
                    .await?;
                expected += n;
            }
        }
        // MONITOR connections are opened now, so a refusal (ACL) is this call's error and the
        // sample sees every command from the moment the job exists.
        let (positions, feed) = if method == "monitor" {
            let positions = monitor_feed::key_positions(first).await?;
            let feed = Feed::open(&self.session.active_config(), &masters).await?;
            (positions, Some(feed))
        } else {
            (HashMap::new(), None)
        };
        let nodes: Vec<String> = masters.iter().map(|m| m.addr.clone()).collect();
        let record = |id| HotkeysJob {
            id,
            kind: "hotkeys".into(),
            state: JobState::Running,
            method: method.into(),
            costly: method == "monitor",
            policy: policy.clone(),
            scanned: 0,
            expected,
            seconds: if method == "monitor" { seconds } else { 0 },
            elapsed_ms: 0,
            commands: 0,
            keys: Vec::new(),
            by_command: Vec::new(),
            truncated: false,
            nodes,
            error: None,
            started_ms: now_ms(),
            finished_ms: None,
        };
        let pattern = req.pattern.unwrap_or_else(|| "*".into());
        let job = self.registry.start(record, move |job| async move {
            let outcome = match feed {
                None => by_freq(&job, masters, &pattern).await,
                Some(feed) => {
                    by_monitor(&job, masters, feed, positions, Duration::from_secs(seconds)).await
                }
            };
            job.conclude(outcome, |_, ()| ());
        })?;
        tracing::info!(id = %job.id, method = %job.method, "hot-keys job started");
        Ok(job)
    }

    /// A job's progress or outcome.
    pub fn job(&self, id: &str) -> Result<HotkeysJob> {
        self.registry.get(id)
    }

    /// Every remembered job, newest first.
    pub fn jobs(&self) -> Vec<HotkeysJob> {
        self.registry.list()
    }

    /// Stops a job (a MONITOR sample keeps what it counted).
    pub fn cancel(&self, id: &str) -> Result<HotkeysJob> {
        self.registry.cancel(id)
    }

    pub(crate) async fn shutdown(&self) {
        self.registry.shutdown().await;
    }
}

/// The `n` biggest counts, biggest first (ties by key).
fn top(counts: impl IntoIterator<Item = (Vec<u8>, (u64, String))>, n: usize) -> Vec<HotKey> {
    let mut v: Vec<(Vec<u8>, (u64, String))> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    v.truncate(n);
    v.into_iter()
        .map(|(k, (count, node))| HotKey {
            key: Bytes::new(&k),
            count,
            node,
        })
        .collect()
}

/// OBJECT FREQ of every key (pipelined per SCAN page), keeping the top [`TOP`].
async fn by_freq(job: &JobHandle<HotkeysJob>, masters: Vec<NodeConn>, pattern: &str) -> Result<()> {
    let mut best: std::collections::BinaryHeap<Reverse<(u64, Vec<u8>, String)>> =
        std::collections::BinaryHeap::new();
    let mut scanned = 0u64;
    for node in &masters {
        let mut conn = node.conn.clone();
        let mut cursor = 0u64;
        loop {
            if job.is_cancelled() {
                return Ok(());
            }
            let (next, keys) =
                keyspace::scan_page(&mut conn, cursor, pattern, SCAN_COUNT, None).await?;
            scanned += keys.len() as u64;
            if !keys.is_empty() {
                let mut p = redis::pipe();
                p.ignore_errors();
                for k in &keys {
                    p.cmd("OBJECT").arg("FREQ").arg(k);
                }
                let freqs: Vec<Value> = p.query_async(&mut conn).await?;
                for (k, f) in keys.into_iter().zip(freqs) {
                    let n = match f {
                        Value::Int(n) => n.max(0) as u64,
                        Value::ServerError(e) => {
                            return Err(Error::server(format!(
                                "OBJECT FREQ refused: {} {}",
                                e.code(),
                                e.details().unwrap_or("")
                            )))
                        }
                        _ => continue, // deleted since SCAN
                    };
                    if best.len() < TOP {
                        best.push(Reverse((n, k, node.addr.clone())));
                    } else if best.peek().is_some_and(|Reverse((m, _, _))| n > *m) {
                        best.pop();
                        best.push(Reverse((n, k, node.addr.clone())));
                    }
                }
            }
            cursor = next;
            job.update(|j| j.scanned = scanned);
            if cursor == 0 {
                break;
            }
        }
    }
    let keys = top(
        best.into_iter().map(|Reverse((n, k, node))| (k, (n, node))),
        TOP,
    );
    job.update(|j| j.keys = keys);
    Ok(())
}

/// Counts what MONITOR shows on every master for `length` (or until cancelled).
async fn by_monitor(
    job: &JobHandle<HotkeysJob>,
    masters: Vec<NodeConn>,
    mut feed: Feed,
    positions: HashMap<String, usize>,
    length: Duration,
) -> Result<()> {
    let started = Instant::now();
    let deadline = tokio::time::Instant::now() + length;
    let mut keys: HashMap<Vec<u8>, (u64, String)> = HashMap::new();
    let mut commands: HashMap<String, u64> = HashMap::new();
    let (mut seen, mut truncated) = (0u64, false);
    let mut last = Instant::now();
    let cancel = job.cancel_token().clone();
    loop {
        let msg = tokio::select! {
            m = feed.next() => m,
            _ = tokio::time::sleep_until(deadline) => None,
            _ = cancel.cancelled() => None,
        };
        let Some((node, line)) = msg else { break };
        let Some(args) = monitor_feed::args(&line) else {
            continue;
        };
        seen += 1;
        let name = String::from_utf8_lossy(&args[0]).to_lowercase();
        let at = positions.get(&name).copied().unwrap_or(0);
        if let Some(k) = args.get(at).filter(|_| at > 0) {
            if let Some(c) = keys.get_mut(k.as_slice()) {
                c.0 += 1;
            } else if keys.len() < MAX_TRACKED_KEYS {
                keys.insert(k.clone(), (1, masters[node].addr.clone()));
            } else {
                truncated = true;
            }
        }
        *commands.entry(name).or_default() += 1;
        if last.elapsed() >= EVENT_EVERY {
            last = Instant::now();
            let hot = top(keys.iter().map(|(k, v)| (k.clone(), v.clone())), 10);
            job.update(|j| {
                j.commands = seen;
                j.elapsed_ms = started.elapsed().as_millis() as u64;
                j.keys = hot;
            });
        }
    }
    drop(feed);
    let mut by_command: Vec<CommandCount> = commands
        .into_iter()
        .map(|(command, count)| CommandCount { command, count })
        .collect();
    by_command.sort_by(|a, b| b.count.cmp(&a.count).then(a.command.cmp(&b.command)));
    by_command.truncate(TOP);
    let hot = top(keys, TOP);
    job.update(|j| {
        j.commands = seen;
        j.elapsed_ms = started.elapsed().as_millis() as u64;
        j.keys = hot;
        j.by_command = by_command;
        j.truncated = truncated;
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_top_list_is_hottest_first() {
        let t = top(
            vec![
                (b"a".to_vec(), (3, "n".into())),
                (b"b".to_vec(), (9, "n".into())),
                (b"c".to_vec(), (3, "n".into())),
            ],
            2,
        );
        let names: Vec<&str> = t.iter().map(|k| k.key.text.as_str()).collect();
        assert_eq!(names, ["b", "a"]);
    }
}
