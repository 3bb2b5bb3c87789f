// Channels: subscribe to channels, patterns and Redis 7 shard channels (the server-side `monitor`;
// on a Cluster each shard channel is read on its slot's master), a live, virtualized,
// pausable message list with per-channel counts and rates, JSON decoding of payloads, a publish
// box, presets for the standard trading channels, a messages-per-second chart (total and the
// busiest channels), the server's own PUBSUB counts (NUMSUB, NUMPAT, sharded channels), and
// export of the captured messages as JSON lines or CSV.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { AppContext } from '../app';
import { h, mount } from '../dom';
import { formatClock, formatCount } from '../format';
import { MessageBuffer, messageJson } from '../msgbuffer';
import type { Page } from '../router';
import type { Message, MonitorStats } from '../types';
import { ApiError } from '../transport';
import { button, empty, errorText, showError, table, toast } from '../ui';
import { preview } from '../values';
import { namespaceOf, viewAs } from '../viewas';
import { VirtualList } from '../virtual';
import { messagesCsv, messagesJsonl } from '../msgexport';
import { saveBlob } from '../valuefile';
import type { PubsubCounts } from '../api.gen';

/** Points the rate chart keeps (one a second: five minutes). */
const RATE_POINTS = 300;
/** Busiest channels drawn beside the total. */
const RATE_CHANNELS = 4;
const RATE_COLORS = ['#58a6ff', '#3fb950', '#d29922', '#a371f7', '#db61a2'];

/** The standard trading channels and the pattern that covers the trading ones. */
export const PRESET_CHANNELS = ['trading:signals', 'trading:orders', 'trading:positions', 'trading:alerts', 'trading:system', 'signals.generated', 'orders.executed', 'positions.updated'];
export const PRESET_PATTERNS = ['trading:*'];

/** Splits "a, b c" into ["a", "b", "c"], dropping duplicates. */
export function splitList(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((s) => s.trim()).filter(Boolean))];
}

/** A rate-chart series name: a shard channel is kept apart from a classic one of its name. */
function statName(c: { name: string; sharded: boolean }): string {
  return c.sharded ? `${c.name} (shard)` : c.name;
}

function time(ms: number): string {
  const d = new Date(ms);
  return `${formatClock(d)}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}

export function channelsPage(ctx: AppContext): Page {
  const buffer = new MessageBuffer(20_000);
  let serverStats: MonitorStats | null = null;
  let offEvents: (() => void) | null = null;
  let statsTimer: ReturnType<typeof setInterval> | null = null;
  let selected: Message | null = null;
  const channelsInput = h('input', { placeholder: 'channels, comma separated', 'data-testid': 'sub-channels' });
  const patternsInput = h('input', { placeholder: 'patterns, e.g. trading:*', 'data-testid': 'sub-patterns' });
  const shardsInput = h('input', { placeholder: 'shard channels (SSUBSCRIBE, Redis 7+)', title: 'Sharded pub/sub: messages sent with SPUBLISH; on a Cluster each is read on the master owning its slot', 'data-testid': 'sub-shard-channels' });
  const statsBox = h('div', { class: 'channel-stats', 'data-testid': 'channel-stats' });
  const status = h('span', { class: 'muted', 'data-testid': 'monitor-status' });
  const detail = h('div', { class: 'msg-detail', 'data-testid': 'msg-detail' });
  const pauseBtn = h('button', { class: 'btn', 'data-testid': 'pause' }, 'Pause');
  const filter = h('input', { type: 'search', placeholder: 'filter shown messages by channel or text', 'data-testid': 'msg-filter' });
  let filtered: readonly Message[] = [];

  // Messages per second: the total (from the service's exact count) and the busiest channels.
  const rateBox = h('div', { class: 'chart-box' });
  const rateChart = h('div', { class: 'chart', 'data-testid': 'rate-chart' }, h('div', { class: 'chart-title' }, 'Messages / s'), rateBox);
  let rateXs: number[] = [];
  let rateTotal: number[] = [];
  let rateSeries: { name: string; ys: (number | null)[] }[] = [];
  let ratePlot: uPlot | null = null;
  let last: { at: number; total: number } | null = null;

  function drawRates(names: string[]): void {
    const same = ratePlot && names.join('\n') === rateSeries.map((x) => x.name).join('\n');
    if (!same) {
      ratePlot?.destroy();
      const old = new Map(rateSeries.map((x) => [x.name, x.ys]));
      rateSeries = names.map((name) => ({ name, ys: old.get(name) ?? rateXs.map(() => null) }));
      ratePlot = new uPlot({
        width: Math.max(300, (rateBox.clientWidth || 600) - 4),
        height: 140,
        scales: { x: { time: true }, y: { range: (_u: uPlot, _min: number | null, max: number | null): uPlot.Range.MinMax => [0, max !== null && max > 0 ? max * 1.15 : 1] } },
        series: [{}, { label: 'total', stroke: '#dc382d', width: 2 }, ...names.map((n, i) => ({ label: n, stroke: RATE_COLORS[i % RATE_COLORS.length], width: 1.5 }))],
      }, [rateXs, rateTotal, ...rateSeries.map((x) => x.ys)] as uPlot.AlignedData, rateBox);
    } else ratePlot!.setData([rateXs, rateTotal, ...rateSeries.map((x) => x.ys)] as uPlot.AlignedData);
  }

  /** Adds one point a second: the total rate from the exact count, each channel's rate. */
  function sampleRates(): void {
    if (!serverStats) return;
    const now = Date.now() / 1000;
    const total = serverStats.total;
    if (last && now > last.at) {
      const rate = Math.max(0, (total - last.total) / (now - last.at));
      const busiest = [...serverStats.channels].sort((a, b) => b.count - a.count).slice(0, RATE_CHANNELS);
      const byName = new Map(busiest.map((c) => [statName(c), c.rate]));
      rateXs.push(now);
      rateTotal.push(rate);
      for (const x of rateSeries) x.ys.push(byName.get(x.name) ?? null);
      const names = busiest.map(statName);
      for (const n of names) if (!rateSeries.some((x) => x.name === n)) rateSeries.push({ name: n, ys: [...rateXs.slice(0, -1).map(() => null), byName.get(n) ?? null] });
      if (rateXs.length > RATE_POINTS) {
        rateXs = rateXs.slice(-RATE_POINTS);
        rateTotal = rateTotal.slice(-RATE_POINTS);
        for (const x of rateSeries) x.ys = x.ys.slice(-RATE_POINTS);
      }
      rateSeries = rateSeries.filter((x) => names.includes(x.name));
      rateChart.dataset.points = String(rateXs.length);
      rateChart.dataset.total = rate.toFixed(1);
      rateChart.dataset.peak = Math.max(...rateTotal).toFixed(1);
      drawRates(names);
    }
    last = { at: now, total };
  }

  // The server's own counts: every client's subscriptions, not only ours.
  const countsBox = h('div', { 'data-testid': 'pubsub-counts' });
  async function loadCounts(): Promise<void> {
    let c: PubsubCounts;
    try {
      c = await ctx.api.call('pubsub_counts', {});
    } catch (e) {
      countsBox.replaceChildren(h('div', { class: 'empty error' }, errorText(e)));
      return;
    }
    const rows = (list: PubsubCounts['channels'], id: string) => list.map((x) => [h('span', { 'data-testid': `${id}-name` }, x.channel), h('span', { 'data-testid': `${id}-subs` }, formatCount(x.subscribers))]);
    mount(countsBox,
      h('div', { class: 'muted' }, 'Pattern subscriptions (PUBSUB NUMPAT): ', h('strong', { 'data-testid': 'pubsub-numpat' }, formatCount(c.patterns))),
      c.channels.length ? table(['channel (PUBSUB CHANNELS)', 'subscribers (NUMSUB)'], rows(c.channels, 'pubsub-channel'), 'pubsub-channels') : empty('No channel has a subscriber.', 'pubsub-no-channels'),
      !c.sharded ? h('p', { class: 'muted' }, 'This server has no sharded pub/sub (Redis 7 added it).')
        : c.shard_channels.length ? table(['sharded channel (SHARDCHANNELS)', 'subscribers (SHARDNUMSUB)'], rows(c.shard_channels, 'pubsub-shard'), 'pubsub-shards') : empty('No sharded channel has a subscriber.', 'pubsub-no-shards'),
      c.truncated ? h('p', { class: 'muted' }, 'More channels matched than are listed (1,000 of each kind).') : null);
  }

  /** The captured messages, oldest first, as a file download. */
  function exportMessages(kind: 'jsonl' | 'csv'): void {
    const msgs = [...buffer.view()].reverse();
    if (!msgs.length) {
      toast('No captured message to export', 'info');
      return;
    }
    const text = kind === 'jsonl' ? messagesJsonl(msgs) : messagesCsv(msgs);
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    saveBlob(new Blob([text], { type: kind === 'jsonl' ? 'application/x-ndjson' : 'text/csv' }), `redscope-messages-${stamp}.${kind}`);
    toast(`${formatCount(msgs.length)} messages exported`, 'ok');
  }

  const list = new VirtualList<Message>({
    rowHeight: 24,
    className: 'msg-list',
    render(row, m) {
      row.className = `vlist-row msg-row${m === selected ? ' selected' : ''}`;
      row.setAttribute('data-testid', 'message');
      const json = messageJson(m);
      mount(row, 
        h('span', { class: 'msg-time' }, time(m.at_ms)),
        h('span', { class: 'msg-channel' }, m.channel),
        m.sharded ? h('span', { class: 'badge', title: 'from a shard channel (SSUBSCRIBE)', 'data-testid': 'msg-sharded' }, 'shard') : null,
        json !== undefined ? h('span', { class: 'badge' }, 'json') : null,
        h('span', { class: 'msg-payload' }, preview(m.payload, 200)),
      );
    },
  });
  list.el.addEventListener('click', (e) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>('.vlist-row');
    const m = row ? filtered[Number(row.dataset.index)] : undefined;
    if (!m) return;
    selected = m;
    const json = messageJson(m);
    // The same formatters as the key browser; `auto` keeps the quick local JSON view.
    const initial = json !== undefined ? { format: 'json', json } : undefined;
    detail.replaceChildren(h('div', { class: 'muted' }, `${m.channel}${m.pattern ? ` (via ${m.pattern})` : ''}${m.sharded ? ' (shard channel)' : ''} · ${new Date(m.at_ms).toISOString()}`), viewAs(ctx.api, m.payload, `channel:${namespaceOf(m.channel, [':', '.', '/'])}`, initial));
    redraw();
  });

  function redraw(): void {
    const f = filter.value.trim().toLowerCase();
    const all = buffer.view();
    filtered = f ? all.filter((m) => m.channel.toLowerCase().includes(f) || m.payload.text.toLowerCase().includes(f)) : all;
    list.setItems(filtered);
  }

  function renderStats(): void {
    // The service counts per channel and subscription (a message matched by a channel and a
    // pattern is counted under each); without its figures, the local buffer's.
    const server = serverStats?.channels ?? [];
    const rows = server.length
      ? server.map((c) => [c.name, c.pattern ? `via ${c.pattern}` : c.sharded ? 'shard channel' : 'channel', formatCount(c.count), `${c.rate.toFixed(1)}/s`])
      : buffer.stats().map((c) => [c.channel, '', formatCount(c.count), `${c.rate.toFixed(1)}/s`]);
    const total = Math.max(serverStats?.total ?? 0, buffer.total);
    // Exact figures for tools reading the page (`redscope bench desktop`): the service's count and
    // the messages that reached this page (the rest were counted but not sent to the view).
    status.dataset.total = String(serverStats?.total ?? 0);
    status.dataset.arrived = String(buffer.total);
    status.textContent = `${formatCount(total)} messages · ${formatCount(buffer.view().length)} shown${buffer.pending ? ` · ${formatCount(buffer.pending)} held while paused` : ''}${buffer.dropped ? ` · ${formatCount(buffer.dropped)} counted but not drawn` : ''}`;
    const subs = [...(serverStats?.subscribed_channels ?? []), ...(serverStats?.subscribed_patterns ?? []), ...(serverStats?.subscribed_shard_channels ?? []).map((c) => `${c} (shard)`)];
    statsBox.replaceChildren(rows.length || subs.length ? table(['channel', 'subscription', 'messages', 'rate'], rows.length ? rows : [[h('span', { class: 'muted' }, `listening on ${subs.join(', ')}; no messages yet`), '', '', '']], 'stats-table') : empty('Not subscribed. Pick presets or type channels/patterns, then Subscribe.'));
  }

  async function subscribe(): Promise<void> {
    const channels = splitList(channelsInput.value);
    const patterns = splitList(patternsInput.value);
    const shard_channels = splitList(shardsInput.value);
    if (channels.length === 0 && patterns.length === 0 && shard_channels.length === 0) {
      await stop();
      return;
    }
    serverStats = await ctx.api.call('monitor', { channels, patterns, shard_channels });
    toast(`Listening on ${channels.length} channel(s), ${patterns.length} pattern(s), ${shard_channels.length} shard channel(s)`, 'ok');
    renderStats();
  }

  async function stop(): Promise<void> {
    await ctx.api.call('monitor_stop');
    serverStats = null;
    renderStats();
  }

  pauseBtn.addEventListener('click', () => {
    if (buffer.paused) {
      buffer.resume();
      pauseBtn.textContent = 'Pause';
      pauseBtn.classList.remove('on');
      redraw();
    } else {
      buffer.pause();
      pauseBtn.textContent = 'Resume';
      pauseBtn.classList.add('on');
    }
    renderStats();
  });
  filter.addEventListener('input', () => redraw());

  function presetChip(name: string, pattern: boolean): HTMLElement {
    const chip = h('button', { class: 'chip', 'data-testid': `preset-${name}` }, name);
    chip.addEventListener('click', () => {
      const input = pattern ? patternsInput : channelsInput;
      const items = splitList(input.value);
      const i = items.indexOf(name);
      if (i >= 0) items.splice(i, 1);
      else items.push(name);
      input.value = items.join(', ');
      chip.classList.toggle('on', i < 0);
    });
    return chip;
  }

  const pubChannel = h('input', { placeholder: 'channel', value: 'trading:signals', 'data-testid': 'pub-channel' });
  const pubMessage = h('textarea', { rows: 2, placeholder: '{"type":"TRADE_SIGNAL","symbol":"BTC/USDT","side":"buy"}', 'data-testid': 'pub-message' });
  const pubResult = h('span', { class: 'muted', 'data-testid': 'pub-result' });
  const pubSharded = h('input', { type: 'checkbox', 'data-testid': 'pub-sharded' });

  return {
    id: 'channels',
    title: 'Channels',
    shortcut: 'c',
    async mount(el) {
      mount(
        el,
        h('div', { class: 'page-head' }, h('h1', {}, 'Channels'), status),
        h(
          'div',
          { class: 'sub-box' },
          h('div', { class: 'chips' }, h('span', { class: 'muted' }, 'Presets:'), ...PRESET_CHANNELS.map((c) => presetChip(c, false)), ...PRESET_PATTERNS.map((p) => presetChip(p, true))),
          h('div', { class: 'row' }, channelsInput, patternsInput, shardsInput, button('Subscribe', subscribe, { class: 'btn primary', 'data-testid': 'subscribe' }), button('Stop', stop, { 'data-testid': 'unsubscribe' }), pauseBtn, button('Clear', () => {
            buffer.clear();
            selected = null;
            detail.replaceChildren();
            redraw();
            renderStats();
          }), button('Export JSON lines', () => exportMessages('jsonl'), { 'data-testid': 'msg-export-jsonl', title: 'The captured messages, oldest first' }), button('Export CSV', () => exportMessages('csv'), { 'data-testid': 'msg-export-csv' })),
        ),
        rateChart,
        h('div', { class: 'channels-layout' }, h('section', { class: 'msg-pane' }, filter, list.el), h('section', { class: 'side' }, statsBox, detail)),
        h(
          'div',
          { class: 'pub-box' },
          h('strong', {}, 'Publish'),
          pubChannel,
          pubMessage,
          h('label', { title: 'SPUBLISH: reaches only shard-channel subscribers (Redis 7+)' }, pubSharded, ' shard channel'),
          button('Publish', async () => {
            const r = await ctx.api.call('publish', { channel: pubChannel.value.trim(), message: pubMessage.value, sharded: pubSharded.checked });
            pubResult.textContent = `delivered to ${r.receivers} subscriber(s)`;
          }, { class: 'btn primary', 'data-testid': 'publish' }),
          pubResult,
        ),
        h('h2', {}, 'Server counts ', button('Refresh', loadCounts, { class: 'btn small', 'data-testid': 'pubsub-refresh' })),
        countsBox,
      );
      void loadCounts();
      offEvents = ctx.events((e) => {
        if (e.type !== 'channel_batch') return;
        buffer.push(e.messages);
        if (e.dropped) buffer.addDropped(e.dropped);
        if (e.stats) serverStats = e.stats;
        if (!buffer.paused) redraw();
      });
      statsTimer = setInterval(() => {
        renderStats();
        sampleRates();
      }, 1000);
      try {
        const s = await ctx.api.call('monitor_stats', { recent: 500 });
        serverStats = s;
        if (buffer.total === 0 && s.recent?.length) buffer.push([...s.recent].sort((a, b) => a.at_ms - b.at_ms));
        const chans = s.subscribed_channels ?? [];
        const pats = s.subscribed_patterns ?? [];
        if (!channelsInput.value && !patternsInput.value && !shardsInput.value) {
          channelsInput.value = chans.join(', ');
          patternsInput.value = pats.join(', ');
          shardsInput.value = (s.subscribed_shard_channels ?? []).join(', ');
        }
      } catch (e) {
        // No monitor running yet is the normal first visit, not an error.
        if (!(e instanceof ApiError && e.code === 'not_found')) showError(e);
      }
      redraw();
      renderStats();
    },
    unmount() {
      offEvents?.();
      if (statsTimer) clearInterval(statsTimer);
      ratePlot?.destroy();
      ratePlot = null;
    },
    refresh() {
      redraw();
      renderStats();
    },
  };
}
