// The key browser as a daily driver, clicked as a person would against `redscope serve` and a
// private redis-server, each step checked in Redis: string editing (text with JSON formatting,
// hex for binary), gzip text shown as text, list removal of n occurrences, copy/download of the
// whole value, the database picker, separators, MEMORY USAGE, and the new-key dialog.
// Saves target/screenshots/new-key.png.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { deflateSync, gzipSync } from 'node:zlib';
import { Resp, launchBrowser, screenshot, startRedis, startServe, until } from './harness.mjs';

const T = { timeout: 15000 };
let redis, serve, browser, page, r;
const pageErrors = [];

before(async () => {
  redis = await startRedis();
  r = await Resp.connect(redis.port);
  await r.call('SET', 'doc:json', '{"a":1,"b":[1,2]}', 'EX', 3600);
  await r.call('SET', 'doc:bin', Buffer.from([0x00, 0xff, 0x10, 0x80]));
  await r.call('SET', 'doc:gz', gzipSync(Buffer.from('hello compressed world')));
  await r.call('RPUSH', 'doc:list', 'a', 'b', 'a', 'a');
  const fields = [];
  for (let i = 0; i < 250; i++) fields.push(`f${i}`, `v${i}`);
  await r.call('HSET', 'doc:hash', ...fields);
  await r.call('SET', 'doc:big', Buffer.alloc(1_500_000, 0x61));
  await r.call('SET', 'ns/a:1', 'x');
  await r.call('SET', 'ns/b', 'x');
  await r.call('SET', 'fmt:zlib', deflateSync(Buffer.from('{"sym":"BTC","px":42000.5}')));
  await r.call('SET', 'fmt:other', 'plain text');
  // pickle.dumps(collections.OrderedDict(a=1), protocol=2): read, never run.
  await r.call('SET', 'py:pickle', Buffer.from('800263636f6c6c656374696f6e730a4f726465726564446963740a71002952710158010000006171024b01732e', 'hex'));
  await r.call('HSET', 'fmt:hash', 'packed', gzipSync(Buffer.from('inside the field')));
  await r.call('SADD', 'ed:set', 'a', 'b');
  await r.call('ZADD', 'ed:z', '1', 'x', '2', 'y');
  await r.call('SELECT', 2);
  await r.call('SET', 'only:in:two', 'x');
  await r.call('SELECT', 0);
  serve = await startServe(redis.url);
  browser = await launchBrowser();
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'], acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(serve.url);
  await page.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
  await page.getByTestId('nav-keys').click();
  await page.getByTestId('key-search').waitFor(T);
});

after(async () => {
  await browser?.close();
  serve?.stop();
  r?.close();
  redis?.stop();
  assert.deepEqual(pageErrors, []);
});

async function openKey(pattern) {
  const search = page.getByTestId('key-search');
  await search.fill(pattern);
  await search.press('Enter');
  const row = page.getByTestId('key-row').filter({ hasText: pattern.replace('*', '') }).first();
  await row.waitFor(T);
  await row.click();
  await until(async () => (await page.getByTestId('key-name').textContent()).startsWith(pattern.replace('*', '')), { what: `${pattern} opened` });
}

test('a JSON string is edited in place, formatted, and saved with its TTL', async () => {
  await openKey('doc:json');
  await page.getByTestId('json-view').waitFor(T);
  await page.getByTestId('string-edit').click();
  const area = page.getByTestId('string-editor');
  await area.waitFor(T);
  assert.equal(await area.inputValue(), '{"a":1,"b":[1,2]}');
  await area.fill('{"a":2,"b":[1,2');
  await page.getByTestId('string-editor-status').filter({ hasText: 'not valid JSON' }).waitFor(T);
  await area.fill('{"a":2,"b":[1,2]}');
  await page.getByTestId('string-editor-format').click();
  assert.equal(await area.inputValue(), '{\n  "a": 2,\n  "b": [\n    1,\n    2\n  ]\n}');
  await page.getByTestId('string-save').click();
  await until(async () => (await r.str('GET', 'doc:json')).includes('"a": 2'), { what: 'SET in Redis' });
  assert.ok((await r.call('TTL', 'doc:json')) > 0, 'the TTL is kept');
});

test('a binary string is edited as hex, byte for byte', async () => {
  await openKey('doc:bin');
  await page.getByTestId('hex-view').waitFor(T);
  await page.getByTestId('string-edit').click();
  const area = page.getByTestId('string-editor');
  assert.equal(await area.inputValue(), '00 ff 10 80');
  await area.fill('00 fe 10 80 7f');
  await page.getByTestId('string-save').click();
  await until(async () => (await r.call('GET', 'doc:bin')).equals(Buffer.from([0x00, 0xfe, 0x10, 0x80, 0x7f])), { what: 'the bytes in Redis' });
});

test('gzip-compressed text is shown as its text, not hex', async () => {
  await openKey('doc:gz');
  await page.getByTestId('decoded-view').waitFor(T);
  assert.equal(await page.getByTestId('decoded-view').textContent(), 'hello compressed world');
  assert.match(await page.getByTestId('string-notes').textContent(), /decoded from gzip/);
});

test('list Remove asks how many occurrences and removes exactly that many', async () => {
  await openKey('doc:list');
  await page.getByTestId('list-table').waitFor(T);
  await page.getByTestId('list-remove').first().click();
  await page.getByTestId('prompt-input').fill('2');
  await page.getByTestId('prompt-ok').click();
  await page.getByTestId('confirm-dialog').filter({ hasText: 'first 2 occurrences' }).waitFor(T);
  await page.getByTestId('confirm-ok').click();
  await until(async () => JSON.stringify(await r.str('LRANGE', 'doc:list', 0, -1)) === '["b","a"]', { what: 'LREM 2 in Redis' });
  await until(async () => (await page.getByTestId('list-table').locator('tbody tr').count()) === 2, { what: 'two rows left' });
});

test('copy value copies every page; a large value is downloaded whole instead', async () => {
  await openKey('doc:hash');
  await page.getByTestId('hash-table').waitFor(T);
  await page.getByTestId('copy-value').click();
  const copied = await until(async () => {
    const t = await page.evaluate(() => navigator.clipboard.readText());
    return t.includes('f0') ? t : null;
  }, { what: 'the clipboard' });
  const obj = JSON.parse(copied);
  assert.equal(Object.keys(obj).length, 250, 'all 250 fields, not the first page');
  assert.equal(obj.f249, 'v249');

  await openKey('doc:big');
  await page.getByTestId('key-memory').waitFor(T);
  assert.match(await page.getByTestId('key-memory').textContent(), /MB in memory/);
  await page.getByTestId('copy-value').click();
  await page.getByTestId('confirm-dialog').filter({ hasText: 'too large' }).waitFor(T);
  const [download] = await Promise.all([page.waitForEvent('download', T), page.getByTestId('confirm-ok').click()]);
  const file = readFileSync(await download.path());
  assert.equal(file.length, 1_500_000);
  assert.ok(file.every((b) => b === 0x61));
});

test('the key list shows encoding and MEMORY USAGE columns', async () => {
  await openKey('doc:hash');
  const row = page.getByTestId('key-row').filter({ hasText: 'doc:hash' });
  await until(async () => /B$/.test((await row.getByTestId('key-memory-cell').textContent()) ?? ''), { what: 'memory column' });
  assert.match(await row.getByTestId('key-encoding').textContent(), /hashtable|listpack/);
});

test('separators: the tree splits on each one typed', async () => {
  const sep = page.getByTestId('separator');
  assert.equal(await sep.inputValue(), ':');
  await sep.fill(': /');
  await sep.press('Enter');
  const ns = page.getByTestId('tree-folder').filter({ hasText: 'ns' }).first();
  await until(async () => (await ns.getByTestId('tree-count').textContent()) === '2', { what: 'ns/ folder with 2 keys' });
  await sep.fill(':');
  await sep.press('Enter');
});

test('the database picker shows key counts and switches the browser', async () => {
  const picker = page.getByTestId('db-picker');
  await until(async () => (await picker.locator('option').count()) === 16, { what: '16 databases' });
  assert.match(await picker.locator('option[value="2"]').textContent(), /db2 \(1\)/);
  await picker.selectOption('2');
  await page.getByTestId('key-search').fill('*');
  await page.getByTestId('key-search').press('Enter');
  await until(async () => (await page.getByTestId('key-row').count()) === 1, { what: 'db2 keys' });
  assert.equal(await page.getByTestId('key-row').first().getAttribute('data-key'), 'only:in:two');
  await picker.selectOption('0');
  await until(async () => (await page.getByTestId('key-row').count()) > 1, { what: 'db0 keys again' });
});

test('new key dialog: a hash with a TTL, counted into the tree; an existing key is not replaced', async () => {
  const docs = page.getByTestId('tree-folder').filter({ hasText: 'doc' }).first();
  await docs.waitFor(T);
  const before = Number(await docs.getByTestId('tree-count').textContent());
  await page.getByTestId('new-key').click();
  const dlg = page.getByTestId('new-key-dialog');
  await dlg.waitFor(T);
  await page.getByTestId('new-key-name').fill('doc:created');
  await page.getByTestId('new-key-type').selectOption('hash');
  await page.getByTestId('new-key-ttl').fill('5m');
  await dlg.getByTestId('new-field').first().fill('symbol');
  await dlg.getByTestId('new-value').first().fill('BTC/USDT');
  await page.getByTestId('new-add-row').click();
  await dlg.getByTestId('new-field').nth(1).fill('side');
  await dlg.getByTestId('new-value').nth(1).fill('buy');
  await screenshot(page, 'new-key');
  await page.getByTestId('new-key-create').click();
  await until(async () => (await r.call('EXISTS', 'doc:created')) === 1, { what: 'the hash in Redis' });
  assert.deepEqual(await r.str('HGETALL', 'doc:created'), ['symbol', 'BTC/USDT', 'side', 'buy']);
  const ttl = await r.call('TTL', 'doc:created');
  assert.ok(ttl > 280 && ttl <= 300, `TTL ${ttl}`);
  await until(async () => (await page.getByTestId('key-name').textContent()).startsWith('doc:created'), { what: 'the new key opened' });
  await until(async () => Number(await docs.getByTestId('tree-count').textContent()) === before + 1, { what: 'the tree count' });

  // The same name again: the server refuses, the user declines, nothing changes.
  await page.getByTestId('new-key').click();
  await page.getByTestId('new-key-name').fill('doc:created');
  await page.getByTestId('new-key-type').selectOption('string');
  await dlg.getByTestId('new-value').fill('oops');
  await page.getByTestId('new-key-create').click();
  await page.getByTestId('confirm-dialog').filter({ hasText: 'already exists' }).waitFor(T);
  await page.getByTestId('confirm-cancel').click();
  await page.getByTestId('new-key-dialog-close').click();
  assert.equal(await r.str('TYPE', 'doc:created'), 'hash');
});

test('view as: automatic pick, an override remembered per namespace, and the same menu for a hash field', async () => {
  await openKey('fmt:zlib');
  await page.getByTestId('json-view').waitFor(T);
  assert.match(await page.getByTestId('json-view').textContent(), /42000\.5/);
  assert.match(await page.getByTestId('string-notes').textContent(), /decoded from zlib/);
  await page.getByTestId('view-as').selectOption('hex');
  await until(async () => /^78 /.test((await page.getByTestId('hex-view').textContent()) ?? ''), { what: 'the raw bytes as hex' });
  await screenshot(page, 'view-as');
  // Another key of the namespace opens in the view picked for it.
  await openKey('fmt:other');
  assert.equal(await page.getByTestId('view-as').inputValue(), 'hex');
  await until(async () => (await page.getByTestId('hex-view').textContent()).startsWith('70 6c 61 69 6e'), { what: 'plain text as hex' });
  await page.getByTestId('view-as').selectOption('gzip');
  await page.getByTestId('view-as-error').filter({ hasText: 'not gzip' }).waitFor(T);
  await page.getByTestId('view-as').selectOption('auto');

  // A pickle: its structure, nothing executed; searchable.
  await openKey('py:pickle');
  await page.getByTestId('json-view').waitFor(T);
  assert.match(await page.getByTestId('json-view').textContent(), /collections\.OrderedDict/);
  await page.getByTestId('json-search').fill('OrderedDict');
  await until(async () => /^[1-9]\d* match/.test(await page.getByTestId('json-hits').textContent()), { what: 'search hits' });

  // A hash field: click the value, pick gzip.
  await openKey('fmt:hash');
  await page.getByTestId('hash-table').getByTestId('cell-value').first().click();
  const modal = page.getByTestId('value-modal');
  await modal.waitFor(T);
  await modal.getByTestId('view-as').selectOption('gzip');
  await until(async () => (await modal.getByTestId('decoded-view').textContent()) === 'inside the field', { what: 'the field decompressed' });
  await page.getByTestId('value-modal-close').click();
});

test('set and sorted-set members are replaced in place, scores edited', async () => {
  await openKey('ed:set');
  await page.locator('tr[data-member="a"]').getByTestId('set-edit').click();
  await page.getByTestId('prompt-input').fill('a2');
  await page.getByTestId('prompt-ok').click();
  await until(async () => (await r.call('SISMEMBER', 'ed:set', 'a2')) === 1, { what: 'the member replaced in Redis' });
  assert.equal(await r.call('SISMEMBER', 'ed:set', 'a'), 0);
  await page.locator('tr[data-member="a2"]').waitFor(T);
  // Into an existing member: asked first, cancelled, nothing changes.
  await page.locator('tr[data-member="a2"]').getByTestId('set-edit').click();
  await page.getByTestId('prompt-input').fill('b');
  await page.getByTestId('prompt-ok').click();
  await page.getByTestId('confirm-cancel').click();
  assert.equal(await r.call('SCARD', 'ed:set'), 2);

  await openKey('ed:z');
  await page.locator('tr[data-member="x"]').getByTestId('zset-edit').click();
  await page.getByTestId('prompt-input').fill('x2');
  await page.getByTestId('prompt-ok').click();
  await until(async () => (await r.str('ZSCORE', 'ed:z', 'x2')) === '1', { what: 'the member replaced with its score' });
  await page.locator('tr[data-member="y"]').getByTestId('zset-score-edit').click();
  await page.getByTestId('prompt-input').fill('9.5');
  await page.getByTestId('prompt-ok').click();
  await until(async () => (await r.str('ZSCORE', 'ed:z', 'y')) === '9.5', { what: 'the score in Redis' });
  await until(async () => (await page.locator('tr[data-member="y"]').getByTestId('zset-score').textContent()) === '9.5', { what: 'the score shown' });
});
