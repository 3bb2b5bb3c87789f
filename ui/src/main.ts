// Entry point: the shell and its pages.

import './styles.css';
import { startApp } from './app';
import { channelsPage } from './pages/channels';
import { dashboardPage } from './pages/dashboard';
import { invalidatePage } from './pages/invalidate';
import { keysPage } from './pages/keys';
import { findingsPage } from './pages/findings';
import { serverPage } from './pages/server';
import { servicesPage } from './pages/services';
import { streamsPage } from './pages/streams';

startApp((ctx) => [dashboardPage(ctx), keysPage(ctx), streamsPage(ctx), channelsPage(ctx), invalidatePage(ctx), serverPage(ctx), servicesPage(ctx), findingsPage(ctx)]);
