/**
 * Regenerates docs/dashboard.png, the README's picture of the dashboard: `serve --demo` (fake
 * clock, fixed seed, so the same picture each time) opened in headless Chromium, with the busiest
 * deployment of the first page selected on a one-day timeline. `npx tsx scripts/dashboard-screenshot.ts`
 * after `npm run build`.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'docs', 'dashboard.png');

interface Picture {
  readonly userId: string;
  readonly projectId: string;
  readonly counters: Record<string, number>;
}

async function main(): Promise<void> {
  const args = [
    'dist/cli.js',
    'serve',
    '--port',
    '0',
    '--quiet',
    '--clock',
    'fake',
    '--start-at',
    '2026-11-26T10:07:00Z',
    '--demo',
    '60',
    '--demo-seed',
    '7',
  ];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const chromium = await launchChromium();
  try {
    const base = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /; dashboard: (http:\/\/\S+?)\/$/m.exec(out);
        if (match) resolve(match[1]!);
      });
      child.once('exit', (code) => reject(new Error(`serve exited (${code}) before printing its dashboard URL:\n${out}`)));
    });
    const page0 = (await (await fetch(`${base}/control/deployments?limit=50`)).json()) as { items: Picture[] };
    // Among the rows in view without scrolling: the one with the most failed runs, then skipped ticks, then runs.
    const score = (d: Picture) =>
      1000 * d.counters['failed']! + 10 * (d.counters['skipped_overlap']! + d.counters['skipped_paused']!) + d.counters['fired']!;
    const busiest = page0.items.slice(0, 12).sort((a, b) => score(b) - score(a))[0]!;

    const context = await chromium.browser.newContext({ viewport: { width: 1440, height: 980 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    const row = page.locator(`tr[data-deployment="${busiest.userId}/${busiest.projectId}"]`);
    await row.click();
    await page.getByRole('group', { name: 'Zoom' }).getByRole('button', { name: '1 d', exact: true }).click();
    for (let tries = 0; (await page.locator('g.runs').getAttribute('data-runs')) === '0'; tries++) {
      if (tries === 100) throw new Error(`no runs drawn for ${busiest.userId}/${busiest.projectId}`);
      await page.waitForTimeout(100);
    }
    await page.getByRole('button', { name: '+1 m', exact: true }).click(); // the clock's last move shows under it
    await page.waitForSelector('.clock-last');
    await page.waitForTimeout(1500); // two beats: every view has its answer
    await page.locator('.deployments .scroll').evaluate((table) => table.scrollTo(0, 0)); // the click scrolled the row into view
    await page.screenshot({ path: OUT });
    await context.close();
    console.log(`wrote ${OUT} (${busiest.userId}/${busiest.projectId} selected)`);
  } finally {
    await chromium.close();
    child.kill('SIGTERM');
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
