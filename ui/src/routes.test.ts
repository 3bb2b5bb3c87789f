import { describe, expect, it } from 'vitest';
import { ApiError, HttpTransport, ROUTES, httpRequest, type Command, type Transport } from './transport';

// Web mode's request for every operation of the generated table (api.gen.ts): the table is the
// contract, so these check what transport does with it rather than restating it.

const commands = Object.keys(ROUTES) as Command[];
const pathParams = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
const headers = (init: RequestInit) => init.headers as Record<string, string>;

describe('web requests from the generated routes', () => {
  it('covers every operation, each under /api with its own method and path', () => {
    expect(commands.length).toBeGreaterThan(30);
    const seen = new Set<string>();
    for (const c of commands) {
      const { method, path } = ROUTES[c];
      expect(path, c).toMatch(/^\/api\//);
      seen.add(`${method} ${path}`);
    }
    expect(seen.size, 'a method and path serve one operation').toBe(commands.length);
  });

  it('substitutes path parameters, encoded, and keeps them out of the query and body', () => {
    for (const c of commands) {
      const { method, path } = ROUTES[c];
      const params = pathParams(path);
      const args = Object.fromEntries(params.map((p) => [p, `${p} 1/x`]));
      const { url, init } = httpRequest(c, args, 'tok');
      const expected = params.reduce((u, p) => u.replace(`{${p}}`, encodeURIComponent(`${p} 1/x`)), path);
      expect(url, c).toBe(expected);
      expect(init.method, c).toBe(method);
      expect(init.body, c).toBeUndefined();
      expect(headers(init)['Authorization'], c).toBe('Bearer tok');
    }
  });

  it('refuses a call that lacks a path parameter', () => {
    const withParams = commands.filter((c) => pathParams(ROUTES[c].path).length > 0);
    expect(withParams).toContain('job');
    for (const c of withParams) expect(() => httpRequest(c, {}, null), c).toThrow(ApiError);
  });

  it('puts GET and DELETE arguments in the query string and POST and PUT ones in a JSON body', () => {
    const args = { pattern: 'market:*&x', count: 5, skip: undefined, keys: ['YQ=='] };
    for (const c of commands) {
      const { method, path } = ROUTES[c];
      const own = Object.fromEntries(pathParams(path).map((p) => [p, 'v']));
      const { url, init } = httpRequest(c, { ...own, ...args }, null);
      const [base, query] = url.split('?');
      expect(base, c).not.toContain('{');
      if (method === 'GET' || method === 'DELETE') {
        const q = new URLSearchParams(query);
        expect(q.get('pattern'), c).toBe('market:*&x');
        expect(q.get('count'), c).toBe('5');
        expect(q.has('skip'), `${c}: undefined arguments are left out`).toBe(false);
        expect(init.body, c).toBeUndefined();
      } else {
        expect(query, c).toBeUndefined();
        expect(JSON.parse(init.body as string), c).toEqual({ pattern: 'market:*&x', count: 5, keys: ['YQ=='] });
        expect(headers(init)['Content-Type'], c).toBe('application/json');
      }
    }
  });

  it('sends neither a query nor a body without arguments', () => {
    for (const c of commands.filter((c) => pathParams(ROUTES[c].path).length === 0)) {
      const { url, init } = httpRequest(c, undefined, null);
      expect(url, c).toBe(ROUTES[c].path);
      expect(init.body, c).toBeUndefined();
    }
  });

  it('calls the route of the operation it is given and answers its JSON', async () => {
    const seen: string[] = [];
    const t: Transport = new HttpTransport('tok', async (url, init) => {
      seen.push(`${init?.method} ${url}`);
      return new Response('{"ttl_ms":-1}', { status: 200 });
    });
    const r = await t.call('key_ttl', { key: 'k', ttl_ms: null });
    expect(r.ttl_ms).toBe(-1);
    expect(seen).toEqual([`${ROUTES.key_ttl.method} ${ROUTES.key_ttl.path}`]);
  });
});

// Calls are typed by the table: tsc (npm run build) rejects these.
export function typedCalls(api: Transport): void {
  void api.call('health');
  // @ts-expect-error key_ttl needs ttl_ms
  void api.call('key_ttl', { key: 'k' });
  // @ts-expect-error not an operation
  void api.call('no_such_operation');
  void api.call('keys', { count: 10 }).then((page) => {
    // @ts-expect-error a key page has no `entries`
    void page.entries;
  });
}
