// Shapes of the admin API's responses, as the Rust side serialises them (docs/API.md, "Shapes").

import type { Shape } from './shapes';

/** Connection state of the active Redis connection. */
export type ConnState = 'connected' | 'reconnecting' | 'down';

export interface HealthReport {
  state: ConnState | string;
  url: string;
  error: string | null;
  latency_ms: number | null;
  version: string | null;
  role: string | null;
  mode: string | null;
  uptime_s: number | null;
  used_memory: number | null;
  connected_clients: number | null;
  read_only: boolean;
  /** `standalone`, `cluster` or `sentinel`. */
  topology?: string;
  /** The master's `host:port` behind Sentinel (changes after a failover). */
  master?: string | null;
}

/** A key or value, lossless: `text` for display, `b64` for the exact bytes. */
export interface Bytes {
  text: string;
  b64: string;
  binary?: boolean;
}

export interface TreeChild {
  name: string;
  prefix: string;
  count: number;
  key?: Bytes | null;
}

export interface TreeLevel {
  prefix: string;
  separator: string;
  complete: boolean;
  scanned: number;
  total_keys: number;
  children: TreeChild[];
}

export interface KeyPage {
  cursor: string;
  keys: Bytes[];
}

export interface KeyMeta {
  key: Bytes;
  type: string;
  ttl_ms: number;
  encoding?: string | null;
  size?: number | null;
  memory?: number | null;
  shape?: Shape | null;
}

export interface StringValue {
  length: number;
  preview: Bytes;
  truncated: boolean;
  decoded?: { format: string; json?: unknown } | null;
}

export interface StreamEntry {
  id: string;
  fields: [Bytes, Bytes][];
}

export interface KeyValue {
  key: Bytes;
  type: string;
  ttl_ms: number;
  encoding?: string | null;
  size?: number | null;
  /** The library data shape the server recognised (absent for other keys). */
  shape?: Shape | null;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  value: any;
}

export interface Job {
  id: string;
  kind: string;
  state: 'running' | 'done' | 'cancelled' | 'failed';
  pattern: string;
  scanned: number;
  matched: number;
  deleted: number;
  error?: string | null;
  started_ms: number;
  finished_ms?: number | null;
}

export interface DryRun {
  count: number;
  sample: Bytes[];
}

export interface StreamGroup {
  name: string;
  consumers: number;
  pending: number;
  last_delivered_id: string;
  lag?: number | null;
  consumer_list: { name: string; pending: number; idle_ms: number }[];
}

export interface StreamInfo {
  key: Bytes;
  length: number;
  first_id: string | null;
  last_id: string | null;
  groups: StreamGroup[];
}

export interface PendingEntry {
  id: string;
  consumer: string;
  idle_ms: number;
  deliveries: number;
}

export interface ChannelStat {
  name: string;
  /** The pattern the channel's messages matched, when subscribed by pattern. */
  pattern?: string | null;
  count: number;
  rate: number;
}

export interface Message {
  channel: string;
  pattern?: string | null;
  payload: Bytes;
  json?: unknown;
  at_ms: number;
}

export interface MonitorStats {
  channels: ChannelStat[];
  total: number;
  dropped: number;
  recent: Message[];
  connected?: boolean;
  subscribed_channels?: string[];
  subscribed_patterns?: string[];
}

export interface MetricsSample {
  at_ms: number;
  ops_per_sec: number;
  hit_rate: number | null;
  hit_rate_total?: number | null;
  used_memory: number;
  maxmemory: number;
  fragmentation?: number | null;
  clients: number;
  evicted_keys: number;
  expired_keys: number;
  keys?: number;
  net_in_kbps: number;
  net_out_kbps: number;
}

export interface Alert {
  level: 'warning' | 'critical';
  code: string;
  message: string;
}

export interface Reply {
  type: 'nil' | 'int' | 'string' | 'bulk' | 'error' | 'array' | 'map' | 'set' | 'double' | 'bool' | 'verbatim' | string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  value: any;
}

/** A saved connection profile (never carries a password; `has_password` says whether one is stored). */
export interface Profile {
  name: string;
  url: string;
  read_only?: boolean;
  has_password?: boolean;
  [extra: string]: unknown;
}

export interface ProfileTest {
  ok: boolean;
  latency_ms?: number | null;
  version?: string | null;
  error?: { code: string; message: string } | null;
}

/** One message of the live event stream. */
export type ServerEvent =
  | { type: 'conn_state'; state: string; error?: string | null }
  | { type: 'metrics'; sample: MetricsSample; alerts: Alert[] }
  | { type: 'channel_batch'; messages: Message[]; dropped: number; stats?: MonitorStats | null }
  | { type: 'stream_entries'; tail_id: string | number; key: string | Bytes; entries: StreamEntry[] }
  | ({ type: 'job' } & Job)
  | { type: 'tree_progress'; prefix: string; scanned: number; complete: boolean }
  | { type: 'services'; services: ServiceInfo[]; alerts: ServiceAlert[] };

/** An alert on a library client (Services page). */
export interface ServiceAlert {
  level: 'warning' | 'critical';
  code: string;
  message: string;
  key: string;
}

/** One library client, from its telemetry hash (docs/API.md, `ServiceInfo`). */
export interface ServiceInfo {
  key: string;
  service: string;
  instance: string;
  version: string;
  host: string;
  pid: number | null;
  status: 'live' | 'gone';
  uptime_s: number;
  interval_ms: number;
  updated_ms: number;
  heartbeat_ms: number | null;
  ttl_ms: number;
  types: { name: string; hits: number; misses: number; hit_rate: number }[];
  breakers: { name: string; state: string; trips: number; rejected: number }[];
  rate_limits: { name: string; allowed: number; rejected: number }[];
  locks: { name: string; acquired: number; waits: number; timeouts: number; lost: number }[];
  groups: { stream: string; group: string; lag: number | null; pending: number }[];
  ttl_overrides: Record<string, number>;
  alerts: ServiceAlert[];
}

export interface ServicesReply {
  services: ServiceInfo[];
  alerts: ServiceAlert[];
  truncated: boolean;
}

/** A hygiene finding (docs/API.md, `Finding`). */
export interface Finding {
  kind: 'no_ttl' | 'ttl_drift' | 'big_value' | 'slow_command' | 'no_eviction';
  level: 'warning' | 'critical';
  message: string;
  count: number;
  keys: Bytes[];
  data_type?: string;
  pattern?: string;
  command?: string;
}

export interface FindingsReport {
  mode: 'sample' | 'full';
  keys_examined: number;
  sizes_measured: number;
  complete: boolean;
  size_limit: number;
  findings: Finding[];
}

export interface FindingsJob {
  id: string;
  kind: 'findings';
  state: 'running' | 'done' | 'cancelled' | 'failed';
  scanned: number;
  examined: number;
  error?: string;
  started_ms: number;
  finished_ms?: number;
  report?: FindingsReport;
}
