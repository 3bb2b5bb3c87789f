import { describe, expect, it } from 'vitest';
import { pageHash, parseHash } from './router';
import { describeKey, isTyping } from './shortcuts';

describe('router', () => {
  it('parses page ids and parameters from the hash', () => {
    expect(parseHash('#/keys?prefix=market%3A').id).toBe('keys');
    expect(parseHash('#/keys?prefix=market%3A').params.get('prefix')).toBe('market:');
    expect(parseHash('').id).toBe('');
    expect(parseHash('#/dashboard').params.toString()).toBe('');
  });
  it('builds hashes that parse back', () => {
    const h = pageHash('keys', { key: 'a b:c' });
    expect(parseHash(h).params.get('key')).toBe('a b:c');
  });
});

describe('shortcuts', () => {
  it('describes keys with their modifiers', () => {
    expect(describeKey({ key: 'K', altKey: true, ctrlKey: false, metaKey: false })).toBe('Alt+k');
    expect(describeKey({ key: '/', altKey: false, ctrlKey: false, metaKey: false })).toBe('/');
    expect(describeKey({ key: 'Escape', altKey: false, ctrlKey: true, metaKey: false })).toBe('Ctrl+Escape');
  });
  it('knows when the user is typing', () => {
    expect(isTyping({ tagName: 'INPUT' } as unknown as EventTarget)).toBe(true);
    expect(isTyping({ tagName: 'DIV', isContentEditable: false } as unknown as EventTarget)).toBe(false);
    expect(isTyping(null)).toBe(false);
  });
});
