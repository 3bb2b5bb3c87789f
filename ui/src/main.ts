// Entry point: the app shell (header with connection state, navigation, the current page).

import './styles.css';
import { createTransport, ApiError } from './transport';
import { h, mount } from './dom';
import { formatBytes, formatCount, formatDuration, formatMs } from './format';

interface HealthReport {
  state: 'connected' | 'down';
  url: string;
  error: string | null;
  latency_ms: number | null;
  version: string | null;
  role: string | null;
  mode: string | null;
  uptime_s: number | null;
  used_memory: number | null;
  connected_clients: number | null;
  read_only: boolean;
}

const api = createTransport();
const app = document.getElementById('app')!;

const badge = h('span', { class: 'conn conn-pending', 'data-testid': 'conn-state' }, 'connecting…');
const urlLabel = h('span', { class: 'conn-url', 'data-testid': 'conn-url' });
const main = h('main', { class: 'page', 'data-testid': 'page' });

mount(
  app,
  h(
    'header',
    { class: 'topbar' },
    h('div', { class: 'brand' }, h('span', { class: 'logo' }, '◉'), 'Redscope'),
    h('div', { class: 'conn-box' }, badge, urlLabel),
  ),
  h(
    'div',
    { class: 'body' },
    h('nav', { class: 'sidebar' }, h('a', { class: 'nav-item active', href: '#/dashboard' }, 'Dashboard')),
    main,
  ),
);

function fact(label: string, value: string, testid?: string): HTMLElement {
  return h('div', { class: 'fact' }, h('div', { class: 'fact-label' }, label), h('div', { class: 'fact-value', 'data-testid': testid }, value));
}

function renderHealth(r: HealthReport): void {
  badge.className = `conn conn-${r.state}`;
  badge.textContent = r.state === 'connected' ? 'connected' : 'down';
  badge.title = r.error ?? '';
  urlLabel.textContent = r.url + (r.read_only ? ' · read-only' : '');
  if (r.state === 'connected') {
    mount(
      main,
      h('h1', {}, 'Dashboard'),
      h(
        'div',
        { class: 'facts' },
        fact('Version', r.version ?? '—', 'fact-version'),
        fact('Role', r.role ?? '—'),
        fact('Mode', r.mode ?? '—'),
        fact('Uptime', formatDuration(r.uptime_s)),
        fact('Memory used', formatBytes(r.used_memory)),
        fact('Clients', formatCount(r.connected_clients)),
        fact('Latency', formatMs(r.latency_ms)),
      ),
    );
  } else {
    mount(
      main,
      h('h1', {}, 'Dashboard'),
      h(
        'div',
        { class: 'empty error', 'data-testid': 'down-reason' },
        h('strong', {}, 'Redis is not reachable. '),
        r.error ?? 'No reason given.',
        h('p', {}, 'Redscope retries every few seconds; check the URL, the password and that the server runs.'),
      ),
    );
  }
}

/** Resolves once the browser has painted what was just rendered. */
function afterPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
}

let reported = false;
async function refresh(): Promise<void> {
  try {
    const r = await api.call<HealthReport>('health');
    renderHealth(r);
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
    mount(main, h('div', { class: 'empty error', 'data-testid': 'down-reason' }, err.message));
  }
}

void refresh();
setInterval(() => void refresh(), 2000);
