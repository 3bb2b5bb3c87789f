import { describe, expect, it } from 'vitest';
import { History, replyText, tokenize } from './reply';

describe('console replies', () => {
  it('renders scalars by type like redis-cli', () => {
    expect(replyText({ type: 'nil', value: null })).toBe('(nil)');
    expect(replyText({ type: 'int', value: 42 })).toBe('(integer) 42');
    expect(replyText({ type: 'string', value: 'OK' })).toBe('OK');
    expect(replyText({ type: 'bulk', value: 'a"b' })).toBe('"a\\"b"');
    expect(replyText({ type: 'bulk', value: { text: 'x\\xff', b64: 'eP8=' } })).toBe('"x\\\\xff"');
    expect(replyText({ type: 'error', value: 'WRONGTYPE Operation' })).toBe('(error) WRONGTYPE Operation');
    expect(replyText({ type: 'double', value: 1.5 })).toBe('(double) 1.5');
    expect(replyText({ type: 'bool', value: true })).toBe('(boolean) true');
  });

  it('numbers and indents nested arrays and maps', () => {
    const r = {
      type: 'array',
      value: [
        { type: 'bulk', value: '0' },
        { type: 'array', value: [{ type: 'bulk', value: 'k1' }, { type: 'bulk', value: 'k2' }] },
      ],
    };
    expect(replyText(r)).toBe('1) "0"\n2) 1) "k1"\n   2) "k2"');
    expect(replyText({ type: 'array', value: [] })).toBe('(empty array)');
    const m = { type: 'map', value: [[{ type: 'bulk', value: 'a' }, { type: 'int', value: 1 }], [{ type: 'bulk', value: 'b' }, { type: 'nil', value: null }]] };
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
