/**
 * Example: a test that moves the mock server's fake clock and checks the scheduled runs.
 * Nothing happens until the clock is moved; moving it processes every tick and run end on the
 * way, in time order. The clock starts where `createMockServerTest` says.
 */
import { DeployClient } from 'rocketride-deploy-kit';
import { createMockServerTest, expect } from 'rocketride-deploy-kit/vitest';

const test = createMockServerTest({ clock: { startAt: '2026-11-26T10:07:00Z' } });

test('a */15 deployment runs at each quarter hour; held runs make ticks skip; a revoked key errors it', async ({ mockServer }) => {
  const { control } = mockServer;
  const client = new DeployClient({ uri: mockServer.url, auth: 'MYAPIKEY' });
  await client.connect();
  await client.deploy.add({ project_id: 'report' }, { schedule: '*/15 * * * *' });

  // An hour later: four runs, each a second long (the default run behavior).
  control.advance('1h');
  expect(control.clock().now).toBe('2026-11-26T11:07:00.000Z');
  expect(control.runs().items.map((run) => run.startedAt.slice(11, 16))).toEqual(['10:15', '10:30', '10:45', '11:00']);
  expect(control.runs().items[0]).toEqual({
    id: 'run-1',
    userId: 'local',
    projectId: 'report',
    trigger: 'schedule',
    scheduledFor: '2026-11-26T10:15:00.000Z',
    startedAt: '2026-11-26T10:15:00.000Z',
    endedAt: '2026-11-26T10:15:01.000Z',
    outcome: 'completed',
  });

  // Runs never overlap: hold the next run open, and the ticks that come due meanwhile are skipped.
  control.setRunBehavior({ hold: true }, { userId: 'local', projectId: 'report' });
  control.advance('1h');
  // Pages read newest first when asked: the last four tick decisions, newest first.
  const lastFour = control.ticks({ order: 'newest', limit: 4 }).items;
  expect(lastFour.map((tick) => tick.reason)).toEqual(['skipped_overlap', 'skipped_overlap', 'skipped_overlap', 'fired']);
  const held = control.deployment('local', 'report').runInProgress;
  expect(held).toMatchObject({ id: 'run-5', startedAt: '2026-11-26T11:15:00.000Z', endedAt: null, outcome: null });
  expect(control.endRun(held!.id, 'failed')).toMatchObject({ endedAt: '2026-11-26T12:07:00.000Z', outcome: 'failed' });

  // A revoked owner key turns the deployment errored at its next tick, for good.
  control.revokeKey('MYAPIKEY');
  control.runToNextTick();
  expect(control.ticks({ order: 'newest', limit: 1 }).items[0]).toMatchObject({ at: '2026-11-26T12:15:00.000Z', reason: 'errored_auth', runId: null });
  expect((await client.deploy.status('report')).state).toBe('errored');
  expect(control.deployment('local', 'report').counters).toEqual({
    fired: 5,
    skipped_overlap: 3,
    skipped_paused: 0,
    errored_auth: 1,
    completed: 4,
    failed: 1,
    cancelled: 0,
  });

  await client.disconnect();
});

test('a paused deployment records its ticks as skipped, and resuming makes nothing up', async ({ mockServer }) => {
  const { control } = mockServer;
  const client = new DeployClient({ uri: mockServer.url, auth: 'MYAPIKEY' });
  await client.connect();
  await client.deploy.add({ project_id: 'hourly' }, { schedule: '@hourly' });
  await client.disconnect();

  control.pause('local', 'hourly');
  control.advance('3h');
  expect(control.ticks().items.map((tick) => [tick.at.slice(11, 16), tick.reason])).toEqual([
    ['11:00', 'skipped_paused'],
    ['12:00', 'skipped_paused'],
    ['13:00', 'skipped_paused'],
  ]);
  control.resume('local', 'hourly');
  expect(control.runs()).toEqual({ items: [], next: null });
  control.runToNextTick();
  expect(control.runs().items.map((run) => run.scheduledFor)).toEqual(['2026-11-26T14:00:00.000Z']);
});
