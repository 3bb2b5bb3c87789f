// Export and import: keys chosen by pattern, namespace prefix or a list, with their TTLs, to the
// lossless dump file (DUMP payloads), to Redis commands for `redis-cli --pipe`, or to JSON lines
// / CSV for people; and import of a dump or command file with a conflict policy (skip, replace,
// fail) and a dry run. Each runs as a cancellable job with progress; files live in the export
// directory shown here (named, never paths), with the stream ranges exported from the Streams page.

import type { AppContext } from '../app';
import { h, mount } from '../dom';
import { formatBytes, formatCount } from '../format';
import type { Page } from '../router';
import type { TransferFile, TransferJob } from '../api.gen';
import { button, confirmDialog, empty, errorText, showError, table, toast } from '../ui';
import { fromBase64, toBase64 } from '../keys';
import { saveBlob } from '../valuefile';
import type { Transport } from '../transport';

/** Bytes per upload part (the server takes at most 1 MiB per part). */
const UPLOAD_PART = 1 << 20;

/** Reads a file of the export directory part by part into a Blob (for a browser download). */
export async function downloadFile(api: Transport, name: string, progress?: (done: number, total: number) => void): Promise<Blob> {
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (;;) {
    const p = await api.call('transfer_file_read', { name, offset });
    const bytes = fromBase64(p.b64);
    parts.push(bytes);
    offset += bytes.length;
    progress?.(offset, Number(p.total));
    if (p.eof) break;
  }
  return new Blob(parts as BlobPart[], { type: 'application/octet-stream' });
}

/** Sends a picked file to the export directory in parts; the file is listed once the last arrives. */
export async function uploadFile(api: Transport, file: Blob, name: string, overwrite: boolean, progress?: (done: number) => void): Promise<void> {
  let offset = 0;
  do {
    const part = new Uint8Array(await file.slice(offset, offset + UPLOAD_PART).arrayBuffer());
    const last = offset + part.length >= file.size;
    const r = await api.call('transfer_file_write', { name, offset, b64: toBase64(part), last, overwrite: offset === 0 && overwrite ? true : undefined });
    offset = Number(r.received);
    progress?.(offset);
  } while (offset < file.size);
}

/** The request fields choosing keys, from the scope picker and its text. */
export function scopeOf(scope: string, text: string): Record<string, unknown> {
  const t = text.trim();
  if (scope === 'pattern') return t ? { pattern: t } : {};
  if (scope === 'prefix') return { prefix: t };
  if (scope === 'keys') {
    const keys = t.split('\n').map((k) => k.replace(/\r$/, '')).filter((k) => k.length > 0);
    if (!keys.length) throw new Error('list at least one key, one per line');
    return { keys: keys.map((key) => ({ key })) };
  }
  return {};
}

/** One line saying what a job did (or, in a dry run, would do). */
export function summary(j: TransferJob): string {
  if (j.kind === 'export' && j.stream) {
    const s = j.stream;
    return `Exported ${formatCount(j.entries)} entries of ${s.key.text} (${s.start} … ${s.end}${s.count ? `, at most ${formatCount(s.count)}` : ''}) to ${j.file} (${formatBytes(j.done_bytes)}).`;
  }
  if (j.kind === 'export') {
    const extra = [j.gone ? `${formatCount(j.gone)} gone or missing` : '', j.unsupported ? `${formatCount(j.unsupported)} of types this format cannot hold` : ''].filter(Boolean);
    return `Exported ${formatCount(j.keys)} keys to ${j.file} (${formatBytes(j.done_bytes)})${extra.length ? `; ${extra.join(', ')}` : ''}.`;
  }
  const verb = j.dry_run ? 'Dry run: would import' : 'Imported';
  const parts = [`${verb} ${formatCount(j.keys)} keys from ${j.file}`];
  if (j.conflicts) parts.push(`${formatCount(j.conflicts)} already exist`);
  if (j.skipped) parts.push(`${formatCount(j.skipped)} ${j.dry_run ? 'would be ' : ''}skipped`);
  if (j.replaced) parts.push(`${formatCount(j.replaced)} ${j.dry_run ? 'would be ' : ''}replaced`);
  if (j.expired) parts.push(`${formatCount(j.expired)} expired (not written)`);
  if (j.errors) parts.push(`${formatCount(j.errors)} refused`);
  return `${parts.join('; ')}.`;
}

export function transferPage(ctx: AppContext): Page {
  let poll: ReturnType<typeof setInterval> | null = null;
  let off: (() => void) | null = null;
  let watched: string | null = null;
  let filesSeq = 0;
  let latestFiles: Promise<void> = Promise.resolve();
  let wanted: string | null = null;

  const format = h('select', { 'data-testid': 'tx-format' },
    h('option', { value: 'dump' }, 'Dump file (lossless, DUMP payloads)'),
    h('option', { value: 'commands' }, 'Redis commands (redis-cli --pipe)'),
    h('option', { value: 'jsonl' }, 'JSON lines'),
    h('option', { value: 'csv' }, 'CSV'));
  const scope = h('select', { 'data-testid': 'tx-scope' },
    h('option', { value: 'all' }, 'Every key'),
    h('option', { value: 'pattern' }, 'Keys matching a pattern'),
    h('option', { value: 'prefix' }, 'A namespace (prefix)'),
    h('option', { value: 'keys' }, 'These keys'));
  const scopeText = h('input', { placeholder: 'market:ticker:*', 'data-testid': 'tx-scope-text', style: 'width:18em', hidden: true });
  const keyList = h('textarea', { rows: '4', placeholder: 'one key per line', 'data-testid': 'tx-keys', style: 'width:30em', hidden: true });
  const fileName = h('input', { placeholder: 'file name (default: export-<time>)', 'data-testid': 'tx-file', style: 'width:18em' });
  const replace = h('input', { type: 'checkbox', 'data-testid': 'tx-replace' });
  const replaceLabel = h('label', { class: 'muted', hidden: true }, replace, ' DEL each key first');
  const overwrite = h('input', { type: 'checkbox', 'data-testid': 'tx-overwrite' });

  const importFile = h('select', { 'data-testid': 'tx-import-file' });
  const policy = h('select', { 'data-testid': 'tx-policy' },
    h('option', { value: 'skip' }, 'Skip keys that exist'),
    h('option', { value: 'replace' }, 'Replace keys that exist'),
    h('option', { value: 'fail' }, 'Fail if any key exists (nothing written)'));
  const dryRun = h('input', { type: 'checkbox', checked: true, 'data-testid': 'tx-dry-run' });
  const uploadPick = h('input', { type: 'file', 'data-testid': 'tx-upload', title: 'Upload a dump or command file from this computer into the export directory' });
  const uploadState = h('span', { class: 'muted', 'data-testid': 'tx-upload-state' });

  const progress = h('div', { class: 'bar', hidden: true }, h('div', { class: 'bar-fill', 'data-testid': 'tx-progress' }));
  const status = h('div', { 'data-testid': 'tx-status' });
  const cancelBox = h('span');
  const filesBox = h('div', { 'data-testid': 'tx-files' });
  const dirLine = h('p', { class: 'muted', 'data-testid': 'tx-dir' });

  function stopPoll(): void {
    if (poll) clearInterval(poll);
    poll = null;
  }

  function renderJob(j: TransferJob): void {
    if (j.id !== watched) return;
    const fill = progress.firstElementChild as HTMLElement;
    if (j.state === 'running') {
      progress.hidden = false;
      const share = j.kind === 'import' ? (j.total_bytes ? j.done_bytes / j.total_bytes : 0) : j.expected ? j.keys / j.expected : 0;
      fill.style.width = `${Math.min(100, 100 * share).toFixed(1)}%`;
      status.className = 'muted';
      status.textContent = j.kind === 'export'
        ? `Exporting: ${formatCount(j.keys)} of ~${formatCount(j.expected)} keys, ${formatBytes(j.done_bytes)} written…`
        : `${j.dry_run ? 'Checking' : 'Importing'}: ${formatBytes(j.done_bytes)} of ${formatBytes(j.total_bytes)} read, ${formatCount(j.keys)} keys…`;
      cancelBox.replaceChildren(button('Cancel', async () => renderJob(await ctx.api.call('transfer_job_cancel', { id: j.id })), { 'data-testid': 'tx-cancel' }));
      return;
    }
    stopPoll();
    progress.hidden = true;
    cancelBox.replaceChildren();
    const errs = j.error_samples.length ? h('ul', { class: 'muted', 'data-testid': 'tx-errors' }, ...j.error_samples.map((s) => h('li', {}, s))) : null;
    if (j.state === 'failed') {
      status.className = 'error';
      mount(status, h('span', { 'data-testid': 'tx-failed' }, `Failed: ${j.error ?? 'unknown error'}`), errs);
    } else if (j.state === 'cancelled') {
      status.className = 'muted';
      mount(status, h('span', { 'data-testid': 'tx-cancelled' }, j.kind === 'export' ? 'Cancelled: the partial file was removed.' : `Cancelled after ${formatCount(j.keys)} keys.`));
    } else {
      status.className = '';
      mount(status, h('span', { 'data-testid': 'tx-done', 'data-kind': j.kind, 'data-keys': String(j.keys) }, summary(j)), errs);
      if (j.kind === 'export') toast(`Exported ${formatCount(j.keys)} keys`, 'ok');
    }
    void loadFiles();
  }

  function watch(j: TransferJob): void {
    watched = j.id;
    renderJob(j);
    stopPoll();
    poll = setInterval(() => {
      if (!watched) return stopPoll();
      ctx.api.call('transfer_job', { id: watched }).then(renderJob, showError);
    }, 1000);
  }

  async function startExport(): Promise<void> {
    const text = scope.value === 'keys' ? keyList.value : scopeText.value;
    const body = {
      format: format.value,
      ...scopeOf(scope.value, text),
      file: fileName.value.trim() || undefined,
      overwrite: overwrite.checked || undefined,
      replace: format.value === 'commands' && replace.checked ? true : undefined,
    };
    watch(await ctx.api.call('export', body));
  }

  async function startImport(): Promise<void> {
    if (!importFile.value) throw new Error('no dump or command file to import: export one first');
    watch(await ctx.api.call('import', { file: importFile.value, policy: policy.value, dry_run: dryRun.checked }));
  }

  async function upload(): Promise<void> {
    const file = uploadPick.files?.[0];
    if (!file) return;
    const name = file.name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '') || 'upload';
    const exists = [...importFile.options].some((o) => o.value === name) || [...filesBox.querySelectorAll('[data-testid=tx-file-name]')].some((e) => e.textContent === name);
    if (exists && !(await confirmDialog('Replace the file?', `${name} is already in the export directory. Replace it with the one picked?`, 'Replace', true))) return;
    try {
      await uploadFile(ctx.api, file, name, exists, (done) => (uploadState.textContent = `Uploading ${name}: ${formatBytes(done)} of ${formatBytes(file.size)}…`));
      await loadFiles(name);
      uploadState.textContent = `Uploaded ${name} (${formatBytes(file.size)}).`;
    } catch (e) {
      uploadState.textContent = '';
      showError(e);
    } finally {
      uploadPick.value = '';
    }
  }

  async function download(f: TransferFile): Promise<void> {
    const blob = await downloadFile(ctx.api, f.name, (done, total) => (status.textContent = `Downloading ${f.name}: ${formatBytes(done)} of ${formatBytes(total)}…`));
    status.textContent = '';
    saveBlob(blob, f.name);
  }

  /** Lists the directory's files; `pick` becomes the import choice when it is importable. Only the
   *  newest request's reply is shown (an older one resolves with it), so a refresh started earlier
   *  cannot undo a later pick, and a caller that awaits sees the list it asked for. */
  function loadFiles(pick?: string): Promise<void> {
    if (pick) wanted = pick;
    const seq = ++filesSeq;
    const run = (async (): Promise<void> => {
      let files: TransferFile[];
      try {
        const r = await ctx.api.call('transfer_files', {});
        if (seq !== filesSeq) return latestFiles;
        dirLine.textContent = `Files are written to and read from ${r.dir} on the machine running Redscope.`;
        files = r.files;
      } catch (e) {
        if (seq !== filesSeq) return latestFiles;
        filesBox.replaceChildren(h('div', { class: 'empty error' }, errorText(e)));
        return;
      }
      const importable = files.filter((f) => f.format === 'dump' || f.format === 'commands');
      const keep = wanted ?? importFile.value;
      wanted = null;
      importFile.replaceChildren(...importable.map((f) => h('option', { value: f.name }, `${f.name} (${f.format}, ${formatBytes(f.bytes)})`)));
      if (importable.some((f) => f.name === keep)) importFile.value = keep;
      filesBox.replaceChildren(files.length
        ? table(['File', 'Format', 'Size', 'Changed', ''], files.map((f) => [h('span', { 'data-testid': 'tx-file-name' }, f.name), f.format, formatBytes(f.bytes), new Date(Number(f.modified_ms)).toLocaleString(), button('Download', () => download(f), { class: 'btn small', 'data-testid': 'tx-file-download', 'data-name': f.name })]), 'tx-file-list')
        : empty('No files yet: export some keys.', 'tx-files-none'));
    })();
    latestFiles = run;
    return run;
  }

  function syncScope(): void {
    scopeText.hidden = scope.value !== 'pattern' && scope.value !== 'prefix';
    keyList.hidden = scope.value !== 'keys';
    scopeText.placeholder = scope.value === 'prefix' ? 'market:ticker:' : 'market:ticker:*';
    replaceLabel.hidden = format.value !== 'commands';
  }

  return {
    id: 'transfer',
    title: 'Export / Import',
    shortcut: 'x',
    mount(el) {
      mount(el,
        h('div', { class: 'page-head' }, h('h1', {}, 'Export and import')),
        h('p', { class: 'muted' }, 'Keys are read with SCAN on every master and pipelines (never KEYS). The dump file keeps every type exactly (DUMP payloads with their expiry) and restores on a server of the same major version; Redis commands load with redis-cli --pipe on any version; JSON lines and CSV are for reading.'),
        h('h2', {}, 'Export'),
        h('div', { class: 'row' }, format, scope, scopeText, replaceLabel),
        h('div', { class: 'row' }, keyList),
        h('div', { class: 'row' }, fileName, h('label', { class: 'muted' }, overwrite, ' replace a file of that name'), button('Export', () => startExport(), { class: 'btn primary', 'data-testid': 'tx-export' })),
        h('h2', {}, 'Import'),
        h('div', { class: 'row' }, importFile, policy, h('label', {}, dryRun, ' dry run (write nothing)'), button('Import', () => startImport(), { class: 'btn primary', 'data-testid': 'tx-import' })),
        h('div', { class: 'row' }, h('label', { class: 'muted' }, 'Or upload a file from this computer: ', uploadPick), uploadState),
        h('div', { class: 'row' }, progress, cancelBox),
        status,
        h('h2', {}, 'Files'),
        dirLine,
        filesBox);
      uploadPick.addEventListener('change', () => void upload());
      scope.addEventListener('change', syncScope);
      format.addEventListener('change', syncScope);
      syncScope();
      void loadFiles();
      off = ctx.events((e) => {
        const ev = e as unknown as TransferJob & { type: string };
        if (e.type === 'job' && ev.id === watched && (ev.kind === 'export' || ev.kind === 'import')) renderJob(ev);
      });
    },
    unmount() {
      stopPoll();
      off?.();
    },
    refresh() {
      void loadFiles();
    },
  };
}
