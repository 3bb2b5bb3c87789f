// Walks every page as a user would, against `redscope serve` and a private redis-server seeded
// with trading data: namespaces and a key of each type, a hash edit checked in Redis, a message
// published and seen in the monitor, a stream entry appearing in the live tail, a dry-run and a
// real invalidation checked in Redis, and the server tools. Saves target/screenshots/<page>.png.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Resp, launchBrowser, screenshot, seedTradingData, startRedis, startServe, until } from './harness.mjs';

const T = { timeout: 15000 };
let redis, serve, browser, page, r;
const pageErrors = [];

before(async () => {
  redis = await startRedis();
  r = await Resp.connect(redis.port);
  await seedTradingData(r);
  serve = await startServe(redis.url);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  // The server's Content-Security-Policy must not block anything the UI does.
  page.on('console', (m) => /Content Security Policy/i.test(m.text()) && pageErrors.push(m.text()));
  if (process.env.E2E_DEBUG) {
    page.on('websocket', (ws) => ws.on('framereceived', (f) => !String(f.payload).includes('"metrics"') && console.log('WS', String(f.payload).slice(0, 200))));
    page.on('response', async (res) => res.url().includes('/api/') && !res.url().includes('health') && console.log('HTTP', res.request().method(), res.url().replace(/token=[^&]+/, ''), res.status()));
  }
  const res = await page.goto(serve.url);
  assert.match(res.headers()['content-security-policy'] ?? '', /frame-ancestors 'none'/);
  await page.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
});

after(async () => {
  await browser?.close();
  serve?.stop();
  r?.close();
  redis?.stop();
});

async function go(id) {
  await page.getByTestId(`nav-${id}`).click();
  await until(async () => (await page.getByTestId('page').getAttribute('data-page')) === id, { what: `page ${id}` });
}

/** Searches the key list for an exact key and opens it. */
async function openKey(pattern) {
  const search = page.getByTestId('key-search');
  await search.fill(pattern);
  await search.press('Enter');
  const row = page.getByTestId('key-row').first();
  await row.waitFor(T);
  await row.click();
  await page.getByTestId('key-type').waitFor(T);
}

test('dashboard: server facts, charts for every metric, ranges', async () => {
  await go('dashboard');
  assert.match(await page.getByTestId('fact-version').textContent(), /^7\.\d+/);
  assert.equal(await page.getByTestId('fact-role').textContent(), 'master');
  for (const c of ['hit', 'mem', 'ops', 'clients', 'evict', 'net', 'cpu']) {
    await page.getByTestId(`chart-${c}`).locator('canvas').waitFor(T);
  }
  await page.getByTestId('range-3600').click();
  await until(async () => (await page.getByTestId('range-3600').getAttribute('class')).includes('on'), { what: '1 h range selected' });
  await page.getByTestId('range-300').click();
  // The sampler's history arrives, then live `metrics` events keep adding samples (one a second).
  const drawn = async () => Number(await page.getByTestId('charts').getAttribute('data-samples'));
  await until(async () => (await drawn()) >= 1, { timeoutMs: 20000, what: 'a metrics sample' });
  const first = await drawn();
  await until(async () => (await drawn()) >= first + 2, { timeoutMs: 20000, what: 'live metrics events' });
  assert.match(await page.locator('.chart', { has: page.getByTestId('chart-clients') }).locator('.chart-last').textContent(), /^\d+$/, 'the clients chart shows its latest value');
  await page.getByTestId('alerts').locator('.badge').first().waitFor(T);
  await screenshot(page, 'dashboard');
});

test('keys: namespace tree with counts, and a key of each type', async () => {
  await go('keys');
  const market = page.getByTestId('tree-folder').filter({ hasText: 'market' });
  await market.waitFor(T);
  // 3 exchanges x 4 symbols, tickers and order books.
  assert.equal(await market.getByTestId('tree-count').textContent(), '24');
  await market.click();
  await page.getByTestId('tree-folder').filter({ hasText: 'ticker' }).waitFor(T);
  await until(async () => (await page.getByTestId('key-row').count()) > 0, { what: 'keys under market:' });
  assert.equal(await page.getByTestId('key-search').inputValue(), 'market:*');
  // The key clicked is the one highlighted in the list, and only it.
  const rows = page.getByTestId('key-row');
  for (const i of [0, 1]) {
    const name = await rows.nth(i).getAttribute('data-key');
    await rows.nth(i).click();
    await until(async () => (await page.getByTestId('key-name').textContent()).startsWith(name), { what: `${name} opened` });
    await until(async () => (await page.locator('.key-row.selected').count()) === 1 && (await page.locator('.key-row.selected').getAttribute('data-key')) === name, { what: `${name} highlighted` });
  }

  await openKey('market:ticker:binance:BTC/USDT');
  assert.equal(await page.getByTestId('key-type').textContent(), 'string');
  await page.getByTestId('json-view').waitFor(T);
  assert.match(await page.getByTestId('json-view').textContent(), /"symbol"/);
  assert.match(await page.getByTestId('key-ttl').textContent(), /TTL (\d+m|\d+h)/);

  const kinds = [
    ['session:monitor:abc123', 'hash', 'hash-table'],
    ['signals:buffer', 'list', 'list-table'],
    ['strategies:active', 'set', 'set-table'],
    ['ts:BTC/USDT:price', 'zset', 'zset-table'],
    ['stream:market:ticks', 'stream', 'stream-table'],
  ];
  for (const [key, type, table] of kinds) {
    await openKey(key);
    await until(async () => (await page.getByTestId('key-name').textContent()).startsWith(key), { what: `${key} opened` });
    assert.equal(await page.getByTestId('key-type').textContent(), type, key);
    // Library data shapes (signal buffer, ts: series) open in their own view; switch to raw.
    const raw = page.getByTestId(table);
    await until(async () => (await raw.count()) > 0 || (await page.getByTestId('shape-raw').count()) > 0, { what: `${key} view` });
    if (!(await raw.count())) await page.getByTestId('shape-raw').click();
    await raw.waitFor(T);
  }
  assert.equal(await page.getByTestId('list-table').count(), 0);

  // The binary key: shown escaped, its value as hex.
  await openKey('bin:*');
  assert.match(await page.getByTestId('key-name').textContent(), /bin:\\xff\\x00k/);
  await page.getByTestId('hex-view').waitFor(T);
  assert.match(await page.getByTestId('hex-view').textContent(), /^00000000  00 25 4a 6f/);
});

test('keys: editing a hash field writes it to Redis', async () => {
  await openKey('session:monitor:abc123');
  const row = page.locator('tr[data-field="theme"]');
  await row.waitFor(T);
  await row.getByTestId('hash-edit').click();
  await page.getByTestId('prompt-input').fill('light');
  await page.getByTestId('prompt-ok').click();
  await until(async () => (await r.str('HGET', 'session:monitor:abc123', 'theme')) === 'light', { what: 'HSET in Redis' });
  await until(async () => (await page.locator('tr[data-field="theme"]').textContent()).includes('light'), { what: 'the edited value shown' });
  // The edit kept the session's TTL.
  assert.ok((await r.call('TTL', 'session:monitor:abc123')) > 0);
  await screenshot(page, 'keys');
});

test('keys: deleting asks for confirmation first', async () => {
  await r.call('SET', 'tmp:delete-me', 'x');
  await openKey('tmp:delete-me');
  await page.getByTestId('key-delete').click();
  await page.getByTestId('confirm-dialog').waitFor(T);
  await page.getByTestId('confirm-cancel').click();
  assert.equal(await r.call('EXISTS', 'tmp:delete-me'), 1);
  await page.getByTestId('key-delete').click();
  await page.getByTestId('confirm-ok').click();
  await until(async () => (await r.call('EXISTS', 'tmp:delete-me')) === 0, { what: 'key deleted' });
});

test('streams: entries, groups, pending and a live tail', async () => {
  await go('streams');
  await page.getByTestId('stream-item').filter({ hasText: 'stream:market:ticks' }).click();
  await page.getByTestId('entries-table').waitFor(T);
  await until(async () => (await page.getByTestId('stream-entry').count()) === 30, { what: '30 entries' });
  assert.equal(await page.getByTestId('stream-length').textContent(), '30');
  await page.getByTestId('groups-table').filter({ hasText: 'analytics' }).waitFor(T);
  await page.getByTestId('group-pending').click();
  await page.getByTestId('pending-table').waitFor(T);
  assert.equal(await page.getByTestId('pending-table').locator('tbody tr').count(), 3);

  await page.getByTestId('tail-toggle').click();
  await page.getByTestId('tail-state').filter({ hasText: 'tailing' }).waitFor(T);
  const id = (await r.call('XADD', 'stream:market:ticks', '*', 'symbol', 'BTC/USDT', 'price', '99999.5', 'qty', '1')).toString();
  await page.locator(`[data-testid=stream-entry][data-id="${id}"]`).waitFor(T);
  assert.match(await page.getByTestId('stream-entry').first().textContent(), /99999\.5/);
  await screenshot(page, 'streams');
  await page.getByTestId('tail-toggle').click();
});

test('channels: subscribe, publish, see the message with counts', async () => {
  await go('channels');
  await page.getByTestId('preset-trading:signals').click();
  await page.getByTestId('preset-trading:*').click();
  assert.equal(await page.getByTestId('sub-channels').inputValue(), 'trading:signals');
  await page.getByTestId('subscribe').click();
  await page.getByTestId('stats-table').waitFor(T);
  await page.getByTestId('pub-channel').fill('trading:signals');
  await page.getByTestId('pub-message').fill('{"type":"TRADE_SIGNAL","symbol":"BTC/USDT","side":"buy","confidence":0.87}');
  await page.getByTestId('publish').click();
  await page.getByTestId('pub-result').filter({ hasText: 'delivered' }).waitFor(T);
  // From another client too (a Python service would publish like this).
  await r.call('PUBLISH', 'trading:alerts', JSON.stringify({ type: 'RISK_ALERT', severity: 'high', message: 'drawdown 5%' }));
  await page.getByTestId('message').filter({ hasText: 'confidence' }).first().waitFor(T);
  await page.getByTestId('message').filter({ hasText: 'RISK_ALERT' }).first().waitFor(T);
  await page.getByTestId('message').filter({ hasText: 'RISK_ALERT' }).first().click();
  await page.getByTestId('msg-detail').locator('.json').waitFor(T);
  await until(async () => /trading:signals/.test(await page.getByTestId('stats-table').textContent()), { what: 'per-channel counts' });
  // Pausing holds new messages back until resumed.
  await page.getByTestId('pause').click();
  await r.call('PUBLISH', 'trading:orders', '{"type":"ORDER_UPDATE","status":"filled"}');
  await page.getByTestId('monitor-status').filter({ hasText: 'held' }).waitFor(T);
  assert.equal(await page.getByTestId('message').filter({ hasText: 'ORDER_UPDATE' }).count(), 0);
  await page.getByTestId('pause').click();
  await page.getByTestId('message').filter({ hasText: 'ORDER_UPDATE' }).first().waitFor(T);
  await screenshot(page, 'channels');
  await page.getByTestId('unsubscribe').click();
});

test('invalidate: dry run previews, the real run deletes after confirmation', async () => {
  await go('invalidate');
  await page.getByTestId('inv-value').fill('cache:backtest:*');
  await page.getByTestId('inv-dry-run').click();
  await page.getByTestId('inv-count').filter({ hasText: '50' }).waitFor(T);
  assert.ok((await page.getByTestId('inv-sample').locator('li').count()) > 0);
  const left = async () => (await r.str('SCAN', 0, 'MATCH', 'cache:backtest:*', 'COUNT', 10000))[1].length;
  assert.equal(await left(), 50, 'a dry run deletes nothing');
  await page.getByTestId('inv-run').click();
  await page.getByTestId('confirm-dialog').waitFor(T);
  await page.getByTestId('confirm-ok').click();
  await page.getByTestId('job-state').filter({ hasText: 'done' }).waitFor({ timeout: 30000 });
  assert.equal(await page.getByTestId('job-deleted').textContent(), '50');
  assert.equal(await left(), 0);
  assert.equal(await r.call('EXISTS', 'market:ticker:binance:BTC/USDT'), 1, 'other keys are untouched');
  await screenshot(page, 'invalidate');
});

test('server: slowlog, clients, config and the console', async () => {
  await go('server');
  await page.getByTestId('tab-slowlog').click();
  await page.locator('[data-testid=slowlog-table], [data-testid=slowlog-empty]').first().waitFor(T);
  await page.getByTestId('tab-clients').click();
  await page.getByTestId('clients-table').waitFor(T);
  assert.ok((await page.getByTestId('clients-table').locator('tbody tr').count()) >= 2);
  await page.getByTestId('tab-config').click();
  await page.getByTestId('config-filter').fill('maxmemory-policy');
  await page.getByTestId('config-filter').press('Enter');
  await page.getByTestId('config-table').filter({ hasText: 'noeviction' }).waitFor(T);
  await page.getByTestId('tab-console').click();
  const input = page.getByTestId('console-input');
  await input.fill('HGET session:monitor:abc123 theme');
  await input.press('Enter');
  await page.getByTestId('console-reply').filter({ hasText: 'light' }).waitFor(T);
  await input.fill('LLEN signals:buffer');
  await input.press('Enter');
  await page.getByTestId('console-reply').filter({ hasText: '(integer) 25' }).waitFor(T);
  await input.press('ArrowUp');
  assert.equal(await input.inputValue(), 'LLEN signals:buffer');
  // A dangerous command asks first; cancelling leaves the data alone.
  await input.fill('FLUSHDB');
  await input.press('Enter');
  await page.getByTestId('confirm-dialog').waitFor(T);
  await page.getByTestId('confirm-cancel').click();
  assert.ok((await r.call('DBSIZE')) > 0);
  await screenshot(page, 'server');
});

test('connections dialog and keyboard shortcuts', async () => {
  await page.keyboard.press('g');
  await page.keyboard.press('k');
  await until(async () => (await page.getByTestId('page').getAttribute('data-page')) === 'keys', { what: 'g k goes to Keys' });
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'key-search');
  await page.keyboard.press('Escape');
  await page.getByTestId('open-connections').click();
  await page.getByTestId('connections').waitFor(T);
  await page.getByTestId('profile-url').fill(redis.url);
  await page.getByTestId('profile-name').fill('e2e-local');
  await page.getByTestId('profile-test').click();
  await page.getByTestId('profile-test-result').filter({ hasText: /OK|Failed/ }).waitFor(T);
  assert.match(await page.getByTestId('profile-test-result').textContent(), /OK · Redis 7/);
  await screenshot(page, 'connections');
  await page.getByTestId('connections-close').click();
  // `t` switches between the light and dark themes.
  const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
  const before = await theme();
  await page.keyboard.press('t');
  assert.notEqual(await theme(), before);
  await page.keyboard.press('g');
  await page.keyboard.press('d');
  await page.getByTestId('chart-hit').locator('canvas').waitFor(T);
  await screenshot(page, `dashboard-${await theme()}`);
  assert.deepEqual(pageErrors, []);
});

test('read-only mode: the badge shows and an edit is refused with a readable error', async () => {
  const ro = await startServe(redis.url, ['--read-only']);
  try {
    const p = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await p.goto(ro.url + '#/keys');
    await p.getByTestId('read-only').waitFor(T);
    const search = p.getByTestId('key-search');
    await search.fill('session:monitor:abc123');
    await search.press('Enter');
    await p.getByTestId('key-row').first().click();
    const row = p.locator('tr[data-field="user"]');
    await row.waitFor(T);
    await row.getByTestId('hash-edit').click();
    await p.getByTestId('prompt-input').fill('intruder');
    await p.getByTestId('prompt-ok').click();
    const err = p.getByTestId('toast-error').first();
    await err.waitFor(T);
    assert.match(await err.textContent(), /read.only/i);
    assert.doesNotMatch(await err.textContent(), /[{}]/, 'no raw JSON');
    assert.equal(await r.str('HGET', 'session:monitor:abc123', 'user'), 'trader-1');
    await p.close();
  } finally {
    ro.stop();
  }
});
