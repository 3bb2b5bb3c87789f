// The whole of a key's value, not just the loaded page: read page by page through the `key`
// operation (each reply bounded by the server), either as text for the clipboard (refused past a
// size limit) or as a file download built from bounded parts.

import { fromBase64 } from './keys';
import type { Transport } from './transport';
import { valuePage, type KeyValue } from './types';

/** Most bytes "copy value" puts on the clipboard; larger values are downloaded instead. */
export const COPY_LIMIT = 1 << 20;
/** Bytes of one string window read for a download. */
const WINDOW = 1 << 20;
/** Elements per page read for a copy or a download. */
const PAGE = 1000;

/** Largest element the server sends whole (larger ones arrive cut, with `full_len`). */
const ELEMENT_MAX = 1 << 20;

/** Whether any element of the page was cut by the server. */
function cutIn(kv: KeyValue): boolean {
  const v = kv.value as unknown as Record<string, unknown>;
  const parts: unknown[] = [...((v.fields as unknown[]) ?? []).flatMap((f) => [(f as { field: unknown }).field, (f as { value: unknown }).value]), ...((v.items as unknown[]) ?? []), ...((v.members as unknown[]) ?? []).map((m) => ((m as { member?: unknown }).member ?? m))];
  return parts.some((b) => typeof b === 'object' && b !== null && (b as { full_len?: number }).full_len !== undefined);
}

/** One element of a collection as JSON-friendly text. */
type Row = unknown;

/**
 * Walks every page of a collection key, calling `each` with the rows of each page; stops early
 * when `each` returns false. Strings are not handled here (see `stringParts`).
 */
export async function walkValue(api: Transport, keyB64: string, first: KeyValue, each: (rows: Row[]) => boolean): Promise<void> {
  // The page on screen may have elements cut to the preview size: read again at full size.
  let kv = cutIn(first) ? await api.call('key', { key_b64: keyB64, count: PAGE, max_bytes: ELEMENT_MAX }) : first;
  for (;;) {
    let next: Record<string, unknown> | null = null;
    let rows: Row[] = [];
    switch (kv.type) {
      case 'hash': {
        const v = valuePage(kv, 'hash');
        rows = v.fields.map((f) => [f.field.text, f.value.text]);
        if (v.cursor !== '0') next = { cursor: v.cursor };
        break;
      }
      case 'set': {
        const v = valuePage(kv, 'set');
        rows = v.members.map((m) => m.text);
        if (v.cursor !== '0') next = { cursor: v.cursor };
        break;
      }
      case 'list': {
        const v = valuePage(kv, 'list');
        rows = v.items.map((b) => b.text);
        if (v.next !== null && v.next !== undefined) next = { offset: v.next };
        break;
      }
      case 'zset': {
        const v = valuePage(kv, 'zset');
        rows = v.members.map((m) => [m.member.text, m.score]);
        if (v.next !== null && v.next !== undefined) next = { offset: v.next };
        break;
      }
      case 'stream': {
        const v = valuePage(kv, 'stream');
        rows = v.entries.map((e) => ({ id: e.id, fields: Object.fromEntries(e.fields.map(([f, x]) => [f.text, x.text])) }));
        if (v.next) next = { cursor: v.next };
        break;
      }
      default: {
        const v = kv.value as { json?: unknown };
        rows = [v.json ?? null];
      }
    }
    if (cutIn(kv)) throw new Error(`an element of this ${kv.type} is larger than ${ELEMENT_MAX >> 20} MiB: read it with the console (Server page)`);
    if (!each(rows) || !next) return;
    kv = await api.call('key', { key_b64: keyB64, count: PAGE, max_bytes: ELEMENT_MAX, ...next });
  }
}

/** The bytes of a string key, window by window (each window one bounded `key` call). */
export async function* stringParts(api: Transport, keyB64: string, length: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < length; offset += WINDOW) {
    const kv = await api.call('key', { key_b64: keyB64, offset, max_bytes: WINDOW });
    if (kv.type !== 'string') throw new Error('the key changed type while it was being read');
    const part = fromBase64(valuePage(kv, 'string').preview.b64);
    if (part.length === 0) return;
    yield part;
  }
}

/** Text of the whole value for the clipboard, or null when it is larger than COPY_LIMIT. */
export async function valueText(api: Transport, keyB64: string, kv: KeyValue): Promise<string | null> {
  if (kv.type === 'string') {
    const v = valuePage(kv, 'string');
    if (v.length > COPY_LIMIT) return null;
    if (!v.truncated) return v.preview.text;
    const full = await api.call('key', { key_b64: keyB64, max_bytes: Math.max(1, v.length) });
    return valuePage(full, 'string').preview.text;
  }
  const rows: Row[] = [];
  let size = 0;
  let fits = true;
  await walkValue(api, keyB64, kv, (page) => {
    for (const r of page) {
      size += JSON.stringify(r).length;
      rows.push(r);
    }
    fits = size <= COPY_LIMIT;
    return fits;
  });
  if (!fits) return null;
  if (kv.type === 'hash') return JSON.stringify(Object.fromEntries(rows as [string, string][]), null, 2);
  if (kv.type === 'ReJSON-RL') return JSON.stringify(rows[0], null, 2);
  return JSON.stringify(rows, null, 2);
}

/** A file name for a key's download: its text with unsafe characters replaced. */
export function fileName(keyText: string, type: string): string {
  const base = keyText.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100) || 'value';
  return type === 'string' ? `${base}.bin` : `${base}.jsonl`;
}

/**
 * Downloads the whole value as a file: a string's raw bytes, a collection as JSON Lines (one
 * element per line). The parts are kept as a Blob (the browser may keep it on disk), never
 * joined into one string.
 */
export async function downloadValue(api: Transport, keyB64: string, kv: KeyValue, progress?: (bytes: number) => void): Promise<Blob> {
  const parts: BlobPart[] = [];
  let bytes = 0;
  if (kv.type === 'string') {
    for await (const p of stringParts(api, keyB64, valuePage(kv, 'string').length)) {
      parts.push(p as BlobPart);
      bytes += p.length;
      progress?.(bytes);
    }
    return new Blob(parts, { type: 'application/octet-stream' });
  }
  const first = await api.call('key', { key_b64: keyB64, count: PAGE, max_bytes: ELEMENT_MAX });
  await walkValue(api, keyB64, first, (rows) => {
    const chunk = rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
    parts.push(chunk);
    bytes += chunk.length;
    progress?.(bytes);
    return true;
  });
  return new Blob(parts, { type: 'application/x-ndjson' });
}

/** Saves a Blob as a file through the browser's download. */
export function saveBlob(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
