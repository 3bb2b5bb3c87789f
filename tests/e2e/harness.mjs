// Test harness: a private redis-server on a free port, `redscope serve` against it, and headless
// Debian Chromium driven by playwright-core. Everything is torn down by `stop()`.

import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const repo = resolve(here, '..', '..');
export const screenshotDir = join(repo, 'target', 'screenshots');

export function redscopeBin() {
  if (process.env.REDSCOPE_BIN) return process.env.REDSCOPE_BIN;
  const target = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(repo, 'target');
  return join(target, 'debug', 'redscope');
}

export async function freePort() {
  for (;;) {
    const port = await new Promise((ok, fail) => {
      const srv = createServer();
      srv.once('error', fail);
      srv.listen(0, '127.0.0.1', () => {
        const p = srv.address().port;
        srv.close(() => ok(p));
      });
    });
    if (port !== 6379) return port;
  }
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function until(check, { timeoutMs = 10000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

function tcpOpen(port) {
  return new Promise((ok) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      ok(true);
    });
    s.once('error', () => ok(false));
  });
}

export async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'redscope-e2e-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', 'redis.log'], { cwd: dir, stdio: 'ignore' });
  await until(() => tcpOpen(port), { what: `redis-server on ${port}` });
  return {
    port,
    url: `redis://127.0.0.1:${port}/0`,
    stop() {
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function startServe(redisUrl, extraArgs = []) {
  const proc = spawn(redscopeBin(), ['serve', '--bind', '127.0.0.1:0', '--redis', redisUrl, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, REDSCOPE_LOG: 'warn' },
  });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (err += d));
  const url = await until(() => out.match(/serving on (http:\/\/\S+)/)?.[1], { what: `redscope serve to start (stderr: ${err})` });
  const u = new URL(url);
  return { url, origin: u.origin, token: u.searchParams.get('token'), logs: () => err, stop: () => proc.kill('SIGTERM') };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** A minimal binary-safe RESP2 client for seeding and checking Redis from tests. */
export class Resp {
  static async connect(port) {
    const sock = connect(port, '127.0.0.1');
    await new Promise((ok, fail) => {
      sock.once('connect', ok);
      sock.once('error', fail);
    });
    return new Resp(sock);
  }

  constructor(sock) {
    this.sock = sock;
    this.buf = Buffer.alloc(0);
    this.waiting = [];
    sock.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.drain();
    });
  }

  drain() {
    while (this.waiting.length) {
      const r = parseReply(this.buf, 0);
      if (!r) return;
      this.buf = this.buf.subarray(r.end);
      const w = this.waiting.shift();
      if (r.value instanceof Error) w.fail(r.value);
      else w.ok(r.value);
    }
  }

  /** Sends one command (strings or Buffers); resolves with the reply (bulk strings as Buffers). */
  call(...args) {
    const parts = [Buffer.from(`*${args.length}\r\n`)];
    for (const a of args) {
      const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
      parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
    }
    return new Promise((ok, fail) => {
      this.waiting.push({ ok, fail });
      this.sock.write(Buffer.concat(parts));
    });
  }

  /** Like call, with bulk replies as UTF-8 strings. */
  async str(...args) {
    const v = await this.call(...args);
    const conv = (x) => (Buffer.isBuffer(x) ? x.toString('utf8') : Array.isArray(x) ? x.map(conv) : x);
    return conv(v);
  }

  close() {
    this.sock.destroy();
  }
}

function parseReply(buf, at) {
  const nl = buf.indexOf('\r\n', at);
  if (nl < 0) return null;
  const kind = String.fromCharCode(buf[at]);
  const line = buf.toString('utf8', at + 1, nl);
  const next = nl + 2;
  switch (kind) {
    case '+':
      return { value: line, end: next };
    case '-':
      return { value: new Error(line), end: next };
    case ':':
      return { value: Number(line), end: next };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      if (buf.length < next + n + 2) return null;
      return { value: buf.subarray(next, next + n), end: next + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const out = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const r = parseReply(buf, pos);
        if (!r) return null;
        out.push(r.value);
        pos = r.end;
      }
      return { value: out, end: pos };
    }
    default:
      throw new Error(`bad RESP reply type ${kind}`);
  }
}

/** Realistic trading data: tickers, order books, features, a signal buffer, a session hash, a
 * sorted-set time series, a stream with a consumer group, a set, a binary key and cache keys. */
export async function seedTradingData(r) {
  const exchanges = ['binance', 'coinbase', 'kraken'];
  const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT'];
  let px = 1;
  for (const ex of exchanges) {
    for (const s of symbols) {
      px += 1;
      const price = 1000 * px + 0.25;
      await r.call('SET', `market:ticker:${ex}:${s}`, JSON.stringify({ symbol: s, exchange: ex, bid: price - 0.5, ask: price + 0.5, last: price, volume_24h: 1234.5, timestamp: '2026-11-24T09:00:00Z' }), 'PX', 3_600_000);
      await r.call('SET', `market:orderbook:${ex}:${s}`, JSON.stringify({ symbol: s, bids: [[price - 1, 2.5], [price - 2, 4]], asks: [[price + 1, 1.2], [price + 2, 3.3]] }), 'PX', 3_600_000);
    }
  }
  for (const s of symbols) {
    for (const d of ['2026-11-23', '2026-11-24']) {
      await r.call('SET', `features:${s}:${d}`, JSON.stringify({ symbol: s, date: d, rsi_14: 55.2, macd: 0.8, vwap: 42000.1, volatility: 0.031 }), 'EX', 3600);
    }
  }
  for (let i = 0; i < 25; i++) {
    await r.call('LPUSH', 'signals:buffer', JSON.stringify({ type: 'TRADE_SIGNAL', strategy: 'momentum_v2', symbol: symbols[i % 4], side: i % 2 ? 'sell' : 'buy', confidence: 0.5 + i / 100, seq: i }));
  }
  await r.call('LTRIM', 'signals:buffer', 0, 999);
  await r.call('HSET', 'session:monitor:abc123', 'user', 'trader-1', 'theme', 'dark', 'symbols', 'BTC/USDT,ETH/USDT', 'created', '2026-11-24T08:00:00Z');
  await r.call('EXPIRE', 'session:monitor:abc123', 7200);
  const t0 = Date.UTC(2026, 10, 24, 9, 0, 0);
  for (let i = 0; i < 60; i++) await r.call('ZADD', 'ts:BTC/USDT:price', t0 + i * 60_000, `${t0 + i * 60_000}:${(43000 + i * 3.5).toFixed(2)}`);
  await r.call('SADD', 'strategies:active', 'momentum_v2', 'mean_reversion', 'arb_triangular');
  for (let i = 0; i < 30; i++) await r.call('XADD', 'stream:market:ticks', '*', 'symbol', symbols[i % 4], 'price', String(43000 + i), 'qty', '0.5', 'exchange', 'binance');
  await r.call('XGROUP', 'CREATE', 'stream:market:ticks', 'analytics', '0');
  await r.call('XREADGROUP', 'GROUP', 'analytics', 'worker-1', 'COUNT', 3, 'STREAMS', 'stream:market:ticks', '>');
  await r.call('SET', Buffer.from([0x62, 0x69, 0x6e, 0x3a, 0xff, 0x00, 0x6b]), Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37) & 0xff)));
  for (let i = 0; i < 50; i++) await r.call('SET', `cache:backtest:momentum_v2:${i}`, JSON.stringify({ sharpe: 1.2 + i / 100, trades: 100 + i }), 'EX', 86400);
}
