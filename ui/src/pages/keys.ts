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
import { button, debounce, empty, errorText, promptDialog, showError, toast } from '../ui';
import { serverModules } from '../modules';
import { toBase64 } from '../keys';
import { VirtualList } from '../virtual';
import { showKey } from './keyview';

const ROW = 24;
const TYPES = ['', 'string', 'hash', 'list', 'set', 'zset', 'stream'];

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
  const tree = new TreeModel();
  const treeTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Rows whose counts are still growing (their level is being scanned): shown with a "+". */
  const partial = new Set<string>();
  const treeStatus = h('div', { class: 'tree-status', 'data-testid': 'tree-status' });
  const listStatus = h('div', { class: 'list-status', 'data-testid': 'list-status' });
  const detail = h('section', { class: 'key-detail', 'data-testid': 'key-detail' });
  const search = h('input', { type: 'search', placeholder: 'pattern, e.g. market:ticker:*  (press /)', 'data-testid': 'key-search' });
  // A JSON document (RedisJSON servers only): key name, then the document.
  const newJson = button('New JSON document', async () => {
    const name = await promptDialog('Key of the new JSON document:');
    if (!name) return;
    const text = await promptDialog(`JSON document for ${name}:`, '{}');
    if (text === null) return;
    JSON.parse(text);
    await ctx.api.call('json_edit', { key: name, op: 'set', path: '$', value: text, create: true });
    toast(`${name} created`, 'ok');
    reloadAll();
    openKey(toBase64(new TextEncoder().encode(name)));
  }, { class: 'btn small', 'data-testid': 'new-json', hidden: '' });
  const typeSel = h('select', { 'data-testid': 'key-type-filter' }, ...TYPES.map((t) => h('option', { value: t }, t || 'any type')));

  const treeList = new VirtualList<TreeRow>({
    rowHeight: ROW,
    className: 'tree-list',
    render(row, r) {
      row.className = `vlist-row tree-row${r.leaf ? ' leaf' : ''}${r.leaf && r.keyB64 === selected ? ' selected' : ''}`;
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
      row.className = `vlist-row key-row${k.b64 === selected ? ' selected' : ''}`;
      row.setAttribute('data-testid', 'key-row');
      row.dataset.key = k.text;
      const m = meta.get(k.b64);
      if (m === undefined) want(k.b64);
      mount(row, 
        h('span', { class: `type-badge t-${m?.type ?? 'unknown'}` }, m?.type ?? '…'),
        h('span', { class: `key-text${k.binary ? ' binary' : ''}`, title: k.text }, k.text),
        h('span', { class: 'key-ttl' }, m ? (m.ttl_ms === -1 ? '' : formatTtl(m.ttl_ms)) : ''),
        h('span', { class: 'key-size' }, m ? (m.type === 'string' ? formatBytes(m.size ?? 0) : formatCount(m.size ?? 0)) : ''),
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
      const lvl = await ctx.api.call('tree', { prefix, separator: ':', match: undefined, type: type || undefined });
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
      openStream: (k) => ctx.go('streams', { key_b64: k }),
      readOnly: () => ctx.health()?.read_only ?? false,
    });
    keyList.setItems(keys);
    drawTree();
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
      newJson.hidden = true;
      const health = ctx.health();
      if (health?.state === 'connected' && !health.read_only)
        serverModules(ctx.api, health.url).then((m) => {
          newJson.hidden = !m.json;
        }).catch(() => undefined);
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
        h('div', { class: 'page-head' }, h('h1', {}, 'Keys'), search, typeSel, newJson),
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
