//! Memory analysis: where the memory went, by namespace (a tree at any depth, split on the
//! profile's separator), by type and encoding, the biggest keys by memory and by element count,
//! and how TTLs are spread. A cancellable job walks every master with SCAN (never KEYS) and
//! measures each page with two pipelines (TYPE, MEMORY USAGE, PTTL, OBJECT ENCODING; then the
//! type's length command), the figures `redis-cli --memkeys` / `--bigkeys` read. A sample run
//! measures N keys and extrapolates (the report says so); a full run measures every key.
//! Reports can be saved as JSON files beside the profiles and two saved runs compared.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use redis::Value;
use serde::{Deserialize, Serialize};

use super::bytes::Bytes;
use super::events::Publisher;
use super::registry::{now_ms, JobHandle, JobState, Policy, Registry};
use super::session::Session;
use redscope::error::{Error, Result};
use redscope::keyspace;

/// Keys a sample run measures unless told otherwise.
pub const DEFAULT_SAMPLE: u64 = 10_000;
/// Most keys a sample run may be asked to measure.
pub const MAX_SAMPLE: u64 = 1_000_000;
/// Keys in each top list.
pub const TOP: usize = 100;
/// Namespace depth followed unless told otherwise.
pub const DEFAULT_DEPTH: usize = 8;
/// Deepest namespace level a run may be asked to follow.
pub const MAX_DEPTH: usize = 32;
/// Distinct namespaces tracked while scanning; deeper names of keys beyond it are not split.
pub const MAX_TRACKED_NAMESPACES: usize = 50_000;
/// Namespaces a report lists (the biggest by memory; a parent is never smaller than its child,
/// so the listed ones form a tree).
pub const MAX_REPORTED_NAMESPACES: usize = 5_000;
/// Saved runs kept on disk; the oldest go first.
pub const MAX_SAVED: usize = 50;
/// Namespaces a comparison lists.
pub const MAX_DIFF_ROWS: usize = 500;
/// SCAN `COUNT` per call.
const SCAN_COUNT: usize = 1000;
/// Pages measured at once on one master (their pipelines overlap the next SCAN).
const IN_FLIGHT: usize = 3;
/// Jobs remembered.
const MAX_JOBS: usize = 20;
/// Memory analyses running at once.
const MAX_RUNNING: usize = 2;
/// Progress events at most this often.
const EVENT_EVERY: Duration = Duration::from_millis(250);

/// The TTL buckets of a report, in order.
pub const TTL_BUCKETS: [&str; 5] = ["<1m", "<1h", "<1d", "later", "never"];

/// Request of `memory_analyze`.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct MemoryRequest {
    /// `sample` (default: N keys, figures extrapolated) or `full` (every key).
    pub mode: Option<String>,
    /// Keys a sample measures (default 10,000).
    pub sample: Option<u64>,
    /// Namespace separator (default: the connected profile's, else `:`).
    pub separator: Option<String>,
    /// Only keys under this namespace prefix (default: every key).
    pub prefix: Option<String>,
    /// Deepest namespace level reported (default 8, at most 32).
    pub depth: Option<usize>,
}

/// Totals of a group of keys.
#[derive(
    Debug, Clone, Default, PartialEq, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS,
)]
pub struct Totals {
    /// Keys.
    pub keys: u64,
    /// Bytes, as MEMORY USAGE reports them.
    pub bytes: u64,
    /// Elements: bytes of a string value, items of a list, fields of a hash, members of a set or
    /// sorted set, entries of a stream.
    pub elements: u64,
}

/// One namespace (a prefix ending with the separator) and the keys below it, at any depth.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
pub struct NamespaceStat {
    /// The prefix, separator included (`market:ticker:`).
    pub prefix: Bytes,
    /// 1 for a top-level namespace.
    pub depth: u32,
    /// Keys below, with their bytes and elements.
    pub totals: Totals,
    /// Keys below without a TTL.
    pub no_ttl: u64,
}

/// The keys of one type.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
pub struct TypeStat {
    /// `string`, `hash`, `list`, `set`, `zset`, `stream`, or a module type.
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub key_type: String,
    pub totals: Totals,
    /// The key using the most memory, and its bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub biggest: Option<Bytes>,
    pub biggest_bytes: u64,
    /// The key with the most elements, and its count.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub most_elements: Option<Bytes>,
    pub most_elements_count: u64,
}

/// The keys of one type in one encoding.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
pub struct EncodingStat {
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub key_type: String,
    /// OBJECT ENCODING (`listpack`, `hashtable`, `embstr`, …).
    pub encoding: String,
    pub keys: u64,
    pub bytes: u64,
}

/// One measured key.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
pub struct KeyStat {
    pub key: Bytes,
    #[serde(rename = "type")]
    #[ts(rename = "type")]
    pub key_type: String,
    pub encoding: String,
    /// MEMORY USAGE.
    pub bytes: u64,
    /// Elements (see [`Totals::elements`]).
    pub elements: u64,
    /// Remaining TTL in ms; absent when the key does not expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub ttl_ms: Option<i64>,
    /// The master holding the key (`primary` outside a Cluster).
    pub node: String,
}

/// Keys and bytes in one TTL bucket.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
pub struct TtlBucket {
    /// `<1m`, `<1h`, `<1d`, `later` or `never`.
    pub label: String,
    pub keys: u64,
    pub bytes: u64,
}

/// The outcome of one memory analysis.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
pub struct MemoryReport {
    /// `sample` or `full`.
    pub mode: String,
    /// True when the figures are extrapolated from a sample (multiplied by `factor`); the top
    /// lists and biggest keys are always measured keys.
    pub extrapolated: bool,
    /// What measured figures were multiplied by (1 for a full run).
    pub factor: f64,
    /// Keys measured.
    pub measured: u64,
    /// Keys SCAN returned (before the prefix filter of a sample).
    pub scanned: u64,
    /// Keys in the databases walked (DBSIZE of every master), when the run started.
    pub dbsize: u64,
    /// False when the run was cancelled or a sample stopped early on some master.
    pub complete: bool,
    /// The separator namespaces were split on.
    pub separator: String,
    /// The prefix the run was limited to (empty: every key).
    pub prefix: String,
    /// Deepest namespace level followed.
    pub depth: u32,
    /// Every measured key (extrapolated for a sample).
    pub total: Totals,
    /// Keys without a TTL (extrapolated for a sample).
    pub no_ttl: u64,
    /// INFO `used_memory` summed over the masters, for scale (includes overhead).
    pub used_memory: u64,
    /// Masters walked.
    pub nodes: Vec<String>,
    /// Namespaces, biggest first (at most [`MAX_REPORTED_NAMESPACES`]).
    pub namespaces: Vec<NamespaceStat>,
    /// True when some namespaces were not listed or not split (too many distinct names).
    pub namespaces_truncated: bool,
    /// By type, biggest first.
    pub by_type: Vec<TypeStat>,
    /// By type and encoding, biggest first.
    pub by_encoding: Vec<EncodingStat>,
    /// The [`TOP`] keys using the most memory.
    pub top_by_memory: Vec<KeyStat>,
    /// The [`TOP`] keys with the most elements.
    pub top_by_elements: Vec<KeyStat>,
    /// Keys and bytes by remaining TTL.
    pub ttl: Vec<TtlBucket>,
    /// Start and end, epoch ms.
    pub started_ms: i64,
    pub finished_ms: i64,
}

/// A memory analysis run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct MemoryJob {
    /// Identifier, for `/api/memory/jobs/{id}`.
    pub id: String,
    /// `memory`.
    pub kind: String,
    pub state: JobState,
    /// `sample` or `full`.
    pub mode: String,
    /// Keys measured so far.
    pub measured: u64,
    /// Keys SCAN returned so far.
    pub scanned: u64,
    /// Keys the run expects to look at (DBSIZE, or the sample size), for a progress bar.
    pub expected: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
    pub started_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub finished_ms: Option<i64>,
    /// True once the report can be read (`memory_report`): done, or cancelled with partial results.
    pub has_report: bool,
    #[serde(skip)]
    #[schemars(skip)]
    #[ts(skip)]
    report: Option<Arc<MemoryReport>>,
}

crate::registry::job_record!(MemoryJob);

/// Request of `memory_save`.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct MemorySave {
    /// The finished job whose report is saved.
    pub id: String,
    /// A name to recognise the run by.
    pub name: String,
}

/// A saved run, as listed.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema, ts_rs::TS)]
pub struct SavedRun {
    /// Identifier for `memory_saved_report`, `memory_compare` and deletion.
    pub id: String,
    pub name: String,
    /// When it was saved, epoch ms.
    pub saved_ms: i64,
    /// The connection it was measured on (password removed).
    pub url: String,
    pub mode: String,
    pub extrapolated: bool,
    pub total: Totals,
}

/// A saved run's id.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct SavedId {
    pub id: String,
}

/// Request of `memory_compare`: two saved runs, the older first.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct CompareQuery {
    /// The run compared from.
    pub a: String,
    /// The run compared to.
    pub b: String,
}

/// A figure in two runs.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct Delta {
    /// Namespace prefix or type name.
    pub name: String,
    pub keys_a: u64,
    pub keys_b: u64,
    pub bytes_a: u64,
    pub bytes_b: u64,
    /// `bytes_b - bytes_a`.
    pub bytes_delta: i64,
    /// `keys_b - keys_a`.
    pub keys_delta: i64,
}

/// What grew (and shrank) between two saved runs.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct MemoryDiff {
    pub a: SavedRun,
    pub b: SavedRun,
    /// Every key.
    pub total: Delta,
    /// Namespaces by bytes grown, most first (those listed in either run).
    pub namespaces: Vec<Delta>,
    /// Types by bytes grown, most first.
    pub by_type: Vec<Delta>,
}

/// The file of a saved run.
#[derive(Serialize, Deserialize)]
struct SavedFile {
    run: SavedRun,
    report: MemoryReport,
}

/// Memory analysis of one session: jobs, reports, saved runs.
pub struct Memory {
    session: Arc<Session>,
    registry: Registry<MemoryJob>,
}

/// What a run needs, fixed when it starts.
#[derive(Clone)]
struct Plan {
    full: bool,
    sample: u64,
    separator: Vec<u8>,
    prefix: Vec<u8>,
    depth: usize,
}

impl Memory {
    pub(crate) fn new(session: Arc<Session>, events: Publisher<serde_json::Value>) -> Self {
        let policy = Policy {
            what: "memory analysis",
            id_prefix: "m",
            keep: MAX_JOBS,
            event_every: EVENT_EVERY,
            max_running: MAX_RUNNING,
        };
        Memory {
            session,
            registry: Registry::new(policy, events),
        }
    }

    /// Starts an analysis job (sample or full) over every master.
    pub async fn analyze(&self, req: MemoryRequest) -> Result<MemoryJob> {
        let full = match req.mode.as_deref().unwrap_or("sample") {
            "sample" => false,
            "full" => true,
            other => {
                return Err(Error::InvalidInput(format!(
                    "mode must be sample or full ({other:?} given)"
                )))
            }
        };
        let sample = req.sample.unwrap_or(DEFAULT_SAMPLE);
        if sample == 0 || sample > MAX_SAMPLE {
            return Err(Error::InvalidInput(format!(
                "sample must be 1 to {MAX_SAMPLE} keys"
            )));
        }
        let separator = match req.separator.filter(|s| !s.is_empty()) {
            Some(s) => s,
            None => self
                .session
                .active_profile()
                .and_then(|p| super::profiles::saved_separator(&p))
                .unwrap_or_else(|| ":".into()),
        };
        if separator.len() > 8 {
            return Err(Error::InvalidInput(
                "the separator must be 1 to 8 bytes".into(),
            ));
        }
        let depth = req.depth.unwrap_or(DEFAULT_DEPTH);
        if depth > MAX_DEPTH {
            return Err(Error::InvalidInput(format!(
                "depth must be at most {MAX_DEPTH}"
            )));
        }
        let plan = Plan {
            full,
            sample,
            separator: separator.into_bytes(),
            prefix: req.prefix.unwrap_or_default().into_bytes(),
            depth,
        };
        self.session.ensure_open("a memory analysis")?;
        let conn = self.session.conn().await?; // a dead server is an error now, not a failed job
        let masters = conn.masters().await?;
        let mut dbsize = 0u64;
        for m in &masters {
            let n: u64 = redis::cmd("DBSIZE")
                .query_async(&mut m.conn.clone())
                .await?;
            dbsize += n;
        }
        let expected = if full { dbsize } else { sample.min(dbsize) };
        let record = |id| MemoryJob {
            id,
            kind: "memory".into(),
            state: JobState::Running,
            mode: if full { "full" } else { "sample" }.into(),
            measured: 0,
            scanned: 0,
            expected,
            error: None,
            started_ms: now_ms(),
            finished_ms: None,
            has_report: false,
            report: None,
        };
        let job = self.registry.start(record, move |job| async move {
            let outcome = run(&job, masters, dbsize, plan).await;
            let job = job.conclude(outcome, |j, report| {
                j.has_report = true;
                j.report = Some(Arc::new(report));
            });
            tracing::info!(id = %job.id, state = ?job.state, measured = job.measured, "memory analysis finished");
        })?;
        tracing::info!(id = %job.id, mode = %job.mode, "memory analysis started");
        Ok(job)
    }

    /// A job's progress.
    pub fn job(&self, id: &str) -> Result<MemoryJob> {
        self.registry.get(id)
    }

    /// Every remembered job, newest first.
    pub fn jobs(&self) -> Vec<MemoryJob> {
        self.registry.list()
    }

    /// Asks a job to stop; it keeps a partial report.
    pub fn cancel(&self, id: &str) -> Result<MemoryJob> {
        self.registry.cancel(id)
    }

    /// A finished (or cancelled) job's report.
    pub fn report(&self, id: &str) -> Result<MemoryReport> {
        let job = self.registry.get(id)?;
        match job.report {
            Some(r) => Ok((*r).clone()),
            None if job.state == JobState::Running => Err(Error::InvalidInput(format!(
                "memory analysis {id} is still running"
            ))),
            None => Err(Error::InvalidInput(format!(
                "memory analysis {id} has no report ({})",
                job.error.as_deref().unwrap_or("failed")
            ))),
        }
    }

    /// Saves a job's report under a name.
    pub async fn save(&self, req: MemorySave) -> Result<SavedRun> {
        let name = req.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Error::InvalidInput("a name of 1 to 100 characters".into()));
        }
        let report = self.report(&req.id)?;
        let saved_ms = now_ms();
        let run = SavedRun {
            id: format!("run-{saved_ms}-{}", std::process::id() % 1000),
            name,
            saved_ms,
            url: self.session.active_config().display_url(),
            mode: report.mode.clone(),
            extrapolated: report.extrapolated,
            total: report.total.clone(),
        };
        let file = SavedFile {
            run: run.clone(),
            report,
        };
        let dir = saved_dir()?;
        tokio::task::spawn_blocking(move || -> Result<()> {
            std::fs::create_dir_all(&dir)?;
            let bytes = serde_json::to_vec(&file)?;
            std::fs::write(dir.join(format!("{}.json", file.run.id)), bytes)?;
            prune(&dir)
        })
        .await
        .map_err(|e| Error::Io(std::io::Error::other(e)))??;
        Ok(run)
    }

    /// Saved runs, newest first.
    pub async fn saved(&self) -> Result<Vec<SavedRun>> {
        let dir = saved_dir()?;
        tokio::task::spawn_blocking(move || list_saved(&dir))
            .await
            .map_err(|e| Error::Io(std::io::Error::other(e)))?
    }

    /// A saved run's report.
    pub async fn saved_report(&self, id: &str) -> Result<MemoryReport> {
        Ok(load_saved(id).await?.report)
    }

    /// Deletes a saved run.
    pub async fn saved_delete(&self, id: &str) -> Result<()> {
        let path = saved_path(id)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(Error::NotFound(format!("no saved run {id:?}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// What grew between two saved runs.
    pub async fn compare(&self, q: &CompareQuery) -> Result<MemoryDiff> {
        let a = load_saved(&q.a).await?;
        let b = load_saved(&q.b).await?;
        Ok(diff(a, b))
    }

    /// Cancels every running job and waits for it to stop.
    pub(crate) async fn shutdown(&self) {
        self.registry.shutdown().await;
    }
}

fn saved_dir() -> Result<PathBuf> {
    Ok(super::profiles::config_dir()?.join("memory-runs"))
}

fn saved_path(id: &str) -> Result<PathBuf> {
    if id.is_empty()
        || id.len() > 64
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::InvalidInput(format!("bad saved run id {id:?}")));
    }
    Ok(saved_dir()?.join(format!("{id}.json")))
}

async fn load_saved(id: &str) -> Result<SavedFile> {
    let path = saved_path(id)?;
    let bytes = match tokio::fs::read(&path).await {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NotFound(format!("no saved run {id:?}")))
        }
        Err(e) => return Err(e.into()),
    };
    serde_json::from_slice(&bytes)
        .map_err(|e| Error::Codec(format!("saved run {id:?} is unreadable: {e}")))
}

fn list_saved(dir: &std::path::Path) -> Result<Vec<SavedRun>> {
    let mut runs = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(runs),
        Err(e) => return Err(e.into()),
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().and_then(|x| x.to_str()) != Some("json") {
            continue;
        }
        // Only the head of the file is needed, but the report is small enough to parse whole.
        match std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<SavedFile>(&b).ok())
        {
            Some(f) => runs.push(f.run),
            None => tracing::warn!(path = %path.display(), "unreadable saved memory run skipped"),
        }
    }
    runs.sort_by_key(|r| Reverse(r.saved_ms));
    Ok(runs)
}

/// Keeps the newest [`MAX_SAVED`] runs.
fn prune(dir: &std::path::Path) -> Result<()> {
    let runs = list_saved(dir)?;
    for old in runs.iter().skip(MAX_SAVED) {
        let _ = std::fs::remove_file(dir.join(format!("{}.json", old.id)));
    }
    Ok(())
}

/// Keys and bytes of one row of a run.
type KeysBytes = (u64, u64);

fn delta(name: String, a: (u64, u64), b: (u64, u64)) -> Delta {
    Delta {
        name,
        keys_a: a.0,
        keys_b: b.0,
        bytes_a: a.1,
        bytes_b: b.1,
        bytes_delta: b.1 as i64 - a.1 as i64,
        keys_delta: b.0 as i64 - a.0 as i64,
    }
}

fn diff(a: SavedFile, b: SavedFile) -> MemoryDiff {
    let join = |xs: Vec<(String, (u64, u64))>, ys: Vec<(String, (u64, u64))>| {
        let mut m: BTreeMap<String, (KeysBytes, KeysBytes)> = BTreeMap::new();
        for (k, v) in xs {
            m.entry(k).or_default().0 = v;
        }
        for (k, v) in ys {
            m.entry(k).or_default().1 = v;
        }
        let mut rows: Vec<Delta> = m.into_iter().map(|(k, (x, y))| delta(k, x, y)).collect();
        rows.sort_by(|p, q| {
            q.bytes_delta
                .cmp(&p.bytes_delta)
                .then(q.keys_delta.cmp(&p.keys_delta))
        });
        rows
    };
    let ns = |r: &MemoryReport| {
        r.namespaces
            .iter()
            .map(|n| (n.prefix.text.clone(), (n.totals.keys, n.totals.bytes)))
            .collect::<Vec<_>>()
    };
    let ty = |r: &MemoryReport| {
        r.by_type
            .iter()
            .map(|t| (t.key_type.clone(), (t.totals.keys, t.totals.bytes)))
            .collect::<Vec<_>>()
    };
    let mut namespaces = join(ns(&a.report), ns(&b.report));
    namespaces.truncate(MAX_DIFF_ROWS);
    MemoryDiff {
        total: delta(
            "total".into(),
            (a.report.total.keys, a.report.total.bytes),
            (b.report.total.keys, b.report.total.bytes),
        ),
        namespaces,
        by_type: join(ty(&a.report), ty(&b.report)),
        a: a.run,
        b: b.run,
    }
}

/// One key as measured.
struct Row {
    key: Vec<u8>,
    key_type: String,
    encoding: String,
    bytes: u64,
    elements: u64,
    /// PTTL: -1 without a TTL.
    pttl: i64,
}

/// The command counting a type's elements (the ones `redis-cli --bigkeys` uses).
fn length_command(key_type: &str) -> Option<&'static str> {
    Some(match key_type {
        "string" => "STRLEN",
        "list" => "LLEN",
        "hash" => "HLEN",
        "set" => "SCARD",
        "zset" => "ZCARD",
        "stream" => "XLEN",
        _ => return None,
    })
}

fn as_text(v: &Value) -> String {
    match v {
        Value::SimpleString(s) => s.clone(),
        Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
        Value::VerbatimString { text, .. } => text.clone(),
        _ => String::new(),
    }
}

fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(n) => Some(*n),
        Value::BulkString(b) => std::str::from_utf8(b).ok()?.parse().ok(),
        Value::SimpleString(s) => s.parse().ok(),
        _ => None,
    }
}

/// Measures one page of keys on one master: two pipelines. Keys gone in between are skipped.
async fn measure<C: redis::aio::ConnectionLike + Send>(
    conn: &mut C,
    keys: Vec<Vec<u8>>,
) -> Result<Vec<Row>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let mut p = redis::pipe();
    p.ignore_errors();
    for k in &keys {
        p.cmd("TYPE").arg(k);
        p.cmd("MEMORY").arg("USAGE").arg(k);
        p.cmd("PTTL").arg(k);
        p.cmd("OBJECT").arg("ENCODING").arg(k);
    }
    let replies: Vec<Value> = p.query_async(conn).await?;
    if replies.len() != keys.len() * 4 {
        return Err(Error::server("short pipeline reply to MEMORY USAGE"));
    }
    let mut rows = Vec::with_capacity(keys.len());
    let mut lengths = redis::pipe();
    lengths.ignore_errors();
    for (key, r) in keys.into_iter().zip(replies.chunks(4)) {
        if let Value::ServerError(e) = &r[1] {
            // MEMORY USAGE refused (ACL): nothing here can be measured.
            if r[1..].iter().all(|v| matches!(v, Value::ServerError(_))) {
                return Err(Error::server(format!(
                    "MEMORY USAGE failed: {}",
                    e.details().unwrap_or("refused")
                )));
            }
        }
        let key_type = as_text(&r[0]);
        let Some(bytes) = as_int(&r[1]).filter(|_| key_type != "none") else {
            continue; // deleted since SCAN returned it
        };
        let pttl = as_int(&r[2]).unwrap_or(-1);
        if pttl == -2 {
            continue;
        }
        if let Some(cmd) = length_command(&key_type) {
            lengths.cmd(cmd).arg(&key);
        } else {
            lengths.cmd("ECHO").arg(0);
        }
        rows.push(Row {
            key,
            encoding: as_text(&r[3]),
            key_type,
            bytes: bytes.max(0) as u64,
            elements: 0,
            pttl,
        });
    }
    if !rows.is_empty() {
        let counts: Vec<Value> = lengths.query_async(conn).await?;
        for (row, v) in rows.iter_mut().zip(&counts) {
            row.elements = as_int(v).unwrap_or(0).max(0) as u64;
        }
    }
    Ok(rows)
}

/// Running totals of one analysis.
struct Tally {
    plan: Plan,
    total: Totals,
    no_ttl: u64,
    by_type: BTreeMap<String, TypeAcc>,
    by_encoding: BTreeMap<(String, String), (u64, u64)>,
    namespaces: HashMap<Vec<u8>, (u32, Totals, u64)>,
    namespaces_truncated: bool,
    top_mem: BinaryHeap<Reverse<(u64, u64, Ranked)>>,
    top_elems: BinaryHeap<Reverse<(u64, u64, Ranked)>>,
    seq: u64,
    ttl: [(u64, u64); 5],
}

#[derive(Default)]
struct TypeAcc {
    totals: Totals,
    biggest: (u64, Vec<u8>),
    most: (u64, Vec<u8>),
}

/// A key in a top list (ordered by the heap's tuple, never by itself).
struct Ranked(KeyStat);

impl PartialEq for Ranked {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

fn ttl_bucket(pttl: i64) -> usize {
    match pttl {
        p if p < 0 => 4,
        p if p < 60_000 => 0,
        p if p < 3_600_000 => 1,
        p if p < 86_400_000 => 2,
        _ => 3,
    }
}

fn push_top(
    heap: &mut BinaryHeap<Reverse<(u64, u64, Ranked)>>,
    score: u64,
    seq: u64,
    make: impl FnOnce() -> KeyStat,
) {
    if heap.len() < TOP {
        heap.push(Reverse((score, seq, Ranked(make()))));
    } else if heap.peek().is_some_and(|Reverse((min, _, _))| score > *min) {
        heap.pop();
        heap.push(Reverse((score, seq, Ranked(make()))));
    }
}

impl Tally {
    fn new(plan: Plan) -> Self {
        Tally {
            plan,
            total: Totals::default(),
            no_ttl: 0,
            by_type: BTreeMap::new(),
            by_encoding: BTreeMap::new(),
            namespaces: HashMap::new(),
            namespaces_truncated: false,
            top_mem: BinaryHeap::new(),
            top_elems: BinaryHeap::new(),
            seq: 0,
            ttl: [(0, 0); 5],
        }
    }

    fn add(&mut self, row: Row, node: &str) {
        let add_to = |t: &mut Totals| {
            t.keys += 1;
            t.bytes += row.bytes;
            t.elements += row.elements;
        };
        add_to(&mut self.total);
        let no_ttl = row.pttl < 0;
        if no_ttl {
            self.no_ttl += 1;
        }
        let b = &mut self.ttl[ttl_bucket(row.pttl)];
        b.0 += 1;
        b.1 += row.bytes;
        let t = self.by_type.entry(row.key_type.clone()).or_default();
        add_to(&mut t.totals);
        if row.bytes > t.biggest.0 || t.biggest.1.is_empty() {
            t.biggest = (row.bytes, row.key.clone());
        }
        if row.elements > t.most.0 || t.most.1.is_empty() {
            t.most = (row.elements, row.key.clone());
        }
        let e = self
            .by_encoding
            .entry((row.key_type.clone(), row.encoding.clone()))
            .or_default();
        e.0 += 1;
        e.1 += row.bytes;
        // Every namespace the key is under, up to the depth.
        let sep = &self.plan.separator;
        let mut from = 0;
        let mut depth = 0u32;
        while (depth as usize) < self.plan.depth {
            let Some(at) = find(&row.key[from..], sep) else {
                break;
            };
            let end = from + at + sep.len();
            depth += 1;
            let prefix = &row.key[..end];
            let room = self.namespaces.len() < MAX_TRACKED_NAMESPACES;
            match self.namespaces.get_mut(prefix) {
                Some((_, t, n)) => {
                    add_to(t);
                    *n += u64::from(no_ttl);
                }
                None if room => {
                    let mut t = Totals::default();
                    add_to(&mut t);
                    self.namespaces
                        .insert(prefix.to_vec(), (depth, t, u64::from(no_ttl)));
                }
                None => {
                    self.namespaces_truncated = true;
                    break;
                }
            }
            from = end;
        }
        self.seq += 1;
        let seq = self.seq;
        let stat = || KeyStat {
            key: Bytes::new(&row.key),
            key_type: row.key_type.clone(),
            encoding: row.encoding.clone(),
            bytes: row.bytes,
            elements: row.elements,
            ttl_ms: (row.pttl >= 0).then_some(row.pttl),
            node: node.to_string(),
        };
        push_top(&mut self.top_mem, row.bytes, seq, stat);
        push_top(&mut self.top_elems, row.elements, seq, stat);
    }

    fn report(self, meta: Meta) -> MemoryReport {
        let f = meta.factor;
        let x = |n: u64| (n as f64 * f).round() as u64;
        let xt = |t: &Totals| Totals {
            keys: x(t.keys),
            bytes: x(t.bytes),
            elements: x(t.elements),
        };
        let mut namespaces: Vec<NamespaceStat> = self
            .namespaces
            .iter()
            .map(|(p, (d, t, n))| NamespaceStat {
                prefix: Bytes::new(p),
                depth: *d,
                totals: xt(t),
                no_ttl: x(*n),
            })
            .collect();
        namespaces.sort_by(|a, b| {
            b.totals
                .bytes
                .cmp(&a.totals.bytes)
                .then(a.depth.cmp(&b.depth))
                .then(a.prefix.text.cmp(&b.prefix.text))
        });
        let truncated = self.namespaces_truncated || namespaces.len() > MAX_REPORTED_NAMESPACES;
        namespaces.truncate(MAX_REPORTED_NAMESPACES);
        let mut by_type: Vec<TypeStat> = self
            .by_type
            .into_iter()
            .map(|(k, a)| TypeStat {
                key_type: k,
                totals: xt(&a.totals),
                biggest: (!a.biggest.1.is_empty()).then(|| Bytes::new(&a.biggest.1)),
                biggest_bytes: a.biggest.0,
                most_elements: (!a.most.1.is_empty()).then(|| Bytes::new(&a.most.1)),
                most_elements_count: a.most.0,
            })
            .collect();
        by_type.sort_by_key(|t| Reverse(t.totals.bytes));
        let mut by_encoding: Vec<EncodingStat> = self
            .by_encoding
            .into_iter()
            .map(|((t, e), (k, b))| EncodingStat {
                key_type: t,
                encoding: e,
                keys: x(k),
                bytes: x(b),
            })
            .collect();
        by_encoding.sort_by_key(|e| Reverse(e.bytes));
        let top = |h: BinaryHeap<Reverse<(u64, u64, Ranked)>>| {
            let mut v: Vec<(u64, u64, KeyStat)> = h
                .into_iter()
                .map(|Reverse((s, q, r))| (s, q, r.0))
                .collect();
            v.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            v.into_iter().map(|(_, _, k)| k).collect::<Vec<_>>()
        };
        MemoryReport {
            mode: if self.plan.full { "full" } else { "sample" }.into(),
            extrapolated: !self.plan.full && f != 1.0,
            factor: f,
            measured: self.total.keys,
            scanned: meta.scanned,
            dbsize: meta.dbsize,
            complete: meta.complete,
            separator: String::from_utf8_lossy(&self.plan.separator).into_owned(),
            prefix: String::from_utf8_lossy(&self.plan.prefix).into_owned(),
            depth: self.plan.depth as u32,
            total: xt(&self.total),
            no_ttl: x(self.no_ttl),
            used_memory: meta.used_memory,
            nodes: meta.nodes,
            namespaces,
            namespaces_truncated: truncated,
            by_type,
            by_encoding,
            top_by_memory: top(self.top_mem),
            top_by_elements: top(self.top_elems),
            ttl: TTL_BUCKETS
                .iter()
                .zip(self.ttl)
                .map(|(l, (k, b))| TtlBucket {
                    label: l.to_string(),
                    keys: x(k),
                    bytes: x(b),
                })
                .collect(),
            started_ms: meta.started_ms,
            finished_ms: now_ms(),
        }
    }
}

struct Meta {
    factor: f64,
    scanned: u64,
    dbsize: u64,
    complete: bool,
    used_memory: u64,
    nodes: Vec<String>,
    started_ms: i64,
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Walks every master, measuring pages with a few in flight, and builds the report.
async fn run(
    job: &JobHandle<MemoryJob>,
    masters: Vec<redscope::conn::NodeConn>,
    dbsize: u64,
    plan: Plan,
) -> Result<MemoryReport> {
    use futures::stream::{FuturesOrdered, StreamExt};

    let started_ms = now_ms();
    let cancel = job.cancel_token().clone();
    let mut tally = Tally::new(plan.clone());
    let mut complete = true;
    let (mut scanned, mut sampled_dbsize) = (0u64, 0u64);
    let mut used_memory = 0u64;
    let nodes: Vec<String> = masters.iter().map(|m| m.addr.clone()).collect();
    // A full run with a prefix lets the server filter; a sample filters here, so it knows how
    // many keys it looked at in all (to extrapolate).
    let pattern = if plan.full && !plan.prefix.is_empty() {
        format!(
            "{}*",
            keyspace::glob_escape(&String::from_utf8_lossy(&plan.prefix))
        )
    } else {
        "*".to_string()
    };
    'nodes: for node in &masters {
        let mut conn = node.conn.clone();
        let info: String = redis::cmd("INFO")
            .arg("memory")
            .query_async(&mut conn)
            .await?;
        used_memory += info
            .lines()
            .find_map(|l| l.strip_prefix("used_memory:"))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let node_size: u64 = redis::cmd("DBSIZE").query_async(&mut conn).await?;
        // A sample takes each master's share of the keys.
        let share = if plan.full || dbsize == 0 {
            u64::MAX
        } else {
            ((plan.sample as f64 * node_size as f64 / dbsize as f64).ceil() as u64).max(1)
        };
        let (mut node_scanned, mut node_measured) = (0u64, 0u64);
        let mut cursor = 0u64;
        let mut pending = FuturesOrdered::new();
        let mut scan_done = false;
        loop {
            if cancel.is_cancelled() {
                complete = false;
                break 'nodes;
            }
            // Keep up to IN_FLIGHT pages being measured while the next SCAN runs.
            while !scan_done && pending.len() < IN_FLIGHT && node_measured < share {
                let (next, keys) =
                    keyspace::scan_page(&mut conn, cursor, &pattern, SCAN_COUNT, None).await?;
                let keys: Vec<Vec<u8>> = if plan.full {
                    node_scanned += keys.len() as u64;
                    keys
                } else {
                    // Take this master's share; the keys past it count as not looked at.
                    let room = share.saturating_sub(node_measured) as usize;
                    let mut taken = Vec::new();
                    for k in keys {
                        if taken.len() >= room {
                            break;
                        }
                        node_scanned += 1;
                        if k.starts_with(&plan.prefix) {
                            taken.push(k);
                        }
                    }
                    taken
                };
                node_measured += keys.len() as u64;
                let mut c = conn.clone();
                pending.push_back(async move { measure(&mut c, keys).await });
                cursor = next;
                if next == 0 {
                    scan_done = true;
                }
                if node_measured >= share {
                    break;
                }
            }
            let Some(rows) = pending.next().await else {
                break;
            };
            let rows = rows?;
            for row in rows {
                tally.add(row, &node.addr);
            }
            let measured = tally.total.keys;
            job.update(|j| {
                j.measured = measured;
                j.scanned = scanned + node_scanned;
            });
        }
        if !scan_done {
            complete = false;
        }
        scanned += node_scanned;
        sampled_dbsize += node_size;
        if !plan.full && node_scanned < node_size && node_measured >= share {
            tracing::debug!(node = %node.addr, node_scanned, node_size, "sample share taken");
        }
    }
    // Extrapolate a sample by how much of the keyspace it looked at.
    let factor = if plan.full || scanned == 0 || scanned >= sampled_dbsize {
        1.0
    } else {
        sampled_dbsize as f64 / scanned as f64
    };
    let complete = complete && (plan.full || factor == 1.0);
    Ok(tally.report(Meta {
        factor,
        scanned,
        dbsize,
        complete,
        used_memory,
        nodes,
        started_ms,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, t: &str, bytes: u64, elements: u64, pttl: i64) -> Row {
        Row {
            key: key.as_bytes().to_vec(),
            key_type: t.into(),
            encoding: "x".into(),
            bytes,
            elements,
            pttl,
        }
    }

    fn plan(depth: usize) -> Plan {
        Plan {
            full: true,
            sample: 0,
            separator: b"::".to_vec(),
            prefix: Vec::new(),
            depth,
        }
    }

    fn meta() -> Meta {
        Meta {
            factor: 1.0,
            scanned: 3,
            dbsize: 3,
            complete: true,
            used_memory: 0,
            nodes: vec!["primary".into()],
            started_ms: 0,
        }
    }

    #[test]
    fn namespaces_split_on_the_separator_up_to_the_depth() {
        let mut t = Tally::new(plan(2));
        t.add(row("a::b::c::d", "string", 10, 1, -1), "n");
        t.add(row("a::b::e", "hash", 30, 3, 5_000), "n");
        t.add(row("a:x", "string", 5, 1, 7_200_000), "n");
        let r = t.report(meta());
        let ns: Vec<(&str, u32, u64, u64)> = r
            .namespaces
            .iter()
            .map(|n| {
                (
                    n.prefix.text.as_str(),
                    n.depth,
                    n.totals.keys,
                    n.totals.bytes,
                )
            })
            .collect();
        assert_eq!(ns, [("a::", 1, 2, 40), ("a::b::", 2, 2, 40)]);
        assert_eq!(r.total.bytes, 45);
        assert_eq!(r.no_ttl, 1);
        let ttl: Vec<u64> = r.ttl.iter().map(|b| b.keys).collect();
        assert_eq!(ttl, [1, 0, 1, 0, 1]);
        assert_eq!(r.top_by_memory[0].key.text, "a::b::e");
        assert_eq!(r.top_by_elements[0].elements, 3);
        assert_eq!(r.by_type[0].key_type, "hash");
    }

    #[test]
    fn top_lists_keep_the_biggest() {
        let mut t = Tally::new(plan(1));
        for i in 0..500u64 {
            t.add(row(&format!("k{i}"), "string", i, 500 - i, -1), "n");
        }
        let r = t.report(meta());
        assert_eq!(r.top_by_memory.len(), TOP);
        assert_eq!(r.top_by_memory[0].bytes, 499);
        assert_eq!(r.top_by_memory[TOP - 1].bytes, 400);
        assert_eq!(r.top_by_elements[0].elements, 500);
    }

    #[test]
    fn a_sample_is_extrapolated_and_says_so() {
        let mut t = Tally::new(Plan {
            full: false,
            ..plan(1)
        });
        t.add(row("a::1", "string", 100, 1, -1), "n");
        let r = t.report(Meta {
            factor: 10.0,
            ..meta()
        });
        assert!(r.extrapolated);
        assert_eq!(r.total.keys, 10);
        assert_eq!(r.total.bytes, 1000);
        assert_eq!(
            r.top_by_memory[0].bytes, 100,
            "top keys are measured, not scaled"
        );
    }
}
