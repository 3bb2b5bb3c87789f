// The string editor of the key viewer: a text editor (with JSON validation and formatting) or a
// binary-safe hex editor for a value loaded whole; for a big string, a window of it edited in
// place (GETRANGE to read, SETRANGE to write) without loading the rest.

import { h } from '../dom';
import { formatBytes } from '../format';
import { escapeBytes, fromBase64, toBase64, unescapeBytes } from '../keys';
import type { Transport } from '../transport';
import { valuePage, type KeyValue } from '../types';
import { button, toast } from '../ui';

/** Largest window of a big string edited at once. */
export const WINDOW_MAX = 64 << 10;

/** Bytes as hex pairs, 32 to a line. */
export function toHex(bytes: Uint8Array): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += 32) lines.push(Array.from(bytes.subarray(i, i + 32), (b) => b.toString(16).padStart(2, '0')).join(' '));
  return lines.join('\n');
}

/** Hex pairs (any whitespace) back to bytes; throws on anything else. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error('hex must be pairs of 0-9 a-f (spaces and newlines are ignored)');
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Whether `text` parses as JSON: null when it does not look like JSON at all. */
export function jsonCheck(text: string): { ok: true } | { ok: false; error: string } | null {
  const t = text.trim();
  if (!(t.startsWith('{') || t.startsWith('['))) return null;
  try {
    JSON.parse(t);
    return { ok: true };
  } catch (e) {
    return { ok: false, error: (e as Error).message };
  }
}

/** A text/hex editor over `bytes`; `value()` gives the edited bytes. */
function bytesEditor(bytes: Uint8Array, binary: boolean, testid: string): { el: HTMLElement; value(): Uint8Array } {
  let mode: 'text' | 'hex' = binary ? 'hex' : 'text';
  const area = h('textarea', { class: 'editor', rows: 8, spellcheck: 'false', 'data-testid': testid });
  const status = h('span', { class: 'muted', 'data-testid': `${testid}-status` });
  const current = (): Uint8Array => (mode === 'hex' ? fromHex(area.value) : unescapeBytes(area.value));
  const validate = () => {
    if (mode === 'hex') {
      status.textContent = `hex · ${binary ? 'the value is not UTF-8' : ''}`;
      status.classList.remove('error');
      return;
    }
    const j = jsonCheck(area.value);
    status.textContent = j === null ? (binary ? 'binary bytes are shown as \\xNN and saved back as bytes' : '') : j.ok ? 'valid JSON' : `not valid JSON: ${j.error}`;
    status.classList.toggle('error', j !== null && !j.ok);
  };
  const show = (b: Uint8Array) => {
    area.value = mode === 'hex' ? toHex(b) : escapeBytes(b);
    validate();
  };
  area.addEventListener('input', validate);
  const modeBtn = (m: 'text' | 'hex', label: string) => {
    const b = h('button', { class: `seg-btn${m === mode ? ' on' : ''}`, 'data-testid': `${testid}-${m}` }, label);
    b.addEventListener('click', () => {
      if (m === mode) return;
      let now: Uint8Array;
      try {
        now = current();
      } catch (e) {
        toast((e as Error).message, 'error');
        return;
      }
      mode = m;
      [...seg.children].forEach((c) => c.classList.toggle('on', c === b));
      show(now);
    });
    return b;
  };
  const seg = h('div', { class: 'seg' });
  seg.append(modeBtn('text', 'Text'), modeBtn('hex', 'Hex'));
  const format = button('Format JSON', () => {
    const j = jsonCheck(area.value);
    if (!j || !j.ok) throw new Error(j ? `not valid JSON: ${j.error}` : 'the value is not a JSON object or array');
    area.value = JSON.stringify(JSON.parse(area.value), null, 2);
    validate();
  }, { 'data-testid': `${testid}-format` });
  const compact = button('Compact JSON', () => {
    const j = jsonCheck(area.value);
    if (!j || !j.ok) throw new Error(j ? `not valid JSON: ${j.error}` : 'the value is not a JSON object or array');
    area.value = JSON.stringify(JSON.parse(area.value));
    validate();
  });
  show(bytes);
  return { el: h('div', { class: 'bytes-editor' }, h('div', { class: 'row' }, seg, format, compact, status), area), value: current };
}

/**
 * The editor below a string's viewer: the whole value when it was loaded whole, else a window
 * editor. `render` shows the key's state after a save.
 */
export function stringEditor(api: Transport, keyB64: string, kv: KeyValue, render: (kv: KeyValue) => void): HTMLElement {
  const v = valuePage(kv, 'string');
  if (!v.truncated) {
    const ed = bytesEditor(fromBase64(v.preview.b64), !!v.preview.binary, 'string-editor');
    const save = button('Save', async () => {
      const bytes = ed.value();
      const j = jsonCheck(new TextDecoder().decode(bytes));
      if (j && !j.ok) toast('Saved text that is not valid JSON', 'info');
      // The service keeps the TTL (SET … KEEPTTL).
      const next = await api.call('key_set', { key_b64: keyB64, op: 'set', value_b64: toBase64(bytes) });
      toast('Saved', 'ok');
      render(next);
    }, { 'data-testid': 'string-save', class: 'btn primary' });
    return h('details', { class: 'edit-box', 'data-testid': 'string-edit-box' }, h('summary', { 'data-testid': 'string-edit' }, 'Edit value'), ed.el, h('div', { class: 'row' }, save));
  }
  // A big string: edit a window in place.
  const offset = h('input', { type: 'number', min: '0', value: '0', 'data-testid': 'window-offset', style: 'width:9em' });
  const length = h('input', { type: 'number', min: '1', max: String(WINDOW_MAX), value: String(Math.min(4096, v.length)), 'data-testid': 'window-length', style: 'width:7em' });
  const holder = h('div', {});
  const load = button('Load window', async () => {
    const off = Number(offset.value);
    const len = Number(length.value);
    if (!Number.isInteger(off) || off < 0 || off >= v.length) throw new Error(`the offset must be 0 to ${v.length - 1}`);
    if (!Number.isInteger(len) || len < 1 || len > WINDOW_MAX) throw new Error(`the window must be 1 to ${WINDOW_MAX} bytes`);
    const w = await api.call('key', { key_b64: keyB64, offset: off, max_bytes: len });
    const page = valuePage(w, 'string');
    const bytes = fromBase64(page.preview.b64);
    const ed = bytesEditor(bytes, !!page.preview.binary, 'window-editor');
    const save = button('Save window', async () => {
      const edited = ed.value();
      if (edited.length !== bytes.length) throw new Error(`SETRANGE overwrites in place: keep the window at ${bytes.length} bytes (it is ${edited.length})`);
      await api.call('key_set', { key_b64: keyB64, op: 'setrange', offset: off, value_b64: toBase64(edited) });
      toast(`Saved ${formatBytes(edited.length)} at offset ${off}`, 'ok');
    }, { 'data-testid': 'window-save', class: 'btn primary' });
    holder.replaceChildren(h('div', { class: 'muted' }, `bytes ${off} to ${off + bytes.length - 1} of ${formatBytes(v.length)}`), ed.el, h('div', { class: 'row' }, save));
  }, { 'data-testid': 'window-load' });
  return h('details', { class: 'edit-box', 'data-testid': 'string-edit-box' }, h('summary', { 'data-testid': 'string-edit' }, 'Edit a window of the value'), h('div', { class: 'muted' }, `The value is ${formatBytes(v.length)}: edit up to ${formatBytes(WINDOW_MAX)} of it at a time, in place; Download saves all of it.`), h('div', { class: 'row' }, 'offset', offset, 'bytes', length, load), holder);
}
