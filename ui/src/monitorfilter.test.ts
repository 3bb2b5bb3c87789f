import { describe, expect, it } from 'vitest';
import { lineMatches } from './monitorfilter';
import type { MonitorLine } from './api.gen';

const line = (command: string, key: string | undefined, client: string): MonitorLine => ({ seq: 1, at_s: 1, node: 'primary', db: 0, client, command, key, args: '', cut: false });

describe('lineMatches', () => {
  it('matches every given part, like the service', () => {
    const set = line('SET', 'quote:BTC', '127.0.0.1:5000');
    expect(lineMatches({}, set)).toBe(true);
    expect(lineMatches({ command: 'get, set' }, set)).toBe(true);
    expect(lineMatches({ command: 'get' }, set)).toBe(false);
    expect(lineMatches({ key: 'BTC', client: '127.0.0.1:5' }, set)).toBe(true);
    expect(lineMatches({ key: 'ETH' }, set)).toBe(false);
    expect(lineMatches({ client: 'lua' }, set)).toBe(false);
    expect(lineMatches({ key: ' ' }, set)).toBe(true);
    expect(lineMatches({ key: 'q' }, line('PING', undefined, 'c'))).toBe(false);
  });
});
