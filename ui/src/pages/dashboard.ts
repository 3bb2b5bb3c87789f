// Dashboard: server facts and health at a glance.

import type { AppContext } from '../app';
import { h, mount } from '../dom';
import { formatBytes, formatCount, formatDuration, formatMs } from '../format';
import type { Page } from '../router';
import type { HealthReport } from '../types';

function fact(label: string, value: string, testid?: string): HTMLElement {
  return h('div', { class: 'fact' }, h('div', { class: 'fact-label' }, label), h('div', { class: 'fact-value', 'data-testid': testid }, value));
}

export function dashboardPage(ctx: AppContext): Page {
  let off: (() => void) | null = null;
  let el: HTMLElement | null = null;

  function render(r: HealthReport | null): void {
    if (!el) return;
    if (!r) {
      mount(el, h('h1', {}, 'Dashboard'), h('div', { class: 'empty' }, 'Connecting to Redis…'));
      return;
    }
    if (r.state !== 'connected') {
      mount(
        el,
        h('h1', {}, 'Dashboard'),
        h('div', { class: 'empty error', 'data-testid': 'down-reason' }, h('strong', {}, 'Redis is not reachable. '), r.error ?? 'No reason given.', h('p', {}, 'Redscope retries every few seconds; check the URL, the password and that the server runs.')),
      );
      return;
    }
    mount(
      el,
      h('h1', {}, 'Dashboard'),
      h(
        'div',
        { class: 'facts' },
        fact('Version', r.version ?? '—', 'fact-version'),
        fact('Role', r.role ?? '—'),
        fact('Mode', r.mode ?? '—'),
        fact('Uptime', formatDuration(r.uptime_s)),
        fact('Memory used', formatBytes(r.used_memory)),
        fact('Clients', formatCount(r.connected_clients)),
        fact('Latency', formatMs(r.latency_ms)),
      ),
    );
  }

  return {
    id: 'dashboard',
    title: 'Dashboard',
    shortcut: 'd',
    mount(target) {
      el = target;
      render(ctx.health());
      off = ctx.onHealth(render);
    },
    unmount() {
      off?.();
      el = null;
    },
  };
}
