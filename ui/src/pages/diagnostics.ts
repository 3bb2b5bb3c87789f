// Diagnostics: hot keys, the MONITOR view (./monitorview) and latency. Hot keys come from OBJECT FREQ over a scan when the server
// runs an LFU policy; otherwise only a time-boxed MONITOR sample can tell, which copies every
// command of every client to Redscope while it runs, so it is offered with its cost spelled out
// and runs only after the user confirms. Latency shows LATENCY LATEST per master with a chart of
// each event's LATENCY HISTORY and the server's LATENCY DOCTOR report.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { AppContext } from '../app';
import { h, mount } from '../dom';
import { formatCount } from '../format';
import type { Page } from '../router';
import type { HotkeysJob, LatencyReply } from '../api.gen';
import { ApiError } from '../transport';
import { button, empty, errorText, showError, table } from '../ui';
import { monitorSection } from './monitorview';

export function diagnosticsPage(ctx: AppContext): Page {
  let job: HotkeysJob | null = null;
  let poll: ReturnType<typeof setInterval> | null = null;
  let off: (() => void) | null = null;
  let plots: uPlot[] = [];
  const monitor = monitorSection(ctx);

  const seconds = h('input', { type: 'number', min: '1', max: '60', value: '10', 'data-testid': 'hot-seconds', title: 'Length of a MONITOR sample (s)', style: 'width:5em' });
  const pattern = h('input', { placeholder: 'keys matching (LFU)', 'data-testid': 'hot-pattern', style: 'width:12em' });
  const hotStatus = h('div', { 'data-testid': 'hot-status', class: 'muted' });
  const confirmBox = h('div', { 'data-testid': 'hot-confirm-box' });
  const hotOut = h('div', { 'data-testid': 'hot-out' });
  const cancelBox = h('span');
  const latencyBox = h('div', { 'data-testid': 'latency' });

  function stopPoll(): void {
    if (poll) clearInterval(poll);
    poll = null;
  }

  function renderJob(j: HotkeysJob): void {
    // A poll answered late can bring an older snapshot: a job that ended never runs again.
    if (job?.id === j.id && job.state !== 'running' && j.state === 'running') return;
    job = j;
    hotStatus.dataset.state = j.state;
    const how = j.method === 'lfu' ? `OBJECT FREQ (policy ${j.policy})` : `MONITOR sample of ${j.seconds} s — costly: the server copied every command to us`;
    if (j.state === 'running') {
      hotStatus.textContent = j.method === 'lfu'
        ? `Reading OBJECT FREQ: ${formatCount(j.scanned)} of ~${formatCount(j.expected)} keys…`
        : `MONITOR running: ${(j.elapsed_ms / 1000).toFixed(1)} of ${j.seconds} s, ${formatCount(j.commands)} commands seen…`;
      cancelBox.replaceChildren(button('Stop', async () => renderJob(await ctx.api.call('hotkeys_job_cancel', { id: j.id })), { 'data-testid': 'hot-cancel' }));
    } else {
      stopPoll();
      cancelBox.replaceChildren();
      hotStatus.textContent = j.state === 'failed' ? `Failed: ${j.error ?? ''}` : `${j.state === 'cancelled' ? 'Stopped early. ' : ''}${how}${j.method === 'monitor' ? `: ${formatCount(j.commands)} commands seen` : `: ${formatCount(j.scanned)} keys read`}.`;
    }
    const countLabel = j.method === 'lfu' ? 'LFU counter' : 'Commands';
    mount(hotOut,
      j.costly ? h('span', { class: 'badge warning', 'data-testid': 'hot-costly' }, 'MONITOR sample (costly)') : h('span', { class: 'badge', 'data-testid': 'hot-lfu' }, 'LFU counters'),
      j.keys.length
        ? table(['Key', countLabel, 'Node'], j.keys.map((k) => [h('a', { href: `#/keys?key_b64=${encodeURIComponent(k.key.b64)}`, 'data-testid': 'hot-key' }, k.key.text), h('span', { 'data-testid': 'hot-count' }, formatCount(k.count)), k.node]), 'hot-keys')
        : empty(j.state === 'running' ? 'Counting…' : 'No key was used.', 'hot-none'),
      j.by_command.length ? h('h3', {}, 'By command') : null,
      j.by_command.length ? table(['Command', 'Count'], j.by_command.map((c) => [h('span', { 'data-testid': 'hot-command' }, c.command), formatCount(c.count)]), 'hot-commands') : null,
      j.truncated ? h('p', { class: 'muted' }, 'More distinct keys were seen than are counted; later new keys were left out.') : null);
  }

  function watch(j: HotkeysJob): void {
    confirmBox.replaceChildren();
    renderJob(j);
    stopPoll();
    poll = setInterval(() => {
      if (!job || job.state !== 'running') return stopPoll();
      ctx.api.call('hotkeys_job', { id: job.id }).then(renderJob, showError);
    }, 1000);
  }

  async function findHotKeys(confirm: boolean, method?: string): Promise<void> {
    const body = { method, seconds: Number(seconds.value) || undefined, confirm: confirm || undefined, pattern: pattern.value || undefined };
    try {
      watch(await ctx.api.call('hotkeys', body));
    } catch (e) {
      if (e instanceof ApiError && e.code === 'confirmation_required') {
        mount(confirmBox,
          h('div', { class: 'empty warning', 'data-testid': 'hot-confirm-text' }, e.message),
          h('div', { class: 'row' },
            button(`Run the MONITOR sample (${Number(seconds.value) || 10} s)`, () => findHotKeys(true, 'monitor'), { class: 'btn danger', 'data-testid': 'hot-confirm' }),
            button('Cancel', () => confirmBox.replaceChildren(), { class: 'btn' })));
        return;
      }
      throw e;
    }
  }

  async function loadLatency(): Promise<void> {
    let r: LatencyReply;
    try {
      r = await ctx.api.call('latency', {});
    } catch (e) {
      latencyBox.replaceChildren(h('div', { class: 'empty error' }, errorText(e)));
      return;
    }
    for (const p of plots) p.destroy();
    plots = [];
    const parts: (HTMLElement | null)[] = [];
    for (const n of r.nodes) {
      if (r.nodes.length > 1) parts.push(h('h3', {}, n.node));
      if (n.threshold_ms === 0) parts.push(h('p', { class: 'muted', 'data-testid': 'latency-off' }, 'The latency monitor is off (latency-monitor-threshold 0): set a threshold in ms to record spikes.'));
      else if (n.threshold_ms != null) parts.push(h('p', { class: 'muted' }, `Spikes of ${n.threshold_ms} ms or more are recorded.`));
      if (!n.events.length) parts.push(empty('No latency spike recorded.', 'latency-none'));
      for (const ev of n.events) {
        const box = h('div', { class: 'chart-box' });
        parts.push(h('div', { class: 'chart', 'data-testid': 'latency-event', 'data-event': ev.event },
          h('div', { class: 'chart-title' }, ev.event, h('span', { class: 'chart-last' }, `latest ${ev.latest_ms} ms at ${new Date(ev.at_s * 1000).toLocaleTimeString()}, worst ${ev.max_ms} ms`)),
          box));
        queueMicrotask(() => {
          const xs = ev.history.map((p) => p[0]);
          const ys = ev.history.map((p) => p[1]);
          plots.push(new uPlot({
            width: Math.max(260, (box.clientWidth || 420) - 4),
            height: 120,
            legend: { show: false },
            scales: { x: { time: true }, y: { range: (_u: uPlot, _min: number | null, max: number | null): uPlot.Range.MinMax => [0, max !== null && max > 0 ? max * 1.15 : 1] } },
            series: [{}, { label: 'ms', stroke: '#e0a030', width: 1.5, points: { show: true } }],
          }, [xs, ys], box));
        });
      }
      parts.push(h('details', { 'data-testid': 'latency-doctor' }, h('summary', {}, 'LATENCY DOCTOR'), h('pre', { class: 'mono' }, n.doctor)));
    }
    mount(latencyBox, ...parts);
  }

  return {
    id: 'diagnostics',
    title: 'Diagnostics',
    shortcut: 'l',
    mount(el) {
      mount(el,
        h('div', { class: 'page-head' }, h('h1', {}, 'Diagnostics')),
        h('h2', {}, 'Hot keys'),
        h('p', { class: 'muted' }, 'With an LFU maxmemory-policy, the server’s own use counters are read with OBJECT FREQ over a SCAN. Otherwise only a MONITOR sample can tell, which slows the server while it runs: you will be asked first.'),
        h('div', { class: 'row' }, pattern, h('label', { class: 'muted' }, 'MONITOR sample ', seconds, ' s'), button('Find hot keys', () => findHotKeys(false), { class: 'btn primary', 'data-testid': 'hot-run' }), cancelBox),
        confirmBox,
        hotStatus,
        hotOut,
        monitor.el,
        h('h2', {}, 'Latency', ' ', button('Refresh', () => loadLatency(), { class: 'btn small', 'data-testid': 'latency-refresh' })),
        latencyBox);
      if (job) renderJob(job);
      void loadLatency();
      monitor.load();
      off = ctx.events((e) => {
        monitor.onEvent(e);
        const ev = e as unknown as HotkeysJob & { type: string };
        if (e.type === 'job' && job && ev.id === job.id && ev.kind === 'hotkeys') renderJob(ev);
      });
    },
    unmount() {
      stopPoll();
      monitor.unmount();
      off?.();
      for (const p of plots) p.destroy();
      plots = [];
    },
    refresh() {
      void loadLatency();
    },
  };
}
