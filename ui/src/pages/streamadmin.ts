// Stream management for the Streams page: the XADD form, XTRIM and consumer-group dialogs, and
// the pending list of a group with XACK / XCLAIM / XAUTOCLAIM. Each call answers with what
// changed (a length, a count) so the page updates its numbers without reloading everything.

import { h } from '../dom';
import { formatCount, formatMs } from '../format';
import type { Bytes } from '../types';
import type { PendingEntry } from '../api.gen';
import type { Transport } from '../transport';
import { toBase64, unescapeBytes } from '../keys';
import { button, confirmDialog, openModal, promptDialog, toast, withConfirmation } from '../ui';

/** What the page is told after a change. */
export interface StreamHooks {
  /** The stream's length changed (XADD, XDEL, XTRIM). */
  length(n: number): void;
  /** Entries changed: reload the current page of entries. */
  entries(): Promise<void>;
  /** Groups or their pending counts changed: reload the groups. */
  groups(): Promise<void>;
}

/**
 * A stream ID from what a user types: an ID (`1700000000000-0`, `1700000000000`), or a date and
 * time (UTC, e.g. `2026-12-03 18:00:00`) taken as its millisecond; `''` is the open end.
 */
export function toStreamId(text: string, end: 'start' | 'end'): string {
  const t = text.trim();
  if (t === '') return end === 'start' ? '-' : '+';
  if (/^\d+(-\d+)?$/.test(t)) return t;
  const iso = /[zZ]|[+-]\d\d:?\d\d$/.test(t) ? t : `${t.replace(' ', 'T')}Z`;
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`${JSON.stringify(t)} is neither a stream id nor a date-time`);
  return String(ms);
}

const field = (text: string) => toBase64(unescapeBytes(text));

/** The XADD form: an ID (default `*`) and field/value rows. */
export function addEntryDialog(api: Transport, key: Bytes, hooks: StreamHooks): void {
  const id = h('input', { placeholder: '* (the server clock)', 'data-testid': 'xadd-id' });
  const rows = h('div', { class: 'new-rows', 'data-testid': 'xadd-rows' });
  const addRow = () => rows.append(h('div', { class: 'row new-row' }, h('input', { placeholder: 'field', 'data-testid': 'xadd-field' }), h('input', { placeholder: 'value', 'data-testid': 'xadd-value' })));
  addRow();
  const error = h('div', { class: 'error', 'data-testid': 'xadd-error' });
  const save = button(
    'Add entry',
    async () => {
      error.textContent = '';
      const fields = [...rows.children]
        .map((r) => [...r.querySelectorAll('input')].map((i) => i.value))
        .filter(([f, v]) => f !== '' || v !== '')
        .map(([f, v]) => ({ field_b64: field(f), value_b64: field(v) }));
      if (fields.length === 0) {
        error.textContent = 'add at least one field';
        return;
      }
      try {
        const r = await api.call('stream_add', { key_b64: key.b64, id: id.value.trim() || undefined, fields });
        close();
        toast(`added ${r.id}`, 'ok');
        hooks.length(r.length);
        await hooks.entries();
      } catch (e) {
        error.textContent = e instanceof Error ? e.message : String(e);
      }
    },
    { class: 'btn primary', 'data-testid': 'xadd-save' },
  );
  const close = openModal(`Add an entry to ${key.text}`, h('div', { class: 'form' }, h('label', {}, 'ID ', id), rows, button('+ field', addRow, { 'data-testid': 'xadd-more' }), error, h('div', { class: 'modal-actions' }, save)), undefined, 'xadd-dialog');
}

/** The XTRIM dialog: MAXLEN or MINID, exact or `~`, confirmed before anything goes. */
export function trimDialog(api: Transport, key: Bytes, hooks: StreamHooks): void {
  const by = h('select', { 'data-testid': 'trim-by' }, h('option', { value: 'maxlen' }, 'MAXLEN (keep the newest N)'), h('option', { value: 'minid' }, 'MINID (drop ids below)'));
  const threshold = h('input', { placeholder: 'length or id', 'data-testid': 'trim-threshold' });
  const approx = h('input', { type: 'checkbox', 'data-testid': 'trim-approx' });
  const error = h('div', { class: 'error', 'data-testid': 'trim-error' });
  const go = button(
    'Trim',
    async () => {
      error.textContent = '';
      const what = by.value === 'maxlen' ? `keep only the newest ${threshold.value} entries` : `remove every entry with an id below ${threshold.value}`;
      try {
        const r = await withConfirmation(
          (confirm) => api.call('stream_trim', { key_b64: key.b64, by: by.value as 'maxlen' | 'minid', threshold: threshold.value, approximate: approx.checked, confirm }),
          `Trim ${key.text}?`,
          `XTRIM will ${what}${approx.checked ? ' (approximately: whole nodes only)' : ''}. This cannot be undone.`,
        );
        if (!r) return;
        close();
        toast(`${formatCount(r.removed)} entries removed`, 'ok');
        hooks.length(r.length);
        await hooks.entries();
        await hooks.groups();
      } catch (e) {
        error.textContent = e instanceof Error ? e.message : String(e);
      }
    },
    { class: 'btn danger', 'data-testid': 'trim-go' },
  );
  const close = openModal(`Trim ${key.text}`, h('div', { class: 'form' }, h('div', { class: 'row' }, by, threshold), h('label', {}, approx, ' approximate (~)'), error, h('div', { class: 'modal-actions' }, go)), undefined, 'trim-dialog');
}

/** XGROUP CREATE: a name and where the group starts. */
export function createGroupDialog(api: Transport, key: Bytes, hooks: StreamHooks): void {
  const name = h('input', { placeholder: 'group name', 'data-testid': 'group-name' });
  const from = h('input', { placeholder: '$ (only new entries) or 0 (all) or an id', 'data-testid': 'group-from' });
  const error = h('div', { class: 'error', 'data-testid': 'group-error' });
  const save = button(
    'Create group',
    async () => {
      try {
        await api.call('stream_group', { key_b64: key.b64, action: 'create', group: name.value, id: from.value.trim() || '$' });
        close();
        toast(`group ${name.value} created`, 'ok');
        await hooks.groups();
      } catch (e) {
        error.textContent = e instanceof Error ? e.message : String(e);
      }
    },
    { class: 'btn primary', 'data-testid': 'group-save' },
  );
  const close = openModal('New consumer group', h('div', { class: 'form' }, name, from, error, h('div', { class: 'modal-actions' }, save)), undefined, 'group-dialog');
}

/** XGROUP CREATECONSUMER: a consumer registered before it reads (so it shows, idle, in the group). */
export async function createConsumer(api: Transport, key: Bytes, group: string, hooks: StreamHooks): Promise<void> {
  const name = (await promptDialog(`New consumer in ${group}`, ''))?.trim();
  if (!name) return;
  const r = await api.call('stream_group', { key_b64: key.b64, action: 'create_consumer', group, consumer: name });
  toast(r.result === 1 ? `consumer ${name} created in ${group}` : `${group} already has a consumer ${name}`, r.result === 1 ? 'ok' : 'info');
  await hooks.groups();
}

/** Group actions: SETID, DESTROY (confirmed), DELCONSUMER (confirmed). */
export async function groupAction(api: Transport, key: Bytes, group: string, action: 'setid' | 'destroy' | 'del_consumer', hooks: StreamHooks, consumer?: string): Promise<void> {
  let id: string | undefined;
  if (action === 'setid') {
    const v = await promptDialog(`Set the last delivered id of ${group} ($ = the last entry, 0 = redeliver everything)`, '$');
    if (v === null) return;
    id = v.trim();
  }
  const what = action === 'destroy' ? `Destroy group ${group}` : action === 'del_consumer' ? `Delete consumer ${consumer} of ${group}` : '';
  const r = await withConfirmation((confirm) => api.call('stream_group', { key_b64: key.b64, action, group, id, consumer, confirm }), `${what}?`, 'Its pending entries are forgotten (the entries stay in the stream).');
  if (r === null) return;
  toast(action === 'setid' ? `${group} now at ${id}` : action === 'destroy' ? `group ${group} destroyed` : `consumer ${consumer} deleted (${r.result} pending dropped)`, 'ok');
  await hooks.groups();
}

/**
 * The pending list of a group: idle time and deliveries per entry, filters (consumer, minimum
 * idle), paging, and XACK / XCLAIM of the ticked entries or XAUTOCLAIM of the idle ones.
 */
export async function pendingPanel(api: Transport, key: Bytes, group: string, consumers: string[], hooks: StreamHooks): Promise<HTMLElement> {
  const PAGE = 100;
  const consumer = h('select', { 'data-testid': 'pending-consumer' }, h('option', { value: '' }, 'every consumer'), ...consumers.map((c) => h('option', { value: c }, c)));
  const minIdle = h('input', { type: 'number', min: '0', placeholder: 'min idle ms', class: 'narrow', 'data-testid': 'pending-min-idle' });
  const target = h('input', { placeholder: 'claim for consumer', 'data-testid': 'claim-consumer', value: consumers[0] ?? '' });
  const rows = h('tbody');
  const status = h('span', { class: 'muted', 'data-testid': 'pending-status' });
  const pager = h('span');
  let starts: string[] = ['-'];
  let page: PendingEntry[] = [];

  const ticked = () => [...rows.querySelectorAll<HTMLInputElement>('input[type=checkbox]:checked')].map((c) => c.value);

  async function load(start = starts[starts.length - 1]): Promise<void> {
    page = await api.call('stream_pending', { key_b64: key.b64, group, count: PAGE, start, consumer: consumer.value || undefined, min_idle_ms: Number(minIdle.value) || undefined });
    rows.replaceChildren(
      ...page.map((p) =>
        h(
          'tr',
          { 'data-testid': 'pending-row', 'data-id': p.id },
          h('td', {}, h('input', { type: 'checkbox', value: p.id, 'data-testid': 'pending-tick' })),
          h('td', { class: 'mono' }, p.id),
          h('td', {}, p.consumer),
          h('td', { 'data-testid': 'pending-idle' }, formatMs(p.idle_ms)),
          h('td', {}, String(p.deliveries)),
        ),
      ),
    );
    status.textContent = page.length ? `${page.length} pending shown` : 'nothing pending';
    pager.replaceChildren(
      starts.length > 1 ? button('◀ Previous', () => { starts.pop(); return load(); }, { class: 'btn small', 'data-testid': 'pending-prev' }) : '',
      page.length === PAGE ? button('Next ▶', () => { starts.push(`(${page[page.length - 1].id}`); return load(); }, { class: 'btn small', 'data-testid': 'pending-next' }) : '',
    );
  }

  async function after(): Promise<void> {
    await load();
    await hooks.groups();
  }

  const ack = button('Acknowledge (XACK)', async () => {
    const ids = ticked();
    if (!ids.length) return toast('tick the entries to acknowledge', 'error');
    const r = await api.call('stream_ack', { key_b64: key.b64, group, ids });
    toast(`${r.acked} acknowledged`, 'ok');
    await after();
  }, { 'data-testid': 'pending-ack' });
  const claim = button('Claim (XCLAIM)', async () => {
    const ids = ticked();
    if (!ids.length) return toast('tick the entries to claim', 'error');
    if (!target.value) return toast('name the consumer that claims them', 'error');
    const r = await api.call('stream_claim', { key_b64: key.b64, group, consumer: target.value, ids, min_idle_ms: Number(minIdle.value) || 0 });
    toast(`${r.claimed.length} claimed by ${target.value}`, 'ok');
    await after();
  }, { 'data-testid': 'pending-claim' });
  const auto = button('Auto-claim idle (XAUTOCLAIM)', async () => {
    if (!target.value) return toast('name the consumer that claims them', 'error');
    const idle = Number(minIdle.value) || 0;
    if (!(await confirmDialog('Auto-claim?', `Every entry of ${group} idle for at least ${formatMs(idle)} goes to ${target.value} (up to ${PAGE}).`, 'Claim', false))) return;
    const r = await api.call('stream_claim', { key_b64: key.b64, group, consumer: target.value, min_idle_ms: idle, count: PAGE });
    toast(`${r.claimed.length} claimed by ${target.value}${r.deleted.length ? `, ${r.deleted.length} gone from the stream dropped` : ''}`, 'ok');
    await after();
  }, { 'data-testid': 'pending-autoclaim' });

  consumer.addEventListener('change', () => { starts = ['-']; void load(); });
  minIdle.addEventListener('change', () => { starts = ['-']; void load(); });
  const el = h(
    'div',
    { class: 'pending-panel', 'data-testid': 'pending-panel' },
    h('h3', {}, `Pending in ${group}`),
    h('div', { class: 'row' }, consumer, minIdle, status, pager),
    h('table', { class: 'grid', 'data-testid': 'pending-table' }, h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', {}, 'id'), h('th', {}, 'consumer'), h('th', {}, 'idle'), h('th', {}, 'deliveries'))), rows),
    h('div', { class: 'row' }, ack, target, claim, auto),
  );
  await load();
  return el;
}
