import { describe, expect, it } from 'vitest';
import { parsePastedUrl } from './profileurl';

describe('parsePastedUrl', () => {
  it('moves user and password out of the URL', () => {
    expect(parsePastedUrl('rediss://trader:p%40ss@cache.example.com:6380/2')).toEqual({
      url: 'rediss://cache.example.com:6380/2',
      username: 'trader',
      password: 'p@ss',
      name: 'cache.example.com',
    });
  });
  it('keeps a password-only URL and the multi-host forms', () => {
    expect(parsePastedUrl('redis+sentinel://:pw@s1:26379,s2:26379/mymaster/0')).toEqual({ url: 'redis+sentinel://s1:26379,s2:26379/mymaster/0', password: 'pw', name: 's1' });
    expect(parsePastedUrl('redis+cluster://10.0.0.1:7000,10.0.0.2:7000').url).toBe('redis+cluster://10.0.0.1:7000,10.0.0.2:7000');
    expect(parsePastedUrl('redis://[::1]:6379').name).toBe('::1');
  });
  it('reads unix sockets', () => {
    expect(parsePastedUrl('unix:///run/redis/redis.sock?db=1')).toEqual({ url: 'unix:///run/redis/redis.sock?db=1', name: 'redis.sock' });
  });
  it('refuses what is not a Redis URL', () => {
    expect(() => parsePastedUrl('localhost:6379')).toThrow(/Paste a URL/);
    expect(() => parsePastedUrl('http://x')).toThrow(/Unsupported scheme/);
    expect(() => parsePastedUrl('redis://user:pw@/0')).toThrow(/no host/);
  });
});
