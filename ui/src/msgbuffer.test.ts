import { describe, expect, it } from 'vitest';
import { MessageBuffer, messageJson } from './msgbuffer';
import type { Message } from './types';

const msg = (channel: string, text: string, at = 0): Message => ({ channel, sharded: false, payload: { text, b64: btoa(text) }, length: text.length, at_ms: at });

describe('MessageBuffer', () => {
  it('keeps the newest first and drops the oldest beyond capacity, counting them', () => {
    const b = new MessageBuffer(3);
    b.push([msg('a', '1'), msg('a', '2')]);
    b.push([msg('b', '3'), msg('a', '4')]);
    expect(b.view().map((m) => m.payload.text)).toEqual(['4', '3', '2']);
    expect(b.dropped).toBe(1);
    expect(b.total).toBe(4);
  });

  it('holds messages while paused without losing counts, then shows them', () => {
    const b = new MessageBuffer(100);
    b.push([msg('a', '1')]);
    b.pause();
    b.push([msg('a', '2'), msg('b', '3')]);
    expect(b.view()).toHaveLength(1);
    expect(b.pending).toBe(2);
    expect(b.stats().find((s) => s.channel === 'a')?.count).toBe(2);
    b.resume();
    expect(b.view().map((m) => m.payload.text)).toEqual(['3', '2', '1']);
    expect(b.pending).toBe(0);
  });

  it('computes per-channel counts and rates over the window', () => {
    const b = new MessageBuffer(100, 10);
    const t0 = 1_000_000;
    for (let i = 0; i < 20; i++) b.push([msg('fast', String(i))], t0 + i * 100);
    b.push([msg('slow', 'x')], t0);
    const s = b.stats(t0 + 2000);
    expect(s.map((c) => c.channel)).toEqual(['fast', 'slow']);
    expect(s[0]).toEqual({ channel: 'fast', count: 20, rate: 2 });
    expect(s[1].rate).toBeCloseTo(0.1);
    expect(b.stats(t0 + 60_000)[0].rate).toBe(0);
    expect(b.stats(t0 + 60_000)[0].count).toBe(20);
  });

  it('decodes JSON payloads, preferring the server decoding', () => {
    expect(messageJson(msg('c', '{"type":"TRADE_SIGNAL","qty":2}'))).toEqual({ type: 'TRADE_SIGNAL', qty: 2 });
    expect(messageJson(msg('c', 'plain'))).toBeUndefined();
    expect(messageJson(msg('c', '{broken'))).toBeUndefined();
    expect(messageJson({ ...msg('c', 'x'), json: { a: 1 } })).toEqual({ a: 1 });
  });
});
