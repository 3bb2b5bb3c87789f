// Keys: the namespace tree (lazy levels with counts, "scanning… N" while the server is still
// counting), a virtualized key list paged by SCAN cursor with TYPE/TTL/size fetched only for the
// visible rows, search by pattern and type, and the key viewer on the right.

import type { AppContext } from '../app';
import { h, mount } from '../dom';
import { formatBytes, formatCount } from '../format';
import type { Page } from '../router';
import { TreeModel, levelEntries, type TreeRow } from '../tree';
import { formatTtl } from '../ttl';
import type { Bytes, KeyMeta, KeyPage } from '../types';
import { debounce, empty, errorText, showError } from '../ui';
import { VirtualList } from '../virtual';
import { showKey } from './keyview';
import { newKeyDialog } from './newkey';
import type { Databases } from '../api.gen';
import { button } from '../ui';

const ROW = 24;
const TYPES = ['', 'string', 'hash', 'list', 'set', 'zset', 'stream'];

/** Where the tree's separators of a connection (its URL without the database) are kept. */
function separatorsKey(url: string): string {
  return `redscope.separators.${url.replace(/\/\d+$/, '')}`;
}

/** Separators typed by the user (`: /`) as a list; `:` when empty. */
export function parseSeparators(text: string): string[] {
  const list = text.split(' ').filter((s) => s !== '');
  return list.length ? list : [':'];
}

export function keysPage(ctx: AppContext): Page {
  let alive = false;
  let disposeKey: (() => void) | null = null;
  let pattern = '*';
  let type = '';
  let cursor: string | null = '0';
  let keys: Bytes[] = [];
  let loadingPage = false;
  let generation = 0;
  const meta = new Map<string, KeyMeta | null>();
  const wanted = new Set<string>();
  let metaTimer: ReturnType<typeof setTimeout> | null = null;
  let selected: string | null = null;
  /** Whether a row shows the open key: one rule for drawing the lists and for moving the highlight. */
  const keySelected = (k: Bytes): boolean => k.b64 === selected;
  const treeSelected = (r: TreeRow): boolean => !!r.leaf && r.keyB64 === selected;
  const tree = new TreeModel();
  const treeTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Rows whose counts are still growing (their level is being scanned): shown with a "+". */
  const partial = new Set<string>();
  const treeStatus = h('div', { class: 'tree-status', 'data-testid': 'tree-status' });
  const listStatus = h('div', { class: 'list-status', 'data-testid': 'list-status' });
  const detail = h('section', { class: 'key-detail', 'data-testid': 'key-detail' });
  const search = h('input', { type: 'search', placeholder: 'pattern, e.g. ticker:*  (press /)', 'data-testid': 'key-search' });
  const typeSel = h('select', { 'data-testid': 'key-type-filter' }, ...TYPES.map((t) => h('option', { value: t }, t || 'any type')));
  let separators: string[] = [':'];
  let modules: string[] = [];
  const dbSel = h('select', { 'data-testid': 'db-picker', title: 'Database (SELECT for this session)' });
  const sepInput = h('input', { class: 'sep-input', 'data-testid': 'separator', title: 'Namespace separators, space between several (e.g. ": /")', style: 'width:5em' });
  const newKeyBtn = button('New key', async () => {
    const prefix = search.value.endsWith('*') && !search.value.slice(0, -1).includes('*') ? search.value.slice(0, -1) : '';
    const kv = await newKeyDialog(ctx.api, prefix, modules);
    if (!kv) return;
    tree.adjustKey(kv.key, 1, separators);
    drawTree();
    keys.unshift(kv.key);
    meta.delete(kv.key.b64);
    keyList.setItems(keys);
    bumpStatus();
    openKey(kv.key.b64);
  }, { class: 'btn primary', 'data-testid': 'new-key' });

  function showDatabases(d: Databases): void {
    const count = Math.max(d.count ?? 16, ...d.databases.map((x) => x.db + 1));
    const keysOf = new Map(d.databases.map((x) => [x.db, x.keys]));
    dbSel.replaceChildren(...Array.from({ length: d.selectable ? count : 1 }, (_, i) => h('option', { value: String(i) }, `db${i}${keysOf.has(i) ? ` (${formatCount(keysOf.get(i))})` : ''}`)));
    dbSel.value = String(d.current);
    dbSel.disabled = !d.selectable;
    modules = d.modules;
  }

  async function loadDatabases(): Promise<void> {
    try {
      const d = await ctx.api.call('databases', {});
      showDatabases(d);
      const url = ctx.health()?.url;
      const saved = url ? localStorage.getItem(separatorsKey(url)) : null;
      const next = saved ? parseSeparators(saved) : d.separators;
      sepInput.value = next.join(' ');
      if (next.join(' ') !== separators.join(' ')) {
        separators = next;
        tree.reset();
        for (const p of tree.missingLevels()) void loadLevel(p);
      }
    } catch (e) {
      showError(e);
    }
  }

  dbSel.addEventListener('change', async () => {
    try {
      showDatabases(await ctx.api.call('select_db', { db: Number(dbSel.value) }));
      disposeKey?.();
      disposeKey = null;
      selected = null;
      detail.replaceChildren(empty('Pick a key from the list.'));
      reloadAll();
    } catch (e) {
      showError(e);
      void loadDatabases();
    }
  });
  sepInput.addEventListener('change', () => {
    separators = parseSeparators(sepInput.value);
    sepInput.value = separators.join(' ');
    const url = ctx.health()?.url;
    if (url) localStorage.setItem(separatorsKey(url), separators.join(' '));
    tree.reset();
    for (const p of tree.missingLevels()) void loadLevel(p);
  });

  /** Shows the key count under the list again (after a create or delete). */
  function bumpStatus(): void {
    listStatus.textContent = `${formatCount(keys.length)} ${keys.length === 1 ? 'key' : 'keys'}${cursor === null ? '' : ' · scroll for more'}`;
  }

  const treeList = new VirtualList<TreeRow>({
    rowHeight: ROW,
    className: 'tree-list',
    render(row, r) {
      row.className = `vlist-row tree-row${r.leaf ? ' leaf' : ''}${treeSelected(r) ? ' selected' : ''}`;
      row.style.paddingLeft = `${8 + r.depth * 14}px`;
      row.dataset.path = r.path;
      row.dataset.testid = 'tree-row';
      row.setAttribute('data-testid', r.leaf ? 'tree-key' : 'tree-folder');
      mount(row, 
        h('span', { class: 'twisty' }, r.leaf ? '·' : r.loading ? '…' : r.expanded ? '▾' : '▸'),
        h('span', { class: 'tree-name' }, r.name),
        r.leaf ? null : h('span', { class: 'count', 'data-testid': 'tree-count', title: partial.has(r.path) ? 'still counting' : '' }, formatCount(r.count) + (partial.has(r.path) ? '+' : '')),
      );
    },
  });
  treeList.el.addEventListener('click', (e) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>('.vlist-row');
    if (!row) return;
    const r = tree.rows()[Number(row.dataset.index)];
    if (!r) return;
    if (r.leaf && r.keyB64) {
      openKey(r.keyB64);
      return;
    }
    if (tree.toggle(r.path)) void loadLevel(r.path);
    drawTree();
    search.value = `${r.path}*`;
    applySearch();
  });

  const keyList = new VirtualList<Bytes>({
    rowHeight: ROW,
    className: 'key-list',
    render(row, k) {
      row.className = `vlist-row key-row${keySelected(k) ? ' selected' : ''}`;
      row.setAttribute('data-testid', 'key-row');
      row.dataset.key = k.text;
      const m = meta.get(k.b64);
      if (m === undefined) want(k.b64);
      mount(row, 
        h('span', { class: `type-badge t-${m?.type ?? 'unknown'}` }, m?.type ?? '…'),
        h('span', { class: `key-text${k.binary ? ' binary' : ''}`, title: k.text }, k.text),
        h('span', { class: 'key-ttl' }, m ? (m.ttl_ms === -1 ? '' : formatTtl(m.ttl_ms)) : ''),
        h('span', { class: 'key-size', 'data-testid': 'key-size-cell', title: m?.type === 'ReJSON-RL' ? 'JSON.DEBUG MEMORY' : undefined }, m ? (m.type === 'string' || m.type === 'ReJSON-RL' ? formatBytes(m.size ?? 0) : formatCount(m.size ?? 0)) : ''),
        h('span', { class: 'key-enc muted', 'data-testid': 'key-encoding' }, m?.encoding ?? ''),
        h('span', { class: 'key-mem', 'data-testid': 'key-memory-cell', title: 'MEMORY USAGE' }, m?.memory !== undefined ? formatBytes(m.memory) : ''),
      );
    },
    onNearEnd: () => void nextPage(),
  });
  keyList.el.addEventListener('click', (e) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>('.vlist-row');
    if (!row) return;
    const k = keys[Number(row.dataset.index)];
    if (k) openKey(k.b64);
  });
  keyList.el.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const i = keys.findIndex((k) => k.b64 === selected);
    const next = Math.max(0, Math.min(keys.length - 1, i + (e.key === 'ArrowDown' ? 1 : -1)));
    if (keys[next]) {
      openKey(keys[next].b64);
      keyList.scrollTo(next);
    }
  });

  function want(b64: string): void {
    wanted.add(b64);
    if (!metaTimer) metaTimer = setTimeout(fetchMeta, 40);
  }

  async function fetchMeta(): Promise<void> {
    metaTimer = null;
    const batch = [...wanted].slice(0, 1000);
    for (const b of batch) {
      wanted.delete(b);
      meta.set(b, null);
    }
    if (batch.length === 0) return;
    try {
      const rows = await ctx.api.call('keys_meta', { keys_b64: batch });
      for (const m of rows) meta.set(m.key.b64, m);
      if (alive) keyList.setItems(keys);
    } catch (e) {
      for (const b of batch) meta.delete(b);
      showError(e);
    }
  }

  function drawTree(): void {
    treeList.setItems(tree.rows());
  }

  async function loadLevel(prefix: string): Promise<void> {
    tree.setLoading(prefix);
    drawTree();
    try {
      const lvl = await ctx.api.call('tree', { prefix, separator: separators.join(' '), match: undefined, type: type || undefined });
      if (!alive) return;
      const entries = levelEntries(lvl.children);
      for (const e of entries) {
        if (lvl.complete) partial.delete(e.path);
        else partial.add(e.path);
      }
      tree.setLevel(prefix, entries);
      drawTree();
      if (prefix === '') {
        treeStatus.textContent = lvl.complete ? `${formatCount(lvl.total_keys)} keys` : `scanning… ${formatCount(lvl.scanned)}`;
        treeStatus.classList.toggle('scanning', !lvl.complete);
        if (lvl.children.length === 0 && lvl.complete) treeStatus.textContent = 'No keys. Write some with the console (Server page) or run `redscope demo`.';
      }
      if (!lvl.complete) {
        clearTimeout(treeTimers.get(prefix));
        treeTimers.set(prefix, setTimeout(() => alive && void loadLevel(prefix), 700));
      }
    } catch (e) {
      tree.setLevel(prefix, []);
      treeStatus.textContent = errorText(e);
    }
  }

  async function nextPage(): Promise<void> {
    if (loadingPage || cursor === null) return;
    loadingPage = true;
    const gen = generation;
    try {
      // SCAN with MATCH may return few keys per call: keep going until a screenful or the end.
      let got = 0;
      while (cursor !== null && got < 200 && gen === generation) {
        const r: KeyPage = await ctx.api.call('keys', { match: pattern, type: type || undefined, cursor, count: 1000 });
        if (gen !== generation) return;
        for (const k of r.keys) keys.push(k);
        got += r.keys.length;
        cursor = r.cursor === '0' ? null : r.cursor;
      }
      if (!alive) return;
      keyList.setItems(keys);
      listStatus.textContent = `${formatCount(keys.length)} ${keys.length === 1 ? 'key' : 'keys'}${cursor === null ? '' : ' · scroll for more'}`;
      if (keys.length === 0 && cursor === null) listStatus.textContent = `No keys match ${pattern}${type ? ` of type ${type}` : ''}. Try a broader pattern such as *.`;
    } catch (e) {
      listStatus.textContent = errorText(e);
    } finally {
      if (gen === generation) loadingPage = false;
    }
  }

  function applySearch(force = false): void {
    const nextPattern = search.value.trim() || '*';
    if (!force && nextPattern === pattern && typeSel.value === type && generation > 0) return;
    pattern = nextPattern;
    type = typeSel.value;
    generation++;
    loadingPage = false;
    keys = [];
    cursor = '0';
    keyList.setItems(keys);
    listStatus.textContent = 'scanning…';
    void nextPage();
  }

  function openKey(b64: string): void {
    selected = b64;
    disposeKey?.();
    disposeKey = showKey(ctx.api, detail, b64, {
      changed: () => reloadAll(),
      edited: (kv) => {
        if (kv.type === 'none') {
          dropKey(kv.key);
          return;
        }
        meta.delete(kv.key.b64);
        keyList.setItems(keys);
      },
      deleted: (k) => dropKey(k),
      separators: () => separators,
      openStream: (k) => ctx.go('streams', { key_b64: k }),
      readOnly: () => ctx.health()?.read_only ?? false,
    });
    // Only the highlight moves: redrawing both lists here cost the click 5-15 ms in WebKit.
    keyList.restyle((row, k) => row.classList.toggle('selected', keySelected(k)));
    treeList.restyle((row, r) => row.classList.toggle('selected', treeSelected(r)));
  }

  /** A key is gone: out of the list and the tree's counts, no rescan. */
  function dropKey(k: Bytes): void {
    tree.adjustKey(k, -1, separators);
    drawTree();
    const i = keys.findIndex((x) => x.b64 === k.b64);
    if (i >= 0) keys.splice(i, 1);
    meta.delete(k.b64);
    keyList.setItems(keys);
    bumpStatus();
  }

  function reloadAll(): void {
    meta.clear();
    tree.reset();
    for (const p of tree.missingLevels()) void loadLevel(p);
    applySearch(true);
  }

  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') applySearch();
  });
  search.addEventListener('input', debounce(() => applySearch(), 350));
  typeSel.addEventListener('change', () => {
    tree.reset();
    for (const p of tree.missingLevels()) void loadLevel(p);
    applySearch(true);
  });

  let offEvents: (() => void) | null = null;

  return {
    id: 'keys',
    title: 'Keys',
    shortcut: 'k',
    mount(el, { params }) {
      alive = true;
      offEvents = ctx.events((e) => {
        if (e.type !== 'tree_progress') return;
        if (e.prefix === '') {
          treeStatus.textContent = e.complete ? treeStatus.textContent : `scanning… ${formatCount(e.scanned)}`;
          treeStatus.classList.toggle('scanning', !e.complete);
        }
        if (e.complete && tree.hasLevel(e.prefix)) {
          clearTimeout(treeTimers.get(e.prefix));
          void loadLevel(e.prefix);
        }
      });
      mount(
        el,
        h('div', { class: 'page-head' }, h('h1', {}, 'Keys'), dbSel, search, typeSel, h('label', { class: 'muted' }, 'separators ', sepInput), newKeyBtn),
        h(
          'div',
          { class: 'keys-layout' },
          h('section', { class: 'tree-pane' }, h('div', { class: 'pane-title' }, 'Namespaces'), treeStatus, treeList.el),
          h('section', { class: 'list-pane' }, h('div', { class: 'pane-title' }, 'Keys'), listStatus, keyList.el),
          detail,
        ),
      );
      detail.replaceChildren(empty('Pick a namespace on the left, search with a pattern, then click a key to view and edit it.'));
      if (params.get('match')) search.value = params.get('match')!;
      void loadDatabases();
      reloadAll();
      const k = params.get('key_b64');
      if (k) openKey(k);
    },
    unmount() {
      alive = false;
      offEvents?.();
      disposeKey?.();
      disposeKey = null;
      for (const t of treeTimers.values()) clearTimeout(t);
      treeTimers.clear();
    },
    refresh() {
      reloadAll();
      if (selected) openKey(selected);
    },
  };
}
