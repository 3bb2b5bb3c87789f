// Alert thresholds as a person edits them: on the dashboard, with a saved profile connected, the
// clients threshold is lowered below the clients Redis has, the alert fires; the threshold is in
// the profile's file, survives a restart of `redscope serve` (applied when the profile is
// connected again) and fires again; a nonsensical set is refused and changes nothing.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Resp, launchBrowser, screenshot, startRedis, startServe, until } from './harness.mjs';

const T = { timeout: 20000 };
let redis, serve, browser, configDir;
const idle = [];
const pageErrors = [];

before(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'redscope-e2e-alerts-'));
  process.env.REDSCOPE_CONFIG_DIR = configDir;
  process.env.REDSCOPE_SECRET_STORE = 'file';
  redis = await startRedis();
  browser = await launchBrowser();
});

after(async () => {
  for (const c of idle) c.close();
  await browser?.close();
  serve?.stop();
  redis?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

async function openApp() {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(serve.url);
  await page.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
  return page;
}

async function connectTo(page, name) {
  await page.getByTestId('open-connections').click();
  await page.getByTestId('connections').waitFor(T);
  await page.getByTestId(`profile-${name}`).getByTestId('profile-connect').click();
  await page.getByTestId('connections').waitFor({ state: 'detached', ...T });
  await page.getByTestId('conn-profile').filter({ hasText: name }).waitFor(T);
}

function savedProfile(name) {
  return JSON.parse(readFileSync(join(configDir, 'profiles.json'), 'utf8')).find((p) => p.name === name);
}

test('a lowered clients threshold fires, is saved with the profile and applies after a restart', async () => {
  serve = await startServe(redis.url);
  let page = await openApp();
  await page.getByTestId('open-connections').click();
  await page.getByTestId('profile-new').click();
  await page.getByTestId('profile-name').fill('watched');
  await page.getByTestId('profile-url').fill(redis.url);
  await page.getByTestId('profile-save').click();
  await page.getByTestId('profile-watched').waitFor(T);
  await page.getByTestId('profile-watched').getByTestId('profile-connect').click();
  await page.getByTestId('connections').waitFor({ state: 'detached', ...T });
  await page.getByTestId('conn-profile').filter({ hasText: 'watched' }).waitFor(T);

  for (let i = 0; i < 3; i++) idle.push(await Resp.connect(redis.port));
  const clients = Number((await idle[0].str('INFO', 'clients')).match(/connected_clients:(\d+)/)[1]);
  assert.ok(clients > 3 && clients < 50, `${clients} clients`);

  await page.getByTestId('nav-dashboard').click();
  await page.getByTestId('th-open').click();
  await page.getByTestId('th-where').filter({ hasText: 'Saved with profile watched' }).waitFor(T);
  assert.equal(await page.getByTestId('th-clients').inputValue(), '50');
  assert.equal(await page.getByTestId('alert-too_many_clients').count(), 0, 'no alert under the default');

  await page.getByTestId('th-clients').fill('2');
  await page.getByTestId('th-save').click();
  const alert = page.getByTestId('alert-too_many_clients');
  await alert.waitFor(T);
  assert.match(await alert.textContent(), /connected clients \(more than 2\)/);
  assert.equal(savedProfile('watched').alerts.clients_warning, 2);

  // Nonsense is refused, said so, and nothing changes.
  await page.getByTestId('th-mem-warn').fill('99');
  await page.getByTestId('th-save').click();
  await page.getByTestId('th-error').filter({ hasText: 'below the critical level' }).waitFor(T);
  assert.equal(savedProfile('watched').alerts.memory_warning_pct, 80);
  await screenshot(page, 'alert-thresholds');
  await page.close();

  // A restart of the service: the profile's thresholds apply once it is connected again.
  serve.stop();
  serve = await startServe(redis.url);
  page = await openApp();
  await connectTo(page, 'watched');
  await page.getByTestId('nav-dashboard').click();
  await page.getByTestId('alert-too_many_clients').filter({ hasText: 'more than 2' }).waitFor(T);
  await page.getByTestId('th-open').click();
  await until(async () => (await page.getByTestId('th-clients').inputValue()) === '2', { what: 'the saved threshold in the form' });

  // Back to the defaults: the alert goes, the profile no longer carries thresholds.
  await page.getByTestId('th-defaults').click();
  await page.getByTestId('alert-too_many_clients').waitFor({ state: 'detached', ...T });
  assert.equal(savedProfile('watched').alerts, undefined);
  await page.close();
  assert.deepEqual(pageErrors, []);
});
