// The key viewer/editor: type-aware (string with JSON/hex/text views, paged hash/list/set/zset/
// stream), live TTL countdown with edit, rename, delete with confirmation, copy key and value.
// Keys are always addressed by their exact bytes (`key_b64`).

import { h } from '../dom';
import { formatBytes, formatCount } from '../format';
import { fromBase64, unescapeBytes, toBase64 } from '../keys';
import { ApiError, type Transport } from '../transport';
import { formatTtl, parseTtl, remainingTtl } from '../ttl';
import type { KeyEdit } from '../api.gen';
import { valuePage, type Bytes, type KeyValue, type StreamEntry } from '../types';
import { button, confirmDialog, copyText, empty, errorText, openModal, promptDialog, showError, table, toast, withConfirmation } from '../ui';
import { addEntryDialog } from './streamadmin';
import { preview } from '../values';
import { namespaceOf, viewAs } from '../viewas';
import { COPY_LIMIT, downloadValue, fileName, saveBlob, valueText } from '../valuefile';
import { showJson } from './jsonview';
import { showProbabilistic } from './probview';
import { stringEditor } from './stringedit';
import { shapeSwitch, showShape } from './shapeviews';

const PAGE = 100;

/** Bytes typed by the user (`\xNN` escapes allowed) as base64. */
function typedB64(text: string): string {
  return toBase64(unescapeBytes(text));
}

export interface KeyViewHooks {
  /** The key was renamed: the list should refresh. */
  changed(): void;
  /** The key was edited (type `none` when the edit removed its last element). */
  edited(kv: KeyValue): void;
  /** The key was deleted. */
  deleted(key: Bytes): void;
  /** The tree's separators (for the namespace a "view as" choice is remembered under). */
  separators(): string[];
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
    hooks.edited(kv);
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
      if (!(await confirmDialog('Delete key', `Delete "${kv.key.text}" (${kv.type}, ${kv.type === 'ReJSON-RL' ? formatBytes(kv.size ?? 0) : `${formatCount(kv.size ?? 0)} items`})? This cannot be undone.`, 'Delete'))) return;
      const r = await api.call('key_delete', key());
      toast(r.deleted ? 'Key deleted' : 'Key was already gone', 'ok');
      hooks.deleted(kv.key);
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
        h('span', { class: 'muted', 'data-testid': 'key-size' }, kv.type === 'string' ? formatBytes(valuePage(kv, 'string').length) : kv.type === 'ReJSON-RL' ? `${formatBytes(kv.size ?? 0)} (JSON.DEBUG MEMORY)` : `${formatCount(kv.size ?? 0)} items`),
        kv.memory !== undefined ? h('span', { class: 'muted', 'data-testid': 'key-memory', title: 'MEMORY USAGE' }, `${formatBytes(kv.memory)} in memory`) : null,
        ttlLabel,
      ),
      h('div', { class: 'row' }, button('Copy key', () => copyText(kv.key.text, 'Key')), button('Copy value', () => copyValue(current ?? kv), { 'data-testid': 'copy-value' }), button('Download', () => download(current ?? kv), { 'data-testid': 'download-value' }), ttlBtn, renameBtn, delBtn, button('Reload', () => reload())),
    );
  }

  /** Copies the whole value (every page), or offers the download when it is too large. */
  async function copyValue(kv: KeyValue): Promise<void> {
    const text = await valueText(api, keyB64, kv);
    if (text === null) {
      if (await confirmDialog('Value too large to copy', `The value is larger than ${formatBytes(COPY_LIMIT)}: download it as a file instead?`, 'Download', false)) await download(kv);
      return;
    }
    await copyText(text, 'Value');
  }

  async function download(kv: KeyValue): Promise<void> {
    toast('Downloading…');
    const blob = await downloadValue(api, keyB64, kv);
    saveBlob(blob, fileName(kv.key.text, kv.type));
    toast(`Downloaded ${formatBytes(blob.size)}`, 'ok');
  }

  function moreButton(label: string, fn: () => Promise<void>): HTMLElement {
    return button(label, fn, { 'data-testid': 'load-more' });
  }

  function renderString(kv: KeyValue): void {
    const v = valuePage(kv, 'string');
    // A cut preview can be shown as text or hex only; other views need the whole value.
    const shown: Bytes = v.truncated ? { ...v.preview, full_len: v.length } : v.preview;
    const viewer = viewAs(api, shown, namespaceOf(kv.key.text, hooks.separators()), v.decoded);
    const notes = h('div', { class: 'muted', 'data-testid': 'string-notes' }, v.decoded?.format && v.decoded.format !== 'utf8' ? `decoded from ${v.decoded.format} · ` : '', v.truncated ? `showing the first ${formatBytes(fromBase64(v.preview.b64).length)} of ${formatBytes(v.length)}` : formatBytes(v.length));
    body.replaceChildren(notes, viewer, stringEditor(api, keyB64, kv, (next) => {
      hooks.edited(next);
      render(next);
    }));
  }

  function valueCell(b: Bytes): HTMLElement {
    const cell = h('span', { class: `cell-value${b.binary ? ' binary' : ''}`, title: 'Click to view as text, JSON, hex, decompressed…', 'data-testid': 'cell-value' }, preview(b), b.full_len !== undefined ? h('span', { class: 'badge', title: 'only the first bytes are shown' }, `cut · ${formatBytes(b.full_len)}`) : null);
    cell.addEventListener('click', () => {
      const ns = current ? `${namespaceOf(current.key.text, hooks.separators())}#${current.type}` : null;
      openModal('Value', viewAs(api, b, ns), undefined, 'value-modal');
    });
    return cell;
  }

  /** Refuses an edit that must name an element by its exact bytes when only its start is known. */
  function whole(b: Bytes): Bytes {
    if (b.full_len !== undefined) throw new Error(`this element is ${formatBytes(b.full_len)} and only its start was loaded: edit it with the console (Server page)`);
    return b;
  }

  function renderHash(kv: KeyValue): void {
    const rows = h('tbody');
    // Servers with per-field TTLs (Redis ≥ 7.4) send `ttl_ms` with every nameable field.
    const fieldTtls = (valuePage(kv, 'hash').fields ?? []).some((f) => f.ttl_ms !== undefined);
    const addRows = (fields: { field: Bytes; value: Bytes; ttl_ms?: number }[]) => {
      for (const f of fields) {
        const tr = h('tr', { 'data-field': f.field.text });
        const editBtn = button('Edit', async () => {
          const next = await promptDialog(`New value for field "${f.field.text}":`, whole(f.value).text);
          if (next === null) return;
          await edit({ op: 'hset', field_b64: whole(f.field).b64, value_b64: typedB64(next) });
        }, { class: 'btn small', 'data-testid': 'hash-edit' });
        const renameBtn = button('Rename', async () => {
          const next = await promptDialog(`New name for field "${f.field.text}":`, f.field.text);
          if (next === null || next === f.field.text) return;
          try {
            await edit({ op: 'hrename', field_b64: whole(f.field).b64, new_field_b64: typedB64(next) });
          } catch (e) {
            if (!(e instanceof ApiError) || e.code !== 'confirmation_required') throw e;
            if (!(await confirmDialog('Replace field', `Field "${next}" exists: replace its value with "${f.field.text}"'s?`, 'Replace'))) return;
            await edit({ op: 'hrename', field_b64: f.field.b64, new_field_b64: typedB64(next), overwrite: true });
          }
        }, { class: 'btn small', 'data-testid': 'hash-rename' });
        const delBtn = button('✕', async () => {
          if (!(await confirmDialog('Delete field', `Delete field "${f.field.text}"?`, 'Delete'))) return;
          await edit({ op: 'hdel', field_b64: whole(f.field).b64 });
        }, { class: 'btn small danger', title: 'Delete field', 'data-testid': 'hash-delete' });
        const ttlCells = fieldTtls
          ? [
              h('td', { class: 'muted', 'data-testid': 'field-ttl' }, f.ttl_ms === undefined ? '—' : formatTtl(f.ttl_ms)),
              button('TTL', async () => {
                const next = await promptDialog(`TTL of field "${f.field.text}" (e.g. 90s, 5m, 2h; empty: no expiry):`, '');
                if (next === null) return;
                if (next.trim() === '') return edit({ op: 'hpersist', field_b64: whole(f.field).b64 });
                const ms = parseTtl(next);
                if (ms === null) throw new Error(`"${next}" is not a TTL (e.g. 90s, 5m, 2h)`);
                await edit({ op: 'hexpire', field_b64: whole(f.field).b64, ttl_ms: ms });
              }, { class: 'btn small', 'data-testid': 'field-ttl-edit' }),
            ]
          : [];
        tr.append(h('td', { class: 'mono' }, f.field.text), h('td', {}, valueCell(f.value)), ...(ttlCells.length ? [ttlCells[0]] : []), h('td', { class: 'actions' }, editBtn, renameBtn, ...(ttlCells.length ? [ttlCells[1]] : []), delBtn));
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
      h('table', { class: 'grid', 'data-testid': 'hash-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'field'), h('th', {}, 'value'), fieldTtls ? h('th', {}, 'field TTL') : null, h('th', {}, ''))), rows),
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
            const next = await promptDialog(`New value at index ${index}:`, whole(b).text);
            if (next === null) return;
            await edit({ op: 'lset', index, value_b64: typedB64(next) });
          }, { class: 'btn small' }),
          button('Insert', async () => {
            const next = await promptDialog(`Value to insert next to "${preview(b, 60)}" (before it; start with > to insert after):`, '');
            if (next === null) return;
            const after = next.startsWith('>');
            await edit({ op: 'linsert', pivot_b64: whole(b).b64, after, value_b64: typedB64(after ? next.slice(1) : next) });
          }, { class: 'btn small', 'data-testid': 'list-insert' }),
          button('✕', async () => {
            const n = await removeCount(b);
            if (n === null) return;
            await edit({ op: 'lrem', value_b64: whole(b).b64, count: n });
          }, { class: 'btn small danger', 'data-testid': 'list-remove' }))));
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
      h('div', { class: 'row add-row' }, value, button('LPUSH', () => edit({ op: 'lpush', value_b64: typedB64(value.value) }), { 'data-testid': 'list-lpush' }), button('RPUSH', () => edit({ op: 'rpush', value_b64: typedB64(value.value) }), { 'data-testid': 'list-rpush' }),
        button('LPOP', async () => {
          if (await confirmDialog('Pop the head', 'Remove and discard the first item of the list (LPOP)?', 'LPOP')) await edit({ op: 'lpop' });
        }, { 'data-testid': 'list-lpop' }),
        button('RPOP', async () => {
          if (await confirmDialog('Pop the tail', 'Remove and discard the last item of the list (RPOP)?', 'RPOP')) await edit({ op: 'rpop' });
        }, { 'data-testid': 'list-rpop' })),
    );
  }

  /** Asks how many occurrences of `b` to remove (LREM count): null when cancelled. */
  async function removeCount(b: Bytes): Promise<number | null> {
    const input = await promptDialog(`Remove occurrences of "${preview(b, 60)}": how many? 1 removes the first one from the head, 3 the first three, -1 the last one, 0 every occurrence.`, '1');
    if (input === null) return null;
    const n = Number(input.trim());
    if (!Number.isInteger(n)) throw new Error(`"${input}" is not a whole number`);
    const what = n === 0 ? 'every occurrence' : n > 0 ? `the first ${n === 1 ? 'occurrence' : `${n} occurrences`} from the head` : `the last ${n === -1 ? 'occurrence' : `${-n} occurrences`} from the tail`;
    if (!(await confirmDialog('Remove from list', `Remove ${what} of "${preview(b, 60)}" (LREM ${n})?`, 'Remove'))) return null;
    return n;
  }

  /** Replaces a set or sorted-set member (its score kept); asks before merging into an existing one. */
  async function renameMember(op: 'srename' | 'zrename', m: Bytes): Promise<void> {
    const next = await promptDialog(`New value for member "${preview(m, 60)}":`, whole(m).text);
    if (next === null || next === m.text) return;
    try {
      await edit({ op, member_b64: m.b64, new_member_b64: typedB64(next) });
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 'confirmation_required') throw e;
      if (!(await confirmDialog('Merge members', `"${next}" is already a member: drop "${preview(m, 60)}" into it?`, 'Merge'))) return;
      await edit({ op, member_b64: m.b64, new_member_b64: typedB64(next), overwrite: true });
    }
  }

  function renderSet(kv: KeyValue): void {
    const rows = h('tbody');
    const addRows = (members: Bytes[]) => {
      for (const m of members) rows.append(h('tr', { 'data-member': m.text }, h('td', {}, valueCell(m)), h('td', { class: 'actions' }, button('Edit', () => renameMember('srename', m), { class: 'btn small', 'data-testid': 'set-edit' }), button('✕', async () => {
        if (!(await confirmDialog('Remove member', `Remove "${preview(m, 60)}"?`, 'Remove'))) return;
        await edit({ op: 'srem', member_b64: whole(m).b64 });
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
      members.forEach((m, i) => rows.append(h('tr', { 'data-member': m.member.text }, h('td', { class: 'num' }, String(start + i)), h('td', { class: 'num', 'data-testid': 'zset-score' }, String(m.score)), h('td', {}, valueCell(m.member)), h('td', { class: 'actions' },
        button('Edit', () => renameMember('zrename', m.member), { class: 'btn small', 'data-testid': 'zset-edit' }),
        button('Score', async () => {
          const s = await promptDialog(`New score for "${preview(m.member, 60)}":`, String(m.score));
          if (s === null) return;
          const score = Number(s);
          if (!Number.isFinite(score)) throw new Error(`"${s}" is not a number`);
          await edit({ op: 'zadd', member_b64: whole(m.member).b64, score });
        }, { class: 'btn small', 'data-testid': 'zset-score-edit' }),
        button('✕', async () => {
          if (!(await confirmDialog('Remove member', `Remove "${preview(m.member, 60)}"?`, 'Remove'))) return;
          await edit({ op: 'zrem', member_b64: whole(m.member).b64 });
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
    // Entries are immutable in Redis: they are added (XADD) and deleted (XDEL), never rewritten.
    const refreshed = async () => {
      const next = await load();
      if (!next) return;
      hooks.edited(next);
      render(next);
    };
    const streamHooks = { length: () => undefined, entries: refreshed, groups: async () => undefined };
    const del = (id: string) => async () => {
      const r = await withConfirmation((confirm) => api.call('stream_delete', { key_b64: keyB64, ids: [id], confirm }), `Delete entry ${id}?`, `XDEL removes ${id} from ${kv.key.text}.`);
      if (r) await refreshed();
    };
    body.replaceChildren(
      h('div', { class: 'row' }, button('Open in Streams (live tail, groups)', () => hooks.openStream(keyB64), { 'data-testid': 'open-stream' }), button('Add entry', () => addEntryDialog(api, kv.key, streamHooks), { 'data-testid': 'xadd-open' })),
      entries.length ? table(['id', 'fields', ''], entries.map((e) => [h('span', { class: 'mono' }, e.id), h('span', {}, ...e.fields.flatMap(([f, v]) => [h('span', { class: 'muted' }, ` ${f.text}=`), valueCell(v)])), button('Delete', del(e.id), { class: 'btn small danger', 'data-testid': 'entry-delete' })]), 'stream-table') : empty('The stream is empty.'),
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
