// Dashboard: live charts (hit rate, memory used vs max, ops/s, server CPU seconds per second
// from INFO's used_cpu_sys/user, clients, evicted/expired keys,
// network) from the sampler's history plus `metrics` events, ranges 5 min / 1 h / 24 h, alert
// badges with their thresholds editable (saved with the connected profile), and the server's
// facts from INFO.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { AppContext } from '../app';
import { h, mount } from '../dom';
import { formatBytes, formatCount, formatDuration, formatMs } from '../format';
import type { Page } from '../router';
import { chartData, hitPercent, type ChartSpec } from '../metrics';
import type { Alert, HealthReport, InfoReply, MetricsSample } from '../types';
import { button, errorText, table, toast } from '../ui';
import type { AlertThresholds, Thresholds } from '../api.gen';


const CHARTS: ChartSpec[] = [
  { id: 'hit', title: 'Hit rate', series: [{ label: 'hit rate %', color: '#3fb950', get: (s) => hitPercent(s.hit_rate) }], fmt: (v) => `${v.toFixed(0)}%` },
  {
    id: 'mem',
    title: 'Memory (used vs max)',
    series: [
      { label: 'used', color: '#dc382d', get: (s) => s.used_memory },
      { label: 'maxmemory', color: '#8b92a3', get: (s) => (s.maxmemory > 0 ? s.maxmemory : null) },
    ],
    fmt: (v) => formatBytes(v),
  },
  { id: 'ops', title: 'Operations / s', series: [{ label: 'ops/s', color: '#58a6ff', get: (s) => s.ops_per_sec }], fmt: (v) => formatCount(v) },
  { id: 'clients', title: 'Clients', series: [{ label: 'clients', color: '#d29922', get: (s) => s.clients }], fmt: (v) => formatCount(v) },
  {
    id: 'evict',
    title: 'Evicted / expired keys (per sample)',
    series: [
      { label: 'evicted', color: '#f85149', get: (s) => s.evicted_keys, delta: true },
      { label: 'expired', color: '#a371f7', get: (s) => s.expired_keys, delta: true },
    ],
    fmt: (v) => (Number.isInteger(v) ? formatCount(v) : v.toFixed(1)),
  },
  {
    id: 'net',
    title: 'Network (kB/s)',
    series: [
      { label: 'in', color: '#39c5cf', get: (s) => s.net_in_kbps },
      { label: 'out', color: '#db61a2', get: (s) => s.net_out_kbps },
    ],
    fmt: (v) => `${v.toFixed(1)}`,
  },
  {
    id: 'cpu',
    title: 'Server CPU (CPU seconds / s)',
    series: [
      { label: 'sys', color: '#f0883e', get: (s) => s.cpu_sys ?? null },
      { label: 'user', color: '#3fb950', get: (s) => s.cpu_user ?? null },
    ],
    fmt: (v) => v.toFixed(2),
  },
];

const RANGES: [string, number][] = [
  ['5 min', 300],
  ['1 h', 3600],
  ['24 h', 86400],
];

function fact(label: string, value: string, testid?: string): HTMLElement {
  return h('div', { class: 'fact' }, h('div', { class: 'fact-label' }, label), h('div', { class: 'fact-value', 'data-testid': testid }, value));
}

export function dashboardPage(ctx: AppContext): Page {
  let offHealth: (() => void) | null = null;
  let offEvents: (() => void) | null = null;
  let el: HTMLElement | null = null;
  let range = 300;
  // On a Cluster: the master whose figures are charted (`null`: the cluster total).
  let node: string | null = null;
  let lastNodeLoad = 0;
  let samples: MetricsSample[] = [];
  let plots: { spec: ChartSpec; plot: uPlot; box: HTMLElement }[] = [];
  let info: InfoReply | null = null;
  let resize: (() => void) | null = null;
  const factsBox = h('div', { class: 'facts', 'data-testid': 'facts' });
  const alertsBox = h('div', { class: 'alerts', 'data-testid': 'alerts' });
  const chartsBox = h('div', { class: 'charts', 'data-testid': 'charts' });
  const dbBox = h('div', { 'data-testid': 'db-keys' });

  /** Keys per database (INFO keyspace), as a small table under the charts. */
  async function loadDatabases(): Promise<void> {
    try {
      const d = await ctx.api.call('databases', {});
      dbBox.replaceChildren(
        h('h2', {}, 'Keys per database'),
        d.databases.length
          ? table(['Database', 'Keys', 'With TTL'], d.databases.map((x) => [h('span', { 'data-testid': 'db-index' }, `db${x.db}${x.db === d.current ? ' (this session)' : ''}`), h('span', { 'data-testid': 'db-count' }, formatCount(x.keys)), formatCount(x.expires)]), 'db-keys-table')
          : h('p', { class: 'muted' }, 'No keys.'),
      );
    } catch (e) {
      dbBox.replaceChildren(h('div', { class: 'empty error' }, errorText(e)));
    }
  }
  // The alert thresholds: shown and edited in a fold under the alerts, saved with the profile.
  const thBox = h('details', { class: 'thresholds', 'data-testid': 'thresholds' });
  const thInputs: Record<keyof Thresholds, HTMLInputElement> = {
    hit_rate_warning_pct: h('input', { type: 'number', min: '0', max: '100', 'data-testid': 'th-hit', style: 'width:5em' }),
    memory_warning_pct: h('input', { type: 'number', min: '0', max: '100', 'data-testid': 'th-mem-warn', style: 'width:5em' }),
    memory_critical_pct: h('input', { type: 'number', min: '0', max: '100', 'data-testid': 'th-mem-crit', style: 'width:5em' }),
    clients_warning: h('input', { type: 'number', min: '0', 'data-testid': 'th-clients', style: 'width:6em' }),
  };
  const thWhere = h('span', { class: 'muted small', 'data-testid': 'th-where' });
  const thError = h('div', { class: 'r-error', 'data-testid': 'th-error' });

  function showThresholds(t: AlertThresholds): void {
    for (const [k, el] of Object.entries(thInputs) as [keyof Thresholds, HTMLInputElement][]) el.value = String(t.thresholds[k]);
    thWhere.textContent = t.profile ? `Saved with profile ${t.profile}; applied whenever it is connected.` : 'No saved profile is connected: these hold for this session only.';
  }

  async function loadThresholds(): Promise<void> {
    try {
      showThresholds(await ctx.api.call('alert_thresholds', {}));
    } catch (e) {
      thError.textContent = errorText(e);
    }
  }

  async function saveThresholds(t?: Thresholds): Promise<void> {
    thError.textContent = '';
    const next = t ?? (Object.fromEntries(Object.entries(thInputs).map(([k, el]) => [k, Number(el.value)])) as unknown as Thresholds);
    try {
      const r = await ctx.api.call('alert_thresholds_set', next);
      showThresholds(r);
      toast(r.profile ? `Alert thresholds saved with ${r.profile}` : 'Alert thresholds in force for this session', 'ok');
      await loadMetrics();
    } catch (e) {
      thError.textContent = errorText(e);
    }
  }

  thBox.append(
    h('summary', { 'data-testid': 'th-open' }, 'Alert thresholds'),
    h('div', { class: 'row' },
      h('label', {}, 'Hit rate below ', thInputs.hit_rate_warning_pct, ' %'),
      h('label', {}, 'Memory above ', thInputs.memory_warning_pct, ' % (warning) ', thInputs.memory_critical_pct, ' % (critical) of maxmemory'),
      h('label', {}, 'More than ', thInputs.clients_warning, ' clients'),
      button('Save', () => saveThresholds(), { class: 'btn primary', 'data-testid': 'th-save' }),
      button('Defaults', async () => saveThresholds((await ctx.api.call('alert_thresholds', {})).defaults), { class: 'btn', 'data-testid': 'th-defaults' })),
    thWhere,
    thError,
  );
  const banner = h('div', { class: 'banner-slot' });
  const rangeBar = h('div', { class: 'seg', 'data-testid': 'ranges' });
  const nodeSelect = h('select', { class: 'node-select', 'data-testid': 'node-select', hidden: true, title: 'Cluster master to chart' }) as HTMLSelectElement;
  nodeSelect.addEventListener('change', () => {
    node = nodeSelect.value || null;
    void loadMetrics();
  });

  /** Lists the Cluster's masters (hidden outside a Cluster), keeping the current choice. */
  function renderNodes(nodes: string[]): void {
    nodeSelect.hidden = nodes.length === 0;
    const want = ['', ...nodes];
    const have = Array.from(nodeSelect.options).map((o) => o.value);
    if (want.join('\n') !== have.join('\n')) {
      nodeSelect.replaceChildren(...want.map((n) => h('option', { value: n }, n === '' ? 'cluster total' : n)));
    }
    if (node !== null && !nodes.includes(node)) node = null;
    nodeSelect.value = node ?? '';
  }

  function renderFacts(r: HealthReport | null): void {
    if (!r) {
      factsBox.replaceChildren(h('div', { class: 'empty' }, 'Connecting to Redis…'));
      return;
    }
    if (r.state !== 'connected') {
      banner.replaceChildren(h('div', { class: 'empty error', 'data-testid': 'down-reason' }, h('strong', {}, 'Redis is not reachable. '), r.error ?? 'No reason given.', h('p', {}, 'Redscope retries every few seconds; check the URL, the password and that the server runs, or pick another profile under Connections.')));
    } else banner.replaceChildren();
    const s = info?.sections ?? {};
    const get = (sec: string, f: string): string | undefined => (s[sec]?.[f] === undefined || s[sec]?.[f] === null ? undefined : String(s[sec][f]));
    const persistence = [get('persistence', 'aof_enabled') === '1' ? 'AOF' : null, get('persistence', 'rdb_last_save_time') && get('persistence', 'rdb_changes_since_last_save') !== undefined ? `RDB · ${get("persistence", "rdb_changes_since_last_save")} unsaved` : null].filter(Boolean).join(' + ') || '—';
    const policy = get('memory', 'maxmemory_policy') ?? '—';
    factsBox.replaceChildren(
      fact('Version', r.version ?? get('server', 'redis_version') ?? '—', 'fact-version'),
      fact('Role', r.role ?? get('replication', 'role') ?? '—', 'fact-role'),
      fact('Mode', r.mode ?? get('server', 'server_mode') ?? get('server', 'redis_mode') ?? '—'),
      fact('Uptime', formatDuration(r.uptime_s ?? Number(get('server', 'uptime_in_seconds') ?? NaN)), 'fact-uptime'),
      fact('Eviction policy', policy, 'fact-policy'),
      fact('Persistence', persistence, 'fact-persistence'),
      fact('Memory used', formatBytes(r.used_memory)),
      fact('Clients', formatCount(r.connected_clients)),
      fact('Latency', formatMs(r.latency_ms)),
    );
  }

  function renderAlerts(alerts: Alert[]): void {
    alertsBox.replaceChildren(
      ...(alerts.length === 0 ? [h('span', { class: 'badge ok' }, 'no alerts')] : alerts.map((a) => h('span', { class: `badge ${a.level}`, title: a.code, 'data-testid': `alert-${a.code}` }, `${a.level === 'critical' ? 'CRITICAL' : 'WARNING'} · ${a.message}`))),
    );
  }

  function buildCharts(): void {
    for (const p of plots) p.plot.destroy();
    plots = [];
    chartsBox.replaceChildren();
    for (const spec of CHARTS) {
      const box = h('div', { class: 'chart-box', 'data-testid': `chart-${spec.id}` });
      const last = h('span', { class: 'chart-last' });
      chartsBox.append(h('div', { class: 'chart' }, h('div', { class: 'chart-title' }, spec.title, last), box));
      const width = Math.max(260, (box.clientWidth || 420) - 4);
      const plot = new uPlot(
        {
          width,
          height: 150,
          legend: { show: true },
          cursor: { drag: { x: false, y: false } },
          // The x axis always spans the chosen range, ending at the newest sample (or now).
          scales: {
            x: {
              time: true,
              range: () => {
                const end = samples.length ? samples[samples.length - 1].at_ms / 1000 : Date.now() / 1000;
                return [end - range, end];
              },
            },
            // From zero, so a flat series does not look like noise; hit rate is always 0-100 %.
            y: { range: (_u: uPlot, _min: number | null, max: number | null): uPlot.Range.MinMax => (spec.id === 'hit' ? [0, 100] : [0, max !== null && max > 0 ? max * 1.15 : 1]) },
          },
          axes: [
            { stroke: '#8b92a3', grid: { stroke: 'rgba(139,146,163,0.15)' } },
            { stroke: '#8b92a3', grid: { stroke: 'rgba(139,146,163,0.15)' }, size: 72, values: (_u, vals) => vals.map((v) => (v === null ? '' : spec.fmt(v))) },
          ],
          series: [{}, ...spec.series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, spanGaps: true, value: (_u: uPlot, v: number | null) => (v === null ? '—' : spec.fmt(v)) }))],
        },
        chartData(samples, spec) as uPlot.AlignedData,
        box,
      );
      plots.push({ spec, plot, box });
    }
    updateCharts();
  }

  function updateCharts(): void {
    chartsBox.dataset.samples = String(samples.length);
    for (const { spec, plot } of plots) plot.setData(chartData(samples, spec) as uPlot.AlignedData);
    for (const { spec, box } of plots) {
      const lastSample = samples[samples.length - 1];
      const label = box.parentElement?.querySelector('.chart-last');
      const cols = chartData(samples.slice(-2), spec);
      if (label) label.textContent = lastSample ? cols.slice(1).map((c) => { const v = c[c.length - 1]; return v === null || v === undefined ? '—' : spec.fmt(v); }).join(' / ') : '';
    }
  }

  async function loadMetrics(): Promise<void> {
    try {
      lastNodeLoad = Date.now();
      const r = await ctx.api.call('metrics', { range_s: range, points: 600, ...(node ? { node } : {}) });
      samples = r.samples ?? [];
      renderNodes(r.nodes ?? []);
      renderAlerts(r.alerts ?? []);
      if (samples.length === 0) chartsBox.dataset.empty = 'true';
      updateCharts();
    } catch (e) {
      alertsBox.replaceChildren(h('span', { class: 'badge critical' }, `metrics unavailable: ${errorText(e)}`));
    }
  }

  async function loadInfo(): Promise<void> {
    try {
      info = await ctx.api.call('info');
    } catch {
      info = null;
    }
    renderFacts(ctx.health());
  }

  function renderRanges(): void {
    rangeBar.replaceChildren(
      ...RANGES.map(([label, s]) => {
        const b = h('button', { class: `seg-btn${s === range ? ' on' : ''}`, 'data-testid': `range-${s}` }, label);
        b.addEventListener('click', () => {
          range = s;
          renderRanges();
          void loadMetrics();
        });
        return b;
      }),
    );
  }

  function reportCmd(): string {
    const url = ctx.health()?.url;
    return `redscope report${url ? ` --redis ${url}` : ''} --duration ${range >= 3600 ? '5m' : '1m'} --out redscope-report.svg`;
  }

  function exportHint(): HTMLElement {
    const hint = h('div', { class: 'export-hint', hidden: true, 'data-testid': 'export-hint' }, 'PNG/SVG charts are drawn server-side by the plotters report: run ', h('code', {}, reportCmd()), ' (or --out report.png) against the same Redis.');
    const b = h('button', { class: 'btn', 'data-testid': 'export' }, 'Export PNG/SVG');
    b.addEventListener('click', () => {
      hint.hidden = !hint.hidden;
      hint.querySelector('code')!.textContent = reportCmd();
    });
    return h('span', {}, b, hint);
  }

  return {
    id: 'dashboard',
    title: 'Dashboard',
    shortcut: 'd',
    async mount(target) {
      el = target;
      renderRanges();
      mount(el, h('div', { class: 'page-head' }, h('h1', {}, 'Dashboard'), rangeBar, nodeSelect, exportHint()), banner, alertsBox, thBox, factsBox, chartsBox, dbBox);
      renderFacts(ctx.health());
      offHealth = ctx.onHealth(renderFacts);
      buildCharts();
      offEvents = ctx.events((e) => {
        if (e.type !== 'metrics') return;
        if (node !== null) {
          // Live ticks carry the cluster total; a chosen master's history is polled instead.
          if (Date.now() - lastNodeLoad > 2000) void loadMetrics();
          return;
        }
        samples.push(e.sample);
        const cutoff = e.sample.at_ms - range * 1000;
        while (samples.length && samples[0].at_ms < cutoff) samples.shift();
        renderAlerts(e.alerts ?? []);
        updateCharts();
      });
      const onResize = () => {
        for (const p of plots) p.plot.setSize({ width: Math.max(260, p.box.clientWidth - 4), height: 150 });
      };
      resize = onResize;
      window.addEventListener('resize', onResize);
      requestAnimationFrame(onResize);
      await Promise.all([loadMetrics(), loadInfo(), loadDatabases(), loadThresholds()]);
    },
    unmount() {
      offHealth?.();
      offEvents?.();
      if (resize) window.removeEventListener('resize', resize);
      for (const p of plots) p.plot.destroy();
      plots = [];
      el = null;
    },
    refresh() {
      void loadMetrics();
      void loadInfo();
      void loadDatabases();
      void loadThresholds();
    },
  };
}
