// Captured pub/sub messages as files people read: JSON lines (one object per message, the
// payload as text and base64, its JSON when it is JSON) and CSV (RFC 4180 quoting), oldest first.

import type { Message } from './types';

/** One JSON object per line: time, channel, pattern, shard channel or not, length, payload text
 * and base64, JSON. */
export function messagesJsonl(msgs: readonly Message[]): string {
  return msgs
    .map((m) => JSON.stringify({ at: new Date(m.at_ms).toISOString(), at_ms: m.at_ms, channel: m.channel, pattern: m.pattern ?? null, sharded: m.sharded, length: m.length, payload: m.payload.text, payload_b64: m.payload.b64, ...(m.json !== undefined ? { json: m.json } : {}) }))
    .map((l) => `${l}\n`)
    .join('');
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** A header row, then one row per message: at, channel, pattern, sharded, length, payload,
 * payload_b64. */
export function messagesCsv(msgs: readonly Message[]): string {
  const rows = [['at', 'channel', 'pattern', 'sharded', 'length', 'payload', 'payload_b64']];
  for (const m of msgs) rows.push([new Date(m.at_ms).toISOString(), m.channel, m.pattern ?? '', String(m.sharded), String(m.length), m.payload.text, m.payload.b64]);
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
