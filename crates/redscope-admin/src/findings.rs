//! Hygiene findings: caching anti-patterns found in the keyspace and server. Keys without a
//! TTL in a namespace whose policy has one, TTLs far above the policy for their data type,
//! values over a size limit (`MEMORY USAGE`), `KEYS` and other O(N) commands in the slowlog, no
//! eviction policy, and an `allkeys-*` policy on a server that holds streams or locks. `mode=sample` answers from a bounded scan; `mode=full` walks every key as
//! a job with progress events and cancel, like invalidation.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::bytes::Bytes;
use super::events::Publisher;
use super::registry::{now_ms, JobHandle, JobState, Policy, Registry};
use super::server::{ServerTools, SlowlogQuery};
use super::services;
use super::session::Session;
use redscope::error::{Error, Result};
use redscope::health::AlertLevel;
use redscope::market::layout;
use redscope::ttl::DataType;

/// Keys examined by a sampled run.
pub const SAMPLE_KEYS: usize = 2_000;
/// Keys whose `MEMORY USAGE` a sampled run measures.
pub const SAMPLE_SIZES: usize = 300;
/// Default size limit: values above it are findings.
pub const DEFAULT_SIZE_LIMIT: u64 = 1024 * 1024;
/// A remaining TTL more than this many times the policy's is a finding.
pub const TTL_DRIFT_FACTOR: f64 = 2.0;
/// Keys listed per finding.
pub const KEYS_PER_FINDING: usize = 20;
/// Jobs remembered.
const MAX_JOBS: usize = 20;
/// Full findings runs at once; one more is refused (HTTP 429) until one ends.
pub const MAX_RUNNING: usize = 2;
/// SCAN `COUNT` per call.
const SCAN_COUNT: usize = 500;
/// Progress events at most this often.
const EVENT_EVERY: Duration = Duration::from_millis(250);

/// Commands that are O(N) on the whole keyspace or a whole value, worth a finding in the slowlog.
const O_N_COMMANDS: [&str; 14] = [
    "KEYS",
    "FLUSHALL",
    "FLUSHDB",
    "HGETALL",
    "SMEMBERS",
    "LRANGE",
    "ZRANGE",
    "ZRANGEBYSCORE",
    "ZREVRANGE",
    "SORT",
    "SUNION",
    "SINTER",
    "SDIFF",
    "HKEYS",
];

/// `GET /api/findings` parameters.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct FindingsQuery {
    /// `sample` (default) or `full` (a job).
    pub mode: Option<String>,
    /// Values above this many bytes are findings (default 1 MiB).
    pub size_limit: Option<u64>,
}

/// What a finding is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema, ts_rs::TS,
)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Keys without a TTL in a namespace whose policy has one.
    NoTtl,
    /// Remaining TTL far above the policy for the key's data type.
    TtlDrift,
    /// A value over the size limit.
    BigValue,
    /// `KEYS` or another O(N) command in the slowlog.
    SlowCommand,
    /// `maxmemory-policy` is `noeviction`.
    NoEviction,
    /// `maxmemory-policy` is `allkeys-*` on a server holding streams or locks, which it may evict.
    EvictsState,
}

/// One anti-pattern with the evidence.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Finding {
    /// What it is.
    pub kind: FindingKind,
    /// Warning or critical.
    pub level: AlertLevel,
    /// One line a user reads.
    pub message: String,
    /// Keys (or slowlog entries, or nodes) affected.
    pub count: u64,
    /// Up to 20 of the keys, to open in the browser.
    pub keys: Vec<Bytes>,
    /// The data type the keys belong to, when the finding is per type.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub data_type: Option<String>,
    /// A pattern to prefill the invalidation page with, where deleting is a fix.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub pattern: Option<String>,
    /// The command, for slowlog findings.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub command: Option<String>,
}

/// The findings of one run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct FindingsReport {
    /// `sample` or `full`.
    pub mode: String,
    /// Keys looked at.
    pub keys_examined: u64,
    /// Keys whose memory was measured.
    pub sizes_measured: u64,
    /// Whether every key was looked at.
    pub complete: bool,
    /// The size limit applied.
    pub size_limit: u64,
    /// Findings, most serious first.
    pub findings: Vec<Finding>,
}

/// A full findings run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct FindingsJob {
    /// Identifier, for `GET /api/findings/jobs/{id}`.
    pub id: String,
    /// `findings`.
    pub kind: &'static str,
    /// Where it is.
    pub state: JobState,
    /// SCAN calls made.
    pub scanned: u64,
    /// Keys examined so far.
    pub examined: u64,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
    /// Start, epoch ms.
    pub started_ms: i64,
    /// End, epoch ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub finished_ms: Option<i64>,
    /// The findings, once finished (or cancelled).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub report: Option<FindingsReport>,
}

/// `GET /api/findings` answer: a sampled report, or the started full job.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[serde(untagged)]
pub enum FindingsReply {
    /// Findings of a sampled scan.
    Report(FindingsReport),
    /// The full run, as a job.
    Job(FindingsJob),
}

crate::registry::job_record!(FindingsJob);

/// Hygiene findings of one session: sampled reports and full runs as jobs.
pub struct Findings {
    scope: Scope,
    registry: Registry<FindingsJob>,
}

/// What a findings run reads: the keyspace, the clients' TTL policies and the slowlog. A full
/// run's job holds a clone of this, never the service.
#[derive(Clone)]
struct Scope {
    session: Arc<Session>,
    services: services::Reader,
    server: ServerTools,
}

/// Accumulates evidence while keys are examined.
#[derive(Default)]
struct Collector {
    /// TTLs live library clients reported where they differ from the defaults (ms, the longest).
    overrides: std::collections::HashMap<String, u64>,
    examined: u64,
    measured: u64,
    no_ttl: BTreeMap<&'static str, (u64, Vec<Vec<u8>>)>,
    drift: BTreeMap<&'static str, (u64, Vec<Vec<u8>>)>,
    big: (u64, Vec<(u64, Vec<u8>)>),
}

fn note(slot: &mut (u64, Vec<Vec<u8>>), key: &[u8]) {
    slot.0 += 1;
    if slot.1.len() < KEYS_PER_FINDING {
        slot.1.push(key.to_vec());
    }
}

/// The data type and invalidation pattern of a key written by the library, from the library's
/// key layout ([`redscope::market::layout`]).
pub fn data_type_of(key: &[u8]) -> Option<(DataType, &'static str)> {
    let entry = layout::classify(key)?;
    Some((entry.data_type?, entry.glob))
}

impl Collector {
    /// The policy TTL of a data type: what live clients reported, else the default.
    fn policy_ms(&self, t: DataType) -> u64 {
        self.overrides
            .get(t.name())
            .copied()
            .unwrap_or(t.default_ttl().as_millis() as u64)
    }

    fn policy_text(&self, t: Option<DataType>) -> String {
        match t {
            Some(t) if self.overrides.contains_key(t.name()) => format!(
                "{} as live services report it",
                human(Duration::from_millis(self.policy_ms(t)))
            ),
            Some(t) => format!("{} by default", human(t.default_ttl())),
            None => String::new(),
        }
    }

    /// Examines one batch of keys: PTTL for the typed ones, MEMORY USAGE for up to `measure`.
    async fn examine(
        &mut self,
        conn: &mut redscope::conn::Conn,
        keys: &[Vec<u8>],
        measure: usize,
        size_limit: u64,
    ) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let typed: Vec<(usize, DataType, &'static str)> = keys
            .iter()
            .enumerate()
            .filter_map(|(i, k)| data_type_of(k).map(|(t, p)| (i, t, p)))
            .collect();
        let measured = &keys[..measure.min(keys.len())];
        let mut pipe = redis::pipe();
        for (i, _, _) in &typed {
            pipe.cmd("PTTL").arg(&keys[*i]);
        }
        for k in measured {
            pipe.cmd("MEMORY").arg("USAGE").arg(k).arg("SAMPLES").arg(5);
        }
        let replies: Vec<Option<i64>> = pipe.query_async(conn).await?;
        let (ttls, sizes) = replies.split_at(typed.len().min(replies.len()));
        for ((i, t, pattern), ttl) in typed.iter().zip(ttls) {
            let key = &keys[*i];
            match ttl {
                Some(-1) => note(self.no_ttl.entry(pattern).or_default(), key),
                Some(ms) if *ms > 0 => {
                    let policy = self.policy_ms(*t) as f64;
                    if *t != DataType::RateLimits && *ms as f64 > policy * TTL_DRIFT_FACTOR {
                        note(self.drift.entry(pattern).or_default(), key);
                    }
                }
                _ => {}
            }
        }
        for (k, size) in measured.iter().zip(sizes) {
            if let Some(n) = size {
                let n = (*n).max(0) as u64;
                if n > size_limit {
                    self.big.0 += 1;
                    if self.big.1.len() < KEYS_PER_FINDING {
                        self.big.1.push((n, k.clone()));
                    }
                }
            }
        }
        self.examined += keys.len() as u64;
        self.measured += measured.len() as u64;
        Ok(())
    }

    fn findings(&self, size_limit: u64) -> Vec<Finding> {
        let mut out = Vec::new();
        let type_name = |pattern: &str| layout::by_glob(pattern).and_then(|e| e.data_type);
        for (pattern, (n, keys)) in &self.no_ttl {
            let t = type_name(pattern);
            out.push(Finding {
                kind: FindingKind::NoTtl,
                level: AlertLevel::Warning,
                message: format!(
                    "{n} keys under {pattern} have no TTL; their policy is {}",
                    self.policy_text(t)
                ),
                count: *n,
                keys: keys.iter().map(|k| Bytes::new(k)).collect(),
                data_type: t.map(|t| t.name().to_string()),
                pattern: Some(pattern.to_string()),
                command: None,
            });
        }
        for (pattern, (n, keys)) in &self.drift {
            let t = type_name(pattern);
            out.push(Finding {
                kind: FindingKind::TtlDrift,
                level: AlertLevel::Warning,
                message: format!(
                    "{n} keys under {pattern} expire much later than their policy ({}): \
                     more than {TTL_DRIFT_FACTOR}× left",
                    self.policy_text(t)
                ),
                count: *n,
                keys: keys.iter().map(|k| Bytes::new(k)).collect(),
                data_type: t.map(|t| t.name().to_string()),
                pattern: Some(pattern.to_string()),
                command: None,
            });
        }
        if self.big.0 > 0 {
            let mut big = self.big.1.clone();
            big.sort_by_key(|b| std::cmp::Reverse(b.0));
            out.push(Finding {
                kind: FindingKind::BigValue,
                level: AlertLevel::Warning,
                message: format!(
                    "{} values use more than {} (largest {}): compress or split them",
                    self.big.0,
                    human_bytes(size_limit),
                    human_bytes(big.first().map_or(0, |b| b.0))
                ),
                count: self.big.0,
                keys: big.iter().map(|(_, k)| Bytes::new(k)).collect(),
                data_type: None,
                pattern: None,
                command: None,
            });
        }
        out
    }
}

fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms % 3_600_000 == 0 {
        format!("{} h", ms / 3_600_000)
    } else if ms % 60_000 == 0 {
        format!("{} min", ms / 60_000)
    } else {
        format!("{} s", ms / 1000)
    }
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

impl Findings {
    pub(crate) fn new(
        session: Arc<Session>,
        services: services::Reader,
        server: ServerTools,
        events: Publisher<serde_json::Value>,
    ) -> Self {
        let policy = Policy {
            what: "findings job",
            id_prefix: "f",
            keep: MAX_JOBS,
            event_every: EVENT_EVERY,
            max_running: MAX_RUNNING,
        };
        Findings {
            scope: Scope {
                session,
                services,
                server,
            },
            registry: Registry::new(policy, events),
        }
    }

    /// Hygiene findings: a sampled report now, or a full run started as a job.
    pub async fn run(&self, q: &FindingsQuery) -> Result<FindingsReply> {
        let size_limit = q.size_limit.unwrap_or(DEFAULT_SIZE_LIMIT).max(1);
        match q.mode.as_deref().unwrap_or("sample") {
            "sample" => Ok(FindingsReply::Report(
                self.scope.run(size_limit, false, None).await?,
            )),
            "full" => Ok(FindingsReply::Job(self.start(size_limit).await?)),
            other => Err(Error::InvalidInput(format!(
                "mode must be sample or full ({other:?} given)"
            ))),
        }
    }

    /// A findings job by id.
    pub fn job(&self, id: &str) -> Result<FindingsJob> {
        self.registry.get(id)
    }

    /// Asks a findings job to stop; it keeps what it found so far.
    pub fn cancel(&self, id: &str) -> Result<FindingsJob> {
        self.registry.cancel(id)
    }

    /// Cancels every running findings job and waits for it to stop.
    pub(crate) async fn shutdown(&self) {
        self.registry.shutdown().await;
    }

    async fn start(&self, size_limit: u64) -> Result<FindingsJob> {
        self.scope.session.ensure_open("a findings job")?;
        self.scope.session.conn().await?; // a dead server is an error now, not a failed job later
        let record = |id| FindingsJob {
            id,
            kind: "findings",
            state: JobState::Running,
            scanned: 0,
            examined: 0,
            error: None,
            started_ms: now_ms(),
            finished_ms: None,
            report: None,
        };
        let scope = self.scope.clone();
        self.registry.start(record, move |job| async move {
            let outcome = scope.run(size_limit, true, Some(&job)).await;
            let job = job.conclude(outcome, |j, report| j.report = Some(report));
            tracing::info!(id = %job.id, state = ?job.state, examined = job.examined, "findings job finished");
        })
    }
}

impl Scope {
    /// Walks keys (bounded unless `full`) on every master, then reads slowlog and config.
    async fn run(
        &self,
        size_limit: u64,
        full: bool,
        job: Option<&JobHandle<FindingsJob>>,
    ) -> Result<FindingsReport> {
        let mut conn = self.session.conn().await?;
        let mut c = Collector::default();
        // Judge TTLs by the policy the services really use, where they report one.
        if let Ok(reply) = self.services.now().await {
            for s in reply.services {
                for (t, ms) in s.ttl_overrides {
                    let e = c.overrides.entry(t).or_insert(ms);
                    *e = (*e).max(ms);
                }
            }
        }
        let mut complete = true;
        let cancel = job.map(|j| j.cancel_token().clone()).unwrap_or_default();
        let masters = conn.masters().await?;
        // A sample takes an even share of keys (and of sizes) from every master.
        let share = |total: usize| (total / masters.len().max(1)).max(1) as u64;
        'nodes: for mut node in masters.iter().cloned() {
            let mut cursor = 0u64;
            let (mut node_keys, mut node_sizes) = (0u64, 0u64);
            loop {
                if cancel.is_cancelled() {
                    complete = false;
                    break 'nodes;
                }
                let (next, keys) =
                    redscope::keyspace::scan_page(&mut node.conn, cursor, "*", SCAN_COUNT, None)
                        .await?;
                let (room, measure) = if full {
                    (keys.len(), keys.len())
                } else {
                    (
                        share(SAMPLE_KEYS).saturating_sub(node_keys) as usize,
                        share(SAMPLE_SIZES).saturating_sub(node_sizes) as usize,
                    )
                };
                let batch = &keys[..room.min(keys.len())];
                let (before_keys, before_sizes) = (c.examined, c.measured);
                c.examine(&mut conn, batch, measure, size_limit).await?;
                node_keys += c.examined - before_keys;
                node_sizes += c.measured - before_sizes;
                if let Some(j) = job {
                    j.update(|g| {
                        g.scanned += 1;
                        g.examined = c.examined;
                    });
                }
                if batch.len() < keys.len()
                    || (!full && node_keys >= share(SAMPLE_KEYS) && next != 0)
                {
                    // This master's share is taken and keys are left unexamined.
                    complete = false;
                    break;
                }
                if next == 0 {
                    break;
                }
                cursor = next;
            }
        }
        let mut findings = c.findings(size_limit);
        findings.extend(self.slowlog_findings().await?);
        findings.extend(eviction_findings(&conn).await?);
        findings.sort_by(|a, b| {
            (b.level == AlertLevel::Critical)
                .cmp(&(a.level == AlertLevel::Critical))
                .then(a.kind.cmp(&b.kind))
        });
        Ok(FindingsReport {
            mode: if full { "full" } else { "sample" }.into(),
            keys_examined: c.examined,
            sizes_measured: c.measured,
            complete,
            size_limit,
            findings,
        })
    }

    /// `KEYS` and other O(N) commands in every master's slowlog, one finding per command.
    async fn slowlog_findings(&self) -> Result<Vec<Finding>> {
        let entries = self
            .server
            .slowlog(SlowlogQuery { count: Some(128) })
            .await?;
        let mut by_cmd: BTreeMap<String, (u64, Vec<Vec<u8>>, i64)> = BTreeMap::new();
        for e in &entries {
            let Some(cmd) = e.args.first().map(|a| a.to_ascii_uppercase()) else {
                continue;
            };
            if !O_N_COMMANDS.contains(&cmd.as_str()) {
                continue;
            }
            let slot = by_cmd.entry(cmd).or_default();
            slot.0 += 1;
            slot.2 = slot.2.max(e.duration_us);
            if let Some(arg) = e.args.get(1) {
                if slot.1.len() < KEYS_PER_FINDING && !slot.1.iter().any(|k| k == arg.as_bytes()) {
                    slot.1.push(arg.as_bytes().to_vec());
                }
            }
        }
        Ok(by_cmd
            .into_iter()
            .map(|(cmd, (n, args, max_us))| {
                let keys_cmd = cmd == "KEYS" || cmd.starts_with("FLUSH");
                Finding {
                    kind: FindingKind::SlowCommand,
                    level: if keys_cmd {
                        AlertLevel::Critical
                    } else {
                        AlertLevel::Warning
                    },
                    message: if keys_cmd {
                        format!("{cmd} ran {n} times (slowest {max_us} µs): it blocks the server over the whole keyspace; use SCAN")
                    } else {
                        format!("{cmd} ran {n} times slowly (slowest {max_us} µs): it reads a whole value; page with SCAN/ranges")
                    },
                    count: n,
                    // KEYS takes a pattern, not a key: nothing to open.
                    keys: if cmd == "KEYS" {
                        Vec::new()
                    } else {
                        args.iter().map(|k| Bytes::new(k)).collect()
                    },
                    data_type: None,
                    pattern: None,
                    command: Some(cmd),
                }
            })
            .collect())
    }
}

/// SCAN pages (of [`SCAN_COUNT`] keys) looked through per master for streams and locks.
const STATE_SCAN_PAGES: usize = 20;

/// Globs of state that must not be evicted, and what it is (the lock and limit prefixes of
/// [`redscope::lock`] and [`redscope::ratelimit`]).
const STATE_GLOBS: [(&str, &str); 2] = [("lock:*", "locks"), ("ratelimit:*", "rate limits")];

/// A `noeviction` policy on any master, and an `allkeys-*` one on a master holding streams,
/// locks or rate limits (it may evict them under memory pressure).
async fn eviction_findings(conn: &redscope::conn::Conn) -> Result<Vec<Finding>> {
    let mut no_eviction = Vec::new();
    let mut at_risk: Vec<(String, Vec<Vec<u8>>)> = Vec::new();
    for mut node in conn.masters().await? {
        let reply: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("maxmemory-policy")
            .query_async(&mut node.conn)
            .await?;
        let policy = reply.get(1).map(String::as_str).unwrap_or("");
        if policy == "noeviction" {
            no_eviction.push(node.addr);
        } else if policy.starts_with("allkeys-") {
            let (what, keys) = state_keys(&mut node.conn).await?;
            if !what.is_empty() {
                at_risk.push((
                    format!("{} ({policy}: {})", node.addr, what.join(", ")),
                    keys,
                ));
            }
        }
    }
    let mut out = Vec::new();
    if !no_eviction.is_empty() {
        out.push(Finding {
            kind: FindingKind::NoEviction,
            level: AlertLevel::Warning,
            message: format!(
                "maxmemory-policy is noeviction on {}: a full cache refuses writes instead of \
                 evicting (use volatile-lru: it evicts only keys with a TTL)",
                no_eviction.join(", ")
            ),
            count: no_eviction.len() as u64,
            keys: Vec::new(),
            data_type: None,
            pattern: None,
            command: None,
        });
    }
    if !at_risk.is_empty() {
        let mut keys: Vec<Bytes> = Vec::new();
        for (_, k) in &at_risk {
            for k in k {
                if keys.len() < KEYS_PER_FINDING {
                    keys.push(Bytes::new(k));
                }
            }
        }
        out.push(Finding {
            kind: FindingKind::EvictsState,
            level: AlertLevel::Warning,
            message: format!(
                "An allkeys-* eviction policy on a server holding streams or locks: {}. Under \
                 memory pressure Redis may evict them with their consumer groups; use \
                 volatile-lru (evicts only keys with a TTL)",
                at_risk
                    .iter()
                    .map(|(a, _)| a.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            count: at_risk.len() as u64,
            keys,
            data_type: None,
            pattern: None,
            command: None,
        });
    }
    Ok(out)
}

/// What state a master holds that eviction must spare (`streams`, `locks`, `rate limits`),
/// with a few of those keys; looks through at most [`STATE_SCAN_PAGES`] pages per kind.
async fn state_keys(
    conn: &mut redscope::conn::NodeLink,
) -> Result<(Vec<&'static str>, Vec<Vec<u8>>)> {
    let mut what = Vec::new();
    let mut found = Vec::new();
    for (glob, ty, name) in std::iter::once(("*", Some("stream"), "streams"))
        .chain(STATE_GLOBS.iter().map(|(g, n)| (*g, None, *n)))
    {
        let mut cursor = 0;
        for _ in 0..STATE_SCAN_PAGES {
            let (next, keys) =
                redscope::keyspace::scan_page(conn, cursor, glob, SCAN_COUNT, ty).await?;
            if !keys.is_empty() {
                what.push(name);
                found.extend(keys.into_iter().take(3));
                break;
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
    Ok((what, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_namespaces_map_to_their_data_types() {
        assert_eq!(
            data_type_of(b"ticker:binance:BTC-USDT"),
            Some((DataType::Ticker, "ticker:*"))
        );
        assert_eq!(
            data_type_of(b"features:AAPL:2025-01-17").map(|t| t.0),
            Some(DataType::Features)
        );
        assert_eq!(data_type_of(b"ohlcv:AAPL:1m"), None);
        assert_eq!(data_type_of(b"\xff\x00"), None);
    }

    #[test]
    fn durations_and_sizes_read_well() {
        assert_eq!(human(Duration::from_millis(500)), "500 ms");
        assert_eq!(human(Duration::from_secs(3600)), "1 h");
        assert_eq!(human(Duration::from_secs(300)), "5 min");
        assert_eq!(human_bytes(2 * 1024 * 1024), "2.0 MiB");
    }
}
