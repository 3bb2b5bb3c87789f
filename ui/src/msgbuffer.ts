// The channel monitor's message buffer: a bounded list of recent messages (newest first) that
// can be paused without losing counts, with per-channel counts and rates over a sliding window.

import type { Message } from './types';

export interface ChannelCount {
  channel: string;
  count: number;
  /** Messages per second over the last `windowS` seconds. */
  rate: number;
}

export class MessageBuffer {
  private items: Message[] = [];
  private held: Message[] = [];
  private counts = new Map<string, number>();
  private buckets = new Map<string, Map<number, number>>();
  paused = false;
  /** Messages that fell out of the buffer (its capacity) or were dropped by the server. */
  dropped = 0;
  total = 0;

  constructor(
    readonly capacity = 10_000,
    readonly windowS = 10,
  ) {}

  /** Adds a batch (oldest first, as it arrives); while paused it is held back, but counted. */
  push(batch: Message[], now = Date.now()): void {
    const sec = Math.floor(now / 1000);
    for (const m of batch) {
      this.total++;
      this.counts.set(m.channel, (this.counts.get(m.channel) ?? 0) + 1);
      let b = this.buckets.get(m.channel);
      if (!b) this.buckets.set(m.channel, (b = new Map()));
      b.set(sec, (b.get(sec) ?? 0) + 1);
    }
    if (this.paused) {
      this.held.push(...batch);
      if (this.held.length > this.capacity) {
        this.dropped += this.held.length - this.capacity;
        this.held.splice(0, this.held.length - this.capacity);
      }
    } else this.add(batch);
  }

  /** Counts messages the server dropped from view. */
  addDropped(n: number): void {
    this.dropped += n;
  }

  private add(batch: Message[]): void {
    if (batch.length === 0) return;
    this.items = batch.slice().reverse().concat(this.items);
    if (this.items.length > this.capacity) {
      this.dropped += this.items.length - this.capacity;
      this.items.length = this.capacity;
    }
  }

  pause(): void {
    this.paused = true;
  }

  /** Resumes and shows what arrived meanwhile. */
  resume(): void {
    this.paused = false;
    const held = this.held;
    this.held = [];
    this.add(held);
  }

  /** Messages held back while paused. */
  get pending(): number {
    return this.held.length;
  }

  /** The visible messages, newest first. */
  view(): readonly Message[] {
    return this.items;
  }

  clear(): void {
    this.items = [];
    this.held = [];
    this.counts.clear();
    this.buckets.clear();
    this.dropped = 0;
    this.total = 0;
  }

  /** Per-channel counts and rates, busiest first. */
  stats(now = Date.now()): ChannelCount[] {
    const sec = Math.floor(now / 1000);
    const out: ChannelCount[] = [];
    for (const [channel, count] of this.counts) {
      const b = this.buckets.get(channel)!;
      let inWindow = 0;
      for (const [s, n] of b) {
        if (s <= sec - this.windowS) b.delete(s);
        else inWindow += n;
      }
      out.push({ channel, count, rate: inWindow / this.windowS });
    }
    return out.sort((a, b) => b.count - a.count || a.channel.localeCompare(b.channel));
  }
}

/** A message's payload decoded as JSON when possible (the server's `json` first). */
export function messageJson(m: Message): unknown {
  if (m.json !== undefined && m.json !== null) return m.json;
  if (m.payload.binary) return undefined;
  const t = m.payload.text.trim();
  if (!t.startsWith('{') && !t.startsWith('[')) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}
