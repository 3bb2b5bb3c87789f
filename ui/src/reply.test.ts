import { describe, expect, it } from 'vitest';
import { History, replyTable, replyText, tokenize } from './reply';
import type { Reply } from './types';

/** A bulk string reply as the service sends it. */
const bulk = (text: string): Reply => ({ type: 'bulk', value: { text, b64: btoa(text) } });

describe('console replies', () => {
  it('renders scalars by type like redis-cli', () => {
    expect(replyText({ type: 'nil' })).toBe('(nil)');
    expect(replyText({ type: 'int', value: 42 })).toBe('(integer) 42');
    expect(replyText({ type: 'string', value: 'OK' })).toBe('OK');
    expect(replyText(bulk('a"b'))).toBe('"a\\"b"');
    expect(replyText({ type: 'bulk', value: { text: 'x\\xff', b64: 'eP8=' } })).toBe('"x\\\\xff"');
    expect(replyText({ type: 'error', value: 'WRONGTYPE Operation' })).toBe('(error) WRONGTYPE Operation');
    expect(replyText({ type: 'double', value: 1.5 })).toBe('(double) 1.5');
    expect(replyText({ type: 'bool', value: true })).toBe('(boolean) true');
  });

  it('numbers and indents nested arrays and maps', () => {
    const r: Reply = {
      type: 'array',
      value: [bulk('0'), { type: 'array', value: [bulk('k1'), bulk('k2')] }],
    };
    expect(replyText(r)).toBe('1) "0"\n2) 1) "k1"\n   2) "k2"');
    expect(replyText({ type: 'array', value: [] })).toBe('(empty array)');
    const m: Reply = { type: 'map', value: [[bulk('a'), { type: 'int', value: 1 }], [bulk('b'), { type: 'nil' }]] };
    expect(replyText(m)).toBe('1# "a" => (integer) 1\n2# "b" => (nil)');
  });

  it('tokenizes command lines with quotes and escapes', () => {
    expect(tokenize('SET  a "hello world"')).toEqual(['SET', 'a', 'hello world']);
    expect(tokenize(`HSET h f 'it"s'`)).toEqual(['HSET', 'h', 'f', 'it"s']);
    expect(tokenize('SET k "a\\x00\\n"')).toEqual(['SET', 'k', 'a\u0000\n']);
    expect(tokenize('  ')).toEqual([]);
    expect(() => tokenize('GET "open')).toThrow(/unbalanced/);
  });

  it('walks history with up and down', () => {
    const h = new History();
    h.push('PING');
    h.push('INFO');
    h.push('INFO');
    expect(h.items).toEqual(['PING', 'INFO']);
    expect(h.prev()).toBe('INFO');
    expect(h.prev()).toBe('PING');
    expect(h.prev()).toBe('PING');
    expect(h.next()).toBe('INFO');
    expect(h.next()).toBe('');
  });
});

describe('replyTable', () => {
  const bulk = (text: string): Reply => ({ type: 'bulk', value: { text, b64: btoa(text) } });
  const arr = (...value: Reply[]): Reply => ({ type: 'array', value });
  it('lays out HGETALL pairs, maps, stream entries, nested arrays and plain arrays', () => {
    expect(replyTable(arr(bulk('bid'), bulk('1.5'), bulk('ask'), bulk('1.6')), ['hgetall', 'book'])).toEqual({ headers: ['field', 'value'], rows: [['bid', '1.5'], ['ask', '1.6']] });
    expect(replyTable({ type: 'map', value: [[bulk('a'), { type: 'int', value: 1 }]] }, ['hello'])).toEqual({ headers: ['field', 'value'], rows: [['a', '1']] });
    const xrange = arr(arr(bulk('1-0'), arr(bulk('p'), bulk('10'))), arr(bulk('2-0'), arr(bulk('p'), bulk('11'), bulk('q'), bulk('1'))));
    expect(replyTable(xrange, ['XRANGE', 's', '-', '+'])).toEqual({ headers: ['id', 'p', 'q'], rows: [['1-0', '10', ''], ['2-0', '11', '1']] });
    expect(replyTable(arr(bulk('a'), bulk('1'), bulk('b'), bulk('2')), ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'])?.headers).toEqual(['member', 'score']);
    expect(replyTable(arr(arr(bulk('x'), { type: 'int', value: 2 }), arr(bulk('y'))), ['cmd'])).toEqual({ headers: ['#', '1', '2'], rows: [['1', 'x', '2'], ['2', 'y', '']] });
    expect(replyTable(arr(bulk('a'), bulk('b')), ['LRANGE', 'l', '0', '-1'])).toEqual({ headers: ['#', 'value'], rows: [['1', 'a'], ['2', 'b']] });
    expect(replyTable({ type: 'int', value: 3 }, ['INCR', 'n'])).toBeNull();
    // XINFO STREAM in RESP2: field/value pairs whose values may be entries themselves.
    const xinfo = replyTable(arr(bulk('length'), { type: 'int', value: 2 }, bulk('first-entry'), arr(bulk('1-0'), arr(bulk('p'), bulk('10')))), ['xinfo', 'stream', 's']);
    expect(xinfo?.rows[0]).toEqual(['length', '2']);
    expect(xinfo?.rows[1][0]).toBe('first-entry');
  });
});
