//! Parity of the two surfaces: every operation of the table, called with the same arguments
//! through the desktop's invoke handler (Tauri's mock runtime with the app's own context, so the
//! call passes the app's ACL and capability exactly as the window's does) and through web mode's
//! HTTP API (`redscope serve` in-process), gives the same JSON answer or the same `{code, message}`
//! error. Both surfaces serve one admin session on one private redis-server, so they see the same
//! state; an operation that writes is prepared the same way before each surface's call.
//!
//! A new operation without a case here fails `every_operation_has_a_parity_case`.
//!
//! The server is the matrix's (`REDSCOPE_SERVER`): Debian's Redis 7.0 without modules, where
//! the module operations (JSON, search, probabilistic) must fail alike with the same clear
//! error; or Valkey 8.1 started with RedisJSON, RediSearch and RedisBloom, where they answer.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use redscope_admin::bytes::Bytes;
use redscope_admin::ops::{self, Args, OPERATIONS};
use redscope_admin::{AdminOptions, AdminService};
use redscope_cli::web::{ServeOptions, WebServer};
use redscope_testing::{sync_query, RedisServer, ServerKind};
use serde_json::{json, Value};
use tauri::test::{get_ipc_response, mock_builder, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::{Manager, WebviewWindow, WebviewWindowBuilder};

const TOKEN: &str = "parity-token-0123456789abcdef";

/// What a case expects both surfaces to answer.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// A reply.
    Ok,
    /// The error body with this code.
    Err(&'static str),
}

/// A step around each surface's call, so both calls meet the same state.
enum Prep {
    /// A Redis command on a fresh connection.
    Redis(&'static [&'static str]),
    /// An operation called on the service directly (arguments may name variables).
    Call(&'static str, Value),
    /// Polls an operation (on the service directly) until its reply satisfies the check.
    Until(&'static str, Value, fn(&Value) -> bool),
    /// Opens an idle client connection and keeps its id as `$client_id`.
    IdleClient,
}

/// One call of one operation on both surfaces.
struct Case {
    op: &'static str,
    /// The arguments; a string `"$name"` is the surface's own variable `name`.
    args: Value,
    expect: Expect,
    prep: Vec<Prep>,
    /// Done after each surface's call (with the variables it kept), e.g. wait for its job.
    then: Vec<Prep>,
    /// Reply fields kept as variables of the surface (`name`, JSON pointer).
    keep: &'static [(&'static str, &'static str)],
    /// Reply fields that legitimately differ between two calls, blanked before comparing
    /// (JSON pointers; `*` is every element or member).
    varies: &'static [&'static str],
}

fn case(op: &'static str, args: Value) -> Case {
    Case {
        op,
        args,
        expect: Expect::Ok,
        prep: Vec::new(),
        then: Vec::new(),
        keep: &[],
        varies: &[],
    }
}

impl Case {
    fn fails(mut self, code: &'static str) -> Case {
        self.expect = Expect::Err(code);
        self
    }
    fn prep(mut self, p: Prep) -> Case {
        self.prep.push(p);
        self
    }
    fn then(mut self, p: Prep) -> Case {
        self.then.push(p);
        self
    }
    fn keep(mut self, keep: &'static [(&'static str, &'static str)]) -> Case {
        self.keep = keep;
        self
    }
    fn varies(mut self, varies: &'static [&'static str]) -> Case {
        self.varies = varies;
        self
    }
}

/// Timing figures of a health report: a PING round trip, the server's clock and memory, and
/// the connected-client count (the fixture's, the monitor's and the tails' connections come and go).
const HEALTH_VARIES: &[&str] = &[
    "/latency_ms",
    "/uptime_s",
    "/used_memory",
    "/connected_clients",
];
/// A job's identity and a progress snapshot of a job that runs on its own.
const JOB_SNAPSHOT_VARIES: &[&str] = &[
    "/id",
    "/started_ms",
    "/finished_ms",
    "/state",
    "/scanned",
    "/matched",
    "/deleted",
    "/examined",
    "/report",
];
/// A memory analysis job as started (its own id and time; the progress it made by then).
const MEMORY_JOB_VARIES: &[&str] = &[
    "/id",
    "/started_ms",
    "/finished_ms",
    "/state",
    "/measured",
    "/scanned",
    "/has_report",
];
/// A memory report's clock and the server's memory, which move between two runs.
const MEMORY_REPORT_VARIES: &[&str] = &["/started_ms", "/finished_ms", "/used_memory"];
/// An export or import job as started (its own id and time; the progress it made by then).
const TRANSFER_JOB_VARIES: &[&str] = &[
    "/id",
    "/started_ms",
    "/finished_ms",
    "/state",
    "/keys",
    "/entries",
    "/done_bytes",
    "/conflicts",
    "/skipped",
    "/source_version",
];
/// A MONITOR sample: what it saw depends on the traffic while it ran.
/// What differs between two MONITOR sessions: their times, and the commands each saw.
const MONITOR_VIEW_VARIES: &[&str] = &[
    "/status/started_ms",
    "/status/ends_ms",
    "/status/seen",
    "/status/buffered",
    "/status/not_sent",
    "/matched",
    "/lines",
];

const HOT_JOB_VARIES: &[&str] = &[
    "/id",
    "/started_ms",
    "/finished_ms",
    "/state",
    "/elapsed_ms",
    "/commands",
    "/keys",
    "/by_command",
];
/// Each surface's own job: its id and when it ran.
const OWN_JOB_VARIES: &[&str] = &["/id", "/started_ms", "/finished_ms"];

fn state_is_done(v: &Value) -> bool {
    v["state"] == "done"
}

/// Every case, in the order they run: reads first, then writes, `connect` last.
/// True when the parity server runs the modules (the Valkey pass of the matrix).
fn with_modules() -> bool {
    ServerKind::from_env() == ServerKind::Valkey
}

/// The module operations: answered with the modules, the same clear error without.
fn module_cases(modules: bool) -> Vec<Case> {
    let ok_or = |c: Case, code: &'static str| if modules { c } else { c.fails(code) };
    vec![
        case("modules", json!({})),
        ok_or(
            case(
                "key_create",
                json!({"key": "parity:json", "type": "json", "value": "{\"a\": [1]}"}),
            )
            .prep(Prep::Redis(&["DEL", "parity:json"]))
            // MEMORY USAGE of a RedisJSON key counts the module's allocations, which vary.
            .varies(&["/memory"]),
            "invalid_input",
        ),
        ok_or(
            case(
                "json_edit",
                json!({"key": "parity:json", "op": "arrappend", "path": "$.a", "value": "2"}),
            )
            .prep(Prep::Redis(if modules {
                &["JSON.SET", "parity:json", "$", r#"{"a": [1]}"#]
            } else {
                &["DEL", "parity:json"]
            })),
            "invalid_input",
        ),
        ok_or(
            case("json_get", json!({"key": "parity:json", "path": "$.a"})),
            "invalid_input",
        ),
        ok_or(case("search_indexes", json!({})), "invalid_input"),
        ok_or(
            case("search_query", json!({"index": "parity-idx", "query": "*"})).varies(&["/took_ms"]),
            "invalid_input",
        ),
        case(
            "search_create",
            json!({"name": "parity-new", "on": "hash", "fields": [{"identifier": "f1", "attribute": "f1", "type": "TEXT", "sortable": false}]}),
        )
        .fails("confirmation_required"),
        case("search_drop", json!({"name": "parity-idx"})).fails(if modules {
            "confirmation_required"
        } else {
            "invalid_input"
        }),
        ok_or(case("prob_info", json!({"key": "parity:bf"})), "not_found"),
        ok_or(
            case("prob_op", json!({"key": "parity:bf", "op": "check", "items": ["x", "y"]})),
            "not_found",
        ),
    ]
}

fn cases(redis_url: &str) -> Vec<Case> {
    let mut all = core_cases(redis_url);
    all.extend(module_cases(with_modules()));
    all
}

fn core_cases(redis_url: &str) -> Vec<Case> {
    let b64 = |raw: &str| Bytes::new(raw.as_bytes()).b64;
    let profile = |name: &str| json!({"name": name, "url": redis_url});
    vec![
        case("health", json!({})).varies(HEALTH_VARIES),
        case("about", json!({})),
        case("info", json!({"section": "keyspace"})),
        case("config_get", json!({"pattern": "maxmemory*"})),
        case("tree", json!({})),
        case("tree", json!({"prefix": "parity:", "separator": ":"})),
        case("keys", json!({"match": "parity:*", "count": 1000})),
        case("keys", json!({"type": "hash", "count": 1000})),
        case("tree", json!({"separator": ""})).fails("invalid_input"),
        case(
            "keys_meta",
            json!({"keys_b64": [b64("parity:str"), b64("parity:hash"), b64("parity:none")]}),
        ),
        case("key", json!({"key": "parity:hash", "count": 10})),
        case("key", json!({"key_b64": b64("parity:str"), "max_bytes": 3})),
        case("key", json!({})).fails("invalid_input"),
        case("streams", json!({})),
        case("streams", json!({"key": "parity:stream"}))
            .varies(&["/groups/*/consumer_list/*/idle_ms"]),
        case(
            "stream_entries",
            json!({"key": "parity:stream", "count": 10, "rev": true}),
        ),
        // Idle time of a pending entry grows between the calls.
        case(
            "stream_pending",
            json!({"key": "parity:stream", "group": "g"}),
        )
        .varies(&["/*/idle_ms"]),
        case(
            "stream_pending",
            json!({"key": "parity:stream", "group": "nope"}),
        )
        .fails("not_found"),
        // Each surface starts its own tail, numbered in turn.
        case("stream_tail", json!({"key": "parity:stream", "from": "$"}))
            .keep(&[("tail_id", "/tail_id")])
            .varies(&["/tail_id"]),
        // The id exactly as `stream_tail` answered it.
        case("stream_tail_stop", json!({"tail_id": "$tail_id"})),
        case("stream_tail_stop", json!({"tail_id": 999_999})).fails("not_found"),
        case("series", json!({"key": "ts:parity", "count": 10})),
        case("series", json!({"key": "ts:missing"})).fails("not_found"),
        case("services", json!({})),
        case("findings", json!({})),
        case("findings", json!({"mode": "full"}))
            .keep(&[("findings_job", "/id")])
            .then(Prep::Until(
                "findings_job",
                json!({"id": "$findings_job"}),
                state_is_done,
            ))
            .varies(JOB_SNAPSHOT_VARIES),
        case("findings_job", json!({"id": "$findings_job"})).varies(OWN_JOB_VARIES),
        case("findings_job_cancel", json!({"id": "$findings_job"})).varies(OWN_JOB_VARIES),
        case("findings_job", json!({"id": "nope"})).fails("not_found"),
        // Memory analysis: each surface runs, reads, saves and compares its own job.
        case("memory_analyze", json!({"mode": "full"}))
            .keep(&[("memory_job", "/id")])
            .then(Prep::Until(
                "memory_job",
                json!({"id": "$memory_job"}),
                state_is_done,
            ))
            .varies(MEMORY_JOB_VARIES),
        case("memory_job", json!({"id": "$memory_job"})).varies(OWN_JOB_VARIES),
        case("memory_jobs", json!({})).varies(&["/*/id", "/*/started_ms", "/*/finished_ms"]),
        case("memory_report", json!({"id": "$memory_job"})).varies(MEMORY_REPORT_VARIES),
        case("memory_job_cancel", json!({"id": "$memory_job"})).varies(OWN_JOB_VARIES),
        case("memory_job", json!({"id": "nope"})).fails("not_found"),
        case("memory_analyze", json!({"mode": "nope"})).fails("invalid_input"),
        case(
            "memory_save",
            json!({"id": "$memory_job", "name": "parity"}),
        )
        .keep(&[("saved_run", "/id")])
        .varies(&["/id", "/saved_ms"]),
        case("memory_saved", json!({})).varies(&["/*/id", "/*/saved_ms"]),
        case("memory_saved_report", json!({"id": "$saved_run"})).varies(MEMORY_REPORT_VARIES),
        case(
            "memory_compare",
            json!({"a": "$saved_run", "b": "$saved_run"}),
        )
        .varies(&["/a/id", "/a/saved_ms", "/b/id", "/b/saved_ms"]),
        case("memory_saved_delete", json!({"id": "$saved_run"})),
        case("memory_saved_report", json!({"id": "nope"})).fails("not_found"),
        // Export and import: each surface exports the parity keys (same file, overwritten),
        // then dry-runs an import of it (nothing is written, so both see the same state).
        case(
            "export",
            json!({"pattern": "parity:*", "format": "dump", "file": "parity.rsdump", "overwrite": true}),
        )
        .keep(&[("export_job", "/id")])
        .then(Prep::Until(
            "transfer_job",
            json!({"id": "$export_job"}),
            state_is_done,
        ))
        .varies(TRANSFER_JOB_VARIES),
        case("transfer_job", json!({"id": "$export_job"})).varies(OWN_JOB_VARIES),
        // A stream range to JSON lines and to CSV (each surface overwrites the same file).
        case(
            "stream_export",
            json!({"key": "parity:stream", "start": "1", "end": "+", "format": "jsonl", "file": "parity-stream.jsonl", "overwrite": true}),
        )
        .keep(&[("stream_job", "/id")])
        .then(Prep::Until(
            "transfer_job",
            json!({"id": "$stream_job"}),
            state_is_done,
        ))
        .varies(TRANSFER_JOB_VARIES),
        case("transfer_job", json!({"id": "$stream_job"})).varies(OWN_JOB_VARIES),
        case(
            "stream_export",
            json!({"key": "parity:stream", "format": "csv", "count": 1, "file": "parity-stream.csv", "overwrite": true}),
        )
        .keep(&[("stream_csv_job", "/id")])
        .then(Prep::Until(
            "transfer_job",
            json!({"id": "$stream_csv_job"}),
            state_is_done,
        ))
        .varies(TRANSFER_JOB_VARIES),
        case("transfer_job", json!({"id": "$stream_csv_job"})).varies(OWN_JOB_VARIES),
        case("stream_export", json!({"key": "parity:missing"})).fails("not_found"),
        case("stream_export", json!({"key": "parity:hash"})).fails("invalid_input"),
        case("stream_export", json!({"key": "parity:stream", "end": "soon"})).fails("invalid_input"),
        case(
            "import",
            json!({"file": "parity.rsdump", "policy": "skip", "dry_run": true}),
        )
        .keep(&[("import_job", "/id")])
        .then(Prep::Until(
            "transfer_job",
            json!({"id": "$import_job"}),
            state_is_done,
        ))
        .varies(TRANSFER_JOB_VARIES),
        case("transfer_job", json!({"id": "$import_job"})).varies(OWN_JOB_VARIES),
        case("transfer_job_cancel", json!({"id": "$import_job"})).varies(OWN_JOB_VARIES),
        case("transfer_jobs", json!({})).varies(&["/*/id", "/*/started_ms", "/*/finished_ms"]),
        case("transfer_files", json!({})).varies(&["/files/*/modified_ms"]),
        // An upload in one part, then a part of it read back.
        case(
            "transfer_file_write",
            json!({"name": "parity-upload.txt", "offset": 0, "b64": "aGVsbG8gcGFyaXR5", "last": true, "overwrite": true}),
        ),
        case("transfer_file_read", json!({"name": "parity-upload.txt", "offset": 6, "len": 3})),
        case("transfer_file_read", json!({"name": "missing.txt"})).fails("not_found"),
        case("transfer_file_write", json!({"name": "x.upload", "offset": 0, "b64": ""})).fails("invalid_input"),
        case("transfer_file_write", json!({"name": "never-started.txt", "offset": 5, "b64": "eA"})).fails("invalid_input"),
        case("transfer_job", json!({"id": "nope"})).fails("not_found"),
        case("export", json!({"format": "xml"})).fails("invalid_input"),
        case("import", json!({"file": "../profiles.json", "dry_run": true})).fails("invalid_input"),
        case("import", json!({"file": "missing.rsdump", "dry_run": true})).fails("not_found"),
        // Hot keys: the fixture has no LFU policy, so OBJECT FREQ is refused and MONITOR needs a
        // confirmation; a confirmed one-second sample runs on each surface.
        case("hotkeys", json!({})).fails("confirmation_required"),
        case("hotkeys", json!({"method": "lfu"})).fails("invalid_input"),
        case("hotkeys", json!({"method": "monitor", "seconds": 1, "confirm": true}))
            .keep(&[("hot_job", "/id")])
            .then(Prep::Until(
                "hotkeys_job",
                json!({"id": "$hot_job"}),
                state_is_done,
            ))
            .varies(HOT_JOB_VARIES),
        case("hotkeys_job", json!({"id": "$hot_job"})).varies(HOT_JOB_VARIES),
        case("hotkeys_job_cancel", json!({"id": "$hot_job"})).varies(HOT_JOB_VARIES),
        case("hotkeys_jobs", json!({})).varies(&["/*/id", "/*/started_ms", "/*/finished_ms", "/*/elapsed_ms", "/*/commands", "/*/keys", "/*/by_command"]),
        case("hotkeys_job", json!({"id": "nope"})).fails("not_found"),
        // The server's pub/sub counts include the other surface's channel monitor, if running.
        case("pubsub_counts", json!({"pattern": "parity-none:*"})),
        // Alert thresholds: no profile is connected in the parity session, so a set holds for
        // the session; each surface sets the same values, then the defaults again.
        case("alert_thresholds", json!({})),
        case("alert_thresholds_set", json!({"hit_rate_warning_pct": 40, "memory_warning_pct": 70, "memory_critical_pct": 90, "clients_warning": 10})),
        case("alert_thresholds_set", json!({"hit_rate_warning_pct": 50, "memory_warning_pct": 80, "memory_critical_pct": 95, "clients_warning": 50})),
        case("alert_thresholds_set", json!({"hit_rate_warning_pct": 50, "memory_warning_pct": 96, "memory_critical_pct": 95, "clients_warning": 50})).fails("invalid_input"),
        // The MONITOR view: refused until confirmed, time-boxed; a one-second session runs on
        // each surface and ends by itself, its lines (our own commands meanwhile) varying.
        case("command_monitor_start", json!({})).fails("confirmation_required"),
        case("command_monitor_start", json!({"confirm": true, "seconds": 301})).fails("invalid_input"),
        case("command_monitor_start", json!({"confirm": true, "seconds": 1}))
            .then(Prep::Until("command_monitor", json!({}), |v| {
                v["status"]["state"] == "finished"
            }))
            .varies(MONITOR_VIEW_VARIES),
        case("command_monitor", json!({"command": "ping", "limit": 5})).varies(MONITOR_VIEW_VARIES),
        case("command_monitor_stop", json!({})).varies(MONITOR_VIEW_VARIES),
        // The doctor's prose and the events follow whatever was slow on the server meanwhile.
        case("latency", json!({})).varies(&["/nodes/*/events", "/nodes/*/doctor"]),
        // The sampler ticks each second: its samples and their alerts are a moving window.
        case("metrics", json!({"range_s": 60, "points": 10})).varies(&["/samples", "/alerts"]),
        // A node that is not a sampled master is an error on both surfaces, never the total.
        case("metrics", json!({"node": "127.0.0.1:1"})).fails("not_found"),
        case("metrics", json!({"range_s": 0})).fails("invalid_input"),
        case("slowlog_reset", json!({"confirm": true})),
        case("slowlog_reset", json!({})).fails("confirmation_required"),
        case("slowlog", json!({"count": 10})).varies(&["/*/at_s", "/*/duration_us"]),
        // Ages, idle times, last commands and buffer sizes change with every command.
        case("clients", json!({})).varies(&["/*/age_s", "/*/idle_s", "/*/cmd", "/*/fields"]),
        case("console", json!({"args": ["HGET", "parity:hash", "f1"]})).varies(&["/elapsed_ms"]),
        case("console", json!({"args": ["FLUSHALL"]})).fails("confirmation_required"),
        case("console_docs", json!({})),
        case(
            "key_set",
            json!({"key": "parity:set", "op": "set", "value": "v1"}),
        ),
        case(
            "key_set",
            json!({"key": "parity:set-hash", "op": "hset", "field": "f", "value": "v"}),
        ),
        case("key_set", json!({"key": "parity:set", "op": "nope"})).fails("invalid_input"),
        case("key_ttl", json!({"key": "parity:set", "ttl_ms": null})),
        case(
            "key_set",
            json!({"key": "parity:hr", "op": "hrename", "field": "a", "new_field": "b"}),
        )
        .prep(Prep::Redis(&["DEL", "parity:hr"]))
        .prep(Prep::Redis(&["HSET", "parity:hr", "a", "1"])),
        case(
            "key_set",
            json!({"key": "parity:lr", "op": "lrem", "value": "x", "count": 2}),
        )
        .prep(Prep::Redis(&["DEL", "parity:lr"]))
        .prep(Prep::Redis(&["RPUSH", "parity:lr", "x", "y", "x", "x"])),
        case(
            "key_create",
            json!({"key": "parity:new", "type": "zset", "ttl_ms": 600_000,
                   "elements": [{"value": "m", "score": 1.5}]}),
        )
        .prep(Prep::Redis(&["DEL", "parity:new"]))
        // Valkey 8 embeds the expiry in the key's object, reallocating it when the TTL is set:
        // MEMORY USAGE of the same small sorted set was 80 bytes on one surface, 64 on the other.
        .varies(&["/ttl_ms", "/memory"]),
        case(
            "key_create",
            json!({"key": "parity:str", "type": "string", "value": "x"}),
        )
        .fails("confirmation_required"),
        case("databases", json!({})),
        case(
            "decode",
            json!({"value_b64": b64("{\"a\": [1, 2]}"), "view": "json"}),
        ),
        case("decode", json!({"value_b64": b64("x"), "view": "gzip"})).fails("invalid_input"),
        case(
            "stream_add",
            json!({"key": "parity:sx", "id": "5-1", "fields": [{"field": "f", "value": "v"}]}),
        )
        .prep(Prep::Redis(&["DEL", "parity:sx"]))
        .prep(Prep::Redis(&["XADD", "parity:sx", "1-1", "a", "1"])),
        case(
            "stream_add",
            json!({"key": "parity:sx", "id": "0-1", "fields": [{"field": "f", "value": "v"}]}),
        )
        .fails("invalid_input"),
        case(
            "stream_delete",
            json!({"key": "parity:sx", "ids": ["1-1"], "confirm": true}),
        )
        .prep(Prep::Redis(&["DEL", "parity:sx"]))
        .prep(Prep::Redis(&["XADD", "parity:sx", "1-1", "a", "1"]))
        .prep(Prep::Redis(&["XADD", "parity:sx", "2-1", "a", "2"])),
        case("stream_delete", json!({"key": "parity:sx", "ids": ["1-1"]}))
            .fails("confirmation_required"),
        case(
            "stream_trim",
            json!({"key": "parity:sx", "by": "maxlen", "threshold": "1", "confirm": true}),
        )
        .prep(Prep::Redis(&["DEL", "parity:sx"]))
        .prep(Prep::Redis(&["XADD", "parity:sx", "1-1", "a", "1"]))
        .prep(Prep::Redis(&["XADD", "parity:sx", "2-1", "a", "2"])),
        case(
            "stream_trim",
            json!({"key": "parity:sx", "by": "minid", "threshold": "2-0"}),
        )
        .fails("confirmation_required"),
        case(
            "stream_group",
            json!({"key": "parity:sx", "action": "create", "group": "pg", "id": "0"}),
        )
        .prep(Prep::Redis(&["DEL", "parity:sx"]))
        .prep(Prep::Redis(&["XADD", "parity:sx", "1-1", "a", "1"])),
        case(
            "stream_group",
            json!({"key": "parity:sx", "action": "create", "group": "pg"}),
        )
        .fails("invalid_input"),
        case(
            "stream_group",
            json!({"key": "parity:sx", "action": "destroy", "group": "pg"}),
        )
        .fails("confirmation_required"),
        case(
            "stream_ack",
            json!({"key": "parity:sx", "group": "pg", "ids": ["1-1"]}),
        )
        .prep(Prep::Redis(&["XGROUP", "SETID", "parity:sx", "pg", "0"]))
        .prep(Prep::Redis(&[
            "XREADGROUP",
            "GROUP",
            "pg",
            "c1",
            "STREAMS",
            "parity:sx",
            ">",
        ])),
        case(
            "stream_claim",
            json!({"key": "parity:sx", "group": "pg", "consumer": "c2", "ids": ["1-1"]}),
        )
        .prep(Prep::Redis(&["XGROUP", "SETID", "parity:sx", "pg", "0"]))
        .prep(Prep::Redis(&[
            "XREADGROUP",
            "GROUP",
            "pg",
            "c1",
            "STREAMS",
            "parity:sx",
            ">",
        ])),
        case(
            "stream_claim",
            json!({"key": "parity:sx", "group": "nope", "consumer": "c2"}),
        )
        .fails("not_found"),
        case("select_db", json!({"db": 0})),
        case("select_db", json!({"db": -1})).fails("invalid_input"),
        case(
            "key_rename",
            json!({"key": "parity:from", "new_key": "parity:to"}),
        )
        .prep(Prep::Redis(&["SET", "parity:from", "x"]))
        .prep(Prep::Redis(&["DEL", "parity:to"])),
        case("key_delete", json!({"key": "parity:gone"})).prep(Prep::Redis(&[
            "SET",
            "parity:gone",
            "x",
        ])),
        case("invalidate", json!({"pattern": "parity:inv:*"})),
        case(
            "invalidate",
            json!({"pattern": "parity:inv:*", "dry_run": false, "confirm": true}),
        )
        .prep(Prep::Redis(&[
            "MSET",
            "parity:inv:1",
            "a",
            "parity:inv:2",
            "b",
            "parity:inv:3",
            "c",
        ]))
        .keep(&[("job_id", "/id")])
        .then(Prep::Until("job", json!({"id": "$job_id"}), state_is_done))
        .varies(JOB_SNAPSHOT_VARIES),
        case(
            "invalidate",
            json!({"pattern": "parity:inv:*", "dry_run": false}),
        )
        .fails("confirmation_required"),
        case("job", json!({"id": "$job_id"})).varies(OWN_JOB_VARIES),
        case("jobs", json!({})),
        case("job_cancel", json!({"id": "$job_id"})).varies(OWN_JOB_VARIES),
        case("job", json!({"id": "nope"})).fails("not_found"),
        case(
            "monitor",
            json!({"channels": ["parity:chan"], "patterns": ["parity:p:*"]}),
        ),
        case(
            "publish",
            json!({"channel": "parity:chan", "message": "{\"n\": 1}"}),
        ),
        // Both surfaces' messages have arrived before either reads the counts; arrival times
        // and per-second rates move with the clock.
        case("monitor_stats", json!({"recent": 10}))
            .prep(Prep::Until("monitor_stats", json!({}), |v| v["total"] == 2))
            .varies(&["/recent/*/at_ms", "/channels/*/rate"]),
        case("monitor_stop", json!({})),
        case("monitor_stats", json!({})).fails("not_found"),
        case("client_kill", json!({"id": "$client_id", "confirm": true})).prep(Prep::IdleClient),
        case("client_kill", json!({"id": 1, "confirm": false})).fails("confirmation_required"),
        case("server_action", json!({"action": "bgsave"})).prep(Prep::Until(
            "info",
            json!({"section": "persistence"}),
            |v| v["sections"]["persistence"]["rdb_bgsave_in_progress"] == "0",
        )),
        case("server_action", json!({"action": "shutdown"})).fails("invalid_input"),
        case("profiles", json!({})),
        case("profile_save", profile("parity")),
        case("profile_test", profile("parity-test")).varies(&["/latency_ms"]),
        case("profile_import", json!({"text": "[\"not a connection\"]"})),
        case("profile_import", json!({"text": "not an export"})).fails("invalid_input"),
        case("profile_delete", json!({"name": "parity-del"}))
            .prep(Prep::Call("profile_save", profile("parity-del"))),
        case("profile_delete", json!({"name": "parity-missing"})).fails("not_found"),
        case("connect", json!({"profile": "parity"})).varies(HEALTH_VARIES),
        case("connect", json!({"profile": "parity-missing"})).fails("not_found"),
    ]
}

/// The two surfaces over one admin session.
struct Surfaces {
    redis: RedisServer,
    service: AdminService,
    /// The mock app (its managed state lives as long as it).
    app: tauri::App<MockRuntime>,
    window: WebviewWindow<MockRuntime>,
    http: reqwest::Client,
    base: String,
}

/// A surface's answer: the reply, or the error body.
type Answer = Result<Value, Value>;

impl Surfaces {
    fn start(redis: RedisServer) -> Surfaces {
        let service = AdminService::new(redis.config(), AdminOptions::default());
        let app = redscope_desktop::app(mock_builder(), service.clone(), false)
            .build(redscope_desktop::context())
            .expect("the app builds on the mock runtime");
        // The window of the app's configuration (label `main`, the one its capability names);
        // the mock runtime creates it here rather than on a run loop's start.
        let config = app.config().app.windows[0].clone();
        let window = WebviewWindowBuilder::from_config(&app, &config)
            .and_then(|w| w.build())
            .expect("the configured main window");
        let server = tauri::async_runtime::block_on(WebServer::bind(
            service.clone(),
            ServeOptions {
                bind: "127.0.0.1:0".parse().unwrap(),
                token: Some(TOKEN.into()),
                allow_remote: false,
                ..Default::default()
            },
        ))
        .expect("web mode binds");
        let base = format!("http://{}/api", server.local_addr().unwrap());
        tauri::async_runtime::spawn(server.run(std::future::pending()));
        Surfaces {
            redis,
            service,
            app,
            window,
            http: reqwest::Client::new(),
            base,
        }
    }

    /// `invoke(command, args)` from the main window, through the app's handler and ACL.
    fn desktop(&self, command: &str, args: &Value) -> Answer {
        invoke(&self.window, command, args)
    }
}

/// `invoke(command, args)` from `window` at the app's own origin.
fn invoke(window: &WebviewWindow<MockRuntime>, command: &str, args: &Value) -> Answer {
    let request = InvokeRequest {
        cmd: command.into(),
        callback: tauri::ipc::CallbackFn(0),
        error: tauri::ipc::CallbackFn(1),
        url: "tauri://localhost".parse().unwrap(),
        body: tauri::ipc::InvokeBody::Json(args.clone()),
        headers: Default::default(),
        invoke_key: INVOKE_KEY.to_string(),
    };
    get_ipc_response(window, request).map(|body| {
        body.deserialize::<Value>()
            .expect("the handler resolves with JSON")
    })
}

impl Surfaces {
    /// The operation's route as the table declares it: `{param}` segments from the arguments,
    /// the rest in the query string (GET, DELETE) or a JSON body (POST, PUT).
    fn web(&self, name: &str, args: &Value) -> Answer {
        let op = OPERATIONS
            .iter()
            .find(|op| op.name == name)
            .expect("an operation of the table");
        let mut rest = args.as_object().cloned().unwrap_or_default();
        let mut path = op.path.to_string();
        for param in op.path_params() {
            let value = rest.remove(param).unwrap_or(Value::Null);
            let text = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            path = path.replace(&format!("{{{param}}}"), &text);
        }
        let method = reqwest::Method::from_bytes(op.method.as_str().as_bytes()).unwrap();
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(TOKEN);
        request = if op.method.takes_query() {
            rest.retain(|_, v| !v.is_null());
            request.query(&rest)
        } else {
            request.json(&Value::Object(rest))
        };
        tauri::async_runtime::block_on(async move {
            let response = request.send().await.expect("web mode answers");
            let ok = response.status().is_success();
            let text = response.text().await.expect("a body");
            let body: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{name}: not JSON ({e}): {text}"));
            if ok {
                Ok(body)
            } else {
                Err(body)
            }
        })
    }

    /// Runs `step` for one surface, whose variables are `vars`.
    fn run(&self, step: &Prep, vars: &mut Vars, keep_alive: &mut Vec<TcpStream>) {
        match step {
            Prep::Redis(cmd) => {
                sync_query(&self.redis, cmd).unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
            }
            Prep::Call(op, args) => {
                self.call_direct(op, &vars.fill(args))
                    .unwrap_or_else(|e| panic!("{op}: {e}"));
            }
            Prep::Until(op, args, done) => {
                let args = vars.fill(args);
                let deadline = Instant::now() + Duration::from_secs(15);
                loop {
                    let reply = self.call_direct(op, &args);
                    if reply.as_ref().is_ok_and(done) {
                        break;
                    }
                    assert!(
                        Instant::now() < deadline,
                        "{op} {args} did not settle in 15 s: {reply:?}"
                    );
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            Prep::IdleClient => {
                let mut stream = TcpStream::connect(("127.0.0.1", self.redis.port())).unwrap();
                stream.write_all(b"CLIENT ID\r\n").unwrap();
                let mut line = String::new();
                BufReader::new(&stream).read_line(&mut line).unwrap();
                let id: u64 = line
                    .trim()
                    .strip_prefix(':')
                    .and_then(|n| n.parse().ok())
                    .unwrap_or_else(|| panic!("CLIENT ID answered {line:?}"));
                vars.0.insert("client_id".into(), json!(id));
                keep_alive.push(stream);
            }
        }
    }

    /// An operation on the service itself (for preparation, not compared).
    fn call_direct(&self, op: &str, args: &Value) -> Result<Value, String> {
        tauri::async_runtime::block_on(ops::call(&self.service, op, Args::Json(args.clone())))
            .map(|json| serde_json::from_str(&json).unwrap())
            .map_err(|e| e.to_string())
    }
}

/// One surface's variables (`$name` in arguments).
#[derive(Default)]
struct Vars(HashMap<String, Value>);

impl Vars {
    /// `args` with every `"$name"` string replaced by the variable.
    fn fill(&self, args: &Value) -> Value {
        match args {
            Value::String(s) if is_variable(s) => self
                .0
                .get(&s[1..])
                .cloned()
                .unwrap_or_else(|| panic!("no variable {s}: an earlier case must keep it")),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.fill(v)).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), self.fill(v))).collect())
            }
            other => other.clone(),
        }
    }
}

/// `$name` (a lone `$` is a stream id, not a variable).
fn is_variable(s: &str) -> bool {
    s.strip_prefix('$').is_some_and(|name| {
        !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// Replaces what `pointer` names (with `*` segments) by a marker, where present.
fn blank(value: &mut Value, pointer: &str) {
    fn walk(value: &mut Value, segments: &[&str]) {
        let Some((first, rest)) = segments.split_first() else {
            *value = json!("<varies>");
            return;
        };
        match (value, *first) {
            (Value::Array(items), "*") => items.iter_mut().for_each(|v| walk(v, rest)),
            (Value::Object(map), "*") => map.values_mut().for_each(|v| walk(v, rest)),
            (Value::Object(map), key) => {
                if let Some(v) = map.get_mut(key) {
                    walk(v, rest)
                }
            }
            (Value::Array(items), index) => {
                if let Some(v) = index.parse().ok().and_then(|i: usize| items.get_mut(i)) {
                    walk(v, rest)
                }
            }
            _ => {}
        }
    }
    let segments: Vec<&str> = pointer.split('/').skip(1).collect();
    walk(value, &segments);
}

/// Seeds what the cases read: a string, a hash, a stream with a group and a pending entry,
/// a `ts:` series and keys under `parity:inv:`.
fn seed(redis: &RedisServer) {
    let commands: &[&[&str]] = &[
        &["SET", "parity:str", "hello"],
        &["HSET", "parity:hash", "f1", "v1", "f2", "v2"],
        &["XADD", "parity:stream", "1-1", "sym", "BTC", "px", "100"],
        &["XADD", "parity:stream", "2-1", "sym", "ETH", "px", "10"],
        &["XGROUP", "CREATE", "parity:stream", "g", "0"],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "c1",
            "COUNT",
            "1",
            "STREAMS",
            "parity:stream",
            ">",
        ],
        &[
            "ZADD",
            "ts:parity",
            "1700000000000",
            "1.5",
            "1700000001000",
            "2.5",
            "1700000002000",
            "4",
        ],
        &["MSET", "parity:inv:1", "a", "parity:inv:2", "b"],
    ];
    for cmd in commands {
        sync_query(redis, cmd).unwrap_or_else(|e| panic!("seed {cmd:?}: {e}"));
    }
    if with_modules() {
        let modules: &[&[&str]] = &[
            &[
                "FT.CREATE",
                "parity-idx",
                "ON",
                "HASH",
                "PREFIX",
                "1",
                "parity:hash",
                "SCHEMA",
                "f1",
                "TEXT",
            ],
            &["BF.ADD", "parity:bf", "x"],
        ];
        for cmd in modules {
            sync_query(redis, cmd).unwrap_or_else(|e| panic!("seed {cmd:?}: {e}"));
        }
    }
}

/// Profiles and their secrets live in one folder of this test process (set once, before any
/// test saves a profile), never the user's.
fn private_config_dir() {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("redscope-parity-{}", std::process::id()));
        std::env::set_var("REDSCOPE_CONFIG_DIR", &dir);
        std::env::set_var("REDSCOPE_SECRET_STORE", "file");
        dir
    });
}

#[test]
fn every_operation_has_a_parity_case() {
    let mut covered: BTreeSet<&str> = core_cases("redis://127.0.0.1:1")
        .iter()
        .map(|c| c.op)
        .collect();
    let with: BTreeSet<&str> = module_cases(true).iter().map(|c| c.op).collect();
    let without: BTreeSet<&str> = module_cases(false).iter().map(|c| c.op).collect();
    assert_eq!(
        with, without,
        "the module cases cover the same operations with and without modules"
    );
    covered.extend(with);
    let table: BTreeSet<&str> = OPERATIONS.iter().map(|op| op.name).collect();
    let missing: Vec<&&str> = table.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "operations without a parity case: {missing:?}"
    );
    let unknown: Vec<&&str> = covered.difference(&table).collect();
    assert!(unknown.is_empty(), "cases of no operation: {unknown:?}");
}

#[test]
fn desktop_and_web_answer_every_operation_alike() {
    let redis = if with_modules() {
        RedisServer::builder().modules().start()
    } else {
        RedisServer::start()
    }
    .expect("a private server");
    private_config_dir();
    seed(&redis);
    let url = redis.url();
    let s = Surfaces::start(redis);

    // The window's calls pass the app's ACL: a command outside the capability is refused.
    for command in ["no_such_command", "plugin:shell|open"] {
        let refused = s.desktop(command, &json!({}));
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.to_string().contains("not allowed")),
            "the ACL let {command} through: {refused:?}"
        );
    }
    // The capability names the main and connection windows only: another window may call nothing.
    let other = WebviewWindowBuilder::new(&s.app, "other", Default::default())
        .build()
        .expect("a second window");
    let refused = invoke(&other, "health", &json!({}));
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.to_string().contains("not allowed")),
        "a window outside the capability called health: {refused:?}"
    );

    let (mut desktop_vars, mut web_vars) = (Vars::default(), Vars::default());
    let mut keep_alive = Vec::new();
    let mut mismatches = Vec::new();
    for c in cases(&url) {
        let mut answers = Vec::new();
        for (side, vars) in [("desktop", &mut desktop_vars), ("web", &mut web_vars)] {
            for step in &c.prep {
                s.run(step, vars, &mut keep_alive);
            }
            let args = vars.fill(&c.args);
            let answer = match side {
                "desktop" => s.desktop(c.op, &args),
                _ => s.web(c.op, &args),
            };
            if let Ok(reply) = &answer {
                for (name, pointer) in c.keep {
                    if let Some(v) = reply.pointer(pointer) {
                        vars.0.insert(name.to_string(), v.clone());
                    }
                }
            }
            for step in &c.then {
                s.run(step, vars, &mut keep_alive);
            }
            let as_expected = match (c.expect, &answer) {
                (Expect::Ok, Ok(_)) => true,
                (Expect::Err(code), Err(body)) => body["code"] == code,
                _ => false,
            };
            if !as_expected {
                mismatches.push(format!(
                    "{} {} on {side}: expected {:?}, got {answer:?}",
                    c.op, c.args, c.expect
                ));
            }
            answers.push(answer.map(|mut v| {
                for pointer in c.varies {
                    blank(&mut v, pointer);
                }
                v
            }));
        }
        if answers[0] != answers[1] {
            mismatches.push(format!(
                "{} {}:\n  desktop: {:?}\n  web:     {:?}",
                c.op, c.args, answers[0], answers[1]
            ));
        }
    }
    drop(keep_alive);
    assert!(
        mismatches.is_empty(),
        "{} differences between the surfaces:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

#[test]
fn a_profile_opens_in_a_window_with_a_session_of_its_own() {
    let main_redis = RedisServer::start().expect("a private redis-server");
    let side = RedisServer::start().expect("a second redis-server");
    private_config_dir();
    let s = Surfaces::start(main_redis);
    s.desktop(
        "profile_save",
        &json!({"name": "side", "url": side.url(), "label": "staging"}),
    )
    .expect("the profile saves");
    let missing = s.desktop("open_window", &json!({"profile": "no-such-profile"}));
    assert!(
        missing
            .as_ref()
            .is_err_and(|e| e.to_string().contains("not_found")),
        "{missing:?}"
    );

    let label = s
        .desktop("open_window", &json!({"profile": "side"}))
        .expect("the window opens");
    let label = label.as_str().expect("the window's label");
    assert!(label.starts_with("conn-"), "{label}");
    let window = s.app.get_webview_window(label).expect("the new window");
    // Its calls pass the capability and go to its own session, connected with the profile.
    let health = invoke(&window, "health", &json!({})).expect("health from the new window");
    assert_eq!(health["profile"], "side", "{health}");
    assert!(
        health["url"]
            .as_str()
            .unwrap()
            .contains(&side.port().to_string()),
        "{health}"
    );
    invoke(
        &window,
        "console",
        &json!({"args": ["SET", "parity:window", "side"]}),
    )
    .expect("a write from the new window");
    assert_eq!(
        sync_query(&side, &["GET", "parity:window"]).unwrap(),
        "side"
    );
    // The main window's session is untouched.
    let main = s.desktop("health", &json!({})).expect("health from main");
    assert!(main.get("profile").is_none(), "{main}");
    assert_eq!(
        sync_query(&s.redis, &["EXISTS", "parity:window"]).unwrap(),
        "0"
    );
}
