import { describe, expect, it } from 'vitest';
import { TreeModel } from './tree';

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
