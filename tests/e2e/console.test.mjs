// The console as a person uses it: completion of command names and subcommands from the
// server's COMMAND DOCS with the syntax and summary shown while typing, Tab to complete, history
// search with Ctrl+R, and replies shown as JSON; what was typed is checked in Redis.

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
  await page.goto(`${serve.url}#/server?tab=console`);
  await page.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
});

after(async () => {
  await browser?.close();
  serve?.stop();
  r?.close();
  redis?.stop();
});

test('completion, syntax inline, Tab, history search and JSON output', async () => {
  const input = page.getByTestId('console-input');
  await input.pressSequentially('hse');
  await until(async () => (await page.getByTestId('console-suggestion').allTextContents()).includes('HSET'), { what: 'HSET offered' });
  await until(async () => /^HSET key field value \[field value \.\.\.\] — ./.test(await page.getByTestId('console-hint').textContent()), { what: 'the syntax of HSET' });
  await input.press('Tab');
  assert.equal(await input.inputValue(), 'HSET ');
  await input.pressSequentially('book:BTC bid 1.5');
  await input.press('Enter');
  await page.getByTestId('console-reply').first().waitFor(T);
  assert.equal(await r.str('HGET', 'book:BTC', 'bid'), '1.5');

  // Subcommands once the container is typed.
  await input.pressSequentially('config ge');
  await until(async () => (await page.getByTestId('console-suggestion').allTextContents()).join() === 'CONFIG GET', { what: 'CONFIG GET offered' });
  assert.match(await page.getByTestId('console-hint').textContent(), /^CONFIG GET parameter/);
  await input.fill('');

  // Ctrl+R finds the older line.
  await input.pressSequentially('book');
  await input.press('Control+r');
  assert.equal(await input.inputValue(), 'HSET book:BTC bid 1.5');
  await input.fill('');

  await page.getByTestId('console-mode').selectOption('json');
  await input.pressSequentially('HGETALL book:BTC');
  await input.press('Enter');
  const reply = page.locator('[data-testid=console-reply][data-mode=json]');
  await reply.waitFor(T);
  const shown = JSON.parse(await reply.textContent());
  assert.ok(JSON.stringify(shown).includes('"bid"') && JSON.stringify(shown).includes('"1.5"'), JSON.stringify(shown));
  await input.pressSequentially('hg');
  await screenshot(page, 'console-completion');
  assert.deepEqual(pageErrors, []);
});
