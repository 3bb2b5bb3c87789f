import { describe, expect, it } from 'vitest';
import { Shortcuts } from './shortcuts';

function fakeDoc() {
  let handler: ((e: KeyboardEvent) => void) | null = null;
  const doc = { addEventListener: (_t: string, fn: (e: KeyboardEvent) => void) => (handler = fn) } as unknown as Document;
  const press = (key: string, target: unknown = { tagName: 'BODY' }) => {
    let prevented = false;
    handler!({ key, altKey: false, ctrlKey: false, metaKey: false, target, preventDefault: () => (prevented = true) } as unknown as KeyboardEvent);
    return prevented;
  };
  return { doc, press };
}

describe('Shortcuts', () => {
  it('runs two-key sequences (g k) and single keys, not while typing', () => {
    const { doc, press } = fakeDoc();
    const s = new Shortcuts(doc);
    const ran: string[] = [];
    s.bind('g k', 'keys', () => ran.push('keys'));
    s.bind('g d', 'dashboard', () => ran.push('dashboard'));
    s.bind('r', 'refresh', () => ran.push('refresh'));
    expect(press('g')).toBe(true);
    press('k');
    press('r');
    press('g');
    press('x'); // breaks the sequence
    press('d'); // a lone d does nothing
    press('g', { tagName: 'INPUT' });
    press('d', { tagName: 'INPUT' });
    press('g');
    press('d');
    expect(ran).toEqual(['keys', 'refresh', 'dashboard']);
    expect(s.list().map((x) => x.keys)).toEqual(['g k', 'g d', 'r']);
  });
});
