// The browser half of `redscope bench tree-10m` (not a test): opens the Keys page of a running
// `redscope serve` whose database holds a big keyspace, waits until the namespace tree reports
// every key, then opens the biggest namespace and waits for its exact counts. Meanwhile it records
// every main-thread task the browser reports as long (PerformanceObserver 'longtask', > 50 ms);
// at the end it reads the page's JS heap (after a forced GC, and the largest seen while scanning).
// Prints one JSON line: {scan_s, down_s, longest_task_ms, long_tasks, heap_peak_mb, heap_mb}.
//
// usage: node bench-tree.mjs <serve URL with ?token=…> <total keys> <namespace> <keys under it>

import { launchBrowser, until } from './harness.mjs';

const [url, totalArg, namespace, downArg] = process.argv.slice(2);
if (!url || !totalArg || !namespace || !downArg) {
  console.error('usage: node bench-tree.mjs <serve URL> <total keys> <namespace> <keys under it>');
  process.exit(2);
}
const total = Number(totalArg);
const down = Number(downArg);
const fmt = (n) => n.toLocaleString('en-US');

const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.addInitScript(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  let heapPeak = 0;
  const sampleHeap = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    const used = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
    heapPeak = Math.max(heapPeak, used);
  };

  await page.goto(url);
  // The long tasks of loading the page itself are not the scan's.
  await page.getByTestId('nav-keys').waitFor();
  await page.evaluate(() => (window.__longTasks = []));
  const t0 = Date.now();
  await page.getByTestId('nav-keys').click();
  await until(
    async () => {
      await sampleHeap();
      return (await page.getByTestId('tree-status').textContent()) === `${fmt(total)} keys`;
    },
    { timeoutMs: 600_000, intervalMs: 100, what: 'the root level to count every key' },
  );
  const scanS = (Date.now() - t0) / 1000;

  const folder = page.getByTestId('tree-folder').filter({ hasText: namespace }).first();
  const t1 = Date.now();
  await folder.click();
  await until(
    async () => {
      await sampleHeap();
      // The namespace's own rows (drawn under it), each settled (no "+") and summing to all of it.
      const counts = await page
        .getByTestId('tree-folder')
        .evaluateAll((rows, ns) => rows.filter((r) => (r.dataset.path ?? '').startsWith(ns) && r.dataset.path.length > ns.length).map((r) => r.querySelector('.count')?.textContent ?? ''), `${namespace}:`);
      const sum = counts.reduce((s, c) => s + (c.endsWith('+') ? NaN : Number(c.replace(/,/g, ''))), 0);
      return counts.length > 0 && sum === down;
    },
    { timeoutMs: 600_000, intervalMs: 100, what: `the ${namespace} level's exact counts` },
  );
  const downS = (Date.now() - t1) / 1000;

  const long = await page.evaluate(() => window.__longTasks);
  await sampleHeap();
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  console.log(
    JSON.stringify({
      scan_s: scanS,
      down_s: downS,
      longest_task_ms: long.length ? Math.max(...long) : 0,
      long_tasks: long.length,
      heap_peak_mb: heapPeak / 2 ** 20,
      heap_mb: usedSize / 2 ** 20,
    }),
  );
} finally {
  await browser.close();
}
