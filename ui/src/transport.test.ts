import { describe, expect, it } from 'vitest';
import { ApiError, HttpTransport, httpRequest, takeToken } from './transport';

describe('httpRequest', () => {
  it('maps a command to its route with the bearer token', () => {
    const { url, init } = httpRequest('health', undefined, 'tok');
    expect(url).toBe('/api/health');
    expect(init.method).toBe('GET');
    expect((init.headers as Record<string, string>)['Authorization']).toBe('Bearer tok');
  });

  it('puts GET arguments in the query string, encoded', () => {
    const { url } = httpRequest('health', { key: 'a b&c', skip: undefined }, null);
    expect(url).toBe('/api/health?key=a+b%26c');
  });
});

describe('HttpTransport', () => {
  it('returns the parsed JSON body', async () => {
    const t = new HttpTransport('t', async () => new Response('{"state":"connected"}', { status: 200 }));
    await expect(t.call('health')).resolves.toEqual({ state: 'connected' });
  });

  it('turns an API error body into an ApiError with its code', async () => {
    const t = new HttpTransport('t', async () => new Response('{"code":"unauthorized","message":"missing or wrong access token"}', { status: 401 }));
    const err = (await t.call('health').catch((e) => e)) as ApiError;
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe('unauthorized');
    expect(err.status).toBe(401);
  });

  it('reports an unreachable server', async () => {
    const t = new HttpTransport('t', async () => {
      throw new TypeError('Failed to fetch');
    });
    const err = (await t.call('health').catch((e) => e)) as ApiError;
    expect(err.code).toBe('unreachable');
  });
});

describe('takeToken', () => {
  function fakes(search: string) {
    const store = new Map<string, string>();
    const storage = {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => void store.set(k, v),
    } as unknown as Storage;
    const replaced: string[] = [];
    const history = { replaceState: (_a: unknown, _b: string, url: string) => void replaced.push(url) } as unknown as History;
    const loc = { search, pathname: '/', hash: '' } as Location;
    return { storage, history, loc, replaced };
  }

  it('takes the token from the URL, stores it and removes it from the address bar', () => {
    const f = fakes('?token=abc&x=1');
    expect(takeToken(f.loc, f.storage, f.history)).toBe('abc');
    expect(f.storage.getItem('redscope.token')).toBe('abc');
    expect(f.replaced).toEqual(['/?x=1']);
  });

  it('falls back to the session', () => {
    const f = fakes('');
    f.storage.setItem('redscope.token', 'kept');
    expect(takeToken(f.loc, f.storage, f.history)).toBe('kept');
    expect(f.replaced).toEqual([]);
  });
});
