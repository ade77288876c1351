/**
 * Example: a browser-style test. The app code (deploy-app.ts) uses the standard `WebSocket`;
 * msw answers it with the mock, which has its own state and fake clock, and the test checks
 * through `mock.journal` (what the app sent) and `mock.control` (what the server did).
 *
 * The same test runs in a browser with `setupWorker` from 'msw/browser'. Under Node 20 it needs
 * a global WebSocket: vitest's `execArgv: ['--experimental-websocket']` (see vitest.config.ts).
 */
import { setupServer } from 'msw/node';
import { afterAll, afterEach, expect, test } from 'vitest';
import { createMswMock } from 'rocketride-deploy-kit/msw';
import { scheduleReport } from './deploy-app.js';

const mock = await createMswMock({ clock: { startAt: '2026-11-26T10:07:00Z' } });
const server = setupServer(mock.handler);
server.listen();

afterEach(() => mock.control.reset()); // forgets deployments, runs, users added, faults and the journal
afterAll(() => {
  server.close();
  mock.close();
});

const URL = 'ws://localhost:5565/task/service';

test('the app schedules a report: what it sent, what the server stored, and the runs an hour later', async () => {
  const record = await scheduleReport(URL, 'MYAPIKEY', 'weekly-report', '*/15 * * * *');
  expect(record).toMatchObject({ pipeline: { project_id: 'weekly-report', source: 'web-app' }, schedule: '*/15 * * * *', state: 'active', userId: 'local' });

  // What the app put on the wire.
  const [auth] = mock.journal.find({ command: 'auth', direction: 'in' });
  expect(auth?.message?.['arguments']).toEqual({ auth: 'MYAPIKEY' });
  const [add] = mock.journal.find({ command: 'rrext_deploy_add', direction: 'in' });
  expect(add?.message?.['arguments']).toEqual({ pipeline: { project_id: 'weekly-report', source: 'web-app' }, schedule: '*/15 * * * *' });
  expect(add?.userId).toBe('local');

  // What the server did with it: one deployment, and on the fake clock four runs in an hour.
  expect(mock.control.deployments().items.map((d) => [d.userId, d.projectId, d.state])).toEqual([['local', 'weekly-report', 'active']]);
  mock.control.advance('1h');
  expect(mock.control.runs().items.map((run) => run.startedAt.slice(11, 16))).toEqual(['10:15', '10:30', '10:45', '11:00']);
});

test('the app reports what the server refuses', async () => {
  await expect(scheduleReport(URL, 'NOSUCHKEY', 'r', '@daily')).rejects.toThrow('Invalid API key');
  await expect(scheduleReport(URL, 'MONITORKEY', 'r', '@daily')).rejects.toThrow("Permission 'task.control' denied");
  await expect(scheduleReport(URL, 'MYAPIKEY', 'r', '@every 5m')).rejects.toThrow("Invalid schedule '@every 5m'.");

  mock.control.injectFault({ kind: 'fail', command: 'rrext_deploy_add', message: 'Storage is down' });
  await expect(scheduleReport(URL, 'MYAPIKEY', 'r', '@daily')).rejects.toThrow('Storage is down');
  expect(mock.control.deployments().items).toEqual([]);
  expect(mock.journal.find({ command: 'rrext_deploy_add', direction: 'out' }).map((entry) => entry.message?.['message'])).toEqual([
    "Permission 'task.control' denied",
    "Invalid schedule '@every 5m'. '@every 5m' is not a preset; the presets are @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually. Expected \"manual\", a cron preset (@hourly etc.), or a 5-field cron expression.",
    'Storage is down',
  ]);
});
