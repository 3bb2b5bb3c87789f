// Findings: cache-hygiene anti-patterns (keys without TTL where the policy has one, TTLs far
// from the policy, big values, KEYS and O(N) commands in the slowlog, no eviction policy), from a
// sampled scan at once or a full scan as a cancellable job. Keys open in the key browser;
// namespace findings open the invalidation page with their pattern filled in.

import type { AppContext } from '../app';
import { h, mount } from '../dom';
import { formatCount } from '../format';
import type { Page } from '../router';
import { isFindingsJob, type Finding, type FindingsJob, type FindingsReport } from '../types';
import { button, empty, errorText, showError } from '../ui';

const KIND_LABEL: Record<Finding['kind'], string> = {
  no_ttl: 'No TTL',
  ttl_drift: 'TTL far from policy',
  big_value: 'Big values',
  slow_command: 'Slow O(N) command',
  no_eviction: 'No eviction policy',
  evicts_state: 'Eviction may remove streams or locks',
};

export function findingsPage(ctx: AppContext): Page {
  let job: FindingsJob | null = null;
  let poll: ReturnType<typeof setInterval> | null = null;
  let off: (() => void) | null = null;
  const status = h('div', { class: 'muted', 'data-testid': 'findings-status' });
  const list = h('div', { class: 'findings', 'data-testid': 'findings' });
  const cancelBox = h('span');

  function findingCard(f: Finding): HTMLElement {
    const keys = f.keys.map((k) => h('a', { class: 'chip', href: `#/keys?key_b64=${encodeURIComponent(k.b64)}`, 'data-testid': 'finding-key' }, k.text));
    return h('section', { class: `finding ${f.level}`, 'data-testid': 'finding', 'data-kind': f.kind },
      h('div', { class: 'service-head' },
        h('span', { class: `badge ${f.level}` }, f.level === 'critical' ? '⛔ critical' : '⚠ warning'),
        h('strong', {}, KIND_LABEL[f.kind]),
        h('span', { class: 'badge', 'data-testid': 'finding-count' }, formatCount(f.count)),
        f.pattern ? h('a', { class: 'btn small', href: `#/invalidate?pattern=${encodeURIComponent(f.pattern)}`, 'data-testid': 'finding-invalidate' }, `Invalidate ${f.pattern}…`) : null),
      h('div', {}, f.message),
      keys.length ? h('div', { class: 'chips' }, ...keys, f.count > keys.length ? h('span', { class: 'muted' }, `+ ${formatCount(f.count - keys.length)} more`) : null) : null,
    );
  }

  function render(r: FindingsReport): void {
    status.textContent = `${r.mode === 'full' ? 'Full scan' : 'Sample'}: ${formatCount(r.keys_examined)} keys examined${r.complete ? ' (all of them)' : ''}, ${formatCount(r.sizes_measured)} sizes measured (limit ${formatCount(r.size_limit)} bytes).`;
    list.replaceChildren(...(r.findings.length ? r.findings.map(findingCard) : [empty('No findings: TTLs follow the policy, no big values, no O(N) commands in the slowlog, an eviction policy is set.', 'findings-none')]));
  }

  function renderJob(j: FindingsJob): void {
    job = j;
    if (j.state === 'running') {
      status.textContent = `Full scan running: ${formatCount(j.examined)} keys examined…`;
      cancelBox.replaceChildren(button('Cancel', async () => renderJob(await ctx.api.call('findings_job_cancel', { id: j.id })), { 'data-testid': 'findings-cancel' }));
      return;
    }
    cancelBox.replaceChildren();
    stopPoll();
    if (j.report) render(j.report);
    if (j.state === 'failed') list.replaceChildren(h('div', { class: 'empty error' }, j.error ?? 'failed'));
    if (j.state === 'cancelled') status.textContent += ' Cancelled: partial results.';
  }

  function stopPoll(): void {
    if (poll) clearInterval(poll);
    poll = null;
  }

  async function sample(): Promise<void> {
    status.textContent = 'Sampling…';
    try {
      const r = await ctx.api.call('findings', { mode: 'sample' });
      if (isFindingsJob(r)) throw new Error('the service started a job instead of sampling');
      render(r);
    } catch (e) {
      list.replaceChildren(h('div', { class: 'empty error' }, errorText(e)));
    }
  }

  async function full(): Promise<void> {
    const j = await ctx.api.call('findings', { mode: 'full' });
    if (!isFindingsJob(j)) throw new Error('the service answered a sample instead of starting a job');
    renderJob(j);
    stopPoll();
    poll = setInterval(() => {
      if (!job || job.state !== 'running') return stopPoll();
      ctx.api.call('findings_job', { id: job.id }).then(renderJob, showError);
    }, 1000);
  }

  return {
    id: 'findings',
    title: 'Findings',
    shortcut: 'f',
    mount(el) {
      mount(el,
        h('div', { class: 'page-head' }, h('h1', {}, 'Findings')),
        h('p', { class: 'muted' }, 'Cache hygiene: keys without TTL in namespaces whose policy has one, TTLs far above the policy, values over the size limit, KEYS and other O(N) commands in the slowlog, no eviction policy.'),
        h('div', { class: 'row' }, button('Sample again', () => sample(), { class: 'btn', 'data-testid': 'findings-sample' }), button('Full scan', () => full(), { class: 'btn primary', 'data-testid': 'findings-full' }), cancelBox),
        status,
        list);
      if (job && job.state !== 'running' && job.report) render(job.report);
      else void sample();
      off = ctx.events((e) => {
        if (e.type === 'job' && job && (e as { id?: string }).id === job.id && (e as { kind?: string }).kind === 'findings') {
          const { type: _t, ...j } = e as unknown as FindingsJob & { type: string };
          void _t;
          renderJob(j as FindingsJob);
        }
      });
    },
    unmount() {
      stopPoll();
      off?.();
    },
    refresh() {
      void sample();
    },
  };
}
