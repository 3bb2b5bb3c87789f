// The channel monitor as a person uses it: subscribed to two trading channels while other clients
// subscribe (plain, pattern and sharded) and messages are published, the messages-per-second chart
// follows the exact count, the server's PUBSUB counts agree with what Redis itself answers, and the
// captured messages download as JSON lines and CSV holding exactly what was published. Then Redis 7
// shard channels: subscribed from the page beside a classic channel of the same name, SPUBLISH from
// the publish box, each message marked with the kind of channel it came from.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Resp, launchBrowser, screenshot, startRedis, startServe, until } from './harness.mjs';

const T = { timeout: 20000 };
let redis, serve, browser, page, r;
const others = [];
const pageErrors = [];

before(async () => {
  redis = await startRedis();
  r = await Resp.connect(redis.port);
  serve = await startServe(redis.url);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 }, acceptDownloads: true });
  page.on('pageerror', (e) => pageErrors.push(e.stack ?? e.message));
  await page.goto(`${serve.url}#/channels`);
  await page.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
});

after(async () => {
  for (const c of others) c.close();
  await browser?.close();
  serve?.stop();
  r?.close();
  redis?.stop();
});

test('rates, server counts and the export of captured messages', async () => {
  await page.getByTestId('sub-channels').fill('trading:signals, trading:orders');
  await page.getByTestId('subscribe').click();
  await page.getByTestId('stats-table').waitFor(T);
  // Other clients of the server: a plain subscriber, a pattern one, two on a sharded channel.
  for (const args of [['SUBSCRIBE', 'trading:signals'], ['PSUBSCRIBE', 'alerts:*'], ['SSUBSCRIBE', 'book:{ETH}'], ['SSUBSCRIBE', 'book:{ETH}']]) {
    const c = await Resp.connect(redis.port);
    await c.call(...args);
    others.push(c);
  }

  const sent = [];
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 10; i++) {
      const payload = JSON.stringify({ type: 'TRADE_SIGNAL', n: round * 10 + i, note: 'a,b "c"' });
      sent.push(payload);
      await r.call('PUBLISH', 'trading:signals', payload);
    }
    const order = `order ${round}`;
    sent.push(order);
    await r.call('PUBLISH', 'trading:orders', order);
    await new Promise((ok) => setTimeout(ok, 100));
  }
  // A binary payload whose display form (\xff\x00\\x) is not its text.
  const binary = Buffer.from([0xff, 0x00, 0x5c, 0x78]);
  await r.call('PUBLISH', 'trading:orders', binary);
  sent.push(null);
  await page.getByTestId('monitor-status').filter({ hasText: `${sent.length} messages` }).waitFor(T);
  const chart = page.getByTestId('rate-chart');
  await until(async () => Number(await chart.getAttribute('data-peak')) > 0, { what: 'a messages-per-second figure' });
  await until(async () => (await chart.locator('canvas').count()) > 0, { what: 'the rate chart' });
  // The chart's peak cannot exceed what was sent, nor be far below the ~100/s of the burst.
  const peak = Number(await chart.getAttribute('data-peak'));
  assert.ok(peak > 20 && peak <= sent.length, `peak ${peak}/s`);

  await page.getByTestId('pubsub-refresh').click();
  await until(async () => (await page.getByTestId('pubsub-channel-name').allTextContents()).includes('trading:signals'), { what: 'the server counts' });
  const names = await page.getByTestId('pubsub-channel-name').allTextContents();
  const subs = await page.getByTestId('pubsub-channel-subs').allTextContents();
  for (const ch of ['trading:signals', 'trading:orders']) {
    const [, n] = await r.str('PUBSUB', 'NUMSUB', ch);
    assert.equal(subs[names.indexOf(ch)], String(n), ch);
  }
  assert.equal(await page.getByTestId('pubsub-numpat').textContent(), String(await r.call('PUBSUB', 'NUMPAT')));
  const [, shardSubs] = await r.str('PUBSUB', 'SHARDNUMSUB', 'book:{ETH}');
  assert.deepEqual(await page.getByTestId('pubsub-shard-name').allTextContents(), ['book:{ETH}']);
  assert.equal(await page.getByTestId('pubsub-shard-subs').textContent(), String(shardSubs));
  await screenshot(page, 'channels-rates-counts');

  const [jsonl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('msg-export-jsonl').click()]);
  assert.match(jsonl.suggestedFilename(), /^redscope-messages-.*\.jsonl$/);
  const lines = readFileSync(await jsonl.path(), 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.payload), sent, 'every message, oldest first');
  assert.equal(lines[0].channel, 'trading:signals');
  assert.deepEqual(lines[0].json, JSON.parse(sent[0]));
  assert.deepEqual([lines.at(-1).binary, Buffer.from(lines.at(-1).payload_b64, 'base64')], [true, binary], 'binary bytes exact, not passed off as text');

  const [csv] = await Promise.all([page.waitForEvent('download'), page.getByTestId('msg-export-csv').click()]);
  const text = readFileSync(await csv.path(), 'utf8');
  assert.ok(text.startsWith('at,channel,pattern,sharded,length,payload,payload_b64,binary,truncated\r\n'));
  assert.equal(text.trimEnd().split('\r\n').length, sent.length + 1);
  assert.ok(text.includes(`,trading:signals,,false,${Buffer.byteLength(sent[0])},"${sent[0].replace(/"/g, '""')}",`), 'a quoted JSON payload');
  assert.ok(text.endsWith(`,trading:orders,,false,4,,${binary.toString('base64')},true,false\r\n`), 'the binary payload as base64 only');
  assert.deepEqual(pageErrors, []);
});

test('shard channels: SSUBSCRIBE from the page, SPUBLISH from the publish box, marked messages', async () => {
  await page.getByTestId('sub-channels').fill('news');
  await page.getByTestId('sub-patterns').fill('');
  await page.getByTestId('sub-shard-channels').fill('news, orders:{eu}');
  await page.getByTestId('subscribe').click();
  // Redis itself lists the monitor as the shard channels' subscriber.
  await until(async () => (await r.str('PUBSUB', 'SHARDNUMSUB', 'news', 'orders:{eu}')).join(' ') === 'news 1 orders:{eu} 1', { what: 'the shard subscriptions' });
  // Another client subscribed to the shard channel: it must get the page's message.
  const sub = await Resp.connect(redis.port);
  others.push(sub);
  await sub.call('SSUBSCRIBE', 'orders:{eu}');

  await r.call('PUBLISH', 'news', 'classic news');
  await r.call('SPUBLISH', 'news', 'shard news');
  await page.getByTestId('pub-channel').fill('orders:{eu}');
  await page.getByTestId('pub-message').fill('{"order":7}');
  await page.getByTestId('pub-sharded').check();
  await page.getByTestId('publish').click();
  await page.getByTestId('pub-result').filter({ hasText: 'delivered to 2 subscriber(s)' }).waitFor(T);
  // SPUBLISH, not PUBLISH: the other shard subscriber received it (its next reply is the push).
  assert.deepEqual(await sub.str('PING'), ['smessage', 'orders:{eu}', '{"order":7}']);

  const row = (text) => page.getByTestId('message').filter({ hasText: text });
  await row('{"order":7}').waitFor(T);
  await row('shard news').waitFor(T);
  await row('classic news').waitFor(T);
  assert.equal(await row('{"order":7}').getByTestId('msg-sharded').count(), 1);
  assert.equal(await row('shard news').getByTestId('msg-sharded').count(), 1);
  assert.equal(await row('classic news').getByTestId('msg-sharded').count(), 0, 'a classic message is not marked');

  // The counts keep the classic and the shard channel of one name apart.
  await until(async () => {
    const rows = await page.getByTestId('stats-table').locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.cells].slice(0, 3).map((td) => td.textContent).join('|')));
    return ['news|shard channel|1', 'news|channel|1', 'orders:{eu}|shard channel|1'].every((want) => rows.includes(want));
  }, { what: 'per-kind counts' });

  await row('{"order":7}').click();
  await page.getByTestId('msg-detail').filter({ hasText: '(shard channel)' }).waitFor(T);
  await screenshot(page, 'channels-shard');

  await page.getByTestId('unsubscribe').click();
  await until(async () => (await r.str('PUBSUB', 'SHARDNUMSUB', 'news')).join(' ') === 'news 0', { what: 'the monitor to let go' });
  assert.deepEqual(pageErrors, []);
});
