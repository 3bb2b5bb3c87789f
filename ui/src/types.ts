// Types the UI uses. Shapes of the admin API come from the generated client (api.gen.ts, made
// from crates/redscope-admin/src/ops.rs); the few names below are UI-side views of them.

import type { Bytes, Event, FindingsJob, FindingsReply, InvalidateReply, Job, ScoredMember, StreamsReply, ValueView } from './api.gen';

export type {
  Alert,
  Bytes,
  Finding,
  FindingsJob,
  FindingsReport,
  HealthReport,
  InfoReply,
  Job,
  KeyMeta,
  KeyPage,
  KeyValue,
  Message,
  MetricsSample,
  MonitorStats,
  Profile,
  ProfileInput,
  Reply,
  ServiceInfo,
  ServicesReply,
  StreamEntry,
} from './api.gen';

/** One message of the live event stream (`WS /api/events`, the desktop's `redscope://event`). */
export type ServerEvent = Event;

/** An `invalidate` dry run: what a deletion would remove. */
export type DryRun = Exclude<InvalidateReply, Job>;

/** True when an `invalidate` reply is the started job, not a dry run. */
export function isJob(r: InvalidateReply): r is Job {
  return 'id' in r;
}

/** True when a `findings` reply is the started full run, not a sampled report. */
export function isFindingsJob(r: FindingsReply): r is FindingsJob {
  return 'id' in r;
}

/** True when a `streams` reply lists stream keys rather than describing one stream. */
export function isStreamKeys(r: StreamsReply): r is Extract<StreamsReply, { cursor: string }> {
  return 'cursor' in r;
}

/** The value page of each key type (`KeyValue.type` → the shape of `KeyValue.value`). */
export interface ValuePages {
  string: Extract<ValueView, { preview: Bytes }>;
  hash: Extract<ValueView, { fields: unknown }>;
  list: Extract<ValueView, { items: unknown }>;
  set: Extract<ValueView, { members: Bytes[] }>;
  zset: Extract<ValueView, { members: ScoredMember[] }>;
  stream: Extract<ValueView, { entries: unknown }>;
  json: Extract<ValueView, { json: unknown }>;
  unsupported: Extract<ValueView, { unsupported: string }>;
}

/**
 * `kv.value` as the page of `type`, for code that has switched on `kv.type`: the generated
 * union cannot tie the page's shape to the type name.
 */
export function valuePage<T extends keyof ValuePages>(kv: { value: ValueView }, _type: T): ValuePages[T] {
  return kv.value as ValuePages[T];
}
