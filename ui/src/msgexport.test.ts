import { describe, expect, it } from 'vitest';
import { messagesCsv, messagesJsonl } from './msgexport';
import { escapeBytes, toBase64 } from './keys';
import type { Message } from './types';

const msg = (channel: string, text: string, at: number, pattern?: string): Message => ({ channel, pattern, payload: { text, b64: btoa(text) }, length: text.length, at_ms: at });

/** A message as the service sends it: the bytes kept (at most the first `kept`), their display
 *  text (\xNN escapes when not UTF-8) and the full length. */
function raw(bytes: Uint8Array, kept = bytes.length): Message {
  const k = bytes.subarray(0, kept);
  let binary = false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(k);
  } catch {
    binary = true;
  }
  return { channel: 'c', payload: { text: binary ? escapeBytes(k) : new TextDecoder().decode(k), b64: toBase64(k), ...(binary ? { binary } : {}) }, length: bytes.length, at_ms: 0 };
}

describe('message export', () => {
  it('writes one JSON object per line with the payload as text and base64', () => {
    const out = messagesJsonl([msg('a', '{"x":1}', 0), msg('b', 'plain', 1000, 'b*')]);
    const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ at: '1970-01-01T00:00:00.000Z', channel: 'a', pattern: null, payload: '{"x":1}', payload_b64: btoa('{"x":1}'), binary: false, truncated: false });
    expect(lines[1].pattern).toBe('b*');
  });

  it('never passes the \\xNN display form of binary bytes off as the payload', () => {
    const bin = raw(new Uint8Array([0xff, 0x00, 0x41]));
    const lookalike = raw(new TextEncoder().encode('\\xff\\x00A'));
    const [b, l] = messagesJsonl([bin, lookalike]).trimEnd().split('\n').map((x) => JSON.parse(x));
    expect(b).toMatchObject({ payload: null, binary: true, payload_b64: toBase64(new Uint8Array([0xff, 0x00, 0x41])) });
    expect(l).toMatchObject({ payload: '\\xff\\x00A', binary: false });
    const rows = messagesCsv([bin, lookalike]).split('\r\n');
    expect(rows[1].split(',').slice(4)).toEqual(['', '/wBB', 'true', 'false']);
    expect(rows[2].split(',').slice(4, 7)).toEqual(['\\xff\\x00A', toBase64(new TextEncoder().encode('\\xff\\x00A')), 'false']);
  });

  it('marks a payload the monitor cut, keeping the whole characters of a cut text', () => {
    const text = new TextEncoder().encode('prix 12€ net'); // € is 3 bytes, at 7..9
    const cut = raw(text, 9); // ends inside the €
    const [line] = messagesJsonl([cut]).trimEnd().split('\n').map((x) => JSON.parse(x));
    expect(line).toMatchObject({ payload: 'prix 12', binary: false, truncated: true, length: text.length });
    expect(messagesCsv([cut]).split('\r\n')[1].endsWith(',false,true')).toBe(true);
  });

  it('quotes CSV fields with commas, quotes and new lines', () => {
    const out = messagesCsv([msg('a,b', 'say "hi"\nthere', 0)]);
    expect(out).toBe('at,channel,pattern,length,payload,payload_b64,binary,truncated\r\n1970-01-01T00:00:00.000Z,"a,b",,14,"say ""hi""\nthere",' + btoa('say "hi"\nthere') + ',false,false\r\n');
  });
});
