import { describe, expect, it } from 'vitest';
import { displayKey, escapeBytes, fromBase64, toBase64, unescapeBytes } from './keys';

describe('binary keys', () => {
  it('shows UTF-8 as text and other bytes as \\x escapes', () => {
    expect(escapeBytes(new TextEncoder().encode('market:ticker:€'))).toBe('market:ticker:€');
    expect(escapeBytes(new Uint8Array([0x62, 0xff, 0x00, 0x5c, 0x0a]))).toBe('b\\xff\\x00\\\\\\x0a');
  });

  it('round-trips every byte value through escape and unescape', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    expect(Array.from(unescapeBytes(escapeBytes(all)))).toEqual(Array.from(all));
  });

  it('round-trips base64', () => {
    const bytes = new Uint8Array([0, 1, 2, 250, 255]);
    expect(Array.from(fromBase64(toBase64(bytes)))).toEqual([0, 1, 2, 250, 255]);
    expect(displayKey(btoa('a\u00ff'))).toBe('a\\xff');
  });
});
