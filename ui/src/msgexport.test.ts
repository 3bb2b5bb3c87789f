import { describe, expect, it } from 'vitest';
import { messagesCsv, messagesJsonl } from './msgexport';
import type { Message } from './types';

const msg = (channel: string, text: string, at: number, pattern?: string, sharded = false): Message => ({ channel, pattern, sharded, payload: { text, b64: btoa(text) }, length: text.length, at_ms: at });

describe('message export', () => {
  it('writes one JSON object per line with the payload as text and base64', () => {
    const out = messagesJsonl([msg('a', '{"x":1}', 0), msg('b', 'plain', 1000, 'b*')]);
    const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({ at: '1970-01-01T00:00:00.000Z', channel: 'a', pattern: null, payload: '{"x":1}', payload_b64: btoa('{"x":1}') });
    expect(lines[1].pattern).toBe('b*');
    expect(lines.map((l) => l.sharded)).toEqual([false, false]);
    const shard = JSON.parse(messagesJsonl([msg('orders:{eu}', 'x', 0, undefined, true)]));
    expect(shard).toMatchObject({ channel: 'orders:{eu}', sharded: true });
  });

  it('quotes CSV fields with commas, quotes and new lines', () => {
    const out = messagesCsv([msg('a,b', 'say "hi"\nthere', 0)]);
    expect(out).toBe('at,channel,pattern,sharded,length,payload,payload_b64\r\n1970-01-01T00:00:00.000Z,"a,b",,false,14,"say ""hi""\nthere",' + btoa('say "hi"\nthere') + '\r\n');
  });
});
