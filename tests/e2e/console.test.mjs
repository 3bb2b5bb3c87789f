// The console as a person uses it: completion of command names and subcommands from the
// server's COMMAND DOCS with the syntax and summary shown while typing, Tab to complete, history
// search with Ctrl+R, and replies shown as JSON; the Lua editor (KEYS and ARGV fields, EVAL,
// EVAL_RO refusing writes, SCRIPT LOAD, a confirmed SCRIPT FLUSH) and the config editor (CONFIG SET
// after confirmation); what was done is checked in Redis.

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

test('the Lua editor runs scripts with KEYS and ARGV, EVAL_RO refuses writes, SCRIPT FLUSH asks first', async () => {
  await page.goto(`${serve.url}#/server?tab=lua`);
  await page.getByTestId('lua-script').fill("redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])");
  await page.getByTestId('lua-keys').fill('lua:quote');
  await page.getByTestId('lua-argv').fill('42.5');
  await page.getByTestId('lua-eval').click();
  await until(async () => /42\.5/.test(await page.getByTestId('lua-out').textContent()), { what: 'the EVAL reply' });
  assert.equal(await r.str('GET', 'lua:quote'), '42.5');
  await page.getByTestId('lua-argv').fill('99');
  await page.getByTestId('lua-eval-ro').click();
  // The server refuses the write inside EVAL_RO; the reply says so.
  await until(async () => /not allowed|read-only/i.test(await page.getByTestId('lua-out').textContent()), { what: 'the EVAL_RO refusal' });
  assert.equal(await r.str('GET', 'lua:quote'), '42.5', 'EVAL_RO wrote nothing');
  await page.getByTestId('lua-load').click();
  await until(async () => /[0-9a-f]{40}/.test(await page.getByTestId('lua-out').textContent()), { what: 'the SHA of SCRIPT LOAD' });
  const sha = (await page.getByTestId('lua-out').textContent()).match(/[0-9a-f]{40}/)[0];
  assert.deepEqual(await r.call('SCRIPT', 'EXISTS', sha), [1]);
  await page.getByTestId('lua-flush').click();
  await page.getByTestId('confirm-dialog').waitFor(T);
  await page.getByTestId('confirm-ok').click();
  await until(async () => (await r.call('SCRIPT', 'EXISTS', sha))[0] === 0, { what: 'the scripts flushed' });
});

test('the config editor sets a parameter after confirmation', async () => {
  await page.goto(`${serve.url}#/server?tab=config`);
  await page.getByTestId('config-filter').fill('slowlog-max-len');
  await page.getByTestId('config-filter').press('Enter');
  await until(async () => (await page.getByTestId('config-name').allTextContents()).join() === 'slowlog-max-len', { what: 'the parameter' });
  await page.getByTestId('config-edit').click();
  await page.getByTestId('prompt-input').fill('321');
  await page.getByTestId('prompt-ok').click();
  await page.getByTestId('confirm-dialog').waitFor(T);
  await page.getByTestId('confirm-ok').click();
  await until(async () => (await page.getByTestId('config-value').allTextContents()).join() === '321', { what: 'the new value shown' });
  assert.deepEqual(await r.str('CONFIG', 'GET', 'slowlog-max-len'), ['slowlog-max-len', '321']);
  assert.deepEqual(pageErrors, []);
});

test('multi-line input runs each line in order; tables for pairs, stream entries and nested replies', async () => {
  await page.goto(`${serve.url}#/server?tab=console`);
  const input = page.getByTestId('console-input');
  await input.waitFor(T);
  await page.getByTestId('console-mode').selectOption('table');
  const before = await page.getByTestId('console-entry').count();
  // Typed with Shift+Enter between the lines, run with one Enter.
  await input.pressSequentially('SET ml:a 1');
  await input.press('Shift+Enter');
  await input.pressSequentially('HSET ml:h bid 1.5 ask 1.6');
  await input.press('Shift+Enter');
  await input.pressSequentially('INCR ml:a');
  assert.equal((await input.inputValue()).split('\n').length, 3, 'three lines in the box');
  await input.press('Enter');
  await until(async () => (await page.getByTestId('console-entry').count()) === before + 3 && (await page.getByTestId('console-reply').count()) >= 3, { what: 'three commands run' });
  const cmds = (await page.getByTestId('console-entry').allTextContents()).slice(before).map((t) => t.split('\n')[0]);
  assert.ok(cmds[0].startsWith('> SET ml:a 1') && cmds[1].startsWith('> HSET ml:h') && cmds[2].startsWith('> INCR ml:a'), cmds.join(' | '));
  assert.equal(await r.str('GET', 'ml:a'), '2', 'INCR ran after SET');
  assert.equal(await input.inputValue(), '');

  // A pasted block runs in order too.
  await input.fill('XADD ml:s 1-0 price 10 qty 3\nXADD ml:s 2-0 price 11\nDEL ml:a');
  await input.press('Enter');
  await until(async () => (await page.getByTestId('console-entry').count()) === before + 6, { what: 'the pasted block' });
  assert.equal(await r.call('XLEN', 'ml:s'), 2);
  assert.equal(await r.call('EXISTS', 'ml:a'), 0);

  const lastTable = () => page.getByTestId('console-entry').last().getByTestId('console-table');
  const cells = async () => (await lastTable().locator('tbody tr').all()).length ? Promise.all((await lastTable().locator('tbody tr').all()).map((tr) => tr.locator('td').allTextContents())) : [];
  const heads = async () => lastTable().locator('th').allTextContents();

  await input.fill('HGETALL ml:h');
  await input.press('Enter');
  await lastTable().waitFor(T);
  const pairs = await r.str('HGETALL', 'ml:h');
  const want = [];
  for (let i = 0; i < pairs.length; i += 2) want.push([pairs[i], pairs[i + 1]]);
  assert.deepEqual(await heads(), ['field', 'value']);
  assert.deepEqual(await cells(), want);

  await input.fill('XRANGE ml:s - +');
  await input.press('Enter');
  await until(async () => (await heads()).join() === 'id,price,qty', { what: 'the XRANGE table' });
  assert.deepEqual(await cells(), [['1-0', '10', '3'], ['2-0', '11', '']]);

  await input.fill('XINFO STREAM ml:s');
  await input.press('Enter');
  await until(async () => (await heads()).join() === 'field,value', { what: 'the XINFO table' });
  const rows = await cells();
  assert.deepEqual(rows.find((x) => x[0] === 'length'), ['length', String(await r.call('XLEN', 'ml:s'))]);
  await screenshot(page, 'console-multiline-table');
  assert.deepEqual(pageErrors, []);
});
