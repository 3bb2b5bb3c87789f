// Invalidate: pick a pattern or a preset (exchange, symbol, strategy, features by symbol/date),
// preview (count + sample), confirm, run as a job with a progress bar and cancel, final report.

import type { AppContext } from '../app';
import { h, mount } from '../dom';
import { formatCount, formatMs } from '../format';
import type { Page } from '../router';
import { isJob, type DryRun, type Job } from '../types';
import { button, confirmDialog, empty, errorText, showError } from '../ui';

/** Preset kinds the service understands, with what to type. */
export const PRESETS: { kind: string; label: string; placeholder: string }[] = [
  { kind: 'exchange', label: 'Exchange', placeholder: 'binance' },
  { kind: 'symbol', label: 'Symbol', placeholder: 'BTC/USDT' },
  { kind: 'signals', label: 'Strategy signals', placeholder: 'momentum_v2 (empty = every strategy)' },
  { kind: 'features_symbol', label: 'Features by symbol', placeholder: 'BTC/USDT' },
  { kind: 'features_date', label: 'Features by date', placeholder: '2026-11-24' },
];

/** The request body for the current choice. */
export function invalidateRequest(mode: string, value: string, dryRun: boolean, confirm = false): Record<string, unknown> {
  const base = mode === 'pattern' ? { pattern: value } : { preset: { kind: mode, value } };
  return { ...base, dry_run: dryRun, ...(confirm ? { confirm: true } : {}) };
}

/** Progress as a fraction: deleted of matched once the scan is done, else unknown (null). */
export function jobProgress(job: Job, expected: number | null): number | null {
  if (job.state !== 'running') return 1;
  const total = expected && expected > 0 ? expected : null;
  if (!total) return null;
  return Math.min(1, job.deleted / total);
}

export function invalidatePage(ctx: AppContext): Page {
  let job: Job | null = null;
  let expected: number | null = null;
  let poll: ReturnType<typeof setInterval> | null = null;
  let offEvents: (() => void) | null = null;
  const mode = h('select', { 'data-testid': 'inv-mode' }, h('option', { value: 'pattern' }, 'Pattern'), ...PRESETS.map((p) => h('option', { value: p.kind }, p.label)));
  const value = h('input', { type: 'search', placeholder: 'ticker:binance:*', 'data-testid': 'inv-value' });
  const preview = h('div', { class: 'inv-preview', 'data-testid': 'inv-preview' });
  const progress = h('div', { class: 'inv-progress', 'data-testid': 'inv-progress' });
  const bar = h('div', { class: 'bar-fill' });
  const runBtn = button('Run…', () => run(), { class: 'btn danger', 'data-testid': 'inv-run' });
  const dryBtn = button('Preview (dry run)', () => dryRun(), { class: 'btn primary', 'data-testid': 'inv-dry-run' });

  mode.addEventListener('change', () => {
    const p = PRESETS.find((x) => x.kind === mode.value);
    value.placeholder = p ? p.placeholder : 'ticker:binance:*';
    preview.replaceChildren();
  });
  value.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') void dryRun().catch(showError);
  });

  function describe(): string {
    const p = PRESETS.find((x) => x.kind === mode.value);
    return p ? `${p.label.toLowerCase()} "${value.value.trim()}"` : `pattern "${value.value.trim()}"`;
  }

  async function dryRun(): Promise<DryRun | null> {
    if (!value.value.trim()) {
      preview.replaceChildren(empty('Type a pattern (e.g. ticker:binance:*) or pick a preset and a value first.'));
      return null;
    }
    preview.replaceChildren(h('div', { class: 'muted' }, 'counting…'));
    try {
      const r = await ctx.api.call('invalidate', invalidateRequest(mode.value, value.value.trim(), true));
      if (isJob(r)) throw new Error('the service started a job instead of a dry run');
      expected = r.count;
      preview.replaceChildren(
        h('div', { class: 'inv-count' }, h('strong', { 'data-testid': 'inv-count' }, formatCount(r.count)), ` keys match ${describe()}`),
        r.sample.length ? h('ul', { class: 'sample', 'data-testid': 'inv-sample' }, ...r.sample.map((k) => h('li', { class: 'mono' }, k.text))) : empty('Nothing matches: nothing would be deleted.'),
      );
      return r;
    } catch (e) {
      preview.replaceChildren(h('div', { class: 'empty error' }, errorText(e)));
      return null;
    }
  }

  function renderJob(j: Job): void {
    job = j;
    const frac = jobProgress(j, expected);
    bar.style.width = frac === null ? '100%' : `${(frac * 100).toFixed(1)}%`;
    bar.classList.toggle('indeterminate', frac === null);
    const elapsed = (j.finished_ms ?? Date.now()) - j.started_ms;
    const cancel = j.state === 'running' ? button('Cancel', async () => renderJob(await ctx.api.call('job_cancel', { id: j.id })), { class: 'btn', 'data-testid': 'inv-cancel' }) : null;
    mount(progress, 
      h('div', { class: 'bar' }, bar),
      h('div', { class: 'row' }, h('span', { 'data-testid': 'job-state', class: `job-${j.state}` }, j.state), h('span', { class: 'muted' }, `scanned ${formatCount(j.scanned)} · matched ${formatCount(j.matched)} · deleted `), h('strong', { 'data-testid': 'job-deleted' }, formatCount(j.deleted)), h('span', { class: 'muted' }, ` · ${formatMs(elapsed)}`), cancel),
      j.state !== 'running' ? h('div', { class: `report ${j.state}`, 'data-testid': 'job-report' }, j.state === 'done' ? `Done: deleted ${formatCount(j.deleted)} of ${formatCount(j.matched)} matching keys for ${j.pattern} in ${formatMs(elapsed)}.` : j.state === 'cancelled' ? `Cancelled after deleting ${formatCount(j.deleted)} keys; the rest were left untouched.` : `Failed: ${j.error ?? 'unknown error'} (deleted ${formatCount(j.deleted)} before the failure).`) : null,
    );
    if (j.state !== 'running') stopPoll();
  }

  function stopPoll(): void {
    if (poll) clearInterval(poll);
    poll = null;
  }

  async function run(): Promise<void> {
    const dry = await dryRun();
    if (!dry) return;
    if (dry.count === 0) return;
    const ok = await confirmDialog('Delete keys', `Delete ${formatCount(dry.count)} keys matching ${describe()}? This runs SCAN + UNLINK in batches and cannot be undone.`, `Delete ${formatCount(dry.count)} keys`);
    if (!ok) return;
    const j = await ctx.api.call('invalidate', invalidateRequest(mode.value, value.value.trim(), false, true));
    if (!isJob(j)) throw new Error('the service answered a dry run instead of starting a job');
    renderJob(j);
    stopPoll();
    if (j.state === 'running') {
      poll = setInterval(async () => {
        if (!job || job.state !== 'running') return stopPoll();
        try {
          renderJob(await ctx.api.call('job', { id: job.id }));
        } catch (e) {
          stopPoll();
          showError(e);
        }
      }, 500);
    }
  }

  return {
    id: 'invalidate',
    title: 'Invalidate',
    shortcut: 'i',
    mount(el, pctx) {
      mount(
        el,
        h('div', { class: 'page-head' }, h('h1', {}, 'Invalidate')),
        h('p', { class: 'muted' }, 'Delete cache keys by pattern or by preset. Always preview first; the run deletes in batches (SCAN + UNLINK) and can be cancelled. Read-only connections refuse it.'),
        h('div', { class: 'row inv-form' }, mode, value, dryBtn, runBtn),
        preview,
        progress,
      );
      if (job) renderJob(job);
      // A link from elsewhere (e.g. a hygiene finding) can prefill the pattern: preview it.
      const prefill = pctx?.params.get('pattern');
      if (prefill) {
        mode.value = 'pattern';
        value.value = prefill;
        void dryRun();
      }
      offEvents = ctx.events((e) => {
        if (e.type === 'job' && job && e.id === job.id) {
          const { type: _t, ...j } = e;
          void _t;
          renderJob(j as Job);
        }
      });
    },
    unmount() {
      offEvents?.();
      stopPoll();
    },
    refresh() {
      if (job) void ctx.api.call('job', { id: job.id }).then(renderJob, showError);
    },
  };
}
