//! Export and import: keys chosen by pattern, namespace or selection, with their TTLs, to a
//! lossless file of DUMP payloads ([`dumpfile`]), to Redis commands `redis-cli --pipe` accepts
//! ([`commands`]), or to JSON lines / CSV for people ([`people`]); and import of the lossless file
//! and of command files with a conflict policy (skip / replace / fail) and a dry run. Each is a
//! cancellable job over every master (SCAN, a few pipelined pages in flight); files live in one
//! directory (`REDSCOPE_EXPORT_DIR`, else `exports/` in the config directory) and are named, never
//! given as paths, so web mode cannot be pointed at other files. One stream's entries between
//! two IDs or times export to JSON lines or CSV the same way ([`stream_range`]).

pub mod commands;
pub mod dumpfile;
pub mod files;
pub mod people;
pub mod stream_range;
pub mod values;

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use futures::stream::{FuturesOrdered, StreamExt};
use redis::Value;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, BufReader, BufWriter};

use super::bytes::KeyRef;
use super::events::Publisher;
use super::registry::{JobHandle, JobState, Policy, Registry};
use super::session::Session;
use crate::registry::now_ms;
use commands::{key_of, CommandReader};
use dumpfile::{DumpReader, DumpWriter, Header};
use people::{KeyWriter, Readable};
use redscope::conn::{key_slot, slot_owner, NodeConn, SlotRange};
use redscope::error::{Error, Result};
use redscope::keyspace;
use stream_range::{EntryWriter, Plan, RangeFormat, StreamExport, StreamRange};
use values::{dump_page, fetch_page, next_window, Fetched};

/// SCAN `COUNT` and keys per page.
const PAGE: usize = 1000;
/// Pages read at once on one master (their pipelines overlap the next SCAN).
const IN_FLIGHT: usize = 3;
/// Most keys a selection may name.
pub const MAX_SELECTION: usize = 10_000;
/// Records (or commands) written to Redis per pipeline on an import.
const IMPORT_BATCH: usize = 1000;
/// Import batches sent before the first one's replies are read.
const IMPORT_IN_FLIGHT: usize = 4;
/// Payload bytes per import batch (a batch is cut earlier when its payloads reach this).
const IMPORT_BATCH_BYTES: usize = 32 << 20;
/// Error messages a job keeps (the count goes on).
const MAX_ERROR_SAMPLES: usize = 20;
/// An import stops after this many refused commands.
const MAX_ERRORS: u64 = 1000;
/// Keys whose conflict decision a command import remembers; past it the file is taken to hold
/// each key's commands together (as exports write them) and older decisions are dropped.
const MAX_DECIDED: usize = 4_000_000;
const MAX_JOBS: usize = 20;
/// Exports and imports running at once.
const MAX_RUNNING: usize = 4;
const EVENT_EVERY: Duration = Duration::from_millis(250);

/// Request of `export`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ExportRequest {
    /// `dump` (lossless DUMP payloads; the default), `commands` (for `redis-cli --pipe`),
    /// `jsonl` or `csv`.
    pub format: Option<String>,
    /// Keys matching this glob (SCAN MATCH).
    pub pattern: Option<String>,
    /// Keys under this namespace prefix (matched literally).
    pub prefix: Option<String>,
    /// These keys only (at most 10,000).
    pub keys: Option<Vec<KeyRef>>,
    /// File name in the export directory (default `export-<time>.<ext>`); an existing file is
    /// refused unless `overwrite`.
    pub file: Option<String>,
    /// Replace an existing file of that name.
    pub overwrite: Option<bool>,
    /// `commands` only: `DEL` each key before writing it, so loading the file replaces keys.
    pub replace: Option<bool>,
}

/// Request of `import`.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
#[ts(optional_fields)]
pub struct ImportRequest {
    /// A file in the export directory: a dump file or a command file (told apart by content).
    pub file: String,
    /// When a key exists: `skip` it (default), `replace` it, or `fail` (then nothing is written
    /// if any key of the file exists).
    pub policy: Option<String>,
    /// Read the whole file, count what would be imported and what conflicts; write nothing.
    pub dry_run: Option<bool>,
}

/// A file in the export directory.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct TransferFile {
    pub name: String,
    pub bytes: u64,
    /// Last change, epoch ms.
    pub modified_ms: i64,
    /// `dump`, `commands`, `jsonl`, `csv`, or `other` (by content and name).
    pub format: String,
}

/// The export directory's files.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct TransferFiles {
    /// Where they are (on the machine running Redscope).
    pub dir: String,
    /// Newest first.
    pub files: Vec<TransferFile>,
}

/// An export or import job.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct TransferJob {
    pub id: String,
    /// `export` or `import`.
    pub kind: String,
    pub state: JobState,
    /// `dump`, `commands`, `jsonl` or `csv`.
    pub format: String,
    /// The file's name in the export directory.
    pub file: String,
    /// Import: nothing is written.
    pub dry_run: bool,
    /// Import: `skip`, `replace` or `fail`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub policy: Option<String>,
    /// Keys exported; keys imported (or, in a dry run, that would be).
    pub keys: u64,
    /// Export: keys expected (DBSIZE of the masters, or the selection), for a progress bar; a
    /// stream range: entries expected (estimated from the share of the stream's time span the
    /// range covers; exact for the whole stream).
    pub expected: u64,
    /// Stream range export: entries written.
    pub entries: u64,
    /// Stream range export: the stream and the range read.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub stream: Option<StreamRange>,
    /// File bytes written (export) or read (import).
    pub done_bytes: u64,
    /// Import: the file's size.
    pub total_bytes: u64,
    /// Import: keys of the file that already exist.
    pub conflicts: u64,
    /// Import: existing keys left alone (policy skip).
    pub skipped: u64,
    /// Import: existing keys overwritten (policy replace).
    pub replaced: u64,
    /// Import: keys whose expiry had passed (not written).
    pub expired: u64,
    /// Export: keys deleted between SCAN and reading them, or selected keys that do not exist.
    pub gone: u64,
    /// Export (JSON lines, CSV, commands): keys of types those formats cannot hold (module
    /// types); the dump format keeps them.
    pub unsupported: u64,
    /// Import: commands or keys Redis refused.
    pub errors: u64,
    /// The first refusals, `key: message`.
    pub error_samples: Vec<String>,
    /// Import: the `redis_version` the dump file was made on.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub source_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub error: Option<String>,
    pub started_ms: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub finished_ms: Option<i64>,
}

crate::registry::job_record!(TransferJob);

/// Export and import of one session.
pub struct Transfer {
    session: Arc<Session>,
    registry: Registry<TransferJob>,
}

/// An export's output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Dump,
    Readable(Readable),
}

impl Format {
    fn parse(s: &str) -> Result<Format> {
        Ok(match s {
            "dump" => Format::Dump,
            "commands" => Format::Readable(Readable::Commands),
            "jsonl" => Format::Readable(Readable::Jsonl),
            "csv" => Format::Readable(Readable::Csv),
            other => {
                return Err(Error::InvalidInput(format!(
                    "format must be dump, commands, jsonl or csv ({other:?} given)"
                )))
            }
        })
    }

    fn name(self) -> &'static str {
        match self {
            Format::Dump => "dump",
            Format::Readable(Readable::Commands) => "commands",
            Format::Readable(Readable::Jsonl) => "jsonl",
            Format::Readable(Readable::Csv) => "csv",
        }
    }

    fn ext(self) -> &'static str {
        match self {
            Format::Dump => "rsdump",
            Format::Readable(Readable::Commands) => "resp",
            Format::Readable(Readable::Jsonl) => "jsonl",
            Format::Readable(Readable::Csv) => "csv",
        }
    }
}

/// Which keys an export takes.
enum Source {
    Pattern(String),
    Keys(Vec<Vec<u8>>),
}

/// What to do with a key that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Conflict {
    Skip,
    Replace,
    Fail,
}

/// The directory export files are written to and imported from.
pub fn transfer_dir() -> Result<PathBuf> {
    if let Some(d) = std::env::var_os("REDSCOPE_EXPORT_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d));
    }
    Ok(super::profiles::config_dir()?.join("exports"))
}

/// A file name of the export directory: letters, digits, `.`, `_`, `-`; never a path, never
/// an unfinished upload's name.
fn checked_name(name: &str) -> Result<String> {
    let ok = !name.is_empty()
        && name.len() <= 128
        && !name.starts_with('.')
        && !name.ends_with(".upload")
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        return Err(Error::InvalidInput(format!(
            "file {name:?}: a name of 1 to 128 letters, digits, '.', '_' or '-' (not a path, not starting with '.', not ending in .upload)"
        )));
    }
    Ok(name.to_string())
}

/// Where an export writes: its checked name (default `<prefix>-<time>.<ext>`), the directory
/// and the path; an existing file is refused unless `overwrite`.
async fn target_file(
    file: Option<&str>,
    overwrite: Option<bool>,
    prefix: &str,
    ext: &str,
) -> Result<(String, PathBuf, PathBuf)> {
    let name = match file.filter(|f| !f.is_empty()) {
        Some(f) => checked_name(f)?,
        None => format!(
            "{prefix}-{}.{ext}",
            chrono::Utc::now().format("%Y%m%d-%H%M%S%3f")
        ),
    };
    let dir = transfer_dir()?;
    let path = dir.join(&name);
    if !overwrite.unwrap_or(false) && tokio::fs::try_exists(&path).await? {
        return Err(Error::ConfirmationRequired(format!(
            "{name} exists: choose another name or pass overwrite: true"
        )));
    }
    Ok((name, dir, path))
}

/// A file of the export directory that must exist: its checked name, path and size.
async fn existing_file(name: &str) -> Result<(String, PathBuf, u64)> {
    let name = checked_name(name)?;
    let path = transfer_dir()?.join(&name);
    match tokio::fs::metadata(&path).await {
        Ok(m) if m.is_file() => Ok((name, path, m.len())),
        Ok(_) => Err(Error::InvalidInput(format!("{name} is not a file"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::NotFound(format!(
            "no file {name} in the export directory"
        ))),
        Err(e) => Err(e.into()),
    }
}

fn io_err(e: tokio::task::JoinError) -> Error {
    Error::Io(std::io::Error::other(e))
}

/// Which master each key lives on.
struct Router {
    nodes: Vec<NodeConn>,
    slots: Vec<SlotRange>,
}

impl Router {
    async fn new(conn: &redscope::conn::Conn) -> Result<Router> {
        let nodes = conn.masters().await?;
        let slots = conn.slot_map().await?;
        if nodes.is_empty() {
            return Err(Error::server("no master to talk to"));
        }
        Ok(Router { nodes, slots })
    }

    fn node_of(&self, key: &[u8]) -> usize {
        if self.slots.is_empty() {
            return 0;
        }
        let owner = slot_owner(&self.slots, key_slot(key));
        owner
            .and_then(|o| self.nodes.iter().position(|n| n.addr == o))
            .unwrap_or(0)
    }

    /// Runs `cmds`, each on the master of its key (one pipeline per master, all at once);
    /// answers the replies in order, refusals as `Value::ServerError`.
    async fn run(&self, cmds: Vec<(usize, redis::Cmd)>) -> Result<Vec<Value>> {
        let n = cmds.len();
        let mut pipes: Vec<(redis::Pipeline, Vec<usize>)> = (0..self.nodes.len())
            .map(|_| (redis::pipe(), Vec::new()))
            .collect();
        for (i, (node, cmd)) in cmds.into_iter().enumerate() {
            let (p, at) = &mut pipes[node];
            p.add_command(cmd);
            at.push(i);
        }
        let runs = pipes
            .into_iter()
            .enumerate()
            .filter(|(_, (_, at))| !at.is_empty())
            .map(|(node, (mut p, at))| {
                let mut c = self.nodes[node].conn.clone();
                async move {
                    p.ignore_errors();
                    let replies: Vec<Value> = p.query_async(&mut c).await?;
                    Ok::<_, Error>((at, replies))
                }
            });
        let mut out = vec![Value::Nil; n];
        for (at, replies) in futures::future::try_join_all(runs).await? {
            for (i, v) in at.into_iter().zip(replies) {
                out[i] = v;
            }
        }
        Ok(out)
    }
}

fn refusal(v: &Value) -> Option<String> {
    match v {
        Value::ServerError(e) => Some(
            format!("{} {}", e.code(), e.details().unwrap_or(""))
                .trim()
                .to_string(),
        ),
        _ => None,
    }
}

fn key_text(k: &[u8]) -> String {
    super::bytes::Bytes::new(k).text
}

impl Transfer {
    pub(crate) fn new(session: Arc<Session>, events: Publisher<serde_json::Value>) -> Self {
        let policy = Policy {
            what: "export or import",
            id_prefix: "x",
            keep: MAX_JOBS,
            event_every: EVENT_EVERY,
            max_running: MAX_RUNNING,
        };
        Transfer {
            session,
            registry: Registry::new(policy, events),
        }
    }

    fn record(id: String, kind: &str, format: &str, file: &str) -> TransferJob {
        TransferJob {
            id,
            kind: kind.into(),
            state: JobState::Running,
            format: format.into(),
            file: file.into(),
            dry_run: false,
            policy: None,
            keys: 0,
            expected: 0,
            entries: 0,
            stream: None,
            done_bytes: 0,
            total_bytes: 0,
            conflicts: 0,
            skipped: 0,
            replaced: 0,
            expired: 0,
            gone: 0,
            unsupported: 0,
            errors: 0,
            error_samples: Vec::new(),
            source_version: None,
            error: None,
            started_ms: now_ms(),
            finished_ms: None,
        }
    }

    /// Starts an export job.
    pub async fn export(&self, req: ExportRequest) -> Result<TransferJob> {
        let format = Format::parse(req.format.as_deref().unwrap_or("dump"))?;
        let given = [
            req.pattern.is_some(),
            req.prefix.is_some(),
            req.keys.is_some(),
        ];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(Error::InvalidInput(
                "choose keys by one of pattern, prefix or keys".into(),
            ));
        }
        let source = if let Some(keys) = &req.keys {
            if keys.is_empty() || keys.len() > MAX_SELECTION {
                return Err(Error::InvalidInput(format!(
                    "a selection of 1 to {MAX_SELECTION} keys"
                )));
            }
            Source::Keys(keys.iter().map(|k| k.bytes()).collect::<Result<_>>()?)
        } else if let Some(p) = req.prefix.as_deref() {
            Source::Pattern(format!("{}*", keyspace::glob_escape(p)))
        } else {
            match req.pattern.as_deref() {
                Some("") => return Err(Error::InvalidInput("an empty pattern".into())),
                Some(p) => Source::Pattern(p.to_string()),
                None => Source::Pattern("*".into()),
            }
        };
        let (name, dir, path) =
            target_file(req.file.as_deref(), req.overwrite, "export", format.ext()).await?;
        self.session.ensure_open("an export")?;
        let conn = self.session.conn().await?;
        let router = Router::new(&conn).await?;
        let mut expected = 0u64;
        let mut version = String::new();
        for m in &router.nodes {
            let mut c = m.conn.clone();
            if let Source::Pattern(_) = source {
                let n: u64 = redis::cmd("DBSIZE").query_async(&mut c).await?;
                expected += n;
            }
            if version.is_empty() {
                let info: String = redis::cmd("INFO").arg("server").query_async(&mut c).await?;
                version = info
                    .lines()
                    .find_map(|l| l.strip_prefix("redis_version:"))
                    .unwrap_or("")
                    .trim()
                    .to_string();
            }
        }
        if let Source::Keys(k) = &source {
            expected = k.len() as u64;
        }
        let replace = req.replace.unwrap_or(false);
        let file = name.clone();
        let job = self.registry.start(
            |id| TransferJob {
                expected,
                ..Self::record(id, "export", format.name(), &file)
            },
            move |job| async move {
                let part = dir.join(format!(".{name}.part"));
                let header = Header {
                    version: 1,
                    redis_version: version,
                    created_ms: now_ms(),
                };
                let outcome = async {
                    tokio::fs::create_dir_all(&dir).await?;
                    export_run(&job, &router, source, format, replace, header, &part).await?;
                    tokio::fs::rename(&part, &path).await?;
                    Ok::<_, Error>(())
                }
                .await;
                if outcome.is_err() {
                    let _ = tokio::fs::remove_file(&part).await;
                }
                finish(job, outcome);
            },
        )?;
        tracing::info!(id = %job.id, format = %job.format, file = %job.file, "export started");
        Ok(job)
    }

    /// Starts an export of one stream's entries between two IDs or times (see
    /// [`stream_range`]); a missing key is `not_found`, another type `invalid_input`.
    pub async fn export_stream(&self, req: StreamExport) -> Result<TransferJob> {
        let format = RangeFormat::parse(req.format.as_deref().unwrap_or("jsonl"))?;
        let key = req.key.bytes()?;
        let plan = Plan {
            start: stream_range::bound(req.start.as_deref(), "-")?,
            end: stream_range::bound(req.end.as_deref(), "+")?,
            count: match req.count {
                Some(0) => return Err(Error::InvalidInput("count must be at least 1".into())),
                c => c,
            },
            key,
        };
        let (name, dir, path) =
            target_file(req.file.as_deref(), req.overwrite, "stream", format.name()).await?;
        self.session.ensure_open("a stream export")?;
        let mut conn = self.session.conn().await?;
        let kind: String = redis::cmd("TYPE")
            .arg(&plan.key)
            .query_async(&mut conn)
            .await?;
        match kind.as_str() {
            "stream" => {}
            "none" => return Err(Error::NotFound(format!("no key {}", key_text(&plan.key)))),
            other => {
                return Err(Error::InvalidInput(format!(
                    "{} is a {other}, not a stream",
                    key_text(&plan.key)
                )))
            }
        }
        let len: u64 = redis::cmd("XLEN")
            .arg(&plan.key)
            .query_async(&mut conn)
            .await?;
        let range = StreamRange {
            key: super::bytes::Bytes::new(&plan.key),
            start: plan.start.clone(),
            end: plan.end.clone(),
            count: plan.count,
        };
        let file = name.clone();
        let expected = stream_range::estimate(&mut conn, &plan, len).await?;
        let job = self.registry.start(
            |id| TransferJob {
                expected,
                stream: Some(range),
                ..Self::record(id, "export", format.name(), &file)
            },
            move |job| async move {
                let part = dir.join(format!(".{name}.part"));
                let spool = dir.join(format!(".{name}.rows"));
                let outcome = async {
                    tokio::fs::create_dir_all(&dir).await?;
                    let first = if format == RangeFormat::Csv {
                        &spool
                    } else {
                        &part
                    };
                    let mut sink = EntryWriter::new(stream_range::create(first).await?, format);
                    stream_range::read_range(&job, &conn, &plan, &mut sink).await?;
                    let columns = sink.finish().await?;
                    if format == RangeFormat::Csv {
                        let (s, p) = (spool.clone(), part.clone());
                        let cancel = job.cancel_token().clone();
                        let bytes = tokio::task::spawn_blocking(move || {
                            stream_range::assemble_csv(&s, &p, &columns, &cancel)
                        })
                        .await
                        .map_err(io_err)??;
                        job.update(|j| j.done_bytes = bytes);
                    }
                    tokio::fs::rename(&part, &path).await?;
                    Ok::<_, Error>(())
                }
                .await;
                let _ = tokio::fs::remove_file(&spool).await;
                if outcome.is_err() {
                    let _ = tokio::fs::remove_file(&part).await;
                }
                finish(job, outcome);
            },
        )?;
        tracing::info!(id = %job.id, format = %job.format, file = %job.file, "stream range export started");
        Ok(job)
    }

    /// Starts an import job (a dry run writes nothing and is allowed in read-only mode).
    pub async fn import(&self, req: ImportRequest) -> Result<TransferJob> {
        let dry_run = req.dry_run.unwrap_or(false);
        let policy = match req.policy.as_deref().unwrap_or("skip") {
            "skip" => Conflict::Skip,
            "replace" => Conflict::Replace,
            "fail" => Conflict::Fail,
            other => {
                return Err(Error::InvalidInput(format!(
                    "policy must be skip, replace or fail ({other:?} given)"
                )))
            }
        };
        if !dry_run {
            self.session.ensure_writable("import")?;
        }
        let (name, path, size) = existing_file(&req.file).await?;
        let format = sniff(&path).await?;
        self.session.ensure_open("an import")?;
        let conn = self.session.conn().await?;
        let router = Router::new(&conn).await?;
        let policy_name = req.policy.clone().unwrap_or_else(|| "skip".into());
        let job = self.registry.start(
            |id| TransferJob {
                dry_run,
                policy: Some(policy_name),
                total_bytes: size,
                ..Self::record(id, "import", format.name(), &name)
            },
            move |job| async move {
                let outcome = async {
                    if policy == Conflict::Fail && !dry_run {
                        // Nothing is written when any key exists: look first.
                        import_run(&job, &router, &path, size, format, policy, true).await?;
                        let r = job.record();
                        if r.conflicts > 0 {
                            return Err(Error::InvalidInput(format!(
                                "{} keys of the file exist; nothing was imported (policy fail)",
                                r.conflicts
                            )));
                        }
                        job.update(|j| {
                            j.keys = 0;
                            j.expired = 0;
                            j.done_bytes = 0;
                        });
                    }
                    import_run(&job, &router, &path, size, format, policy, dry_run).await
                }
                .await;
                finish(job, outcome);
            },
        )?;
        tracing::info!(id = %job.id, file = %job.file, dry_run, "import started");
        Ok(job)
    }

    /// A job's progress or outcome.
    pub fn job(&self, id: &str) -> Result<TransferJob> {
        self.registry.get(id)
    }

    /// Every remembered job, newest first.
    pub fn jobs(&self) -> Vec<TransferJob> {
        self.registry.list()
    }

    /// Asks a job to stop (an export's partial file is removed; an import keeps what it wrote).
    pub fn cancel(&self, id: &str) -> Result<TransferJob> {
        self.registry.cancel(id)
    }

    /// The export directory and its files.
    pub async fn files(&self) -> Result<TransferFiles> {
        let dir = transfer_dir()?;
        let d = dir.clone();
        let files = tokio::task::spawn_blocking(move || list_files(&d))
            .await
            .map_err(io_err)??;
        Ok(TransferFiles {
            dir: dir.display().to_string(),
            files,
        })
    }

    /// One part of a file of the export directory, for a download.
    pub async fn read_file(&self, req: files::FileRead) -> Result<files::FilePart> {
        files::read_part(req).await
    }

    /// One part of an upload into the export directory (refused in read-only mode, where
    /// nothing could be imported from it).
    pub async fn write_file(&self, req: files::FileWrite) -> Result<files::FileWritten> {
        self.session.ensure_writable("uploading an import file")?;
        files::write_part(req).await
    }

    /// Cancels every running job and waits for it to stop.
    pub(crate) async fn shutdown(&self) {
        self.registry.shutdown().await;
    }
}

fn finish(job: JobHandle<TransferJob>, outcome: Result<()>) {
    let job = job.conclude(outcome, |_, ()| ());
    tracing::info!(id = %job.id, kind = %job.kind, state = ?job.state, keys = job.keys, "transfer finished");
}

fn list_files(dir: &Path) -> Result<Vec<TransferFile>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let mut files = Vec::new();
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(meta) = e.metadata() else { continue };
        if !meta.is_file() || checked_name(&name).is_err() {
            continue;
        }
        let mut head = [0u8; 14];
        let n = std::fs::File::open(e.path())
            .and_then(|mut f| std::io::Read::read(&mut f, &mut head))
            .unwrap_or(0);
        let format = if head[..n].starts_with(dumpfile::MAGIC) {
            "dump"
        } else if n > 0 && head[0] == b'*' {
            "commands"
        } else if name.ends_with(".jsonl") {
            "jsonl"
        } else if name.ends_with(".csv") {
            "csv"
        } else {
            "other"
        };
        let modified_ms = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        files.push(TransferFile {
            name,
            bytes: meta.len(),
            modified_ms,
            format: format.into(),
        });
    }
    files.sort_by(|a, b| b.modified_ms.cmp(&a.modified_ms).then(a.name.cmp(&b.name)));
    Ok(files)
}

/// Tells a dump file from a command file by its first bytes.
async fn sniff(path: &Path) -> Result<Format> {
    let mut f = tokio::fs::File::open(path).await?;
    let mut head = vec![0u8; dumpfile::MAGIC.len()];
    let n = f.read(&mut head).await?;
    if head[..n].starts_with(dumpfile::MAGIC) {
        return Ok(Format::Dump);
    }
    if n > 0 && head[0] == b'*' {
        return Ok(Format::Readable(Readable::Commands));
    }
    Err(Error::InvalidInput(
        "only a Redscope dump file or a file of Redis commands (RESP, as redis-cli --pipe reads) can be imported".into(),
    ))
}

/// The output of an export.
enum Out {
    Dump(DumpWriter<BufWriter<tokio::fs::File>>),
    Readable(KeyWriter<BufWriter<tokio::fs::File>>),
}

/// What one page read gave.
enum Page {
    Dumped(usize, Vec<values::Dumped>),
    Fetched(usize, Vec<Fetched>),
}

async fn read_page(
    mut conn: redscope::conn::NodeLink,
    format: Format,
    keys: Vec<Vec<u8>>,
) -> Result<Page> {
    let asked = keys.len();
    Ok(match format {
        Format::Dump => Page::Dumped(asked, dump_page(&mut conn, keys).await?),
        Format::Readable(_) => Page::Fetched(asked, fetch_page(&mut conn, keys).await?),
    })
}

/// Walks the chosen keys master by master and writes them to `part`.
async fn export_run(
    job: &JobHandle<TransferJob>,
    router: &Router,
    source: Source,
    format: Format,
    replace: bool,
    header: Header,
    part: &Path,
) -> Result<()> {
    let file = tokio::fs::File::create(part).await?;
    let buf = BufWriter::with_capacity(1 << 20, file);
    let mut out = match format {
        Format::Dump => Out::Dump(DumpWriter::start(buf, &header).await?),
        Format::Readable(kind) => Out::Readable(KeyWriter::start(buf, kind, replace).await?),
    };
    // The keys of each master: a SCAN, or the selection split by master.
    let mut selected: Vec<Vec<Vec<u8>>> = vec![Vec::new(); router.nodes.len()];
    let pattern = match source {
        Source::Pattern(p) => Some(p),
        Source::Keys(keys) => {
            for k in keys {
                selected[router.node_of(&k)].push(k);
            }
            None
        }
    };
    let cancel = job.cancel_token().clone();
    for (i, node) in router.nodes.iter().enumerate() {
        let mut conn = node.conn.clone();
        let mut cursor = 0u64;
        let mut exhausted = false;
        let mut chosen = std::mem::take(&mut selected[i]).into_iter();
        let mut pending = FuturesOrdered::new();
        loop {
            if cancel.is_cancelled() {
                return Err(Error::InvalidInput("cancelled".into()));
            }
            while !exhausted && pending.len() < IN_FLIGHT {
                let keys = match &pattern {
                    Some(p) => {
                        let (next, keys) =
                            keyspace::scan_page(&mut conn, cursor, p, PAGE, None).await?;
                        cursor = next;
                        exhausted = next == 0;
                        keys
                    }
                    None => {
                        let keys: Vec<Vec<u8>> = chosen.by_ref().take(PAGE).collect();
                        exhausted = keys.len() < PAGE;
                        keys
                    }
                };
                if !keys.is_empty() {
                    pending.push_back(read_page(conn.clone(), format, keys));
                }
            }
            let Some(page) = pending.next().await else {
                break;
            };
            let (mut written, mut gone, mut unsupported) = (0u64, 0u64, 0u64);
            match (page?, &mut out) {
                (Page::Dumped(asked, rows), Out::Dump(w)) => {
                    gone += (asked - rows.len()) as u64;
                    for r in rows {
                        w.write(&r.key, r.expire_at_ms, &r.payload).await?;
                        written += 1;
                    }
                }
                (Page::Fetched(asked, rows), Out::Readable(w)) => {
                    gone += (asked - rows.len()) as u64;
                    for r in rows {
                        let Some(first) = &r.first else {
                            unsupported += 1;
                            continue;
                        };
                        w.begin(&r.key, &r.key_type, r.expire_at_ms).await?;
                        w.chunk(first).await?;
                        let mut more = r.more.clone();
                        while let Some(from) = more {
                            if cancel.is_cancelled() {
                                return Err(Error::InvalidInput("cancelled".into()));
                            }
                            let (chunk, next) =
                                next_window(&mut conn, &r.key, &r.key_type, &from).await?;
                            if let Some(c) = chunk {
                                w.chunk(&c).await?;
                            }
                            more = next;
                        }
                        w.end().await?;
                        written += 1;
                    }
                }
                _ => unreachable!("pages are read for the output's format"),
            }
            let bytes = match &out {
                Out::Dump(w) => w.bytes(),
                Out::Readable(w) => w.bytes(),
            };
            job.update(|j| {
                j.keys += written;
                j.gone += gone;
                j.unsupported += unsupported;
                j.done_bytes = bytes;
            });
        }
    }
    let bytes = match out {
        Out::Dump(w) => {
            let b = w.bytes() + 9;
            w.finish().await?;
            b
        }
        Out::Readable(w) => w.finish().await?,
    };
    job.update(|j| j.done_bytes = bytes);
    Ok(())
}

fn note_error(j: &mut TransferJob, key: &[u8], msg: &str) {
    j.errors += 1;
    if j.error_samples.len() < MAX_ERROR_SAMPLES {
        j.error_samples.push(format!("{}: {msg}", key_text(key)));
    }
}

/// Reads the file in batches and writes them (or, for a dry run, only counts).
async fn import_run(
    job: &JobHandle<TransferJob>,
    router: &Router,
    path: &Path,
    size: u64,
    format: Format,
    policy: Conflict,
    dry_run: bool,
) -> Result<()> {
    let file = tokio::fs::File::open(path).await?;
    let input = BufReader::with_capacity(1 << 20, file);
    match format {
        Format::Dump => import_dump(job, router, input, size, policy, dry_run).await,
        _ => import_commands(job, router, input, size, policy, dry_run).await,
    }
}

fn check_cancel(job: &JobHandle<TransferJob>) -> Result<()> {
    if job.is_cancelled() {
        return Err(Error::InvalidInput("cancelled".into()));
    }
    if job.record().errors >= MAX_ERRORS {
        return Err(Error::server(format!(
            "stopped after {MAX_ERRORS} refusals (see the error samples)"
        )));
    }
    Ok(())
}

async fn import_dump(
    job: &JobHandle<TransferJob>,
    router: &Router,
    input: BufReader<tokio::fs::File>,
    size: u64,
    policy: Conflict,
    dry_run: bool,
) -> Result<()> {
    let (mut reader, header) = DumpReader::open(input, size).await?;
    job.update(|j| j.source_version = Some(header.redis_version.clone()));
    // A few batches in flight: the next is read and sent while Redis answers the previous.
    let mut pending = FuturesOrdered::new();
    let mut eof = false;
    loop {
        check_cancel(job)?;
        while !eof && pending.len() < IMPORT_IN_FLIGHT {
            let mut batch = Vec::new();
            let mut batch_bytes = 0usize;
            while batch.len() < IMPORT_BATCH && batch_bytes < IMPORT_BATCH_BYTES {
                match reader.next().await? {
                    Some(r) => {
                        batch_bytes += r.payload.len() + r.key.len();
                        batch.push(r);
                    }
                    None => break,
                }
            }
            if batch.is_empty() {
                eof = true;
                break;
            }
            let now = now_ms();
            let (live, dead): (Vec<_>, Vec<_>) = batch
                .into_iter()
                .partition(|r| r.expire_at_ms.is_none_or(|at| at > now));
            let expired = dead.len() as u64;
            let mut cmds = Vec::with_capacity(live.len() * 2);
            for r in &live {
                let node = router.node_of(&r.key);
                if dry_run || policy == Conflict::Replace {
                    let mut c = redis::cmd("EXISTS");
                    c.arg(&r.key);
                    cmds.push((node, c));
                }
                if !dry_run {
                    let mut c = redis::cmd("RESTORE");
                    c.arg(&r.key)
                        .arg(r.expire_at_ms.unwrap_or(0))
                        .arg(&r.payload);
                    if policy == Conflict::Replace {
                        c.arg("REPLACE");
                    }
                    if r.expire_at_ms.is_some() {
                        c.arg("ABSTTL");
                    }
                    cmds.push((node, c));
                }
            }
            let left = reader.left();
            pending.push_back(async move {
                let replies = router.run(cmds).await;
                (live, expired, left, replies)
            });
        }
        let Some((live, expired, left, replies)) = pending.next().await else {
            break;
        };
        let replies = replies?;
        let per = if dry_run {
            1
        } else if policy == Conflict::Replace {
            2
        } else {
            1
        };
        job.update(|j| {
            j.expired += expired;
            j.done_bytes = size - left;
            for (r, v) in live.iter().zip(replies.chunks(per)) {
                if dry_run {
                    if matches!(v[0], Value::Int(1)) {
                        j.conflicts += 1;
                        if policy == Conflict::Replace {
                            j.replaced += 1;
                            j.keys += 1;
                        } else {
                            j.skipped += 1;
                        }
                    } else {
                        j.keys += 1;
                    }
                    continue;
                }
                let restore = &v[per - 1];
                match refusal(restore) {
                    None => {
                        j.keys += 1;
                        if per == 2 && matches!(v[0], Value::Int(1)) {
                            j.conflicts += 1;
                            j.replaced += 1;
                        }
                    }
                    Some(m) if m.starts_with("BUSYKEY") && policy == Conflict::Skip => {
                        j.conflicts += 1;
                        j.skipped += 1;
                    }
                    Some(m) => note_error(j, &r.key, &m),
                }
            }
        });
    }
    Ok(())
}

fn key_hash(k: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    k.hash(&mut h);
    h.finish()
}

async fn import_commands(
    job: &JobHandle<TransferJob>,
    router: &Router,
    input: BufReader<tokio::fs::File>,
    size: u64,
    policy: Conflict,
    dry_run: bool,
) -> Result<()> {
    let mut reader = CommandReader::new(input, size);
    // Per key (by hash): write its commands or not.
    let mut decided: HashMap<u64, bool> = HashMap::new();
    loop {
        check_cancel(job)?;
        let mut batch: Vec<Vec<Vec<u8>>> = Vec::new();
        let mut batch_bytes = 0usize;
        while batch.len() < IMPORT_BATCH && batch_bytes < IMPORT_BATCH_BYTES {
            let Some(args) = reader.next().await? else {
                break;
            };
            if key_of(&args).is_none() {
                return Err(Error::InvalidInput(format!(
                    "command {} of the file ({}) is not a data command an import runs",
                    reader.count,
                    String::from_utf8_lossy(&args[0])
                )));
            }
            batch_bytes += args.iter().map(|a| a.len()).sum::<usize>();
            batch.push(args);
        }
        if batch.is_empty() {
            break;
        }
        if decided.len() > MAX_DECIDED {
            decided.clear();
        }
        // Keys first seen in this batch: do they exist?
        let mut fresh: Vec<&[u8]> = Vec::new();
        let mut fresh_seen = std::collections::HashSet::new();
        for args in &batch {
            let k = key_of(args).expect("checked above");
            let h = key_hash(k);
            if !decided.contains_key(&h) && fresh_seen.insert(h) {
                fresh.push(k);
            }
        }
        let exists = router
            .run(
                fresh
                    .iter()
                    .map(|k| {
                        let mut c = redis::cmd("EXISTS");
                        c.arg(*k);
                        (router.node_of(k), c)
                    })
                    .collect(),
            )
            .await?;
        let mut new_keys = 0u64;
        let (mut conflicts, mut skipped, mut replaced) = (0u64, 0u64, 0u64);
        let mut cmds = Vec::new();
        for (k, v) in fresh.iter().zip(&exists) {
            let found = matches!(v, Value::Int(1));
            let write = match (found, policy) {
                (false, _) => true,
                (true, Conflict::Skip) => false,
                (true, _) => true,
            };
            if found {
                conflicts += 1;
                match policy {
                    Conflict::Skip => skipped += 1,
                    Conflict::Replace => {
                        replaced += 1;
                        if !dry_run {
                            let mut c = redis::cmd("DEL");
                            c.arg(*k);
                            cmds.push((router.node_of(k), c, None));
                        }
                    }
                    Conflict::Fail => {}
                }
            }
            if write {
                new_keys += 1;
            }
            decided.insert(key_hash(k), write);
        }
        for args in &batch {
            let k = key_of(args).expect("checked above");
            if !decided.get(&key_hash(k)).copied().unwrap_or(false) || dry_run {
                continue;
            }
            let mut c = redis::cmd(&String::from_utf8_lossy(&args[0]));
            for a in &args[1..] {
                c.arg(a.as_slice());
            }
            cmds.push((router.node_of(k), c, Some(k.to_vec())));
        }
        let keys_of: Vec<Option<Vec<u8>>> = cmds.iter().map(|(_, _, k)| k.clone()).collect();
        let replies = if cmds.is_empty() {
            Vec::new()
        } else {
            router
                .run(cmds.into_iter().map(|(n, c, _)| (n, c)).collect())
                .await?
        };
        let left = reader.left();
        job.update(|j| {
            j.done_bytes = size - left;
            j.keys += new_keys;
            j.conflicts += conflicts;
            j.skipped += skipped;
            j.replaced += replaced;
            for (k, v) in keys_of.iter().zip(&replies) {
                if let Some(m) = refusal(v) {
                    note_error(j, k.as_deref().unwrap_or(b"?"), &m);
                }
            }
        });
    }
    Ok(())
}
