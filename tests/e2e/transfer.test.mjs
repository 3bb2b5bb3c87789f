// Export and import as a user does them: a namespace exported to a dump file from the page, the
// keys deleted in Redis, a dry run that counts and writes nothing, the import that brings them
// back with the same DUMP payloads and TTLs, a second import that skips what exists, a JSON lines
// export of a picked list of keys read back from the export directory, and a dump file
// downloaded through the browser, uploaded back under a new name and imported.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resp, launchBrowser, screenshot, startRedis, startServe, until } from './harness.mjs';

const T = { timeout: 20000 };
let redis, serve, browser, page, r, exportDir, configDir;
const pageErrors = [];

before(async () => {
  redis = await startRedis();
  r = await Resp.connect(redis.port);
  for (let i = 0; i < 40; i++) await r.call('SET', `market:ticker:binance:S${i}`, JSON.stringify({ bid: i, ask: i + 1 }));
  await r.call('HSET', 'market:book:binance:BTC', 'bid', '1.5', 'ask', '1.6');
  await r.call('PEXPIRE', 'market:book:binance:BTC', 3600000);
  await r.call('RPUSH', 'market:trades:binance:BTC', 'a', 'b', 'c');
  await r.call('ZADD', 'market:rank', '1', 'BTC', '2', 'ETH');
  await r.call('XADD', 'market:stream', '1-1', 'bid', '1', 'ask', '2');
  await r.call('SET', 'other:keep', 'x');
  exportDir = mkdtempSync(join(tmpdir(), 'redscope-e2e-exports-'));
  configDir = mkdtempSync(join(tmpdir(), 'redscope-e2e-config-'));
  process.env.REDSCOPE_EXPORT_DIR = exportDir;
  process.env.REDSCOPE_CONFIG_DIR = configDir;
  serve = await startServe(redis.url);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(serve.url);
  await page.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
  await page.getByTestId('nav-transfer').click();
  await until(async () => (await page.getByTestId('page').getAttribute('data-page')) === 'transfer', { what: 'transfer page' });
});

after(async () => {
  await browser?.close();
  serve?.stop();
  r?.close();
  redis?.stop();
  for (const d of [exportDir, configDir]) if (d) rmSync(d, { recursive: true, force: true });
});

async function marketKeys() {
  const keys = [];
  let cursor = '0';
  do {
    const [next, page] = await r.str('SCAN', cursor, 'MATCH', 'market:*', 'COUNT', '1000');
    keys.push(...page);
    cursor = next;
  } while (cursor !== '0');
  return keys.sort();
}

async function done(kind) {
  const el = page.locator(`[data-testid=tx-done][data-kind=${kind}]`);
  await el.waitFor(T);
  return el;
}

test('a namespace goes out to a dump file and comes back exactly, dry run first, then skipping what exists', async () => {
  const keys = await marketKeys();
  assert.equal(keys.length, 44);
  const before = new Map();
  for (const k of keys) before.set(k, await r.call('DUMP', k));

  await page.getByTestId('tx-format').selectOption('dump');
  await page.getByTestId('tx-scope').selectOption('prefix');
  await page.getByTestId('tx-scope-text').fill('market:');
  await page.getByTestId('tx-file').fill('market.rsdump');
  await page.getByTestId('tx-export').click();
  const exported = await done('export');
  assert.equal(await exported.getAttribute('data-keys'), '44');
  assert.ok(existsSync(join(exportDir, 'market.rsdump')));
  await page.getByTestId('tx-file-name').filter({ hasText: 'market.rsdump' }).waitFor(T);

  for (const k of keys) await r.call('DEL', k);
  await page.getByTestId('tx-import-file').selectOption('market.rsdump');
  await page.getByTestId('tx-policy').selectOption('skip');
  assert.equal(await page.getByTestId('tx-dry-run').isChecked(), true, 'a dry run is the default');
  await page.getByTestId('tx-import').click();
  const dry = await done('import');
  assert.match(await dry.textContent(), /^Dry run: would import 44 keys/);
  assert.equal(await r.call('EXISTS', 'market:rank'), 0, 'the dry run wrote nothing');

  await page.getByTestId('tx-dry-run').uncheck();
  await page.getByTestId('tx-import').click();
  await until(async () => /^Imported 44 keys/.test(await page.getByTestId('tx-status').textContent()), { what: 'the import' });
  assert.deepEqual(await marketKeys(), keys);
  for (const k of keys) assert.deepEqual(await r.call('DUMP', k), before.get(k), `DUMP of ${k}`);
  const ttl = await r.call('PTTL', 'market:book:binance:BTC');
  assert.ok(ttl > 3500000 && ttl <= 3600000, `TTL kept: ${ttl}`);

  // Again: everything exists and is skipped.
  await r.call('SET', 'market:ticker:binance:S0', 'changed');
  await page.getByTestId('tx-import').click();
  await until(async () => /^Imported 0 keys.*44 already exist; 44 skipped/.test(await page.getByTestId('tx-status').textContent()), { what: 'the skipping import' });
  assert.equal(await r.str('GET', 'market:ticker:binance:S0'), 'changed');
  await screenshot(page, 'transfer');
});

test('picked keys export to JSON lines', async () => {
  await page.getByTestId('tx-format').selectOption('jsonl');
  await page.getByTestId('tx-scope').selectOption('keys');
  await page.getByTestId('tx-keys').fill('market:book:binance:BTC\nmarket:rank\nmissing:key');
  await page.getByTestId('tx-file').fill('picked.jsonl');
  await page.getByTestId('tx-export').click();
  await until(async () => /^Exported 2 keys to picked\.jsonl.*1 gone or missing/.test(await page.getByTestId('tx-status').textContent()), { what: 'the JSON lines export' });
  const lines = readFileSync(join(exportDir, 'picked.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const byKey = Object.fromEntries(lines.map((l) => [l.key, l]));
  assert.deepEqual(byKey['market:book:binance:BTC'].value, { bid: '1.5', ask: '1.6' });
  assert.ok(byKey['market:book:binance:BTC'].expire_at_ms > Date.now());
  assert.deepEqual(byKey['market:rank'].value, [['BTC', 1], ['ETH', 2]]);
  // Only dump and command files are offered for import.
  const offered = await page.getByTestId('tx-import-file').locator('option').allTextContents();
  assert.ok(offered.every((o) => !o.startsWith('picked.jsonl')), offered.join(', '));
  assert.deepEqual(pageErrors, []);
});

test('a dump file is downloaded to this computer, uploaded back under a new name and imported', async () => {
  const onDisk = readFileSync(join(exportDir, 'market.rsdump'));
  const [download] = await Promise.all([
    page.waitForEvent('download', T),
    page.locator('[data-testid=tx-file-download][data-name="market.rsdump"]').click(),
  ]);
  assert.equal(download.suggestedFilename(), 'market.rsdump');
  const saved = join(configDir, 'downloaded.rsdump');
  await download.saveAs(saved);
  assert.deepEqual(readFileSync(saved), onDisk, 'the download is the file, byte for byte');

  // The keys as the file holds them (the first test changed one after exporting).
  await r.call('SET', 'market:ticker:binance:S0', JSON.stringify({ bid: 0, ask: 1 }));
  const keys = await marketKeys();
  const before = new Map();
  for (const k of keys) before.set(k, await r.call('DUMP', k));
  for (const k of keys) await r.call('DEL', k);

  await page.getByTestId('tx-upload').setInputFiles({ name: 'from laptop.rsdump', mimeType: 'application/octet-stream', buffer: readFileSync(saved) });
  await page.getByTestId('tx-upload-state').filter({ hasText: 'Uploaded from_laptop.rsdump' }).waitFor(T);
  assert.deepEqual(readFileSync(join(exportDir, 'from_laptop.rsdump')), onDisk);
  assert.equal(await page.getByTestId('tx-import-file').inputValue(), 'from_laptop.rsdump', 'the upload is picked for import');

  await page.getByTestId('tx-policy').selectOption('fail');
  await page.getByTestId('tx-dry-run').uncheck();
  await page.getByTestId('tx-import').click();
  await until(async () => /^Imported 44 keys from from_laptop\.rsdump/.test(await page.getByTestId('tx-status').textContent()), { what: 'the import of the upload' });
  for (const k of keys) assert.deepEqual(await r.call('DUMP', k), before.get(k), `DUMP of ${k}`);

  // The same name again asks first; cancelled, the file is unchanged.
  await page.getByTestId('tx-upload').setInputFiles({ name: 'from laptop.rsdump', mimeType: 'application/octet-stream', buffer: Buffer.from('*1\r\n$4\r\nPING\r\n') });
  await page.getByTestId('confirm-cancel').click();
  assert.deepEqual(readFileSync(join(exportDir, 'from_laptop.rsdump')), onDisk);
  assert.deepEqual(pageErrors, []);
});
