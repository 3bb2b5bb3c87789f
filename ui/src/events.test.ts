import { describe, expect, it } from 'vitest';
import { EventSocket, backoff, eventsUrl, type SocketLike } from './transport';
import type { ServerEvent } from './types';

class FakeSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {}
  close(): void {
    this.closed = true;
  }
  // Test controls.
  open(): void {
    this.onopen?.({});
  }
  send(obj: unknown): void {
    this.onmessage?.({ data: typeof obj === 'string' ? obj : JSON.stringify(obj) });
  }
  drop(): void {
    this.onerror?.({});
    this.onclose?.({});
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number; id: number }[] = [];
  let next = 1;
  const es = new EventSocket(
    'ws://h/api/events?token=t',
    (u) => {
      const s = new FakeSocket(u);
      sockets.push(s);
      return s;
    },
    {
      set: (fn, ms) => {
        const id = next++;
        timers.push({ fn, ms, id });
        return id as unknown as ReturnType<typeof setTimeout>;
      },
      clear: (t) => {
        const i = timers.findIndex((x) => x.id === (t as unknown as number));
        if (i >= 0) timers.splice(i, 1);
      },
    },
  );
  const fire = () => timers.shift()!.fn();
  return { es, sockets, timers, fire };
}

describe('eventsUrl', () => {
  it('turns the page origin into the WebSocket URL with the token', () => {
    expect(eventsUrl('http://127.0.0.1:4000', 'a b')).toBe('ws://127.0.0.1:4000/api/events?token=a%20b');
    expect(eventsUrl('https://x', null)).toBe('wss://x/api/events');
  });
});

describe('EventSocket', () => {
  it('delivers parsed events to every subscriber and ignores malformed frames', () => {
    const { es, sockets } = harness();
    const a: ServerEvent[] = [];
    const b: ServerEvent[] = [];
    es.subscribe((e) => a.push(e));
    es.subscribe((e) => b.push(e));
    expect(sockets).toHaveLength(1);
    expect(sockets[0].url).toBe('ws://h/api/events?token=t');
    sockets[0].open();
    sockets[0].send({ type: 'conn_state', state: 'connected' });
    sockets[0].send('not json');
    sockets[0].send({ type: 'tree_progress', prefix: '', scanned: 5, complete: false });
    expect(a.map((e) => e.type)).toEqual(['conn_state', 'tree_progress']);
    expect(b).toHaveLength(2);
  });

  it('reconnects with growing delays after drops and resets the delay once open', () => {
    const { es, sockets, timers, fire } = harness();
    const states: string[] = [];
    es.subscribe(() => undefined, (s) => states.push(s));
    sockets[0].open();
    sockets[0].drop();
    expect(timers.map((t) => t.ms)).toEqual([250]);
    fire();
    expect(sockets).toHaveLength(2);
    sockets[1].drop(); // never opened
    expect(timers.map((t) => t.ms)).toEqual([500]);
    fire();
    sockets[2].drop();
    expect(timers.map((t) => t.ms)).toEqual([1000]);
    fire();
    sockets[3].open();
    sockets[3].drop();
    expect(timers.map((t) => t.ms)).toEqual([250]);
    expect(states).toEqual(['closed', 'open', 'reconnecting', 'open', 'reconnecting']);
    expect(backoff(20)).toBe(10_000);
  });

  it('stops reconnecting once closed, and closes the socket', () => {
    const { es, sockets, timers } = harness();
    const got: ServerEvent[] = [];
    const off = es.subscribe((e) => got.push(e));
    sockets[0].open();
    off();
    es.close();
    expect(sockets[0].closed).toBe(true);
    sockets[0].drop();
    expect(timers).toHaveLength(0);
    expect(sockets).toHaveLength(1);
    expect(es.status).toBe('closed');
  });
});
