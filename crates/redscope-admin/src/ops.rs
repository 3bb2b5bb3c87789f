//! The operation table: every admin operation declared once — name, HTTP method and path,
//! request and reply types, whether it writes to Redis, one doc line — and the one dispatcher
//! both surfaces call. Each row calls the feature service that owns the operation
//! (`s.browser().keys(r)`); only `health` and `connect`, which span the session, call the
//! service itself. Web mode's routes, the desktop's commands and capability, OpenAPI, the
//! TypeScript client and docs/API.md's route table are all derived from [`OPERATIONS`] (see
//! [`crate::schema`]).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::about::About;
use crate::browser::{
    Deleted, KeyEdit, KeyMeta, KeyPage, KeyQuery, KeyRename, KeyTtl, KeyValue, KeysMetaRequest,
    KeysQuery, Renamed, TtlReply,
};
use crate::bytes::KeyRef;
use crate::channels::{MonitorRequest, MonitorStats, PublishReply, PublishRequest};
use crate::command_docs::CommandDocs;
use crate::command_monitor::{MonitorFilter, MonitorStart, MonitorView};
use crate::console::{ConsoleReply, ConsoleRequest};
use crate::create::KeyCreate;
use crate::databases::{Databases, SelectDb};
use crate::decode::Decoded;
use crate::findings::{FindingsJob, FindingsQuery, FindingsReply};
use crate::hotkeys::{HotkeysJob, HotkeysRequest};
use crate::jobs::{InvalidateReply, InvalidateRequest, Job};
use crate::json_docs::{JsonEdit, JsonEdited, JsonNode, JsonQuery};
use crate::latency::LatencyReply;
use crate::memory::{
    CompareQuery, MemoryDiff, MemoryJob, MemoryReport, MemoryRequest, MemorySave, SavedId, SavedRun,
};
use crate::metrics::MetricsReply;
use crate::modules::ServerModules;
use crate::node_metrics::NodeMetricsQuery;
use crate::probabilistic::{ProbInfo, ProbQuery, ProbReply, ProbRequest};
use crate::profiles::{
    AlertThresholds, ImportReport, Profile, ProfileImport, ProfileInput, ProfileTest,
};
use crate::pubsub_counts::{PubsubCounts, PubsubQuery};
use crate::search::{
    SearchCreate, SearchDrop, SearchDropped, SearchIndex, SearchQuery, SearchReply,
};
use crate::series::{SeriesQuery, SeriesReply};
use crate::server::{
    ActionReply, ClientInfo, ClientKill, ConfigQuery, Confirm, Empty, InfoQuery, InfoReply, Killed,
    ServerAction, SlowlogEntry, SlowlogQuery,
};
use crate::services::ServicesReply;
use crate::stream_admin::{
    Acked, Claimed, GroupChanged, StreamAck, StreamAdd, StreamAdded, StreamClaim, StreamDelete,
    StreamGroup, StreamRemoved, StreamTrim,
};
use crate::streams::{
    EntriesPage, EntriesQuery, PendingEntry, PendingQuery, StreamsQuery, StreamsReply, TailRequest,
    TailStarted,
};
use crate::transfer::files::{FilePart, FileRead, FileWrite, FileWritten};
use crate::transfer::stream_range::StreamExport;
use crate::transfer::{ExportRequest, ImportRequest, TransferFiles, TransferJob};
use crate::tree::{TreeLevel, TreeQuery};
use crate::views::DecodeRequest;
use crate::{AdminService, HealthReport};
use redscope::health::Thresholds;
use redscope::{Error, Result};

/// The HTTP method of an operation in web mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// Reads; arguments in the query string.
    Get,
    /// Creates or acts; arguments in a JSON body.
    Post,
    /// Replaces; arguments in a JSON body.
    Put,
    /// Removes or stops; arguments in the query string.
    Delete,
}

impl Method {
    /// The method's name as HTTP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }

    /// True when the arguments travel in the query string (GET, DELETE), not a JSON body.
    pub fn takes_query(self) -> bool {
        matches!(self, Method::Get | Method::Delete)
    }
}

/// Whether an operation changes what is stored in Redis; read-only mode follows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Writes {
    /// Never writes to Redis (it may change this session's own state, e.g. stop a tail).
    No,
    /// Always writes: refused in read-only mode before the service is called.
    Yes,
    /// Depends on the arguments (a console command, an invalidation that is not a dry run):
    /// the service screens each call and refuses the writing ones in read-only mode.
    PerCall,
}

/// One row of the operation table.
#[derive(Debug, Clone, Copy)]
pub struct Operation {
    /// The command name (Tauri command, TypeScript client method).
    pub name: &'static str,
    /// The HTTP method in web mode.
    pub method: Method,
    /// The path under `/api`; `{name}` segments are request fields.
    pub path: &'static str,
    /// The request type as declared (`KeysQuery`, `KeyRef`).
    pub request: &'static str,
    /// The reply type as declared (`Vec<KeyMeta>`).
    pub reply: &'static str,
    /// Whether it writes to Redis.
    pub writes: Writes,
    /// One line for the docs.
    pub doc: &'static str,
}

impl Operation {
    /// The names of the `{param}` segments of the path.
    pub fn path_params(&self) -> impl Iterator<Item = &'static str> {
        self.path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
    }
}

/// An operation's arguments as a surface received them.
#[derive(Debug, Clone)]
pub enum Args {
    /// A JSON object: a desktop command's arguments, or a web request's body.
    Json(serde_json::Value),
    /// A URL-encoded query string (web mode's GET and DELETE), path parameters included.
    Query(String),
}

impl Args {
    /// The arguments as the operation's request type; a mismatch is an `invalid_input` error.
    pub fn parse<T: DeserializeOwned>(self) -> Result<T> {
        match self {
            Args::Json(serde_json::Value::Null) => serde_json::from_value(serde_json::json!({})),
            Args::Json(v) => serde_json::from_value(v),
            Args::Query(q) => return serde_urlencoded::from_str(&q).map_err(bad_args),
        }
        .map_err(bad_args)
    }
}

fn bad_args(e: impl std::fmt::Display) -> Error {
    Error::InvalidInput(format!("bad arguments: {e}"))
}

/// The request of operations that take no arguments.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct NoArgs {}

/// A job's id (`/jobs/{id}`, `/findings/jobs/{id}`).
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct JobId {
    /// The id a job was started with.
    pub id: String,
}

/// A live tail's id (`/stream/tail/{tail_id}`).
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct TailId {
    /// The id `stream_tail` answered with (a number, as it answered it).
    pub tail_id: u64,
}

/// How many recent messages per channel `monitor_stats` returns.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct RecentQuery {
    /// Messages per channel (default and bound set by the monitor).
    pub recent: Option<usize>,
}

/// A saved profile's name.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ProfileName {
    /// The profile's name.
    pub name: String,
}

/// The profile to switch this session to.
#[derive(Debug, Clone, Deserialize, Serialize, schemars::JsonSchema, ts_rs::TS)]
pub struct ConnectRequest {
    /// The profile's name.
    pub profile: String,
}

/// Declares the table: each line is `name: METHOD "path", Request => Reply, writes,
/// "doc", |service, request| body;` and yields [`OPERATIONS`] and [`call`].
macro_rules! operations {
    ($(
        $name:ident : $method:ident $path:literal, $req:ty => $reply:ty, $writes:ident,
        $doc:literal, |$svc:ident, $r:pat_param| $body:expr;
    )*) => {
        /// Every admin operation, in the order the docs list them.
        pub const OPERATIONS: &[Operation] = &[$(
            Operation {
                name: stringify!($name),
                method: Method::$method,
                path: $path,
                request: stringify!($req),
                reply: stringify!($reply),
                writes: Writes::$writes,
                doc: $doc,
            },
        )*];

        /// Runs operation `name` with `args` on `service` and answers the reply as JSON text,
        /// through the operation's typed form (which refuses the always-writing ones in
        /// read-only mode before the service sees them; the service screens the others itself).
        pub async fn call(service: &AdminService, name: &str, args: Args) -> Result<String> {
            match name {
                $(stringify!($name) => {
                    let reply = typed::$name(service, args.parse()?).await?;
                    Ok(serde_json::to_string(&reply)?)
                })*
                other => Err(Error::NotFound(format!("no operation {other:?}"))),
            }
        }

        /// Shows every operation with its request and reply types to `visitor`, in table
        /// order: how the generated artefacts (schemas, TypeScript) reach the declared types.
        pub fn visit(visitor: &mut impl crate::schema::OperationVisitor) {
            let mut rows = OPERATIONS.iter();
            $(visitor.operation::<$req, $reply>(rows.next().expect("one row per operation"));)*
        }

        /// The typed form of each operation, for Rust callers and the parity tests.
        pub mod typed {
            use super::*;
            $(
                #[doc = $doc]
                pub async fn $name(service: &AdminService, request: $req) -> Result<$reply> {
                    let $r = request;
                    if Writes::$writes == Writes::Yes {
                        service.ensure_writable(stringify!($name))?;
                    }
                    let $svc = service;
                    Ok($body)
                }
            )*
        }
    };
}

operations! {
    health: Get "/health", NoArgs => HealthReport, No,
        "Connection state, latency and server facts",
        |s, _r| s.health().await;
    about: Get "/about", NoArgs => About, No,
        "This build's version and the git commit it was built from",
        |_s, _r| About::current();
    info: Get "/info", InfoQuery => InfoReply, No,
        "INFO parsed by section",
        |s, r| s.server().info(r).await?;
    tree: Get "/tree", TreeQuery => TreeLevel, No,
        "One level of the namespace tree with key counts (partial while scanning)",
        |s, r| s.tree().level(r).await?;
    keys: Get "/keys", KeysQuery => KeyPage, No,
        "A SCAN page over every master",
        |s, r| s.browser().keys(r).await?;
    keys_meta: Post "/keys/meta", KeysMetaRequest => Vec<KeyMeta>, No,
        "TYPE, TTL, encoding, size and memory of up to 1000 keys",
        |s, r| s.browser().keys_meta(r).await?;
    key: Get "/key", KeyQuery => KeyValue, No,
        "A key's metadata and one page of its value",
        |s, r| s.browser().key(r).await?;
    key_set: Put "/key", KeyEdit => KeyValue, Yes,
        "Edit a key (set, hset, lpush, zadd, xadd, ...)",
        |s, r| s.browser().key_set(r).await?;
    key_delete: Delete "/key", KeyRef => Deleted, Yes,
        "Delete one key (UNLINK)",
        |s, r| s.browser().key_delete(r).await?;
    key_ttl: Post "/key/ttl", KeyTtl => TtlReply, Yes,
        "Set (PEXPIRE) or remove (PERSIST) a TTL",
        |s, r| s.browser().key_ttl(r).await?;
    key_rename: Post "/key/rename", KeyRename => Renamed, Yes,
        "Rename a key (RENAMENX unless overwrite)",
        |s, r| s.browser().key_rename(r).await?;
    key_create: Post "/key/create", KeyCreate => KeyValue, Yes,
        "Create a key of any type (JSON with RedisJSON) with a TTL; 409 if it exists unless overwrite",
        |s, r| s.browser().key_create(r).await?;
    decode: Post "/decode", DecodeRequest => Decoded, No,
        "Show bytes as text, JSON, hex, base64, MessagePack, decompressed, protobuf, PHP, Java, pickle or the codec",
        |_s, r| crate::views::decode_request(&r)?;
    databases: Get "/databases", NoArgs => Databases, No,
        "Databases with key counts (INFO keyspace), the current one, modules, tree separators",
        |s, _r| { let sep = s.profiles().active_separator().await; s.browser().databases(sep).await? };
    select_db: Post "/databases/select", SelectDb => Databases, No,
        "Switch this session's connection to another database",
        |s, r| s.select_db(r.db).await?;
    invalidate: Post "/invalidate", InvalidateRequest => InvalidateReply, PerCall,
        "Dry run (count, sample) or a confirmed deletion job by pattern or preset",
        |s, r| s.jobs().invalidate(r).await?;
    jobs: Get "/jobs", NoArgs => Vec<Job>, No,
        "Every remembered job, newest first",
        |s, _r| s.jobs().list();
    job: Get "/jobs/{id}", JobId => Job, No,
        "A job's progress or final report",
        |s, r| s.jobs().get(&r.id)?;
    job_cancel: Delete "/jobs/{id}", JobId => Job, No,
        "Cancel a running job",
        |s, r| s.jobs().cancel(&r.id)?;
    streams: Get "/streams", StreamsQuery => StreamsReply, No,
        "Stream keys, or one stream's XINFO",
        |s, r| s.streams().list(&r).await?;
    stream_entries: Get "/stream/entries", EntriesQuery => EntriesPage, No,
        "An XRANGE page",
        |s, r| s.streams().entries(&r).await?;
    stream_pending: Get "/stream/pending", PendingQuery => Vec<PendingEntry>, No,
        "Pending entries of a group (paged, by consumer, by idle time)",
        |s, r| s.streams().pending(&r).await?;
    stream_add: Post "/stream/add", StreamAdd => StreamAdded, Yes,
        "XADD one entry",
        |s, r| s.streams().add(&r).await?;
    stream_delete: Post "/stream/delete", StreamDelete => StreamRemoved, Yes,
        "XDEL entries (confirm)",
        |s, r| s.streams().delete(&r).await?;
    stream_trim: Post "/stream/trim", StreamTrim => StreamRemoved, Yes,
        "XTRIM MAXLEN or MINID, exact or ~ (confirm)",
        |s, r| s.streams().trim(&r).await?;
    stream_group: Post "/stream/group", StreamGroup => GroupChanged, Yes,
        "XGROUP CREATE, DESTROY, SETID, CREATECONSUMER or DELCONSUMER (confirm when it loses pending entries)",
        |s, r| s.streams().group(&r).await?;
    stream_ack: Post "/stream/ack", StreamAck => Acked, Yes,
        "XACK pending entries",
        |s, r| s.streams().ack(&r).await?;
    stream_claim: Post "/stream/claim", StreamClaim => Claimed, Yes,
        "XCLAIM pending entries for a consumer, or XAUTOCLAIM without ids",
        |s, r| s.streams().claim(&r).await?;
    stream_tail: Post "/stream/tail", TailRequest => TailStarted, No,
        "Start a live tail (entries arrive as events)",
        |s, r| s.streams().tail(&r).await?;
    stream_tail_stop: Delete "/stream/tail/{tail_id}", TailId => Empty, No,
        "Stop a live tail",
        |s, r| { s.streams().tail_stop(r.tail_id).await?; Empty {} };
    monitor: Post "/monitor", MonitorRequest => MonitorStats, No,
        "Monitor channels and patterns (replaces the set)",
        |s, r| s.channels().monitor(r).await?;
    monitor_stats: Get "/monitor", RecentQuery => MonitorStats, No,
        "Per-channel counts, rates and recent messages",
        |s, r| s.channels().monitor_stats(r.recent)?;
    monitor_stop: Delete "/monitor", NoArgs => Empty, No,
        "Stop monitoring",
        |s, _r| { s.channels().monitor_stop().await; Empty {} };
    pubsub_counts: Get "/pubsub", PubsubQuery => PubsubCounts, No,
        "PUBSUB CHANNELS with NUMSUB, NUMPAT, and SHARDCHANNELS with SHARDNUMSUB, of every master",
        |s, r| s.channels().counts(&r).await?;
    publish: Post "/publish", PublishRequest => PublishReply, Yes,
        "Publish a message",
        |s, r| s.channels().publish(r).await?;
    metrics: Get "/metrics", NodeMetricsQuery => MetricsReply, No,
        "Sampled metrics history and alerts, of the whole deployment or one Cluster master",
        |s, r| s.metrics().history(&r)?;
    alert_thresholds: Get "/alerts/thresholds", NoArgs => AlertThresholds, No,
        "The dashboard's alert thresholds in force, the defaults, and the profile they are saved with",
        |s, _r| s.profiles().alert_thresholds();
    alert_thresholds_set: Put "/alerts/thresholds", Thresholds => AlertThresholds, No,
        "Change the alert thresholds now and save them with the connected profile",
        |s, r| s.profiles().set_alert_thresholds(r).await?;
    services: Get "/services", NoArgs => ServicesReply, No,
        "Library clients reporting telemetry: hit rates, breakers, limits, locks, lag, liveness",
        |s, _r| s.services().list().await?;
    findings: Get "/findings", FindingsQuery => FindingsReply, No,
        "Hygiene findings: a sampled report, or a full run as a job",
        |s, r| s.findings().run(&r).await?;
    findings_job: Get "/findings/jobs/{id}", JobId => FindingsJob, No,
        "A findings job's progress and report",
        |s, r| s.findings().job(&r.id)?;
    findings_job_cancel: Delete "/findings/jobs/{id}", JobId => FindingsJob, No,
        "Stop a findings job (keeps what it found)",
        |s, r| s.findings().cancel(&r.id)?;
    memory_analyze: Post "/memory", MemoryRequest => MemoryJob, No,
        "Start a memory analysis job (sample or full) over every master",
        |s, r| s.memory().analyze(r).await?;
    memory_jobs: Get "/memory/jobs", NoArgs => Vec<MemoryJob>, No,
        "Memory analysis jobs, newest first",
        |s, _r| s.memory().jobs();
    memory_job: Get "/memory/jobs/{id}", JobId => MemoryJob, No,
        "A memory analysis job's progress",
        |s, r| s.memory().job(&r.id)?;
    memory_job_cancel: Delete "/memory/jobs/{id}", JobId => MemoryJob, No,
        "Stop a memory analysis (keeps a partial report)",
        |s, r| s.memory().cancel(&r.id)?;
    memory_report: Get "/memory/jobs/{id}/report", JobId => MemoryReport, No,
        "A finished memory analysis: namespaces, types, encodings, top keys, TTL spread",
        |s, r| s.memory().report(&r.id)?;
    memory_save: Post "/memory/saved", MemorySave => SavedRun, No,
        "Save a memory analysis report under a name",
        |s, r| s.memory().save(r).await?;
    memory_saved: Get "/memory/saved", NoArgs => Vec<SavedRun>, No,
        "Saved memory analyses, newest first",
        |s, _r| s.memory().saved().await?;
    memory_saved_report: Get "/memory/saved/{id}", SavedId => MemoryReport, No,
        "A saved memory analysis's report",
        |s, r| s.memory().saved_report(&r.id).await?;
    memory_saved_delete: Delete "/memory/saved/{id}", SavedId => Empty, No,
        "Delete a saved memory analysis",
        |s, r| { s.memory().saved_delete(&r.id).await?; Empty {} };
    memory_compare: Get "/memory/compare", CompareQuery => MemoryDiff, No,
        "What grew between two saved memory analyses",
        |s, r| s.memory().compare(&r).await?;
    export: Post "/export", ExportRequest => TransferJob, No,
        "Export keys by pattern, prefix or selection (dump, commands, jsonl, csv) as a job",
        |s, r| s.transfer().export(r).await?;
    stream_export: Post "/stream/export", StreamExport => TransferJob, No,
        "Export one stream's entries between two IDs or times (XRANGE pages) to JSON lines or CSV in the export directory, as a job",
        |s, r| s.transfer().export_stream(r).await?;
    import: Post "/import", ImportRequest => TransferJob, PerCall,
        "Import a dump or command file with a conflict policy; a dry run writes nothing",
        |s, r| s.transfer().import(r).await?;
    transfer_jobs: Get "/transfer/jobs", NoArgs => Vec<TransferJob>, No,
        "Export and import jobs, newest first",
        |s, _r| s.transfer().jobs();
    transfer_job: Get "/transfer/jobs/{id}", JobId => TransferJob, No,
        "An export or import job's progress and outcome",
        |s, r| s.transfer().job(&r.id)?;
    transfer_job_cancel: Delete "/transfer/jobs/{id}", JobId => TransferJob, No,
        "Stop an export (its partial file is removed) or an import",
        |s, r| s.transfer().cancel(&r.id)?;
    transfer_files: Get "/transfer/files", NoArgs => TransferFiles, No,
        "The export directory and its files",
        |s, _r| s.transfer().files().await?;
    transfer_file_read: Get "/transfer/files/{name}", FileRead => FilePart, No,
        "One part (up to 4 MiB) of a file of the export directory, for a download",
        |s, r| s.transfer().read_file(r).await?;
    transfer_file_write: Post "/transfer/files/{name}", FileWrite => FileWritten, No,
        "One part (up to 1 MiB) of an upload into the export directory; the last part lists it",
        |s, r| s.transfer().write_file(r).await?;
    hotkeys: Post "/hotkeys", HotkeysRequest => HotkeysJob, No,
        "Hot keys: OBJECT FREQ over a scan (LFU policy) or a confirmed, time-boxed MONITOR sample",
        |s, r| s.hotkeys().start(r).await?;
    hotkeys_jobs: Get "/hotkeys/jobs", NoArgs => Vec<HotkeysJob>, No,
        "Hot-keys jobs, newest first",
        |s, _r| s.hotkeys().jobs();
    hotkeys_job: Get "/hotkeys/jobs/{id}", JobId => HotkeysJob, No,
        "A hot-keys job's progress and outcome",
        |s, r| s.hotkeys().job(&r.id)?;
    hotkeys_job_cancel: Delete "/hotkeys/jobs/{id}", JobId => HotkeysJob, No,
        "Stop a hot-keys job (a MONITOR sample keeps what it counted)",
        |s, r| s.hotkeys().cancel(&r.id)?;
    command_monitor_start: Post "/command-monitor", MonitorStart => MonitorView, No,
        "Start a confirmed, time-boxed MONITOR session on every master (lines arrive as events); refused read-only",
        |s, r| s.command_monitor().start(r).await?;
    command_monitor: Get "/command-monitor", MonitorFilter => MonitorView, No,
        "The MONITOR session's state and its newest buffered lines matching a filter",
        |s, r| s.command_monitor().view(&r);
    command_monitor_stop: Delete "/command-monitor", NoArgs => MonitorView, No,
        "Stop the MONITOR session (its lines stay readable)",
        |s, _r| s.command_monitor().stop().await;
    series: Get "/series", SeriesQuery => SeriesReply, No,
        "Newest points and stats of a time series key, or bars of an OHLCV key",
        |s, r| s.series().read(&r).await?;
    latency: Get "/latency", NoArgs => LatencyReply, No,
        "LATENCY LATEST with each event's HISTORY, and LATENCY DOCTOR, of every master",
        |s, _r| s.latency().await?;
    slowlog: Get "/slowlog", SlowlogQuery => Vec<SlowlogEntry>, No,
        "Slowlog entries of every master",
        |s, r| s.server().slowlog(r).await?;
    slowlog_reset: Delete "/slowlog", Confirm => Empty, Yes,
        "Reset the slowlog (confirm=true)",
        |s, r| s.server().slowlog_reset(r).await?;
    clients: Get "/clients", NoArgs => Vec<ClientInfo>, No,
        "CLIENT LIST, parsed",
        |s, _r| s.server().clients().await?;
    client_kill: Post "/clients/kill", ClientKill => Killed, Yes,
        "Kill a client by id (confirm)",
        |s, r| s.server().client_kill(r).await?;
    config_get: Get "/config", ConfigQuery => std::collections::BTreeMap<String, String>, No,
        "CONFIG GET by pattern, secrets masked",
        |s, r| s.server().config_get(r).await?;
    server_action: Post "/server", ServerAction => ActionReply, Yes,
        "BGSAVE or BGREWRITEAOF (confirm)",
        |s, r| s.server().action(r).await?;
    console: Post "/console", ConsoleRequest => ConsoleReply, PerCall,
        "Run one command: screened, dangerous ones need confirm, read-only refuses writes",
        |s, r| s.console().run(r).await?;
    modules: Get "/modules", NoArgs => ServerModules, No,
        "Server product (Redis or Valkey) and version from INFO, and the loaded modules",
        |s, _r| s.modules().detect().await?;
    json_get: Get "/json", JsonQuery => JsonNode, No,
        "One node of a RedisJSON document by path: whole when small, else a page of its children",
        |s, r| s.json().get(r).await?;
    json_edit: Post "/json", JsonEdit => JsonEdited, Yes,
        "Edit a JSON document by path (set, del, arrappend, numincrby); key_create makes new ones",
        |s, r| s.json().edit(r).await?;
    search_indexes: Get "/search/indexes", NoArgs => Vec<SearchIndex>, No,
        "RediSearch indexes with schema, documents, memory and indexing progress",
        |s, _r| s.search().indexes().await?;
    search_query: Post "/search/query", SearchQuery => SearchReply, No,
        "One page of FT.SEARCH or FT.AGGREGATE results, optionally highlighted or profiled",
        |s, r| s.search().query(r).await?;
    search_create: Post "/search/index", SearchCreate => SearchIndex, Yes,
        "Create a search index (confirm)",
        |s, r| s.search().create(r).await?;
    search_drop: Delete "/search/index", SearchDrop => SearchDropped, Yes,
        "Drop a search index, optionally with its documents (confirm)",
        |s, r| s.search().drop_index(r).await?;
    prob_info: Get "/prob", ProbQuery => ProbInfo, No,
        "A Bloom, Cuckoo, Count-Min or Top-K key's INFO (and Top-K's list)",
        |s, r| s.probabilistic().info(r).await?;
    prob_op: Post "/prob", ProbRequest => ProbReply, PerCall,
        "Check items against a probabilistic key, or add them (a write)",
        |s, r| s.probabilistic().op(r).await?;
    console_docs: Get "/console/docs", NoArgs => CommandDocs, No,
        "Every command and subcommand with summary and syntax (COMMAND DOCS), for completion",
        |s, _r| s.console_docs().await?;
    profiles: Get "/profiles", NoArgs => Vec<Profile>, No,
        "Saved connection profiles (never a password)",
        |s, _r| s.profiles().list().await?;
    profile_save: Put "/profiles", ProfileInput => Profile, No,
        "Save a profile; its password goes to the OS keyring",
        |s, r| s.profiles().save(r).await?;
    profile_delete: Delete "/profiles", ProfileName => Empty, No,
        "Delete a profile and its stored password",
        |s, r| { s.profiles().delete(&r.name).await?; Empty {} };
    profile_test: Post "/profiles/test", ProfileInput => ProfileTest, No,
        "Try a profile's connection without saving it",
        |s, r| s.profiles().test(r).await?;
    profile_import: Post "/profiles/import", ProfileImport => ImportReport, No,
        "Import RedisInsight or Another Redis Desktop Manager connection exports as profiles",
        |s, r| s.profiles().import(r).await?;
    connect: Post "/connect", ConnectRequest => HealthReport, No,
        "Switch this session to a saved profile",
        |s, r| s.connect(&r.profile).await?;
}
