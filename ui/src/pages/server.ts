// Server: slowlog (a chart of durations over time, the entries, reset), the full INFO
// (searchable by section, field or value), client list (kill), config (filter), background save/rewrite,
// and a console with history (↑/↓), multi-line input (one command per line), typed replies (raw,
// JSON or a table) and the confirmation flow for dangerous commands.

import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { AppContext } from '../app';
import { h, mount } from '../dom';
import { formatMs } from '../format';
import type { CommandDoc } from '../api.gen';
import { complete, matches, searchHistory } from '../completion';
import { History, replyNode, replyTable, replyText, tokenize } from '../reply';
import type { Page } from '../router';
import { ApiError } from '../transport';
import { button, confirmDialog, copyText, empty, errorText, promptDialog, showError, table, toast, withConfirmation } from '../ui';

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

/** INFO rows (section, field, value) whose text contains every word of `query` (any case). */
export function infoRows(sections: Record<string, Record<string, string>>, query: string): [string, string, string][] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const out: [string, string, string][] = [];
  for (const [section, fields] of Object.entries(sections)) {
    for (const [field, value] of Object.entries(fields)) {
      const text = `${section} ${field} ${value}`.toLowerCase();
      if (words.every((w) => text.includes(w))) out.push([section, field, value]);
    }
  }
  return out;
}

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
  const hint = h('div', { class: 'console-hint mono small', 'data-testid': 'console-hint' });
  const suggest = h('div', { class: 'console-suggest', 'data-testid': 'console-suggest' });
  const outMode = h('select', { 'data-testid': 'console-mode', title: 'How replies are shown' }, h('option', { value: 'typed' }, 'typed'), h('option', { value: 'raw' }, 'raw'), h('option', { value: 'json' }, 'JSON'), h('option', { value: 'table' }, 'table'));
  let docs: CommandDoc[] = [];
  let search: { needle: string; index: number } | null = null;
  // A textarea: Shift+Enter adds a line; Enter runs every line, one command each, in order.
  const consoleIn = h('textarea', { class: 'console-in', rows: '1', placeholder: 'e.g. INFO memory · HGETALL session:abc · SCAN 0 MATCH market:* COUNT 100', spellcheck: 'false', autocomplete: 'off', 'data-testid': 'console-input' });
  const fitRows = () => (consoleIn.rows = Math.min(12, Math.max(1, consoleIn.value.split('\n').length)));

  let slowPlot: uPlot | null = null;

  async function slowlog(): Promise<void> {
    try {
      const rows: Row[] = await ctx.api.call('slowlog', { count: 1024 });
      const cols = columns(rows, ['id', 'at_s', 'duration_us', 'args', 'client', 'client_name', 'node']);
      slowPlot?.destroy();
      slowPlot = null;
      const chart = h('div', { class: 'chart', 'data-testid': 'slowlog-chart', 'data-points': String(rows.length) }, h('div', { class: 'chart-title' }, 'Slow commands over time (ms)'));
      if (rows.length) {
        const pts = rows.map((r) => [Number(r.at_s), Number(r.duration_us) / 1000] as [number, number]).sort((a, b) => a[0] - b[0]);
        const box = h('div', { class: 'chart-box' });
        chart.append(box);
        queueMicrotask(() => {
          slowPlot = new uPlot({
            width: Math.max(300, (box.clientWidth || 600) - 4),
            height: 140,
            legend: { show: false },
            scales: { x: { time: true } },
            series: [{}, { label: 'ms', stroke: '#d05050', width: 0, points: { show: true, size: 6 } }],
          }, [pts.map((p) => p[0]), pts.map((p) => p[1])], box);
        });
      }
      mount(
        body,
        rows.length ? chart : null,
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
        h('div', { class: 'row' }, cfgFilter, button('Filter', config), h('span', { class: 'muted' }, `${entries.length} parameters`), button('CONFIG REWRITE', () => serverCommand(['CONFIG', 'REWRITE'], 'Write the running configuration to the server’s config file (CONFIG REWRITE)?'), { class: 'btn', 'data-testid': 'config-rewrite' }), button('BGSAVE', async () => toast(cell((await ctx.api.call('server_action', { action: 'bgsave' })).reply), 'ok')), button('BGREWRITEAOF', async () => toast(cell((await ctx.api.call('server_action', { action: 'bgrewriteaof' })).reply), 'ok'))),
        entries.length
          ? table(['parameter', 'value', ''], entries.map(([k, v]) => [h('span', { class: 'mono', 'data-testid': 'config-name' }, k), h('span', { class: 'mono', 'data-testid': 'config-value' }, v), ctx.health()?.read_only ? '' : button('Edit', () => editConfig(k, v), { class: 'btn small', 'data-testid': 'config-edit' })]), 'config-table')
          : empty(`No parameter matches ${pattern}.`),
      );
      cfgFilter.focus();
    } catch (e) {
      mount(body, h('div', { class: 'empty error' }, errorText(e)));
    }
  }
  /** Runs a guarded command through the console (its read-only allowlist and confirmation). */
  async function serverCommand(args: string[], question: string): Promise<boolean> {
    if (!(await confirmDialog(args.slice(0, 2).join(' '), question, 'Run'))) return false;
    const r = await ctx.api.call('console', { args, confirm: true });
    toast(`${args.slice(0, 2).join(' ')}: ${replyText(r.reply)}`, 'ok');
    return true;
  }

  async function editConfig(name: string, value: string): Promise<void> {
    const next = await promptDialog(`New value of ${name} (CONFIG SET)`, value);
    if (next === null || next === value) return;
    if (await serverCommand(['CONFIG', 'SET', name, next], `Set ${name} from “${value}” to “${next}” on the server now?`)) await config();
  }

  // The Lua editor: a script with KEYS and ARGV fields, run with EVAL or EVAL_RO (read-only
  // replicas and read-only mode allow only the latter), loaded with SCRIPT LOAD and checked with
  // SCRIPT EXISTS; SCRIPT FLUSH asks first.
  const luaScript = h('textarea', { rows: '8', class: 'mono', spellcheck: 'false', 'data-testid': 'lua-script', style: 'width:100%', placeholder: "return redis.call('GET', KEYS[1])" });
  const luaKeys = h('input', { placeholder: 'KEYS, one per comma', 'data-testid': 'lua-keys', style: 'width:24em' });
  const luaArgs = h('input', { placeholder: 'ARGV, one per comma', 'data-testid': 'lua-argv', style: 'width:24em' });
  const luaOut = h('div', { 'data-testid': 'lua-out' });
  const list = (v: string) => v.split(',').map((x) => x.trim()).filter((x) => x.length > 0);

  async function runLua(args: string[], danger = false): Promise<void> {
    try {
      const r = danger
        ? await withConfirmation((confirm) => ctx.api.call('console', { args, ...(confirm ? { confirm: true } : {}) }), 'Lua', `Run ${args[0]} ${args[1] ?? ''}?`)
        : await ctx.api.call('console', { args });
      if (r !== null) mount(luaOut, h('div', { class: 'console-reply', 'data-testid': 'lua-reply' }, replyNode(r.reply)), h('div', { class: 'muted small' }, formatMs(r.elapsed_ms)));
    } catch (e) {
      mount(luaOut, h('div', { class: 'r-error', 'data-testid': 'lua-error' }, e instanceof ApiError ? `(error) ${e.message}` : errorText(e)));
    }
  }

  function evalArgs(cmd: string): string[] {
    const keys = list(luaKeys.value);
    return [cmd, luaScript.value, String(keys.length), ...keys, ...list(luaArgs.value)];
  }

  function luaTab(): void {
    mount(body,
      luaScript,
      h('div', { class: 'row' }, luaKeys, luaArgs),
      h('div', { class: 'row' },
        button('EVAL', () => runLua(evalArgs('EVAL')), { class: 'btn primary', 'data-testid': 'lua-eval' }),
        button('EVAL_RO', () => runLua(evalArgs('EVAL_RO')), { class: 'btn', 'data-testid': 'lua-eval-ro' }),
        button('SCRIPT LOAD', () => runLua(['SCRIPT', 'LOAD', luaScript.value]), { class: 'btn', 'data-testid': 'lua-load' }),
        button('SCRIPT EXISTS', async () => {
          const sha = await promptDialog('SHA1 of the script (SCRIPT EXISTS)');
          if (sha) await runLua(['SCRIPT', 'EXISTS', sha]);
        }, { class: 'btn', 'data-testid': 'lua-exists' }),
        button('SCRIPT FLUSH', () => runLua(['SCRIPT', 'FLUSH'], true), { class: 'btn danger', 'data-testid': 'lua-flush' })),
      h('p', { class: 'muted small' }, 'KEYS and ARGV are comma-separated. EVAL_RO refuses writes; read-only mode allows only it. SCRIPT FLUSH asks for confirmation.'),
      luaOut);
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
        entry.append(h('div', { class: 'console-reply', 'data-testid': 'console-reply', 'data-mode': outMode.value }, renderReply(r.reply, args)), h('div', { class: 'muted small' }, `${formatMs(r.elapsed_ms)} `, copy));
      }
    } catch (e) {
      entry.append(h('div', { class: 'r-error', 'data-testid': 'console-error' }, e instanceof ApiError ? `(error) ${e.message}` : errorText(e)));
    }
    consoleOut.scrollTop = consoleOut.scrollHeight;
  }

  /** A reply in the chosen output mode: typed, raw (redis-cli's text), JSON, or a table (maps,
   * field/value pairs, stream entries, nested arrays; see `replyTable`). */
  function renderReply(reply: Parameters<typeof replyText>[0], args: string[]): HTMLElement {
    switch (outMode.value) {
      case 'raw':
        return h('pre', { class: 'mono' }, replyText(reply));
      case 'json':
        return h('pre', { class: 'mono' }, JSON.stringify(reply, null, 2));
      case 'table': {
        const t = replyTable(reply, args);
        if (!t) return replyNode(reply);
        return table(t.headers, t.rows.map((row) => row.map((c) => h('span', { class: 'mono' }, c))), 'console-table');
      }
      default:
        return replyNode(reply);
    }
  }

  /** Suggestions and the syntax of what is being typed. */
  function updateHint(): void {
    const typed = consoleIn.value;
    const found = matches(docs, typed);
    const best = found[0];
    hint.textContent = best ? `${best.name} ${best.syntax}${best.summary ? ` — ${best.summary}` : ''}` : '';
    suggest.replaceChildren(
      ...(typed.trim() && !(found.length === 1 && typed.trim().toUpperCase().startsWith(found[0].name + ' '))
        ? found.map((d) => {
            const b = h('button', { class: 'chip', 'data-testid': 'console-suggestion', title: d.summary }, d.name);
            b.addEventListener('click', () => {
              consoleIn.value = complete(consoleIn.value, d);
              consoleIn.focus();
              updateHint();
            });
            return b;
          })
        : []),
    );
  }
  consoleIn.addEventListener('input', () => {
    search = null;
    fitRows();
    updateHint();
  });

  consoleIn.addEventListener('keydown', (e) => {
    if (e.key === 'Tab') {
      const best = matches(docs, consoleIn.value)[0];
      if (best) {
        e.preventDefault();
        consoleIn.value = complete(consoleIn.value, best);
        updateHint();
      }
    } else if (e.key === 'r' && e.ctrlKey) {
      // History search: each Ctrl+R finds an older line containing what was typed.
      e.preventDefault();
      const needle = search?.needle ?? consoleIn.value;
      const found = searchHistory(history.items, needle, search ? search.index : history.items.length);
      if (found) {
        search = { needle, index: found.index };
        consoleIn.value = found.line;
        hint.textContent = `history search “${needle}”: ${found.line}`;
      } else {
        hint.textContent = `history search “${needle}”: no older match`;
      }
    } else if (e.key === 'Enter' && !e.shiftKey) {
      // Enter runs what was typed or pasted: each line one command, in order.
      e.preventDefault();
      search = null;
      suggest.replaceChildren();
      hint.textContent = '';
      const lines = consoleIn.value.split(/\r?\n/).filter((l) => l.trim());
      consoleIn.value = '';
      fitRows();
      void (async () => {
        for (const line of lines) await runConsole(line);
      })();
    } else if (e.key === 'ArrowUp' && !consoleIn.value.includes('\n')) {
      e.preventDefault();
      const p = history.prev();
      if (p !== null) consoleIn.value = p;
    } else if (e.key === 'ArrowDown' && !consoleIn.value.includes('\n')) {
      e.preventDefault();
      consoleIn.value = history.next();
    }
  });

  function consoleTab(): void {
    mount(body, h('div', { class: 'console' }, consoleOut, h('div', { class: 'console-line' }, h('span', { class: 'prompt' }, '>'), consoleIn, outMode), suggest, hint), h('div', { class: 'muted small' }, 'Tab completes · Shift+Enter adds a line (each line runs as one command, in order) · ↑/↓ history · Ctrl+R searches history · quotes group arguments · dangerous commands ask for confirmation · read-only mode refuses writes'));
    if (!docs.length) {
      ctx.api.call('console_docs', {}).then((d) => {
        docs = d.commands;
        updateHint();
      }, showError);
    }
    if (!consoleOut.childElementCount) consoleOut.append(h('div', { class: 'muted' }, 'Type a Redis command and press Enter.'));
    consoleIn.focus();
  }

  const infoSearch = h('input', { type: 'search', placeholder: 'search INFO: section, field or value (e.g. memory frag)', 'data-testid': 'info-search', style: 'width:28em' });
  let infoData: Record<string, Record<string, string>> = {};

  function renderInfo(box: HTMLElement): void {
    const rows = infoRows(infoData, infoSearch.value);
    box.replaceChildren(rows.length ? table(['Section', 'Field', 'Value'], rows.map(([sec, f, v]) => [sec, h('span', { 'data-testid': 'info-field' }, f), h('span', { 'data-testid': 'info-value' }, v)]), 'info-table') : empty('No INFO field matches.', 'info-none'));
  }

  async function info(): Promise<void> {
    try {
      const r = await ctx.api.call('info', {});
      infoData = r.sections;
      const box = h('div', {});
      const nodes = r.nodes ? Object.keys(r.nodes) : [];
      mount(body, h('div', { class: 'row' }, infoSearch, button('Reload', info), nodes.length ? h('span', { class: 'muted' }, `first master shown of ${nodes.length}`) : null), box);
      infoSearch.oninput = () => renderInfo(box);
      renderInfo(box);
      infoSearch.focus();
    } catch (e) {
      mount(body, h('div', { class: 'empty error' }, errorText(e)));
    }
  }

  const TABS: [string, string, () => void | Promise<void>][] = [
    ['slowlog', 'Slowlog', slowlog],
    ['info', 'INFO', info],
    ['clients', 'Clients', clients],
    ['config', 'Config', config],
    ['console', 'Console', consoleTab],
    ['lua', 'Lua', luaTab],
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
