// A million keys: the namespace tree reports its scan and ends with exact counts, and the key list
// stays a few dozen DOM rows however far it is scrolled, loading pages as it goes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Resp, launchBrowser, screenshot, startRedis, startServe, until } from './harness.mjs';

const N = 1_000_000;
let redis, serve, browser, r;

before(async () => {
  redis = await startRedis();
  r = await Resp.connect(redis.port);
  // 1M small keys in 10 namespaces, written server-side in batches (a few seconds).
  const script = "for i = tonumber(ARGV[1]), tonumber(ARGV[2]) do redis.call('SET', 'bulk:' .. (i % 10) .. ':' .. i, i) end return 1";
  for (let from = 0; from < N; from += 100_000) await r.call('EVAL', script, 0, from, from + 99_999);
  assert.equal(await r.call('DBSIZE'), N);
  serve = await startServe(redis.url);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  serve?.stop();
  r?.close();
  redis?.stop();
});

test('a million keys: exact tree counts, and a virtual list that never grows in the DOM', { timeout: 120_000 }, async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(serve.url);
  await page.getByTestId('nav-keys').click();
  const bulk = page.getByTestId('tree-folder').filter({ hasText: 'bulk' });
  await bulk.waitFor({ timeout: 60_000 });
  await until(async () => (await page.getByTestId('tree-status').textContent()) === '1,000,000 keys', { timeoutMs: 60_000, intervalMs: 200, what: 'the full scan' });
  assert.equal(await bulk.getByTestId('tree-count').textContent(), '1,000,000');
  await bulk.click();
  await until(async () => (await page.getByTestId('tree-folder').count()) === 11, { what: '10 sub-namespaces' });
  // Counts grow ("3,626+") while the level is scanned, then settle on the exact numbers.
  const counts = () => page.getByTestId('tree-folder').evaluateAll((rows) => rows.slice(1).map((r) => `${r.querySelector('.tree-name')?.textContent}=${r.querySelector('.count')?.textContent}`).join(' '));
  const exact = Array.from({ length: 10 }, (_, i) => `${i}=100,000`).join(' ');
  await until(async () => (await counts()) === exact, { timeoutMs: 60_000, intervalMs: 200, what: `exact sub-namespace counts (now ${await counts()})` });

  const list = page.locator('.key-list');
  await page.getByTestId('key-row').first().waitFor();
  let loaded = 0;
  for (let i = 0; i < 15; i++) {
    await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.waitForTimeout(150);
    loaded = Number((await page.getByTestId('list-status').textContent()).replace(/[^\d]/g, ''));
  }
  assert.ok(loaded >= 3000, `pages were loaded while scrolling (${loaded})`);
  const rows = await page.getByTestId('key-row').count();
  assert.ok(rows > 10 && rows < 100, `only the visible rows are in the DOM (${rows})`);
  // The rows in view get their type from keys_meta.
  await until(async () => (await page.getByTestId('key-row').last().locator('.type-badge').textContent()) === 'string', { what: 'meta for visible rows' });
  await screenshot(page, 'keys-1m');
});
