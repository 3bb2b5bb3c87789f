// Server: slowlog (with reset), client list (kill), config (filter), background save/rewrite,
// and a console with history (↑/↓), typed replies and the confirmation flow for dangerous commands.

import type { AppContext } from '../app';
import { h, mount } from '../dom';
import { formatMs } from '../format';
import { History, replyNode, replyText, tokenize } from '../reply';
import type { Page } from '../router';
import { ApiError } from '../transport';
import { button, confirmDialog, copyText, empty, errorText, showError, table, toast, withConfirmation } from '../ui';

type Row = Record<string, unknown>;

/** A cell for any JSON value (arrays joined, objects as JSON). */
function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (Array.isArray(v)) return v.map((x) => (typeof x === 'object' && x && 'text' in x ? (x as { text: string }).text : String(x))).join(' ');
  if (typeof v === 'object') return 'text' in (v as object) ? String((v as { text: string }).text) : JSON.stringify(v);
  return String(v);
}

/** Column order: the known interesting ones first, then the rest as they come. */
export function columns(rows: Row[], preferred: string[]): string[] {
  const seen = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) seen.add(k);
  return [...preferred.filter((k) => seen.has(k)), ...[...seen].filter((k) => !preferred.includes(k))];
}

const HISTORY_KEY = 'redscope.console.history';

export function serverPage(ctx: AppContext): Page {
  let tab = 'slowlog';
  const body = h('div', { class: 'server-body' });
  const tabs = h('div', { class: 'seg', 'data-testid': 'server-tabs' });
  let history: History;
  try {
    history = new History(JSON.parse(localStorage.getItem(HISTORY_KEY) ?? '[]') as string[]);
  } catch {
    history = new History();
  }
  const consoleOut = h('div', { class: 'console-out', 'data-testid': 'console-out' });
  const consoleIn = h('input', { class: 'console-in', placeholder: 'e.g. INFO memory · HGETALL session:abc · SCAN 0 MATCH market:* COUNT 100', spellcheck: 'false', autocomplete: 'off', 'data-testid': 'console-input' });

  async function slowlog(): Promise<void> {
    try {
      const rows: Row[] = await ctx.api.call('slowlog', { count: 128 });
      const cols = columns(rows, ['id', 'at_s', 'duration_us', 'args', 'client', 'client_name', 'node']);
      mount(
        body,
        h('div', { class: 'row' }, button('Reload', slowlog), button('Reset slowlog', async () => {
          if (!(await confirmDialog('Reset slowlog', 'Clear every slowlog entry on the server (SLOWLOG RESET)?', 'Reset'))) return;
          await ctx.api.call('slowlog_reset', { confirm: true });
          toast('Slowlog cleared', 'ok');
          await slowlog();
        }, { class: 'btn danger', 'data-testid': 'slowlog-reset' })),
        rows.length ? table(cols, rows.map((r) => cols.map((c) => (c === 'at_s' && typeof r[c] === 'number' ? new Date((r[c] as number) * 1000).toISOString().replace('T', ' ').slice(0, 19) : cell(r[c])))), 'slowlog-table') : empty('The slowlog is empty: no command was slower than slowlog-log-slower-than.', 'slowlog-empty'),
      );
    } catch (e) {
      mount(body, h('div', { class: 'empty error' }, errorText(e)));
    }
  }

  async function clients(): Promise<void> {
    try {
      const rows = await ctx.api.call('clients');
      const cols = columns(rows, ['id', 'addr', 'name', 'age_s', 'idle_s', 'db', 'cmd', 'flags', 'node']).filter((c) => c !== 'fields');
      mount(
        body,
        h('div', { class: 'row' }, button('Reload', clients), h('span', { class: 'muted' }, `${rows.length} clients`)),
        table(
          [...cols, ''],
          rows.map((r) => [
            ...cols.map((c) => cell((r as Row)[c])),
            button('Kill', async () => {
              if (!(await confirmDialog('Kill client', `Disconnect client ${cell(r.id)} (${cell(r.addr)}${r.name ? `, ${cell(r.name)}` : ''})?`, 'Kill'))) return;
              const res = await ctx.api.call('client_kill', { id: r.id, confirm: true });
              toast(res.killed ? 'Client killed' : 'Client was already gone', 'ok');
              await clients();
            }, { class: 'btn small danger', 'data-testid': 'client-kill' }),
          ]),
          'clients-table',
        ),
      );
    } catch (e) {
      mount(body, h('div', { class: 'empty error' }, errorText(e)));
    }
  }

  const cfgFilter = h('input', { type: 'search', placeholder: 'filter, e.g. maxmemory*', 'data-testid': 'config-filter' });
  async function config(): Promise<void> {
    try {
      const pattern = cfgFilter.value.trim() || '*';
      const r = await ctx.api.call('config_get', { pattern: pattern.includes('*') ? pattern : `*${pattern}*` });
      const entries = Object.entries(r).sort(([a], [b]) => a.localeCompare(b));
      mount(
        body,
        h('div', { class: 'row' }, cfgFilter, button('Filter', config), h('span', { class: 'muted' }, `${entries.length} parameters`), button('BGSAVE', async () => toast(cell((await ctx.api.call('server_action', { action: 'bgsave' })).reply), 'ok')), button('BGREWRITEAOF', async () => toast(cell((await ctx.api.call('server_action', { action: 'bgrewriteaof' })).reply), 'ok'))),
        entries.length ? table(['parameter', 'value'], entries.map(([k, v]) => [h('span', { class: 'mono' }, k), h('span', { class: 'mono' }, v)]), 'config-table') : empty(`No parameter matches ${pattern}.`),
      );
      cfgFilter.focus();
    } catch (e) {
      mount(body, h('div', { class: 'empty error' }, errorText(e)));
    }
  }
  cfgFilter.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') void config();
  });

  async function runConsole(line: string): Promise<void> {
    let args: string[];
    try {
      args = tokenize(line);
    } catch (e) {
      showError(e);
      return;
    }
    if (args.length === 0) return;
    history.push(line);
    localStorage.setItem(HISTORY_KEY, JSON.stringify(history.items.slice(-200)));
    const entry = h('div', { class: 'console-entry', 'data-testid': 'console-entry' }, h('div', { class: 'console-cmd' }, '> ', line));
    consoleOut.append(entry);
    try {
      const r = await withConfirmation((confirm) => ctx.api.call('console', { args, ...(confirm ? { confirm: true } : {}) }), 'Dangerous command', `Run "${args.join(' ')}"?`);
      if (r === null) entry.append(h('div', { class: 'muted' }, '(not run: cancelled)'));
      else {
        const copy = h('button', { class: 'btn small', title: 'Copy reply' }, 'copy');
        copy.addEventListener('click', () => void copyText(replyText(r.reply), 'Reply'));
        entry.append(h('div', { class: 'console-reply', 'data-testid': 'console-reply' }, replyNode(r.reply)), h('div', { class: 'muted small' }, `${formatMs(r.elapsed_ms)} `, copy));
      }
    } catch (e) {
      entry.append(h('div', { class: 'r-error', 'data-testid': 'console-error' }, e instanceof ApiError ? `(error) ${e.message}` : errorText(e)));
    }
    consoleOut.scrollTop = consoleOut.scrollHeight;
  }

  consoleIn.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      const line = consoleIn.value;
      consoleIn.value = '';
      void runConsole(line);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      const p = history.prev();
      if (p !== null) consoleIn.value = p;
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      consoleIn.value = history.next();
    }
  });

  function consoleTab(): void {
    mount(body, h('div', { class: 'console' }, consoleOut, h('div', { class: 'console-line' }, h('span', { class: 'prompt' }, '>'), consoleIn)), h('div', { class: 'muted small' }, '↑/↓ history · quotes group arguments · dangerous commands ask for confirmation · read-only mode refuses writes'));
    if (!consoleOut.childElementCount) consoleOut.append(h('div', { class: 'muted' }, 'Type a Redis command and press Enter.'));
    consoleIn.focus();
  }

  const TABS: [string, string, () => void | Promise<void>][] = [
    ['slowlog', 'Slowlog', slowlog],
    ['clients', 'Clients', clients],
    ['config', 'Config', config],
    ['console', 'Console', consoleTab],
  ];

  function show(id: string): void {
    tab = id;
    tabs.replaceChildren(
      ...TABS.map(([tid, label, fn]) => {
        const b = h('button', { class: `seg-btn${tid === tab ? ' on' : ''}`, 'data-testid': `tab-${tid}` }, label);
        b.addEventListener('click', () => {
          show(tid);
          void fn();
        });
        return b;
      }),
    );
  }

  return {
    id: 'server',
    title: 'Server',
    shortcut: 'v',
    mount(el, { params }) {
      const t = params.get('tab');
      if (t && TABS.some(([id]) => id === t)) tab = t;
      mount(el, h('div', { class: 'page-head' }, h('h1', {}, 'Server'), tabs), body);
      show(tab);
      void TABS.find(([id]) => id === tab)![2]();
    },
    refresh() {
      void TABS.find(([id]) => id === tab)![2]();
    },
  };
}
