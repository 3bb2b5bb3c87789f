// The MONITOR view of the Diagnostics page: a time-boxed MONITOR session, started only after the
// user accepts its cost, with a countdown and a Stop button. Live lines arrive as
// `command_monitor` events and are drawn when they pass the filter (command, key, client); a
// changed filter, and the end of the session, read the service's buffer (its newest 10,000
// lines) again. At most SHOWN rows are in the page at once.

import type { AppContext } from '../app';
import { h, mount } from '../dom';
import { formatClock, formatCount } from '../format';
import type { MonitorFilter, MonitorLine, MonitorStatus, MonitorView } from '../api.gen';
import { lineMatches } from '../monitorfilter';
import { ApiError } from '../transport';
import { button, debounce, empty, errorText } from '../ui';

/** Rows drawn at most (the newest). */
const SHOWN = 500;

export interface MonitorSection {
  el: HTMLElement;
  /** Reads the current session (after mounting the page). */
  load(): void;
  /** Handles a live event; returns nothing. */
  onEvent(e: { type: string }): void;
  unmount(): void;
}

export function monitorSection(ctx: AppContext): MonitorSection {
  const seconds = h('input', { type: 'number', min: '1', max: '300', value: '30', 'data-testid': 'mon-seconds', title: 'Length of the MONITOR session (s)', style: 'width:5em' });
  const fCommand = h('input', { placeholder: 'commands (get, set)', 'data-testid': 'mon-filter-command', style: 'width:11em' });
  const fKey = h('input', { placeholder: 'key contains', 'data-testid': 'mon-filter-key', style: 'width:11em' });
  const fClient = h('input', { placeholder: 'client address contains', 'data-testid': 'mon-filter-client', style: 'width:13em' });
  const confirmBox = h('div', { 'data-testid': 'mon-confirm-box' });
  const status = h('div', { class: 'muted', 'data-testid': 'mon-status' });
  const controls = h('span');
  const count = h('div', { class: 'muted small', 'data-testid': 'mon-count' });
  const body = h('tbody', {});
  const grid = h('table', { class: 'grid mono small', 'data-testid': 'mon-lines' }, h('thead', {}, h('tr', {}, ...['Time', 'Client', 'DB', 'Command', 'Key', 'Arguments'].map((x) => h('th', {}, x)))), body);
  const out = h('div', {}, empty('No MONITOR session yet.', 'mon-none'));
  let last: MonitorStatus | null = null;
  let timer: ReturnType<typeof setInterval> | null = null;
  let matched = 0;

  const filter = (): MonitorFilter => ({ command: fCommand.value || undefined, key: fKey.value || undefined, client: fClient.value || undefined, limit: SHOWN });

  function row(l: MonitorLine): HTMLElement {
    const t = new Date(l.at_s * 1000);
    const time = `${formatClock(t)}.${String(Math.floor((l.at_s % 1) * 1e6)).padStart(6, '0')}`;
    return h('tr', { 'data-testid': 'mon-line', 'data-seq': String(l.seq) },
      h('td', {}, time), h('td', { 'data-testid': 'mon-client' }, l.client), h('td', {}, String(l.db)),
      h('td', { 'data-testid': 'mon-cmd' }, l.command), h('td', { 'data-testid': 'mon-key' }, l.key ?? ''),
      h('td', { 'data-testid': 'mon-args', title: l.cut ? 'cut at 1,024 bytes' : '' }, l.args + (l.cut ? ' …' : '')));
  }

  function renderStatus(s: MonitorStatus): void {
    last = s;
    status.dataset.state = s.state;
    const left = Math.max(0, Math.round((s.ends_ms - Date.now()) / 1000));
    const seen = `${formatCount(s.seen)} commands seen, ${formatCount(s.buffered)} of the newest ${formatCount(s.capacity)} kept`;
    status.textContent =
      s.state === 'running' ? `MONITOR running — ${left} s left of ${s.seconds} s. ${seen}.`
      : s.state === 'idle' ? ''
      : s.state === 'finished' ? `Time box of ${s.seconds} s ended. ${seen}.`
      : s.state === 'stopped' ? `Stopped. ${seen}.`
      : `Ended: ${s.error ?? 'the connection closed'}. ${seen}.`;
    controls.replaceChildren(...(s.state === 'running' ? [button('Stop', async () => {
      renderStatus((await ctx.api.call('command_monitor_stop', {})).status);
      await reload();
    }, { class: 'btn danger', 'data-testid': 'mon-stop' })] : []));
    if (s.state === 'running' && !timer) timer = setInterval(() => last && renderStatus(last), 1000);
    if (s.state !== 'running' && timer) {
      clearInterval(timer);
      timer = null;
    }
  }

  function renderCount(): void {
    const shown = body.childElementCount;
    count.textContent = matched > shown ? `${formatCount(matched)} lines match; the newest ${formatCount(shown)} are shown.` : `${formatCount(matched)} lines match.`;
  }

  /** Shows a reply of the service (the filtered buffer). */
  function show(v: MonitorView): void {
    renderStatus(v.status);
    matched = v.matched;
    body.replaceChildren(...v.lines.map(row));
    mount(out, v.status.state === 'idle' ? empty('No MONITOR session yet.', 'mon-none') : grid, count);
    renderCount();
  }

  async function reload(): Promise<void> {
    try {
      show(await ctx.api.call('command_monitor', filter()));
    } catch (e) {
      mount(out, h('div', { class: 'empty error', 'data-testid': 'mon-error' }, errorText(e)));
    }
  }
  const refilter = debounce(() => void reload(), 200);
  for (const f of [fCommand, fKey, fClient]) f.addEventListener('input', refilter);

  async function start(confirm: boolean): Promise<void> {
    confirmBox.replaceChildren();
    const secs = Number(seconds.value) || 30;
    try {
      const v = await ctx.api.call('command_monitor_start', { seconds: secs, ...(confirm ? { confirm: true } : {}) });
      renderStatus(v.status);
      await reload();
    } catch (e) {
      if (e instanceof ApiError && e.code === 'confirmation_required') {
        mount(confirmBox,
          h('div', { class: 'empty warning', 'data-testid': 'mon-confirm-text' }, e.message),
          h('div', { class: 'row' },
            button(`Start MONITOR for ${secs} s`, () => start(true), { class: 'btn danger', 'data-testid': 'mon-confirm' }),
            button('Cancel', () => confirmBox.replaceChildren(), { class: 'btn' })));
        return;
      }
      mount(confirmBox, h('div', { class: 'empty error', 'data-testid': 'mon-error' }, errorText(e)));
    }
  }

  const el = h('section', { 'data-testid': 'mon' },
    h('h2', {}, 'MONITOR'),
    h('p', { class: 'muted' }, 'Every command every client runs, as the server runs it. MONITOR slows a busy server, so a session runs only after you confirm and stops by itself after its time box; the newest 10,000 lines are kept. Read-only mode and users without the MONITOR permission are refused.'),
    h('div', { class: 'row' }, h('label', { class: 'muted' }, 'for ', seconds, ' s'), button('Start MONITOR', () => start(false), { class: 'btn primary', 'data-testid': 'mon-start' }), controls),
    confirmBox,
    status,
    h('div', { class: 'row' }, h('span', { class: 'muted' }, 'Filter:'), fCommand, fKey, fClient),
    out);

  return {
    el,
    load: () => void reload(),
    onEvent(e) {
      if (e.type !== 'command_monitor') return;
      const ev = e as unknown as { status: MonitorStatus; lines: MonitorLine[] };
      const wasRunning = last?.state === 'running';
      renderStatus(ev.status);
      if (ev.status.state !== 'running') {
        if (wasRunning) void reload();
        return;
      }
      const f = filter();
      const fresh = ev.lines.filter((l) => lineMatches(f, l) && Number(l.seq) > Number(body.lastElementChild?.getAttribute('data-seq') ?? 0));
      if (!fresh.length) return;
      if (!grid.isConnected) mount(out, grid, count);
      body.append(...fresh.map(row));
      while (body.childElementCount > SHOWN) body.firstElementChild?.remove();
      matched += fresh.length;
      renderCount();
    },
    unmount() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
