// Streams: the list of stream keys, a stream's entries (newest first, by ID or time range,
// paged both ways), live tail (`stream_tail` + `stream_entries` events), its groups, consumers
// and pending entries, and their management (XADD, XDEL, XTRIM, XGROUP, XACK, XCLAIM); the range
// exports to a JSON lines or CSV file (`streamexport`).

import type { AppContext } from '../app';
import { h, mount } from '../dom';
import { formatCount, formatMs } from '../format';
import type { Page } from '../router';
import { isStreamKeys, type Bytes, type StreamEntry } from '../types';
import { button, empty, errorText, openModal, showError, table, toast, withConfirmation } from '../ui';
import { preview } from '../values';
import { fromBase64 } from '../keys';
import { namespaceOf, viewAs } from '../viewas';
import { addEntryDialog, createConsumer, createGroupDialog, trimDialog, groupAction, pendingPanel, toStreamId, type StreamHooks } from './streamadmin';
import { exportRangeDialog } from './streamexport';

const PAGE = 50;

/** Redis-style glob (`*`, `?`, `[..]`) match, for filtering the stream list. */
export function globMatch(pattern: string, text: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/\\/g, '\\\\').replace(/^\^/, '^')}]`;
        i = end;
      }
    } else if (c === '\\' && i + 1 < pattern.length) re += pattern[++i].replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else re += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`, 's').test(text);
}

/** Milliseconds part of a stream id as a local time. */
export function idTime(id: string): string {
  const ms = Number(id.split('-')[0]);
  return Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString().replace('T', ' ').replace('Z', '') : '';
}

export function streamsPage(ctx: AppContext): Page {
  let alive = false;
  let current: Bytes | null = null;
  let tailId: number | null = null;
  // The entries page: its range, its newest and oldest IDs, and whether more lie either way.
  let range = { start: '-', end: '+' };
  let newest: string | null = null;
  let oldest: string | null = null;
  let hasOlder = false;
  let hasNewer = false;
  let offEvents: (() => void) | null = null;
  const list = h('div', { class: 'stream-list', 'data-testid': 'stream-list' });
  const info = h('div', { class: 'stream-info', 'data-testid': 'stream-info' });
  const groups = h('div', { class: 'stream-groups', 'data-testid': 'stream-groups' });
  const pending = h('div', { class: 'stream-pending' });
  const rows = h('tbody');
  const moreBox = h('div', { class: 'row', 'data-testid': 'entries-pager' });
  const fromInput = h('input', { placeholder: 'from: id or UTC time', 'data-testid': 'range-from' });
  const toInput = h('input', { placeholder: 'to: id or UTC time', 'data-testid': 'range-to' });
  const rangeBar = h(
    'div',
    { class: 'row' },
    fromInput,
    toInput,
    button('Show range', () => {
      range = { start: toStreamId(fromInput.value, 'start'), end: toStreamId(toInput.value, 'end') };
      return loadEntries('first');
    }, { 'data-testid': 'range-go' }),
  );
  const tailBtn = h('button', { class: 'btn', 'data-testid': 'tail-toggle' }, 'Live tail');
  const tailState = h('span', { class: 'muted', 'data-testid': 'tail-state' });
  const filter = h('input', { type: 'search', placeholder: 'filter streams, e.g. market:*', 'data-testid': 'stream-search' });
  const main = h('section', { class: 'stream-main' });

  const hooks: StreamHooks = {
    length(n) {
      const len = info.querySelector('[data-testid=stream-length]');
      if (len) len.textContent = formatCount(n);
    },
    entries: () => loadEntries('first'),
    groups: () => loadInfo(),
  };

  /** A field's value: a preview that opens the "view as" formatters. */
  function fieldValue(field: Bytes, v: Bytes): HTMLElement {
    const el = h('span', { class: 'cell-value', 'data-testid': 'field-value', title: 'Click to view as text, JSON, hex, decompressed…' }, preview(v, 80));
    el.addEventListener('click', () => {
      const ns = current ? `${namespaceOf(current.text, [':'])}#stream:${field.text}` : null;
      openModal(`${field.text}`, viewAs(ctx.api, v, ns), undefined, 'value-modal');
    });
    return el;
  }

  async function deleteEntry(id: string): Promise<void> {
    if (!current) return;
    const key = current;
    const r = await withConfirmation((confirm) => ctx.api.call('stream_delete', { key_b64: key.b64, ids: [id], confirm }), `Delete entry ${id}?`, `XDEL removes ${id} from ${key.text}.`);
    if (!r) return;
    rows.querySelector(`[data-id="${CSS.escape(id)}"]`)?.remove();
    hooks.length(r.length);
    toast(`entry ${id} deleted`, 'ok');
  }

  function entryRow(e: StreamEntry, fresh = false): HTMLTableRowElement {
    return h(
      'tr',
      { class: fresh ? 'fresh' : '', 'data-testid': 'stream-entry', 'data-id': e.id },
      h('td', { class: 'mono' }, e.id),
      h('td', { class: 'muted' }, idTime(e.id)),
      h('td', {}, ...e.fields.map(([f, v]) => h('span', { class: 'field-pair' }, h('b', {}, f.text), '=', fieldValue(f, v)))),
      h('td', {}, button('Delete', () => deleteEntry(e.id), { class: 'btn small danger', 'data-testid': 'entry-delete' })),
    );
  }

  async function loadList(): Promise<void> {
    try {
      const keys: Bytes[] = [];
      let cursor = '0';
      do {
        const r = await ctx.api.call('streams', cursor === '0' ? {} : { cursor });
        if (!isStreamKeys(r)) throw new Error('the service described a stream instead of listing them');
        keys.push(...r.keys.filter((k) => globMatch(filter.value.trim() || '*', k.text)));
        cursor = r.cursor;
      } while (cursor !== '0' && keys.length < 5000);
      if (!alive) return;
      if (keys.length === 0) {
        list.replaceChildren(empty('No streams found. Streams appear here once something XADDs to them (e.g. `redscope demo`).'));
        return;
      }
      list.replaceChildren(
        ...keys.map((k) => {
          const a = h('a', { class: `stream-item${current?.b64 === k.b64 ? ' active' : ''}`, href: '#', 'data-testid': 'stream-item', 'data-key': k.text }, k.text);
          a.addEventListener('click', (e) => {
            e.preventDefault();
            void open(k);
          });
          return a;
        }),
      );
    } catch (e) {
      list.replaceChildren(h('div', { class: 'empty error' }, errorText(e)));
    }
  }

  /** One page of the range, newest first: the first, the one after `oldest` or before `newest`. */
  async function loadEntries(which: 'first' | 'older' | 'newer'): Promise<void> {
    if (!current) return;
    const asked = current;
    try {
      let entries: StreamEntry[];
      if (which === 'newer' && newest) {
        const r = await ctx.api.call('stream_entries', { key_b64: current.b64, start: `(${newest}`, end: range.end, count: PAGE });
        entries = r.entries.reverse();
        hasNewer = r.next !== null;
        hasOlder = true;
      } else {
        const end = which === 'older' && oldest ? `(${oldest}` : range.end;
        const r = await ctx.api.call('stream_entries', { key_b64: current.b64, start: range.start, end, count: PAGE, rev: true });
        entries = r.entries;
        hasOlder = r.next !== null;
        hasNewer = which === 'older';
      }
      // Another stream was opened meanwhile: this page belongs to the one left.
      if (current !== asked) return;
      if (entries.length === 0 && which !== 'first') {
        hasNewer = which === 'older' ? hasNewer : false;
        hasOlder = which === 'newer' ? hasOlder : false;
      } else {
        rows.replaceChildren(...entries.map((e) => entryRow(e)));
        newest = entries[0]?.id ?? null;
        oldest = entries[entries.length - 1]?.id ?? null;
      }
      const shown = rows.childElementCount;
      moreBox.replaceChildren(
        hasNewer ? button('◀ Newer', () => loadEntries('newer'), { 'data-testid': 'stream-newer' }) : '',
        h('span', { class: 'muted', 'data-testid': 'entries-shown' }, shown ? `${formatCount(shown)} entries ${oldest} … ${newest}` : 'no entries in this range'),
        hasOlder ? button('Older ▶', () => loadEntries('older'), { 'data-testid': 'stream-more' }) : '',
      );
    } catch (e) {
      showError(e);
    }
  }

  async function showPending(group: string, consumers: string[]): Promise<void> {
    if (!current) return;
    pending.replaceChildren(await pendingPanel(ctx.api, current, group, consumers, hooks));
  }

  async function loadInfo(): Promise<void> {
    if (!current) return;
    try {
      const asked = current;
      const s = await ctx.api.call('streams', { key_b64: current.b64 });
      if (current !== asked) return;
      if (isStreamKeys(s)) throw new Error('the service listed streams instead of describing one');
      info.replaceChildren(
        h('div', { class: 'facts' },
          h('div', { class: 'fact' }, h('div', { class: 'fact-label' }, 'Length'), h('div', { class: 'fact-value', 'data-testid': 'stream-length' }, formatCount(s.length))),
          h('div', { class: 'fact' }, h('div', { class: 'fact-label' }, 'First id'), h('div', { class: 'fact-value mono small' }, s.first_id ?? '—')),
          h('div', { class: 'fact' }, h('div', { class: 'fact-label' }, 'Last id'), h('div', { class: 'fact-value mono small' }, s.last_id ?? '—')),
          h('div', { class: 'fact' }, h('div', { class: 'fact-label' }, 'Groups'), h('div', { class: 'fact-value' }, String(s.groups.length))),
        ),
      );
      const key = current;
      groups.replaceChildren(
        h('div', { class: 'row' }, h('h3', {}, 'Consumer groups'), button('New group', () => createGroupDialog(ctx.api, key, hooks), { class: 'btn small', 'data-testid': 'group-new' })),
        s.groups.length
          ? table(
              ['group', 'consumers', 'pending', 'last delivered', 'lag', 'consumer list', ''],
              s.groups.map((g) => [
                g.name,
                g.consumers,
                h('span', { 'data-testid': 'group-pending-count' }, String(g.pending)),
                h('span', { class: 'mono' }, g.last_delivered_id),
                g.lag ?? '—',
                g.consumer_list.length
                  ? h('span', {}, ...g.consumer_list.map((c) => h('span', { class: 'consumer', 'data-testid': 'consumer', 'data-name': c.name }, `${c.name} (${c.pending} pending, idle ${formatMs(c.idle_ms)}) `, button('×', () => groupAction(ctx.api, key, g.name, 'del_consumer', hooks, c.name), { class: 'icon-btn', title: `Delete consumer ${c.name}`, 'data-testid': 'consumer-delete' }))))
                  : '—',
                h(
                  'span',
                  { class: 'row' },
                  button('Pending', () => showPending(g.name, g.consumer_list.map((c) => c.name)), { class: 'btn small', 'data-testid': 'group-pending' }),
                  button('New consumer', () => createConsumer(ctx.api, key, g.name, hooks), { class: 'btn small', 'data-testid': 'consumer-new' }),
                  button('Set ID', () => groupAction(ctx.api, key, g.name, 'setid', hooks), { class: 'btn small', 'data-testid': 'group-setid' }),
                  button('Destroy', () => groupAction(ctx.api, key, g.name, 'destroy', hooks), { class: 'btn small danger', 'data-testid': 'group-destroy' }),
                ),
              ]),
              'groups-table',
            )
          : empty('No consumer groups yet: "New group" creates one.'),
      );
    } catch (e) {
      info.replaceChildren(h('div', { class: 'empty error' }, errorText(e)));
    }
  }

  async function stopTail(): Promise<void> {
    const id = tailId;
    tailId = null;
    tailBtn.textContent = 'Live tail';
    tailBtn.classList.remove('on');
    tailState.textContent = '';
    if (id !== null) await ctx.api.call('stream_tail_stop', { tail_id: id }).catch(() => undefined);
  }

  async function startTail(): Promise<void> {
    if (!current) return;
    const r = await ctx.api.call('stream_tail', { key_b64: current.b64, from: '$' });
    tailId = r.tail_id;
    tailBtn.textContent = 'Stop tail';
    tailBtn.classList.add('on');
    tailState.textContent = 'tailing — new entries appear at the top';
  }

  tailBtn.addEventListener('click', () => void (tailId !== null ? stopTail() : startTail()).catch(showError));

  async function open(k: Bytes): Promise<void> {
    await stopTail();
    current = k;
    range = { start: '-', end: '+' };
    fromInput.value = '';
    toInput.value = '';
    newest = oldest = null;
    for (const a of list.querySelectorAll<HTMLElement>('.stream-item')) a.classList.toggle('active', a.dataset.key === k.text);
    mount(
      main,
      h(
        'div',
        { class: 'page-head' },
        h('h2', { 'data-testid': 'stream-title' }, k.text),
        tailBtn,
        tailState,
        button('Reload', () => Promise.all([loadInfo(), loadEntries('first')])),
        button('Add entry', () => addEntryDialog(ctx.api, k, hooks), { 'data-testid': 'xadd-open' }),
        button('Export range…', () => exportRangeDialog(ctx.api, k, range), { 'data-testid': 'range-export-open', title: 'The entries of the range shown (or any other) to a JSON lines or CSV file' }),
        button('Trim…', () => trimDialog(ctx.api, k, hooks), { class: 'btn danger', 'data-testid': 'trim-open' }),
      ),
      info,
      groups,
      pending,
      h('h3', {}, 'Entries (newest first)'),
      rangeBar,
      h('table', { class: 'grid', 'data-testid': 'entries-table' }, h('thead', {}, h('tr', {}, h('th', {}, 'id'), h('th', {}, 'time (UTC)'), h('th', {}, 'fields'), h('th', {}, ''))), rows),
      moreBox,
    );
    // Nothing of the stream left stays on screen under the new title while this one loads.
    for (const box of [info, groups, pending, rows, moreBox]) box.replaceChildren();
    await Promise.all([loadInfo(), loadEntries('first')]);
  }

  filter.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') void loadList();
  });

  return {
    id: 'streams',
    title: 'Streams',
    shortcut: 's',
    async mount(el, { params }) {
      alive = true;
      const reload = button('↻', () => loadList(), { class: 'icon-btn', title: 'Reload the list of streams (r)', 'aria-label': 'Reload the list of streams', 'data-testid': 'streams-reload' });
      mount(el, h('div', { class: 'page-head' }, h('h1', {}, 'Streams'), filter, reload), h('div', { class: 'split' }, h('section', { class: 'side-list' }, list), main));
      main.replaceChildren(empty('Pick a stream on the left to see its entries, groups and pending messages, and to tail it live.'));
      offEvents = ctx.events((e) => {
        if (e.type !== 'stream_entries' || tailId === null || String(e.tail_id) !== String(tailId)) return;
        for (const entry of e.entries) rows.prepend(entryRow(entry, true));
        const len = info.querySelector('[data-testid=stream-length]');
        if (len) len.textContent = formatCount(Number((len.textContent ?? '0').replace(/,/g, '')) + e.entries.length);
        while (rows.childElementCount > 2000) rows.lastElementChild?.remove();
      });
      await loadList();
      const kb = params.get('key_b64');
      if (kb) {
        const bytes = fromBase64(kb);
        await open({ text: new TextDecoder().decode(bytes), b64: kb });
      }
    },
    unmount() {
      alive = false;
      offEvents?.();
      void stopTail();
      current = null;
    },
    refresh() {
      void loadList();
      if (current) void Promise.all([loadInfo(), loadEntries('first')]);
    },
  };
}
