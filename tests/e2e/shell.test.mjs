// The UI shell renders in a real browser against `redscope serve` and shows the Redis connection state.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, screenshot, startRedis, startServe } from './harness.mjs';

let redis, serve, browser;

before(async () => {
  redis = await startRedis();
  serve = await startServe(redis.url);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  serve?.stop();
  redis?.stop();
});

test('the shell shows a connected server and its version', async () => {
  const page = await browser.newPage();
  await page.goto(serve.url);
  const state = page.getByTestId('conn-state');
  await state.filter({ hasText: 'connected' }).waitFor({ timeout: 15000 });
  assert.equal(await state.textContent(), 'connected');
  await page.getByTestId('conn-url').filter({ hasText: new RegExp(`127\\.0\\.0\\.1:${redis.port}`) }).waitFor({ timeout: 15000 });
  assert.match(await page.getByTestId('fact-version').textContent(), /^\d+\.\d+/);
  assert.equal(new URL(page.url()).searchParams.get('token'), null, 'token must be removed from the address bar');
  await screenshot(page, 'web-shell');
});

test('without the token the page says so instead of showing data', async () => {
  const page = await browser.newPage();
  await page.goto(serve.origin + '/');
  await page.getByTestId('conn-state').filter({ hasText: 'access token missing' }).waitFor({ timeout: 15000 });
});

test('a dead Redis is shown as down with the reason', async () => {
  const dead = await startRedis();
  const url = dead.url;
  dead.stop();
  const s = await startServe(url);
  try {
    const page = await browser.newPage();
    await page.goto(s.url);
    await page.getByTestId('conn-state').filter({ hasText: 'down' }).waitFor({ timeout: 20000 });
    assert.match(await page.getByTestId('down-reason').textContent(), /connection|refused/i);
  } finally {
    s.stop();
  }
});
