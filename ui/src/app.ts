// The app shell: top bar (connection state with its reason, read-only badge, connections dialog,
// theme), sidebar navigation, the current page, keyboard shortcuts, and the health poll plus
// `conn_state` events that keep the connection badge honest.

import { openAbout } from './about';
import { h, mount } from './dom';
import { openConnections, profileBadge } from './connections';
import { Router, type Page } from './router';
import { Shortcuts } from './shortcuts';
import { applyTheme, currentTheme, toggleTheme } from './theme';
import { createTransport, type ApiError, type Transport } from './transport';
import type { HealthReport, ServerEvent } from './types';
import { openModal, showError, table } from './ui';
import { serverModules } from './modules';

/** Everything a page needs from the shell. */
export interface AppContext {
  api: Transport;
  /** The latest health report (null until the first answer). */
  health(): HealthReport | null;
  /** Subscribes to health updates; returns an unsubscribe function. */
  onHealth(fn: (r: HealthReport) => void): () => void;
  /** Subscribes to live events (one shared connection); returns an unsubscribe function. */
  events(fn: (e: ServerEvent) => void): () => void;
  go(id: string, params?: Record<string, string>): void;
}

/** Resolves once the browser has painted what was just rendered. */
export function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}

/** What the top bar names: the URL, plus the topology and, behind Sentinel, the current master. */
export function connTarget(r: Pick<HealthReport, 'url' | 'topology' | 'master'>): string {
  if (r.master) return `${r.url} · master ${r.master}`;
  if (r.topology === 'cluster') return `${r.url} · cluster`;
  return r.url;
}

/** The badge text and class for a connection state. */
export function connLabel(state: string): { text: string; cls: string } {
  if (state === 'connected') return { text: 'connected', cls: 'conn-connected' };
  if (state === 'reconnecting' || state === 'connecting') return { text: 'reconnecting…', cls: 'conn-pending' };
  return { text: 'down', cls: 'conn-down' };
}

export function startApp(makePages: (ctx: AppContext) => Page[]): void {
  applyTheme(currentTheme());
  const api = createTransport();
  const root = document.getElementById('app')!;
  const badge = h('span', { class: 'conn conn-pending', 'data-testid': 'conn-state' }, 'connecting…');
  const reason = h('span', { class: 'conn-reason', 'data-testid': 'conn-reason' });
  const roBadge = h('span', { class: 'ro-badge', 'data-testid': 'read-only', hidden: true }, 'read-only');
  const urlLabel = h('span', { class: 'conn-url', 'data-testid': 'conn-url' });
  const profileChip = h('span', { class: 'conn-profile', 'data-testid': 'conn-profile' });
  const connButton = h('button', { class: 'btn small', 'data-testid': 'open-connections', title: 'Connection profiles' }, 'Connections');
  const themeButton = h('button', { class: 'icon-btn', title: 'Toggle theme (t)', 'aria-label': 'Toggle theme' }, '◐');
  const nav = h('nav', { class: 'sidebar', 'aria-label': 'Pages' });
  const outlet = h('main', { class: 'page', 'data-testid': 'page' });

  let last: HealthReport | null = null;
  const listeners = new Set<(r: HealthReport) => void>();
  const eventListeners = new Set<(e: ServerEvent) => void>();
  let router: Router;
  const ctx: AppContext = {
    api,
    health: () => last,
    onHealth(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    events(fn) {
      eventListeners.add(fn);
      return () => eventListeners.delete(fn);
    },
    go: (id, params) => router.go(id, params),
  };
  const pages = makePages(ctx);
  const links = new Map<string, HTMLAnchorElement>();
  for (const p of pages) {
    const a = h('a', { class: 'nav-item', href: `#/${p.id}`, 'data-testid': `nav-${p.id}` }, h('span', {}, p.title), p.shortcut ? h('kbd', {}, `g ${p.shortcut}`) : null);
    links.set(p.id, a);
    nav.append(a);
  }
  nav.append(h('div', { class: 'nav-help' }, h('div', {}, h('kbd', {}, '/'), ' search'), h('div', {}, h('kbd', {}, 'r'), ' refresh'), h('div', {}, h('kbd', {}, 't'), ' theme'), h('div', {}, h('kbd', {}, '?'), ' all shortcuts'), h('button', { class: 'link-btn', 'data-testid': 'open-about', type: 'button' }, 'About Redscope')));
  router = new Router(pages, outlet, (page) => {
    for (const [id, a] of links) a.classList.toggle('active', id === page.id);
    document.title = `${page.title} · Redscope`;
  });

  mount(
    root,
    h('header', { class: 'topbar' }, h('div', { class: 'brand' }, h('span', { class: 'logo' }, '◉'), 'Redscope'), h('div', { class: 'conn-box' }, badge, reason, roBadge, profileChip, urlLabel, connButton, themeButton)),
    h('div', { class: 'body' }, nav, outlet),
  );
  themeButton.addEventListener('click', () => toggleTheme());
  connButton.addEventListener('click', () =>
    openConnections(api, (r) => {
      shownProfile = undefined;
      apply(r);
    }),
  );
  nav.querySelector('[data-testid=open-about]')!.addEventListener('click', () => void openAbout(api));

  const keys = new Shortcuts();
  keys.bind('t', 'Toggle dark/light theme', () => toggleTheme());
  keys.bind('r', 'Refresh the page', () => router.refresh());
  keys.bind('/', 'Search on this page', () => outlet.querySelector<HTMLInputElement>('input[type=search]')?.focus());
  for (const p of pages) if (p.shortcut) keys.bind(`g ${p.shortcut}`, `Go to ${p.title}`, () => router.go(p.id));
  keys.bind('?', 'Show these shortcuts', () => {
    if (document.querySelector('[data-testid=shortcuts]')) return;
    openModal('Keyboard shortcuts', table(['keys', 'action'], keys.list().map((k) => [k.keys, k.description])), undefined, 'shortcuts');
  });

  function setState(state: string, error: string | null | undefined): void {
    const l = connLabel(state);
    badge.className = `conn ${l.cls}`;
    badge.textContent = l.text;
    badge.title = error ?? '';
    reason.textContent = state === 'connected' ? '' : (error ?? '');
  }

  /** Shows the connected profile's name, label and colour; production marks the whole bar. */
  let shownProfile: string | undefined;
  async function showProfile(name: string | undefined): Promise<void> {
    shownProfile = name;
    const p = name ? (await api.call('profiles').catch(() => [])).find((x) => x.name === name) : undefined;
    if (shownProfile !== name) return;
    profileChip.replaceChildren(...(p ? [h('strong', {}, p.name), ' ', profileBadge(p) ?? ''] : []));
    const prod = p?.label?.toLowerCase() === 'production';
    document.body.toggleAttribute('data-production', prod);
    if (p?.color) document.body.style.setProperty('--profile-color', p.color);
    else document.body.style.removeProperty('--profile-color');
  }

  // Module pages (Search) show only on a server with the module: hidden until it says so.
  const moduleLinks: Record<string, 'search'> = { search: 'search' };
  for (const id of Object.keys(moduleLinks)) links.get(id)?.setAttribute('hidden', '');
  function showModuleLinks(r: HealthReport): void {
    if (r.state !== 'connected') return;
    serverModules(api, r.url).then((m) => {
      for (const [id, flag] of Object.entries(moduleLinks)) links.get(id)?.toggleAttribute('hidden', !m[flag]);
    }).catch(() => undefined);
  }

  function apply(r: HealthReport): void {
    last = r;
    showModuleLinks(r);
    setState(r.state, r.error);
    roBadge.hidden = !r.read_only;
    urlLabel.textContent = connTarget(r);
    if (r.profile !== shownProfile) void showProfile(r.profile);
    for (const fn of listeners) fn(r);
  }

  let reported = false;
  async function poll(): Promise<void> {
    try {
      const r = await api.call('health');
      apply(r);
      if (!reported && r.state === 'connected') {
        await afterPaint();
        reported = true;
        // Read by `redscope bench desktop` (WebDriver) beside the browser's own paint timing.
        performance.mark('redscope:connected-painted');
        await api.ready({ redis: r.state }).catch(() => undefined);
      }
    } catch (e) {
      const err = e as ApiError;
      badge.className = 'conn conn-down';
      badge.textContent = err.code === 'unauthorized' ? 'access token missing' : 'unreachable';
      badge.title = err.message;
      reason.textContent = '';
      urlLabel.textContent = err.message;
    }
  }

  // One live event subscription for the whole app, fanned out to the pages.
  api.events(
    (e) => {
      if (e.type === 'conn_state') {
        setState(e.state, e.error);
        if (last) last = { ...last, state: e.state, error: e.error ?? null };
        // A state change is also a new target or a first report: fetch the full health so the URL,
        // profile and read-only badge never lag behind the state badge.
        if (e.state !== 'connected' || !last || !urlLabel.textContent) void poll();
      }
      for (const fn of [...eventListeners]) {
        try {
          fn(e);
        } catch (err) {
          showError(err);
        }
      }
    },
    (s) => document.body.setAttribute('data-events', s),
  );

  router.show();
  void poll();
  setInterval(() => void poll(), 2000);
}
