import { describe, expect, it } from 'vitest';
import { complete, matches, searchHistory } from './completion';
import type { CommandDoc } from './api.gen';

const d = (name: string, syntax = ''): CommandDoc => ({ name, summary: '', group: '', syntax, since: '' });
const docs = [d('SET', 'key value'), d('SETEX'), d('SETNX'), d('CONFIG'), d('CONFIG GET'), d('CONFIG SET'), d('SCAN')];

describe('completion', () => {
  it('matches command names by prefix, exact first', () => {
    expect(matches(docs, 'se').map((x) => x.name)).toEqual(['SET', 'SETEX', 'SETNX']);
    expect(matches(docs, 'set').map((x) => x.name)[0]).toBe('SET');
  });
  it('offers subcommands once the container is typed', () => {
    expect(matches(docs, 'config s').map((x) => x.name)).toEqual(['CONFIG SET']);
    expect(matches(docs, 'set mykey').map((x) => x.name)).toEqual(['SET']);
  });
  it('completes the name and keeps the arguments', () => {
    expect(complete('conf', d('CONFIG'))).toBe('CONFIG ');
    expect(complete('config s', d('CONFIG SET'))).toBe('CONFIG SET ');
  });
  it('searches the history backwards', () => {
    const items = ['GET a', 'HGETALL h', 'GET b'];
    expect(searchHistory(items, 'get')).toEqual({ index: 2, line: 'GET b' });
    expect(searchHistory(items, 'get', 2)).toEqual({ index: 1, line: 'HGETALL h' });
    expect(searchHistory(items, 'zzz')).toBeNull();
  });
});
