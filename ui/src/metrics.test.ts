import { describe, expect, it } from 'vitest';
import { chartData, hitPercent } from './metrics';
import type { MetricsSample } from './types';

const sample = (at_ms: number, over: Partial<MetricsSample> = {}): MetricsSample => ({
  at_ms,
  ops_per_sec: 10,
  hit_rate: 0.5,
  hit_rate_total: 0.5,
  used_memory: 100,
  maxmemory: 0,
  fragmentation: 1,
  clients: 1,
  evicted_keys: 0,
  expired_keys: 0,
  keys: 0,
  net_in_kbps: 0,
  net_out_kbps: 0,
  ...over,
});

describe('chart data', () => {
  it('turns samples into uPlot columns with seconds on x', () => {
    const cols = chartData([sample(1000), sample(2000, { ops_per_sec: 20 })], { series: [{ label: 'ops', color: '', get: (s) => s.ops_per_sec }] });
    expect(cols).toEqual([
      [1, 2],
      [10, 20],
    ]);
  });
  it('charts counters since start as per-sample changes, a restart as zero', () => {
    const s = [sample(0, { expired_keys: 5 }), sample(1000, { expired_keys: 8 }), sample(2000, { expired_keys: 8 }), sample(3000, { expired_keys: 1 })];
    expect(chartData(s, { series: [{ label: 'x', color: '', get: (x) => x.expired_keys, delta: true }] })[1]).toEqual([null, 3, 0, 0]);
  });
  it('shows the hit rate as a percentage, and no reads as a gap', () => {
    expect(hitPercent(0.875)).toBe(87.5);
    expect(hitPercent(null)).toBeNull();
    expect(hitPercent(Number.NaN)).toBeNull();
  });
});
