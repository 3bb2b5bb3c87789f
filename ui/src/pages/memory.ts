// Memory analysis: where the memory went. A run (sample: N keys, extrapolated and labelled as
// such; or full: every key) is a cancellable job with progress; its report shows the namespace
// tree (expand any level), types and encodings, the TTL spread, and the top keys by memory and
// by element count (opening in the key browser). Reports can be saved and two saved runs
// compared to see what grew.

import type { AppContext } from '../app';
import { h, mount } from '../dom';
import { formatBytes, formatCount } from '../format';
import type { Page } from '../router';
import type { KeyStat, MemoryDiff, MemoryJob, MemoryReport, NamespaceStat, SavedRun } from '../api.gen';
import { button, empty, errorText, showError, table, toast } from '../ui';

/** The namespaces directly under `parent` (null: the top level), biggest first. */
export function childrenOf(all: NamespaceStat[], parent: NamespaceStat | null): NamespaceStat[] {
  const depth = parent ? parent.depth + 1 : 1;
  return all
    .filter((n) => n.depth === depth && (!parent || n.prefix.text.startsWith(parent.prefix.text)))
    .sort((a, b) => b.totals.bytes - a.totals.bytes);
}

function pct(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : '—';
}

function meter(part: number, whole: number): HTMLElement {
  const w = whole > 0 ? Math.max(0, Math.min(100, (100 * part) / whole)) : 0;
  return h('span', { class: 'hit-bar' }, h('span', { style: `width:${w.toFixed(1)}%` }));
}

function keyLink(k: KeyStat): HTMLElement {
  return h('a', { href: `#/keys?key_b64=${encodeURIComponent(k.key.b64)}`, 'data-testid': 'mem-key' }, k.key.text);
}

export function memoryPage(ctx: AppContext): Page {
  let job: MemoryJob | null = null;
  let report: MemoryReport | null = null;
  let poll: ReturnType<typeof setInterval> | null = null;
  let off: (() => void) | null = null;

  const mode = h('select', { 'data-testid': 'mem-mode' }, h('option', { value: 'sample' }, 'Sample'), h('option', { value: 'full' }, 'Full (every key)'));
  const sample = h('input', { type: 'number', min: '1', value: '10000', 'data-testid': 'mem-sample', title: 'Keys a sample measures', style: 'width:7em' });
  const separator = h('input', { placeholder: 'separator (profile’s)', 'data-testid': 'mem-separator', style: 'width:9em' });
  const prefix = h('input', { placeholder: 'only under prefix', 'data-testid': 'mem-prefix', style: 'width:12em' });
  const depth = h('input', { type: 'number', min: '1', max: '32', value: '8', 'data-testid': 'mem-depth', title: 'Deepest namespace level', style: 'width:4em' });
  const progress = h('div', { class: 'bar', hidden: true }, h('div', { class: 'bar-fill', 'data-testid': 'mem-progress' }));
  const status = h('div', { class: 'muted', 'data-testid': 'mem-status' });
  const cancelBox = h('span');
  const out = h('div', { 'data-testid': 'mem-report' });
  const savedBox = h('div', { 'data-testid': 'mem-saved' });
  const diffBox = h('div', { 'data-testid': 'mem-diff' });
  const saveName = h('input', { placeholder: 'name of this run', 'data-testid': 'mem-save-name', style: 'width:14em' });

  function stopPoll(): void {
    if (poll) clearInterval(poll);
    poll = null;
  }

  function renderJob(j: MemoryJob): void {
    job = j;
    const fill = progress.firstElementChild as HTMLElement;
    if (j.state === 'running') {
      progress.hidden = false;
      fill.style.width = `${j.expected > 0 ? Math.min(100, (100 * j.measured) / j.expected).toFixed(1) : 0}%`;
      status.textContent = `${j.mode === 'full' ? 'Full analysis' : 'Sample'} running: ${formatCount(j.measured)} of ~${formatCount(j.expected)} keys measured…`;
      cancelBox.replaceChildren(button('Cancel', async () => renderJob(await ctx.api.call('memory_job_cancel', { id: j.id })), { 'data-testid': 'mem-cancel' }));
      return;
    }
    progress.hidden = true;
    cancelBox.replaceChildren();
    stopPoll();
    if (j.state === 'failed') {
      status.textContent = `Failed: ${j.error ?? 'unknown error'}`;
      return;
    }
    if (j.has_report) {
      ctx.api.call('memory_report', { id: j.id }).then((r) => {
        report = r;
        render(r, j.state === 'cancelled');
      }, showError);
    }
  }

  function render(r: MemoryReport, cancelled = false): void {
    const label = r.extrapolated
      ? h('span', { class: 'badge warning', 'data-testid': 'mem-extrapolated' }, `sample of ${formatCount(r.measured)} keys, figures extrapolated ×${r.factor.toFixed(2)}`)
      : h('span', { class: 'badge', 'data-testid': 'mem-exact' }, r.mode === 'full' ? 'every key measured' : 'sample covered every key');
    mount(status,
      `${r.mode === 'full' ? 'Full analysis' : 'Sample'}: ${formatCount(r.total.keys)} keys, ${formatBytes(r.total.bytes)} in values and keys (used_memory ${formatBytes(r.used_memory)}) on ${r.nodes.length} master${r.nodes.length === 1 ? '' : 's'}. `,
      label,
      cancelled || !r.complete ? h('span', { class: 'muted' }, cancelled ? ' Cancelled: partial results.' : ' Not every key was looked at.') : null);
    const total = r.total.bytes;
    const tree = h('tbody', {});
    const row = (n: NamespaceStat): HTMLTableRowElement => {
      const hasKids = r.namespaces.some((c) => c.depth === n.depth + 1 && c.prefix.text.startsWith(n.prefix.text));
      const toggle = h('button', { class: 'icon-btn', 'aria-label': 'Expand', 'data-testid': 'mem-ns-toggle', disabled: !hasKids }, hasKids ? '▸' : '·');
      const tr = h('tr', { 'data-testid': 'mem-ns-row', 'data-prefix': n.prefix.text, 'data-depth': String(n.depth) },
        h('td', { style: `padding-left:${(n.depth - 1) * 18 + 4}px` }, toggle, ' ', h('span', { 'data-testid': 'mem-ns-name' }, n.prefix.text)),
        h('td', { 'data-testid': 'mem-ns-keys' }, formatCount(n.totals.keys)),
        h('td', { 'data-testid': 'mem-ns-bytes', 'data-bytes': String(n.totals.bytes) }, formatBytes(n.totals.bytes)),
        h('td', {}, pct(n.totals.bytes, total), meter(n.totals.bytes, total)),
        h('td', {}, formatCount(n.totals.elements)),
        h('td', {}, formatCount(n.no_ttl)));
      let open = false;
      let kids: HTMLTableRowElement[] = [];
      toggle.addEventListener('click', () => {
        open = !open;
        toggle.textContent = open ? '▾' : '▸';
        if (open) {
          kids = childrenOf(r.namespaces, n).map(row);
          tr.after(...kids);
        } else {
          // Removing a row removes what it opened too.
          const drop = (rows: HTMLTableRowElement[]) => rows.forEach((k) => k.remove());
          drop(kids);
          for (const el of [...tree.querySelectorAll<HTMLTableRowElement>('tr')]) {
            if (Number(el.dataset.depth) > n.depth && (el.dataset.prefix ?? '').startsWith(n.prefix.text)) el.remove();
          }
          kids = [];
        }
      });
      return tr;
    };
    tree.append(...childrenOf(r.namespaces, null).map(row));
    const keyRows = (ks: KeyStat[]) => ks.map((k) => [keyLink(k), k.type, k.encoding, formatBytes(k.bytes), formatCount(k.elements), k.ttl_ms == null ? 'never' : `${Math.round(k.ttl_ms / 1000)} s`, k.node]);
    mount(out,
      h('h2', {}, 'By namespace', h('span', { class: 'muted' }, ` separator “${r.separator}”${r.prefix ? `, under ${r.prefix}` : ''}, up to ${r.depth} levels${r.namespaces_truncated ? ' (some namespaces not listed)' : ''}`)),
      r.namespaces.length
        ? h('div', { class: 'table-scroll' }, h('table', { class: 'grid', 'data-testid': 'mem-namespaces' }, h('thead', {}, h('tr', {}, ...['Namespace', 'Keys', 'Memory', 'Share', 'Elements', 'No TTL'].map((x) => h('th', {}, x)))), tree))
        : empty('No key has the separator in its name.', 'mem-ns-none'),
      h('h2', {}, 'By type'),
      table(['Type', 'Keys', 'Memory', 'Share', 'Elements', 'Biggest key'], r.by_type.map((t) => [t.type, formatCount(t.totals.keys), formatBytes(t.totals.bytes), pct(t.totals.bytes, total), formatCount(t.totals.elements), t.biggest ? `${t.biggest.text} (${formatBytes(t.biggest_bytes)})` : '—']), 'mem-types'),
      h('h2', {}, 'By encoding'),
      table(['Type', 'Encoding', 'Keys', 'Memory'], r.by_encoding.map((e) => [e.type, e.encoding, formatCount(e.keys), formatBytes(e.bytes)]), 'mem-encodings'),
      h('h2', {}, 'TTL spread', h('span', { class: 'muted' }, ` ${formatCount(r.no_ttl)} keys never expire`)),
      table(['Expires in', 'Keys', 'Memory', 'Share'], r.ttl.map((b) => [b.label, formatCount(b.keys), formatBytes(b.bytes), h('span', {}, pct(b.keys, r.total.keys), meter(b.keys, r.total.keys))]), 'mem-ttl'),
      h('h2', {}, `Top ${r.top_by_memory.length} keys by memory`),
      table(['Key', 'Type', 'Encoding', 'Memory', 'Elements', 'TTL', 'Node'], keyRows(r.top_by_memory), 'mem-top-memory'),
      h('h2', {}, `Top ${r.top_by_elements.length} keys by element count`),
      table(['Key', 'Type', 'Encoding', 'Memory', 'Elements', 'TTL', 'Node'], keyRows(r.top_by_elements), 'mem-top-elements'));
  }

  async function run(): Promise<void> {
    const body = {
      mode: mode.value,
      sample: mode.value === 'sample' ? Number(sample.value) || undefined : undefined,
      separator: separator.value || undefined,
      prefix: prefix.value || undefined,
      depth: Number(depth.value) || undefined,
    };
    out.replaceChildren();
    renderJob(await ctx.api.call('memory_analyze', body));
    stopPoll();
    poll = setInterval(() => {
      if (!job || job.state !== 'running') return stopPoll();
      ctx.api.call('memory_job', { id: job.id }).then(renderJob, showError);
    }, 1000);
  }

  async function loadSaved(): Promise<void> {
    let runs: SavedRun[];
    try {
      runs = await ctx.api.call('memory_saved', {});
    } catch (e) {
      savedBox.replaceChildren(h('div', { class: 'empty error' }, errorText(e)));
      return;
    }
    if (!runs.length) {
      savedBox.replaceChildren(empty('No saved runs yet: run an analysis, name it and save it.', 'mem-saved-none'));
      return;
    }
    const picks = runs.map((r) => h('input', { type: 'checkbox', value: r.id, 'data-testid': 'mem-saved-pick', 'aria-label': `Select ${r.name}` }));
    const rows = runs.map((r, i) => [
      picks[i],
      h('span', { 'data-testid': 'mem-saved-name' }, r.name),
      new Date(Number(r.saved_ms)).toLocaleString(),
      r.mode + (r.extrapolated ? ' (extrapolated)' : ''),
      formatCount(r.total.keys),
      formatBytes(r.total.bytes),
      h('span', {},
        button('Open', async () => render(await ctx.api.call('memory_saved_report', { id: r.id })), { class: 'btn small', 'data-testid': 'mem-saved-open' }),
        ' ',
        button('Delete', async () => {
          await ctx.api.call('memory_saved_delete', { id: r.id });
          await loadSaved();
        }, { class: 'btn small', 'data-testid': 'mem-saved-delete' })),
    ]);
    const compare = button('Compare selected (older first)', async () => {
      const chosen = runs.filter((_, i) => picks[i].checked);
      if (chosen.length !== 2) throw new Error('select exactly two saved runs');
      const [newer, older] = chosen;
      renderDiff(await ctx.api.call('memory_compare', { a: older.id, b: newer.id }));
    }, { class: 'btn', 'data-testid': 'mem-compare' });
    savedBox.replaceChildren(table(['', 'Name', 'Saved', 'Mode', 'Keys', 'Memory', ''], rows, 'mem-saved-list'), h('div', { class: 'row' }, compare));
  }

  function renderDiff(d: MemoryDiff): void {
    const sign = (n: number, f: (x: number) => string) => (n > 0 ? `+${f(n)}` : n < 0 ? `−${f(-n)}` : '0');
    const rows = (ds: MemoryDiff['namespaces']) => ds.map((x) => [x.name, formatCount(x.keys_a), formatCount(x.keys_b), sign(x.keys_delta, formatCount), formatBytes(x.bytes_a), formatBytes(x.bytes_b), sign(x.bytes_delta, formatBytes)]);
    mount(diffBox,
      h('h2', {}, `What grew from “${d.a.name}” to “${d.b.name}”`),
      h('p', { 'data-testid': 'mem-diff-total' }, `Every key: ${sign(d.total.keys_delta, formatCount)} keys, ${sign(d.total.bytes_delta, formatBytes)}.`),
      table(['Namespace', 'Keys before', 'Keys after', 'Δ keys', 'Memory before', 'Memory after', 'Δ memory'], rows(d.namespaces.filter((x) => x.bytes_delta !== 0 || x.keys_delta !== 0)), 'mem-diff-namespaces'),
      table(['Type', 'Keys before', 'Keys after', 'Δ keys', 'Memory before', 'Memory after', 'Δ memory'], rows(d.by_type), 'mem-diff-types'));
  }

  async function save(): Promise<void> {
    if (!job || !job.has_report) throw new Error('run an analysis first');
    const name = saveName.value.trim() || new Date().toLocaleString();
    await ctx.api.call('memory_save', { id: job.id, name });
    toast(`Saved “${name}”`, 'ok');
    saveName.value = '';
    await loadSaved();
  }

  return {
    id: 'memory',
    title: 'Memory',
    shortcut: 'm',
    mount(el) {
      mount(el,
        h('div', { class: 'page-head' }, h('h1', {}, 'Memory analysis')),
        h('p', { class: 'muted' }, 'Walks every master with SCAN and measures each key (MEMORY USAGE, TYPE, TTL, encoding, element count) in pipelines: never KEYS. A sample measures N keys and extrapolates; a full run measures every key.'),
        h('div', { class: 'row' }, mode, sample, separator, prefix, h('label', { class: 'muted' }, 'depth ', depth), button('Analyze', () => run(), { class: 'btn primary', 'data-testid': 'mem-run' }), cancelBox),
        progress,
        status,
        h('div', { class: 'row' }, saveName, button('Save this run', () => save(), { class: 'btn', 'data-testid': 'mem-save' })),
        out,
        h('h2', {}, 'Saved runs'),
        savedBox,
        diffBox);
      mode.addEventListener('change', () => (sample.disabled = mode.value !== 'sample'));
      if (job) renderJob(job);
      if (report && job?.state !== 'running') render(report);
      void loadSaved();
      off = ctx.events((e) => {
        const ev = e as unknown as MemoryJob & { type: string };
        if (e.type === 'job' && job && ev.id === job.id && ev.kind === 'memory') renderJob(ev);
      });
    },
    unmount() {
      stopPoll();
      off?.();
    },
    refresh() {
      void loadSaved();
    },
  };
}
