// A RedisJSON document as a tree read by path (`json_get`): small nodes come whole, big ones
// page their children; each node edits in place by path (`json_edit`: set, delete, append to an
// array, add to a number). Read-only sessions see the tree without the edit buttons.

import { h } from '../dom';
import { formatBytes, formatCount } from '../format';
import type { Transport } from '../transport';
import type { JsonEdit, JsonNode } from '../api.gen';
import { button, confirmDialog, promptDialog, toast } from '../ui';

/** The JSONPath of an object member or array item under `parent`. */
export function childPath(parent: string, name: string | number): string {
  if (typeof name === 'number') return `${parent}[${name}]`;
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${parent}.${name}` : `${parent}[${JSON.stringify(name)}]`;
}

/** The JSON type name RedisJSON uses for a value. */
export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Mounts the tree of document `keyB64` into `host`. */
export function showJson(api: Transport, host: HTMLElement, keyB64: string, readOnly: boolean, changed: () => void): void {
  const root = h('div', { class: 'json-tree', 'data-testid': 'json-tree' });
  host.replaceChildren(root);

  const edit = async (e: Omit<JsonEdit, 'key_b64'>) => {
    await api.call('json_edit', { key_b64: keyB64, ...e });
    toast('saved', 'ok');
    changed();
    await load();
  };

  function actions(path: string, type: string, value: unknown): HTMLElement {
    const box = h('span', { class: 'json-actions' });
    if (readOnly) return box;
    box.append(button('Edit', async () => {
      const text = await promptDialog(`New JSON value at ${path}:`, value === undefined ? '' : JSON.stringify(value));
      if (text === null) return;
      JSON.parse(text);
      await edit({ op: 'set', path, value: text });
    }, { class: 'btn small', 'data-testid': `json-edit-${path}` }));
    if (type === 'array')
      box.append(button('Append', async () => {
        const text = await promptDialog(`JSON item to append to ${path}:`, '""');
        if (text === null) return;
        JSON.parse(text);
        await edit({ op: 'arrappend', path, value: text });
      }, { class: 'btn small', 'data-testid': `json-append-${path}` }));
    if (type === 'object')
      box.append(button('Add field', async () => {
        const name = await promptDialog(`Name of the new field in ${path}:`);
        if (!name) return;
        const text = await promptDialog(`JSON value of ${name}:`, '""');
        if (text === null) return;
        JSON.parse(text);
        await edit({ op: 'set', path: childPath(path, name), value: text });
      }, { class: 'btn small', 'data-testid': `json-add-${path}` }));
    if (type === 'integer' || type === 'number')
      box.append(button('+/−', async () => {
        const text = await promptDialog(`Add to the number at ${path}:`, '1');
        if (text === null) return;
        if (!Number.isFinite(Number(text))) throw new Error(`"${text}" is not a number`);
        await edit({ op: 'numincrby', path, value: text });
      }, { class: 'btn small', 'data-testid': `json-incr-${path}` }));
    if (path !== '$')
      box.append(button('✕', async () => {
        if (!(await confirmDialog('Delete from the document', `Delete ${path}?`, 'Delete'))) return;
        await edit({ op: 'del', path });
      }, { class: 'btn small danger', 'data-testid': `json-del-${path}` }));
    return box;
  }

  /** A row for a value we hold whole, with its children expanded inline. */
  function wholeNode(name: string, path: string, value: unknown, depth: number): HTMLElement {
    const type = jsonType(value);
    const row = h('div', { class: 'json-row', 'data-path': path, 'data-testid': 'json-row' });
    row.style.paddingLeft = `${depth * 16}px`;
    const label = h('span', { class: 'json-name mono' }, name);
    if (type === 'object' || type === 'array') {
      const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value as object);
      row.append(label, h('span', { class: 'muted' }, type === 'array' ? ` [${entries.length}]` : ` {${entries.length}}`), actions(path, type, value));
      const kids = entries.map(([k, v]) => wholeNode(String(k), childPath(path, k), v, depth + 1));
      return h('div', {}, row, ...kids);
    }
    row.append(label, h('span', { class: `json-value json-${type} mono`, 'data-testid': 'json-value' }, JSON.stringify(value)), actions(path, type, value));
    return row;
  }

  /** A node too big to hold whole: its children page by page, big children open on click. */
  function pagedNode(node: JsonNode, name: string, depth: number): HTMLElement {
    const wrap = h('div', {});
    const row = h('div', { class: 'json-row', 'data-path': node.path, 'data-testid': 'json-row' });
    row.style.paddingLeft = `${depth * 16}px`;
    row.append(h('span', { class: 'json-name mono' }, name), h('span', { class: 'muted' }, ` ${node.type} · ${formatCount(node.len ?? 0)} · ${formatBytes(node.memory)} (read by path)`), actions(node.path, node.type, undefined));
    wrap.append(row);
    const kids = h('div', {});
    wrap.append(kids);
    const addPage = (n: JsonNode) => {
      for (const c of n.children) {
        if (c.value !== null && c.value !== undefined) {
          kids.append(wholeNode(c.name, c.path, c.value, depth + 1));
        } else {
          const open = h('div', { class: 'json-row', 'data-path': c.path, 'data-testid': 'json-row' });
          open.style.paddingLeft = `${(depth + 1) * 16}px`;
          const holder = h('div', {});
          open.append(h('span', { class: 'json-name mono' }, c.name), h('span', { class: 'muted' }, ` ${c.type} · ${formatBytes(c.memory)} `), button('Open', async () => {
            const child = await api.call('json_get', { key_b64: keyB64, path: c.path });
            holder.replaceChildren(render(child, c.name, depth + 1));
            open.remove();
          }, { class: 'btn small', 'data-testid': `json-open-${c.path}` }));
          kids.append(open, holder);
        }
      }
      more.replaceChildren();
      if (n.next !== null && n.next !== undefined) {
        const next = n.next;
        more.append(button(`Load more (${formatCount(next)} of ${formatCount(node.len ?? 0)})`, async () => {
          addPage(await api.call('json_get', { key_b64: keyB64, path: node.path, offset: next }));
        }, { class: 'btn small', 'data-testid': 'json-more' }));
      }
    };
    const more = h('div', { class: 'row' });
    wrap.append(more);
    addPage(node);
    return wrap;
  }

  function render(node: JsonNode, name: string, depth: number): HTMLElement {
    if (node.value !== null && node.value !== undefined) return wholeNode(name, node.path, node.value, depth);
    if (node.type === 'object' || node.type === 'array') return pagedNode(node, name, depth);
    const row = h('div', { class: 'json-row', 'data-path': node.path, 'data-testid': 'json-row' });
    row.style.paddingLeft = `${depth * 16}px`;
    row.append(h('span', { class: 'json-name mono' }, name), h('span', { class: 'muted' }, ` ${node.type} of ${formatCount(node.len ?? 0)} bytes · too large to show`), actions(node.path, node.type, undefined));
    return row;
  }

  async function load(): Promise<void> {
    const node = await api.call('json_get', { key_b64: keyB64, path: '$' });
    root.replaceChildren(render(node, '$', 0));
  }
  load().catch((e) => root.replaceChildren(h('div', { class: 'empty' }, String((e as Error).message ?? e))));
}
