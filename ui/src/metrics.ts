// Metrics for the dashboard's charts: which series a chart draws and how samples become uPlot
// columns (hit rate as a percentage, counters since start as per-sample changes).

import type { MetricsSample } from './types';

/** The chart panels: title, series labels, and how to read each series from a sample. */
export interface ChartSpec {
  id: string;
  title: string;
  series: { label: string; color: string; get: (s: MetricsSample) => number | null; delta?: boolean }[];
  fmt: (v: number) => string;
}

/** Hit rate as a percentage (the sampler reports a 0..1 fraction). */
export function hitPercent(v: number | null | undefined): number | null {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  return v * 100;
}

/** Columns for uPlot: x (seconds) then one array per series; counters since start (`delta`)
 * become the change from the previous sample (a server restart counts as 0). */
export function chartData(samples: MetricsSample[], spec: Pick<ChartSpec, 'series'>): (number | null)[][] {
  const xs = samples.map((s) => s.at_ms / 1000);
  return [
    xs,
    ...spec.series.map((se) =>
      samples.map((s, i) => {
        const v = se.get(s);
        if (!se.delta || v === null) return v;
        if (i === 0) return null;
        const prev = se.get(samples[i - 1]);
        return prev === null ? null : Math.max(0, v - prev);
      }),
    ),
  ];
}

