import { describe, expect, it } from 'vitest';
import { TreeModel, levelEntries } from './tree';

describe('TreeModel', () => {
  it('flattens expanded levels depth first, folders before keys', () => {
    const t = new TreeModel();
    t.setLevel('', [
      { name: 'solo', path: 'solo', count: 1, leaf: true },
      { name: 'market', path: 'market:', count: 3, leaf: false },
      { name: 'features', path: 'features:', count: 2, leaf: false },
    ]);
    expect(t.rows().map((r) => r.name)).toEqual(['features', 'market', 'solo']);
    expect(t.total()).toBe(6);
    expect(t.toggle('market:')).toBe(true); // must fetch
    t.setLevel('market:', [{ name: 'ticker', path: 'market:ticker:', count: 3, leaf: false }]);
    const rows = t.rows();
    expect(rows.map((r) => [r.name, r.depth])).toEqual([
      ['features', 0],
      ['market', 0],
      ['ticker', 1],
      ['solo', 0],
    ]);
    expect(rows[1].expanded).toBe(true);
  });

  it('collapses without refetching and remembers open folders across a reset', () => {
    const t = new TreeModel();
    t.setLevel('', [{ name: 'a', path: 'a:', count: 1, leaf: false }]);
    t.toggle('a:');
    t.setLevel('a:', [{ name: 'k', path: 'a:k', count: 1, leaf: true }]);
    expect(t.toggle('a:')).toBe(false);
    expect(t.rows()).toHaveLength(1);
    expect(t.toggle('a:')).toBe(false); // level already loaded
    t.reset();
    expect(t.missingLevels()).toEqual(['', 'a:']);
  });
});

describe('levelEntries', () => {
  it('maps server children to folders and keys, splitting a name that is both', () => {
    const e = levelEntries([
      { name: 'market', prefix: 'market:', count: 120 },
      { name: 'solo', prefix: 'solo:', count: 1, key: { text: 'solo', b64: 'c29sbw==' } },
      { name: 'both', prefix: 'both:', count: 3, key: { text: 'both', b64: 'Ym90aA==' } },
    ]);
    expect(e).toEqual([
      { name: 'market', path: 'market:', count: 120, leaf: false },
      { name: 'solo', path: 'key:c29sbw==', count: 1, leaf: true, keyB64: 'c29sbw==' },
      { name: 'both', path: 'key:Ym90aA==', count: 1, leaf: true, keyB64: 'Ym90aA==' },
      { name: 'both', path: 'both:', count: 2, leaf: false },
    ]);
    const t = new TreeModel();
    t.setLevel('', e);
    expect(t.rows().map((r) => `${r.leaf ? 'k' : 'f'}:${r.name}`)).toEqual(['f:both', 'f:market', 'k:both', 'k:solo']);
    expect(t.total()).toBe(124);
  });
});

describe('TreeModel.adjustKey', () => {
  it('counts a created key into loaded levels and a deleted one out, without a fetch', () => {
    const t = new TreeModel();
    t.setLevel('', [{ name: 'a', path: 'a:', count: 2, leaf: false }]);
    t.toggle('a:');
    t.setLevel('a:', [{ name: 'x', path: 'key:eA==', count: 1, leaf: true, keyB64: 'eA==' }]);
    t.adjustKey({ text: 'a:y', b64: 'YTp5' }, 1, [':']);
    expect(t.total()).toBe(3);
    expect(t.rows().map((r) => r.name)).toEqual(['a', 'x', 'a:y'.slice(2)]);
    t.adjustKey({ text: 'b/c', b64: 'Yi9j' }, 1, [':', '/']);
    expect(t.rows().find((r) => r.path === 'b/')?.count).toBe(1);
    t.adjustKey({ text: 'b/c', b64: 'Yi9j' }, -1, [':', '/']);
    expect(t.rows().find((r) => r.path === 'b/')).toBeUndefined();
    expect(t.total()).toBe(3);
  });
});
