// The key viewer/editor: type-aware (string with JSON/hex/text views, paged hash/list/set/zset/
// stream), live TTL countdown with edit, rename, delete with confirmation, copy key and value.
// Keys are always addressed by their exact bytes (`key_b64`).

import { h } from '../dom';
import { formatBytes, formatCount } from '../format';
import { fromBase64, unescapeBytes, toBase64 } from '../keys';
import type { Transport } from '../transport';
import { formatTtl, parseTtl, remainingTtl } from '../ttl';
import type { KeyEdit } from '../api.gen';
import { valuePage, type Bytes, type KeyValue, type StreamEntry } from '../types';
import { button, confirmDialog, copyText, empty, errorText, promptDialog, showError, table, toast } from '../ui';
import { bytesViewer, preview } from '../values';
import { showJson } from './jsonview';
import { showProbabilistic } from './probview';
import { shapeSwitch, showShape } from './shapeviews';

const PAGE = 100;

/** Bytes typed by the user (`\xNN` escapes allowed) as base64. */
function typedB64(text: string): string {
  return toBase64(unescapeBytes(text));
}

/** Text of a value for the clipboard. */
function valueToText(kv: KeyValue): string {
  switch (kv.type) {
    case 'string':
      return valuePage(kv, 'string').preview.text;
    case 'hash':
      return JSON.stringify(Object.fromEntries(valuePage(kv, 'hash').fields.map((f) => [f.field.text, f.value.text])), null, 2);
    case 'list':
      return JSON.stringify(valuePage(kv, 'list').items.map((b) => b.text), null, 2);
    case 'set':
      return JSON.stringify(valuePage(kv, 'set').members.map((b) => b.text), null, 2);
    case 'zset':
      return JSON.stringify(valuePage(kv, 'zset').members.map((m) => [m.member.text, m.score]), null, 2);
    case 'stream':
      return JSON.stringify(valuePage(kv, 'stream').entries.map((e) => ({ id: e.id, fields: Object.fromEntries(e.fields.map(([f, x]) => [f.text, x.text])) })), null, 2);
    default: {
      const v = kv.value as { json?: unknown };
      return JSON.stringify(v.json ?? v, null, 2);
    }
  }
}

export interface KeyViewHooks {
  /** The key was deleted or renamed: the list should drop or refresh it. */
  changed(): void;
  /** Opens a stream in the Streams page. */
  openStream(b64: string): void;
  /** True when the session refuses writes (module views hide their edit buttons). */
  readOnly?(): boolean;
}

/** Mounts a viewer for one key into `host`; returns a dispose function (stops the countdown). */
export function showKey(api: Transport, host: HTMLElement, keyB64: string, hooks: KeyViewHooks): () => void {
  let timer: ReturnType<typeof setInterval> | null = null;
  let disposed = false;
  let current: KeyValue | null = null;
  let readAt = 0;
  // Library data shapes (the reply's `shape`: candles, quote board, ...) show as such unless
  // the user picked raw.
  let rawView = false;
  let stopShape: () => void = () => undefined;
  const ttlLabel = h('span', { class: 'ttl', 'data-testid': 'key-ttl' });
  const body = h('div', { class: 'key-body', 'data-testid': 'key-body' });
  const head = h('div', { class: 'key-head' });
  host.replaceChildren(head, body);
  body.append(h('div', { class: 'muted' }, 'Loading…'));

  const key = () => ({ key_b64: keyB64 });

  function tick(): void {
    if (!current) return;
    const left = remainingTtl(current.ttl_ms, readAt, Date.now());
    ttlLabel.textContent = `TTL ${formatTtl(left)}`;
    ttlLabel.classList.toggle('expiring', left >= 0 && left < 10_000);
  }

  async function edit(op: Omit<KeyEdit, 'key' | 'key_b64'>): Promise<void> {
    const kv = await api.call('key_set', { ...key(), ...op });
    toast('Saved', 'ok');
    render(kv);
  }

  async function load(extra: Record<string, unknown> = {}): Promise<KeyValue | null> {
    try {
      return await api.call('key', { ...key(), count: PAGE, ...extra });
    } catch (e) {
      if (!disposed) body.replaceChildren(h('div', { class: 'empty error' }, errorText(e)));
      return null;
    }
  }

  function header(kv: KeyValue): void {
    const name = h('div', { class: 'key-name', 'data-testid': 'key-name', title: kv.key.text }, kv.key.text, kv.key.binary ? h('span', { class: 'badge' }, 'binary') : null);
    const ttlBtn = button('Set TTL', async () => {
      const input = await promptDialog('New TTL (e.g. 90, 90s, 5m, 2h, 1d; empty = no expiry):', '');
      if (input === null) return;
      const ttl = input.trim() === '' ? null : parseTtl(input);
      if (input.trim() !== '' && ttl === null) throw new Error(`"${input}" is not a duration (try 90s, 5m, 2h)`);
      const r = await api.call('key_ttl', { ...key(), ttl_ms: ttl });
      if (current) {
        current.ttl_ms = r.ttl_ms;
        readAt = Date.now();
        tick();
      }
      toast(ttl === null ? 'TTL removed' : `TTL set to ${formatTtl(ttl)}`, 'ok');
    }, { 'data-testid': 'key-ttl-edit' });
    const renameBtn = button('Rename', async () => {
      const input = await promptDialog('New name (\\xNN for binary bytes):', kv.key.text);
      if (input === null || input === kv.key.text) return;
      const r = await api.call('key_rename', { ...key(), new_key_b64: typedB64(input), overwrite: false });
      keyB64 = r.key.b64;
      toast(`Renamed to ${r.key.text}`, 'ok');
      hooks.changed();
      await reload();
    }, { 'data-testid': 'key-rename' });
    const delBtn = button('Delete', async () => {
      if (!(await confirmDialog('Delete key', `Delete "${kv.key.text}" (${kv.type}, ${formatCount(kv.size ?? 0)} items)? This cannot be undone.`, 'Delete'))) return;
      const r = await api.call('key_delete', key());
      toast(r.deleted ? 'Key deleted' : 'Key was already gone', 'ok');
      hooks.changed();
      dispose();
      host.replaceChildren(empty('Key deleted. Pick another key from the list.'));
    }, { 'data-testid': 'key-delete', class: 'btn danger' });
    head.replaceChildren(
      name,
      h(
        'div',
        { class: 'key-facts' },
        h('span', { class: `type-badge t-${kv.type}`, 'data-testid': 'key-type' }, kv.type),
        kv.encoding ? h('span', { class: 'muted' }, kv.encoding) : null,
        h('span', { class: 'muted', 'data-testid': 'key-size' }, kv.type === 'string' ? formatBytes(valuePage(kv, 'string').length) : `${formatCount(kv.size ?? 0)} items`),
        ttlLabel,
      ),
      h('div', { class: 'row' }, button('Copy key', () => copyText(kv.key.text, 'Key')), button('Copy value', () => copyText(valueToText(current ?? kv), 'Value')), ttlBtn, renameBtn, delBtn, button('Reload', () => reload())),
    );
  }

  function moreButton(label: string, fn: () => Promise<void>): HTMLElement {
    return button(label, fn, { 'data-testid': 'load-more' });
  }

  function renderString(kv: KeyValue): void {
    const v = valuePage(kv, 'string');
    const viewer = bytesViewer(v.preview, v.decoded?.json);
    const notes = h('div', { class: 'muted' }, v.decoded?.format ? `decoded from ${v.decoded.format} · ` : '', v.truncated ? `showing the first ${formatBytes(fromBase64(v.preview.b64).length)} of ${formatBytes(v.length)}` : formatBytes(v.length));
    const children: Node[] = [notes, viewer];
    if (!v.truncated && !v.decoded?.format) {
      const area = h('textarea', { class: 'editor', rows: 6, 'data-testid': 'string-editor' });
      area.value = v.preview.text;
      children.push(
        h('details', { class: 'edit-box' }, h('summary', {}, 'Edit value'), area, h('div', { class: 'row' }, button('Save', () => edit({ op: 'set', value_b64: typedB64(area.value) }) /* the service keeps the TTL */, { 'data-testid': 'string-save', class: 'btn primary' }), h('span', { class: 'muted' }, v.preview.binary ? 'binary bytes are shown as \\xNN and saved back as bytes' : ''))),
      );
    }
    body.replaceChildren(...children);
  }

  function valueCell(b: Bytes): HTMLElement {
    const cell = h('span', { class: `cell-value${b.binary ? ' binary' : ''}`, title: b.text }, preview(b));
    return cell;
  }

  function renderHash(kv: KeyValue): void {
    const rows = h('tbody');
    const addRows = (fields: { field: Bytes; value: Bytes }[]) => {
      for (const f of fields) {
        const tr = h('tr', { 'data-field': f.field.text });
        const editBtn = button('Edit', async () => {
          const next = await promptDialog(`New value for field "${f.field.text}":`, f.value.text);
          if (next === null) return;
          await edit({ op: 'hset', field_b64: f.field.b64, value_b64: typedB64(next) });
        }, { class: 'btn small', 'data-testid': 'hash-edit' });
        const delBtn = button('✕', async () => {
          if (!(await confirmDialog('Delete field', `Delete field "${f.field.text}"?`, 'Delete'))) return;
          await edit({ op: 'hdel', field_b64: f.field.b64 });
        }, { class: 'btn small danger', title: 'Delete field' });
        tr.append(h('td', { class: 'mono' }, f.field.text), h('td', {}, valueCell(f.value)), h('td', { class: 'actions' }, editBtn, delBtn));
        rows.append(tr);
      }
    };
    addRows(valuePage(kv, 'hash').fields ?? []);
    let cursor: string = valuePage(kv, 'hash').cursor ?? '0';
    const more = h('div', { class: 'row' });
    const updateMore = () => more.replaceChildren(cursor !== '0' ? moreButton('Load more', async () => {
      const next = await load({ cursor });
      if (!next) return;
      addRows(valuePage(next, 'hash').fields ?? []);
      cursor = valuePage(next, 'hash').cursor ?? '0';
      updateMore();
    }) : h('span', { class: 'muted' }, `${formatCount(rows.childElementCount)} of ${formatCount(kv.size ?? 0)} fields`));
    updateMore();
    const field = h('input', { placeholder: 'field', 'data-testid': 'hash-new-field' });
    const value = h('input', { placeholder: 'value', 'data-testid': 'hash-new-value' });
    body.replaceChildren(
      h('table', { class: 'grid', 'data-testid': 'hash-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'field'), h('th', {}, 'value'), h('th', {}, ''))), rows),
      more,
      h('div', { class: 'row add-row' }, field, value, button('Add field', () => edit({ op: 'hset', field_b64: typedB64(field.value), value_b64: typedB64(value.value) }), { 'data-testid': 'hash-add' })),
    );
  }

  function renderList(kv: KeyValue): void {
    const rows = h('tbody');
    let offset = 0;
    const addRows = (items: Bytes[], start: number) => {
      items.forEach((b, i) => {
        const index = start + i;
        rows.append(h('tr', {}, h('td', { class: 'num' }, String(index)), h('td', {}, valueCell(b)), h('td', { class: 'actions' },
          button('Edit', async () => {
            const next = await promptDialog(`New value at index ${index}:`, b.text);
            if (next === null) return;
            await edit({ op: 'lset', index, value_b64: typedB64(next) });
          }, { class: 'btn small' }),
          button('✕', async () => {
            if (!(await confirmDialog('Remove item', `Remove every occurrence of "${preview(b, 60)}" from the list?`, 'Remove'))) return;
            await edit({ op: 'lrem', value_b64: b.b64 });
          }, { class: 'btn small danger' }))));
      });
      offset = start + items.length;
    };
    addRows(valuePage(kv, 'list').items ?? [], valuePage(kv, 'list').offset ?? 0);
    const more = h('div', { class: 'row' });
    const updateMore = () => more.replaceChildren(offset < (kv.size ?? 0) ? moreButton('Load more', async () => {
      const next = await load({ offset });
      if (!next) return;
      addRows(valuePage(next, 'list').items ?? [], valuePage(next, 'list').offset ?? offset);
      updateMore();
    }) : h('span', { class: 'muted' }, `${formatCount(offset)} of ${formatCount(kv.size ?? 0)} items`));
    updateMore();
    const value = h('input', { placeholder: 'value', 'data-testid': 'list-new-value' });
    body.replaceChildren(
      h('table', { class: 'grid', 'data-testid': 'list-table' }, h('thead', {}, h('tr', {}, h('th', {}, '#'), h('th', {}, 'value'), h('th', {}, ''))), rows),
      more,
      h('div', { class: 'row add-row' }, value, button('LPUSH', () => edit({ op: 'lpush', value_b64: typedB64(value.value) })), button('RPUSH', () => edit({ op: 'rpush', value_b64: typedB64(value.value) }))),
    );
  }

  function renderSet(kv: KeyValue): void {
    const rows = h('tbody');
    const addRows = (members: Bytes[]) => {
      for (const m of members) rows.append(h('tr', {}, h('td', {}, valueCell(m)), h('td', { class: 'actions' }, button('✕', async () => {
        if (!(await confirmDialog('Remove member', `Remove "${preview(m, 60)}"?`, 'Remove'))) return;
        await edit({ op: 'srem', member_b64: m.b64 });
      }, { class: 'btn small danger' }))));
    };
    addRows(valuePage(kv, 'set').members ?? []);
    let cursor: string = valuePage(kv, 'set').cursor ?? '0';
    const more = h('div', { class: 'row' });
    const updateMore = () => more.replaceChildren(cursor !== '0' ? moreButton('Load more', async () => {
      const next = await load({ cursor });
      if (!next) return;
      addRows(valuePage(next, 'set').members ?? []);
      cursor = valuePage(next, 'set').cursor ?? '0';
      updateMore();
    }) : h('span', { class: 'muted' }, `${formatCount(rows.childElementCount)} of ${formatCount(kv.size ?? 0)} members`));
    updateMore();
    const member = h('input', { placeholder: 'member', 'data-testid': 'set-new-member' });
    body.replaceChildren(h('table', { class: 'grid', 'data-testid': 'set-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'member'), h('th', {}, ''))), rows), more, h('div', { class: 'row add-row' }, member, button('SADD', () => edit({ op: 'sadd', member_b64: typedB64(member.value) }))));
  }

  function renderZset(kv: KeyValue): void {
    const rows = h('tbody');
    let offset = 0;
    const addRows = (members: { member: Bytes; score: number }[], start: number) => {
      members.forEach((m, i) => rows.append(h('tr', {}, h('td', { class: 'num' }, String(start + i)), h('td', { class: 'num' }, String(m.score)), h('td', {}, valueCell(m.member)), h('td', { class: 'actions' },
        button('Score', async () => {
          const s = await promptDialog(`New score for "${preview(m.member, 60)}":`, String(m.score));
          if (s === null) return;
          const score = Number(s);
          if (!Number.isFinite(score)) throw new Error(`"${s}" is not a number`);
          await edit({ op: 'zadd', member_b64: m.member.b64, score });
        }, { class: 'btn small' }),
        button('✕', async () => {
          if (!(await confirmDialog('Remove member', `Remove "${preview(m.member, 60)}"?`, 'Remove'))) return;
          await edit({ op: 'zrem', member_b64: m.member.b64 });
        }, { class: 'btn small danger' })))));
      offset = start + members.length;
    };
    addRows(valuePage(kv, 'zset').members ?? [], valuePage(kv, 'zset').offset ?? 0);
    const more = h('div', { class: 'row' });
    const updateMore = () => more.replaceChildren(offset < (kv.size ?? 0) ? moreButton('Load more', async () => {
      const next = await load({ offset });
      if (!next) return;
      addRows(valuePage(next, 'zset').members ?? [], valuePage(next, 'zset').offset ?? offset);
      updateMore();
    }) : h('span', { class: 'muted' }, `${formatCount(offset)} of ${formatCount(kv.size ?? 0)} members`));
    updateMore();
    const member = h('input', { placeholder: 'member', 'data-testid': 'zset-new-member' });
    const score = h('input', { placeholder: 'score', type: 'number', step: 'any', 'data-testid': 'zset-new-score' });
    body.replaceChildren(h('table', { class: 'grid', 'data-testid': 'zset-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'rank'), h('th', {}, 'score'), h('th', {}, 'member'), h('th', {}, ''))), rows), more,
      h('div', { class: 'row add-row' }, member, score, button('ZADD', () => edit({ op: 'zadd', member_b64: typedB64(member.value), score: Number(score.value) }))));
  }

  function renderStream(kv: KeyValue): void {
    const entries: StreamEntry[] = valuePage(kv, 'stream').entries ?? [];
    body.replaceChildren(
      h('div', { class: 'row' }, button('Open in Streams (live tail, groups)', () => hooks.openStream(keyB64), { 'data-testid': 'open-stream' })),
      entries.length ? table(['id', 'fields'], entries.map((e) => [h('span', { class: 'mono' }, e.id), e.fields.map(([f, v]) => `${f.text}=${preview(v, 60)}`).join('  ')]), 'stream-table') : empty('The stream is empty.'),
    );
  }

  function render(kv: KeyValue): void {
    if (disposed) return;
    current = kv;
    readAt = Date.now();
    header(kv);
    tick();
    host.dataset.type = kv.type;
    stopShape();
    stopShape = () => undefined;
    const shape = kv.shape;
    if (shape && !rawView) {
      stopShape = showShape(api, body, shape, kv, () => {
        rawView = true;
        render(kv);
      });
      return;
    }
    switch (kv.type) {
      case 'none':
        body.replaceChildren(empty('This key no longer exists (it expired or was deleted).'));
        break;
      case 'string':
        renderString(kv);
        break;
      case 'hash':
        renderHash(kv);
        break;
      case 'list':
        renderList(kv);
        break;
      case 'set':
        renderSet(kv);
        break;
      case 'zset':
        renderZset(kv);
        break;
      case 'stream':
        renderStream(kv);
        break;
      case 'ReJSON-RL':
        showJson(api, body, keyB64, hooks.readOnly?.() ?? false, () => hooks.changed());
        break;
      default:
        if ('probabilistic' in kv.value) {
          showProbabilistic(api, body, keyB64, kv.value.probabilistic, hooks.readOnly?.() ?? false);
          break;
        }
        body.replaceChildren(empty(`Redscope cannot show values of type ${(kv.value as { unsupported?: string }).unsupported ?? kv.type} yet; use the console (Server page).`));
    }
    if (shape)
      body.prepend(shapeSwitch(shape, () => {
        rawView = false;
        render(kv);
      }));
  }

  async function reload(): Promise<void> {
    const kv = await load();
    if (kv) render(kv);
  }

  function dispose(): void {
    disposed = true;
    stopShape();
    if (timer) clearInterval(timer);
    timer = null;
  }

  timer = setInterval(tick, 1000);
  reload().catch(showError);
  return dispose;
}
