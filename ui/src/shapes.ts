// The library's own data shapes, so the key browser can show them as what they are: OHLCV
// candles, metric series, the market stream's quote board, the signal buffer and feature vectors.
// Which shape a key has is the server's answer (`shape` of `key` / `keys_meta`, from the library's
// key layout); this module only draws and aggregates. Pure functions, tested with Vitest.

import type { Shape } from './api.gen';
import type { StreamEntry } from './types';

/** A view the key browser can pick for a key instead of the raw one (the server's `shape`). */
export type { Shape };

/** Human name of a shape view (the switch's label). */
export const SHAPE_LABEL: Record<Shape, string> = {
  candles: 'Candles',
  series: 'Chart',
  quotes: 'Quote board',
  signals: 'Signals',
  features: 'Features',
};

export interface Bar {
  ts_ms: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Where one candle and its volume bar are drawn, in canvas pixels. */
export interface CandleBox {
  x: number; // centre
  width: number;
  highY: number;
  lowY: number;
  bodyTop: number;
  bodyHeight: number; // at least 1 px, so a doji is visible
  up: boolean; // close >= open
  volTop: number;
  volHeight: number;
}

export interface CandleLayout {
  boxes: CandleBox[];
  priceMin: number;
  priceMax: number;
  volumeMax: number;
  /** Height of the price pane (the volume pane is below it). */
  priceHeight: number;
}

/**
 * Lays out `bars` (time order) in a `width` × `height` area: prices in the top part, volume in
 * the bottom `volumeShare` of it, one slot per bar with a gap.
 */
export function candleLayout(bars: Bar[], width: number, height: number, volumeShare = 0.25, pad = 4): CandleLayout {
  const priceHeight = Math.max(1, Math.round(height * (1 - volumeShare)) - pad);
  const volHeightMax = Math.max(1, height - priceHeight - pad);
  if (!bars.length) return { boxes: [], priceMin: 0, priceMax: 0, volumeMax: 0, priceHeight };
  let lo = Infinity;
  let hi = -Infinity;
  let vmax = 0;
  for (const b of bars) {
    lo = Math.min(lo, b.low);
    hi = Math.max(hi, b.high);
    vmax = Math.max(vmax, b.volume);
  }
  const span = hi - lo || Math.abs(hi) * 0.01 || 1;
  const y = (p: number) => pad + (hi - p) / span * (priceHeight - pad);
  const slot = width / bars.length;
  const w = Math.max(1, Math.floor(slot * 0.7));
  const boxes = bars.map((b, i) => {
    const top = y(Math.max(b.open, b.close));
    const bottom = y(Math.min(b.open, b.close));
    const vh = vmax > 0 ? (b.volume / vmax) * volHeightMax : 0;
    return {
      x: slot * i + slot / 2,
      width: w,
      highY: y(b.high),
      lowY: y(b.low),
      bodyTop: top,
      bodyHeight: Math.max(1, bottom - top),
      up: b.close >= b.open,
      volTop: height - vh,
      volHeight: vh,
    };
  });
  return { boxes, priceMin: lo, priceMax: hi, volumeMax: vmax, priceHeight };
}

/** One symbol's row on the quote board. */
export interface QuoteRow {
  symbol: string;
  price: number;
  bid: number | null;
  ask: number | null;
  spread: number | null;
  /** Price change over the entries seen, in percent of the first price. */
  changePct: number;
  /** Volume summed over the entries seen. */
  volume: number;
  updates: number;
  lastId: string;
  lastTs: string;
}

function num(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Compares stream ids (`ms-seq`) numerically. */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am - bm || (as ?? 0) - (bs ?? 0);
}

/**
 * The quote board from market stream entries (any order): per symbol the latest price, bid and
 * ask, the change since the first entry seen, summed volume and the number of updates. Entries
 * without a symbol or a numeric price are skipped (and counted in `skipped`).
 */
export function quoteBoard(entries: StreamEntry[]): { rows: QuoteRow[]; skipped: number } {
  const sorted = [...entries].sort((a, b) => compareIds(a.id, b.id));
  const by = new Map<string, QuoteRow & { first: number }>();
  let skipped = 0;
  for (const e of sorted) {
    const f: Record<string, string> = {};
    for (const [k, v] of e.fields) f[k.text] = v.text;
    const price = num(f.price);
    if (!f.symbol || price === null) {
      skipped += 1;
      continue;
    }
    const bid = num(f.bid);
    const ask = num(f.ask);
    const prev = by.get(f.symbol);
    const first = prev ? prev.first : price;
    by.set(f.symbol, {
      symbol: f.symbol,
      price,
      bid,
      ask,
      spread: bid !== null && ask !== null ? ask - bid : null,
      first,
      changePct: first !== 0 ? ((price - first) / first) * 100 : 0,
      volume: (prev?.volume ?? 0) + (num(f.volume) ?? 0),
      updates: (prev?.updates ?? 0) + 1,
      lastId: e.id,
      lastTs: f.timestamp ?? '',
    });
  }
  const rows = [...by.values()].map(({ first: _first, ...r }) => r).sort((a, b) => a.symbol.localeCompare(b.symbol));
  return { rows, skipped };
}

/** Feature name/value rows from a feature vector (nested objects flattened with dots). */
export function featureRows(value: unknown, prefix = ''): [string, string][] {
  if (value === null || typeof value !== 'object') return prefix ? [[prefix, fmtValue(value)]] : [['value', fmtValue(value)]];
  const out: [string, string][] = [];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
  for (const [k, v] of entries) {
    const name = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(...featureRows(v, name));
    else out.push([name, fmtValue(v)]);
  }
  return out;
}

function fmtValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toPrecision(6).replace(/\.?0+$/, '');
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Columns of the signal table: fields found in the signals, most common first (at most `max`). */
export function signalColumns(signals: Record<string, unknown>[], max = 8): string[] {
  const count = new Map<string, number>();
  for (const s of signals) for (const k of Object.keys(s)) count.set(k, (count.get(k) ?? 0) + 1);
  const preferred = ['timestamp', 'strategy', 'strategy_id', 'symbol', 'action', 'signal', 'side', 'strength', 'confidence', 'price'];
  return [...count.keys()]
    .sort((a, b) => {
      const pa = preferred.indexOf(a);
      const pb = preferred.indexOf(b);
      if (pa >= 0 || pb >= 0) return (pa < 0 ? 99 : pa) - (pb < 0 ? 99 : pb);
      return (count.get(b) ?? 0) - (count.get(a) ?? 0) || a.localeCompare(b);
    })
    .slice(0, max);
}

/** A cell of the signal table; epoch-millisecond times in time columns read as UTC times. */
export function cellText(v: unknown, column = ''): string {
  if (typeof v === 'number' && /time|_at$|^ts/.test(column) && v > 1e12 && v < 1e14) {
    return new Date(v).toISOString().replace('T', ' ').replace('Z', '').replace(/\.(\d{3})$/, '.$1Z');
  }
  return fmtValue(v);
}

/** Points of a line chart scaled into `width` × `height` (time on x, value on y). */
export function linePoints(points: { ts_ms: number; value: number }[], width: number, height: number, pad = 4): [number, number][] {
  if (!points.length) return [];
  const t0 = points[0].ts_ms;
  const t1 = points[points.length - 1].ts_ms;
  let lo = Infinity;
  let hi = -Infinity;
  for (const p of points) {
    lo = Math.min(lo, p.value);
    hi = Math.max(hi, p.value);
  }
  const span = hi - lo || 1;
  const tspan = t1 - t0 || 1;
  return points.map((p) => [pad + ((p.ts_ms - t0) / tspan) * (width - 2 * pad), pad + ((hi - p.value) / span) * (height - 2 * pad)]);
}
