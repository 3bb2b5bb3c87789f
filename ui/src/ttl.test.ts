import { describe, expect, it } from 'vitest';
import { formatTtl, parseTtl, remainingTtl } from './ttl';

describe('ttl', () => {
  it('formats Redis TTL states and durations', () => {
    expect(formatTtl(-1)).toBe('no expiry');
    expect(formatTtl(-2)).toBe('expired');
    expect(formatTtl(1500)).toBe('1.5s');
    expect(formatTtl(65_000)).toBe('1m 05s');
    expect(formatTtl(3_660_000)).toBe('1h 01m');
    expect(formatTtl(90_000_000)).toBe('1d 1h');
  });
  it('counts down from the moment it was read', () => {
    expect(remainingTtl(5000, 1000, 3000)).toBe(3000);
    expect(remainingTtl(5000, 1000, 9000)).toBe(0);
    expect(remainingTtl(-1, 1000, 9000)).toBe(-1);
  });
  it('parses user input', () => {
    expect(parseTtl('90')).toBe(90_000);
    expect(parseTtl('500ms')).toBe(500);
    expect(parseTtl('2h')).toBe(7_200_000);
    expect(parseTtl('abc')).toBeNull();
    expect(parseTtl('0')).toBeNull();
  });
});
