import { describe, expect, it } from 'vitest';
import { formatBytes, formatClock, formatCount, formatDecimal, formatDuration, formatMs } from './format';

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
  it('formats counts as before when rounding, and decimals to two places', () => {
    expect(formatCount(999.6)).toBe('1,000');
    expect(formatCount(Number.NaN)).toBe('—');
    expect(formatDecimal(1234.5678)).toBe((1234.5678).toLocaleString(undefined, { maximumFractionDigits: 2 }));
  });
  it('formats a wall-clock time the way en-GB does, 24-hour', () => {
    for (const d of [new Date(2026, 0, 2, 9, 5, 3), new Date(2026, 11, 4, 23, 59, 59), new Date(2026, 5, 1, 0, 0, 0)]) {
      expect(formatClock(d)).toBe(d.toLocaleTimeString('en-GB', { hour12: false }));
    }
    expect(formatClock(new Date(2026, 0, 2, 9, 5, 3))).toBe('09:05:03');
  });
});
