// Trading-aware views against `redscope demo` (the library's own feed) on a private redis-server:
// the candlestick view of an OHLCV series with its raw switch, a metric series with its stats,
// the live quote board of `market:data`, the signal buffer and feature tables, the Services page
// showing the demo's telemetry, and the Findings page with a seeded anti-pattern whose link
// prefills the invalidation page. Saves target/screenshots/<view>.png like the other pages.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Resp, launchBrowser, redscopeBin, screenshot, startRedis, startServe, until } from './harness.mjs';

const T = { timeout: 15000 };
const SYMBOLS = 6;
let redis, serve, browser, page, r, demo;
let demoLog = '';
const pageErrors = [];

async function scan(pattern) {
  const out = [];
  let cursor = '0';
  do {
    const [next, keys] = await r.str('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000);
    out.push(...keys);
    cursor = next;
  } while (cursor !== '0');
  return out.sort();
}

before(async () => {
  redis = await startRedis();
  r = await Resp.connect(redis.port);
  demo = spawn(redscopeBin(), ['demo', '--redis', redis.url, '--rate', '200', '--symbols', String(SYMBOLS)], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, REDSCOPE_LOG: 'warn' } });
  demo.stderr.on('data', (d) => (demoLog += d));
  // A hygiene anti-pattern for the Findings page: tickers written without a TTL.
  for (let i = 0; i < 12; i++) await r.call('SET', `ticker:e2e:NO-TTL-${i}`, '{"price":1}');
  // The demo has run long enough to have bars, latencies, signals, features and telemetry.
  await until(async () => (await scan('ohlcv:*')).length === SYMBOLS && (await r.call('ZCARD', (await scan('ohlcv:*'))[0])) >= 3, { timeoutMs: 20000, what: `demo OHLCV bars (demo stderr: ${demoLog})` });
  await until(async () => (await r.call('LLEN', 'signals:buffer')) > 0 && (await scan('features:*')).length > 0 && (await scan('redscope:clients:*')).length > 0, { timeoutMs: 20000, what: 'demo signals, features and telemetry' });
  serve = await startServe(redis.url);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(serve.url);
  await page.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
});

after(async () => {
  await browser?.close();
  serve?.stop();
  demo?.kill('SIGTERM');
  r?.close();
  redis?.stop();
});

async function go(id) {
  await page.getByTestId(`nav-${id}`).click();
  await until(async () => (await page.getByTestId('page').getAttribute('data-page')) === id, { what: `page ${id}` });
}

async function openKey(key) {
  await go('keys');
  const search = page.getByTestId('key-search');
  await search.fill(key);
  await search.press('Enter');
  const row = page.getByTestId('key-row').first();
  await row.waitFor(T);
  await row.click();
  await until(async () => (await page.getByTestId('key-name').textContent()).startsWith(key), { what: `${key} opened` });
}

test('an OHLCV series opens as candlesticks with volume, and switches to raw and back', async () => {
  const key = (await scan('ohlcv:*'))[0];
  await openKey(key);
  await page.getByTestId('shape-candles').waitFor(T);
  assert.equal(await page.getByTestId('shape-name').textContent(), 'Candles');
  await page.locator('[data-testid=candles-canvas][data-drawn=true]').waitFor(T);
  const bars = Number((await page.getByTestId('candle-count').textContent()).replace(/\D.*$/, ''));
  assert.ok(bars >= 3, `${bars} bars`);
  // The canvas really has candles drawn on it (non-blank pixels in both colours).
  const colours = await page.getByTestId('candles-canvas').evaluate((c) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let green = 0;
    let red = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 1] > 150 && d[i] < 100) green++;
      if (d[i] > 200 && d[i + 1] < 120) red++;
    }
    return { green, red };
  });
  assert.ok(colours.green + colours.red > 50, JSON.stringify(colours));
  await screenshot(page, 'candles');
  await page.getByTestId('shape-raw').click();
  await page.getByTestId('zset-table').waitFor(T);
  await page.getByTestId('shape-back').click();
  await page.getByTestId('shape-candles').waitFor(T);
});

test('a metric series opens as a line chart with its stats', async () => {
  await openKey('ts:latency:stream_publish_ms');
  await page.getByTestId('series-stats').waitFor(T);
  const count = Number((await page.getByTestId('series-count').textContent()).replace(/[^\d]/g, ''));
  assert.ok(count >= 10, `${count} points`);
  assert.match(await page.getByTestId('series-avg').textContent(), /^\d/);
  await page.locator('[data-testid=series-canvas][data-drawn=true]').waitFor(T);
  await screenshot(page, 'series');
});

test('the market stream opens as a live quote board, one row per symbol', async () => {
  await openKey('market:data');
  await page.getByTestId('shape-quotes').waitFor(T);
  const rows = page.getByTestId('quote-board').locator('tbody tr');
  await until(async () => (await rows.count()) === SYMBOLS, { what: `${SYMBOLS} symbols on the board` });
  const symbols = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.symbol));
  assert.deepEqual(symbols, [...symbols].sort());
  assert.ok(symbols.includes('BTC-USDT'), symbols.join(','));
  // Live: the last id of a symbol moves on while the demo publishes.
  const lastId = async () => page.locator('[data-testid=quote-board] tr[data-symbol=BTC-USDT]').getAttribute('data-last-id');
  const before = await lastId();
  await until(async () => (await lastId()) !== before, { timeoutMs: 8000, what: 'the quote board to update' });
  await screenshot(page, 'quote-board');
});

test('the signal buffer and feature vectors open as tables', async () => {
  await openKey('signals:buffer');
  await page.getByTestId('signals-table').waitFor(T);
  const head = await page.getByTestId('signals-table').locator('th').allTextContents();
  assert.ok(head.includes('symbol'), head.join(','));
  assert.ok((await page.getByTestId('signals-table').locator('tbody tr').count()) >= 1);
  await screenshot(page, 'signals');
  const fkey = (await scan('features:*')).at(-1);
  await openKey(fkey);
  await page.getByTestId('features-table').waitFor(T);
  assert.ok((await page.getByTestId('features-table').locator('tbody tr').count()) >= 3);
  await screenshot(page, 'features');
});

test('the Services page shows the demo with its hit rates and figures, live', async () => {
  await go('services');
  const card = page.locator('[data-testid=service][data-service=redscope-demo]');
  await card.waitFor(T);
  assert.equal(await card.getAttribute('data-status'), 'live');
  assert.equal(await card.getByTestId('service-status').textContent(), 'live');
  const rates = await card.locator('[data-testid^=hit-rate-]').count();
  assert.ok(rates >= 2, `${rates} data types`);
  await card.getByTestId('breaker-demo').waitFor(T);
  assert.match(await card.getByTestId('breaker-demo').textContent(), /closed/);
  assert.match(await card.getByTestId('service-group').textContent(), /market:data \/ demo-analytics/);
  assert.match(await page.getByTestId('services-count').textContent(), /^1 live/);
  await screenshot(page, 'services');
});

test('the Findings page lists the seeded anti-pattern and links to keys and invalidation', async () => {
  await go('findings');
  const noTtl = page.locator('[data-testid=finding][data-kind=no_ttl]').first();
  await noTtl.waitFor(T);
  assert.match(await noTtl.textContent(), /ticker:\*/);
  assert.ok(Number(await noTtl.getByTestId('finding-count').textContent()) >= 12);
  await page.locator('[data-testid=finding][data-kind=no_eviction]').waitFor(T);
  await screenshot(page, 'findings');
  // A key chip opens the key browser on that key.
  const chip = noTtl.getByTestId('finding-key').first();
  const name = await chip.textContent();
  await chip.click();
  await until(async () => (await page.getByTestId('key-name').textContent()).startsWith(name), { what: `${name} opened from a finding` });
  // The invalidation link prefills the pattern and previews it.
  await go('findings');
  await page.locator('[data-testid=finding][data-kind=no_ttl]').first().getByTestId('finding-invalidate').click();
  await until(async () => (await page.getByTestId('page').getAttribute('data-page')) === 'invalidate', { what: 'invalidate page' });
  assert.equal(await page.getByTestId('inv-value').inputValue(), 'ticker:*');
  await page.getByTestId('inv-count').waitFor(T);
  assert.ok(Number((await page.getByTestId('inv-count').textContent()).replace(/\D/g, '')) >= 12);
  // The full scan runs as a job and ends with a report.
  await go('findings');
  await page.getByTestId('findings-full').click();
  await until(async () => /Full scan: \d+/.test(await page.getByTestId('findings-status').textContent()), { what: 'the full scan to finish' });
  assert.deepEqual(pageErrors, []);
});
