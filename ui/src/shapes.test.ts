import { describe, expect, it } from 'vitest';
import { candleLayout, cellText, compareIds, featureRows, linePoints, quoteBoard, signalColumns } from './shapes';
import type { StreamEntry } from './types';

const b = (text: string) => ({ text, b64: '' });
const entry = (id: string, f: Record<string, string>): StreamEntry => ({ id, fields: Object.entries(f).map(([k, v]) => [b(k), b(v)]) }) as StreamEntry;

describe('candleLayout', () => {
  const bars = [
    { ts_ms: 0, open: 10, high: 12, low: 9, close: 11, volume: 100 },
    { ts_ms: 1, open: 11, high: 11, low: 8, close: 8, volume: 50 },
    { ts_ms: 2, open: 8, high: 8, low: 8, close: 8, volume: 0 },
  ];
  it('maps prices to the top pane and volume to the bottom one', () => {
    const l = candleLayout(bars, 300, 200, 0.25, 0);
    expect(l.boxes).toHaveLength(3);
    expect([l.priceMin, l.priceMax, l.volumeMax]).toEqual([8, 12, 100]);
    expect(l.priceHeight).toBe(150);
    const [up, down, doji] = l.boxes;
    expect(up.up).toBe(true);
    expect(down.up).toBe(false);
    // The highest high is at the top edge, the lowest low at the bottom of the price pane.
    expect(up.highY).toBe(0);
    expect(down.lowY).toBe(150);
    // Slots are even, candles centred; a doji still gets a 1 px body.
    expect(l.boxes.map((x) => x.x)).toEqual([50, 150, 250]);
    expect(doji.bodyHeight).toBe(1);
    // Volume: the largest bar fills the pane (50 px), half volume half of it, none nothing.
    expect(up.volHeight).toBe(50);
    expect(down.volHeight).toBe(25);
    expect(doji.volHeight).toBe(0);
    expect(up.volTop + up.volHeight).toBe(200);
  });
  it('handles no bars and flat prices', () => {
    expect(candleLayout([], 100, 100).boxes).toEqual([]);
    const flat = candleLayout([{ ts_ms: 0, open: 5, high: 5, low: 5, close: 5, volume: 1 }], 100, 100);
    expect(Number.isFinite(flat.boxes[0].highY)).toBe(true);
  });
});

describe('quoteBoard', () => {
  it('keeps the latest quote per symbol with change, spread, volume and counts', () => {
    const { rows, skipped } = quoteBoard([
      entry('1700000000002-0', { symbol: 'AAPL', price: '110', bid: '109.5', ask: '110.5', volume: '3' }),
      entry('1700000000000-0', { symbol: 'AAPL', price: '100', volume: '1' }),
      entry('1700000000001-0', { symbol: 'MSFT', price: '50', bid: '49', ask: '51', volume: '2' }),
      entry('1700000000001-1', { symbol: 'MSFT', price: 'NaN?' }),
      entry('1700000000003-0', { price: '1' }),
    ]);
    expect(skipped).toBe(2);
    expect(rows.map((r) => r.symbol)).toEqual(['AAPL', 'MSFT']);
    const [aapl, msft] = rows;
    expect(aapl.price).toBe(110);
    expect(aapl.changePct).toBeCloseTo(10);
    expect(aapl.spread).toBeCloseTo(1);
    expect(aapl.volume).toBe(4);
    expect(aapl.updates).toBe(2);
    expect(aapl.lastId).toBe('1700000000002-0');
    expect(msft.updates).toBe(1);
    expect(msft.changePct).toBe(0);
  });
  it('orders ids numerically, not as text', () => {
    expect(compareIds('9-0', '10-0')).toBeLessThan(0);
    expect(compareIds('10-2', '10-10')).toBeLessThan(0);
  });
});

describe('features and signals', () => {
  it('flattens feature vectors into name/value rows', () => {
    expect(featureRows({ rsi: 55.123456789, vol: { d1: 0.02, d5: 0.05 }, name: 'x', n: null })).toEqual([
      ['rsi', '55.1235'],
      ['vol.d1', '0.02'],
      ['vol.d5', '0.05'],
      ['name', 'x'],
      ['n', '—'],
    ]);
    expect(featureRows(3)).toEqual([['value', '3']]);
  });
  it('shows epoch-ms times in time columns as UTC', () => {
    expect(cellText(1795513306829, 'timestamp')).toBe('2026-11-24 09:41:46.829Z');
    expect(cellText(1795513306829, 'price')).toBe('1795513306829');
    expect(cellText('BUY', 'timestamp')).toBe('BUY');
  });
  it('picks the usual signal fields first', () => {
    const cols = signalColumns([
      { zz: 1, symbol: 'AAPL', strategy: 'momo', timestamp: 't', strength: 0.5 },
      { symbol: 'MSFT', extra: 2, zz: 3 },
    ]);
    expect(cols.slice(0, 4)).toEqual(['timestamp', 'strategy', 'symbol', 'strength']);
    expect(cols).toContain('zz');
    expect(cols).toHaveLength(6);
  });
});

describe('linePoints', () => {
  it('spans the area from the first to the last point', () => {
    const p = linePoints([{ ts_ms: 0, value: 1 }, { ts_ms: 5, value: 3 }, { ts_ms: 10, value: 2 }], 108, 58, 4);
    expect(p).toEqual([[4, 54], [54, 4], [104, 29]]);
  });
});
