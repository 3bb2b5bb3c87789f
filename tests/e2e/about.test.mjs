// The About dialog names this build: the workspace's version and the git commit it was built from.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { launchBrowser, repo, screenshot, startRedis, startServe } from './harness.mjs';

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

/** The version in the workspace's Cargo.toml, which every crate and the packages carry. */
function workspaceVersion() {
  const toml = readFileSync(join(repo, 'Cargo.toml'), 'utf8');
  const section = toml.split('[workspace.package]')[1];
  return section.match(/^version\s*=\s*"([^"]+)"/m)[1];
}

test('About shows the version and the commit the binary was built from', async () => {
  const head = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
  const page = await browser.newPage();
  await page.goto(serve.url);
  await page.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor({ timeout: 15000 });
  await page.getByTestId('open-about').click();
  const dialog = page.getByTestId('about');
  await dialog.waitFor();
  assert.equal(await dialog.getByTestId('about-version').textContent(), workspaceVersion());
  assert.equal(await dialog.getByTestId('about-commit').textContent(), head);
  assert.match(await dialog.textContent(), /checks for no updates and sends no telemetry/);
  await screenshot(page, 'about');
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
});
