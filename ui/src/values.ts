// Value rendering: hex dumps for binary, collapsible pretty JSON, and the small pure helpers the
// key viewer uses to decide how to show a value.

import { h } from './dom';
import { fromBase64 } from './keys';
import type { Bytes } from './types';

/** Classic hex dump lines: offset, 16 hex bytes, printable ASCII. */
export function hexDump(bytes: Uint8Array, width = 16, maxLines = 4096): string[] {
  const out: string[] = [];
  for (let off = 0; off < bytes.length && out.length < maxLines; off += width) {
    const chunk = bytes.subarray(off, off + width);
    const hex = Array.from(chunk, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(chunk, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    out.push(`${off.toString(16).padStart(8, '0')}  ${hex.padEnd(width * 3 - 1)}  ${ascii}`);
  }
  return out;
}

/** Parses text as JSON when it looks like an object or array; undefined otherwise. */
export function tryJson(text: string): unknown {
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

/** How a value is best shown. */
export function valueKind(b: Bytes): 'json' | 'binary' | 'text' {
  if (b.binary) return 'binary';
  return tryJson(b.text) !== undefined ? 'json' : 'text';
}

/** A short one-line preview of a value for tables and lists. */
export function preview(b: Bytes, max = 120): string {
  const t = b.text.replace(/\s+/g, ' ');
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/** A JSON value as a collapsible tree (objects and arrays fold; the first levels start open). */
export function jsonTree(value: unknown, depth = 0): HTMLElement {
  if (value === null || typeof value !== 'object') {
    const cls = value === null ? 'null' : typeof value;
    return h('span', { class: `j-${cls}` }, JSON.stringify(value));
  }
  const isArr = Array.isArray(value);
  const entries = isArr ? (value as unknown[]).map((v, i) => [String(i), v] as const) : Object.entries(value as Record<string, unknown>);
  const open = isArr ? '[' : '{';
  const close = isArr ? ']' : '}';
  if (entries.length === 0) return h('span', {}, open + close);
  const details = h('details', { class: 'j-node' });
  if (depth < 2) details.open = true;
  details.append(h('summary', {}, `${open} ${entries.length} ${isArr ? 'items' : 'keys'} ${close}`));
  const list = h('div', { class: 'j-children' });
  for (const [k, v] of entries.slice(0, 2000)) {
    list.append(h('div', { class: 'j-row' }, isArr ? null : h('span', { class: 'j-key' }, JSON.stringify(k) + ': '), jsonTree(v, depth + 1)));
  }
  if (entries.length > 2000) list.append(h('div', { class: 'muted' }, `… ${entries.length - 2000} more`));
  details.append(list);
  return details;
}

/** What the server decoded a value to (`Decoded` of the API): structured JSON, or text. */
export interface DecodedView {
  format: string;
  json?: unknown;
  text?: string;
}

/** A JSON tree with a search box that opens and marks the rows containing the text. */
export function searchableJson(value: unknown): HTMLElement {
  const tree = h('div', { class: 'json', 'data-testid': 'json-view' }, jsonTree(value));
  const search = h('input', { type: 'search', placeholder: 'search in JSON', class: 'json-search', 'data-testid': 'json-search' });
  const count = h('span', { class: 'muted', 'data-testid': 'json-hits' });
  search.addEventListener('input', () => {
    const q = search.value.trim().toLowerCase();
    let hits = 0;
    for (const row of tree.querySelectorAll<HTMLElement>('.j-row')) {
      const own = [...row.children].filter((c) => !c.matches('details')).map((c) => c.textContent ?? '').join('') + (row.querySelector(':scope > details > summary')?.textContent ?? '');
      const hit = q !== '' && own.toLowerCase().includes(q);
      row.classList.toggle('j-hit', hit);
      if (hit) {
        hits++;
        for (let d = row.parentElement?.closest('details'); d; d = d.parentElement?.closest('details')) d.open = true;
      }
    }
    count.textContent = q ? `${hits} match${hits === 1 ? '' : 'es'}` : '';
  });
  return h('div', {}, h('div', { class: 'row' }, search, count), tree);
}

/**
 * A viewer for bytes: JSON tree, decoded text (decompressed), plain text or hex dump, with a
 * switch between the forms. The server's decoding is preferred: JSON first, then its text
 * (e.g. gzip or zstd text, decompressed), never a hex dump of something it could read.
 */
export function bytesViewer(b: Bytes, d?: DecodedView): HTMLElement {
  const json = d?.json !== undefined ? d.json : tryJson(b.text);
  const modes: [string, () => HTMLElement][] = [];
  if (json !== undefined) modes.push(['JSON', () => searchableJson(json)]);
  if (d?.text !== undefined && d.format !== 'hex') modes.push([`Text (${d.format})`, () => h('pre', { class: 'text-view', 'data-testid': 'decoded-view' }, d.text ?? '')]);
  if (!b.binary) modes.push(['Text', () => h('pre', { class: 'text-view', 'data-testid': 'text-view' }, b.text)]);
  modes.push(['Hex', () => h('pre', { class: 'hex-view', 'data-testid': 'hex-view' }, hexDump(fromBase64(b.b64)).join('\n'))]);
  const body = h('div', { class: 'viewer-body' });
  const tabs = h('div', { class: 'seg' });
  const select = (i: number) => {
    body.replaceChildren(modes[i][1]());
    [...tabs.children].forEach((c, j) => c.classList.toggle('on', i === j));
  };
  modes.forEach(([name], i) => {
    const id = name.startsWith('Text (') ? 'decoded' : name.toLowerCase();
    const t = h('button', { class: 'seg-btn', 'data-testid': `view-${id}` }, name);
    t.addEventListener('click', () => select(i));
    tabs.append(t);
  });
  select(0);
  return h('div', { class: 'viewer' }, tabs, body);
}

