import { describe, expect, it } from 'vitest';
import { visibleWindow } from './virtual';

describe('visibleWindow', () => {
  it('draws only the rows in view plus overscan, at a million rows', () => {
    const w = visibleWindow(500_000 * 22, 600, 22, 1_000_000, 8);
    expect(w).toEqual({ start: 499_992, end: 500_037, offset: 499_992 * 22 });
    expect(w.end - w.start).toBe(45);
  });
  it('starts at zero and clamps at the end', () => {
    expect(visibleWindow(0, 220, 22, 100, 2)).toEqual({ start: 0, end: 13, offset: 0 });
    const end = visibleWindow(100 * 22, 220, 22, 100, 2);
    expect(end.end).toBe(100);
    expect(end.start).toBe(97);
    expect(visibleWindow(0, 600, 22, 0)).toEqual({ start: 0, end: 0, offset: 0 });
  });
});
