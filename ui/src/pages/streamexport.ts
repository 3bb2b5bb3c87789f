// The Streams page's "Export range" dialog: one stream's entries between two IDs or times to JSON
// lines or CSV in the export directory (`stream_export`), run as a job with progress and cancel;
// the file is then listed for download on the Export / Import page.

import type { Bytes, TransferJob } from '../api.gen';
import { h } from '../dom';
import { formatBytes, formatCount } from '../format';
import { pageHash } from '../router';
import { ApiError, type Transport } from '../transport';
import { button, confirmDialog, openModal } from '../ui';
import { summary } from './transfer';

/** How often a running export is polled. */
const POLL_MS = 400;

/** A file name from a stream key: letters, digits, '.', '_' and '-' kept, the rest '_'. */
export function rangeFileName(key: string, format: string): string {
  const base = key.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '').slice(0, 100) || 'stream';
  return `${base}-range.${format}`;
}

/** Opens the dialog for `key`, its bounds prefilled with `range` (the range being browsed). */
export function exportRangeDialog(api: Transport, key: Bytes, range: { start: string; end: string }): void {
  let poll: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  const from = h('input', { value: range.start, 'data-testid': 'rx-from', title: 'An ID (ms-seq or ms), (id to start after it, a UTC time, or - for the first entry' });
  const to = h('input', { value: range.end, 'data-testid': 'rx-to', title: 'An ID, a UTC time, or + for the last entry' });
  const count = h('input', { type: 'number', min: '1', placeholder: 'all', 'data-testid': 'rx-count', style: 'width:8em' });
  const format = h('select', { 'data-testid': 'rx-format' }, h('option', { value: 'jsonl' }, 'JSON lines'), h('option', { value: 'csv' }, 'CSV (a column per field)'));
  const file = h('input', { value: rangeFileName(key.text, 'jsonl'), 'data-testid': 'rx-file', style: 'width:22em' });
  let fileEdited = false;
  file.addEventListener('input', () => (fileEdited = true));
  format.addEventListener('change', () => {
    if (!fileEdited) file.value = rangeFileName(key.text, format.value);
  });
  const fill = h('div', { class: 'bar-fill', 'data-testid': 'rx-progress' });
  const bar = h('div', { class: 'bar', hidden: true }, fill);
  const status = h('div', { 'data-testid': 'rx-status' });
  const cancelBox = h('span');
  const transferLink = h('a', { href: pageHash('transfer'), 'data-testid': 'rx-open-transfer' }, 'Export / Import page');

  function render(j: TransferJob): void {
    if (j.state === 'running') {
      bar.hidden = false;
      fill.style.width = `${Math.min(100, j.expected ? (100 * j.entries) / j.expected : 0).toFixed(1)}%`;
      status.className = 'muted';
      status.textContent = `Exporting: ${formatCount(j.entries)} of about ${formatCount(j.expected)} entries, ${formatBytes(j.done_bytes)} written…`;
      cancelBox.replaceChildren(button('Cancel', async () => render(await api.call('transfer_job_cancel', { id: j.id })), { 'data-testid': 'rx-cancel' }));
      return;
    }
    bar.hidden = true;
    cancelBox.replaceChildren();
    if (j.state === 'done') {
      status.className = '';
      status.replaceChildren(h('span', { 'data-testid': 'rx-done', 'data-entries': String(j.entries), 'data-file': j.file }, summary(j)), ' Download it from the ', transferLink, '.');
    } else if (j.state === 'cancelled') {
      status.className = 'muted';
      status.replaceChildren(h('span', { 'data-testid': 'rx-cancelled' }, 'Cancelled: the partial file was removed.'));
    } else {
      status.className = 'error';
      status.replaceChildren(h('span', { 'data-testid': 'rx-failed' }, `Failed: ${j.error ?? 'unknown error'}`));
    }
  }

  function follow(id: string): void {
    poll = setTimeout(async () => {
      if (closed) return;
      try {
        const j = await api.call('transfer_job', { id });
        if (closed) return;
        render(j);
        if (j.state === 'running') follow(id);
      } catch (e) {
        status.className = 'error';
        status.textContent = e instanceof Error ? e.message : String(e);
      }
    }, POLL_MS);
  }

  async function start(): Promise<void> {
    const n = count.value.trim();
    if (n !== '' && !(Number.isInteger(Number(n)) && Number(n) >= 1)) throw new Error('the most entries is a whole number of at least 1 (or empty for all)');
    const body = { key_b64: key.b64, start: from.value.trim() || '-', end: to.value.trim() || '+', count: n === '' ? undefined : Number(n), format: format.value, file: file.value.trim() || undefined };
    let job: TransferJob;
    try {
      job = await api.call('stream_export', body);
    } catch (e) {
      if (!(e instanceof ApiError) || e.code !== 'confirmation_required') throw e;
      if (!(await confirmDialog('Replace the file?', `${body.file ?? 'The file'} is already in the export directory. Replace it with this export?`, 'Replace', true))) return;
      job = await api.call('stream_export', { ...body, overwrite: true });
    }
    render(job);
    if (job.state === 'running') follow(job.id);
  }

  const content = h(
    'div',
    { 'data-testid': 'rx-form' },
    h('p', { class: 'muted' }, `The entries of ${key.text} between two IDs or UTC times (e.g. 2026-12-03 18:00:00), read with XRANGE page by page, to a file of the export directory.`),
    h('div', { class: 'row' }, h('label', {}, 'From ', from), h('label', {}, 'To ', to), h('label', {}, 'At most ', count, ' entries')),
    h('div', { class: 'row' }, format, file, button('Export', () => start(), { class: 'btn primary', 'data-testid': 'rx-start' })),
    h('div', { class: 'row' }, bar, cancelBox),
    status,
  );
  const close = openModal(`Export a range of ${key.text}`, content, () => {
    closed = true;
    if (poll) clearTimeout(poll);
  }, 'range-export-dialog');
  transferLink.addEventListener('click', () => close());
}
