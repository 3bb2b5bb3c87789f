// Stream management clicked through as a person would against `redscope serve` and a private
// redis-server, each step checked in Redis: the XADD form, XDEL of an entry, paging both ways
// and a time range, XTRIM MAXLEN, a new group, the pending list with idle times (XACK, XCLAIM,
// XAUTOCLAIM), CREATECONSUMER, SETID, DELCONSUMER, DESTROY, reloading the list, the export of a
// browsed range to JSON lines and CSV files checked against XRANGE, and read-only refusal. Saves
// target/screenshots/stream-pending.png and stream-range-export.png.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resp, launchBrowser, screenshot, startRedis, startServe, until } from './harness.mjs';

const T = { timeout: 15000 };
const BASE = 1_700_000_000_000; // 2023-11-14T22:13:20Z
let redis, serve, browser, page, r, exportDir;
const pageErrors = [];

before(async () => {
  redis = await startRedis();
  r = await Resp.connect(redis.port);
  for (let i = 1; i <= 5; i++) await r.call('XADD', 'orders', `${i}-0`, 'order', `o${i}`, 'qty', String(i));
  await r.call('XGROUP', 'CREATE', 'orders', 'workers', '0');
  await r.call('XREADGROUP', 'GROUP', 'workers', 'alice', 'COUNT', '3', 'STREAMS', 'orders', '>');
  for (let i = 0; i < 120; i++) await r.call('XADD', 'ticks', `${BASE + i * 1000}-0`, 'i', String(i));
  // Binary values, a binary field name, text that needs CSV quoting, fields that come and go.
  for (let i = 0; i < 60; i++) {
    const extra = i % 4 === 0 ? [Buffer.from([0xfe, 0x01]), Buffer.from([0xff, i])] : ['note', `a "quoted", ${i}\nline`];
    await r.call('XADD', 'sensor', `${BASE + i * 1000}-${i % 3}`, 'temp', String(20 + i / 10), 'raw', Buffer.from([0x00, 0xff, i]), ...extra);
  }
  exportDir = mkdtempSync(join(tmpdir(), 'redscope-e2e-exports-'));
  process.env.REDSCOPE_EXPORT_DIR = exportDir;
  serve = await startServe(redis.url);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(serve.url);
  await page.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
  await page.getByTestId('nav-streams').click();
});

after(async () => {
  await browser?.close();
  serve?.stop();
  r?.close();
  redis?.stop();
  if (exportDir) rmSync(exportDir, { recursive: true, force: true });
  assert.deepEqual(pageErrors, []);
});

async function openStream(name) {
  await page.getByTestId('stream-item').filter({ hasText: name }).first().click();
  await until(async () => (await page.getByTestId('stream-title').textContent()) === name, { what: `${name} opened` });
  await page.getByTestId('stream-entry').first().waitFor(T);
}

const length = async () => (await page.getByTestId('stream-length').textContent()).trim();
const firstId = async () => page.getByTestId('stream-entry').first().getAttribute('data-id');

test('an entry is added with the XADD form and deleted after a confirmation', async () => {
  await openStream('orders');
  await page.getByTestId('xadd-open').click();
  const dialog = page.getByTestId('xadd-dialog');
  await dialog.getByTestId('xadd-field').fill('order');
  await dialog.getByTestId('xadd-value').fill('o6');
  await dialog.getByTestId('xadd-more').click();
  await dialog.getByTestId('xadd-field').nth(1).fill('note');
  await dialog.getByTestId('xadd-value').nth(1).fill('rush');
  await dialog.getByTestId('xadd-save').click();
  await until(async () => (await r.call('XLEN', 'orders')) === 6, { what: 'XADD in Redis' });
  const [[id, fields]] = await r.str('XREVRANGE', 'orders', '+', '-', 'COUNT', '1');
  assert.deepEqual(fields, ['order', 'o6', 'note', 'rush']);
  await until(async () => (await length()) === '6', { what: 'the length updated' });
  await page.locator(`[data-testid=stream-entry][data-id="${id}"]`).waitFor(T);

  // Delete 2-0: cancelled first (nothing happens), then confirmed.
  const row = page.locator('[data-testid=stream-entry][data-id="2-0"]');
  await row.getByTestId('entry-delete').click();
  await page.getByTestId('confirm-cancel').click();
  assert.equal(await r.call('XLEN', 'orders'), 6);
  await row.getByTestId('entry-delete').click();
  await page.getByTestId('confirm-ok').click();
  await until(async () => (await r.call('XLEN', 'orders')) === 5, { what: 'XDEL in Redis' });
  assert.deepEqual(await r.str('XRANGE', 'orders', '2-0', '2-0'), []);
  await row.waitFor({ state: 'detached', timeout: 15000 });
  assert.equal(await length(), '5');
});

test('entries page both ways and by a time range', async () => {
  await openStream('ticks');
  assert.equal(await firstId(), `${BASE + 119_000}-0`, 'newest first');
  assert.equal(await page.getByTestId('stream-entry').count(), 50);
  await page.getByTestId('stream-more').click();
  await until(async () => (await firstId()) === `${BASE + 69_000}-0`, { what: 'the older page' });
  await page.getByTestId('stream-more').click();
  await until(async () => (await firstId()) === `${BASE + 19_000}-0`, { what: 'the oldest page' });
  assert.equal(await page.getByTestId('stream-entry').count(), 20);
  assert.equal(await page.getByTestId('stream-more').count(), 0, 'nothing older');
  await page.getByTestId('stream-newer').click();
  await until(async () => (await firstId()) === `${BASE + 69_000}-0`, { what: 'back to the newer page' });
  assert.equal(await page.getByTestId('stream-entry').last().getAttribute('data-id'), `${BASE + 20_000}-0`);

  // From an id to a UTC time: entries 10..20.
  await page.getByTestId('range-from').fill(`${BASE + 10_000}`);
  await page.getByTestId('range-to').fill('2023-11-14 22:13:40');
  await page.getByTestId('range-go').click();
  await until(async () => (await page.getByTestId('stream-entry').count()) === 11, { what: 'the range' });
  assert.equal(await firstId(), `${BASE + 20_000}-0`);
  assert.equal(await page.getByTestId('stream-entry').last().getAttribute('data-id'), `${BASE + 10_000}-0`);
});

test('XTRIM MAXLEN keeps the newest entries after a confirmation', async () => {
  await openStream('ticks');
  await page.getByTestId('trim-open').click();
  await page.getByTestId('trim-by').selectOption('maxlen');
  await page.getByTestId('trim-threshold').fill('30');
  await page.getByTestId('trim-go').click();
  await page.getByTestId('confirm-dialog').filter({ hasText: 'newest 30' }).waitFor(T);
  await page.getByTestId('confirm-ok').click();
  await until(async () => (await r.call('XLEN', 'ticks')) === 30, { what: 'XTRIM in Redis' });
  const [[oldest]] = await r.str('XRANGE', 'ticks', '-', '+', 'COUNT', '1');
  assert.equal(oldest, `${BASE + 90_000}-0`);
  await until(async () => (await length()) === '30', { what: 'the length updated' });
});

test('groups and the pending list: create, XACK, XCLAIM, XAUTOCLAIM, CREATECONSUMER, SETID, DELCONSUMER, DESTROY', async () => {
  await openStream('orders');
  await page.getByTestId('group-new').click();
  await page.getByTestId('group-name').fill('audit');
  await page.getByTestId('group-from').fill('0');
  await page.getByTestId('group-save').click();
  await page.getByTestId('groups-table').filter({ hasText: 'audit' }).waitFor(T);
  const groups = await r.str('XINFO', 'GROUPS', 'orders');
  assert.ok(groups.some((g) => g[1] === 'audit' && g[7] === '0-0'), JSON.stringify(groups));

  // Pending of workers: alice holds 1-0, 2-0 (deleted above, still pending) and 3-0, idle times shown.
  const workers = page.getByTestId('groups-table').locator('tr', { hasText: 'workers' });
  await workers.getByTestId('group-pending').click();
  const panel = page.getByTestId('pending-panel');
  await until(async () => (await panel.getByTestId('pending-row').count()) === 3, { what: 'three pending rows' });
  assert.match(await panel.getByTestId('pending-idle').first().textContent(), /\d/);
  await screenshot(page, 'stream-pending');

  // XACK 1-0.
  await panel.locator('[data-id="1-0"]').getByTestId('pending-tick').check();
  await panel.getByTestId('pending-ack').click();
  await until(async () => (await r.str('XPENDING', 'orders', 'workers'))[0] === 2, { what: 'XACK in Redis' });
  await until(async () => (await panel.getByTestId('pending-row').count()) === 2, { what: 'the row gone' });

  // XCLAIM 3-0 for bob.
  await panel.locator('[data-id="3-0"]').getByTestId('pending-tick').check();
  await panel.getByTestId('claim-consumer').fill('bob');
  await panel.getByTestId('pending-claim').click();
  await until(async () => {
    const rows = await r.str('XPENDING', 'orders', 'workers', '-', '+', '10', 'bob');
    return rows.length === 1 && rows[0][0] === '3-0';
  }, { what: 'XCLAIM in Redis' });

  // XAUTOCLAIM everything for carol: 3-0 moves, 2-0 (no longer in the stream) is dropped.
  await panel.getByTestId('claim-consumer').fill('carol');
  await panel.getByTestId('pending-autoclaim').click();
  await page.getByTestId('confirm-ok').click();
  await until(async () => {
    const rows = await r.str('XPENDING', 'orders', 'workers', '-', '+', '10');
    return rows.length === 1 && rows[0][0] === '3-0' && rows[0][1] === 'carol';
  }, { what: 'XAUTOCLAIM in Redis' });
  await until(async () => (await panel.getByTestId('pending-row').count()) === 1 && (await panel.getByTestId('pending-row').first().textContent()).includes('carol'), { what: 'the list shows carol' });

  // SETID of workers back to 0.
  await workers.getByTestId('group-setid').click();
  await page.getByTestId('prompt-input').fill('0');
  await page.getByTestId('prompt-ok').click();
  await until(async () => (await r.str('XINFO', 'GROUPS', 'orders')).some((g) => g[1] === 'workers' && g[7] === '0-0'), { what: 'SETID in Redis' });

  // CREATECONSUMER dave: registered before reading, shown in the group with nothing pending.
  await workers.getByTestId('consumer-new').click();
  await page.getByTestId('prompt-input').fill('dave');
  await page.getByTestId('prompt-ok').click();
  await until(async () => (await r.str('XINFO', 'CONSUMERS', 'orders', 'workers')).some((c) => c[1] === 'dave' && c[3] === 0), { what: 'CREATECONSUMER in Redis' });
  await workers.locator('[data-testid=consumer][data-name="dave"]').waitFor(T);

  // DELCONSUMER carol (confirmed): her pending entries go with her.
  await workers.locator('[data-testid=consumer][data-name="carol"]').getByTestId('consumer-delete').click();
  await page.getByTestId('confirm-ok').click();
  await until(async () => !(await r.str('XINFO', 'CONSUMERS', 'orders', 'workers')).some((c) => c[1] === 'carol'), { what: 'DELCONSUMER in Redis' });

  // DESTROY audit: cancelled, then confirmed.
  const audit = page.getByTestId('groups-table').locator('tr', { hasText: 'audit' });
  await audit.getByTestId('group-destroy').click();
  await page.getByTestId('confirm-cancel').click();
  assert.equal((await r.str('XINFO', 'GROUPS', 'orders')).length, 2);
  await audit.getByTestId('group-destroy').click();
  await page.getByTestId('confirm-ok').click();
  await until(async () => (await r.str('XINFO', 'GROUPS', 'orders')).length === 1, { what: 'DESTROY in Redis' });
  await page.getByTestId('groups-table').filter({ hasText: 'audit' }).waitFor({ state: 'detached', timeout: 15000 });
});

/** The entries of an XRANGE reply as `{id, fields: [[Buffer, Buffer]]}`. */
async function xrange(key, start, end, ...more) {
  const reply = await r.call('XRANGE', key, start, end, ...more);
  return reply.map(([id, kv]) => ({ id: id.toString(), fields: kv.reduce((out, x, i) => (i % 2 ? out[out.length - 1].push(x) : out.push([x]), out), []) }));
}

/** RFC 4180 CSV text into rows of cells. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (cell += '"'), i++;
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(cell), (cell = '');
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell), rows.push(row), (row = []), (cell = '');
    } else cell += c;
  }
  if (cell || row.length) row.push(cell), rows.push(row);
  return rows;
}

/** A JSON lines name or value (text, or `{b64}`) / a CSV cell (text, or `b64:…`) as bytes. */
const jsonBytes = (v) => (typeof v === 'string' ? Buffer.from(v) : Buffer.from(v.b64, 'base64'));
const csvBytes = (c) => (c.startsWith('b64:') ? Buffer.from(c.slice(4), 'base64') : Buffer.from(c));

test('a browsed range exports to JSON lines and CSV files that match XRANGE', async () => {
  await openStream('sensor');
  await page.getByTestId('range-from').fill(`${BASE + 5_000}`);
  await page.getByTestId('range-to').fill('2023-11-14 22:13:50');
  await page.getByTestId('range-go').click();
  await until(async () => (await page.getByTestId('stream-entry').count()) === 26, { what: 'the browsed range' });

  await page.getByTestId('range-export-open').click();
  const dialog = page.getByTestId('range-export-dialog');
  assert.equal(await dialog.getByTestId('rx-from').inputValue(), `${BASE + 5_000}`, 'the browsed range is prefilled');
  assert.equal(await dialog.getByTestId('rx-to').inputValue(), `${BASE + 30_000}`);
  assert.equal(await dialog.getByTestId('rx-file').inputValue(), 'sensor-range.jsonl');
  await dialog.getByTestId('rx-start').click();
  await dialog.locator('[data-testid=rx-done][data-file="sensor-range.jsonl"]').waitFor(T);
  const want = await xrange('sensor', `${BASE + 5_000}`, `${BASE + 30_000}`);
  assert.equal(await dialog.getByTestId('rx-done').getAttribute('data-entries'), String(want.length));
  const lines = readFileSync(join(exportDir, 'sensor-range.jsonl'), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, want.length);
  lines.forEach((l, i) => {
    assert.equal(l.id, want[i].id);
    assert.equal(l.time_ms, Number(want[i].id.split('-')[0]));
    assert.deepEqual(l.fields.map(([f, v]) => [jsonBytes(f), jsonBytes(v)]), want[i].fields, `entry ${l.id}`);
  });

  // CSV, the whole stream capped at 10 entries: a column per field name, in order of appearance.
  await dialog.getByTestId('rx-from').fill('-');
  await dialog.getByTestId('rx-to').fill('+');
  await dialog.getByTestId('rx-count').fill('10');
  await dialog.getByTestId('rx-format').selectOption('csv');
  assert.equal(await dialog.getByTestId('rx-file').inputValue(), 'sensor-range.csv');
  await dialog.getByTestId('rx-start').click();
  await dialog.locator('[data-testid=rx-done][data-file="sensor-range.csv"]').waitFor(T);
  const [header, ...rows] = parseCsv(readFileSync(join(exportDir, 'sensor-range.csv'), 'utf8'));
  const names = header.map(csvBytes);
  assert.deepEqual(names.slice(0, 2).map(String), ['id', 'time_ms']);
  const first10 = await xrange('sensor', '-', '+', 'COUNT', '10');
  assert.equal(rows.length, 10);
  rows.forEach((row, i) => {
    assert.equal(row[0], first10[i].id);
    const got = row.slice(2).map(csvBytes);
    const expected = names.slice(2).map((n) => first10[i].fields.find(([f]) => f.equals(n))?.[1] ?? Buffer.alloc(0));
    assert.deepEqual(got, expected, `row ${row[0]}`);
  });

  // The same name again asks before replacing the file.
  await dialog.getByTestId('rx-count').fill('3');
  await dialog.getByTestId('rx-start').click();
  await page.getByTestId('confirm-ok').click();
  await dialog.locator('[data-testid=rx-done][data-entries="3"]').waitFor(T);
  assert.equal(parseCsv(readFileSync(join(exportDir, 'sensor-range.csv'), 'utf8')).length, 4);
  await screenshot(page, 'stream-range-export');

  // The file is downloadable from the Export / Import page the dialog points to.
  await dialog.getByTestId('rx-open-transfer').click();
  await page.getByTestId('tx-file-download').and(page.locator('[data-name="sensor-range.jsonl"]')).waitFor(T);
  await page.getByTestId('nav-streams').click();
  await page.getByTestId('stream-item').first().waitFor(T);
});

test('a stream created elsewhere appears after reloading the list', async () => {
  await r.call('XADD', 'fills:late', '*', 'qty', '1');
  assert.equal(await page.getByTestId('stream-item').filter({ hasText: 'fills:late' }).count(), 0, 'not listed before the reload');
  await page.getByTestId('streams-reload').click();
  await page.getByTestId('stream-item').filter({ hasText: 'fills:late' }).waitFor(T);
  await openStream('fills:late');
  assert.equal(await length(), '1');
});

test('read-only mode refuses stream changes with a readable error', async () => {
  const ro = await startServe(redis.url, ['--read-only']);
  try {
    const p = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await p.goto(ro.url + '#/streams');
    await p.getByTestId('read-only').waitFor(T);
    await p.getByTestId('stream-item').filter({ hasText: 'orders' }).first().click();
    await p.getByTestId('stream-entry').first().waitFor(T);
    await p.getByTestId('xadd-open').click();
    await p.getByTestId('xadd-field').fill('x');
    await p.getByTestId('xadd-value').fill('y');
    await p.getByTestId('xadd-save').click();
    await p.getByTestId('xadd-error').filter({ hasText: /read.only/i }).waitFor(T);
    await p.getByTestId('xadd-dialog-close').click();
    await p.getByTestId('stream-entry').first().getByTestId('entry-delete').click();
    await p.getByTestId('toast-error').filter({ hasText: /read.only/i }).first().waitFor(T);
    assert.equal(await r.call('XLEN', 'orders'), 5);
    await p.close();
  } finally {
    ro.stop();
  }
});
