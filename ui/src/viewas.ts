// "View as": one value (a string, a hash field, a list item, a stream field, a pub/sub payload)
// shown in a format picked from a menu — decoded on the server by the `decode` operation, so
// every place uses the same formatters. The automatic pick comes first; a choice is remembered
// per namespace (the key up to its last separator) in localStorage.

import { h } from './dom';
import type { Transport } from './transport';
import type { Bytes } from './types';
import { errorText } from './ui';
import { bytesViewer, hexDump, searchableJson, type DecodedView } from './values';
import { fromBase64 } from './keys';

/** The views the server knows, in menu order (`decode`'s `view`). */
export const VIEWS: [string, string][] = [
  ['auto', 'Auto'],
  ['text', 'Text'],
  ['json', 'JSON'],
  ['hex', 'Hex'],
  ['base64', 'Base64 → decoded'],
  ['msgpack', 'MessagePack'],
  ['gzip', 'gzip'],
  ['zlib', 'zlib'],
  ['deflate', 'deflate (raw)'],
  ['zstd', 'zstd'],
  ['brotli', 'brotli'],
  ['lz4', 'LZ4'],
  ['snappy', 'Snappy'],
  ['protobuf', 'Protobuf (no schema)'],
  ['php', 'PHP serialized'],
  ['java', 'Java serialized (structure)'],
  ['pickle', 'Python pickle (structure)'],
  ['codec', 'Redscope codec'],
];

const STORE = 'redscope.view.';

/** The namespace of a key: its text up to and including the last separator ('' for none). */
export function namespaceOf(key: string, separators: string[]): string {
  let end = 0;
  for (const s of separators) {
    const i = key.lastIndexOf(s);
    if (i >= 0 && i + s.length > end) end = i + s.length;
  }
  return key.slice(0, end);
}

/** The view remembered for a namespace (`auto` when none). */
export function rememberedView(namespace: string | null): string {
  if (namespace === null) return 'auto';
  try {
    return localStorage.getItem(STORE + namespace) ?? 'auto';
  } catch {
    return 'auto';
  }
}

function remember(namespace: string | null, view: string): void {
  if (namespace === null) return;
  try {
    if (view === 'auto') localStorage.removeItem(STORE + namespace);
    else localStorage.setItem(STORE + namespace, view);
  } catch {
    /* storage full or refused: the choice just is not kept */
  }
}

/** A decoded value as the viewer shows it. */
export function decodedBody(d: DecodedView): HTMLElement {
  if (d.json !== undefined) return searchableJson(d.json);
  if (d.format === 'hex') return h('pre', { class: 'hex-view', 'data-testid': 'hex-view' }, d.text ?? '');
  return h('pre', { class: 'text-view', 'data-testid': 'decoded-view' }, d.text ?? '');
}

/**
 * The viewer of one value with its "View as" menu. `auto` shows `initial` (the server's pick,
 * when the caller has it) in the tabbed viewer; any other view asks the server. `namespace`
 * (null: nothing remembered) keeps the choice.
 */
export function viewAs(api: Transport, b: Bytes, namespace: string | null, initial?: DecodedView): HTMLElement {
  const menu = h('select', { class: 'view-as', 'data-testid': 'view-as', title: 'View as' }, ...VIEWS.map(([v, label]) => h('option', { value: v }, label)));
  const body = h('div', { class: 'view-as-body', 'data-testid': 'view-as-body' });
  const note = h('span', { class: 'muted', 'data-testid': 'view-as-note' });
  let asked = 0;
  const show = async (view: string) => {
    const mine = ++asked;
    note.textContent = '';
    if (view === 'auto' && initial) {
      body.replaceChildren(bytesViewer(b, initial));
      return;
    }
    if (b.full_len !== undefined && !['text', 'hex'].includes(view)) {
      body.replaceChildren(h('pre', { class: 'hex-view', 'data-testid': 'hex-view' }, hexDump(fromBase64(b.b64)).join('\n')));
      note.textContent = 'only the start of this value is loaded: decoding needs all of it';
      return;
    }
    try {
      const d = await api.call('decode', { value_b64: b.b64, view });
      if (mine !== asked) return;
      body.replaceChildren(decodedBody(d));
      if (view === 'auto') note.textContent = `shown as ${d.format}`;
    } catch (e) {
      if (mine !== asked) return;
      body.replaceChildren(h('div', { class: 'empty error', 'data-testid': 'view-as-error' }, errorText(e)));
    }
  };
  menu.addEventListener('change', () => {
    remember(namespace, menu.value);
    void show(menu.value);
  });
  const start = rememberedView(namespace);
  menu.value = VIEWS.some(([v]) => v === start) ? start : 'auto';
  void show(menu.value);
  return h('div', { class: 'viewer-as' }, h('div', { class: 'row' }, h('label', { class: 'muted' }, 'View as ', menu), note), body);
}
