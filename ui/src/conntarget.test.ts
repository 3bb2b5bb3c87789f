import { describe, expect, it } from 'vitest';
import { connTarget } from './app';

describe('connTarget', () => {
  it('names the URL of a single server', () => {
    expect(connTarget({ url: 'redis://127.0.0.1:6380/0', topology: 'standalone', master: null })).toBe('redis://127.0.0.1:6380/0');
  });
  it('names the current master behind Sentinel, which a failover changes', () => {
    const url = 'redis+sentinel://127.0.0.1:26379/mymaster/0';
    expect(connTarget({ url, topology: 'sentinel', master: '127.0.0.1:7001' })).toBe(`${url} · master 127.0.0.1:7001`);
    expect(connTarget({ url, topology: 'sentinel', master: '127.0.0.1:7002' })).toContain('master 127.0.0.1:7002');
  });
  it('says when it is a Cluster', () => {
    expect(connTarget({ url: 'redis+cluster://127.0.0.1:7000', topology: 'cluster', master: null })).toBe('redis+cluster://127.0.0.1:7000 · cluster');
  });
});
