// Diagnostics as a user meets them: hot keys on a server without an LFU policy ask before running
// the costly MONITOR sample, then show the keys and commands used while it ran (checked against
// what the test sent to Redis); a slow script shows up as a latency event with its chart; the
// full INFO is searchable, the slowlog is a chart over time, and the dashboard lists keys per
// database as Redis counts them.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Resp, launchBrowser, screenshot, startRedis, startServe, until } from './harness.mjs';

const T = { timeout: 20000 };
let redis, serve, browser, page, r;
const pageErrors = [];

before(async () => {
  redis = await startRedis();
  r = await Resp.connect(redis.port);
  serve = await startServe(redis.url);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(serve.url);
  await page.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
  await page.getByTestId('nav-diagnostics').click();
  await until(async () => (await page.getByTestId('page').getAttribute('data-page')) === 'diagnostics', { what: 'diagnostics page' });
});

after(async () => {
  await browser?.close();
  serve?.stop();
  r?.close();
  redis?.stop();
});

test('hot keys without LFU: the MONITOR sample runs only when confirmed and counts what was sent', async () => {
  await page.getByTestId('hot-seconds').fill('4');
  await page.getByTestId('hot-run').click();
  const warning = page.getByTestId('hot-confirm-text');
  await warning.waitFor(T);
  assert.match(await warning.textContent(), /noeviction.*MONITOR.*slows the server/);
  assert.equal(await page.getByTestId('hot-status').textContent(), '', 'nothing ran before confirming');
  await page.getByTestId('hot-confirm').click();
  await page.getByTestId('hot-costly').waitFor(T);
  for (let i = 0; i < 60; i++) {
    await r.call('SET', 'ticker:BTC', String(i));
    await r.call('GET', 'ticker:BTC');
  }
  for (let i = 0; i < 15; i++) await r.call('HSET', 'book:ETH', 'bid', String(i));
  await until(async () => (await page.getByTestId('hot-status').getAttribute('data-state')) === 'done', { what: 'the sample to end', timeoutMs: 20000 });
  const keys = page.getByTestId('hot-key');
  assert.equal(await keys.nth(0).textContent(), 'ticker:BTC');
  assert.equal(await page.getByTestId('hot-count').nth(0).textContent(), '120');
  assert.equal(await keys.nth(1).textContent(), 'book:ETH');
  assert.equal(await page.getByTestId('hot-count').nth(1).textContent(), '15');
  const commands = await page.getByTestId('hot-command').allTextContents();
  for (const c of ['set', 'get', 'hset']) assert.ok(commands.includes(c), commands.join(','));
  await screenshot(page, 'hotkeys');
});

test('a slow script is a latency event with a chart and the doctor report', async () => {
  await r.call('CONFIG', 'SET', 'latency-monitor-threshold', '1');
  await r.call('EVAL', 'local i = 0 while i < 3000000 do i = i + 1 end return i', '0');
  await page.getByTestId('latency-refresh').click();
  const ev = page.locator('[data-testid=latency-event][data-event=command]');
  await ev.waitFor(T);
  assert.equal(await ev.locator('canvas').count() > 0, true, 'a chart is drawn');
  assert.match(await page.getByTestId('latency-doctor').textContent(), /command/);
});

test('INFO is searchable, the slowlog is a chart, the dashboard counts keys per database', async () => {
  await page.goto(`${serve.url}#/server?tab=info`);
  await page.getByTestId('info-search').fill('maxmemory_pol');
  await until(async () => (await page.getByTestId('info-field').allTextContents()).join() === 'maxmemory_policy', { what: 'one INFO field' });
  assert.equal(await page.getByTestId('info-value').first().textContent(), 'noeviction');
  await page.getByTestId('info-search').fill('zzz-no-such-field');
  await page.getByTestId('info-none').waitFor(T);

  await r.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
  for (let i = 0; i < 5; i++) await r.call('SET', `slow:${i}`, 'x');
  await r.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
  await page.getByTestId('tab-slowlog').click();
  const chart = page.getByTestId('slowlog-chart');
  await chart.waitFor(T);
  const entries = await r.call('SLOWLOG', 'LEN');
  assert.equal(Number(await chart.getAttribute('data-points')), entries);
  await until(async () => (await chart.locator('canvas').count()) > 0, { what: 'the slowlog chart' });

  await r.call('SELECT', '3');
  for (let i = 0; i < 7; i++) await r.call('SET', `db3:${i}`, 'x');
  await r.call('SELECT', '0');
  await page.getByTestId('nav-dashboard').click();
  const row = page.getByTestId('db-keys-table').locator('tr', { hasText: 'db3' });
  await row.waitFor(T);
  assert.equal(await row.getByTestId('db-count').textContent(), '7');
  const db0 = await r.call('DBSIZE');
  assert.equal(await page.getByTestId('db-keys-table').locator('tr', { hasText: 'db0' }).getByTestId('db-count').textContent(), db0.toLocaleString('en-US'));
  assert.deepEqual(pageErrors, []);
});
