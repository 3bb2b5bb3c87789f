import { describe, expect, it } from 'vitest';
import { formatBytes, formatCount, formatDuration, formatMs } from './format';

describe('format', () => {
  it('formats bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KB');
    expect(formatBytes(50 * 1024 * 1024)).toBe('50.0 MB');
    expect(formatBytes(null)).toBe('—');
  });
  it('formats durations', () => {
    expect(formatDuration(59)).toBe('59s');
    expect(formatDuration(61)).toBe('1m 1s');
    expect(formatDuration(93784)).toBe('1d 2h 3m');
    expect(formatDuration(-1)).toBe('—');
  });
  it('formats counts and milliseconds', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
    expect(formatMs(0.234)).toBe('0.23 ms');
    expect(formatMs(12.6)).toBe('13 ms');
  });
});
