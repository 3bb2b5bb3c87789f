// The app shell: top bar (connection state, theme), sidebar navigation, the current page,
// keyboard shortcuts, and the health poll that keeps the connection badge honest.

import { h, mount } from './dom';
import { Router, type Page } from './router';
import { Shortcuts } from './shortcuts';
import { applyTheme, currentTheme, toggleTheme } from './theme';
import { createTransport, type ApiError, type Transport } from './transport';
import type { HealthReport } from './types';

/** Everything a page needs from the shell. */
export interface AppContext {
  api: Transport;
  /** The latest health report (null until the first answer). */
  health(): HealthReport | null;
  /** Subscribes to health updates; returns an unsubscribe function. */
  onHealth(fn: (r: HealthReport) => void): () => void;
  go(id: string, params?: Record<string, string>): void;
}

/** Resolves once the browser has painted what was just rendered. */
export function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}

export function startApp(makePages: (ctx: AppContext) => Page[]): void {
  applyTheme(currentTheme());
  const api = createTransport();
  const root = document.getElementById('app')!;
  const badge = h('span', { class: 'conn conn-pending', 'data-testid': 'conn-state' }, 'connecting…');
  const urlLabel = h('span', { class: 'conn-url', 'data-testid': 'conn-url' });
  const themeButton = h('button', { class: 'icon-btn', title: 'Toggle theme (t)', 'aria-label': 'Toggle theme' }, '◐');
  const nav = h('nav', { class: 'sidebar', 'aria-label': 'Pages' });
  const outlet = h('main', { class: 'page', 'data-testid': 'page' });

  let last: HealthReport | null = null;
  const listeners = new Set<(r: HealthReport) => void>();
  let router: Router;
  const ctx: AppContext = {
    api,
    health: () => last,
    onHealth(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    go: (id, params) => router.go(id, params),
  };
  const pages = makePages(ctx);
  const links = new Map<string, HTMLAnchorElement>();
  for (const p of pages) {
    const a = h('a', { class: 'nav-item', href: `#/${p.id}`, 'data-testid': `nav-${p.id}` }, p.title);
    if (p.shortcut) a.title = `Alt+${p.shortcut.toUpperCase()}`;
    links.set(p.id, a);
    nav.append(a);
  }
  router = new Router(pages, outlet, (page) => {
    for (const [id, a] of links) a.classList.toggle('active', id === page.id);
    document.title = `${page.title} · Redscope`;
  });

  mount(
    root,
    h('header', { class: 'topbar' }, h('div', { class: 'brand' }, h('span', { class: 'logo' }, '◉'), 'Redscope'), h('div', { class: 'conn-box' }, badge, urlLabel, themeButton)),
    h('div', { class: 'body' }, nav, outlet),
  );
  themeButton.addEventListener('click', () => toggleTheme());

  const keys = new Shortcuts();
  keys.bind('t', 'Toggle dark/light theme', () => toggleTheme());
  keys.bind('r', 'Refresh the page', () => router.refresh());
  keys.bind('/', 'Search on this page', () => outlet.querySelector<HTMLInputElement>('input[type=search]')?.focus());
  for (const p of pages) if (p.shortcut) keys.bind(`Alt+${p.shortcut}`, `Go to ${p.title}`, () => router.go(p.id));

  let reported = false;
  async function poll(): Promise<void> {
    try {
      const r = await api.call<HealthReport>('health');
      last = r;
      badge.className = `conn conn-${r.state}`;
      badge.textContent = r.state === 'connected' ? 'connected' : 'down';
      badge.title = r.error ?? '';
      urlLabel.textContent = r.url + (r.read_only ? ' · read-only' : '');
      for (const fn of listeners) fn(r);
      if (!reported && r.state === 'connected') {
        await afterPaint();
        reported = true;
        await api.ready({ redis: r.state }).catch(() => undefined);
      }
    } catch (e) {
      const err = e as ApiError;
      badge.className = 'conn conn-down';
      badge.textContent = err.code === 'unauthorized' ? 'access token missing' : 'unreachable';
      badge.title = err.message;
      urlLabel.textContent = err.message;
    }
  }

  router.show();
  void poll();
  setInterval(() => void poll(), 2000);
}
