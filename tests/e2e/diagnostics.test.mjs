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

/** True when the server has a client in MONITOR mode (flag O). */
async function monitoring(obs) {
  return /flags=\w*O/.test(await obs.str('CLIENT', 'LIST'));
}

test('MONITOR view: confirmed, live, filterable, stoppable, time-boxed, refused read-only', async () => {
  const obs = await Resp.connect(redis.port);
  const p = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  p.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    await p.goto(`${serve.url}#/diagnostics`);
    await p.getByTestId('mon-none').waitFor(T);
    await p.getByTestId('mon-seconds').fill('120');
    await p.getByTestId('mon-start').click();
    const warning = p.getByTestId('mon-confirm-text');
    await warning.waitFor(T);
    assert.match(await warning.textContent(), /MONITOR copies every command.*120 s.*slows/);
    assert.equal(await monitoring(obs), false, 'nothing attached before confirming');
    await p.getByTestId('mon-confirm').click();
    await until(async () => (await p.getByTestId('mon-status').getAttribute('data-state')) === 'running', { what: 'the session to run' });
    assert.equal(await monitoring(obs), true, 'a MONITOR client is attached');

    const me = (await r.str('CLIENT', 'INFO')).match(/addr=(\S+)/)[1];
    for (let i = 0; i < 5; i++) {
      await r.call('SET', `trade:${i}`, String(i));
      await r.call('GET', `trade:${i}`);
    }
    for (let i = 0; i < 3; i++) await r.call('HSET', 'order:7', 'qty', String(i));
    // 1 CLIENT INFO + 5 SET + 5 GET + 3 HSET from this client.
    const mine = 14;
    // Live lines arrive while the session runs.
    await until(async () => (await p.getByTestId('mon-key').allTextContents()).filter((k) => k === 'order:7').length === 3, { what: 'the HSET lines live' });

    await p.getByTestId('mon-filter-command').fill('set');
    await p.getByTestId('mon-filter-key').fill('trade:');
    await until(async () => (await p.getByTestId('mon-line').count()) === 5 && (await p.getByTestId('mon-cmd').allTextContents()).every((c) => c === 'SET'), { what: 'five SET trade: lines' });
    assert.deepEqual(await p.getByTestId('mon-key').allTextContents(), ['trade:0', 'trade:1', 'trade:2', 'trade:3', 'trade:4']);
    assert.equal(await p.getByTestId('mon-args').nth(4).textContent(), '"trade:4" "4"');

    await p.getByTestId('mon-filter-command').fill('');
    await p.getByTestId('mon-filter-key').fill('');
    await p.getByTestId('mon-filter-client').fill(me);
    await until(async () => (await p.getByTestId('mon-line').count()) === mine, { what: `${mine} lines of this client` });
    assert.ok((await p.getByTestId('mon-client').allTextContents()).every((c) => c === me));
    assert.match(await p.getByTestId('mon-count').textContent(), new RegExp(`^${mine} lines match`));
    await screenshot(p, 'monitor-view');

    await p.getByTestId('mon-stop').click();
    await until(async () => (await p.getByTestId('mon-status').getAttribute('data-state')) === 'stopped', { what: 'the session to stop' });
    await until(async () => !(await monitoring(obs)), { what: 'the MONITOR client to leave' });
    assert.equal(await p.getByTestId('mon-line').count(), mine, 'the lines stay readable');

    // The time box ends a session by itself.
    await p.getByTestId('mon-seconds').fill('2');
    await p.getByTestId('mon-start').click();
    await p.getByTestId('mon-confirm').click();
    await until(async () => (await p.getByTestId('mon-status').getAttribute('data-state')) === 'running', { what: 'the short session' });
    await until(async () => (await p.getByTestId('mon-status').getAttribute('data-state')) === 'finished', { what: 'the time box to end it', timeoutMs: 15000 });
    assert.match(await p.getByTestId('mon-status').textContent(), /Time box of 2 s ended/);
    await until(async () => !(await monitoring(obs)), { what: 'the MONITOR client to leave' });
  } finally {
    await p.close();
  }

  // Read-only mode refuses it, saying why, and attaches nothing.
  const ro = await startServe(redis.url, ['--read-only']);
  const q = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  try {
    await q.goto(`${ro.url}#/diagnostics`);
    await q.getByTestId('mon-start').click();
    const err = q.getByTestId('mon-error');
    await err.waitFor(T);
    assert.match(await err.textContent(), /read-only mode refuses it.*read_only/);
    assert.equal(await monitoring(obs), false);
  } finally {
    await q.close();
    ro.stop();
    obs.close();
  }
  assert.deepEqual(pageErrors, []);
});

/** used_cpu_sys + used_cpu_user of the server, in CPU seconds. */
async function cpuSeconds() {
  const info = await r.str('INFO', 'cpu');
  return ['used_cpu_sys', 'used_cpu_user'].map((f) => Number(info.match(new RegExp(`${f}:([\\d.]+)`))[1])).reduce((a, b) => a + b, 0);
}

test('the dashboard charts the server CPU (seconds per second) from INFO', async () => {
  await page.goto(`${serve.url}#/dashboard`);
  const chart = page.getByTestId('chart-cpu');
  await chart.waitFor(T);
  assert.match(await page.locator('.chart', { has: chart }).locator('.chart-title').textContent(), /Server CPU \(CPU seconds \/ s\)/);
  const last = page.locator('.chart', { has: chart }).locator('.chart-last');
  // sys / user of the newest sample, once there are two samples to take a delta from.
  const values = async () => (await last.textContent()).split(' / ').map(Number);
  await until(async () => (await values()).length === 2 && (await values()).every((v) => Number.isFinite(v)), { what: 'the CPU figures' });
  const before = await cpuSeconds();
  await r.call('EVAL', 'local i = 0 while i < 40000000 do i = i + 1 end return i', '0');
  const used = (await cpuSeconds()) - before;
  assert.ok(used > 0.1, `the script used ${used} CPU s`);
  // The sample covering the script shows its CPU use (spread over at most ~3 s of interval).
  await until(async () => (await values())[1] >= used / 3, { what: `a user CPU figure of at least ${(used / 3).toFixed(2)}`, timeoutMs: 8000, intervalMs: 20 });
  await until(async () => Number(await page.getByTestId('charts').getAttribute('data-samples')) > 2, { what: 'samples' });
  assert.ok((await chart.locator('canvas').count()) > 0, 'a chart is drawn');
  assert.deepEqual(pageErrors, []);
});
