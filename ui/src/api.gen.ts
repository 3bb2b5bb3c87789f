// Generated from crates/redscope-admin/src/ops.rs: do not edit.
// Regenerate with `REDSCOPE_BLESS=1 cargo test -p redscope-admin --test generated`.
/* eslint-disable */

/**
 * What the `about` operation answers.
 */
export type About = { 
/**
 * The release version, e.g. `0.1.0`.
 */
version: string, 
/**
 * The git commit the build comes from (12 hex digits), or `unknown`.
 */
commit: string, };

/**
 * Reply of `stream_ack`.
 */
export type Acked = { 
/**
 * Entries that were pending and now are not.
 */
acked: number, };

/**
 * Reply of `server_action`: the server's status line (per master, joined with `; `).
 */
export type ActionReply = { reply: string, };

/**
 * One firing alert: `{level, code, message}`.
 */
export type Alert = { 
/**
 * Warning or critical.
 */
level: AlertLevel, 
/**
 * Stable machine-readable name (`low_hit_rate`, `memory_high`, `memory_critical`,
 * `too_many_clients`, `no_eviction_policy`).
 */
code: string, 
/**
 * What is wrong, with the figures.
 */
message: string, };

/**
 * How serious an alert is.
 */
export type AlertLevel = "warning" | "critical";

/**
 * The alert thresholds in force, as `alert_thresholds` reports them.
 */
export type AlertThresholds = { 
/**
 * The thresholds the dashboard's alerts use now.
 */
thresholds: Thresholds, 
/**
 * The defaults (the seeds').
 */
defaults: Thresholds, 
/**
 * The connected profile they are saved with; none: they hold for this session only.
 */
profile?: string, };

/**
 * A cache's circuit breaker in a client.
 */
export type BreakerFigures = { 
/**
 * The cache's name.
 */
name: string, 
/**
 * `closed`, `open` or `half_open`.
 */
state: string, 
/**
 * Times it opened.
 */
trips: number, 
/**
 * Calls refused while open.
 */
rejected: number, };

/**
 * A key or value as the API returns it: display text, base64 of the exact bytes, and whether
 * the bytes were not UTF-8 (then `text` escapes them as `\xNN`).
 */
export type Bytes = { 
/**
 * UTF-8 text, or a display form with `\xNN` escapes when `binary`.
 */
text: string, 
/**
 * The exact bytes, base64 (standard alphabet, padded).
 */
b64: string, 
/**
 * True when the bytes are not valid UTF-8.
 */
binary?: boolean, 
/**
 * Set when these are only the first bytes of a longer value: its true length.
 */
full_len?: number, };

/**
 * `channel_batch`: recent messages, at most 10 batches a second.
 */
export type ChannelBatchEvent = { 
/**
 * Messages shown in this batch.
 */
messages: Array<Message>, 
/**
 * Messages received since the previous batch and not in this one (still counted).
 */
dropped: number, 
/**
 * Per-channel counts and rates (its `recent` is empty: the messages are above).
 */
stats: MonitorStats, };

/**
 * Count and rate of one channel (per matching pattern).
 */
export type ChannelStat = { 
/**
 * The channel.
 */
name: string, 
/**
 * The pattern it matched, for PSUBSCRIBE deliveries.
 */
pattern?: string, 
/**
 * Messages received since the monitor started (exact).
 */
count: number, 
/**
 * Messages per second over the last second or so.
 */
rate: number, };

/**
 * A channel and how many clients subscribe to it.
 */
export type ChannelSubscribers = { channel: string, subscribers: number, };

/**
 * Reply of `stream_claim`.
 */
export type Claimed = { 
/**
 * IDs now owned by the consumer.
 */
claimed: Array<string>, 
/**
 * XAUTOCLAIM: pending IDs whose entries no longer exist (removed from the pending list).
 */
deleted: Array<string>, 
/**
 * XAUTOCLAIM: where the next call starts (`None` when the scan is complete).
 */
next: string | null, };

/**
 * One connected client, from CLIENT LIST.
 */
export type ClientInfo = { id: number, addr: string, name: string, age_s: number, idle_s: number, db: number, flags: string, 
/**
 * Last command.
 */
cmd: string, 
/**
 * The master this client is connected to.
 */
node: string, 
/**
 * Every field CLIENT LIST reported.
 */
fields: { [key in string]: string }, };

/**
 * Request of `client_kill`.
 */
export type ClientKill = { id: number, confirm?: boolean, };

/**
 * Commands of one name seen by a MONITOR sample.
 */
export type CommandCount = { 
/**
 * Lowercase, as MONITOR shows it.
 */
command: string, count: number, };

/**
 * One command (or `CONTAINER SUB` subcommand) for completion.
 */
export type CommandDoc = { 
/**
 * Upper case, subcommands as `CONFIG SET`.
 */
name: string, summary: string, 
/**
 * `string`, `hash`, `server`, … (empty when unknown).
 */
group: string, 
/**
 * The arguments after the name, as redis-cli shows them.
 */
syntax: string, 
/**
 * The Redis version that added it.
 */
since: string, };

/**
 * Reply of `console_docs`.
 */
export type CommandDocs = { 
/**
 * Sorted by name.
 */
commands: Array<CommandDoc>, };

/**
 * `command_monitor`: the lines seen since the previous event, and the session's state.
 */
export type CommandMonitorEvent = { status: MonitorStatus, 
/**
 * New lines, oldest first (at most 200).
 */
lines: Array<MonitorLine>, };

/**
 * Request of `memory_compare`: two saved runs, the older first.
 */
export type CompareQuery = { 
/**
 * The run compared from.
 */
a: string, 
/**
 * The run compared to.
 */
b: string, };

/**
 * Request of `config_get`.
 */
export type ConfigQuery = { pattern?: string, };

/**
 * A confirmation flag (query string or body).
 */
export type Confirm = { confirm?: boolean, };

/**
 * Connection state as shown to the user.
 */
export type ConnState = "connected" | "down";

/**
 * The connection state as the `conn_state` event carries it.
 */
export type ConnStateEvent = { 
/**
 * Connected or down.
 */
state: ConnState, 
/**
 * The server, password removed.
 */
url: string, 
/**
 * Why it is down.
 */
error?: string, 
/**
 * For Sentinel: the master's `host:port`; a new value means a failover happened.
 */
master?: string, };

/**
 * The profile to switch this session to.
 */
export type ConnectRequest = { 
/**
 * The profile's name.
 */
profile: string, };

/**
 * Reply of `console`.
 */
export type ConsoleReply = { reply: Reply, elapsed_ms: number, 
/**
 * True when the reply had more than [`MAX_REPLY_ITEMS`] elements and was cut.
 */
truncated?: boolean, };

/**
 * Request of `console`.
 */
export type ConsoleRequest = { 
/**
 * The command and its arguments, as text.
 */
args: Array<string>, 
/**
 * Confirms a dangerous command.
 */
confirm?: boolean, };

/**
 * One consumer of a group.
 */
export type ConsumerInfo = { 
/**
 * Consumer name.
 */
name: string, 
/**
 * Its pending entries.
 */
pending: number, 
/**
 * Milliseconds since it last interacted.
 */
idle_ms: number, };

/**
 * Reply of `databases` and `select_db`.
 */
export type Databases = { 
/**
 * The database this session reads and edits.
 */
current: number, 
/**
 * Number of databases (`CONFIG GET databases`; absent when the server refuses it).
 */
count: number | null, 
/**
 * The databases holding keys (INFO keyspace), and the current one even when empty.
 */
databases: Array<DbInfo>, 
/**
 * False on a Cluster (only database 0).
 */
selectable: boolean, 
/**
 * The tree's separators from the connected profile (`:` by default).
 */
separators: Array<string>, 
/**
 * Loaded modules (`MODULE LIST` names; `ReJSON` enables JSON keys).
 */
modules: Array<string>, };

/**
 * One database and its key counts.
 */
export type DbInfo = { 
/**
 * The index.
 */
db: number, 
/**
 * Keys in it.
 */
keys: number, 
/**
 * Keys with a TTL.
 */
expires: number, };

/**
 * Request of `decode`: bytes and the view to show them in.
 */
export type DecodeRequest = { 
/**
 * The bytes, base64 (at most 1 MiB).
 */
value_b64: string, 
/**
 * One of [`VIEWS`]; `auto` (the default) picks by content.
 */
view?: string, };

/**
 * What a string value looks like once decoded.
 */
export type Decoded = { 
/**
 * `json`, `msgpack`, `codec-msgpack`, `codec-zstd`, `zstd`, `gzip`, `utf8` or `hex`; with
 * "view as" also any other view name (`zlib`, `protobuf`, `pickle`, ...).
 */
format: string, 
/**
 * The value as JSON, when it is structured data.
 */
json?: JsonValue, 
/**
 * Text form: the decompressed UTF-8 text, or the hex dump.
 */
text?: string, };

/**
 * Reply of `key_delete`.
 */
export type Deleted = { deleted: number, };

/**
 * A figure in two runs.
 */
export type Delta = { 
/**
 * Namespace prefix or type name.
 */
name: string, keys_a: number, keys_b: number, bytes_a: number, bytes_b: number, 
/**
 * `bytes_b - bytes_a`.
 */
bytes_delta: number, 
/**
 * `keys_b - keys_a`.
 */
keys_delta: number, };

/**
 * What an edit does.
 */
export type EditOp = "set" | "hset" | "hdel" | "hexpire" | "hpersist" | "lpush" | "rpush" | "lset" | "lrem" | "linsert" | "lpop" | "rpop" | "hrename" | "setrange" | "sadd" | "srem" | "srename" | "zadd" | "zrem" | "zrename" | "xadd" | "xdel";

/**
 * Empty reply.
 */
export type Empty = Record<symbol, never>;

/**
 * The keys of one type in one encoding.
 */
export type EncodingStat = { type: string, 
/**
 * OBJECT ENCODING (`listpack`, `hashtable`, `embstr`, …).
 */
encoding: string, keys: number, bytes: number, };

/**
 * A page of entries; `next` is where the next page starts (inclusive), `None` at the end.
 */
export type EntriesPage = { 
/**
 * Entries of this page.
 */
entries: Array<StreamEntry>, 
/**
 * Start (or, reversed, end) id of the next page.
 */
next: string | null, };

/**
 * Query of `stream_entries`.
 */
export type EntriesQuery = { 
/**
 * First id (default `-`).
 */
start?: string, 
/**
 * Last id (default `+`).
 */
end?: string, 
/**
 * Page size (default 100).
 */
count?: number, 
/**
 * Newest first.
 */
rev?: boolean, 
/**
 * The key as UTF-8 text.
 */
key?: string, 
/**
 * The key as base64 (binary keys).
 */
key_b64?: string, };

/**
 * The JSON body of every admin error.
 */
export type ErrorBody = { 
/**
 * Stable machine-readable code (an `ErrorKind` name, `noperm` for an ACL refusal, or
 * `unauthorized`).
 */
code: string, 
/**
 * Human-readable explanation, never containing secrets.
 */
message: string, };

/**
 * One message of the live-data bus.
 */
export type Event = { "type": "conn_state" } & ConnStateEvent | { "type": "metrics" } & MetricsEvent | { "type": "channel_batch" } & ChannelBatchEvent | { "type": "command_monitor" } & CommandMonitorEvent | { "type": "stream_entries" } & StreamEntriesEvent | { "type": "job" } & (Job | FindingsJob | MemoryJob | TransferJob | HotkeysJob) | { "type": "tree_progress" } & TreeProgressEvent | { "type": "services" } & ServicesEvent | { "type": "lagged", 
/**
 * How many events this subscriber missed.
 */
count: number, };

/**
 * Request of `export`.
 */
export type ExportRequest = { 
/**
 * `dump` (lossless DUMP payloads; the default), `commands` (for `redis-cli --pipe`),
 * `jsonl` or `csv`.
 */
format?: string, 
/**
 * Keys matching this glob (SCAN MATCH).
 */
pattern?: string, 
/**
 * Keys under this namespace prefix (matched literally).
 */
prefix?: string, 
/**
 * These keys only (at most 10,000).
 */
keys?: Array<KeyRef>, 
/**
 * File name in the export directory (default `export-<time>.<ext>`); an existing file is
 * refused unless `overwrite`.
 */
file?: string, 
/**
 * Replace an existing file of that name.
 */
overwrite?: boolean, 
/**
 * `commands` only: `DEL` each key before writing it, so loading the file replaces keys.
 */
replace?: boolean, };

/**
 * A hash field and its value.
 */
export type FieldValue = { field: Bytes, value: Bytes, 
/**
 * The field's own TTL in ms (-1: none); only on servers with per-field TTLs (Redis ≥ 7.4).
 */
ttl_ms?: number, };

/**
 * One part of a file.
 */
export type FilePart = { name: string, offset: number, 
/**
 * The part's bytes, base64.
 */
b64: string, 
/**
 * The file's size.
 */
total: number, 
/**
 * The part reaches the end of the file.
 */
eof: boolean, };

/**
 * Request of `transfer_file_read`.
 */
export type FileRead = { 
/**
 * A file of the export directory.
 */
name: string, 
/**
 * Where the part starts (default 0).
 */
offset?: number, 
/**
 * Bytes wanted (default and most: 4 MiB).
 */
len?: number, };

/**
 * Request of `transfer_file_write`.
 */
export type FileWrite = { 
/**
 * The file's name in the export directory.
 */
name: string, 
/**
 * Where this part goes: 0 starts the upload, then exactly the bytes sent so far.
 */
offset: number, 
/**
 * The part's bytes, base64 (at most 1 MiB decoded).
 */
b64: string, 
/**
 * This is the last part: the file appears under its name.
 */
last?: boolean, 
/**
 * Replace an existing file of that name.
 */
overwrite?: boolean, };

/**
 * Reply of `transfer_file_write`.
 */
export type FileWritten = { name: string, 
/**
 * Bytes received so far (the next part's offset).
 */
received: number, 
/**
 * The upload is complete and the file listed.
 */
complete: boolean, };

/**
 * One anti-pattern with the evidence.
 */
export type Finding = { 
/**
 * What it is.
 */
kind: FindingKind, 
/**
 * Warning or critical.
 */
level: AlertLevel, 
/**
 * One line a user reads.
 */
message: string, 
/**
 * Keys (or slowlog entries, or nodes) affected.
 */
count: number, 
/**
 * Up to 20 of the keys, to open in the browser.
 */
keys: Array<Bytes>, 
/**
 * The data type the keys belong to, when the finding is per type.
 */
data_type?: string, 
/**
 * A pattern to prefill the invalidation page with, where deleting is a fix.
 */
pattern?: string, 
/**
 * The command, for slowlog findings.
 */
command?: string, };

/**
 * What a finding is about.
 */
export type FindingKind = "no_ttl" | "ttl_drift" | "big_value" | "slow_command" | "no_eviction" | "evicts_state";

/**
 * A full findings run.
 */
export type FindingsJob = { 
/**
 * Identifier, for `GET /api/findings/jobs/{id}`.
 */
id: string, 
/**
 * `findings`.
 */
kind: string, 
/**
 * Where it is.
 */
state: JobState, 
/**
 * SCAN calls made.
 */
scanned: number, 
/**
 * Keys examined so far.
 */
examined: number, 
/**
 * Why it failed.
 */
error?: string, 
/**
 * Start, epoch ms.
 */
started_ms: number, 
/**
 * End, epoch ms.
 */
finished_ms?: number, 
/**
 * The findings, once finished (or cancelled).
 */
report?: FindingsReport, };

/**
 * `GET /api/findings` parameters.
 */
export type FindingsQuery = { 
/**
 * `sample` (default) or `full` (a job).
 */
mode?: string, 
/**
 * Values above this many bytes are findings (default 1 MiB).
 */
size_limit?: number, };

/**
 * `GET /api/findings` answer: a sampled report, or the started full job.
 */
export type FindingsReply = FindingsReport | FindingsJob;

/**
 * The findings of one run.
 */
export type FindingsReport = { 
/**
 * `sample` or `full`.
 */
mode: string, 
/**
 * Keys looked at.
 */
keys_examined: number, 
/**
 * Keys whose memory was measured.
 */
sizes_measured: number, 
/**
 * Whether every key was looked at.
 */
complete: boolean, 
/**
 * The size limit applied.
 */
size_limit: number, 
/**
 * Findings, most serious first.
 */
findings: Array<Finding>, };

/**
 * What `stream_group` does.
 */
export type GroupAction = "create" | "destroy" | "setid" | "create_consumer" | "del_consumer";

/**
 * Reply of `stream_group`: Redis's integer answer (consumers created, pending entries a
 * deleted consumer had, groups destroyed; 1 for create and setid).
 */
export type GroupChanged = { result: number, };

/**
 * A consumer group a client watches.
 */
export type GroupFigures = { 
/**
 * The stream key.
 */
stream: string, 
/**
 * The group.
 */
group: string, 
/**
 * Entries not yet delivered to the group (when Redis can tell).
 */
lag: number | null, 
/**
 * Entries delivered and not acknowledged.
 */
pending: number, };

/**
 * One consumer group.
 */
export type GroupInfo = { 
/**
 * Group name.
 */
name: string, 
/**
 * Number of consumers.
 */
consumers: number, 
/**
 * Entries delivered and not acknowledged.
 */
pending: number, 
/**
 * Last id delivered to the group.
 */
last_delivered_id: string, 
/**
 * Entries not yet delivered to the group (Redis ≥ 7; `None` when unknown).
 */
lag: number | null, 
/**
 * The group's consumers.
 */
consumer_list: Array<ConsumerInfo>, };

/**
 * What `GET /api/health` and the `health` command return.
 */
export type HealthReport = { 
/**
 * Connected or down.
 */
state: ConnState, 
/**
 * The server's URL, password removed.
 */
url: string, 
/**
 * Why the server is down, when it is.
 */
error: string | null, 
/**
 * PING round trip in milliseconds.
 */
latency_ms: number | null, 
/**
 * The server product from INFO's `server_name`: `redis` or `valkey`.
 */
server: string | null, 
/**
 * The product's version from INFO (`valkey_version` on Valkey, else `redis_version`).
 */
version: string | null, 
/**
 * `role` from INFO (master / slave).
 */
role: string | null, 
/**
 * `redis_mode` from INFO (standalone / cluster / sentinel).
 */
mode: string | null, 
/**
 * Server uptime in seconds.
 */
uptime_s: number | null, 
/**
 * Bytes used by the dataset.
 */
used_memory: number | null, 
/**
 * Connected clients.
 */
connected_clients: number | null, 
/**
 * Whether this session refuses writes.
 */
read_only: boolean, 
/**
 * The deployment kind (standalone, cluster, sentinel), once connected.
 */
topology: TopologyKind | null, 
/**
 * For Sentinel: the current master's `host:port` (changes after a failover).
 */
master: string | null, 
/**
 * The saved profile this session is connected with, if one was chosen.
 */
profile?: string, };

/**
 * The host key one SSH server presented.
 */
export type HostKey = { 
/**
 * `host:port` of the SSH server.
 */
server: string, 
/**
 * Key algorithm (`ssh-ed25519`, ...).
 */
algorithm: string, 
/**
 * `SHA256:…` fingerprint, as `ssh-keygen -l` shows it.
 */
fingerprint: string, 
/**
 * Known, unknown or changed.
 */
status: HostKeyStatus, };

/**
 * What Redscope's known_hosts file says about a server's host key.
 */
export type HostKeyStatus = "known" | "unknown" | "changed";

/**
 * One hot key.
 */
export type HotKey = { key: Bytes, 
/**
 * LFU: the server's logarithmic use counter (0–255). MONITOR: commands seen on the key.
 */
count: number, 
/**
 * The master holding the key.
 */
node: string, };

/**
 * A hot-keys job: its progress, then its outcome.
 */
export type HotkeysJob = { id: string, 
/**
 * `hotkeys`.
 */
kind: string, state: JobState, 
/**
 * `lfu` or `monitor`.
 */
method: string, 
/**
 * True for a MONITOR sample: it slowed the server while it ran.
 */
costly: boolean, 
/**
 * The `maxmemory_policy` of the (first) master.
 */
policy: string, 
/**
 * LFU: keys looked at so far, and DBSIZE of the masters.
 */
scanned: number, expected: number, 
/**
 * MONITOR: the length of the sample and how much of it has run.
 */
seconds: number, elapsed_ms: number, 
/**
 * MONITOR: commands seen.
 */
commands: number, 
/**
 * The hottest keys, hottest first (during a MONITOR sample, as counted so far).
 */
keys: Array<HotKey>, 
/**
 * MONITOR: commands by name, most first.
 */
by_command: Array<CommandCount>, 
/**
 * MONITOR: more distinct keys were seen than are counted.
 */
truncated: boolean, 
/**
 * Masters sampled.
 */
nodes: Array<string>, error?: string, started_ms: number, finished_ms?: number, };

/**
 * Request of `hotkeys`.
 */
export type HotkeysRequest = { 
/**
 * `lfu` (OBJECT FREQ over a scan; needs an LFU maxmemory-policy), `monitor` (a MONITOR
 * sample; costly, needs `confirm`), or `auto` (the default: lfu when the policy allows).
 */
method?: string, 
/**
 * MONITOR: how long to sample, 1 to 60 seconds (default 10).
 */
seconds?: number, 
/**
 * MONITOR: the user accepted its cost.
 */
confirm?: boolean, 
/**
 * LFU: only keys matching this glob.
 */
pattern?: string, };

/**
 * What `profile_import` saved and what it could not.
 */
export type ImportReport = { 
/**
 * The profiles saved (secrets stored, never shown).
 */
imported: Array<Profile>, 
/**
 * Connections not imported, with the reason.
 */
skipped: Array<ImportSkip>, 
/**
 * Settings of imported connections that Redscope could not carry over.
 */
notes: Array<string>, };

/**
 * Request of `import`.
 */
export type ImportRequest = { 
/**
 * A file in the export directory: a dump file or a command file (told apart by content).
 */
file: string, 
/**
 * When a key exists: `skip` it (default), `replace` it, or `fail` (then nothing is written
 * if any key of the file exists).
 */
policy?: string, 
/**
 * Read the whole file, count what would be imported and what conflicts; write nothing.
 */
dry_run?: boolean, };

/**
 * A connection of an export that was not imported.
 */
export type ImportSkip = { 
/**
 * Its position in the export (from 0).
 */
index: number, 
/**
 * Its name, when it had one.
 */
name?: string, 
/**
 * Why it was not imported.
 */
reason: string, };

/**
 * One attribute of an index's schema.
 */
export type IndexField = { 
/**
 * What is indexed: a hash field or a JSONPath.
 */
identifier: string, 
/**
 * The name queries use (`@name`).
 */
attribute: string, 
/**
 * `TEXT`, `NUMERIC`, `TAG`, `GEO`, `VECTOR`, ...
 */
type: string, 
/**
 * Usable in SORTBY.
 */
sortable: boolean, };

/**
 * Request of `info`.
 */
export type InfoQuery = { 
/**
 * One section (`server`, `memory`, ...); all when absent.
 */
section?: string, };

/**
 * Reply of `info`: the first master's sections, and every master's when there are several.
 */
export type InfoReply = { sections: { [key in string]: { [key in string]: string } }, 
/**
 * Per master (`host:port` → sections), for a Cluster.
 */
nodes?: { [key in string]: { [key in string]: { [key in string]: string } } }, };

/**
 * What `invalidate` answers: a dry run's count and sample, or the started job.
 */
export type InvalidateReply = { count: number, sample: Array<Bytes>, patterns: Array<string>, } | Job;

/**
 * Request of `invalidate`.
 */
export type InvalidateRequest = { 
/**
 * A glob pattern (exactly one of `pattern` and `preset`).
 */
pattern?: string, 
/**
 * A preset.
 */
preset?: Preset, 
/**
 * Count and sample only (the default); `false` deletes.
 */
dry_run?: boolean, 
/**
 * Required for a real run.
 */
confirm?: boolean, };

/**
 * A long operation's progress and outcome.
 */
export type Job = { 
/**
 * Identifier, for `GET /api/jobs/{id}`.
 */
id: string, 
/**
 * `invalidate`.
 */
kind: string, state: JobState, 
/**
 * The patterns, space-separated (see `patterns`).
 */
pattern: string, 
/**
 * Every pattern the job deletes.
 */
patterns: Array<string>, 
/**
 * SCAN calls made so far.
 */
scanned: number, 
/**
 * Matching keys seen so far.
 */
matched: number, 
/**
 * Keys removed so far.
 */
deleted: number, error?: string, 
/**
 * Start, ms since the Unix epoch.
 */
started_ms: number, finished_ms?: number, };

/**
 * A job's id (`/jobs/{id}`, `/findings/jobs/{id}`).
 */
export type JobId = { 
/**
 * The id a job was started with.
 */
id: string, };

/**
 * Where a job is: the one state every job record carries.
 */
export type JobState = "running" | "done" | "cancelled" | "failed";

/**
 * A child of an object or array read by its children.
 */
export type JsonChild = { 
/**
 * The object key, or the array index as text.
 */
name: string, 
/**
 * Its JSONPath (open it with `json_get`).
 */
path: string, type: string, 
/**
 * Its size in bytes.
 */
memory: number, 
/**
 * The child whole, when small (4 KiB or less).
 */
value: JsonValue | null, };

/**
 * Request of `json_edit` (of an existing document: new ones are made by `key_create`).
 */
export type JsonEdit = { key?: string, key_b64?: string, op: JsonOp, 
/**
 * JSONPath (default `$`).
 */
path?: string, 
/**
 * JSON text: the new node (`set`), the item (`arrappend`) or a number (`numincrby`).
 */
value?: string, };

/**
 * Reply of `json_edit`.
 */
export type JsonEdited = { key: Bytes, 
/**
 * The command's answer: `"OK"`, the number of nodes deleted, the new array lengths or
 * the new numbers (one per matched node).
 */
result: JsonValue, };

/**
 * One node of a JSON document.
 */
export type JsonNode = { key: Bytes, 
/**
 * The JSONPath of the node.
 */
path: string, 
/**
 * `object`, `array`, `string`, `integer`, `number`, `boolean` or `null`.
 */
type: string, 
/**
 * Its size in bytes (`JSON.DEBUG MEMORY`).
 */
memory: number, 
/**
 * Keys of an object, items of an array, bytes of a string.
 */
len: number | null, 
/**
 * The node whole, when it fits the budget.
 */
value: JsonValue | null, 
/**
 * Otherwise, for objects and arrays: the children from `offset`.
 */
children: Array<JsonChild>, 
/**
 * The first child of this page.
 */
offset: number, 
/**
 * The offset of the next page of children, if any.
 */
next: number | null, };

/**
 * What `json_edit` does at `path`.
 */
export type JsonOp = "set" | "del" | "arrappend" | "numincrby";

/**
 * Request of `json_get`.
 */
export type JsonQuery = { key?: string, key_b64?: string, 
/**
 * A JSONPath naming one node (`$` by default: the whole document).
 */
path?: string, 
/**
 * Objects and arrays read by their children: index of the first child.
 */
offset?: number, 
/**
 * Children per page (default 100, max 10,000).
 */
count?: number, 
/**
 * Return the node whole up to this many bytes of `JSON.DEBUG MEMORY` (default 256 KiB,
 * max 1 MiB).
 */
max_bytes?: number, };

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

/**
 * Request of `key_create`.
 */
export type KeyCreate = { key?: string, key_b64?: string, 
/**
 * What to create.
 */
type: NewKeyType, 
/**
 * A string's value; a JSON document's text.
 */
value?: string, value_b64?: string, 
/**
 * A collection's first elements (at least one: Redis has no empty collections).
 */
elements?: Array<NewElement>, 
/**
 * A stream's first entry ID (default `*`, the server's clock).
 */
stream_id?: string, 
/**
 * Milliseconds to live (none: no expiry).
 */
ttl_ms?: number, 
/**
 * Replace an existing key of this name (otherwise the call is refused with 409).
 */
overwrite?: boolean, };

/**
 * Request of `key_set`: one edit of one key.
 */
export type KeyEdit = { key?: string, key_b64?: string, 
/**
 * The edit.
 */
op: EditOp, value?: string, value_b64?: string, field?: string, field_b64?: string, member?: string, member_b64?: string, 
/**
 * `lset`: the index.
 */
index?: number, 
/**
 * `lrem`: how many occurrences to remove: n > 0 the first n from the head, n < 0 the
 * first |n| from the tail, 0 every one (default 1).
 */
count?: number, 
/**
 * `linsert`: the item to insert next to.
 */
pivot?: string, pivot_b64?: string, 
/**
 * `linsert`: insert after the pivot instead of before it.
 */
after?: boolean, 
/**
 * `hrename`: the field's new name.
 */
new_field?: string, new_field_b64?: string, 
/**
 * `srename` / `zrename`: the member's new value.
 */
new_member?: string, new_member_b64?: string, 
/**
 * `hrename` / `zrename`: replace an existing field or member of the new name.
 */
overwrite?: boolean, 
/**
 * `setrange`: the first byte to overwrite.
 */
offset?: number, 
/**
 * `zadd`: the score.
 */
score?: number, 
/**
 * `set`: a TTL in ms (without it an existing TTL is kept); `hexpire`: the field's TTL.
 */
ttl_ms?: number, 
/**
 * `xadd`: field/value pairs.
 */
fields?: Array<[string, string]>, 
/**
 * `xdel`: the entry ID.
 */
id?: string, };

/**
 * Type, TTL, encoding and size of one key.
 */
export type KeyMeta = { 
/**
 * The key.
 */
key: Bytes, 
/**
 * `string`, `hash`, ..., `none` when the key does not exist, or `noperm` when the
 * connection's ACL user may not access it.
 */
type: string, 
/**
 * Milliseconds to live; -1 without expiry, -2 when gone.
 */
ttl_ms: number, 
/**
 * OBJECT ENCODING.
 */
encoding: string | null, 
/**
 * Length (strings), cardinality (collections), or bytes of a JSON document
 * (`JSON.DEBUG MEMORY`).
 */
size: number | null, 
/**
 * MEMORY USAGE in bytes.
 */
memory?: number, 
/**
 * Cluster only: the key's hash slot (`CLUSTER KEYSLOT`, computed locally).
 */
slot?: number, 
/**
 * Cluster only: `host:port` of the master serving that slot.
 */
node?: string, 
/**
 * The view the UI shows the key in, when it is one of the library's data shapes.
 */
shape?: Shape, };

/**
 * A page of keys; `cursor` is `"0"` when the walk of every master is complete.
 */
export type KeyPage = { 
/**
 * Opaque cursor of the next page: `"<master-index>:<scan-cursor>"`, `"0"` when done.
 */
cursor: string, 
/**
 * The keys of this page.
 */
keys: Array<Bytes>, };

/**
 * Request of `key`: which key and which page of its value.
 */
export type KeyQuery = { 
/**
 * The key as UTF-8 text.
 */
key?: string, 
/**
 * The key as base64.
 */
key_b64?: string, 
/**
 * Lists, sorted sets: index of the first item; strings: first byte of the preview.
 */
offset?: number, 
/**
 * Hashes, sets: HSCAN/SSCAN cursor; streams: first entry ID (`-` by default).
 */
cursor?: string, 
/**
 * Page size (default 100, max 10,000).
 */
count?: number, 
/**
 * String preview size (default 64 KiB, max 1 MiB).
 */
max_bytes?: number, };

/**
 * Names one key in a request: `key` (UTF-8 text) or `key_b64` (base64 of any bytes), exactly one.
 */
export type KeyRef = { 
/**
 * The key as UTF-8 text.
 */
key?: string, 
/**
 * The key as base64 (binary keys).
 */
key_b64?: string, };

/**
 * Request of `key_rename`.
 */
export type KeyRename = { key?: string, key_b64?: string, new_key?: string, new_key_b64?: string, 
/**
 * Replace an existing key of the new name (RENAME instead of RENAMENX).
 */
overwrite?: boolean, };

/**
 * One measured key.
 */
export type KeyStat = { key: Bytes, type: string, encoding: string, 
/**
 * MEMORY USAGE.
 */
bytes: number, 
/**
 * Elements (see [`Totals::elements`]).
 */
elements: number, 
/**
 * Remaining TTL in ms; absent when the key does not expire.
 */
ttl_ms?: number, 
/**
 * The master holding the key (`primary` outside a Cluster).
 */
node: string, };

/**
 * Request of `key_ttl`: `ttl_ms: null` removes the expiry.
 */
export type KeyTtl = { key?: string, key_b64?: string, 
/**
 * Milliseconds to live, or `null` for PERSIST (the field is required).
 */
ttl_ms: number | null, };

/**
 * A key, its metadata and one page of its value.
 */
export type KeyValue = { 
/**
 * The key.
 */
key: Bytes, 
/**
 * Its type (`none` after an edit removed it).
 */
type: string, 
/**
 * Milliseconds to live (-1 none, -2 gone).
 */
ttl_ms: number, 
/**
 * OBJECT ENCODING.
 */
encoding: string | null, 
/**
 * Length or cardinality.
 */
size: number | null, 
/**
 * MEMORY USAGE in bytes (absent when the server refuses it).
 */
memory?: number, 
/**
 * The view the UI shows the key in, when it is one of the library's data shapes.
 */
shape?: Shape, 
/**
 * The page of the value, shaped by type.
 */
value: ValueView, };

/**
 * Request of `keys_meta`.
 */
export type KeysMetaRequest = { 
/**
 * The keys, base64 (at most 1000).
 */
keys_b64: Array<string>, };

/**
 * Request of `keys`.
 */
export type KeysQuery = { 
/**
 * Glob pattern (default `*`).
 */
match?: string, 
/**
 * Only keys of this type.
 */
type?: string, 
/**
 * Cursor from the previous page (`"0"` or absent to start).
 */
cursor?: string, 
/**
 * Page size hint (default 100, max 10,000).
 */
count?: number, };

/**
 * Reply of `client_kill`.
 */
export type Killed = { killed: number, };

/**
 * One latency event as `LATENCY LATEST` reports it, with its history.
 */
export type LatencyEvent = { 
/**
 * `command`, `fast-command`, `expire-cycle`, `fork`, `aof-fsync-always`, …
 */
event: string, 
/**
 * When the latest spike happened, Unix seconds.
 */
at_s: number, 
/**
 * The latest spike, ms.
 */
latest_ms: number, 
/**
 * The worst spike since the event was last reset, ms.
 */
max_ms: number, 
/**
 * `[Unix seconds, ms]` samples from `LATENCY HISTORY`, oldest first.
 */
history: Array<[number, number]>, };

/**
 * Reply of `latency`.
 */
export type LatencyReply = { nodes: Array<NodeLatency>, };

/**
 * A rate limiter in a client.
 */
export type LimitFigures = { 
/**
 * The limiter's name.
 */
name: string, 
/**
 * Calls allowed.
 */
allowed: number, 
/**
 * Calls rejected.
 */
rejected: number, };

/**
 * A lock manager in a client.
 */
export type LockFigures = { 
/**
 * The manager's name.
 */
name: string, 
/**
 * Locks taken.
 */
acquired: number, 
/**
 * Acquires that had to wait.
 */
waits: number, 
/**
 * Acquires that gave up.
 */
timeouts: number, 
/**
 * Locks found taken over by another owner.
 */
lost: number, };

/**
 * What grew (and shrank) between two saved runs.
 */
export type MemoryDiff = { a: SavedRun, b: SavedRun, 
/**
 * Every key.
 */
total: Delta, 
/**
 * Namespaces by bytes grown, most first (those listed in either run).
 */
namespaces: Array<Delta>, 
/**
 * Types by bytes grown, most first.
 */
by_type: Array<Delta>, };

/**
 * A memory analysis run.
 */
export type MemoryJob = { 
/**
 * Identifier, for `/api/memory/jobs/{id}`.
 */
id: string, 
/**
 * `memory`.
 */
kind: string, state: JobState, 
/**
 * `sample` or `full`.
 */
mode: string, 
/**
 * Keys measured so far.
 */
measured: number, 
/**
 * Keys SCAN returned so far.
 */
scanned: number, 
/**
 * Keys the run expects to look at (DBSIZE, or the sample size), for a progress bar.
 */
expected: number, error?: string, started_ms: number, finished_ms?: number, 
/**
 * True once the report can be read (`memory_report`): done, or cancelled with partial results.
 */
has_report: boolean, };

/**
 * The outcome of one memory analysis.
 */
export type MemoryReport = { 
/**
 * `sample` or `full`.
 */
mode: string, 
/**
 * True when the figures are extrapolated from a sample (multiplied by `factor`); the top
 * lists and biggest keys are always measured keys.
 */
extrapolated: boolean, 
/**
 * What measured figures were multiplied by (1 for a full run).
 */
factor: number, 
/**
 * Keys measured.
 */
measured: number, 
/**
 * Keys SCAN returned (before the prefix filter of a sample).
 */
scanned: number, 
/**
 * Keys in the databases walked (DBSIZE of every master), when the run started.
 */
dbsize: number, 
/**
 * False when the run was cancelled or a sample stopped early on some master.
 */
complete: boolean, 
/**
 * The separator namespaces were split on.
 */
separator: string, 
/**
 * The prefix the run was limited to (empty: every key).
 */
prefix: string, 
/**
 * Deepest namespace level followed.
 */
depth: number, 
/**
 * Every measured key (extrapolated for a sample).
 */
total: Totals, 
/**
 * Keys without a TTL (extrapolated for a sample).
 */
no_ttl: number, 
/**
 * INFO `used_memory` summed over the masters, for scale (includes overhead).
 */
used_memory: number, 
/**
 * Masters walked.
 */
nodes: Array<string>, 
/**
 * Namespaces, biggest first (at most [`MAX_REPORTED_NAMESPACES`]).
 */
namespaces: Array<NamespaceStat>, 
/**
 * True when some namespaces were not listed or not split (too many distinct names).
 */
namespaces_truncated: boolean, 
/**
 * By type, biggest first.
 */
by_type: Array<TypeStat>, 
/**
 * By type and encoding, biggest first.
 */
by_encoding: Array<EncodingStat>, 
/**
 * The [`TOP`] keys using the most memory.
 */
top_by_memory: Array<KeyStat>, 
/**
 * The [`TOP`] keys with the most elements.
 */
top_by_elements: Array<KeyStat>, 
/**
 * Keys and bytes by remaining TTL.
 */
ttl: Array<TtlBucket>, 
/**
 * Start and end, epoch ms.
 */
started_ms: number, finished_ms: number, };

/**
 * Request of `memory_analyze`.
 */
export type MemoryRequest = { 
/**
 * `sample` (default: N keys, figures extrapolated) or `full` (every key).
 */
mode?: string, 
/**
 * Keys a sample measures (default 10,000).
 */
sample?: number, 
/**
 * Namespace separator (default: the connected profile's, else `:`).
 */
separator?: string, 
/**
 * Only keys under this namespace prefix (default: every key).
 */
prefix?: string, 
/**
 * Deepest namespace level reported (default 8, at most 32).
 */
depth?: number, };

/**
 * Request of `memory_save`.
 */
export type MemorySave = { 
/**
 * The finished job whose report is saved.
 */
id: string, 
/**
 * A name to recognise the run by.
 */
name: string, };

/**
 * One received message as the UI shows it.
 */
export type Message = { 
/**
 * The channel it was published on.
 */
channel: string, 
/**
 * The pattern that matched it, for PSUBSCRIBE deliveries.
 */
pattern?: string, 
/**
 * The payload (at most [`PAYLOAD_KEEP`] bytes of it).
 */
payload: Bytes, 
/**
 * The payload's full length in bytes.
 */
length: number, 
/**
 * The payload parsed as JSON, when it is JSON.
 */
json?: JsonValue, 
/**
 * When it was received (ms since the Unix epoch).
 */
at_ms: number, };

/**
 * `metrics`: one sampler tick with the alerts firing.
 */
export type MetricsEvent = { 
/**
 * The figures of this tick.
 */
sample: MetricsSample, 
/**
 * Alerts currently firing.
 */
alerts: Array<Alert>, };

/**
 * `{samples, alerts}`.
 */
export type MetricsReply = { 
/**
 * Downsampled history, oldest first.
 */
samples: Array<MetricsSample>, 
/**
 * Alerts firing at the latest sample.
 */
alerts: Array<Alert>, 
/**
 * Cluster only: the masters whose own figures `metrics?node=<host:port>` returns.
 */
nodes?: Array<string>, };

/**
 * One sampler tick as the API shows it.
 */
export type MetricsSample = { 
/**
 * When it was taken (ms since the Unix epoch).
 */
at_ms: number, 
/**
 * Commands per second over the interval.
 */
ops_per_sec: number, 
/**
 * Hit rate over the interval (0..=1), `None` when there were no reads.
 */
hit_rate: number | null, 
/**
 * Hit rate since the server started.
 */
hit_rate_total: number | null, 
/**
 * Bytes used by Redis.
 */
used_memory: number, 
/**
 * `maxmemory` (0 = none).
 */
maxmemory: number, 
/**
 * `mem_fragmentation_ratio`.
 */
fragmentation: number, 
/**
 * Connected clients.
 */
clients: number, 
/**
 * Keys evicted since start.
 */
evicted_keys: number, 
/**
 * Keys expired since start.
 */
expired_keys: number, 
/**
 * Keys in all databases.
 */
keys: number, 
/**
 * Network input, KiB/s.
 */
net_in_kbps: number, 
/**
 * Network output, KiB/s.
 */
net_out_kbps: number, 
/**
 * Server CPU in kernel mode, CPU seconds per second over the interval (`used_cpu_sys`
 * deltas; summed over a Cluster's masters); none for the first sample or after a restart.
 */
cpu_sys?: number, 
/**
 * Server CPU in user mode, CPU seconds per second over the interval (`used_cpu_user`).
 */
cpu_user?: number, 
/**
 * Host CPU use in percent (all cores).
 */
host_cpu?: number, 
/**
 * Host memory in use, bytes.
 */
host_mem_used?: number, 
/**
 * redis-server CPU in percent of one core (local servers only).
 */
server_cpu?: number, 
/**
 * redis-server resident memory, bytes (local servers only).
 */
server_rss?: number, };

/**
 * One loaded module.
 */
export type ModuleInfo = { 
/**
 * The module's name (`ReJSON`, `search`, `bf`, ...).
 */
name: string, 
/**
 * Its version number as the module reports it.
 */
version: number | null, };

/**
 * Which buffered lines `command_monitor` returns; every given part must match.
 */
export type MonitorFilter = { 
/**
 * Command names, any case, separated by spaces or commas (`get set`): one must be the line's.
 */
command?: string, 
/**
 * Text the line's key contains (lines of commands without a key do not match).
 */
key?: string, 
/**
 * Text the client's address contains (`127.0.0.1:5`, `unix`, `lua`).
 */
client?: string, 
/**
 * Newest matching lines to return (default 500, at most 2,000).
 */
limit?: number, };

/**
 * One command as MONITOR showed it.
 */
export type MonitorLine = { 
/**
 * Its place in the session (1 for the first line seen).
 */
seq: number, 
/**
 * The server's clock when it ran (seconds since the Unix epoch, microsecond precision).
 */
at_s: number, 
/**
 * The master that ran it (`primary` for a single server).
 */
node: string, 
/**
 * The database it ran in.
 */
db: number, 
/**
 * The client's address (`lua` for a script's own calls).
 */
client: string, 
/**
 * The command name, upper case.
 */
command: string, 
/**
 * Its first key (binary bytes escaped), for commands that take one.
 */
key?: string, 
/**
 * The arguments after the name, each quoted as MONITOR shows them, cut at 1,024 bytes.
 */
args: string, 
/**
 * True when `args` was cut.
 */
cut: boolean, };

/**
 * What `monitor` subscribes to (replaces the previous set).
 */
export type MonitorRequest = { 
/**
 * Exact channel names (SUBSCRIBE).
 */
channels: Array<string>, 
/**
 * Glob patterns (PSUBSCRIBE).
 */
patterns: Array<string>, };

/**
 * Request of `command_monitor_start`.
 */
export type MonitorStart = { 
/**
 * How long to watch, 1 to 300 seconds (default 30); the session stops by itself then.
 */
seconds?: number, 
/**
 * The user accepted the cost of MONITOR to the server.
 */
confirm?: boolean, };

/**
 * Where a session is.
 */
export type MonitorState = "idle" | "running" | "stopped" | "finished" | "failed";

/**
 * What `monitor`, `monitor_stats` and each `channel_batch` report.
 */
export type MonitorStats = { 
/**
 * Per-channel counts, busiest first.
 */
channels: Array<ChannelStat>, 
/**
 * Messages received in all.
 */
total: number, 
/**
 * Messages received but never sent to the view in a batch.
 */
dropped: number, 
/**
 * The most recent messages, oldest first (empty in `channel_batch` events).
 */
recent: Array<Message>, 
/**
 * Whether the subscriber connection is up.
 */
connected: boolean, 
/**
 * The monitored channels.
 */
subscribed_channels: Array<string>, 
/**
 * The monitored patterns.
 */
subscribed_patterns: Array<string>, };

/**
 * A session's state and counts.
 */
export type MonitorStatus = { state: MonitorState, 
/**
 * The time box, in seconds.
 */
seconds: number, 
/**
 * When it started and when it ends (or ended), ms since the Unix epoch; 0 before a start.
 */
started_ms: number, ends_ms: number, 
/**
 * Lines seen since the start (every one, kept or not).
 */
seen: number, 
/**
 * Lines in the buffer now, and the most it keeps.
 */
buffered: number, capacity: number, 
/**
 * Lines seen but never sent in an event (too many at once); still in `seen`.
 */
not_sent: number, 
/**
 * The masters watched.
 */
nodes: Array<string>, error?: string, };

/**
 * Reply of `command_monitor_start`, `command_monitor` and `command_monitor_stop`.
 */
export type MonitorView = { status: MonitorStatus, 
/**
 * Buffered lines matching the filter: how many in all, and the newest of them, oldest first.
 */
matched: number, lines: Array<MonitorLine>, };

/**
 * One namespace (a prefix ending with the separator) and the keys below it, at any depth.
 */
export type NamespaceStat = { 
/**
 * The prefix, separator included (`market:ticker:`).
 */
prefix: Bytes, 
/**
 * 1 for a top-level namespace.
 */
depth: number, 
/**
 * Keys below, with their bytes and elements.
 */
totals: Totals, 
/**
 * Keys below without a TTL.
 */
no_ttl: number, };

/**
 * One element of a new collection: a list item or set member (`value`), a hash field or
 * stream field (`field` + `value`), a sorted-set member (`value` + `score`).
 */
export type NewElement = { value?: string, value_b64?: string, field?: string, field_b64?: string, score?: number, };

/**
 * The type of a new key.
 */
export type NewKeyType = "string" | "hash" | "list" | "set" | "zset" | "stream" | "json";

/**
 * The request of operations that take no arguments.
 */
export type NoArgs = Record<symbol, never>;

/**
 * The latency picture of one master.
 */
export type NodeLatency = { node: string, 
/**
 * `latency-monitor-threshold` in ms (0: the monitor is off); absent when CONFIG is refused.
 */
threshold_ms?: number, events: Array<LatencyEvent>, 
/**
 * `LATENCY DOCTOR`'s report.
 */
doctor: string, };

/**
 * Query of `metrics` with an optional node: `metrics?node=127.0.0.1:7001`.
 */
export type NodeMetricsQuery = { 
/**
 * How far back, in seconds (default 300; at most 3,600 for one node).
 */
range_s?: number, 
/**
 * How many points at most (default 300).
 */
points?: number, 
/**
 * A master's `host:port` (from `nodes` of a `metrics` reply); none for the cluster total.
 */
node?: string, };

/**
 * One pending entry of a group.
 */
export type PendingEntry = { 
/**
 * Entry id.
 */
id: string, 
/**
 * Consumer holding it.
 */
consumer: string, 
/**
 * Milliseconds since it was last delivered.
 */
idle_ms: number, 
/**
 * How many times it was delivered.
 */
deliveries: number, };

/**
 * Query of `stream_pending`.
 */
export type PendingQuery = { 
/**
 * Consumer group.
 */
group: string, 
/**
 * Most entries (default 100).
 */
count?: number, 
/**
 * First pending ID of the page (default `-`; `(id` starts after `id`).
 */
start?: string, 
/**
 * Only entries held by this consumer.
 */
consumer?: string, 
/**
 * Only entries idle at least this long.
 */
min_idle_ms?: number, 
/**
 * The key as UTF-8 text.
 */
key?: string, 
/**
 * The key as base64 (binary keys).
 */
key_b64?: string, };

/**
 * A preset and its value (exchange name, symbol, strategy, date).
 */
export type Preset = { kind: PresetKind, value: string, };

/**
 * The market-data invalidation presets, each expanding to key patterns.
 */
export type PresetKind = "exchange" | "symbol" | "signals" | "features_symbol" | "features_date";

/**
 * An item and a number: a Top-K count, a Count-Min estimate, or a check/add answer (1 yes / 0 no).
 */
export type ProbCount = { item: string, value: number, };

/**
 * One `*.INFO` figure.
 */
export type ProbField = { name: string, value: JsonValue, };

/**
 * A probabilistic key's figures.
 */
export type ProbInfo = { key: Bytes, kind: ProbKind, 
/**
 * `BF.INFO` / `CF.INFO` / `CMS.INFO` / `TOPK.INFO`, field by field as the module names them.
 */
info: Array<ProbField>, 
/**
 * Top-K only: the items held, with their counts (at most 1000).
 */
top: Array<ProbCount>, };

/**
 * Which probabilistic structure a key holds.
 */
export type ProbKind = "bloom" | "cuckoo" | "count_min" | "top_k";

/**
 * What `prob_op` does with the items.
 */
export type ProbOp = "check" | "add";

/**
 * Request of `prob_info`.
 */
export type ProbQuery = { key?: string, key_b64?: string, };

/**
 * Reply of `prob_op`: one answer per item, and the key's figures afterwards.
 */
export type ProbReply = { 
/**
 * Check: 1 may be in / 0 surely not (Count-Min: the estimate). Add: 1 newly added / 0 not
 * (Count-Min: the new estimate; Top-K: 1 when it pushed another item out).
 */
results: Array<ProbCount>, info: ProbInfo, };

/**
 * Request of `prob_op`.
 */
export type ProbRequest = { key?: string, key_b64?: string, op: ProbOp, 
/**
 * The items (1 to 1000).
 */
items: Array<string>, };

/**
 * A saved connection. Never holds a password: `has_password` says whether one is stored.
 */
export type Profile = { 
/**
 * Unique name.
 */
name: string, 
/**
 * `redis://host:port/db`, `rediss://…`, `unix://…`, `redis+cluster://…`, `redis+sentinel://…`
 * — without a password.
 */
url: string, 
/**
 * ACL user name (overrides the URL's).
 */
username?: string, 
/**
 * Use TLS even for a `redis://` URL.
 */
tls: boolean, 
/**
 * Skip TLS certificate verification (self-signed servers).
 */
tls_insecure: boolean, 
/**
 * Check the server certificate's CA but not its host name (a server reached through an
 * SSH tunnel, or by an address its certificate does not list).
 */
tls_verify_ca_only?: boolean, 
/**
 * Database index (overrides the URL's).
 */
db?: number, 
/**
 * Refuse writes on this connection.
 */
read_only: boolean, 
/**
 * Key namespace separator for the tree.
 */
separator: string, 
/**
 * Whether a password is stored for it (ignored on input).
 */
has_password: boolean, 
/**
 * Whether a Sentinel password is stored for it (ignored on input).
 */
has_sentinel_password: boolean, 
/**
 * Reach the server through this SSH server.
 */
ssh?: ProfileSsh, 
/**
 * PEM file of the CA that signed the server's certificate (stored by path).
 */
tls_ca?: string, 
/**
 * PEM client certificate for servers that require one (`tls-auth-clients yes`).
 */
tls_cert?: string, 
/**
 * PEM private key of the client certificate: unencrypted, or encrypted PKCS#8 with its
 * passphrase stored like a password (see `has_tls_key_passphrase`).
 */
tls_key?: string, 
/**
 * Whether a passphrase for `tls_key` is stored (ignored on input).
 */
has_tls_key_passphrase: boolean, 
/**
 * A label shown beside the name (`production`, `staging`, ...).
 */
label?: string, 
/**
 * A colour for the profile, `#rrggbb`.
 */
color?: string, 
/**
 * The dashboard's alert thresholds for this connection; none: the defaults (on save, none
 * keeps the saved ones: `alert_thresholds_set` changes them).
 */
alerts?: Thresholds, };

/**
 * The text of an exported connections file to import.
 */
export type ProfileImport = { 
/**
 * The file's contents: RedisInsight's JSON export or Another Redis Desktop Manager's
 * `connections.ano` (base64).
 */
text: string, };

/**
 * A profile with an optional password, as `profile_save` and `profile_test` take it.
 */
export type ProfileInput = { 
/**
 * New password; `None` keeps the stored one, `""` removes it.
 */
password?: string, 
/**
 * New SSH password or key passphrase; `None` keeps the stored one, `""` removes it.
 */
ssh_secret?: string, 
/**
 * New passphrase of the TLS client key; `None` keeps the stored one, `""` removes it.
 */
tls_key_passphrase?: string, 
/**
 * The `SHA256:…` fingerprint of an SSH host key the user accepted after a test reported it
 * unknown; the connection records it in Redscope's known_hosts.
 */
accept_host_key?: string, 
/**
 * New password of the Sentinels (`redis+sentinel://` URLs); `None` keeps the stored one,
 * `""` removes it.
 */
sentinel_password?: string, 
/**
 * Unique name.
 */
name: string, 
/**
 * `redis://host:port/db`, `rediss://…`, `unix://…`, `redis+cluster://…`, `redis+sentinel://…`
 * — without a password.
 */
url: string, 
/**
 * ACL user name (overrides the URL's).
 */
username?: string, 
/**
 * Use TLS even for a `redis://` URL.
 */
tls: boolean, 
/**
 * Skip TLS certificate verification (self-signed servers).
 */
tls_insecure: boolean, 
/**
 * Check the server certificate's CA but not its host name (a server reached through an
 * SSH tunnel, or by an address its certificate does not list).
 */
tls_verify_ca_only?: boolean, 
/**
 * Database index (overrides the URL's).
 */
db?: number, 
/**
 * Refuse writes on this connection.
 */
read_only: boolean, 
/**
 * Key namespace separator for the tree.
 */
separator: string, 
/**
 * Whether a password is stored for it (ignored on input).
 */
has_password: boolean, 
/**
 * Whether a Sentinel password is stored for it (ignored on input).
 */
has_sentinel_password: boolean, 
/**
 * Reach the server through this SSH server.
 */
ssh?: ProfileSsh, 
/**
 * PEM file of the CA that signed the server's certificate (stored by path).
 */
tls_ca?: string, 
/**
 * PEM client certificate for servers that require one (`tls-auth-clients yes`).
 */
tls_cert?: string, 
/**
 * PEM private key of the client certificate: unencrypted, or encrypted PKCS#8 with its
 * passphrase stored like a password (see `has_tls_key_passphrase`).
 */
tls_key?: string, 
/**
 * Whether a passphrase for `tls_key` is stored (ignored on input).
 */
has_tls_key_passphrase: boolean, 
/**
 * A label shown beside the name (`production`, `staging`, ...).
 */
label?: string, 
/**
 * A colour for the profile, `#rrggbb`.
 */
color?: string, 
/**
 * The dashboard's alert thresholds for this connection; none: the defaults (on save, none
 * keeps the saved ones: `alert_thresholds_set` changes them).
 */
alerts?: Thresholds, };

/**
 * A saved profile's name.
 */
export type ProfileName = { 
/**
 * The profile's name.
 */
name: string, };

/**
 * The SSH tunnel of a profile. Its password or key passphrase is never here: see `has_secret`.
 */
export type ProfileSsh = { 
/**
 * SSH server host.
 */
host: string, 
/**
 * SSH port (22 usually).
 */
port: number, 
/**
 * SSH user.
 */
user: string, 
/**
 * Password, key or agent.
 */
auth: SshAuthKind, 
/**
 * The private key file, for `key`.
 */
key_path?: string, 
/**
 * A jump host in front of `host`, `[user@]host[:port]`, logged into with the same
 * credentials.
 */
jump?: string, 
/**
 * Whether an SSH password or key passphrase is stored (ignored on input).
 */
has_secret: boolean, };

/**
 * Result of `profile_test`.
 */
export type ProfileTest = { 
/**
 * Whether the server answered.
 */
ok: boolean, 
/**
 * PING round trip.
 */
latency_ms?: number, 
/**
 * `redis_version`.
 */
version?: string, 
/**
 * Why it failed.
 */
error?: TestError, 
/**
 * The SSH host key to show when it is unknown (`ssh_host_key_unknown`: ask the user to
 * accept its fingerprint) or changed (`ssh_host_key_changed`: refused).
 */
host_key?: HostKey, };

/**
 * `{receivers}`: how many subscribers got the message.
 */
export type PublishReply = { 
/**
 * Subscribers that received it.
 */
receivers: number, };

/**
 * `{channel, message}` for `publish`.
 */
export type PublishRequest = { 
/**
 * Channel name.
 */
channel: string, 
/**
 * Message text.
 */
message: string, };

/**
 * Reply of `pubsub_counts`.
 */
export type PubsubCounts = { 
/**
 * Channels with at least one subscriber (PUBSUB CHANNELS + NUMSUB), most subscribed first.
 */
channels: Array<ChannelSubscribers>, 
/**
 * Pattern subscriptions (PUBSUB NUMPAT, summed over the masters).
 */
patterns: number, 
/**
 * Sharded channels (PUBSUB SHARDCHANNELS + SHARDNUMSUB); empty before Redis 7.
 */
shard_channels: Array<ChannelSubscribers>, 
/**
 * False when the server has no sharded pub/sub (before Redis 7).
 */
sharded: boolean, 
/**
 * True when more channels matched than are listed.
 */
truncated: boolean, 
/**
 * The masters asked.
 */
nodes: Array<string>, };

/**
 * Query of `pubsub_counts`.
 */
export type PubsubQuery = { 
/**
 * Only channels matching this glob (default `*`).
 */
pattern?: string, };

/**
 * `FT.SEARCH` or `FT.AGGREGATE`.
 */
export type QueryKind = "search" | "aggregate";

/**
 * How many recent messages per channel `monitor_stats` returns.
 */
export type RecentQuery = { 
/**
 * Messages per channel (default and bound set by the monitor).
 */
recent: number | null, };

/**
 * Reply of `key_rename`.
 */
export type Renamed = { key: Bytes, };

/**
 * A reply, typed as the server sent it.
 */
export type Reply = { "type": "nil" } | { "type": "int", "value": number } | { "type": "string", "value": string } | { "type": "bulk", "value": Bytes } | { "type": "error", "value": string } | { "type": "array", "value": Array<Reply> } | { "type": "map", "value": Array<[Reply, Reply]> } | { "type": "set", "value": Array<Reply> } | { "type": "double", "value": JsonValue } | { "type": "bool", "value": boolean } | { "type": "verbatim", "value": { format: string, text: string, } };

/**
 * A saved run's id.
 */
export type SavedId = { id: string, };

/**
 * A saved run, as listed.
 */
export type SavedRun = { 
/**
 * Identifier for `memory_saved_report`, `memory_compare` and deletion.
 */
id: string, name: string, 
/**
 * When it was saved, epoch ms.
 */
saved_ms: number, 
/**
 * The connection it was measured on (password removed).
 */
url: string, mode: string, extrapolated: boolean, total: Totals, };

/**
 * A sorted-set member and its score.
 */
export type ScoredMember = { member: Bytes, score: number, };

/**
 * Request of `search_create`.
 */
export type SearchCreate = { name: string, 
/**
 * `hash` or `json`.
 */
on: string, 
/**
 * Key prefixes to index (none: every key of that type).
 */
prefixes?: Array<string>, 
/**
 * The schema (at least one attribute).
 */
fields: Array<IndexField>, 
/**
 * Indexing scans every matching key: say yes.
 */
confirm?: boolean, };

/**
 * Request of `search_drop`.
 */
export type SearchDrop = { name: string, 
/**
 * Also delete the indexed documents (`DD`).
 */
delete_docs?: boolean, confirm?: boolean, };

/**
 * Reply of `search_drop`.
 */
export type SearchDropped = { name: string, 
/**
 * Documents it held when dropped (deleted with it when `delete_docs`).
 */
num_docs: number, };

/**
 * An index and its figures, from `FT.INFO`.
 */
export type SearchIndex = { name: string, 
/**
 * `HASH` or `JSON`.
 */
on: string, 
/**
 * Key prefixes it indexes.
 */
prefixes: Array<string>, fields: Array<IndexField>, 
/**
 * Documents indexed.
 */
num_docs: number, 
/**
 * Index memory in MB (inverted index, offsets, doc and key tables).
 */
memory_mb: number, 
/**
 * True while the initial scan is still indexing.
 */
indexing: boolean, 
/**
 * Share of the keyspace scanned, 0 to 1.
 */
percent_indexed: number, 
/**
 * Documents that failed to index.
 */
failures: number, };

/**
 * Request of `search_query`.
 */
export type SearchQuery = { index: string, 
/**
 * The query (`*` for all, `@rsi_14:[(70 +inf]`, ...).
 */
query: string, kind?: QueryKind, 
/**
 * `aggregate`: the pipeline after the query (`GROUPBY 1 @sym REDUCE COUNT 0 AS n`).
 */
pipeline?: string, 
/**
 * First result (default 0).
 */
offset?: number, 
/**
 * Results per page (default 10, max 100).
 */
limit?: number, 
/**
 * `search`: sort by this attribute.
 */
sort_by?: string, 
/**
 * With `sort_by`: descending.
 */
desc?: boolean, 
/**
 * `search`: mark the matched terms of text fields with `<b>…</b>`.
 */
highlight?: boolean, 
/**
 * Run through `FT.PROFILE` and return its timings.
 */
profile?: boolean, };

/**
 * Reply of `search_query`.
 */
export type SearchReply = { 
/**
 * Matching documents (`search`) or result groups (`aggregate`).
 */
total: number, offset: number, 
/**
 * The union of the rows' field names, in first-seen order (the table's columns).
 */
columns: Array<string>, rows: Array<SearchRow>, 
/**
 * Round trip of the query in ms.
 */
took_ms: number, 
/**
 * `FT.PROFILE`'s report as it came.
 */
profile: JsonValue | null, 
/**
 * Its total time in ms.
 */
profile_ms: number | null, };

/**
 * One result row.
 */
export type SearchRow = { 
/**
 * The document's key (`search`; none for aggregate rows).
 */
id: string | null, 
/**
 * Field name and value, in reply order.
 */
fields: Array<[string, string]>, };

/**
 * Request of `select_db`.
 */
export type SelectDb = { 
/**
 * The database index.
 */
db: number, };

/**
 * One OHLCV bar.
 */
export type SeriesBar = { 
/**
 * Bar start, epoch milliseconds.
 */
ts_ms: number, 
/**
 * First price.
 */
open: number, 
/**
 * Highest price.
 */
high: number, 
/**
 * Lowest price.
 */
low: number, 
/**
 * Last price.
 */
close: number, 
/**
 * Traded volume.
 */
volume: number, };

/**
 * One point of a metric series.
 */
export type SeriesPoint = { 
/**
 * Epoch milliseconds.
 */
ts_ms: number, 
/**
 * The value.
 */
value: number, };

/**
 * `GET /api/series` parameters.
 */
export type SeriesQuery = { 
/**
 * The key: `ts:{name}` or `ohlcv:{symbol}:{timeframe}`.
 */
key: string, 
/**
 * Newest points or bars to return (default 500, max 10,000).
 */
count?: number, };

/**
 * `GET /api/series` answer.
 */
export type SeriesReply = { 
/**
 * The key read.
 */
key: string, 
/**
 * `points` (a `ts:` series) or `ohlcv`.
 */
kind: string, 
/**
 * Total members in the key.
 */
total: number, 
/**
 * Points in time order (kind `points`).
 */
points: Array<SeriesPoint>, 
/**
 * Bars in time order (kind `ohlcv`).
 */
bars: Array<SeriesBar>, 
/**
 * `get_stats` over the whole series (kind `points`).
 */
stats: SeriesStats | null, 
/**
 * True when the key holds more than `count` members (only the newest are returned).
 */
truncated: boolean, };

/**
 * Aggregates over a range.
 */
export type SeriesStats = { 
/**
 * Points in the range.
 */
count: number, 
/**
 * Smallest value.
 */
min: number | null, 
/**
 * Largest value.
 */
max: number | null, 
/**
 * Mean value.
 */
avg: number | null, 
/**
 * The value of the latest point.
 */
last: number | null, 
/**
 * Time of the earliest point (epoch ms).
 */
first_ts_ms: number | null, 
/**
 * Time of the latest point (epoch ms).
 */
last_ts_ms: number | null, };

/**
 * Request of `server_action`.
 */
export type ServerAction = { action: ServerActionKind, };

/**
 * Which background persistence to start.
 */
export type ServerActionKind = "bgsave" | "bgrewriteaof";

/**
 * Reply of `modules`: the server product and what the modules let the UI offer.
 */
export type ServerModules = { 
/**
 * `redis` or `valkey` (INFO's `server_name`; Redis 7.0 has none and is `redis`).
 */
server: string, 
/**
 * The product's version (`valkey_version` on Valkey, else `redis_version`).
 */
version: string | null, 
/**
 * Every loaded module (empty when there are none or `MODULE LIST` is not allowed).
 */
modules: Array<ModuleInfo>, 
/**
 * RedisJSON is loaded: JSON documents can be read and edited by path.
 */
json: boolean, 
/**
 * RediSearch is loaded: the search workbench works.
 */
search: boolean, 
/**
 * RedisBloom is loaded: Bloom, Cuckoo, Count-Min and Top-K keys open.
 */
bloom: boolean, };

/**
 * An alert on a client.
 */
export type ServiceAlert = { 
/**
 * Warning or critical.
 */
level: AlertLevel, 
/**
 * `breaker_open`, `breaker_half_open`, `low_hit_rate` or `service_gone`.
 */
code: string, 
/**
 * What is wrong, with the figures.
 */
message: string, 
/**
 * The client's hash key.
 */
key: string, };

/**
 * One library client, as its telemetry hash describes it.
 */
export type ServiceInfo = { 
/**
 * `redscope:clients:{service}:{instance}`.
 */
key: string, 
/**
 * The service name.
 */
service: string, 
/**
 * The instance name.
 */
instance: string, 
/**
 * Library version.
 */
version: string, 
/**
 * Host name.
 */
host: string, 
/**
 * Process id.
 */
pid: number | null, 
/**
 * Live or gone.
 */
status: ServiceStatus, 
/**
 * Seconds since the client started.
 */
uptime_s: number, 
/**
 * Reporting interval.
 */
interval_ms: number, 
/**
 * When the hash was last written (the client's clock).
 */
updated_ms: number, 
/**
 * When a heartbeat was last seen here (this service's clock), if any.
 */
heartbeat_ms: number | null, 
/**
 * Time left before the hash expires.
 */
ttl_ms: number, 
/**
 * Cache reads per data type.
 */
types: Array<TypeFigures>, 
/**
 * Circuit breakers.
 */
breakers: Array<BreakerFigures>, 
/**
 * Rate limiters.
 */
rate_limits: Array<LimitFigures>, 
/**
 * Lock managers.
 */
locks: Array<LockFigures>, 
/**
 * Consumer groups.
 */
groups: Array<GroupFigures>, 
/**
 * The client's TTL policy where it differs from the defaults (data type → ms).
 */
ttl_overrides: { [key in string]: number }, 
/**
 * Alerts on this client.
 */
alerts: Array<ServiceAlert>, };

/**
 * Whether a client still reports.
 */
export type ServiceStatus = "live" | "gone";

/**
 * `services`: the set of library clients or their liveness changed.
 */
export type ServicesEvent = { 
/**
 * Every client with its figures.
 */
services: Array<ServiceInfo>, 
/**
 * Their alerts.
 */
alerts: Array<ServiceAlert>, };

/**
 * `GET /api/services`.
 */
export type ServicesReply = { 
/**
 * Every client, by service then instance.
 */
services: Array<ServiceInfo>, 
/**
 * Every client's alerts together.
 */
alerts: Array<ServiceAlert>, 
/**
 * True when more than [`MAX_SERVICES`] hashes exist (the rest are not listed).
 */
truncated: boolean, };

/**
 * The view the UI shows a key in instead of the raw value; serialised as the UI's names
 * (`candles`, `series`, `quotes`, `signals`, `features`).
 */
export type Shape = "candles" | "series" | "quotes" | "signals" | "features";

/**
 * One slow command.
 */
export type SlowlogEntry = { id: number, 
/**
 * When it ran, Unix seconds.
 */
at_s: number, duration_us: number, 
/**
 * The command and its arguments (as the server kept them: long ones are cut).
 */
args: Array<string>, client: string | null, client_name: string | null, 
/**
 * The master that logged it.
 */
node: string, };

/**
 * Request of `slowlog`.
 */
export type SlowlogQuery = { count?: number, };

/**
 * How an SSH server is logged into.
 */
export type SshAuthKind = "password" | "key" | "agent";

/**
 * Request of `stream_ack`.
 */
export type StreamAck = { group: string, 
/**
 * The pending entries to acknowledge.
 */
ids: Array<string>, 
/**
 * The key as UTF-8 text.
 */
key?: string, 
/**
 * The key as base64 (binary keys).
 */
key_b64?: string, };

/**
 * Request of `stream_add`.
 */
export type StreamAdd = { 
/**
 * The new entry's ID (`*`, the default: the server's clock; `ms-*`: a sequence for `ms`).
 */
id?: string, 
/**
 * Field/value pairs (`field` / `field_b64` and `value` / `value_b64` of each).
 */
fields: Array<NewElement>, 
/**
 * The key as UTF-8 text.
 */
key?: string, 
/**
 * The key as base64 (binary keys).
 */
key_b64?: string, };

/**
 * Reply of `stream_add`.
 */
export type StreamAdded = { 
/**
 * The ID the entry got.
 */
id: string, 
/**
 * Entries in the stream afterwards.
 */
length: number, };

/**
 * Request of `stream_claim`: XCLAIM the given IDs, or without IDs XAUTOCLAIM from `start`.
 */
export type StreamClaim = { group: string, 
/**
 * The consumer the entries go to.
 */
consumer: string, 
/**
 * Only entries idle at least this long (default 0).
 */
min_idle_ms?: number, 
/**
 * XCLAIM these pending entries (empty or absent: XAUTOCLAIM).
 */
ids?: Array<string>, 
/**
 * XAUTOCLAIM: where the scan of the pending list starts (default `0-0`).
 */
start?: string, 
/**
 * XAUTOCLAIM: most entries claimed (default 100).
 */
count?: number, 
/**
 * The key as UTF-8 text.
 */
key?: string, 
/**
 * The key as base64 (binary keys).
 */
key_b64?: string, };

/**
 * Request of `stream_delete`: entries to XDEL.
 */
export type StreamDelete = { 
/**
 * The entries' IDs.
 */
ids: Array<string>, 
/**
 * Deleting entries cannot be undone: must be `true`.
 */
confirm?: boolean, 
/**
 * The key as UTF-8 text.
 */
key?: string, 
/**
 * The key as base64 (binary keys).
 */
key_b64?: string, };

/**
 * `stream_entries`: new entries of a live-tailed stream.
 */
export type StreamEntriesEvent = { 
/**
 * The tail that read them.
 */
tail_id: number, 
/**
 * The stream key.
 */
key: Bytes, 
/**
 * Entries in id order.
 */
entries: Array<StreamEntry>, };

/**
 * One stream entry: `{id, fields: [[field, value]]}`, made from the library's parsed entry
 * (`redscope::stream::RawEntry`) for pages, live tails and the key browser alike.
 */
export type StreamEntry = { 
/**
 * Entry id (`ms-seq`).
 */
id: string, 
/**
 * Field/value pairs in order.
 */
fields: Array<[Bytes, Bytes]>, };

/**
 * Request of `stream_export`.
 */
export type StreamExport = { 
/**
 * First entry: an ID (`ms-seq` or `ms`), `(id` to start after it, a UTC time (RFC 3339, or
 * `YYYY-MM-DD HH:MM:SS[.fff]`), or `-` (the default: the first entry).
 */
start?: string, 
/**
 * Last entry, in the same forms; `+` (the default) is the last entry.
 */
end?: string, 
/**
 * Most entries written, from the start of the range (default: all of the range).
 */
count?: number, 
/**
 * `jsonl` (the default) or `csv`.
 */
format?: string, 
/**
 * File name in the export directory (default `stream-<time>.<ext>`); an existing file is
 * refused unless `overwrite`.
 */
file?: string, 
/**
 * Replace an existing file of that name.
 */
overwrite?: boolean, 
/**
 * The key as UTF-8 text.
 */
key?: string, 
/**
 * The key as base64 (binary keys).
 */
key_b64?: string, };

/**
 * Request of `stream_group`.
 */
export type StreamGroup = { 
/**
 * What to do.
 */
action: GroupAction, 
/**
 * The group.
 */
group: string, 
/**
 * `create` / `setid`: the ID (`$` the last entry, `0` the beginning).
 */
id?: string, 
/**
 * `create_consumer` / `del_consumer`: the consumer.
 */
consumer?: string, 
/**
 * `create`: create the stream when missing.
 */
mkstream?: boolean, 
/**
 * `destroy` / `del_consumer` lose pending entries: must be `true`.
 */
confirm?: boolean, 
/**
 * The key as UTF-8 text.
 */
key?: string, 
/**
 * The key as base64 (binary keys).
 */
key_b64?: string, };

/**
 * `XINFO STREAM` plus its groups and their consumers.
 */
export type StreamInfo = { 
/**
 * The key.
 */
key: Bytes, 
/**
 * Entries in the stream.
 */
length: number, 
/**
 * Id of the first entry.
 */
first_id: string | null, 
/**
 * Id of the last entry.
 */
last_id: string | null, 
/**
 * `last-generated-id`.
 */
last_generated_id: string | null, 
/**
 * Consumer groups.
 */
groups: Array<GroupInfo>, };

/**
 * A page of stream keys: `{cursor, keys}` (`cursor` "0" when done).
 */
export type StreamKeys = { 
/**
 * Opaque cursor for the next page, `"0"` when finished.
 */
cursor: string, 
/**
 * Stream keys of this page.
 */
keys: Array<Bytes>, };

/**
 * What a stream range export reads: the stream and its bounds as Redis was asked.
 */
export type StreamRange = { 
/**
 * The stream.
 */
key: Bytes, 
/**
 * First ID as given to `XRANGE` (a time is turned into its millisecond).
 */
start: string, 
/**
 * Last ID as given to `XRANGE`.
 */
end: string, 
/**
 * Most entries, when capped.
 */
count?: number, };

/**
 * Reply of `stream_delete` and `stream_trim`.
 */
export type StreamRemoved = { 
/**
 * Entries removed.
 */
removed: number, 
/**
 * Entries in the stream afterwards.
 */
length: number, };

/**
 * Request of `stream_trim`.
 */
export type StreamTrim = { 
/**
 * MAXLEN or MINID.
 */
by: TrimBy, 
/**
 * A length (MAXLEN) or an entry ID (MINID).
 */
threshold: string, 
/**
 * `~`: trim whole macro nodes only (faster, may keep a few more entries).
 */
approximate?: boolean, 
/**
 * Trimming cannot be undone: must be `true`.
 */
confirm?: boolean, 
/**
 * The key as UTF-8 text.
 */
key?: string, 
/**
 * The key as base64 (binary keys).
 */
key_b64?: string, };

/**
 * Query of `streams`: with a key, that stream's info; without, a page of stream keys.
 */
export type StreamsQuery = { 
/**
 * Cursor of the key listing.
 */
cursor?: string, 
/**
 * Page size of the key listing.
 */
count?: number, 
/**
 * The key as UTF-8 text.
 */
key?: string, 
/**
 * The key as base64 (binary keys).
 */
key_b64?: string, };

/**
 * What `streams` answers: a key page, or one stream's info.
 */
export type StreamsReply = StreamKeys | StreamInfo;

/**
 * A live tail's id (`/stream/tail/{tail_id}`).
 */
export type TailId = { 
/**
 * The id `stream_tail` answered with (a number, as it answered it).
 */
tail_id: number, };

/**
 * Body of `stream_tail`.
 */
export type TailRequest = { 
/**
 * Read entries after this id (default `$`: only new ones).
 */
from?: string, 
/**
 * The key as UTF-8 text.
 */
key?: string, 
/**
 * The key as base64 (binary keys).
 */
key_b64?: string, };

/**
 * `{tail_id}` of a started tail.
 */
export type TailStarted = { 
/**
 * Id to stop it with.
 */
tail_id: number, };

/**
 * `{code, message}` of a failed test.
 */
export type TestError = { 
/**
 * `connection` (refused/unreachable), `timeout`, `auth`, `tls`, `config`, ...
 */
code: string, 
/**
 * What went wrong, without secrets.
 */
message: string, };

/**
 * The health alert thresholds [`alerts_with`] applies; the default is the seeds' (hit rate
 * < 50 %, memory > 80 % / 95 % of maxmemory, more than 50 clients). Whole percentages, so a
 * saved set compares and reads exactly.
 */
export type Thresholds = { 
/**
 * A hit rate below this percentage warns (0 turns the alert off).
 */
hit_rate_warning_pct: number, 
/**
 * Memory above this percentage of `maxmemory` warns.
 */
memory_warning_pct: number, 
/**
 * Memory above this percentage of `maxmemory` is critical.
 */
memory_critical_pct: number, 
/**
 * More connected clients than this warns.
 */
clients_warning: number, };

/**
 * Which kind of deployment a [`Conn`] talks to.
 */
export type TopologyKind = "standalone" | "cluster" | "sentinel";

/**
 * Totals of a group of keys.
 */
export type Totals = { 
/**
 * Keys.
 */
keys: number, 
/**
 * Bytes, as MEMORY USAGE reports them.
 */
bytes: number, 
/**
 * Elements: bytes of a string value, items of a list, fields of a hash, members of a set or
 * sorted set, entries of a stream.
 */
elements: number, };

/**
 * A file in the export directory.
 */
export type TransferFile = { name: string, bytes: number, 
/**
 * Last change, epoch ms.
 */
modified_ms: number, 
/**
 * `dump`, `commands`, `jsonl`, `csv`, or `other` (by content and name).
 */
format: string, };

/**
 * The export directory's files.
 */
export type TransferFiles = { 
/**
 * Where they are (on the machine running Redscope).
 */
dir: string, 
/**
 * Newest first.
 */
files: Array<TransferFile>, };

/**
 * An export or import job.
 */
export type TransferJob = { id: string, 
/**
 * `export` or `import`.
 */
kind: string, state: JobState, 
/**
 * `dump`, `commands`, `jsonl` or `csv`.
 */
format: string, 
/**
 * The file's name in the export directory.
 */
file: string, 
/**
 * Import: nothing is written.
 */
dry_run: boolean, 
/**
 * Import: `skip`, `replace` or `fail`.
 */
policy?: string, 
/**
 * Keys exported; keys imported (or, in a dry run, that would be).
 */
keys: number, 
/**
 * Export: keys expected (DBSIZE of the masters, or the selection), for a progress bar; a
 * stream range: entries expected (estimated from the share of the stream's time span the
 * range covers; exact for the whole stream).
 */
expected: number, 
/**
 * Stream range export: entries written.
 */
entries: number, 
/**
 * Stream range export: the stream and the range read.
 */
stream?: StreamRange, 
/**
 * File bytes written (export) or read (import).
 */
done_bytes: number, 
/**
 * Import: the file's size.
 */
total_bytes: number, 
/**
 * Import: keys of the file that already exist.
 */
conflicts: number, 
/**
 * Import: existing keys left alone (policy skip).
 */
skipped: number, 
/**
 * Import: existing keys overwritten (policy replace).
 */
replaced: number, 
/**
 * Import: keys whose expiry had passed (not written).
 */
expired: number, 
/**
 * Export: keys deleted between SCAN and reading them, or selected keys that do not exist.
 */
gone: number, 
/**
 * Export (JSON lines, CSV, commands): keys of types those formats cannot hold (module
 * types); the dump format keeps them.
 */
unsupported: number, 
/**
 * Import: commands or keys Redis refused.
 */
errors: number, 
/**
 * The first refusals, `key: message`.
 */
error_samples: Array<string>, 
/**
 * Import: the `redis_version` the dump file was made on.
 */
source_version?: string, error?: string, started_ms: number, finished_ms?: number, };

/**
 * A child of a tree level: a namespace (with `count` keys below) or a key.
 */
export type TreeChild = { 
/**
 * The name between the prefix and the next separator (display text).
 */
name: string, 
/**
 * The child's own prefix (for a namespace) or the full key (for a key), display text.
 */
prefix: string, 
/**
 * The same prefix, base64: pass it back as `prefix_b64` to open a binary namespace.
 */
prefix_b64: string, 
/**
 * Number of keys below (1 for a key).
 */
count: number, 
/**
 * Set when the child is itself a key.
 */
key?: Bytes, };

/**
 * One level of the namespace tree.
 */
export type TreeLevel = { 
/**
 * The level's prefix (display text; `\xNN` escapes when binary).
 */
prefix: string, 
/**
 * The level's prefix, base64.
 */
prefix_b64: string, 
/**
 * The separator used.
 */
separator: string, 
/**
 * False while the scan is still running; call again for more.
 */
complete: boolean, 
/**
 * Keys the scan has returned so far (before the prefix filter).
 */
scanned: number, 
/**
 * Keys found under the prefix so far.
 */
total_keys: number, 
/**
 * The next level, sorted by name.
 */
children: Array<TreeChild>, 
/**
 * Keys under children not listed because the level has more than [`MAX_CHILDREN`] names.
 */
omitted: number, };

/**
 * `tree_progress`: more of a namespace tree level has been scanned.
 */
export type TreeProgressEvent = { 
/**
 * The level's prefix.
 */
prefix: string, 
/**
 * The separator the tree splits keys on.
 */
separator: string, 
/**
 * Keys seen so far under this prefix.
 */
total_keys: number, 
/**
 * Keys scanned so far.
 */
scanned: number, 
/**
 * Whether the scan is finished.
 */
complete: boolean, };

/**
 * Request of `tree`.
 */
export type TreeQuery = { 
/**
 * The level's prefix, separator included (`"market:"`); empty for the top level.
 */
prefix?: string, 
/**
 * The prefix as base64, for binary prefixes.
 */
prefix_b64?: string, 
/**
 * Namespace separator (default `:`); several separated by spaces (`": /"`) split keys
 * at whichever comes first.
 */
separator?: string, 
/**
 * Only keys matching this glob (default: everything under the prefix).
 */
match?: string, 
/**
 * Only keys of this type (`string`, `hash`, ...).
 */
type?: string, };

/**
 * How XTRIM picks what goes.
 */
export type TrimBy = "maxlen" | "minid";

/**
 * Keys and bytes in one TTL bucket.
 */
export type TtlBucket = { 
/**
 * `<1m`, `<1h`, `<1d`, `later` or `never`.
 */
label: string, keys: number, bytes: number, };

/**
 * Reply of `key_ttl`.
 */
export type TtlReply = { ttl_ms: number, };

/**
 * One data type's cache reads in a client.
 */
export type TypeFigures = { 
/**
 * Data type (`ticker`, `orderbook`, `features`, …).
 */
name: string, 
/**
 * Reads that found a value.
 */
hits: number, 
/**
 * Reads that found nothing.
 */
misses: number, 
/**
 * `hits / (hits + misses)`, 0 without reads.
 */
hit_rate: number, };

/**
 * The keys of one type.
 */
export type TypeStat = { 
/**
 * `string`, `hash`, `list`, `set`, `zset`, `stream`, or a module type.
 */
type: string, totals: Totals, 
/**
 * The key using the most memory, and its bytes.
 */
biggest?: Bytes, biggest_bytes: number, 
/**
 * The key with the most elements, and its count.
 */
most_elements?: Bytes, most_elements_count: number, };

/**
 * One page of a value, by type.
 */
export type ValueView = { length: number, offset: number, preview: Bytes, truncated: boolean, decoded?: Decoded, } | { cursor: string, fields: Array<FieldValue>, } | { offset: number, items: Array<Bytes>, next: number | null, } | { cursor: string, members: Array<Bytes>, } | { offset: number, members: Array<ScoredMember>, next: number | null, } | { entries: Array<StreamEntry>, next: string | null, } | { json: JsonValue, truncated: boolean, } | { probabilistic: ProbInfo, } | { unsupported: string, };

/** The HTTP method of an operation in web mode. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Whether an operation writes to Redis: `per_call` depends on its arguments. */
export type Writes = 'no' | 'yes' | 'per_call';

/** How an operation maps onto HTTP in web mode; desktop commands carry the same names. */
export interface Route {
  method: Method;
  path: string;
  writes: Writes;
}

/** Every admin operation with its HTTP route, in the table's order. */
export const ROUTES = {
  health: { method: 'GET', path: '/api/health', writes: 'no' },
  about: { method: 'GET', path: '/api/about', writes: 'no' },
  info: { method: 'GET', path: '/api/info', writes: 'no' },
  tree: { method: 'GET', path: '/api/tree', writes: 'no' },
  keys: { method: 'GET', path: '/api/keys', writes: 'no' },
  keys_meta: { method: 'POST', path: '/api/keys/meta', writes: 'no' },
  key: { method: 'GET', path: '/api/key', writes: 'no' },
  key_set: { method: 'PUT', path: '/api/key', writes: 'yes' },
  key_delete: { method: 'DELETE', path: '/api/key', writes: 'yes' },
  key_ttl: { method: 'POST', path: '/api/key/ttl', writes: 'yes' },
  key_rename: { method: 'POST', path: '/api/key/rename', writes: 'yes' },
  key_create: { method: 'POST', path: '/api/key/create', writes: 'yes' },
  decode: { method: 'POST', path: '/api/decode', writes: 'no' },
  databases: { method: 'GET', path: '/api/databases', writes: 'no' },
  select_db: { method: 'POST', path: '/api/databases/select', writes: 'no' },
  invalidate: { method: 'POST', path: '/api/invalidate', writes: 'per_call' },
  jobs: { method: 'GET', path: '/api/jobs', writes: 'no' },
  job: { method: 'GET', path: '/api/jobs/{id}', writes: 'no' },
  job_cancel: { method: 'DELETE', path: '/api/jobs/{id}', writes: 'no' },
  streams: { method: 'GET', path: '/api/streams', writes: 'no' },
  stream_entries: { method: 'GET', path: '/api/stream/entries', writes: 'no' },
  stream_pending: { method: 'GET', path: '/api/stream/pending', writes: 'no' },
  stream_add: { method: 'POST', path: '/api/stream/add', writes: 'yes' },
  stream_delete: { method: 'POST', path: '/api/stream/delete', writes: 'yes' },
  stream_trim: { method: 'POST', path: '/api/stream/trim', writes: 'yes' },
  stream_group: { method: 'POST', path: '/api/stream/group', writes: 'yes' },
  stream_ack: { method: 'POST', path: '/api/stream/ack', writes: 'yes' },
  stream_claim: { method: 'POST', path: '/api/stream/claim', writes: 'yes' },
  stream_tail: { method: 'POST', path: '/api/stream/tail', writes: 'no' },
  stream_tail_stop: { method: 'DELETE', path: '/api/stream/tail/{tail_id}', writes: 'no' },
  monitor: { method: 'POST', path: '/api/monitor', writes: 'no' },
  monitor_stats: { method: 'GET', path: '/api/monitor', writes: 'no' },
  monitor_stop: { method: 'DELETE', path: '/api/monitor', writes: 'no' },
  pubsub_counts: { method: 'GET', path: '/api/pubsub', writes: 'no' },
  publish: { method: 'POST', path: '/api/publish', writes: 'yes' },
  metrics: { method: 'GET', path: '/api/metrics', writes: 'no' },
  alert_thresholds: { method: 'GET', path: '/api/alerts/thresholds', writes: 'no' },
  alert_thresholds_set: { method: 'PUT', path: '/api/alerts/thresholds', writes: 'no' },
  services: { method: 'GET', path: '/api/services', writes: 'no' },
  findings: { method: 'GET', path: '/api/findings', writes: 'no' },
  findings_job: { method: 'GET', path: '/api/findings/jobs/{id}', writes: 'no' },
  findings_job_cancel: { method: 'DELETE', path: '/api/findings/jobs/{id}', writes: 'no' },
  memory_analyze: { method: 'POST', path: '/api/memory', writes: 'no' },
  memory_jobs: { method: 'GET', path: '/api/memory/jobs', writes: 'no' },
  memory_job: { method: 'GET', path: '/api/memory/jobs/{id}', writes: 'no' },
  memory_job_cancel: { method: 'DELETE', path: '/api/memory/jobs/{id}', writes: 'no' },
  memory_report: { method: 'GET', path: '/api/memory/jobs/{id}/report', writes: 'no' },
  memory_save: { method: 'POST', path: '/api/memory/saved', writes: 'no' },
  memory_saved: { method: 'GET', path: '/api/memory/saved', writes: 'no' },
  memory_saved_report: { method: 'GET', path: '/api/memory/saved/{id}', writes: 'no' },
  memory_saved_delete: { method: 'DELETE', path: '/api/memory/saved/{id}', writes: 'no' },
  memory_compare: { method: 'GET', path: '/api/memory/compare', writes: 'no' },
  export: { method: 'POST', path: '/api/export', writes: 'no' },
  stream_export: { method: 'POST', path: '/api/stream/export', writes: 'no' },
  import: { method: 'POST', path: '/api/import', writes: 'per_call' },
  transfer_jobs: { method: 'GET', path: '/api/transfer/jobs', writes: 'no' },
  transfer_job: { method: 'GET', path: '/api/transfer/jobs/{id}', writes: 'no' },
  transfer_job_cancel: { method: 'DELETE', path: '/api/transfer/jobs/{id}', writes: 'no' },
  transfer_files: { method: 'GET', path: '/api/transfer/files', writes: 'no' },
  transfer_file_read: { method: 'GET', path: '/api/transfer/files/{name}', writes: 'no' },
  transfer_file_write: { method: 'POST', path: '/api/transfer/files/{name}', writes: 'no' },
  hotkeys: { method: 'POST', path: '/api/hotkeys', writes: 'no' },
  hotkeys_jobs: { method: 'GET', path: '/api/hotkeys/jobs', writes: 'no' },
  hotkeys_job: { method: 'GET', path: '/api/hotkeys/jobs/{id}', writes: 'no' },
  hotkeys_job_cancel: { method: 'DELETE', path: '/api/hotkeys/jobs/{id}', writes: 'no' },
  command_monitor_start: { method: 'POST', path: '/api/command-monitor', writes: 'no' },
  command_monitor: { method: 'GET', path: '/api/command-monitor', writes: 'no' },
  command_monitor_stop: { method: 'DELETE', path: '/api/command-monitor', writes: 'no' },
  series: { method: 'GET', path: '/api/series', writes: 'no' },
  latency: { method: 'GET', path: '/api/latency', writes: 'no' },
  slowlog: { method: 'GET', path: '/api/slowlog', writes: 'no' },
  slowlog_reset: { method: 'DELETE', path: '/api/slowlog', writes: 'yes' },
  clients: { method: 'GET', path: '/api/clients', writes: 'no' },
  client_kill: { method: 'POST', path: '/api/clients/kill', writes: 'yes' },
  config_get: { method: 'GET', path: '/api/config', writes: 'no' },
  server_action: { method: 'POST', path: '/api/server', writes: 'yes' },
  console: { method: 'POST', path: '/api/console', writes: 'per_call' },
  modules: { method: 'GET', path: '/api/modules', writes: 'no' },
  json_get: { method: 'GET', path: '/api/json', writes: 'no' },
  json_edit: { method: 'POST', path: '/api/json', writes: 'yes' },
  search_indexes: { method: 'GET', path: '/api/search/indexes', writes: 'no' },
  search_query: { method: 'POST', path: '/api/search/query', writes: 'no' },
  search_create: { method: 'POST', path: '/api/search/index', writes: 'yes' },
  search_drop: { method: 'DELETE', path: '/api/search/index', writes: 'yes' },
  prob_info: { method: 'GET', path: '/api/prob', writes: 'no' },
  prob_op: { method: 'POST', path: '/api/prob', writes: 'per_call' },
  console_docs: { method: 'GET', path: '/api/console/docs', writes: 'no' },
  profiles: { method: 'GET', path: '/api/profiles', writes: 'no' },
  profile_save: { method: 'PUT', path: '/api/profiles', writes: 'no' },
  profile_delete: { method: 'DELETE', path: '/api/profiles', writes: 'no' },
  profile_test: { method: 'POST', path: '/api/profiles/test', writes: 'no' },
  profile_import: { method: 'POST', path: '/api/profiles/import', writes: 'no' },
  connect: { method: 'POST', path: '/api/connect', writes: 'no' },
} as const satisfies Record<string, Route>;

/** Each operation's request and reply types. */
export interface Operations {
  /** Connection state, latency and server facts */
  health: { request: NoArgs; reply: HealthReport };
  /** This build's version and the git commit it was built from */
  about: { request: NoArgs; reply: About };
  /** INFO parsed by section */
  info: { request: InfoQuery; reply: InfoReply };
  /** One level of the namespace tree with key counts (partial while scanning) */
  tree: { request: TreeQuery; reply: TreeLevel };
  /** A SCAN page over every master */
  keys: { request: KeysQuery; reply: KeyPage };
  /** TYPE, TTL, encoding, size and memory of up to 1000 keys */
  keys_meta: { request: KeysMetaRequest; reply: Array<KeyMeta> };
  /** A key's metadata and one page of its value */
  key: { request: KeyQuery; reply: KeyValue };
  /** Edit a key (set, hset, lpush, zadd, xadd, ...) */
  key_set: { request: KeyEdit; reply: KeyValue };
  /** Delete one key (UNLINK) */
  key_delete: { request: KeyRef; reply: Deleted };
  /** Set (PEXPIRE) or remove (PERSIST) a TTL */
  key_ttl: { request: KeyTtl; reply: TtlReply };
  /** Rename a key (RENAMENX unless overwrite) */
  key_rename: { request: KeyRename; reply: Renamed };
  /** Create a key of any type (JSON with RedisJSON) with a TTL; 409 if it exists unless overwrite */
  key_create: { request: KeyCreate; reply: KeyValue };
  /** Show bytes as text, JSON, hex, base64, MessagePack, decompressed, protobuf, PHP, Java, pickle or the codec */
  decode: { request: DecodeRequest; reply: Decoded };
  /** Databases with key counts (INFO keyspace), the current one, modules, tree separators */
  databases: { request: NoArgs; reply: Databases };
  /** Switch this session's connection to another database */
  select_db: { request: SelectDb; reply: Databases };
  /** Dry run (count, sample) or a confirmed deletion job by pattern or preset */
  invalidate: { request: InvalidateRequest; reply: InvalidateReply };
  /** Every remembered job, newest first */
  jobs: { request: NoArgs; reply: Array<Job> };
  /** A job's progress or final report */
  job: { request: JobId; reply: Job };
  /** Cancel a running job */
  job_cancel: { request: JobId; reply: Job };
  /** Stream keys, or one stream's XINFO */
  streams: { request: StreamsQuery; reply: StreamsReply };
  /** An XRANGE page */
  stream_entries: { request: EntriesQuery; reply: EntriesPage };
  /** Pending entries of a group (paged, by consumer, by idle time) */
  stream_pending: { request: PendingQuery; reply: Array<PendingEntry> };
  /** XADD one entry */
  stream_add: { request: StreamAdd; reply: StreamAdded };
  /** XDEL entries (confirm) */
  stream_delete: { request: StreamDelete; reply: StreamRemoved };
  /** XTRIM MAXLEN or MINID, exact or ~ (confirm) */
  stream_trim: { request: StreamTrim; reply: StreamRemoved };
  /** XGROUP CREATE, DESTROY, SETID, CREATECONSUMER or DELCONSUMER (confirm when it loses pending entries) */
  stream_group: { request: StreamGroup; reply: GroupChanged };
  /** XACK pending entries */
  stream_ack: { request: StreamAck; reply: Acked };
  /** XCLAIM pending entries for a consumer, or XAUTOCLAIM without ids */
  stream_claim: { request: StreamClaim; reply: Claimed };
  /** Start a live tail (entries arrive as events) */
  stream_tail: { request: TailRequest; reply: TailStarted };
  /** Stop a live tail */
  stream_tail_stop: { request: TailId; reply: Empty };
  /** Monitor channels and patterns (replaces the set) */
  monitor: { request: MonitorRequest; reply: MonitorStats };
  /** Per-channel counts, rates and recent messages */
  monitor_stats: { request: RecentQuery; reply: MonitorStats };
  /** Stop monitoring */
  monitor_stop: { request: NoArgs; reply: Empty };
  /** PUBSUB CHANNELS with NUMSUB, NUMPAT, and SHARDCHANNELS with SHARDNUMSUB, of every master */
  pubsub_counts: { request: PubsubQuery; reply: PubsubCounts };
  /** Publish a message */
  publish: { request: PublishRequest; reply: PublishReply };
  /** Sampled metrics history and alerts, of the whole deployment or one Cluster master */
  metrics: { request: NodeMetricsQuery; reply: MetricsReply };
  /** The dashboard's alert thresholds in force, the defaults, and the profile they are saved with */
  alert_thresholds: { request: NoArgs; reply: AlertThresholds };
  /** Change the alert thresholds now and save them with the connected profile */
  alert_thresholds_set: { request: Thresholds; reply: AlertThresholds };
  /** Library clients reporting telemetry: hit rates, breakers, limits, locks, lag, liveness */
  services: { request: NoArgs; reply: ServicesReply };
  /** Hygiene findings: a sampled report, or a full run as a job */
  findings: { request: FindingsQuery; reply: FindingsReply };
  /** A findings job's progress and report */
  findings_job: { request: JobId; reply: FindingsJob };
  /** Stop a findings job (keeps what it found) */
  findings_job_cancel: { request: JobId; reply: FindingsJob };
  /** Start a memory analysis job (sample or full) over every master */
  memory_analyze: { request: MemoryRequest; reply: MemoryJob };
  /** Memory analysis jobs, newest first */
  memory_jobs: { request: NoArgs; reply: Array<MemoryJob> };
  /** A memory analysis job's progress */
  memory_job: { request: JobId; reply: MemoryJob };
  /** Stop a memory analysis (keeps a partial report) */
  memory_job_cancel: { request: JobId; reply: MemoryJob };
  /** A finished memory analysis: namespaces, types, encodings, top keys, TTL spread */
  memory_report: { request: JobId; reply: MemoryReport };
  /** Save a memory analysis report under a name */
  memory_save: { request: MemorySave; reply: SavedRun };
  /** Saved memory analyses, newest first */
  memory_saved: { request: NoArgs; reply: Array<SavedRun> };
  /** A saved memory analysis's report */
  memory_saved_report: { request: SavedId; reply: MemoryReport };
  /** Delete a saved memory analysis */
  memory_saved_delete: { request: SavedId; reply: Empty };
  /** What grew between two saved memory analyses */
  memory_compare: { request: CompareQuery; reply: MemoryDiff };
  /** Export keys by pattern, prefix or selection (dump, commands, jsonl, csv) as a job */
  export: { request: ExportRequest; reply: TransferJob };
  /** Export one stream's entries between two IDs or times (XRANGE pages) to JSON lines or CSV in the export directory, as a job */
  stream_export: { request: StreamExport; reply: TransferJob };
  /** Import a dump or command file with a conflict policy; a dry run writes nothing */
  import: { request: ImportRequest; reply: TransferJob };
  /** Export and import jobs, newest first */
  transfer_jobs: { request: NoArgs; reply: Array<TransferJob> };
  /** An export or import job's progress and outcome */
  transfer_job: { request: JobId; reply: TransferJob };
  /** Stop an export (its partial file is removed) or an import */
  transfer_job_cancel: { request: JobId; reply: TransferJob };
  /** The export directory and its files */
  transfer_files: { request: NoArgs; reply: TransferFiles };
  /** One part (up to 4 MiB) of a file of the export directory, for a download */
  transfer_file_read: { request: FileRead; reply: FilePart };
  /** One part (up to 1 MiB) of an upload into the export directory; the last part lists it */
  transfer_file_write: { request: FileWrite; reply: FileWritten };
  /** Hot keys: OBJECT FREQ over a scan (LFU policy) or a confirmed, time-boxed MONITOR sample */
  hotkeys: { request: HotkeysRequest; reply: HotkeysJob };
  /** Hot-keys jobs, newest first */
  hotkeys_jobs: { request: NoArgs; reply: Array<HotkeysJob> };
  /** A hot-keys job's progress and outcome */
  hotkeys_job: { request: JobId; reply: HotkeysJob };
  /** Stop a hot-keys job (a MONITOR sample keeps what it counted) */
  hotkeys_job_cancel: { request: JobId; reply: HotkeysJob };
  /** Start a confirmed, time-boxed MONITOR session on every master (lines arrive as events); refused read-only */
  command_monitor_start: { request: MonitorStart; reply: MonitorView };
  /** The MONITOR session's state and its newest buffered lines matching a filter */
  command_monitor: { request: MonitorFilter; reply: MonitorView };
  /** Stop the MONITOR session (its lines stay readable) */
  command_monitor_stop: { request: NoArgs; reply: MonitorView };
  /** Newest points and stats of a time series key, or bars of an OHLCV key */
  series: { request: SeriesQuery; reply: SeriesReply };
  /** LATENCY LATEST with each event's HISTORY, and LATENCY DOCTOR, of every master */
  latency: { request: NoArgs; reply: LatencyReply };
  /** Slowlog entries of every master */
  slowlog: { request: SlowlogQuery; reply: Array<SlowlogEntry> };
  /** Reset the slowlog (confirm=true) */
  slowlog_reset: { request: Confirm; reply: Empty };
  /** CLIENT LIST, parsed */
  clients: { request: NoArgs; reply: Array<ClientInfo> };
  /** Kill a client by id (confirm) */
  client_kill: { request: ClientKill; reply: Killed };
  /** CONFIG GET by pattern, secrets masked */
  config_get: { request: ConfigQuery; reply: { [key in string]: string } };
  /** BGSAVE or BGREWRITEAOF (confirm) */
  server_action: { request: ServerAction; reply: ActionReply };
  /** Run one command: screened, dangerous ones need confirm, read-only refuses writes */
  console: { request: ConsoleRequest; reply: ConsoleReply };
  /** Server product (Redis or Valkey) and version from INFO, and the loaded modules */
  modules: { request: NoArgs; reply: ServerModules };
  /** One node of a RedisJSON document by path: whole when small, else a page of its children */
  json_get: { request: JsonQuery; reply: JsonNode };
  /** Edit a JSON document by path (set, del, arrappend, numincrby); key_create makes new ones */
  json_edit: { request: JsonEdit; reply: JsonEdited };
  /** RediSearch indexes with schema, documents, memory and indexing progress */
  search_indexes: { request: NoArgs; reply: Array<SearchIndex> };
  /** One page of FT.SEARCH or FT.AGGREGATE results, optionally highlighted or profiled */
  search_query: { request: SearchQuery; reply: SearchReply };
  /** Create a search index (confirm) */
  search_create: { request: SearchCreate; reply: SearchIndex };
  /** Drop a search index, optionally with its documents (confirm) */
  search_drop: { request: SearchDrop; reply: SearchDropped };
  /** A Bloom, Cuckoo, Count-Min or Top-K key's INFO (and Top-K's list) */
  prob_info: { request: ProbQuery; reply: ProbInfo };
  /** Check items against a probabilistic key, or add them (a write) */
  prob_op: { request: ProbRequest; reply: ProbReply };
  /** Every command and subcommand with summary and syntax (COMMAND DOCS), for completion */
  console_docs: { request: NoArgs; reply: CommandDocs };
  /** Saved connection profiles (never a password) */
  profiles: { request: NoArgs; reply: Array<Profile> };
  /** Save a profile; its password goes to the OS keyring */
  profile_save: { request: ProfileInput; reply: Profile };
  /** Delete a profile and its stored password */
  profile_delete: { request: ProfileName; reply: Empty };
  /** Try a profile's connection without saving it */
  profile_test: { request: ProfileInput; reply: ProfileTest };
  /** Import RedisInsight or Another Redis Desktop Manager connection exports as profiles */
  profile_import: { request: ProfileImport; reply: ImportReport };
  /** Switch this session to a saved profile */
  connect: { request: ConnectRequest; reply: HealthReport };
}

/** An operation's name. */
export type OperationName = keyof Operations;

/** The request type of operation `C`. */
export type RequestOf<C extends OperationName> = Operations[C]['request'];

/** The reply type of operation `C`. */
export type ReplyOf<C extends OperationName> = Operations[C]['reply'];
