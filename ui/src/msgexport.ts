// Captured pub/sub messages as files people read: JSON lines (one object per message) and CSV
// (RFC 4180 quoting), oldest first. The exact bytes kept are always in `payload_b64`; `payload`
// is the text only when those bytes are UTF-8 (never the \xNN display form of binary bytes), and
// `truncated` says the monitor kept only the first bytes of a longer payload (`length`).

import { fromBase64 } from './keys';
import type { Message } from './types';

/** Bytes a base64 text decodes to (padding counted). */
function b64Len(b64: string): number {
  const pad = b64.endsWith('==') ? 2 : b64.endsWith('=') ? 1 : 0;
  return (b64.length / 4) * 3 - pad;
}

/** The payload kept is only the start of a longer one. */
export function isTruncated(m: Message): boolean {
  return b64Len(m.payload.b64) < m.length;
}

/**
 * The payload as text, or null when its bytes are not UTF-8. A payload cut by the monitor may end
 * inside a character: its complete characters still count as text.
 */
export function payloadText(m: Message): string | null {
  if (!m.payload.binary) return m.payload.text;
  const bytes = fromBase64(m.payload.b64);
  const cut = isTruncated(m) ? 3 : 0;
  for (let drop = 0; drop <= Math.min(cut, bytes.length); drop++) {
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, bytes.length - drop));
    } catch {
      // not UTF-8 (yet): try without one more trailing byte of a cut payload
    }
  }
  return null;
}

/** One JSON object per line: time, channel, pattern, length, payload text and base64, JSON. */
export function messagesJsonl(msgs: readonly Message[]): string {
  return msgs
    .map((m) => {
      const text = payloadText(m);
      const line = { at: new Date(m.at_ms).toISOString(), at_ms: m.at_ms, channel: m.channel, pattern: m.pattern ?? null, length: m.length, payload: text, payload_b64: m.payload.b64, binary: text === null, truncated: isTruncated(m) };
      return `${JSON.stringify(m.json !== undefined ? { ...line, json: m.json } : line)}\n`;
    })
    .join('');
}

function csvField(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** A header row, then one row per message: at, channel, pattern, length, payload (empty when
 *  binary), payload_b64, binary, truncated. */
export function messagesCsv(msgs: readonly Message[]): string {
  const rows = [['at', 'channel', 'pattern', 'length', 'payload', 'payload_b64', 'binary', 'truncated']];
  for (const m of msgs) {
    const text = payloadText(m);
    rows.push([new Date(m.at_ms).toISOString(), m.channel, m.pattern ?? '', String(m.length), text ?? '', m.payload.b64, String(text === null), String(isTruncated(m))]);
  }
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
