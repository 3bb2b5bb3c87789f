// The one place that knows how the UI reaches the admin service: Tauri IPC in the desktop app,
// HTTP + WebSocket in web mode. Pages call `api.call('health')` and `api.events(fn)` and never see
// the difference.

import { ROUTES, type Method, type OperationName, type ReplyOf, type RequestOf, type Route } from './api.gen';
import type { ServerEvent } from './types';

export { ROUTES };
export type { Method, Route };

/** An admin operation's name (also the desktop command's). */
export type Command = OperationName;

/** The arguments of `command`: optional when its request has no required field. */
export type CallArgs<C extends Command> = {} extends RequestOf<C> ? [args?: RequestOf<C>] : [args: RequestOf<C>];

/** Arguments as they travel: a JSON object. */
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
  /** Runs an operation: typed by the operation table (api.gen.ts). */
  call<C extends Command>(command: C, ...args: CallArgs<C>): Promise<ReplyOf<C>>;
  /** Tells the desktop shell the UI has rendered (its smoke test waits for this). */
  ready(report: { redis: string }): Promise<void>;
  /** Subscribes to the live event stream; returns an unsubscribe function. */
  events(onEvent: (e: ServerEvent) => void, onStatus?: (s: EventStatus) => void): () => void;
  /** Desktop only: opens saved profile `profile` in a new window with a session of its own. */
  openWindow?(profile: string): Promise<void>;
}

/** State of the live event channel (the WebSocket in web mode). */
export type EventStatus = 'open' | 'reconnecting' | 'closed';

type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** Builds the URL and request for a command in web mode. Exported for tests. */
export function httpRequest(
  command: Command,
  args: object | undefined,
  token: string | null,
  base = '',
): { url: string; init: RequestInit } {
  const route: Route = ROUTES[command];
  const headers: Record<string, string> = {};
  if (token) headers['Authorization'] = `Bearer ${token}`;
  const rest: Args = { ...((args ?? {}) as Args) };
  // Path parameters (`/api/jobs/{id}`) are taken out of the arguments.
  let url =
    base +
    route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const v = rest[name];
      delete rest[name];
      if (v === undefined || v === null) throw new ApiError('invalid_input', `${command}: missing ${name}`);
      return encodeURIComponent(String(v));
    });
  let body: string | undefined;
  if (Object.keys(rest).length > 0) {
    if (route.method === 'GET' || route.method === 'DELETE') {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(rest)) {
        if (v !== undefined && v !== null) q.set(k, String(v));
      }
      url += (url.includes('?') ? '&' : '?') + q.toString();
    } else {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(rest);
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

  async call<C extends Command>(command: C, ...[args]: CallArgs<C>): Promise<ReplyOf<C>> {
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
    return data as ReplyOf<C>;
  }

  async ready(report: { redis: string }): Promise<void> {
    document.body.dataset.ready = report.redis;
  }

  private socket: EventSocket | null = null;

  events(onEvent: (e: ServerEvent) => void, onStatus?: (s: EventStatus) => void): () => void {
    if (!this.socket) {
      const loc = window.location;
      const base = this.base || `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}`;
      this.socket = new EventSocket(eventsUrl(base, this.token), (u) => new WebSocket(u) as unknown as SocketLike);
    }
    const s = this.socket;
    const off = s.subscribe(onEvent, onStatus);
    return () => {
      off();
      if (s.listeners === 0) {
        s.close();
        if (this.socket === s) this.socket = null;
      }
    };
  }
}

/** `ws://host/api/events?token=…` from an http(s) or ws(s) base. */
export function eventsUrl(base: string, token: string | null): string {
  const ws = base.replace(/^http/, 'ws');
  return `${ws}/api/events${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

/** The part of WebSocket the event socket uses (a fake in tests). */
export interface SocketLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(): void;
}

/** Reconnect delays: 250 ms doubling up to 10 s; back to the start once a connection opens. */
export function backoff(attempt: number): number {
  return Math.min(10_000, 250 * 2 ** Math.min(attempt, 6));
}

/** One WebSocket shared by every subscriber, reconnecting with backoff while anyone listens. */
export class EventSocket {
  private handlers = new Set<{ ev: (e: ServerEvent) => void; st?: (s: EventStatus) => void }>();
  private ws: SocketLike | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private closed = false;
  status: EventStatus = 'closed';

  constructor(
    private url: string,
    private open: (url: string) => SocketLike,
    private timers: { set: (fn: () => void, ms: number) => ReturnType<typeof setTimeout>; clear: (t: ReturnType<typeof setTimeout>) => void } = {
      set: (fn, ms) => setTimeout(fn, ms),
      clear: (t) => clearTimeout(t),
    },
  ) {}

  get listeners(): number {
    return this.handlers.size;
  }

  subscribe(ev: (e: ServerEvent) => void, st?: (s: EventStatus) => void): () => void {
    const h = { ev, st };
    this.handlers.add(h);
    this.closed = false;
    if (!this.ws && !this.timer) this.connect();
    st?.(this.status);
    return () => void this.handlers.delete(h);
  }

  close(): void {
    this.closed = true;
    if (this.timer) this.timers.clear(this.timer);
    this.timer = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close();
    this.setStatus('closed');
  }

  private setStatus(s: EventStatus): void {
    if (this.status === s) return;
    this.status = s;
    for (const h of this.handlers) h.st?.(s);
  }

  private connect(): void {
    this.timer = null;
    let ws: SocketLike;
    try {
      ws = this.open(this.url);
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setStatus('open');
    };
    ws.onmessage = (m) => {
      if (typeof m.data !== 'string') return;
      let e: ServerEvent;
      try {
        e = JSON.parse(m.data) as ServerEvent;
      } catch {
        return;
      }
      for (const h of [...this.handlers]) {
        try {
          h.ev(e);
        } catch (err) {
          console.error('event handler failed', err);
        }
      }
    };
    ws.onerror = () => undefined;
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.retry();
    };
  }

  private retry(): void {
    if (this.closed || this.handlers.size === 0) {
      this.setStatus('closed');
      return;
    }
    this.setStatus('reconnecting');
    const delay = backoff(this.attempt++);
    this.timer = this.timers.set(() => this.connect(), delay);
  }
}

/** Desktop: Tauri IPC. Rejections carry the same `{code, message}` as HTTP errors. */
export class TauriTransport implements Transport {
  readonly kind = 'tauri' as const;
  /** Tauri's core API, once loaded: later calls reach the shell in the caller's own turn, so a
   * request goes out before the page's other work for the same click (not after it). */
  private core: typeof import('@tauri-apps/api/core') | null = null;

  private async loadCore(): Promise<typeof import('@tauri-apps/api/core')> {
    return (this.core ??= await import('@tauri-apps/api/core'));
  }

  /** Runs a shell command; a rejection becomes an [`ApiError`] with the shell's code. */
  private async invoke<T>(command: string, args: Args): Promise<T> {
    const { invoke } = this.core ?? (await this.loadCore());
    try {
      return await invoke<T>(command, args);
    } catch (e) {
      const err = e as { code?: string; message?: string } | string;
      if (typeof err === 'string') throw new ApiError('error', err);
      throw new ApiError(err.code ?? 'error', err.message ?? String(e));
    }
  }

  call<C extends Command>(command: C, ...[args]: CallArgs<C>): Promise<ReplyOf<C>> {
    return this.invoke<ReplyOf<C>>(command, (args ?? {}) as Args);
  }

  async ready(report: { redis: string }): Promise<void> {
    document.body.dataset.ready = report.redis;
    const { invoke } = await this.loadCore();
    await invoke('ui_ready', { report });
  }

  async openWindow(profile: string): Promise<void> {
    await this.invoke('open_window', { profile });
  }

  /** Listeners of this window's events, fed by one channel for the page's life. */
  private listeners = new Set<(e: ServerEvent) => void>();
  private feed: Promise<void> | null = null;

  events(onEvent: (e: ServerEvent) => void, onStatus?: (s: EventStatus) => void): () => void {
    this.listeners.add(onEvent);
    // One channel per page: the shell feeds it this window's session events (a connection window
    // has its own). Large payloads cross as IPC fetches, not as evaluated script (WebKitGTK
    // keeps the memory of every script it evaluates).
    this.feed ??= this.loadCore().then(async ({ Channel, invoke }) => {
      const channel = new Channel<ServerEvent>();
      channel.onmessage = (e) => {
        for (const l of [...this.listeners]) {
          try {
            l(e);
          } catch (err) {
            console.error('event handler failed', err);
          }
        }
      };
      await invoke('events_subscribe', { onEvent: channel });
    });
    void this.feed.then(
      () => {
        if (this.listeners.has(onEvent)) onStatus?.('open');
      },
      (e) => {
        console.error('cannot subscribe to events', e);
        this.feed = null;
        onStatus?.('closed');
      },
    );
    return () => {
      this.listeners.delete(onEvent);
    };
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
