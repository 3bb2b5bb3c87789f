// The key browser's views of the library's own data shapes (see ../shapes.ts), picked by the
// `shape` the server sends with a key: candlesticks with volume for OHLCV series, a line chart
// with `get_stats` figures for metric series, a live quote board for the market stream, and
// tables for the signal buffer and feature vectors.

import { h } from '../dom';
import { formatCount, formatDecimal } from '../format';
import { candleLayout, cellText, featureRows, linePoints, quoteBoard, SHAPE_LABEL, signalColumns, type Shape } from '../shapes';
import type { Transport } from '../transport';
import { valuePage, type Bytes, type KeyValue } from '../types';
import { button, empty, errorText, table } from '../ui';

const UP = '#3fb950';
const DOWN = '#f85149';
/** Quote board refresh period. */
const QUOTES_EVERY_MS = 1000;
/** Stream entries the quote board reads per refresh (newest first). */
const QUOTES_TAIL = 500;

/** A canvas sized for the device pixel ratio; `draw` gets CSS-pixel coordinates. */
function canvas(width: number, height: number, testid: string, draw: (c: CanvasRenderingContext2D, w: number, h: number) => void): HTMLCanvasElement {
  const el = h('canvas', { class: 'shape-canvas', 'data-testid': testid, style: `width:100%;height:${height}px` });
  requestAnimationFrame(() => {
    const w = el.clientWidth || width;
    const ratio = window.devicePixelRatio || 1;
    el.width = Math.round(w * ratio);
    el.height = Math.round(height * ratio);
    const c = el.getContext('2d');
    if (!c) return;
    c.scale(ratio, ratio);
    draw(c, w, height);
    el.dataset.drawn = 'true';
  });
  return el;
}

function textColor(): string {
  return getComputedStyle(document.body).getPropertyValue('--muted').trim() || '#8b92a3';
}

function fact(label: string, value: string, testid?: string): HTMLElement {
  return h('div', { class: 'fact' }, h('div', { class: 'fact-label' }, label), h('div', { class: 'fact-value small', 'data-testid': testid }, value));
}

function fmt(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  return Math.abs(n) >= 1000 ? formatDecimal(n) : String(Number(n.toPrecision(6)));
}

function time(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

async function candles(api: Transport, body: HTMLElement, kv: KeyValue): Promise<void> {
  const r = await api.call('series', { key: kv.key.text, count: 300 });
  if (!r.bars.length) {
    body.append(empty('No bars in this series.'));
    return;
  }
  const last = r.bars[r.bars.length - 1];
  const first = r.bars[0];
  const change = first.open ? ((last.close - first.open) / first.open) * 100 : 0;
  const chart = canvas(800, 340, 'candles-canvas', (c, w, height) => {
    const axis = 64;
    const l = candleLayout(r.bars, w - axis, height);
    c.strokeStyle = textColor();
    c.fillStyle = textColor();
    c.font = '11px ui-monospace, monospace';
    c.globalAlpha = 0.3;
    c.beginPath();
    c.moveTo(0, l.priceHeight + 2);
    c.lineTo(w - axis, l.priceHeight + 2);
    c.stroke();
    c.globalAlpha = 1;
    for (const b of l.boxes) {
      const color = b.up ? UP : DOWN;
      c.strokeStyle = color;
      c.fillStyle = color;
      c.beginPath();
      c.moveTo(Math.round(b.x) + 0.5, b.highY);
      c.lineTo(Math.round(b.x) + 0.5, b.lowY);
      c.stroke();
      c.fillRect(b.x - b.width / 2, b.bodyTop, b.width, b.bodyHeight);
      c.globalAlpha = 0.45;
      c.fillRect(b.x - b.width / 2, b.volTop, b.width, b.volHeight);
      c.globalAlpha = 1;
    }
    c.fillStyle = textColor();
    c.fillText(fmt(l.priceMax), w - axis + 4, 12);
    c.fillText(fmt(l.priceMin), w - axis + 4, l.priceHeight);
    c.fillText(`vol ${fmt(l.volumeMax)}`, w - axis + 4, height - 4);
  });
  body.append(
    h('div', { class: 'facts shape-facts', 'data-testid': 'candle-facts' },
      fact('bars', `${formatCount(r.bars.length)}${r.truncated ? ` of ${formatCount(r.total)}` : ''}`, 'candle-count'),
      fact('last close', fmt(last.close), 'candle-last'),
      fact('change', `${change >= 0 ? '+' : ''}${change.toFixed(2)} %`),
      fact('high / low', `${fmt(Math.max(...r.bars.map((b) => b.high)))} / ${fmt(Math.min(...r.bars.map((b) => b.low)))}`),
      fact('from', time(first.ts_ms)),
      fact('to', time(last.ts_ms)),
    ),
    chart,
  );
}

async function series(api: Transport, body: HTMLElement, kv: KeyValue): Promise<void> {
  const r = await api.call('series', { key: kv.key.text, count: 1000 });
  const s = r.stats;
  const chart = canvas(800, 260, 'series-canvas', (c, w, height) => {
    const pts = linePoints(r.points, w, height);
    c.strokeStyle = '#58a6ff';
    c.lineWidth = 1.5;
    c.beginPath();
    pts.forEach(([x, y], i) => (i ? c.lineTo(x, y) : c.moveTo(x, y)));
    c.stroke();
  });
  body.append(
    h('div', { class: 'facts shape-facts', 'data-testid': 'series-stats' },
      fact('points', formatCount(s?.count ?? r.total), 'series-count'),
      fact('min', fmt(s?.min)),
      fact('max', fmt(s?.max)),
      fact('avg', fmt(s?.avg), 'series-avg'),
      fact('last', fmt(s?.last)),
      fact('since', s?.first_ts_ms ? time(s.first_ts_ms) : '—'),
    ),
    h('div', { class: 'muted' }, r.truncated ? `chart shows the newest ${formatCount(r.points.length)} points; stats cover all ${formatCount(s?.count ?? r.total)}` : ''),
    chart,
  );
}

function quotes(api: Transport, body: HTMLElement, kv: KeyValue): () => void {
  const rows = h('tbody');
  const note = h('div', { class: 'muted', 'data-testid': 'quote-note' });
  let last = new Map<string, number>();
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  body.append(
    note,
    h('div', { class: 'table-scroll' },
      h('table', { class: 'grid quote-board', 'data-testid': 'quote-board' },
        h('thead', {}, h('tr', {}, ...['symbol', 'price', 'bid', 'ask', 'spread', 'change', 'volume', 'updates'].map((x) => h('th', {}, x)))),
        rows)),
  );
  async function refresh(): Promise<void> {
    try {
      const r = await api.call('stream_entries', { key_b64: kv.key.b64, start: '-', end: '+', count: QUOTES_TAIL, rev: true });
      if (stopped) return;
      const board = quoteBoard(r.entries);
      const next = new Map<string, number>();
      rows.replaceChildren(...board.rows.map((q) => {
        next.set(q.symbol, q.price);
        const prev = last.get(q.symbol);
        const moved = prev === undefined || prev === q.price ? '' : q.price > prev ? ' tick-up' : ' tick-down';
        return h('tr', { 'data-symbol': q.symbol, 'data-last-id': q.lastId, title: `last entry ${q.lastId}${q.lastTs ? ` at ${q.lastTs}` : ''}`, class: moved.trim() },
          h('td', { class: 'mono' }, q.symbol),
          h('td', { class: `num${moved}` }, fmt(q.price)),
          h('td', { class: 'num' }, fmt(q.bid)),
          h('td', { class: 'num' }, fmt(q.ask)),
          h('td', { class: 'num' }, fmt(q.spread)),
          h('td', { class: `num ${q.changePct >= 0 ? 'up' : 'down'}` }, `${q.changePct >= 0 ? '+' : ''}${q.changePct.toFixed(2)} %`),
          h('td', { class: 'num' }, fmt(q.volume)),
          h('td', { class: 'num' }, String(q.updates)));
      }));
      last = next;
      note.textContent = `${board.rows.length} symbols from the newest ${formatCount(r.entries.length)} entries${board.skipped ? ` (${board.skipped} not quotes)` : ''} · live, every ${QUOTES_EVERY_MS / 1000} s`;
    } catch (e) {
      note.textContent = errorText(e);
    }
    if (!stopped) timer = setTimeout(() => void refresh(), QUOTES_EVERY_MS);
  }
  void refresh();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

function parseJson(b: Bytes): Record<string, unknown> | null {
  try {
    const v = JSON.parse(b.text);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function signals(body: HTMLElement, kv: KeyValue): void {
  const items: Bytes[] = valuePage(kv, 'list').items ?? [];
  const parsed = items.map(parseJson);
  const objs = parsed.filter((x): x is Record<string, unknown> => x !== null);
  const cols = signalColumns(objs);
  body.append(
    h('div', { class: 'muted' }, `newest ${formatCount(items.length)} of ${formatCount(kv.size ?? 0)} signals${objs.length < items.length ? ` · ${items.length - objs.length} not JSON objects` : ''}`),
    objs.length ? table(['#', ...cols], objs.map((o, i) => [String(i), ...cols.map((c) => cellText(o[c], c))]), 'signals-table') : empty('No JSON signals in the first page.'),
  );
}

function features(body: HTMLElement, kv: KeyValue): void {
  const v = valuePage(kv, 'string');
  let json: unknown = v.decoded?.json;
  if (json === undefined) {
    try {
      json = JSON.parse(v.preview?.text ?? '');
    } catch {
      body.append(empty('This value is not JSON; use the raw view.'));
      return;
    }
  }
  const rows = featureRows(json);
  body.append(
    h('div', { class: 'muted' }, `${rows.length} features`),
    table(['feature', 'value'], rows.map(([k, x]) => [h('span', { class: 'mono' }, k), h('span', { class: 'num' }, x)]), 'features-table'),
  );
}

/**
 * Shows `kv` as its shape into `body`, with a switch to the raw view (`onRaw`). Returns a
 * function that stops live refreshes.
 */
export function showShape(api: Transport, body: HTMLElement, shape: Shape, kv: KeyValue, onRaw: () => void): () => void {
  const view = h('div', { class: 'shape-view', 'data-testid': `shape-${shape}` });
  body.replaceChildren(
    h('div', { class: 'row shape-switch' },
      h('span', { class: 'badge', 'data-testid': 'shape-name' }, SHAPE_LABEL[shape]),
      button('Raw view', onRaw, { 'data-testid': 'shape-raw', class: 'btn small' })),
    view,
  );
  // A key that looks like a library shape but does not read as one falls back to the raw view.
  const fail = (e: unknown) => {
    onRaw();
    body.prepend(h('div', { class: 'muted', 'data-testid': 'shape-unavailable' }, `${SHAPE_LABEL[shape]} view unavailable: ${errorText(e)}`));
  };
  switch (shape) {
    case 'candles':
      candles(api, view, kv).catch(fail);
      return () => undefined;
    case 'series':
      series(api, view, kv).catch(fail);
      return () => undefined;
    case 'quotes':
      return quotes(api, view, kv);
    case 'signals':
      signals(view, kv);
      return () => undefined;
    case 'features':
      features(view, kv);
      return () => undefined;
  }
}

/** The bar shown above a raw view of a shaped key, to switch back. */
export function shapeSwitch(shape: Shape, onShape: () => void): HTMLElement {
  return h('div', { class: 'row shape-switch' }, h('span', { class: 'muted' }, 'raw view'), button(`${SHAPE_LABEL[shape]} view`, onShape, { 'data-testid': 'shape-back', class: 'btn small' }));
}
