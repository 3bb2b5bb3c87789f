// The search workbench (RediSearch): the index list with schema, documents, memory and
// indexing progress; a query page for FT.SEARCH and FT.AGGREGATE with a results table, paging,
// highlighting, FT.PROFILE timings and a query history; create and drop an index with
// confirmation. Read-only sessions query but see no create or drop buttons.

import type { AppContext } from '../app';
import { h, mount } from '../dom';
import { formatCount, formatMs } from '../format';
import type { Page } from '../router';
import type { IndexField, QueryKind, SearchIndex, SearchQuery, SearchReply } from '../api.gen';
import { button, empty, openModal, showError, table, toast, withConfirmation } from '../ui';

const PAGE = 10;
const HISTORY_KEY = 'redscope.search.history';
const HISTORY_MAX = 20;

/** The saved query history, newest first. */
export function loadHistory(storage: Pick<Storage, 'getItem'>): SearchQuery[] {
  try {
    const v = JSON.parse(storage.getItem(HISTORY_KEY) ?? '[]');
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

/** `q` first in the history, without an older copy of itself, at most 20 entries. */
export function pushHistory(history: SearchQuery[], q: SearchQuery): SearchQuery[] {
  const same = (a: SearchQuery) => a.index === q.index && a.query === q.query && (a.kind ?? 'search') === (q.kind ?? 'search') && (a.pipeline ?? '') === (q.pipeline ?? '');
  return [{ ...q, offset: 0 }, ...history.filter((a) => !same(a))].slice(0, HISTORY_MAX);
}

/** Text with `<b>…</b>` marks (FT.SEARCH HIGHLIGHT) as nodes, every other character as text. */
export function highlighted(text: string): Node[] {
  const out: Node[] = [];
  const re = /<b>(.*?)<\/b>/g;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > at) out.push(document.createTextNode(text.slice(at, m.index)));
    out.push(h('mark', {}, m[1]));
    at = m.index + m[0].length;
  }
  if (at < text.length) out.push(document.createTextNode(text.slice(at)));
  return out;
}

export function searchPage(ctx: AppContext): Page {
  let indexes: SearchIndex[] = [];
  let last: SearchQuery | null = null;
  const listBox = h('div', { 'data-testid': 'search-indexes' });
  const resultBox = h('div', { 'data-testid': 'search-results' });
  const historyBox = h('div', { class: 'search-history', 'data-testid': 'search-history' });
  const indexSel = h('select', { 'data-testid': 'search-index' });
  const kindSel = h('select', { 'data-testid': 'search-kind' }, h('option', { value: 'search' }, 'FT.SEARCH'), h('option', { value: 'aggregate' }, 'FT.AGGREGATE'));
  const queryIn = h('input', { class: 'grow', placeholder: 'query, e.g. @rsi_14:[(70 +inf]  or  *', 'data-testid': 'search-query' });
  const pipelineIn = h('input', { class: 'grow', placeholder: 'pipeline, e.g. GROUPBY 1 @sym REDUCE COUNT 0 AS n', 'data-testid': 'search-pipeline', hidden: true });
  const sortIn = h('input', { placeholder: 'sort by', size: 10, 'data-testid': 'search-sort' });
  const descBox = h('input', { type: 'checkbox', 'data-testid': 'search-desc' });
  const hlBox = h('input', { type: 'checkbox', 'data-testid': 'search-highlight' });
  const profBox = h('input', { type: 'checkbox', 'data-testid': 'search-profile' });
  kindSel.addEventListener('change', () => {
    pipelineIn.hidden = kindSel.value !== 'aggregate';
  });
  queryIn.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') void runForm().catch(showError);
  });
  const readOnly = () => ctx.health()?.read_only ?? false;

  async function loadIndexes(): Promise<void> {
    indexes = await ctx.api.call('search_indexes');
    const chosen = indexSel.value;
    indexSel.replaceChildren(...indexes.map((i) => h('option', { value: i.name }, i.name)));
    if (indexes.some((i) => i.name === chosen)) indexSel.value = chosen;
    listBox.replaceChildren(
      indexes.length
        ? table(['index', 'on', 'prefixes', 'documents', 'memory', 'indexing', 'schema', ''], indexes.map((i) => [
            h('span', { class: 'mono', 'data-testid': 'index-name' }, i.name),
            i.on,
            i.prefixes.join(', ') || '(all keys)',
            h('span', { 'data-testid': 'index-docs' }, formatCount(i.num_docs)),
            `${i.memory_mb.toFixed(3)} MB`,
            i.indexing ? `${(i.percent_indexed * 100).toFixed(0)} %` : i.failures ? `done, ${i.failures} failures` : 'done',
            i.fields.map((f) => `${f.attribute} ${f.type}${f.sortable ? ' SORTABLE' : ''}`).join(', '),
            readOnly() ? '' : button('Drop', () => dropIndex(i), { class: 'btn small danger', 'data-testid': `drop-${i.name}` }),
          ]), 'index-table')
        : empty('No search indexes yet. Create one to query your hashes or JSON documents.', 'no-indexes'),
    );
  }

  async function dropIndex(i: SearchIndex): Promise<void> {
    const done = await withConfirmation((confirm) => ctx.api.call('search_drop', { name: i.name, confirm }), 'Drop index', `Drop the index ${i.name}? The documents stay.`);
    if (done) {
      toast(`index ${i.name} dropped`, 'ok');
      await loadIndexes();
    }
  }

  function createDialog(): void {
    const name = h('input', { placeholder: 'name', 'data-testid': 'create-name' });
    const on = h('select', { 'data-testid': 'create-on' }, h('option', { value: 'json' }, 'JSON'), h('option', { value: 'hash' }, 'HASH'));
    const prefixes = h('input', { placeholder: 'prefixes, comma separated (e.g. features:)', 'data-testid': 'create-prefixes' });
    const schema = h('textarea', { rows: '4', placeholder: 'one attribute a line: identifier [AS name] TYPE [SORTABLE]\n$.rsi_14 AS rsi_14 NUMERIC SORTABLE', 'data-testid': 'create-schema' });
    const close = openModal('Create a search index', h('div', { class: 'form' }, name, on, prefixes, schema, button('Create', async () => {
      const fields: IndexField[] = schema.value.split('\n').map((l) => l.trim()).filter(Boolean).map(parseField);
      const body = { name: name.value.trim(), on: on.value, prefixes: prefixes.value.split(',').map((p) => p.trim()).filter(Boolean), fields };
      const made = await withConfirmation((confirm) => ctx.api.call('search_create', { ...body, confirm }), 'Create index', `Create the index ${body.name}?`);
      if (!made) return;
      close();
      toast(`index ${made.name} created`, 'ok');
      await loadIndexes();
      indexSel.value = made.name;
    }, { class: 'btn primary', 'data-testid': 'create-submit' })), undefined, 'create-index');
  }

  function drawHistory(): void {
    const items = loadHistory(localStorage);
    historyBox.replaceChildren(h('div', { class: 'pane-title' }, 'History'), ...items.map((q) => {
      const a = h('button', { class: 'btn small history-item', 'data-testid': 'history-item' }, `${q.index} · ${q.kind === 'aggregate' ? 'AGG ' : ''}${q.query}${q.pipeline ? ` ${q.pipeline}` : ''}`);
      a.addEventListener('click', () => {
        indexSel.value = q.index;
        kindSel.value = q.kind ?? 'search';
        pipelineIn.hidden = kindSel.value !== 'aggregate';
        queryIn.value = q.query;
        pipelineIn.value = q.pipeline ?? '';
        sortIn.value = q.sort_by ?? '';
        descBox.checked = q.desc ?? false;
        hlBox.checked = q.highlight ?? false;
        profBox.checked = q.profile ?? false;
        void run({ ...q, offset: 0 }).catch(showError);
      });
      return a;
    }));
  }

  async function runForm(): Promise<void> {
    const q: SearchQuery = {
      index: indexSel.value,
      query: queryIn.value.trim() || '*',
      kind: kindSel.value as QueryKind,
      pipeline: kindSel.value === 'aggregate' ? pipelineIn.value : undefined,
      sort_by: sortIn.value.trim() || undefined,
      desc: descBox.checked,
      highlight: hlBox.checked,
      profile: profBox.checked,
      offset: 0,
      limit: PAGE,
    };
    localStorage.setItem(HISTORY_KEY, JSON.stringify(pushHistory(loadHistory(localStorage), q)));
    drawHistory();
    await run(q);
  }

  async function run(q: SearchQuery): Promise<void> {
    if (!q.index) throw new Error('Pick an index (create one first).');
    const r: SearchReply = await ctx.api.call('search_query', { ...q, limit: PAGE });
    last = q;
    const offset = q.offset ?? 0;
    const cols = r.columns;
    const rows = r.rows.map((row) => {
      const cells: (string | Node)[] = q.kind === 'aggregate' ? [] : [h('span', { class: 'mono', 'data-testid': 'result-id' }, row.id ?? '')];
      for (const c of cols) {
        const v = row.fields.find(([f]) => f === c)?.[1] ?? '';
        cells.push(h('span', {}, ...highlighted(v)));
      }
      return cells;
    });
    const pager = h('div', { class: 'row' },
      h('span', { class: 'muted', 'data-testid': 'result-count' }, `${formatCount(r.total)} ${q.kind === 'aggregate' ? 'groups' : 'documents'} · showing ${r.rows.length ? offset + 1 : 0}–${offset + r.rows.length} · ${formatMs(r.took_ms)}`),
      offset > 0 ? button('← Prev', () => run({ ...q, offset: Math.max(0, offset - PAGE) }), { class: 'btn small', 'data-testid': 'result-prev' }) : null,
      offset + r.rows.length < r.total ? button('Next →', () => run({ ...q, offset: offset + PAGE }), { class: 'btn small', 'data-testid': 'result-next' }) : null,
    );
    resultBox.replaceChildren(
      pager,
      r.rows.length ? table([...(q.kind === 'aggregate' ? [] : ['key']), ...cols], rows, 'result-table') : empty('No results.', 'no-results'),
      r.profile ? h('details', { open: true, 'data-testid': 'profile' }, h('summary', {}, `FT.PROFILE: ${r.profile_ms !== null && r.profile_ms !== undefined ? formatMs(r.profile_ms) : '—'}`), h('pre', { class: 'mono' }, JSON.stringify(r.profile, null, 2))) : '',
    );
  }

  return {
    id: 'search',
    title: 'Search',
    mount(el) {
      const createBtn = readOnly() ? null : button('Create index', () => createDialog(), { class: 'btn primary', 'data-testid': 'create-index-open' });
      mount(el,
        h('div', { class: 'page-head' }, h('h1', {}, 'Search'), createBtn, button('Refresh', () => loadIndexes(), { class: 'btn' })),
        h('section', {}, h('div', { class: 'pane-title' }, 'Indexes'), listBox),
        h('section', { class: 'search-form' },
          h('div', { class: 'row' }, indexSel, kindSel, queryIn),
          h('div', { class: 'row' }, pipelineIn, sortIn, h('label', {}, descBox, ' descending'), h('label', {}, hlBox, ' highlight'), h('label', {}, profBox, ' profile'),
            button('Run', () => runForm(), { class: 'btn primary', 'data-testid': 'search-run' }))),
        resultBox,
        historyBox,
      );
      drawHistory();
      loadIndexes().catch((e) => listBox.replaceChildren(empty(String((e as Error).message ?? e))));
    },
    refresh() {
      loadIndexes().catch(showError);
      if (last) run(last).catch(showError);
    },
  };
}

/** One schema line: `identifier [AS name] TYPE [SORTABLE]`. */
export function parseField(line: string): IndexField {
  const w = line.split(/\s+/);
  const identifier = w[0];
  let attribute = identifier.replace(/^\$\.?/, '') || identifier;
  let i = 1;
  if (w[i]?.toUpperCase() === 'AS') {
    attribute = w[i + 1] ?? attribute;
    i += 2;
  }
  const type = (w[i] ?? '').toUpperCase();
  if (!type) throw new Error(`"${line}": give a type (TEXT, NUMERIC, TAG or GEO)`);
  return { identifier, attribute, type, sortable: w.slice(i + 1).some((x) => x.toUpperCase() === 'SORTABLE') };
}
