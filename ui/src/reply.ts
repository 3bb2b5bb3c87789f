// The console's typed replies: a redis-cli-like text form (for copy and tests) and a DOM form
// coloured by type; plus the tokenizer that splits a typed command line into arguments.

import { h } from './dom';
import type { Reply } from './types';

function scalar(r: Reply): string {
  switch (r.type) {
    case 'nil':
      return '(nil)';
    case 'int':
      return `(integer) ${r.value}`;
    case 'double':
      return `(double) ${r.value}`;
    case 'bool':
      return `(boolean) ${r.value ? 'true' : 'false'}`;
    case 'error':
      return `(error) ${r.value}`;
    case 'string':
      return String(r.value);
    case 'bulk':
    case 'verbatim':
      return JSON.stringify(typeof r.value === 'object' && r.value !== null && 'text' in r.value ? r.value.text : String(r.value));
    default:
      return JSON.stringify(r.value);
  }
}

/** The pairs of a map reply, whichever way the server laid them out. */
function mapPairs(value: unknown): [Reply, Reply][] {
  if (Array.isArray(value)) {
    if (value.every((p) => Array.isArray(p) && p.length === 2)) return value as [Reply, Reply][];
    const out: [Reply, Reply][] = [];
    for (let i = 0; i + 1 < value.length; i += 2) out.push([value[i] as Reply, value[i + 1] as Reply]);
    return out;
  }
  if (value && typeof value === 'object') return Object.entries(value).map(([k, v]) => [{ type: 'string', value: k }, v as Reply]);
  return [];
}

/** Renders a reply the way redis-cli prints it. */
export function replyText(r: Reply, indent = ''): string {
  if (r.type === 'array' || r.type === 'set') {
    const items = (r.value ?? []) as Reply[];
    if (items.length === 0) return r.type === 'set' ? '(empty set)' : '(empty array)';
    const w = String(items.length).length;
    return items
      .map((it, i) => {
        const label = `${String(i + 1).padStart(w)}) `;
        const inner = replyText(it, indent + ' '.repeat(label.length));
        return (i === 0 ? '' : indent) + label + inner;
      })
      .join('\n');
  }
  if (r.type === 'map') {
    const pairs = mapPairs(r.value);
    if (pairs.length === 0) return '(empty map)';
    const w = String(pairs.length).length;
    return pairs
      .map(([k, v], i) => {
        const label = `${String(i + 1).padStart(w)}# `;
        const key = replyText(k, indent + ' '.repeat(label.length));
        return (i === 0 ? '' : indent) + `${label}${key} => ${replyText(v, indent + ' '.repeat(label.length + 4))}`;
      })
      .join('\n');
  }
  return scalar(r);
}

/** Renders a reply as DOM, each value tagged with its type for styling. */
export function replyNode(r: Reply): HTMLElement {
  if (r.type === 'array' || r.type === 'set') {
    const items = (r.value ?? []) as Reply[];
    if (items.length === 0) return h('span', { class: 'r-empty' }, r.type === 'set' ? '(empty set)' : '(empty array)');
    return h('ol', { class: `r-${r.type}` }, ...items.map((it) => h('li', {}, replyNode(it))));
  }
  if (r.type === 'map') {
    const pairs = mapPairs(r.value);
    if (pairs.length === 0) return h('span', { class: 'r-empty' }, '(empty map)');
    return h('dl', { class: 'r-map' }, ...pairs.flatMap(([k, v]) => [h('dt', {}, replyNode(k)), h('dd', {}, replyNode(v))]));
  }
  if (r.type === 'error' && /^NOPERM\b/i.test(String(r.value))) {
    return h(
      'span',
      { class: 'r-error', 'data-reply-type': 'error' },
      scalar(r),
      h('div', { class: 'noperm-hint', 'data-testid': 'noperm-hint' }, "Refused by the server's ACL rules (NOPERM): this connection's user may not run this command or touch this key. Use a profile whose user is allowed."),
    );
  }
  return h('span', { class: `r-${r.type}`, 'data-reply-type': r.type }, scalar(r));
}

/** Splits a command line like redis-cli: spaces separate, quotes group, `\n`/`\xNN` escape in "…". */
export function tokenize(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i])) i++;
    if (i >= line.length) break;
    let tok = '';
    while (i < line.length && !/\s/.test(line[i])) {
      const c = line[i];
      if (c === '"' || c === "'") {
        const q = c;
        i++;
        let closed = false;
        while (i < line.length) {
          const d = line[i];
          if (d === q) {
            closed = true;
            i++;
            break;
          }
          if (d === '\\' && q === '"' && i + 1 < line.length) {
            const n = line[i + 1];
            if (n === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
              tok += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
              i += 4;
              continue;
            }
            tok += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n;
            i += 2;
            continue;
          }
          tok += d;
          i++;
        }
        if (!closed) throw new Error('unbalanced quotes');
      } else {
        tok += c;
        i++;
      }
    }
    out.push(tok);
  }
  return out;
}

/** Command history with ↑/↓ navigation; newest last, no adjacent duplicates. */
export class History {
  private pos: number;
  constructor(
    public items: string[] = [],
    private max = 200,
  ) {
    this.pos = items.length;
  }
  push(line: string): void {
    if (line && this.items[this.items.length - 1] !== line) this.items.push(line);
    if (this.items.length > this.max) this.items.splice(0, this.items.length - this.max);
    this.pos = this.items.length;
  }
  /** The previous entry (↑), or null at the start. */
  prev(): string | null {
    if (this.pos === 0) return this.items.length ? this.items[0] : null;
    this.pos--;
    return this.items[this.pos];
  }
  /** The next entry (↓); '' past the newest. */
  next(): string {
    if (this.pos < this.items.length) this.pos++;
    return this.pos >= this.items.length ? '' : this.items[this.pos];
  }
}

/** A reply's value as one table cell: text as is, numbers plain, nested replies as redis-cli. */
export function cellText(r: Reply): string {
  switch (r.type) {
    case 'bulk':
      return r.value.text;
    case 'string':
    case 'error':
      return String(r.value);
    case 'int':
    case 'bool':
      return String(r.value);
    case 'double':
      return String(r.value);
    case 'nil':
      return '(nil)';
    case 'verbatim':
      return r.value.text;
    default:
      return replyText(r).replace(/\n\s*/g, ' ');
  }
}

/** Commands whose flat array reply alternates field and value. */
const PAIR_REPLIES = new Set(['HGETALL', 'CONFIG GET', 'HRANDFIELD', 'XINFO STREAM', 'XINFO GROUPS', 'XINFO CONSUMERS', 'MEMORY STATS', 'CLIENT TRACKINGINFO']);

const items = (r: Reply): Reply[] | null => (r.type === 'array' || r.type === 'set' ? r.value : null);

/** A stream entry `[id, [field, value, …]]`, as XRANGE and XREAD give them. */
function entry(r: Reply): { id: string; fields: [string, string][] } | null {
  const pair = items(r);
  if (!pair || pair.length !== 2 || pair[0].type !== 'bulk') return null;
  const fv = items(pair[1]);
  if (!fv || fv.length % 2 !== 0) return null;
  const fields: [string, string][] = [];
  for (let i = 0; i < fv.length; i += 2) fields.push([cellText(fv[i]), cellText(fv[i + 1])]);
  return { id: pair[0].value.text, fields };
}

/** A reply as table rows, when it has a table's shape: a map or a field/value array (HGETALL,
 * CONFIG GET) as field and value; stream entries (XRANGE) as id and one column per field; an
 * array of arrays as rows; a plain array as numbered values. `null` for a scalar. */
export function replyTable(r: Reply, command: string[]): { headers: string[]; rows: string[][] } | null {
  const name = command.map((a) => a.toUpperCase());
  const full = name.slice(0, 2).join(' ');
  if (r.type === 'map') return { headers: ['field', 'value'], rows: mapPairs(r.value).map(([k, v]) => [cellText(k), cellText(v)]) };
  const list = items(r);
  if (!list) return null;
  if (list.length === 0) return { headers: ['#', 'value'], rows: [] };
  const withScores = name.includes('WITHSCORES') || name.includes('WITHVALUES');
  if ((PAIR_REPLIES.has(full) || PAIR_REPLIES.has(name[0]) || withScores) && list.length % 2 === 0 && list.every((x, i) => i % 2 === 1 || !items(x))) {
    const rows: string[][] = [];
    for (let i = 0; i < list.length; i += 2) rows.push([cellText(list[i]), cellText(list[i + 1])]);
    return { headers: withScores ? ['member', name.includes('WITHVALUES') ? 'value' : 'score'] : ['field', 'value'], rows };
  }
  const entries = list.map(entry);
  if (entries.every((e) => e !== null)) {
    const fields: string[] = [];
    for (const e of entries) for (const [f] of e!.fields) if (!fields.includes(f)) fields.push(f);
    return { headers: ['id', ...fields], rows: entries.map((e) => [e!.id, ...fields.map((f) => e!.fields.find(([k]) => k === f)?.[1] ?? '')]) };
  }
  if (list.every((x) => items(x))) {
    const width = Math.max(...list.map((x) => items(x)!.length));
    return { headers: ['#', ...Array.from({ length: width }, (_, i) => String(i + 1))], rows: list.map((x, i) => [String(i + 1), ...Array.from({ length: width }, (_, j) => (items(x)![j] ? cellText(items(x)![j]) : ''))]) };
  }
  return { headers: ['#', 'value'], rows: list.map((x, i) => [String(i + 1), cellText(x)]) };
}
