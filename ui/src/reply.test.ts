import { describe, expect, it } from 'vitest';
import { History, replyText, tokenize } from './reply';
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
