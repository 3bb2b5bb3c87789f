// The About dialog: which build this is (version and git commit, from the `about` operation),
// and what the app does on the network by itself (nothing).

import { h } from './dom';
import type { Transport } from './transport';
import { openModal, showError } from './ui';

/** Opens the About dialog once the build's version and commit have been read. */
export async function openAbout(api: Transport): Promise<void> {
  if (document.querySelector('[data-testid=about]')) return;
  try {
    const about = await api.call('about');
    const body = h(
      'div',
      { class: 'about' },
      h('p', {}, h('strong', {}, 'Redscope '), h('span', { 'data-testid': 'about-version' }, about.version)),
      h('p', { class: 'muted' }, 'commit ', h('code', { 'data-testid': 'about-commit' }, about.commit)),
      h('p', { class: 'small' }, 'Redscope connects only to the Redis servers you name. It checks for no updates and sends no telemetry.'),
      h('p', { class: 'small muted' }, 'MIT licence.'),
    );
    openModal('About Redscope', body, undefined, 'about');
  } catch (e) {
    showError(e);
  }
}
