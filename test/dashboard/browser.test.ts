/**
 * The dashboard in a real browser: headless Chromium (scripts/chromium.ts) against an in-process
 * mock server serving the built page (npm run build). Deployments are added over DAP; the page is
 * driven by its buttons; what it shows is held against what the control API answers. A page of
 * another origin (another local port) must not be able to drive the control API.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createMockServer, DeployClient, type MockServer, type MockServerOptions } from '../../src/index.js';
import { launchChromium, type LaunchedChromium } from '../../scripts/chromium.js';

const START = '2026-11-26T10:07:00Z';
const WAIT = { timeout: 10_000, interval: 50 };

// Launched by the first page a test opens: without Chromium every test fails (none is skipped),
// each with the message saying how to install it.
let chromium: Promise<LaunchedChromium> | undefined;
const browserOnce = async (): Promise<Browser> => (await (chromium ??= launchChromium())).browser;
afterAll(async () => {
  await (await chromium?.catch(() => undefined))?.close();
});

const cleanups: Array<() => Promise<unknown>> = [];
const checks: Array<() => Promise<void>> = [];
afterEach(async () => {
  try {
    for (const check of checks.splice(0)) await check();
  } finally {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  }
});

async function startServer(options: Partial<MockServerOptions> = {}): Promise<{ server: MockServer; base: string }> {
  const server = await createMockServer({ clock: { startAt: START }, ...options });
  cleanups.push(() => server.close());
  return { server, base: `http://127.0.0.1:${server.port}` };
}

async function connect(server: MockServer, key = 'MYAPIKEY'): Promise<DeployClient> {
  const client = new DeployClient({ uri: server.url, auth: key });
  await client.connect();
  cleanups.push(() => client.disconnect());
  return client;
}

/** A fresh page (its own context); page errors, CSP refusals and errors shown by a view fail the test at its end. */
async function openPage(url: string): Promise<Page> {
  const context = await (await browserOnce()).newContext({ viewport: { width: 1400, height: 900 } });
  cleanups.push(() => context.close());
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content.Security.Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  // Checked at the test's end: no page error, no CSP refusal, no error shown by a view.
  checks.push(async () => {
    expect(problems).toEqual([]);
    if (!page.isClosed()) expect(await page.locator('p.error').allTextContents()).toEqual([]);
  });
  await page.goto(url);
  return page;
}

async function controlGet(base: string, path: string, token?: string): Promise<any> {
  const response = await fetch(`${base}/control/${path}`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  expect(response.status, path).toBe(200);
  return response.json();
}

const runsShown = (page: Page) => page.locator('g.runs').getAttribute('data-runs');
const marksShown = (page: Page) => page.locator('g.marks').getAttribute('data-marks');
const stateOf = (page: Page, name: string) => page.locator(`tr[data-deployment="${name}"] .state`).textContent();

describe('the dashboard in Chromium', () => {
  it('shows deployments added over DAP without a reload, and runs on the timeline as the clock buttons move the clock', async () => {
    const { server, base } = await startServer();
    const client = await connect(server);
    await client.deploy.add({ project_id: 'reports' }, { schedule: '*/15 * * * *' });
    const page = await openPage(`${base}/`);

    await expect.poll(() => stateOf(page, 'local/reports'), WAIT).toBe('active');
    await expect(page.getByLabel('Server time').textContent()).resolves.toBe('2026-11-26 10:07:00');
    // Added while the page is open: it follows without a reload.
    await client.deploy.add({ project_id: 'adhoc' });
    await expect.poll(() => page.locator('tr[data-deployment="local/adhoc"] td').nth(2).textContent(), WAIT).toBe('manual');

    await page.locator('tr[data-deployment="local/reports"]').click();
    await page.getByRole('group', { name: 'Zoom' }).getByRole('button', { name: '1 h', exact: true }).click();
    await expect.poll(() => runsShown(page), WAIT).toBe('0');

    await page.getByRole('button', { name: '+1 h', exact: true }).click();
    await expect.poll(() => page.getByLabel('Server time').textContent(), WAIT).toBe('2026-11-26 11:07:00');
    // 10:15, 10:30, 10:45 and 11:00, each a bar of a completed run.
    await expect.poll(() => runsShown(page), WAIT).toBe('4');
    await expect(page.locator('rect.run-completed').count()).resolves.toBe(4);
    const runs = await controlGet(base, 'runs?userId=local&projectId=reports');
    expect(runs.items.map((r: any) => r.outcome)).toEqual(['completed', 'completed', 'completed', 'completed']);
    await expect(page.locator('tr[data-deployment="local/reports"] td.num').first().textContent()).resolves.toBe('4 / 0 / 0');

    await page.getByRole('button', { name: 'Next tick' }).click();
    await expect.poll(() => page.getByLabel('Server time').textContent(), WAIT).toBe('2026-11-26 11:15:00');
    await expect.poll(() => runsShown(page), WAIT).toBe('5');
    await page.getByLabel('Instant').fill('2026-11-26T12:00:00Z');
    await page.getByRole('button', { name: 'Go to' }).click();
    await expect.poll(() => page.getByLabel('Server time').textContent(), WAIT).toBe('2026-11-26 12:00:00');
    await expect.poll(() => runsShown(page), WAIT).toBe('5'); // the last hour: 11:00 to 12:00
    await page.getByRole('group', { name: 'Zoom' }).getByRole('button', { name: '6 h', exact: true }).click();
    await expect.poll(() => runsShown(page), WAIT).toBe('8'); // 10:15 to 12:00

    // Zoomed out to a year, the same runs; +1 d adds a day of them (96 ticks a day).
    await page.getByRole('group', { name: 'Zoom' }).getByRole('button', { name: '1 y', exact: true }).click();
    await page.getByRole('button', { name: '+1 d', exact: true }).click();
    await expect.poll(() => page.getByLabel('Server time').textContent(), WAIT).toBe('2026-11-27 12:00:00');
    await expect.poll(() => runsShown(page), WAIT).toBe(String(8 + 96));
    // The 12:00 run has just started (runs last 1 s): fired, not yet completed; the page shows it in progress.
    expect((await controlGet(base, 'deployments/local/reports')).counters).toMatchObject({ fired: 8 + 96, completed: 8 + 96 - 1 });
    await expect(page.locator('rect.run-running').count()).resolves.toBe(1);
    await page.getByRole('button', { name: '+1 m', exact: true }).click();
    await expect.poll(() => page.getByLabel('Server time').textContent(), WAIT).toBe('2026-11-27 12:01:00');
  });

  it('pauses, resumes and triggers: paused ticks show as marks, a triggered run as a bar in progress', async () => {
    const { server, base } = await startServer();
    const client = await connect(server);
    await client.deploy.add({ project_id: 'reports' }, { schedule: '*/15 * * * *' });
    const page = await openPage(`${base}/`);
    await page.locator('tr[data-deployment="local/reports"]').click();
    await page.getByRole('group', { name: 'Zoom' }).getByRole('button', { name: '1 h', exact: true }).click();

    await page.getByRole('button', { name: 'Pause local/reports' }).click();
    await expect.poll(() => stateOf(page, 'local/reports'), WAIT).toBe('paused');
    expect((await controlGet(base, 'deployments/local/reports')).state).toBe('paused');
    await page.getByRole('button', { name: '+1 h', exact: true }).click();
    await expect.poll(() => marksShown(page), WAIT).toBe('4');
    await expect(page.locator('path.mark-skipped_paused').count()).resolves.toBe(4);
    await expect(runsShown(page)).resolves.toBe('0');

    await page.getByRole('button', { name: 'Resume local/reports' }).click();
    await expect.poll(() => stateOf(page, 'local/reports'), WAIT).toBe('active');
    expect((await controlGet(base, 'deployments/local/reports')).state).toBe('active');

    await page.getByRole('button', { name: 'Trigger local/reports' }).click();
    await expect.poll(() => stateOf(page, 'local/reports'), WAIT).toBe('active, running');
    await expect.poll(() => page.locator('rect.run-running').count(), WAIT).toBe(1);
    const [run] = (await controlGet(base, 'runs?userId=local&projectId=reports&order=newest&limit=1')).items;
    expect(run).toMatchObject({ trigger: 'manual', startedAt: '2026-11-26T11:07:00.000Z', endedAt: null });
    // While it runs, a second trigger is refused, and the page says why.
    await expect(page.getByRole('button', { name: 'Trigger local/reports' }).isDisabled()).resolves.toBe(true);
  });

  it('filters the journal by command, user, connection and direction, as the control API does', async () => {
    const { server, base } = await startServer();
    const local = await connect(server);
    const alice = await connect(server, 'ALICEKEY');
    await local.deploy.add({ project_id: 'reports' }, { schedule: '@hourly' });
    await alice.deploy.add({ project_id: 'ingest' }, { schedule: '@daily' });
    await alice.deploy.list();
    const page = await openPage(`${base}/`);
    await page.getByRole('tab', { name: 'Journal' }).click();
    const shown = () => page.locator('tr[data-entry]').evaluateAll((rows) => rows.map((row) => Number(row.getAttribute('data-entry'))));
    const expected = async (query: string) =>
      (await controlGet(base, `journal?order=newest&limit=50${query}`)).items.map((e: any) => e.id) as number[];

    const all = await expected('');
    expect(all.length).toBeGreaterThan(6);
    await expect.poll(shown, WAIT).toEqual(all);

    await page.getByLabel('Command').fill('rrext_deploy_add');
    await page.getByLabel('Command').press('Enter');
    const adds = await expected('&command=rrext_deploy_add');
    expect(adds).toHaveLength(4); // two requests, two responses
    await expect.poll(shown, WAIT).toEqual(adds);
    await expect(page.locator('tr[data-entry] td.command').allTextContents()).resolves.toEqual(Array(4).fill('rrext_deploy_add'));

    await page.getByLabel('User').fill('alice');
    await page.getByLabel('User').press('Enter');
    const alicesAdds = await expected('&command=rrext_deploy_add&userId=alice');
    expect(alicesAdds).toHaveLength(2);
    await expect.poll(shown, WAIT).toEqual(alicesAdds);

    await page.getByLabel('Direction').selectOption('in');
    await expect.poll(shown, WAIT).toEqual(await expected('&command=rrext_deploy_add&userId=alice&direction=in'));
    await expect(shown()).resolves.toHaveLength(1);

    const connections = await controlGet(base, 'connections');
    const localId = connections.find((c: any) => c.userId === 'local').id;
    await page.getByLabel('Command').fill('');
    await page.getByLabel('Command').press('Enter');
    await page.getByLabel('User').fill('');
    await page.getByLabel('User').press('Enter');
    await page.getByLabel('Connection').fill(String(localId));
    await page.getByLabel('Connection').press('Enter');
    const localIn = await expected(`&connectionId=${localId}&direction=in`);
    expect(localIn.length).toBeGreaterThanOrEqual(2); // auth and add
    await expect.poll(shown, WAIT).toEqual(localIn);

    // The connections view lists both.
    await page.getByRole('tab', { name: 'Connections & faults' }).click();
    await expect.poll(() => page.locator('tr[data-connection]').count(), WAIT).toBe(connections.length);
  });

  it('pages through the deployments and the journal as the control API pages them, back and forth', async () => {
    const { server, base } = await startServer();
    const client = await connect(server);
    for (let i = 0; i < 120; i++) await client.deploy.add({ project_id: `p${String(i).padStart(3, '0')}` });
    const page = await openPage(`${base}/`);
    const rows = () => page.locator('tr[data-deployment]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-deployment')));
    const deployments = page.getByRole('region', { name: 'Deployments' });
    const apiPages: string[][] = [];
    for (let cursor: string | null | undefined; cursor !== null;) {
      const answer = await controlGet(base, `deployments?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      apiPages.push(answer.items.map((d: any) => `${d.userId}/${d.projectId}`));
      cursor = answer.next;
    }
    expect(apiPages.map((p) => p.length)).toEqual([50, 50, 20]);
    await expect.poll(rows, WAIT).toEqual(apiPages[0]);
    await expect(deployments.getByRole('button', { name: '◀ Previous' }).isDisabled()).resolves.toBe(true);
    await deployments.getByRole('button', { name: 'Next ▶' }).click();
    await expect.poll(rows, WAIT).toEqual(apiPages[1]);
    await deployments.getByRole('button', { name: 'Next ▶' }).click();
    await expect.poll(rows, WAIT).toEqual(apiPages[2]);
    await expect(deployments.locator('.pager').textContent()).resolves.toMatch(/^page 3/);
    await expect(deployments.getByRole('button', { name: 'Next ▶' }).isDisabled()).resolves.toBe(true);
    await deployments.getByRole('button', { name: '◀ Previous' }).click();
    await expect.poll(rows, WAIT).toEqual(apiPages[1]);
    // Another user: back to its first page.
    await deployments.getByLabel('User').selectOption('alice');
    await expect.poll(() => deployments.locator('.pager').textContent(), WAIT).toMatch(/^page 1/);
    await expect.poll(rows, WAIT).toEqual([]);

    await page.getByRole('tab', { name: 'Journal' }).click();
    const journal = page.getByRole('region', { name: 'Journal' });
    const entries = () => page.locator('tr[data-entry]').evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-entry'))));
    await expect.poll(async () => (await entries()).length, WAIT).toBe(50);
    const newest = await controlGet(base, 'journal?order=newest&limit=50');
    await expect.poll(entries, WAIT).toEqual(newest.items.map((e: any) => e.id));
    await journal.getByRole('button', { name: 'Older ▶' }).click();
    const older = await controlGet(base, `journal?order=newest&limit=50&cursor=${encodeURIComponent(newest.next)}`);
    await expect.poll(entries, WAIT).toEqual(older.items.map((e: any) => e.id));
    await journal.getByRole('button', { name: '◀ Newer' }).click();
    await expect.poll(() => journal.locator('.pager').textContent(), WAIT).toMatch(/^page 1/);
  });

  it('lists and removes injected faults', async () => {
    const { base } = await startServer();
    const inject = await fetch(`${base}/control/faults`, {
      method: 'POST',
      body: JSON.stringify({ kind: 'fail', command: 'rrext_deploy_add', count: 2 }),
    });
    expect(inject.status).toBe(201);
    const { id } = (await inject.json()) as { id: string };
    const page = await openPage(`${base}/`);
    await page.getByRole('tab', { name: 'Connections & faults' }).click();
    await expect
      .poll(() => page.locator(`tr[data-fault="${id}"] td`).allTextContents(), WAIT)
      .toEqual([id, 'fail', 'command rrext_deploy_add', '2 of 2', 'Remove']);
    await page.locator(`tr[data-fault="${id}"]`).getByRole('button', { name: 'Remove' }).click();
    await expect.poll(() => page.locator('tr[data-fault]').count(), WAIT).toBe(0);
    expect(await controlGet(base, 'faults')).toEqual([]);
  });
});

/** A page served on another local port (another origin) that tries to read and drive the mock's control API. */
async function attackerPage(target: string): Promise<string> {
  const script = `
    const target = ${JSON.stringify(target)};
    const attempt = async (what, call) => { try { const r = await call(); return what + ': ' + (r.type === 'opaque' ? 'sent, unread' : r.status); } catch (e) { return what + ': blocked'; } };
    window.attempts = (async () => [
      await attempt('no-cors advance', () => fetch(target + '/control/clock/advance', { method: 'POST', mode: 'no-cors', body: '{"by":"1d"}' })),
      await attempt('no-cors reset', () => fetch(target + '/control/reset', { method: 'POST', mode: 'no-cors' })),
      await attempt('no-cors pause', () => fetch(target + '/control/deployments/local/reports/pause', { method: 'POST', mode: 'no-cors' })),
      await attempt('cors advance', () => fetch(target + '/control/clock/advance', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"by":"1d"}' })),
      await attempt('cors read', () => fetch(target + '/control/users')),
    ])();`;
  const html = `<!doctype html><title>another origin</title><script>${script}</script>`;
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' });
    response.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

describe('who may use the dashboard', () => {
  it('a page of another origin (another local port) cannot drive or read the control API', async () => {
    const { server, base } = await startServer();
    const client = await connect(server);
    await client.deploy.add({ project_id: 'reports' }, { schedule: '*/15 * * * *' });
    const page = await openPage(await attackerPage(base));
    const attempts = await page.evaluate(() => (globalThis as any).attempts);
    // The browser sends the no-cors POSTs (it cannot show their answers); the server refuses them.
    expect(attempts).toEqual([
      'no-cors advance: sent, unread',
      'no-cors reset: sent, unread',
      'no-cors pause: sent, unread',
      'cors advance: blocked',
      'cors read: blocked',
    ]);
    const clock = await controlGet(base, 'clock');
    expect(clock.now).toBe('2026-11-26T10:07:00.000Z');
    const reports = await controlGet(base, 'deployments/local/reports');
    expect(reports.state).toBe('active');
    // The dashboard itself, on the mock's own origin, drives it.
    const dashboard = await openPage(`${base}/`);
    await dashboard.getByRole('button', { name: '+1 h', exact: true }).click();
    await expect.poll(async () => (await controlGet(base, 'clock')).now, WAIT).toBe('2026-11-26T11:07:00.000Z');
  });

  it('with a control token: the page takes it from the fragment (and drops it from the address), asks for it without', async () => {
    const token = 's3cret-token';
    const { server, base } = await startServer({ controlToken: token });
    const client = await connect(server);
    await client.deploy.add({ project_id: 'reports' }, { schedule: '*/15 * * * *' });

    const asking = await openPage(`${base}/`);
    await expect.poll(() => asking.getByLabel('Control token').isVisible(), WAIT).toBe(true);
    await asking.getByLabel('Control token').fill(token);
    await asking.getByRole('button', { name: 'Use token' }).click();
    await expect.poll(() => stateOf(asking, 'local/reports'), WAIT).toBe('active');

    const page = await openPage(`${base}/#token=${token}`);
    await expect.poll(() => stateOf(page, 'local/reports'), WAIT).toBe('active');
    expect(page.url()).toBe(`${base}/`);
    await page.getByRole('button', { name: '+1 h', exact: true }).click();
    await expect.poll(async () => (await controlGet(base, 'clock', token)).now, WAIT).toBe('2026-11-26T11:07:00.000Z');

    // Another origin has no token: nothing it sends moves the clock.
    const other = await openPage(await attackerPage(base));
    await other.evaluate(() => (globalThis as any).attempts);
    expect((await controlGet(base, 'clock', token)).now).toBe('2026-11-26T11:07:00.000Z');
    expect((await controlGet(base, 'deployments/local/reports', token)).state).toBe('active');
  });
});
