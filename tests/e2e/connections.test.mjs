// The connection dialog as a person uses it, against real servers started by the reach fixtures
// (`reach-fixtures`: a private sshd with a Redis behind it on a Unix socket, a Redis that requires
// a TLS client certificate, an ACL user `trader` limited to market:* and reads): an SSH profile
// with the first-use host-key prompt, a TLS profile with client certificate, labelled production,
// an ACL user from a pasted URL who is told NOPERM, a wrong password, and an imported export.
// Every write is checked in Redis.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Resp, launchBrowser, redscopeBin, screenshot, startRedis, startServe, until } from './harness.mjs';

const T = { timeout: 20000 };
let fixture, fx, redis, serve, browser, page, configDir;
const pageErrors = [];

/** Starts the fixture binary and reads the JSON line it prints. */
async function startFixtures() {
  const bin = join(dirname(redscopeBin()), 'reach-fixtures');
  const proc = spawn(bin, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => (out += d));
  proc.stderr.on('data', (d) => (err += d));
  const line = await until(() => out.split('\n').find((l) => l.startsWith('{')), { timeoutMs: 60000, what: `reach-fixtures to start (stderr: ${err})` });
  return { proc, info: JSON.parse(line), stop: () => proc.stdin.end() };
}

before(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'redscope-e2e-profiles-'));
  process.env.REDSCOPE_CONFIG_DIR = configDir;
  process.env.REDSCOPE_SECRET_STORE = 'file';
  fixture = await startFixtures();
  fx = fixture.info;
  redis = await startRedis();
  serve = await startServe(redis.url);
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(serve.url);
  await page.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
});

after(async () => {
  await browser?.close();
  serve?.stop();
  redis?.stop();
  fixture?.stop();
  if (configDir) rmSync(configDir, { recursive: true, force: true });
});

async function openDialog() {
  if (!(await page.getByTestId('connections').isVisible().catch(() => false))) {
    await page.getByTestId('open-connections').click();
    await page.getByTestId('connections').waitFor(T);
  }
  await page.getByTestId('profile-new').click();
}

async function testResult(pattern) {
  const result = page.getByTestId('profile-test-result');
  await result.filter({ hasText: pattern }).waitFor(T);
  return result.textContent();
}

async function connectTo(name) {
  await page.getByTestId(`profile-${name}`).getByTestId('profile-connect').click();
  await page.getByTestId('connections').waitFor({ state: 'detached', ...T });
  await page.getByTestId('conn-profile').filter({ hasText: name }).waitFor(T);
}

async function consoleRun(line) {
  await page.getByTestId('nav-server').click();
  await page.getByTestId('tab-console').click();
  const input = page.getByTestId('console-input');
  await input.fill(line);
  await input.press('Enter');
  const entry = page.getByTestId('console-entry').last();
  await entry.locator('[data-testid=console-reply], [data-testid=console-error]').waitFor(T);
  return entry;
}

test('an SSH profile: host key shown on first use, trusted, saved, connected', async () => {
  await openDialog();
  await page.getByTestId('profile-name').fill('behind-ssh');
  await page.getByTestId('profile-url').fill(fx.behind_ssh.url);
  await page.getByTestId('profile-ssh').check();
  await page.getByTestId('profile-ssh-host').fill(fx.ssh.host);
  await page.getByTestId('profile-ssh-port').fill(String(fx.ssh.port));
  await page.getByTestId('profile-ssh-user').fill(fx.ssh.user);
  await page.getByTestId('profile-ssh-auth').selectOption('key');
  await page.getByTestId('profile-ssh-key').fill(fx.ssh.encrypted_key);
  assert.equal(await page.getByTestId('profile-ssh-secret-label').textContent(), 'Key passphrase');
  // A wrong passphrase is an SSH login failure, told as such, once the host key is trusted.
  await page.getByTestId('profile-ssh-secret').fill('wrong-passphrase');
  await page.getByTestId('profile-test').click();
  await testResult('ssh_host_key_unknown');
  assert.equal(await page.getByTestId('profile-host-key-fingerprint').textContent(), fx.ssh.fingerprint);
  await screenshot(page, 'connections-ssh-host-key');
  await page.getByTestId('profile-trust-host-key').click();
  const failed = await testResult(/ssh_auth|ssh_connection/);
  assert.match(failed, /ssh_auth/);
  assert.doesNotMatch(failed, /wrong-passphrase/);
  await page.getByTestId('profile-ssh-secret').fill(fx.ssh.key_passphrase);
  await page.getByTestId('profile-test').click();
  await testResult(/OK · Redis 7/);
  await page.getByTestId('profile-save').click();
  await page.getByTestId('profile-behind-ssh').waitFor(T);
  assert.match(await page.getByTestId('profile-behind-ssh').textContent(), /via SSH/);
  await connectTo('behind-ssh');
  const r = await Resp.connect(fx.behind_ssh.port);
  try {
    await r.call('DEL', 'e2e:ssh');
    await consoleRun('SET e2e:ssh through-the-tunnel');
    await until(async () => String(await r.call('GET', 'e2e:ssh')) === 'through-the-tunnel', { what: 'the write through SSH to land' });
  } finally {
    r.close();
  }
});

test('a TLS profile with a client certificate, labelled production', async () => {
  await openDialog();
  await page.getByTestId('profile-paste-url').fill(fx.tls.url);
  await page.getByTestId('profile-paste-apply').click();
  assert.equal(await page.getByTestId('profile-url').inputValue(), fx.tls.url);
  assert.ok(await page.getByTestId('profile-tls').isChecked());
  await page.getByTestId('profile-name').fill('mtls-prod');
  await page.getByTestId('profile-tls-ca').fill(fx.tls.ca);
  // Without the client certificate the server refuses the handshake.
  await page.getByTestId('profile-test').click();
  await testResult(/tls/);
  // The client certificate and key are picked as files: the service keeps private copies and
  // the fields name them.
  for (const [field, from] of [['profile-tls-cert', fx.tls.cert], ['profile-tls-key', fx.tls.key]]) {
    const [chooser] = await Promise.all([page.waitForEvent('filechooser', T), page.getByTestId(`${field}-choose`).click()]);
    await chooser.setFiles(from);
    await until(async () => (await page.getByTestId(field).inputValue()).startsWith(configDir), { what: `${field} to name the stored copy` });
    const stored = await page.getByTestId(field).inputValue();
    assert.equal(readFileSync(stored, 'utf8'), readFileSync(from, 'utf8'));
    assert.equal(statSync(stored).mode & 0o777, 0o600);
  }
  await screenshot(page, 'connections-tls-files');
  // A server name the certificate does not list is refused, and the result names it; one it
  // lists (it is checked in full, and sent as SNI) passes.
  await page.getByTestId('profile-tls-server-name').fill('orders.internal');
  await page.getByTestId('profile-test').click();
  assert.match(await testResult(/tls/), /checked as orders\.internal/);
  await page.getByTestId('profile-tls-server-name').fill('localhost');
  await page.getByTestId('profile-test').click();
  await testResult(/OK · Redis 7/);
  await page.getByTestId('profile-label').fill('production');
  await page.getByTestId('profile-use-color').check();
  await page.getByTestId('profile-save').click();
  const row = page.getByTestId('profile-mtls-prod');
  await row.getByTestId('profile-badge').filter({ hasText: 'production' }).waitFor(T);
  const profiles = JSON.parse(readFileSync(join(configDir, 'profiles.json'), 'utf8'));
  assert.equal(profiles.find((p) => p.name === 'mtls-prod').tls_server_name, 'localhost');
  await screenshot(page, 'connections-list');
  // A writable production profile asks before connecting.
  await row.getByTestId('profile-connect').click();
  await page.getByTestId('confirm-ok').click();
  await page.getByTestId('connections').waitFor({ state: 'detached', ...T });
  await page.getByTestId('conn-profile').getByTestId('profile-badge').filter({ hasText: 'production' }).waitFor(T);
  assert.equal(await page.evaluate(() => document.body.hasAttribute('data-production')), true);
  const r = await Resp.connect(fx.tls.plain_port);
  try {
    await consoleRun('SET e2e:tls over-mtls');
    await until(async () => String(await r.call('GET', 'e2e:tls')) === 'over-mtls', { what: 'the write over TLS to land' });
  } finally {
    r.close();
  }
  await screenshot(page, 'connected-production');
});

test('an ACL user from a pasted URL: wrong password told, NOPERM explained', async () => {
  await openDialog();
  const base = `redis://${fx.acl.user}:%s@127.0.0.1:${fx.behind_ssh.port}/0`;
  await page.getByTestId('profile-paste-url').fill(base.replace('%s', 'not-the-password'));
  await page.getByTestId('profile-paste-apply').click();
  assert.equal(await page.getByTestId('profile-username').inputValue(), fx.acl.user);
  assert.doesNotMatch(await page.getByTestId('profile-url').inputValue(), /not-the-password/);
  await page.getByTestId('profile-test').click();
  const wrong = await testResult(/auth/);
  assert.doesNotMatch(wrong, /not-the-password/);
  await page.getByTestId('profile-password').fill(fx.acl.password);
  await page.getByTestId('profile-name').fill('trader');
  await page.getByTestId('profile-read-only').check();
  await page.getByTestId('profile-test').click();
  await testResult(/OK/);
  await page.getByTestId('profile-save').click();
  await page.getByTestId('profile-trader').waitFor(T);
  await connectTo('trader');
  const ok = await consoleRun('GET market:btc');
  assert.match(await ok.textContent(), /97000/);
  const refused = await consoleRun('GET secret:api-key');
  await refused.getByTestId('noperm-hint').waitFor(T);
  assert.match(await refused.textContent(), /NOPERM/);
  await screenshot(page, 'console-noperm');
  // The password is in the 0600 secrets file only, never in profiles.json.
  assert.doesNotMatch(readFileSync(join(configDir, 'profiles.json'), 'utf8'), new RegExp(fx.acl.password));
});

test('web mode started on a Unix socket, and a socket profile', async () => {
  const direct = await startServe(fx.behind_ssh.url);
  const p = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const r = await Resp.connect(fx.behind_ssh.port);
  try {
    await p.goto(direct.url);
    await p.getByTestId('conn-state').filter({ hasText: 'connected' }).waitFor(T);
    await p.getByTestId('conn-url').filter({ hasText: /^unix:\/\// }).waitFor(T);
    await p.getByTestId('open-connections').click();
    await p.getByTestId('profile-name').fill('socket');
    await p.getByTestId('profile-url').fill(fx.behind_ssh.url);
    await p.getByTestId('profile-test').click();
    await p.getByTestId('profile-test-result').filter({ hasText: /OK · Redis 7/ }).waitFor(T);
    await p.getByTestId('profile-save').click();
    await p.getByTestId('profile-socket').getByTestId('profile-connect').click();
    await p.getByTestId('conn-profile').filter({ hasText: 'socket' }).waitFor(T);
    await p.getByTestId('nav-server').click();
    await p.getByTestId('tab-console').click();
    await p.getByTestId('console-input').fill('SET e2e:socket yes');
    await p.getByTestId('console-input').press('Enter');
    await until(async () => String(await r.call('GET', 'e2e:socket')) === 'yes', { what: 'the write over the socket' });
  } finally {
    r.close();
    await p.close();
    direct.stop();
  }
});

test('an Another Redis Desktop Manager export is imported and connects', async () => {
  await openDialog();
  const ardm = [{ host: '127.0.0.1', port: fx.tls.plain_port, auth: '', name: 'imported-ardm', separator: ':', cluster: false, connectionReadOnly: false }];
  await page.getByTestId('profile-import-file').setInputFiles({ name: 'connections.ano', mimeType: 'text/plain', buffer: Buffer.from(Buffer.from(JSON.stringify(ardm)).toString('base64')) });
  await page.getByTestId('profile-import-result').filter({ hasText: 'Imported 1: imported-ardm' }).waitFor(T);
  await page.getByTestId('profile-imported-ardm').waitFor(T);
  await connectTo('imported-ardm');
  const r = await Resp.connect(fx.tls.plain_port);
  try {
    await consoleRun('SET e2e:imported yes');
    await until(async () => String(await r.call('GET', 'e2e:imported')) === 'yes', { what: 'the write through the imported profile' });
  } finally {
    r.close();
  }
  assert.deepEqual(pageErrors, []);
});
