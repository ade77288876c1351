/**
 * The dashboard's figures: a `serve` child holding 10,000 deployments (added over DAP) and a year
 * of history (the fake clock moved a year, so every deployment keeps --history-limit runs and
 * ticks), and the page opened in headless Chromium (scripts/chromium.ts) a few times, each in a
 * fresh context: time to first paint, to the first page of deployments, to the timeline's runs,
 * and the page's JS heap and DOM nodes after loading and after a year's zoom and some live polling.
 */
import { performance } from 'node:perf_hooks';
import type { Page } from 'playwright-core';
import { DeployClient } from '../src/client/client.js';
import { launchChromium } from '../scripts/chromium.js';
import { startChildServer } from './child-server.js';
import { median } from './stats.js';

export const DASHBOARD_GOALS = {
  firstPaintMs: 1000,
  deploymentsShownMs: 1500,
  timelineShownMs: 2000,
  heapMb: 30,
  domNodes: 5000,
} as const;

const DEPLOYMENTS = 10_000;
const START = '2025-11-26T00:00:00Z';
const START_MS = Date.parse(START);
const LOADS = 5;
const LIVE_MS = 10_000;
/** A year of the usual mix; the first deployment (the one the page selects) fires every 15 minutes. */
const SCHEDULES = ['@daily', '@weekly', '0 */6 * * *', '@monthly', '30 9 * * 1-5'];

export interface DashboardLoad {
  readonly firstPaintMs: number;
  readonly deploymentsShownMs: number;
  readonly timelineShownMs: number;
}

export interface DashboardResult {
  readonly deployments: number;
  readonly historyTicks: number;
  readonly setupSeconds: number;
  readonly loads: readonly DashboardLoad[];
  readonly firstPaintMs: number;
  readonly deploymentsShownMs: number;
  readonly timelineShownMs: number;
  /** After loading, then after the 1-year zoom and LIVE_MS of live polling. */
  readonly heapMb: number;
  readonly heapAfterLiveMb: number;
  readonly domNodes: number;
  readonly domNodesAfterLive: number;
  readonly runsOnYearTimeline: number;
  readonly timelineOf: string;
}

/** Records, inside the page, when the first deployment row and the first run bar appear. */
const WATCH = `
  window.__bench = {};
  new MutationObserver(() => {
    const b = window.__bench;
    if (b.rows === undefined && document.querySelector('tr[data-deployment]')) b.rows = performance.now();
    const runs = document.querySelector('g.runs');
    if (b.runs === undefined && runs && runs.getAttribute('data-runs') !== '0') b.runs = performance.now();
  }).observe(document, { subtree: true, childList: true, attributes: true });
`;

export async function measureDashboard(root: string): Promise<DashboardResult> {
  const started = performance.now();
  const server = await startChildServer(
    'dashboard',
    ['dist/cli.js', 'serve', '--port', '0', '--quiet', '--clock', 'fake', '--start-at', START],
    root,
  );
  const chromium = await launchChromium();
  try {
    const base = server.url.replace(/^ws:/, 'http:').replace(/\/task\/service$/, '');
    const historyTicks = await fillYear(server.url, base);
    const setupSeconds = (performance.now() - started) / 1000;
    const loads: DashboardLoad[] = [];
    let heap = { heapMb: 0, domNodes: 0 };
    let live = { heapMb: 0, domNodes: 0, runs: 0, subject: '' };
    for (let i = 0; i < LOADS; i++) {
      const context = await chromium.browser.newContext({ viewport: { width: 1400, height: 900 } });
      try {
        const page = await context.newPage();
        await page.addInitScript(WATCH);
        await page.goto(`${base}/`);
        await page.waitForFunction(
          () => (globalThis as any).__bench.rows !== undefined && (globalThis as any).__bench.runs !== undefined,
          null,
          {
            timeout: 30_000,
          },
        );
        const times = await page.evaluate(() => ({
          paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN,
          rows: (globalThis as any).__bench.rows as number,
          runs: (globalThis as any).__bench.runs as number,
        }));
        loads.push({ firstPaintMs: times.paint, deploymentsShownMs: times.rows, timelineShownMs: times.runs });
        if (i === LOADS - 1) {
          heap = await pageMemory(page);
          await page.getByRole('group', { name: 'Zoom' }).getByRole('button', { name: '1 y', exact: true }).click();
          await page.waitForTimeout(LIVE_MS);
          const runs = Number(await page.locator('g.runs').getAttribute('data-runs'));
          const subject = (await page.locator('.timeline .subject').textContent()) ?? '';
          live = { ...(await pageMemory(page)), runs, subject };
        }
      } finally {
        await context.close();
      }
    }
    return {
      deployments: DEPLOYMENTS,
      historyTicks,
      setupSeconds,
      loads,
      firstPaintMs: median(loads.map((l) => l.firstPaintMs)),
      deploymentsShownMs: median(loads.map((l) => l.deploymentsShownMs)),
      timelineShownMs: median(loads.map((l) => l.timelineShownMs)),
      heapMb: heap.heapMb,
      heapAfterLiveMb: live.heapMb,
      domNodes: heap.domNodes,
      domNodesAfterLive: live.domNodes,
      runsOnYearTimeline: live.runs,
      timelineOf: live.subject,
    };
  } finally {
    await chromium.close();
    await server.stop();
  }
}

/** 10,000 deployments over DAP, then the clock moved a year (in moves the server bounds); answers the ticks processed. */
async function fillYear(url: string, base: string): Promise<number> {
  const client = new DeployClient({ uri: url, auth: 'MYAPIKEY' });
  await client.connect();
  try {
    const adds: Promise<unknown>[] = [client.deploy.add({ project_id: 'bench-busy' }, { schedule: '*/15 * * * *' })];
    for (let i = 1; i < DEPLOYMENTS; i++)
      adds.push(client.deploy.add({ project_id: `bench-${i}` }, { schedule: SCHEDULES[i % SCHEDULES.length]! }));
    await Promise.all(adds);
  } finally {
    await client.disconnect();
  }
  let ticks = 0;
  for (let day = 30; day < 365 + 30; day += 30) {
    const to = START_MS + Math.min(day, 365) * 86_400_000;
    // A move is bounded (2,000,000 ticks and run ends): move again to the same instant until it is reached.
    for (let complete = false; !complete;) {
      const response = await fetch(`${base}/control/clock`, { method: 'POST', body: JSON.stringify({ to }) });
      if (!response.ok) throw new Error(`bench: moving the clock answered ${response.status}: ${await response.text()}`);
      const answer = (await response.json()) as { complete?: boolean; ticks: Record<string, number> };
      ticks += Object.values(answer.ticks).reduce((n, t) => n + t, 0);
      complete = answer.complete !== false;
    }
  }
  return ticks;
}

async function pageMemory(page: Page): Promise<{ heapMb: number; domNodes: number }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? NaN;
  await cdp.detach();
  return { heapMb: metric('JSHeapUsedSize') / 2 ** 20, domNodes: metric('Nodes') };
}

const met = (value: number, goal: number) => (value <= goal ? 'met' : 'NOT met');

export function dashboardLines(r: DashboardResult): string[] {
  const g = DASHBOARD_GOALS;
  return [
    `dashboard in headless Chromium, ${r.deployments.toLocaleString('en-US')} deployments and a year of history ` +
      `(${(r.historyTicks / 1e6).toFixed(1)} M ticks; set up in ${r.setupSeconds.toFixed(0)} s), median of ${r.loads.length} loads:`,
    `  first paint ${r.firstPaintMs.toFixed(0)} ms (goal ≤ ${g.firstPaintMs} ms: ${met(r.firstPaintMs, g.firstPaintMs)}); ` +
      `first page of deployments shown ${r.deploymentsShownMs.toFixed(0)} ms (goal ≤ ${g.deploymentsShownMs} ms: ${met(r.deploymentsShownMs, g.deploymentsShownMs)}); ` +
      `timeline's runs drawn ${r.timelineShownMs.toFixed(0)} ms (goal ≤ ${g.timelineShownMs} ms: ${met(r.timelineShownMs, g.timelineShownMs)})`,
    `  page memory: JS heap ${r.heapMb.toFixed(1)} MB, ${r.domNodes} DOM nodes after loading; ` +
      `${r.heapAfterLiveMb.toFixed(1)} MB, ${r.domNodesAfterLive} nodes after the 1-year zoom (${r.runsOnYearTimeline} runs of ${r.timelineOf} drawn: what the server keeps of it, its share of maxHistoryEntries) and ${LIVE_MS / 1000} s of live polling ` +
      `(goal ≤ ${g.heapMb} MB: ${met(Math.max(r.heapMb, r.heapAfterLiveMb), g.heapMb)}; ≤ ${g.domNodes} nodes: ${met(Math.max(r.domNodes, r.domNodesAfterLive), g.domNodes)})`,
  ];
}
