import { describe, expect, it } from 'vitest';
import { hexDump, preview, tryJson, valueKind } from './values';
import { globMatch } from './pages/streams';
import { invalidateRequest, jobProgress } from './pages/invalidate';
import { splitList } from './pages/channels';
import { columns } from './pages/server';

describe('value formatting', () => {
  it('dumps bytes as offset, hex and ASCII', () => {
    const lines = hexDump(new Uint8Array([0x00, 0x41, 0xff, 0x7e, ...Array(16).fill(0x61)]));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('00000000  00 41 ff 7e 61 61 61 61 61 61 61 61 61 61 61 61  .A.~aaaaaaaaaaaa');
    expect(lines[1]).toBe('00000010  61 61 61 61' + ' '.repeat(36) + '  aaaa');
    expect(hexDump(new Uint8Array(1000), 16, 3)).toHaveLength(3);
  });
  it('recognises JSON, binary and text', () => {
    expect(tryJson(' {"bid": 1.5} ')).toEqual({ bid: 1.5 });
    expect(tryJson('42')).toBeUndefined();
    expect(valueKind({ text: '[1,2]', b64: '' })).toBe('json');
    expect(valueKind({ text: '\\xff', b64: '/w==', binary: true })).toBe('binary');
    expect(valueKind({ text: 'hello', b64: '' })).toBe('text');
    expect(preview({ text: 'a\n  b', b64: '' })).toBe('a b');
    expect(preview({ text: 'x'.repeat(200), b64: '' }, 10)).toBe('xxxxxxxxxx…');
  });
});

describe('page helpers', () => {
  it('matches Redis globs', () => {
    expect(globMatch('market:*', 'market:ticker:BTC')).toBe(true);
    expect(globMatch('market:?', 'market:ab')).toBe(false);
    expect(globMatch('s[ab]', 'sb')).toBe(true);
    expect(globMatch('a.b', 'axb')).toBe(false);
  });
  it('builds invalidation requests and progress', () => {
    expect(invalidateRequest('pattern', 'market:*', true)).toEqual({ pattern: 'market:*', dry_run: true });
    expect(invalidateRequest('symbol', 'BTC/USDT', false, true)).toEqual({ preset: { kind: 'symbol', value: 'BTC/USDT' }, dry_run: false, confirm: true });
    const job = { id: '1', kind: 'invalidate', state: 'running' as const, pattern: 'x', patterns: ['x'], scanned: 10, matched: 8, deleted: 4, started_ms: 0 };
    expect(jobProgress(job, 8)).toBe(0.5);
    expect(jobProgress(job, null)).toBeNull();
    expect(jobProgress({ ...job, state: 'done' }, 8)).toBe(1);
  });
  it('splits channel lists and orders table columns', () => {
    expect(splitList('a, b  c,,a')).toEqual(['a', 'b', 'c']);
    expect(columns([{ z: 1, id: 2 }, { addr: 3 }], ['id', 'addr'])).toEqual(['id', 'addr', 'z']);
  });
});
