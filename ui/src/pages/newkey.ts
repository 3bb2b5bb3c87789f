// The "New key" dialog: a name, a type, the first value(s) and a TTL; the server refuses to
// replace an existing key unless the user confirms. Each type is one entry of KEY_KINDS —
// the extension point for module types (a kind says when it is available, e.g. RedisJSON only
// when `MODULE LIST` shows it, and builds its own form).

import { h } from '../dom';
import { toBase64, unescapeBytes } from '../keys';
import { ApiError, type Transport } from '../transport';
import { parseTtl } from '../ttl';
import type { KeyCreate, KeyValue, NewElement, NewKeyType } from '../api.gen';
import { button, confirmDialog, openModal, toast } from '../ui';

/** What a kind's form yields: the type-specific part of a `key_create` request. */
export type KindRequest = Pick<KeyCreate, 'value_b64' | 'elements' | 'stream_id'>;

/** One creatable kind of key. */
export interface KeyKind {
  type: NewKeyType;
  label: string;
  /** Whether the connected server can hold it (given its loaded modules). */
  available(modules: string[]): boolean;
  /** Builds the form; `collect` throws a readable error on bad input. */
  form(): { el: HTMLElement; collect(): KindRequest };
}

const b64 = (text: string) => toBase64(unescapeBytes(text));

/** Rows of inputs (one element each), with + to add a row. */
function rowsForm(columns: { name: string; placeholder: string; type?: string }[], testid: string, toElement: (vals: string[]) => NewElement): { el: HTMLElement; collect(): KindRequest } {
  const rows = h('div', { class: 'new-rows', 'data-testid': `${testid}-rows` });
  const add = () => {
    const inputs = columns.map((c) => h('input', { placeholder: c.placeholder, type: c.type ?? 'text', step: 'any', 'data-testid': `new-${c.name}` }));
    rows.append(h('div', { class: 'row new-row' }, ...inputs));
  };
  add();
  const more = button('+ another', () => add(), { 'data-testid': 'new-add-row' });
  return {
    el: h('div', {}, rows, more),
    collect() {
      const elements: NewElement[] = [];
      for (const row of rows.children) {
        const vals = [...row.querySelectorAll('input')].map((i) => i.value);
        if (vals.every((v) => v === '')) continue;
        elements.push(toElement(vals));
      }
      if (elements.length === 0) throw new Error('add at least one element (Redis keeps no empty collections)');
      return { elements };
    },
  };
}

function textForm(placeholder: string, json: boolean): { el: HTMLElement; collect(): KindRequest } {
  const area = h('textarea', { class: 'editor', rows: 6, placeholder, 'data-testid': 'new-value' });
  return {
    el: area,
    collect() {
      if (json) {
        try {
          JSON.parse(area.value);
        } catch (e) {
          throw new Error(`not valid JSON: ${(e as Error).message}`);
        }
      }
      return { value_b64: b64(area.value) };
    },
  };
}

/** The creatable kinds, in menu order. Module kinds add themselves here. */
export const KEY_KINDS: KeyKind[] = [
  { type: 'string', label: 'String', available: () => true, form: () => textForm('value (\\xNN for binary bytes)', false) },
  { type: 'hash', label: 'Hash', available: () => true, form: () => rowsForm([{ name: 'field', placeholder: 'field' }, { name: 'value', placeholder: 'value' }], 'hash', ([f, v]) => ({ field_b64: b64(f), value_b64: b64(v) })) },
  { type: 'list', label: 'List', available: () => true, form: () => rowsForm([{ name: 'value', placeholder: 'item (pushed in order, RPUSH)' }], 'list', ([v]) => ({ value_b64: b64(v) })) },
  { type: 'set', label: 'Set', available: () => true, form: () => rowsForm([{ name: 'value', placeholder: 'member' }], 'set', ([v]) => ({ value_b64: b64(v) })) },
  {
    type: 'zset',
    label: 'Sorted set',
    available: () => true,
    form: () =>
      rowsForm([{ name: 'value', placeholder: 'member' }, { name: 'score', placeholder: 'score', type: 'number' }], 'zset', ([m, s]) => {
        const score = Number(s);
        if (s.trim() === '' || !Number.isFinite(score)) throw new Error(`score "${s}" of "${m}" is not a number`);
        return { value_b64: b64(m), score };
      }),
  },
  {
    type: 'stream',
    label: 'Stream',
    available: () => true,
    form: () => {
      const id = h('input', { placeholder: 'entry ID (* = now)', value: '*', 'data-testid': 'new-stream-id' });
      const f = rowsForm([{ name: 'field', placeholder: 'field' }, { name: 'value', placeholder: 'value' }], 'stream', ([k, v]) => ({ field_b64: b64(k), value_b64: b64(v) }));
      return { el: h('div', {}, h('div', { class: 'row' }, 'first entry ID', id), f.el), collect: () => ({ ...f.collect(), stream_id: id.value.trim() || '*' }) };
    },
  },
  { type: 'json', label: 'JSON (RedisJSON)', available: (mods) => mods.some((m) => /^(rejson|json)$/i.test(m)), form: () => textForm('{"a": 1}', true) },
];

/**
 * Opens the dialog; resolves with the created key, or null when closed. `prefix` pre-fills the
 * name (the namespace being browsed); `modules` decides which kinds are offered.
 */
export function newKeyDialog(api: Transport, prefix: string, modules: string[]): Promise<KeyValue | null> {
  return new Promise((resolve) => {
    const kinds = KEY_KINDS.filter((k) => k.available(modules));
    const name = h('input', { placeholder: 'key name (\\xNN for binary bytes)', 'data-testid': 'new-key-name', style: 'width:100%' });
    name.value = prefix;
    const type = h('select', { 'data-testid': 'new-key-type' }, ...kinds.map((k) => h('option', { value: k.type }, k.label)));
    const ttl = h('input', { placeholder: 'TTL, e.g. 90s, 5m, 1d (empty: none)', 'data-testid': 'new-key-ttl' });
    const formHost = h('div', { class: 'new-form', 'data-testid': 'new-key-form' });
    let form = kinds[0].form();
    const pick = () => {
      form = (kinds.find((k) => k.type === type.value) ?? kinds[0]).form();
      formHost.replaceChildren(form.el);
    };
    type.addEventListener('change', pick);
    pick();
    let done = false;
    const create = button('Create', async () => {
      if (!name.value) throw new Error('the key needs a name');
      const ttlText = ttl.value.trim();
      const ttlMs = ttlText === '' ? undefined : parseTtl(ttlText);
      if (ttlMs === null) throw new Error(`"${ttlText}" is not a duration (try 90s, 5m, 2h)`);
      const req: KeyCreate = { key_b64: b64(name.value), type: type.value as NewKeyType, ttl_ms: ttlMs, ...form.collect() };
      let kv: KeyValue;
      try {
        kv = await api.call('key_create', req);
      } catch (e) {
        if (!(e instanceof ApiError) || e.code !== 'confirmation_required') throw e;
        if (!(await confirmDialog('Key exists', `"${name.value}" already exists. Replace it (its current value is lost)?`, 'Replace'))) return;
        kv = await api.call('key_create', { ...req, overwrite: true });
      }
      toast(`Created ${kv.key.text}`, 'ok');
      done = true;
      close();
      resolve(kv);
    }, { class: 'btn primary', 'data-testid': 'new-key-create' });
    const content = h(
      'div',
      { class: 'new-key' },
      h('label', {}, 'Name', name),
      h('div', { class: 'row' }, h('label', {}, 'Type ', type), h('label', {}, 'TTL ', ttl)),
      formHost,
      h('div', { class: 'modal-actions' }, create),
    );
    const close = openModal('New key', content, () => {
      if (!done) resolve(null);
    }, 'new-key-dialog');
    name.focus();
  });
}
