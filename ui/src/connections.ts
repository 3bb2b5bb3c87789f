// The connections dialog: list saved profiles (colour, label, production marked), add/edit one
// — URL, ACL user, password, TLS files, SSH tunnel, label, colour, read-only — test it before
// saving (with the SSH host-key prompt on first use), import from a pasted URL or another tool's
// export, and connect. Secrets go to the service (OS keyring or its 0600 file) and never come back.

import { h } from './dom';
import { parsePastedUrl } from './profileurl';
import type { Transport } from './transport';
import type { HealthReport, Profile, ProfileInput } from './types';
import type { FileRole, ProfileSsh, ProfileTest, SshAuthKind } from './api.gen';
import { button, confirmDialog, empty, errorText, openModal, showError, toast } from './ui';

/** Labels offered in the dialog; `production` is marked in red everywhere. */
export const LABELS = ['production', 'staging', 'development', 'test'];

/** A small badge for a profile's label and colour (production stands out). */
export function profileBadge(p: Pick<Profile, 'label' | 'color'>): HTMLElement | null {
  if (!p.label && !p.color) return null;
  const prod = p.label?.toLowerCase() === 'production';
  const badge = h('span', { class: `profile-badge${prod ? ' prod' : ''}`, 'data-testid': 'profile-badge' }, p.label ?? '');
  if (p.color) badge.style.setProperty('--profile-color', p.color);
  return badge;
}

/** Readable advice for a failed test's code. */
function advice(code: string): string {
  switch (code) {
    case 'dns':
      return 'Check the host name.';
    case 'connection':
      return 'Nothing answers there: check host, port and firewall.';
    case 'tls':
      return 'Check the CA file, the client certificate and key, or that the server speaks TLS.';
    case 'auth':
      return 'Check the user name and password.';
    case 'noperm':
      return 'The ACL user lacks a permission the test needs.';
    case 'ssh_auth':
      return 'The SSH server refused the login: check SSH user, password, key or passphrase.';
    case 'ssh_connection':
      return 'Check the SSH host and port.';
    case 'ssh_host_key_changed':
      return 'Do not connect unless you know the server was reinstalled.';
    case 'timeout':
      return 'No answer in time: a firewall may drop the packets.';
    default:
      return '';
  }
}

/** Opens the dialog; `onConnected` gets the health of the newly active connection. */
export function openConnections(api: Transport, onConnected: (r: HealthReport) => void): void {
  const input = (attrs: Record<string, string>) => h('input', { autocomplete: 'off', spellcheck: 'false', ...attrs });
  const list = h('div', { class: 'profile-list', 'data-testid': 'profile-list' });
  const name = input({ placeholder: 'name, e.g. prod-cache', 'data-testid': 'profile-name' });
  const url = input({ placeholder: 'redis://host:6379/0 · rediss:// · unix:///path · redis+sentinel:// · redis+cluster://', 'data-testid': 'profile-url' });
  const password = input({ type: 'password', placeholder: 'password (kept in the OS keyring)', 'data-testid': 'profile-password' });
  const readOnly = h('input', { type: 'checkbox', 'data-testid': 'profile-read-only' });
  const username = input({ placeholder: 'ACL user (optional)', 'data-testid': 'profile-username' });
  const db = input({ type: 'number', min: '0', placeholder: 'db (optional)', 'data-testid': 'profile-db' });
  const separator = input({ placeholder: ':', 'data-testid': 'profile-separator' });
  const label = input({ placeholder: 'e.g. production', list: 'profile-labels', 'data-testid': 'profile-label' });
  const labels = h('datalist', { id: 'profile-labels' }, ...LABELS.map((l) => h('option', { value: l })));
  const useColor = h('input', { type: 'checkbox', 'data-testid': 'profile-use-color' });
  const color = h('input', { type: 'color', value: '#d33f3f', 'data-testid': 'profile-color' });
  // TLS
  const tls = h('input', { type: 'checkbox', 'data-testid': 'profile-tls' });
  const tlsInsecure = h('input', { type: 'checkbox', 'data-testid': 'profile-tls-insecure' });
  const tlsCaOnly = h('input', { type: 'checkbox', 'data-testid': 'profile-tls-ca-only' });
  const tlsCa = input({ placeholder: '/path/to/ca.pem (empty: system roots)', 'data-testid': 'profile-tls-ca' });
  const tlsCert = input({ placeholder: '/path/to/client.crt (servers with tls-auth-clients)', 'data-testid': 'profile-tls-cert' });
  const tlsKey = input({ placeholder: '/path/to/client.key (PEM; encrypted PKCS#8 too)', 'data-testid': 'profile-tls-key' });
  const tlsServerName = input({ placeholder: 'name in the certificate, when not the host (e.g. redis.internal)', 'data-testid': 'profile-tls-server-name' });
  /** A "Choose…" button beside a path field: the picked file is read here and stored for the
   * profile by the service (0600, in the config folder; in web mode the file is not on the
   * server's disk), and the field gets the stored path. */
  const chooser = (role: FileRole, field: HTMLInputElement, testid: string): HTMLElement => {
    const file = h('input', { type: 'file', hidden: true, 'data-testid': `${testid}-file` }) as HTMLInputElement;
    file.addEventListener('change', async () => {
      const picked = file.files?.[0];
      if (!picked) return;
      try {
        const stored = await api.call('profile_file', { profile: name.value.trim(), role, contents: await picked.text() });
        field.value = stored.path;
        toast(`${picked.name} stored for this profile`, 'ok');
      } catch (e) {
        showError(e);
      } finally {
        file.value = '';
      }
    });
    const pick = button('Choose…', () => file.click(), { type: 'button', 'data-testid': `${testid}-choose`, title: 'Pick the file; a private copy is kept with the profile' });
    return h('span', { class: 'file-choose' }, pick, file);
  };
  const tlsKeyPass = input({ type: 'password', placeholder: 'only for an encrypted key (kept in the OS keyring)', 'data-testid': 'profile-tls-key-passphrase' });
  // SSH
  const ssh = h('input', { type: 'checkbox', 'data-testid': 'profile-ssh' });
  const sshHost = input({ placeholder: 'bastion.example.com', 'data-testid': 'profile-ssh-host' });
  const sshPort = input({ type: 'number', min: '1', max: '65535', value: '22', 'data-testid': 'profile-ssh-port' });
  const sshUser = input({ placeholder: 'SSH user', 'data-testid': 'profile-ssh-user' });
  const sshAuth = h(
    'select',
    { 'data-testid': 'profile-ssh-auth' },
    h('option', { value: 'password' }, 'password'),
    h('option', { value: 'key' }, 'private key'),
    h('option', { value: 'agent' }, 'SSH agent'),
  );
  const sshKey = input({ placeholder: '~/.ssh/id_ed25519', 'data-testid': 'profile-ssh-key' });
  const sshSecret = input({ type: 'password', placeholder: 'SSH password', 'data-testid': 'profile-ssh-secret' });
  const sshJump = input({ placeholder: 'optional: [user@]jump-host[:port]', 'data-testid': 'profile-ssh-jump' });
  const sshKeyLabel = h('label', {}, 'Private key file', h('span', { class: 'row' }, sshKey, chooser('ssh_key', sshKey, 'profile-ssh-key')));
  const sshSecretLabel = h('label', {}, h('span', { 'data-testid': 'profile-ssh-secret-label' }, 'SSH password'), sshSecret);
  const sshBox = h(
    'fieldset',
    { class: 'form sub', 'data-testid': 'profile-ssh-fields', hidden: true },
    h('legend', {}, 'SSH tunnel'),
    h('label', {}, 'SSH host', sshHost),
    h('label', {}, 'SSH port', sshPort),
    h('label', {}, 'SSH user', sshUser),
    h('label', {}, 'Log in with', sshAuth),
    sshKeyLabel,
    sshSecretLabel,
    h('label', {}, 'Jump host', sshJump),
  );
  const tlsBox = h(
    'fieldset',
    { class: 'form sub', 'data-testid': 'profile-tls-fields', hidden: true },
    h('legend', {}, 'TLS'),
    h('label', {}, 'CA file', h('span', { class: 'row' }, tlsCa, chooser('tls_ca', tlsCa, 'profile-tls-ca'))),
    h('label', {}, 'Client certificate', h('span', { class: 'row' }, tlsCert, chooser('tls_cert', tlsCert, 'profile-tls-cert'))),
    h('label', {}, 'Client key', h('span', { class: 'row' }, tlsKey, chooser('tls_key', tlsKey, 'profile-tls-key'))),
    h('label', {}, 'Key passphrase', tlsKeyPass),
    h('label', { title: 'Sent as SNI and checked against the certificate: for a server reached by an address its certificate does not list (a tunnel, an IP, a load balancer)' }, 'Server name', tlsServerName),
    h('label', { class: 'check' }, tlsInsecure, ' skip certificate verification (self-signed test servers only)'),
    h('label', { class: 'check', title: 'For a server reached through an SSH tunnel or by an address its certificate does not list: the certificate must still be signed by the CA' }, tlsCaOnly, ' check the CA only, not the host name'),
  );
  const result = h('div', { class: 'test-result', 'data-testid': 'profile-test-result' });
  const hostKeyBox = h('div', { class: 'host-key', 'data-testid': 'profile-host-key', hidden: true });
  let editing: Profile | null = null;
  /** The SSH host key fingerprint the user accepted in this dialog (sent with the next test). */
  let acceptedKey: string | null = null;

  function syncSections(): void {
    sshBox.hidden = !ssh.checked;
    tlsBox.hidden = !tls.checked && !/^rediss/.test(url.value.trim());
    const auth = sshAuth.value as SshAuthKind;
    sshKeyLabel.hidden = auth !== 'key';
    sshSecretLabel.hidden = auth === 'agent';
    const stored = editing?.ssh?.has_secret;
    const what = auth === 'key' ? 'Key passphrase' : 'SSH password';
    sshSecretLabel.querySelector('span')!.textContent = what;
    sshSecret.placeholder = stored ? `${what.toLowerCase()} stored — type to replace` : auth === 'key' ? 'empty if the key has none (kept in the OS keyring)' : 'kept in the OS keyring';
    color.disabled = !useColor.checked;
  }
  for (const el of [ssh, tls, useColor]) el.addEventListener('change', syncSections);
  sshAuth.addEventListener('change', syncSections);
  url.addEventListener('input', syncSections);

  const trimmed = (el: HTMLInputElement): string | undefined => el.value.trim() || undefined;

  function form(): ProfileInput {
    const base: Profile = { tls_insecure: false, separator: ':', ...(editing ?? {}), has_password: false, has_tls_key_passphrase: false, has_sentinel_password: false, name: '', url: '', read_only: false, tls: false };
    const p: ProfileInput = {
      ...base,
      name: name.value.trim(),
      url: url.value.trim(),
      read_only: readOnly.checked,
      tls: tls.checked,
      tls_insecure: tlsInsecure.checked,
      tls_verify_ca_only: tlsCaOnly.checked,
      separator: separator.value || ':',
      username: trimmed(username),
      db: db.value.trim() !== '' && Number.isInteger(Number(db.value)) ? Number(db.value) : undefined,
      label: trimmed(label),
      color: useColor.checked ? color.value : undefined,
      tls_ca: trimmed(tlsCa),
      tls_cert: trimmed(tlsCert),
      tls_key: trimmed(tlsKey),
      tls_server_name: tlsBox.hidden ? undefined : trimmed(tlsServerName),
      ssh: undefined,
    };
    for (const k of ['username', 'db', 'label', 'color', 'tls_ca', 'tls_cert', 'tls_key', 'tls_server_name', 'ssh'] as const) if (p[k] === undefined) delete p[k];
    if (ssh.checked) {
      const s: ProfileSsh = {
        host: sshHost.value.trim(),
        port: Number(sshPort.value) || 22,
        user: sshUser.value.trim(),
        auth: sshAuth.value as SshAuthKind,
        has_secret: false,
      };
      if (s.auth === 'key' && sshKey.value.trim()) s.key_path = sshKey.value.trim();
      if (sshJump.value.trim()) s.jump = sshJump.value.trim();
      p.ssh = s;
      if (sshSecret.value && s.auth !== 'agent') p.ssh_secret = sshSecret.value;
    }
    if (password.value) p.password = password.value;
    if (tlsKeyPass.value) p.tls_key_passphrase = tlsKeyPass.value;
    if (acceptedKey) p.accept_host_key = acceptedKey;
    return p;
  }

  function edit(p: Profile | null): void {
    editing = p;
    acceptedKey = null;
    name.value = p?.name ?? '';
    url.value = p?.url ?? '';
    readOnly.checked = !!p?.read_only;
    tls.checked = !!p?.tls;
    tlsInsecure.checked = !!p?.tls_insecure;
    tlsCaOnly.checked = !!p?.tls_verify_ca_only;
    tlsCa.value = p?.tls_ca ?? '';
    tlsCert.value = p?.tls_cert ?? '';
    tlsKey.value = p?.tls_key ?? '';
    tlsServerName.value = p?.tls_server_name ?? '';
    username.value = typeof p?.username === 'string' ? p.username : '';
    db.value = typeof p?.db === 'number' ? String(p.db) : '';
    separator.value = p?.separator ?? ':';
    label.value = p?.label ?? '';
    useColor.checked = !!p?.color;
    if (p?.color) color.value = p.color.length === 4 ? `#${[...p.color.slice(1)].map((c) => c + c).join('')}` : p.color;
    password.value = '';
    tlsKeyPass.value = '';
    tlsKeyPass.placeholder = p?.has_tls_key_passphrase ? 'passphrase stored — type to replace' : 'only for an encrypted key (kept in the OS keyring)';
    password.placeholder = p?.has_password ? 'password stored — type to replace' : 'password (kept in the OS keyring)';
    ssh.checked = !!p?.ssh;
    sshHost.value = p?.ssh?.host ?? '';
    sshPort.value = String(p?.ssh?.port ?? 22);
    sshUser.value = p?.ssh?.user ?? '';
    sshAuth.value = p?.ssh?.auth ?? 'password';
    sshKey.value = p?.ssh?.key_path ?? '';
    sshJump.value = p?.ssh?.jump ?? '';
    sshSecret.value = '';
    result.textContent = '';
    result.className = 'test-result';
    hostKeyBox.hidden = true;
    syncSections();
  }

  async function load(): Promise<void> {
    try {
      const profiles = await api.call('profiles');
      if (profiles.length === 0) {
        list.replaceChildren(empty('No saved profiles yet. Fill in the form below (or import), test it, then save.'));
        return;
      }
      list.replaceChildren(
        ...profiles.map((p) => {
          const swatch = h('span', { class: 'profile-swatch' });
          if (p.color) swatch.style.background = p.color;
          const row = h(
            'div',
            { class: 'profile-row', 'data-testid': `profile-${p.name}` },
            swatch,
            h(
              'div',
              { class: 'profile-main' },
              h('strong', {}, p.name),
              ' ',
              profileBadge(p),
              h('span', { class: 'muted' }, ` ${p.url}`),
              p.ssh ? h('span', { class: 'muted' }, ` · via SSH ${p.ssh.user}@${p.ssh.host}`) : null,
              p.username ? h('span', { class: 'muted' }, ` · user ${p.username}`) : null,
              p.read_only ? h('span', { class: 'ro-badge' }, 'read-only') : null,
              p.has_password ? h('span', { class: 'muted' }, ' · 🔑') : null,
            ),
            button(
              'Connect',
              async () => {
                if (p.label?.toLowerCase() === 'production' && !p.read_only) {
                  const ok = await confirmDialog('Production', `"${p.name}" is marked production and can be written to. Connect?`, 'Connect', true);
                  if (!ok) return;
                }
                const r = await api.call('connect', { profile: p.name });
                onConnected(r);
                toast(`Connected to ${p.name}`, 'ok');
                close();
              },
              { 'data-testid': 'profile-connect' },
            ),
            api.openWindow
              ? button(
                  'New window',
                  async () => {
                    await api.openWindow?.(p.name);
                    toast(`Opened ${p.name} in a new window`, 'ok');
                  },
                  { 'data-testid': 'profile-open-window', title: 'Open this profile in a window of its own (its own connection)' },
                )
              : null,
            button('Edit', () => edit(p), { 'data-testid': 'profile-edit' }),
            button(
              'Delete',
              async () => {
                if (!(await confirmDialog('Delete profile', `Delete the profile "${p.name}" and its stored secrets?`, 'Delete'))) return;
                await api.call('profile_delete', { name: p.name });
                await load();
              },
              { 'data-testid': 'profile-delete' },
            ),
          );
          if (p.color) row.style.setProperty('--profile-color', p.color);
          return row;
        }),
      );
    } catch (e) {
      list.replaceChildren(h('div', { class: 'empty error' }, errorText(e)));
    }
  }

  function showTest(r: ProfileTest): void {
    hostKeyBox.hidden = true;
    if (r.ok) {
      result.textContent = `OK · Redis ${r.version ?? '(version hidden by ACL)'} · ${r.latency_ms?.toFixed(2) ?? '?'} ms`;
      result.className = 'test-result ok';
      return;
    }
    const code = r.error?.code ?? 'error';
    result.className = 'test-result bad';
    result.replaceChildren(h('strong', { 'data-testid': 'profile-test-code' }, code), ` ${r.error?.message ?? 'unknown error'} `, h('span', { class: 'muted' }, advice(code)));
    if (code === 'ssh_host_key_unknown' && r.host_key) {
      const key = r.host_key;
      hostKeyBox.hidden = false;
      hostKeyBox.replaceChildren(
        h('div', {}, `First connection to the SSH server ${key.server}. Its ${key.algorithm} host key fingerprint is:`),
        h('code', { 'data-testid': 'profile-host-key-fingerprint' }, key.fingerprint),
        h('div', { class: 'muted' }, 'Compare it with the one your administrator gives you (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the server). Trust it only if they match.'),
        button(
          'Trust this host key and test again',
          async () => {
            acceptedKey = key.fingerprint;
            await runTest();
          },
          { 'data-testid': 'profile-trust-host-key', class: 'btn primary' },
        ),
      );
      hostKeyBox.scrollIntoView({ block: 'nearest' });
    } else if (code === 'ssh_host_key_changed' && r.host_key) {
      hostKeyBox.hidden = false;
      hostKeyBox.className = 'host-key changed';
      hostKeyBox.replaceChildren(h('strong', {}, 'Refused: '), `the SSH server ${r.host_key.server} now presents ${r.host_key.fingerprint}, not the key recorded for it. Someone may be intercepting the connection.`);
    }
  }

  async function runTest(): Promise<void> {
    result.textContent = 'testing…';
    result.className = 'test-result';
    try {
      showTest(await api.call('profile_test', form()));
    } catch (e) {
      result.textContent = `Failed: ${errorText(e)}`;
      result.className = 'test-result bad';
    }
  }

  const testBtn = button('Test', runTest, { 'data-testid': 'profile-test' });
  const saveBtn = button(
    'Save',
    async () => {
      const p = form();
      if (!p.name || !p.url) {
        showError(new Error('A profile needs a name and a URL.'));
        return;
      }
      delete p.accept_host_key;
      await api.call('profile_save', p);
      toast(`Profile ${p.name} saved`, 'ok');
      edit(null);
      await load();
    },
    { 'data-testid': 'profile-save', class: 'btn primary' },
  );

  // Import: a pasted URL fills the form; an export file becomes profiles.
  const pasteUrl = input({ placeholder: 'paste redis://user:password@host:port/db', 'data-testid': 'profile-paste-url' });
  const fillBtn = button(
    'Fill in',
    () => {
      const u = parsePastedUrl(pasteUrl.value);
      url.value = u.url;
      if (!name.value.trim()) name.value = u.name;
      username.value = u.username ?? '';
      password.value = u.password ?? '';
      tls.checked = /^(rediss|valkeys)/.test(u.url);
      pasteUrl.value = '';
      syncSections();
    },
    { 'data-testid': 'profile-paste-apply' },
  );
  const importFile = h('input', { type: 'file', accept: '.json,.ano,.txt,application/json', 'data-testid': 'profile-import-file' });
  const importResult = h('div', { class: 'muted small', 'data-testid': 'profile-import-result' });
  importFile.addEventListener('change', async () => {
    const file = importFile.files?.[0];
    if (!file) return;
    try {
      const report = await api.call('profile_import', { text: await file.text() });
      const lines = [`Imported ${report.imported.length}: ${report.imported.map((p) => p.name).join(', ') || '—'}`];
      for (const s of report.skipped) lines.push(`Skipped ${s.name ?? `#${s.index + 1}`}: ${s.reason}`);
      lines.push(...report.notes);
      importResult.replaceChildren(...lines.map((l) => h('div', {}, l)));
      await load();
    } catch (e) {
      importResult.textContent = `Import failed: ${errorText(e)}`;
    } finally {
      importFile.value = '';
    }
  });

  const content = h(
    'div',
    { class: 'connections' },
    list,
    h('h3', {}, 'Add or edit a profile'),
    h('div', { class: 'row' }, pasteUrl, fillBtn, h('label', { class: 'file-pick', title: 'RedisInsight JSON export or Another Redis Desktop Manager connections.ano' }, 'Import export file… ', importFile)),
    importResult,
    h(
      'div',
      { class: 'form' },
      h('label', {}, 'Name', name),
      h('label', {}, 'URL', url),
      h('label', {}, 'Username (ACL)', username),
      h('label', {}, 'Password', password),
      h('label', {}, 'Database', db),
      h('label', {}, 'Key separator', separator),
      h('label', {}, 'Label', label, labels),
      h('label', { class: 'check' }, useColor, ' colour ', color),
      h('label', { class: 'check' }, tls, ' TLS'),
      h('label', { class: 'check' }, ssh, ' through an SSH tunnel'),
      h('label', { class: 'check' }, readOnly, ' read-only (refuse every write)'),
    ),
    tlsBox,
    sshBox,
    h('div', { class: 'row' }, testBtn, saveBtn, button('New', () => edit(null), { 'data-testid': 'profile-new' }), result),
    hostKeyBox,
  );
  const close = openModal('Connections', content, undefined, 'connections');
  edit(null);
  void load();
}
