// The namespace tree's client-side model: levels are fetched lazily (one prefix at a time, with
// counts aggregated by the server) and flattened into rows for the virtual list.

/** One child of a level as the server returns it. */
export interface LevelEntry {
  /** The segment name shown in the tree (for a key: its full display name's last segment). */
  name: string;
  /** The full prefix of a folder (ending with the separator), or the key of a leaf. */
  path: string;
  /** Keys below a folder; 1 for a key. */
  count: number;
  /** True for a key, false for a folder. */
  leaf: boolean;
  /** For a key: its exact bytes (base64), to address binary keys. */
  keyB64?: string;
}

/** The server's level (`TreeLevel.children`) as tree entries: a child that is both a key and a
 * folder (`a` and `a:b`) becomes two entries. */
export function levelEntries(children: { name: string; prefix: string; count: number; key?: { text: string; b64: string } | null }[]): LevelEntry[] {
  const out: LevelEntry[] = [];
  for (const c of children) {
    if (c.key) out.push({ name: c.name, path: `key:${c.key.b64}`, count: 1, leaf: true, keyB64: c.key.b64 });
    const below = c.count - (c.key ? 1 : 0);
    if (below > 0 || !c.key) out.push({ name: c.name, path: c.prefix, count: below, leaf: false });
  }
  return out;
}

/** A row of the flattened tree. */
export interface TreeRow extends LevelEntry {
  depth: number;
  expanded: boolean;
  loading: boolean;
}

export class TreeModel {
  private levels = new Map<string, LevelEntry[]>();
  private expanded = new Set<string>();
  private loading = new Set<string>();

  /** Stores the children of `prefix` ('' for the root), sorted folders first, then by name. */
  setLevel(prefix: string, entries: LevelEntry[]): void {
    const sorted = [...entries].sort((a, b) => (a.leaf === b.leaf ? a.name.localeCompare(b.name) : a.leaf ? 1 : -1));
    this.levels.set(prefix, sorted);
    this.loading.delete(prefix);
  }

  hasLevel(prefix: string): boolean {
    return this.levels.has(prefix);
  }

  /** Marks a folder as being fetched. */
  setLoading(prefix: string): void {
    this.loading.add(prefix);
  }

  /** Expands or collapses a folder; returns true when its level must be fetched first. */
  toggle(path: string): boolean {
    if (this.expanded.has(path)) {
      this.expanded.delete(path);
      return false;
    }
    this.expanded.add(path);
    return !this.levels.has(path);
  }

  isExpanded(path: string): boolean {
    return this.expanded.has(path);
  }

  /** Forgets everything (after a refresh or a database switch), keeping which folders were open. */
  reset(): void {
    this.levels.clear();
    this.loading.clear();
  }

  /** Paths of expanded folders whose level is not loaded (to re-fetch after a reset). */
  missingLevels(): string[] {
    const out = [''].filter((p) => !this.levels.has(p));
    for (const p of this.expanded) if (!this.levels.has(p)) out.push(p);
    return out;
  }

  /** The visible rows, depth first. */
  rows(): TreeRow[] {
    const out: TreeRow[] = [];
    const walk = (prefix: string, depth: number) => {
      for (const e of this.levels.get(prefix) ?? []) {
        const expanded = !e.leaf && this.expanded.has(e.path);
        out.push({ ...e, depth, expanded, loading: this.loading.has(e.path) });
        if (expanded) walk(e.path, depth + 1);
      }
    };
    walk('', 0);
    return out;
  }

  /**
   * Counts one key in (`delta` 1, after it was created) or out (-1, deleted) of every loaded
   * level it lies under, so the tree follows an edit without a rescan. The key splits at the
   * first of `separators` (the longest when two start at the same place), as the server's does.
   */
  adjustKey(key: { text: string; b64: string }, delta: 1 | -1, separators: string[]): void {
    for (const [prefix, entries] of this.levels) {
      if (!key.text.startsWith(prefix)) continue;
      const rest = key.text.slice(prefix.length);
      let cut = -1;
      let len = 0;
      for (const s of separators) {
        const i = rest.indexOf(s);
        if (i >= 0 && (cut < 0 || i < cut || (i === cut && s.length > len))) {
          cut = i;
          len = s.length;
        }
      }
      const path = cut < 0 ? `key:${key.b64}` : prefix + rest.slice(0, cut + len);
      const at = entries.findIndex((e) => e.path === path && e.leaf === cut < 0);
      if (at >= 0) {
        entries[at] = { ...entries[at], count: entries[at].count + delta };
        if (entries[at].count <= 0) entries.splice(at, 1);
      } else if (delta > 0) {
        const entry: LevelEntry = cut < 0 ? { name: rest, path, count: 1, leaf: true, keyB64: key.b64 } : { name: rest.slice(0, cut), path, count: 1, leaf: false };
        this.setLevel(prefix, [...entries, entry]);
      }
    }
  }

  /** Total keys at the root level. */
  total(): number {
    return (this.levels.get('') ?? []).reduce((n, e) => n + e.count, 0);
  }
}
