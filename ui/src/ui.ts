// Shared widgets: error toasts (`{code, message}` made readable), the confirmation dialog, the
// "retry with confirm" flow for dangerous operations, buttons, tables and clipboard copy.

import { h } from './dom';
import { ApiError } from './transport';

let toastHost: HTMLElement | null = null;

function host(): HTMLElement {
  if (!toastHost || !toastHost.isConnected) {
    toastHost = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(toastHost);
  }
  return toastHost;
}

/** A readable sentence for an error, whatever threw it. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.message} (${e.code})`;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

/** Shows a short message in the corner; errors stay until dismissed or 8 s pass. */
export function toast(text: string, kind: 'info' | 'error' | 'ok' = 'info'): void {
  const el = h('div', { class: `toast toast-${kind}`, 'data-testid': kind === 'error' ? 'toast-error' : 'toast' }, text);
  const close = h('button', { class: 'toast-close', 'aria-label': 'Dismiss' }, '×');
  close.addEventListener('click', () => el.remove());
  el.append(close);
  host().append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 3000);
}

/** Shows an error as a toast (never raw JSON). */
export function showError(e: unknown): void {
  toast(errorText(e), 'error');
}

/** A modal with a message and Confirm/Cancel; resolves true on Confirm. */
export function confirmDialog(title: string, body: string | Node, confirmLabel = 'Confirm', danger = true): Promise<boolean> {
  return new Promise((resolve) => {
    const ok = h('button', { class: danger ? 'btn danger' : 'btn primary', 'data-testid': 'confirm-ok' }, confirmLabel);
    const cancel = h('button', { class: 'btn', 'data-testid': 'confirm-cancel' }, 'Cancel');
    const box = h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'data-testid': 'confirm-dialog' }, h('h2', {}, title), h('div', { class: 'modal-body' }, body), h('div', { class: 'modal-actions' }, cancel, ok));
    const overlay = h('div', { class: 'overlay' }, box);
    const done = (v: boolean) => {
      overlay.remove();
      document.removeEventListener('keydown', onKey, true);
      resolve(v);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        done(false);
      }
    };
    ok.addEventListener('click', () => done(true));
    cancel.addEventListener('click', () => done(false));
    document.addEventListener('keydown', onKey, true);
    document.body.append(overlay);
    ok.focus();
  });
}

/** A modal holding arbitrary content; returns a function that closes it. */
export function openModal(title: string, content: Node, onClose?: () => void, testid = 'modal'): () => void {
  const closeBtn = h('button', { class: 'icon-btn', 'aria-label': 'Close', 'data-testid': `${testid}-close` }, '×');
  const box = h('div', { class: 'modal wide', role: 'dialog', 'aria-modal': 'true', 'data-testid': testid }, h('div', { class: 'modal-head' }, h('h2', {}, title), closeBtn), content);
  const overlay = h('div', { class: 'overlay' }, box);
  const close = () => {
    overlay.remove();
    document.removeEventListener('keydown', onKey, true);
    onClose?.();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && !document.querySelector('[data-testid=confirm-dialog]')) close();
  };
  closeBtn.addEventListener('click', close);
  document.addEventListener('keydown', onKey, true);
  document.body.append(overlay);
  return close;
}

/**
 * Runs a dangerous call: first without `confirm`; when the API answers `confirmation_required`,
 * asks the user and repeats it with `confirm: true`. Resolves null when the user declines.
 */
export async function withConfirmation<T>(run: (confirm: boolean) => Promise<T>, title: string, what: string): Promise<T | null> {
  try {
    return await run(false);
  } catch (e) {
    if (!(e instanceof ApiError) || e.code !== 'confirmation_required') throw e;
    if (!(await confirmDialog(title, `${what}\n\n${e.message}`))) return null;
    return run(true);
  }
}

/** A button that runs an async action, shows errors, and is disabled while it runs. */
export function button(label: string, action: () => unknown, attrs: Record<string, string> = {}): HTMLButtonElement {
  const b = h('button', { class: 'btn', ...attrs }, label);
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      await action();
    } catch (e) {
      showError(e);
    } finally {
      b.disabled = false;
    }
  });
  return b;
}

/** A simple table: headers and rows of cells (strings or nodes). */
export function table(headers: string[], rows: (string | number | Node)[][], testid?: string): HTMLTableElement {
  return h(
    'table',
    { class: 'grid', 'data-testid': testid },
    h('thead', {}, h('tr', {}, ...headers.map((x) => h('th', {}, x)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c instanceof Node ? c : String(c)))))),
  );
}

/** An empty state that says what to do. */
export function empty(text: string, testid?: string): HTMLElement {
  return h('div', { class: 'empty', 'data-testid': testid }, text);
}

/** Copies text to the clipboard and says so. */
export async function copyText(text: string, what: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    toast(`${what} copied`, 'ok');
  } catch {
    const ta = h('textarea', {}, text);
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
    toast(`${what} copied`, 'ok');
  }
}

/** Debounces a function (search boxes). */
export function debounce<A extends unknown[]>(fn: (...a: A) => void, ms: number): (...a: A) => void {
  let t: ReturnType<typeof setTimeout> | null = null;
  return (...a: A) => {
    if (t) clearTimeout(t);
    t = setTimeout(() => fn(...a), ms);
  };
}

/** A modal asking for one line of text; resolves null on Cancel/Escape. */
export function promptDialog(message: string, initial = ''): Promise<string | null> {
  return new Promise((resolve) => {
    const input = h('input', { class: 'prompt-input', 'data-testid': 'prompt-input' });
    input.value = initial;
    const ok = h('button', { class: 'btn primary', 'data-testid': 'prompt-ok' }, 'OK');
    const cancel = h('button', { class: 'btn', 'data-testid': 'prompt-cancel' }, 'Cancel');
    const box = h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'data-testid': 'prompt-dialog' }, h('div', { class: 'modal-body' }, message), input, h('div', { class: 'modal-actions' }, cancel, ok));
    const overlay = h('div', { class: 'overlay' }, box);
    const done = (v: string | null) => {
      overlay.remove();
      resolve(v);
    };
    ok.addEventListener('click', () => done(input.value));
    cancel.addEventListener('click', () => done(null));
    input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') done(input.value);
      if (e.key === 'Escape') {
        e.stopPropagation();
        done(null);
      }
    });
    document.body.append(overlay);
    input.focus();
    input.select();
  });
}
