// Memory analysis as a user runs it: a full run over seeded trading data, its namespace tree
// expanded level by level with figures checked against Redis (DBSIZE, MEMORY USAGE), a sample
// labelled as extrapolated, and two saved runs compared after a namespace grew in Redis.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resp, launchBrowser, screenshot, seedTradingData, startRedis, startServe, until } from './harness.mjs';

const T = { timeout: 20000 };
let redis, serve, browser, page, r, configDir;
const pageErrors = [];

before(async () => {
  redis = await startRedis();
  r = await Resp.connect(redis.port);
  await seedTradingData(r);
  await r.call('HSET', 'features:BIG:2026-11-24', ...Array.from({ length: 400 }, (_, i) => [`f${i}`, 'x'.repeat(60)]).flat());
  configDir = mkdtempSync(join(tmpdir(), 'redscope-e2e-config-'));
  process.env.REDSCOPE_CONFIG_DIR = configDir;
  serve = await startServe(redis.url);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(serve.url);
  await page.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
  await page.getByTestId('nav-memory').click();
  await until(async () => (await page.getByTestId('page').getAttribute('data-page')) === 'memory', { what: 'memory page' });
});

after(async () => {
  await browser?.close();
  serve?.stop();
  r?.close();
  redis?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

async function analyze(mode, sample) {
  await page.getByTestId('mem-mode').selectOption(mode);
  if (sample) await page.getByTestId('mem-sample').fill(String(sample));
  await page.getByTestId('mem-run').click();
  await page.getByTestId(mode === 'full' ? 'mem-exact' : 'mem-extrapolated').waitFor(T);
}

function nsRow(prefix) {
  return page.locator(`[data-testid=mem-ns-row][data-prefix="${prefix}"]`);
}

test('a full run: totals match Redis, the tree opens level by level, the top key is the big hash', async () => {
  await analyze('full');
  const dbsize = await r.call('DBSIZE');
  assert.match(await page.getByTestId('mem-status').textContent(), new RegExp(`^Full analysis: ${dbsize.toLocaleString('en-US')} keys`));
  // Top level, then two levels down under market:.
  await nsRow('market:').waitFor(T);
  assert.equal(await nsRow('market:ticker:').count(), 0, 'closed until expanded');
  await nsRow('market:').getByTestId('mem-ns-toggle').click();
  await nsRow('market:ticker:').getByTestId('mem-ns-toggle').click();
  const binance = nsRow('market:ticker:binance:');
  await binance.waitFor(T);
  assert.equal(await binance.getByTestId('mem-ns-keys').textContent(), '4');
  // Its bytes are the sum of MEMORY USAGE of its keys, read from Redis here.
  let sum = 0;
  for (const s of ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'XRP/USDT']) sum += await r.call('MEMORY', 'USAGE', `market:ticker:binance:${s}`);
  assert.equal(Number(await binance.getByTestId('mem-ns-bytes').getAttribute('data-bytes')), sum);
  // Collapsing market: hides everything below it.
  await nsRow('market:').getByTestId('mem-ns-toggle').click();
  assert.equal(await nsRow('market:ticker:binance:').count(), 0);
  const top = page.getByTestId('mem-top-memory').locator('tbody tr').first();
  assert.equal(await top.getByTestId('mem-key').textContent(), 'features:BIG:2026-11-24');
  assert.match(await page.getByTestId('mem-ttl').textContent(), /never/);
  await nsRow('market:').getByTestId('mem-ns-toggle').click();
  await screenshot(page, 'memory');
});

test('a sample says it is extrapolated', async () => {
  await analyze('sample', 40);
  const badge = await page.getByTestId('mem-extrapolated').textContent();
  assert.match(badge, /sample of \d+ keys, figures extrapolated ×\d/);
});

test('two saved runs compared show the namespace that grew', async () => {
  await analyze('full');
  await page.getByTestId('mem-save-name').fill('before');
  await page.getByTestId('mem-save').click();
  await page.getByTestId('mem-saved-name').filter({ hasText: 'before' }).waitFor(T);
  for (let i = 0; i < 50; i++) await r.call('SET', `orders:open:${i}`, 'y'.repeat(300));
  await analyze('full');
  await until(async () => /orders:/.test(await page.getByTestId('mem-namespaces').textContent()), { what: 'the new namespace in the second run' });
  await page.getByTestId('mem-save-name').fill('after');
  await page.getByTestId('mem-save').click();
  await page.getByTestId('mem-saved-name').filter({ hasText: 'after' }).waitFor(T);
  const picks = page.getByTestId('mem-saved-pick');
  await picks.nth(0).check();
  await picks.nth(1).check();
  await page.getByTestId('mem-compare').click();
  await page.getByTestId('mem-diff-total').waitFor(T);
  assert.match(await page.getByTestId('mem-diff-total').textContent(), /\+50 keys/);
  const first = page.getByTestId('mem-diff-namespaces').locator('tbody tr').first();
  assert.match(await first.textContent(), /^orders:050\+50/);
  assert.deepEqual(pageErrors, []);
});
