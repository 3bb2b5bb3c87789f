// Entry point: the shell and its pages.

import './styles.css';
import { startApp } from './app';
import { dashboardPage } from './pages/dashboard';

startApp((ctx) => [dashboardPage(ctx)]);
