// The one place that knows how the UI reaches the admin service: Tauri IPC in the desktop app,
// HTTP + WebSocket in web mode. Pages call `api.call('health')` and never see the difference.

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** How a command maps onto the HTTP API in web mode. */
export interface Route {
  method: Method;
  path: string;
}

/** Every command the UI uses, with its HTTP route. Tauri commands carry the same names. */
export const ROUTES = {
  health: { method: 'GET', path: '/api/health' },
} as const satisfies Record<string, Route>;

export type Command = keyof typeof ROUTES;
export type Args = Record<string, unknown>;

/** The error shape both surfaces reject with: `{code, message}`. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface Transport {
  readonly kind: 'tauri' | 'http';
  call<T>(command: Command, args?: Args): Promise<T>;
  /** Tells the desktop shell the UI has rendered (its smoke test waits for this). */
  ready(report: { redis: string }): Promise<void>;
}

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Builds the URL and request for a command in web mode. Exported for tests. */
export function httpRequest(
  command: Command,
  args: Args | undefined,
  token: string | null,
  base = '',
): { url: string; init: RequestInit } {
  const route: Route = ROUTES[command];
  const headers: Record<string, string> = {};
  if (token) headers['Authorization'] = `Bearer ${token}`;
  let url = base + route.path;
  let body: string | undefined;
  if (args && Object.keys(args).length > 0) {
    if (route.method === 'GET' || route.method === 'DELETE') {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(args)) {
        if (v !== undefined && v !== null) q.set(k, String(v));
      }
      url += (url.includes('?') ? '&' : '?') + q.toString();
    } else {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(args);
    }
  }
  return { url, init: { method: route.method, headers, body } };
}

/** Web mode: fetch with the access token. */
export class HttpTransport implements Transport {
  readonly kind = 'http' as const;
  constructor(
    private token: string | null,
    private fetcher: FetchLike = (i, init) => fetch(i, init),
    private base = '',
  ) {}

  async call<T>(command: Command, args?: Args): Promise<T> {
    const { url, init } = httpRequest(command, args, this.token, this.base);
    let res: Response;
    try {
      res = await this.fetcher(url, init);
    } catch (e) {
      throw new ApiError('unreachable', `Redscope server unreachable: ${(e as Error).message}`);
    }
    const text = await res.text();
    let data: unknown = undefined;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiError('bad_response', `unexpected response (${res.status}): ${text.slice(0, 200)}`, res.status);
    }
    if (!res.ok) {
      const err = data as { code?: string; message?: string } | undefined;
      throw new ApiError(err?.code ?? 'http_error', err?.message ?? `HTTP ${res.status}`, res.status);
    }
    return data as T;
  }

  async ready(report: { redis: string }): Promise<void> {
    document.body.dataset.ready = report.redis;
  }
}

/** Desktop: Tauri IPC. Rejections carry the same `{code, message}` as HTTP errors. */
export class TauriTransport implements Transport {
  readonly kind = 'tauri' as const;
  async call<T>(command: Command, args?: Args): Promise<T> {
    const { invoke } = await import('@tauri-apps/api/core');
    try {
      return await invoke<T>(command, args ?? {});
    } catch (e) {
      const err = e as { code?: string; message?: string } | string;
      if (typeof err === 'string') throw new ApiError('error', err);
      throw new ApiError(err.code ?? 'error', err.message ?? String(e));
    }
  }

  async ready(report: { redis: string }): Promise<void> {
    document.body.dataset.ready = report.redis;
    const { invoke } = await import('@tauri-apps/api/core');
    await invoke('ui_ready', { report });
  }
}

/** Takes the access token from `?token=` (then hides it from the address bar) or the session. */
export function takeToken(loc: Location, storage: Storage, history: History): string | null {
  const params = new URLSearchParams(loc.search);
  const fromUrl = params.get('token');
  if (fromUrl) {
    storage.setItem('redscope.token', fromUrl);
    params.delete('token');
    const rest = params.toString();
    history.replaceState(null, '', loc.pathname + (rest ? `?${rest}` : '') + loc.hash);
    return fromUrl;
  }
  return storage.getItem('redscope.token');
}

/** The transport for where this page runs. */
export function createTransport(): Transport {
  if ('__TAURI_INTERNALS__' in window) return new TauriTransport();
  return new HttpTransport(takeToken(window.location, window.sessionStorage, window.history));
}
