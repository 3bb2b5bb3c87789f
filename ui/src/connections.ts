// The connections dialog: list saved profiles, add/edit one, test it before saving, and connect.
// Passwords go to the service (which keeps them in the OS keyring) and never come back.

import { h } from './dom';
import type { Transport } from './transport';
import type { HealthReport, Profile, ProfileInput } from './types';
import { button, confirmDialog, empty, errorText, openModal, showError, toast } from './ui';

/** Opens the dialog; `onConnected` gets the health of the newly active connection. */
export function openConnections(api: Transport, onConnected: (r: HealthReport) => void): void {
  const list = h('div', { class: 'profile-list', 'data-testid': 'profile-list' });
  const name = h('input', { placeholder: 'name, e.g. prod-cache', 'data-testid': 'profile-name' });
  const url = h('input', { placeholder: 'redis://host:6379/0 · rediss:// · redis+sentinel:// · cluster', 'data-testid': 'profile-url' });
  const password = h('input', { type: 'password', placeholder: 'password (kept in the OS keyring)', autocomplete: 'off', 'data-testid': 'profile-password' });
  const readOnly = h('input', { type: 'checkbox', 'data-testid': 'profile-read-only' });
  const username = h('input', { placeholder: 'ACL user (optional)', autocomplete: 'off', 'data-testid': 'profile-username' });
  const db = h('input', { type: 'number', min: '0', placeholder: 'db (optional)', 'data-testid': 'profile-db' });
  const tls = h('input', { type: 'checkbox', 'data-testid': 'profile-tls' });
  const result = h('div', { class: 'test-result', 'data-testid': 'profile-test-result' });
  let editing: Profile | null = null;

  function form(): ProfileInput {
    const p: ProfileInput = { tls_insecure: false, separator: ':', ...(editing ?? {}), has_password: false, has_sentinel_password: false, name: name.value.trim(), url: url.value.trim(), read_only: readOnly.checked, tls: tls.checked };
    if (username.value.trim()) p.username = username.value.trim();
    else delete p.username;
    if (db.value.trim() !== '' && Number.isInteger(Number(db.value))) p.db = Number(db.value);
    else delete p.db;
    if (password.value) p.password = password.value;
    return p;
  }

  function edit(p: Profile | null): void {
    editing = p;
    name.value = p?.name ?? '';
    url.value = p?.url ?? '';
    readOnly.checked = !!p?.read_only;
    tls.checked = !!p?.tls;
    username.value = typeof p?.username === 'string' ? p.username : '';
    db.value = typeof p?.db === 'number' ? String(p.db) : '';
    password.value = '';
    password.placeholder = p?.has_password ? 'password stored — type to replace' : 'password (kept in the OS keyring)';
    result.textContent = '';
  }

  async function load(): Promise<void> {
    try {
      const profiles = await api.call('profiles');
      if (profiles.length === 0) {
        list.replaceChildren(empty('No saved profiles yet. Fill in the form below, test it, then save.'));
        return;
      }
      list.replaceChildren(
        ...profiles.map((p) =>
          h(
            'div',
            { class: 'profile-row', 'data-testid': `profile-${p.name}` },
            h('div', { class: 'profile-main' }, h('strong', {}, p.name), h('span', { class: 'muted' }, ` ${p.url}`), p.read_only ? h('span', { class: 'ro-badge' }, 'read-only') : null, p.has_password ? h('span', { class: 'muted' }, ' · 🔑') : null),
            button('Connect', async () => {
              const r = await api.call('connect', { profile: p.name });
              onConnected(r);
              toast(`Connected to ${p.name}`, 'ok');
              close();
            }, { 'data-testid': 'profile-connect' }),
            button('Edit', () => edit(p)),
            button('Delete', async () => {
              if (!(await confirmDialog('Delete profile', `Delete the profile "${p.name}" and its stored password?`, 'Delete'))) return;
              await api.call('profile_delete', { name: p.name });
              await load();
            }),
          ),
        ),
      );
    } catch (e) {
      list.replaceChildren(h('div', { class: 'empty error' }, errorText(e)));
    }
  }

  const testBtn = button('Test', async () => {
    result.textContent = 'testing…';
    result.className = 'test-result';
    try {
      const r = await api.call('profile_test', form());
      if (r.ok) {
        result.textContent = `OK · Redis ${r.version ?? '?'} · ${r.latency_ms?.toFixed(2) ?? '?'} ms`;
        result.className = 'test-result ok';
      } else {
        result.textContent = `Failed: ${r.error?.message ?? 'unknown error'}${r.error?.code ? ` (${r.error.code})` : ''}`;
        result.className = 'test-result bad';
      }
    } catch (e) {
      result.textContent = `Failed: ${errorText(e)}`;
      result.className = 'test-result bad';
    }
  }, { 'data-testid': 'profile-test' });
  const saveBtn = button('Save', async () => {
    const p = form();
    if (!p.name || !p.url) {
      showError(new Error('A profile needs a name and a URL.'));
      return;
    }
    await api.call('profile_save', p);
    toast(`Profile ${p.name} saved`, 'ok');
    edit(null);
    await load();
  }, { 'data-testid': 'profile-save', class: 'btn primary' });

  const content = h(
    'div',
    { class: 'connections' },
    list,
    h('h3', {}, 'Add or edit a profile'),
    h(
      'div',
      { class: 'form' },
      h('label', {}, 'Name', name),
      h('label', {}, 'URL', url),
      h('label', {}, 'Username', username),
      h('label', {}, 'Password', password),
      h('label', {}, 'Database', db),
      h('label', { class: 'check' }, tls, ' TLS (rediss)'),
      h('label', { class: 'check' }, readOnly, ' read-only (refuse every write)'),
    ),
    h('div', { class: 'row' }, testBtn, saveBtn, button('New', () => edit(null)), result),
  );
  const close = openModal('Connections', content, undefined, 'connections');
  void load();
}
