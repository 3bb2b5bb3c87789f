// Services: every process using the Redscope library (its telemetry), live. Per client: hit
// rate per data type, circuit breakers, rate-limit rejections, lock waits and losses, consumer
// lag and pending; gone clients greyed until their hash expires; alerts on top.

import type { AppContext } from '../app';
import { h, mount } from '../dom';
import { formatCount, formatDuration } from '../format';
import type { Page } from '../router';
import { formatTtl } from '../ttl';
import type { ServiceInfo, ServicesReply } from '../types';
import { empty, errorText } from '../ui';

/** Refresh period of the figures (the set itself also updates on `services` events). */
const POLL_MS = 2000;

function pct(x: number): string {
  return `${(x * 100).toFixed(1)} %`;
}

function card(s: ServiceInfo): HTMLElement {
  const gone = s.status === 'gone';
  const types = s.types.length
    ? h('table', { class: 'grid', 'data-testid': 'service-types' },
        h('thead', {}, h('tr', {}, h('th', {}, 'data type'), h('th', {}, 'hits'), h('th', {}, 'misses'), h('th', {}, 'hit rate'))),
        h('tbody', {}, ...s.types.map((t) => {
          const low = t.hits + t.misses >= 10 && t.hit_rate < 0.5;
          return h('tr', { 'data-type-name': t.name },
            h('td', { class: 'mono' }, t.name),
            h('td', { class: 'num' }, formatCount(t.hits)),
            h('td', { class: 'num' }, formatCount(t.misses)),
            h('td', { class: `num${low ? ' down' : ''}`, 'data-testid': `hit-rate-${t.name}` }, t.hits + t.misses ? pct(t.hit_rate) : '—', h('span', { class: 'hit-bar' }, h('span', { style: `width:${Math.round(t.hit_rate * 100)}%` }))));
        })))
    : h('div', { class: 'muted' }, 'no cache reads yet');
  const extra: HTMLElement[] = [];
  for (const b of s.breakers)
    extra.push(h('span', { class: `badge breaker-${b.state}`, 'data-testid': `breaker-${b.name}` }, `breaker ${b.name}: ${b.state.replace('_', '-')} · ${b.trips} trips`));
  for (const l of s.rate_limits) extra.push(h('span', { class: 'badge' }, `rate limit ${l.name}: ${formatCount(l.rejected)} rejected / ${formatCount(l.allowed + l.rejected)}`));
  for (const l of s.locks) extra.push(h('span', { class: 'badge' }, `locks ${l.name}: ${formatCount(l.waits)} waits · ${formatCount(l.timeouts)} timeouts · ${formatCount(l.lost)} lost`));
  const ttls = Object.entries(s.ttl_overrides ?? {});
  if (ttls.length) extra.push(h('span', { class: 'badge', title: 'TTL policy entries that differ from the defaults' }, `TTL policy: ${ttls.map(([t, ms]) => `${t} ${formatTtl(ms)}`).join(', ')}`));
  for (const g of s.groups) extra.push(h('span', { class: 'badge', 'data-testid': 'service-group' }, `${g.stream} / ${g.group}: lag ${g.lag === null ? '?' : formatCount(g.lag)} · ${formatCount(g.pending)} pending`));
  return h('section', { class: `service-card${gone ? ' gone' : ''}`, 'data-testid': 'service', 'data-service': s.service, 'data-status': s.status },
    h('div', { class: 'service-head' },
      h('strong', {}, s.service),
      h('span', { class: 'mono muted' }, s.instance),
      h('span', { class: `badge ${gone ? 'warning' : 'ok'}`, 'data-testid': 'service-status' }, gone ? `gone · expires in ${Math.max(0, Math.ceil(s.ttl_ms / 1000))} s` : 'live'),
      h('span', { class: 'muted' }, `v${s.version} · ${s.host}${s.pid ? ` pid ${s.pid}` : ''} · up ${formatDuration(s.uptime_s)} · every ${s.interval_ms / 1000} s`)),
    types,
    extra.length ? h('div', { class: 'chips service-extra' }, ...extra) : null,
    s.alerts.length ? h('div', { class: 'alerts' }, ...s.alerts.map((a) => h('span', { class: `badge ${a.level}`, 'data-testid': `service-alert-${a.code}` }, `${a.level === 'critical' ? '⛔' : '⚠'} ${a.message}`))) : null,
  );
}

export function servicesPage(ctx: AppContext): Page {
  let timer: ReturnType<typeof setInterval> | null = null;
  let off: (() => void) | null = null;
  const list = h('div', { class: 'services', 'data-testid': 'services' });
  const summary = h('div', { class: 'alerts', 'data-testid': 'services-alerts' });

  function render(r: ServicesReply): void {
    const live = r.services.filter((s) => s.status === 'live').length;
    summary.replaceChildren(
      h('span', { class: 'badge', 'data-testid': 'services-count' }, `${live} live · ${r.services.length - live} gone`),
      ...(r.alerts.length === 0 ? [h('span', { class: 'badge ok' }, 'no alerts')] : r.alerts.map((a) => h('span', { class: `badge ${a.level}` }, `${a.level === 'critical' ? '⛔' : '⚠'} ${a.message}`))),
    );
    list.replaceChildren(...(r.services.length ? r.services.map(card) : [empty('No library client reports telemetry here. Services using the Redscope library appear within one interval (5 s by default); run `redscope demo` to see one.', 'services-empty')]));
  }

  async function load(): Promise<void> {
    try {
      render(await ctx.api.call('services'));
    } catch (e) {
      list.replaceChildren(h('div', { class: 'empty error' }, errorText(e)));
    }
  }

  return {
    id: 'services',
    title: 'Services',
    shortcut: 'p',
    mount(el) {
      mount(el,
        h('div', { class: 'page-head' }, h('h1', {}, 'Services')),
        h('p', { class: 'muted' }, 'Processes using the Redscope library, from their telemetry (redscope:clients:* and HEARTBEATs on trading:system): cache hit rate per data type, circuit breakers, rate limits, locks and consumer lag.'),
        summary,
        list);
      void load();
      timer = setInterval(() => void load(), POLL_MS);
      off = ctx.events((e) => {
        if (e.type === 'services') render({ services: e.services, alerts: e.alerts, truncated: false });
      });
    },
    unmount() {
      if (timer) clearInterval(timer);
      timer = null;
      off?.();
    },
    refresh() {
      void load();
    },
  };
}
