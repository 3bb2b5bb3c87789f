// Entry point: the shell and its pages.

// A failure while starting is shown on the page (a blank window says nothing to the user).
function showFatal(message: string): void {
  const box = document.createElement('pre');
  box.className = 'fatal-error';
  box.setAttribute('data-testid', 'fatal-error');
  box.textContent = `Redscope could not start: ${message}`;
  document.body.prepend(box);
}
window.addEventListener('error', (e) => showFatal(`${e.message} (${e.filename}:${e.lineno})`));
window.addEventListener('unhandledrejection', (e) => showFatal(String((e as PromiseRejectionEvent).reason)));

import './locale';
import './styles.css';
import { startApp } from './app';
import { channelsPage } from './pages/channels';
import { dashboardPage } from './pages/dashboard';
import { diagnosticsPage } from './pages/diagnostics';
import { invalidatePage } from './pages/invalidate';
import { keysPage } from './pages/keys';
import { searchPage } from './pages/search';
import { findingsPage } from './pages/findings';
import { memoryPage } from './pages/memory';
import { serverPage } from './pages/server';
import { servicesPage } from './pages/services';
import { streamsPage } from './pages/streams';
import { transferPage } from './pages/transfer';

try {
  startApp((ctx) => [
    dashboardPage(ctx),
    keysPage(ctx),
    searchPage(ctx),
    streamsPage(ctx),
    channelsPage(ctx),
    invalidatePage(ctx),
    serverPage(ctx),
    servicesPage(ctx),
    findingsPage(ctx),
    memoryPage(ctx),
    transferPage(ctx),
    diagnosticsPage(ctx),
  ]);
} catch (e) {
  showFatal(e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e));
}
