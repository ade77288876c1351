/**
 * RUN-2..9 by example, on the fake clock. No test waits on wall-clock time.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ControlError } from '../../src/control/errors.js';
import { ServerClock } from '../../src/domain/clock.js';
import { createMockServer, DeployClient } from '../../src/index.js';
import { RealTimeDriver } from '../../src/scheduler/real-time-driver.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { harness, START } from '../helpers/scheduler-harness.js';
import { readAll } from '../../src/control/paging.js';

const reasons = (h: Awaited<ReturnType<typeof harness>>, projectId: string) =>
  readAll((page) => h.control.ticks({ ...page, userId: 'local', projectId })).map((t) => `${t.at.slice(11, 16)} ${t.reason}`);

function controlError(fn: () => unknown): ControlError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ControlError) return error;
    throw error;
  }
  throw new Error('expected a ControlError');
}

describe('manual deployments (RUN-2)', () => {
  it('never start a scheduled run, however far the clock moves', async () => {
    const h = await harness();
    h.add('man');
    h.add('man2', 'manual');
    h.control.advance('400d');
    expect(readAll((page) => h.control.runs(page))).toEqual([]);
    expect(readAll((page) => h.control.ticks(page))).toEqual([]);
    expect(h.control.deployment('local', 'man').nextDue).toEqual([]);
  });
});

describe('no overlap (RUN-3)', () => {
  it('skips and records ticks that come due while a held run is in progress, without queueing them', async () => {
    const h = await harness();
    h.add('q', '*/15 * * * *');
    h.control.setRunBehavior({ hold: true }, { userId: 'local', projectId: 'q' });
    h.control.advance('1h');
    expect(reasons(h, 'q')).toEqual(['10:15 fired', '10:30 skipped_overlap', '10:45 skipped_overlap', '11:00 skipped_overlap']);
    const [held] = readAll((page) => h.control.runs(page));
    expect(held).toMatchObject({ startedAt: '2026-11-26T10:15:00.000Z', endedAt: null, outcome: null });

    h.control.advance('5m'); // 11:12
    expect(h.control.endRun(held!.id, 'failed')).toMatchObject({ endedAt: '2026-11-26T11:12:00.000Z', outcome: 'failed' });
    h.control.advance('5m'); // 11:17: the 11:15 tick fired; nothing was made up for the skipped ones
    expect(reasons(h, 'q').slice(4)).toEqual(['11:15 fired']);
    expect(readAll((page) => h.control.runs(page))).toHaveLength(2);
  });

  it('ends a run the way its behavior said when it started, whatever changes meanwhile', async () => {
    const h = await harness({ runs: { duration: '10m' } });
    h.add('o');
    const run = h.control.trigger('local', 'o');
    h.control.setRunBehavior({ outcome: 'failed' });
    h.control.advance('10m');
    expect(readAll((page) => h.control.runs({ ...page, projectId: 'o' }))).toEqual([
      expect.objectContaining({ id: run.id, outcome: 'completed' }),
    ]);
    h.control.trigger('local', 'o');
    h.control.advance('10m');
    expect(readAll((page) => h.control.runs({ ...page, projectId: 'o' })).map((r) => r.outcome)).toEqual(['completed', 'failed']);
  });

  it('lets a run that ends exactly at the next tick be followed by a new run', async () => {
    const h = await harness({ runs: { duration: '15m' } });
    h.add('exact', '*/15 * * * *');
    h.control.advance('1h');
    expect(reasons(h, 'exact')).toEqual(['10:15 fired', '10:30 fired', '10:45 fired', '11:00 fired']);
  });

  it('alternates fired and skipped when each run takes 20 minutes of a 15-minute schedule', async () => {
    const h = await harness({ runs: { duration: '20m' } });
    h.add('slow', '*/15 * * * *');
    h.control.advance('1h');
    // 10:15 run until 10:35 → 10:30 skipped; 10:45 run until 11:05 → 11:00 skipped.
    expect(reasons(h, 'slow')).toEqual(['10:15 fired', '10:30 skipped_overlap', '10:45 fired', '11:00 skipped_overlap']);
  });

  it('refuses an explicit start while a run is in progress, and allows one on a manual deployment (RUN-9)', async () => {
    const h = await harness({ runs: { hold: true } });
    h.add('m');
    const run = h.control.trigger('local', 'm');
    expect(run).toMatchObject({ trigger: 'manual', startedAt: '2026-11-26T10:07:00.000Z', endedAt: null });
    const refused = controlError(() => h.control.trigger('local', 'm'));
    expect(refused).toMatchObject({ code: 'RUN_IN_PROGRESS' });
    expect(refused.message).toContain(run.id);
    h.control.endRun(run.id);
    expect(h.control.trigger('local', 'm').id).not.toBe(run.id);
  });
});

describe('paused (RUN-4) and schedule updates (RUN-6)', () => {
  it('fires nothing while paused and makes nothing up after resume', async () => {
    const h = await harness();
    h.add('p', '*/15 * * * *');
    expect(h.control.pause('local', 'p').state).toBe('paused');
    h.control.advance('40m'); // 10:47
    h.control.resume('local', 'p');
    h.control.advance('20m'); // 11:07
    expect(reasons(h, 'p')).toEqual(['10:15 skipped_paused', '10:30 skipped_paused', '10:45 skipped_paused', '11:00 fired']);
    expect(h.state('p')).toBe('active');
  });

  it('applies a new schedule at once, counted from the moment of the update, without backfill', async () => {
    const h = await harness();
    h.add('u', '*/15 * * * *');
    h.control.advance('13m'); // 10:20, after the 10:15 run
    h.update('u', { schedule: '@hourly' });
    h.control.advance('1h'); // 11:20
    expect(h.starts('u')).toEqual(['2026-11-26T10:15Z', '2026-11-26T11:00Z']);

    h.update('u', { schedule: 'manual' });
    h.control.advance('2h'); // 13:20: nothing
    h.update('u', { schedule: '*/30 * * * *' });
    h.control.advance('15m'); // 13:35: only 13:30, nothing from the manual stretch
    expect(h.starts('u')).toEqual(['2026-11-26T10:15Z', '2026-11-26T11:00Z', '2026-11-26T13:30Z']);
  });

  it('keeps a deployment paused across a schedule update', async () => {
    const h = await harness();
    h.add('pu', '*/15 * * * *');
    h.control.pause('local', 'pu');
    h.update('pu', { schedule: '*/5 * * * *' });
    h.control.advance('10m');
    expect(reasons(h, 'pu')).toEqual(['10:10 skipped_paused', '10:15 skipped_paused']);
  });
});

describe('revoked owner key (RUN-5)', () => {
  it('turns the deployment errored at its next tick, without a run, for good', async () => {
    const h = await harness();
    h.add('e', '*/15 * * * *');
    h.control.advance('10m'); // 10:17: one run
    h.control.revokeKey('MYAPIKEY');
    h.control.advance('15m'); // 10:32
    expect(reasons(h, 'e')).toEqual(['10:15 fired', '10:30 errored_auth']);
    expect(h.state('e')).toBe('errored');
    expect(h.control.deployment('local', 'e').nextDue).toEqual([]);

    h.control.restoreKey('MYAPIKEY');
    h.update('e', { schedule: '* * * * *' });
    expect(h.state('e')).toBe('errored');
    h.control.advance('1d');
    expect(readAll((page) => h.control.runs({ ...page, projectId: 'e' }))).toHaveLength(1);
    expect(controlError(() => h.control.resume('local', 'e'))).toMatchObject({ code: 'DEPLOYMENT_ERRORED' });
    expect(controlError(() => h.control.trigger('local', 'e'))).toMatchObject({ code: 'DEPLOYMENT_ERRORED' });

    // Remove and add again with a valid key: scheduled runs resume.
    h.remove('e');
    h.add('e', '*/15 * * * *');
    h.control.advance('15m');
    expect(h.state('e')).toBe('active');
    expect(readAll((page) => h.control.runs({ ...page, projectId: 'e' }))).toHaveLength(2);
  });

  it('does not error a paused deployment until a tick finds it active', async () => {
    const h = await harness();
    h.add('pe', '*/15 * * * *');
    h.control.pause('local', 'pe');
    h.control.revokeKey('MYAPIKEY');
    h.control.advance('20m'); // 10:27
    expect(h.state('pe', 'local')).toBe('paused');
    h.control.resume('local', 'pe');
    h.control.advance('15m'); // 10:42
    expect(reasons(h, 'pe')).toEqual(['10:15 skipped_paused', '10:30 errored_auth']);
  });

  it('over DAP: the key and tokens issued for it stop authenticating, and status reads errored', async () => {
    const server = await createMockServer({ clock: { startAt: START } });
    const client = new DeployClient({ uri: server.url, auth: 'MYAPIKEY' });
    const { userToken } = await client.connect();
    await client.deploy.add({ project_id: 'dap' }, { schedule: '*/15 * * * *' });
    server.control.revokeKey('MYAPIKEY');
    server.control.advance('1h');
    expect((await client.deploy.status('dap')).state).toBe('errored');
    await expect(new DeployClient({ uri: server.url, auth: 'MYAPIKEY' }).connect()).rejects.toThrow('Invalid API key');
    await expect(new DeployClient({ uri: server.url, auth: userToken }).connect()).rejects.toThrow('Invalid API key');
    expect(readAll((page) => server.control.runs(page))).toEqual([]);
    await client.disconnect();
    await server.close();
  });

  it('checks the key the deployment was added with, not other keys of the user', async () => {
    const h = await harness({
      users: [
        {
          userId: 'two',
          keys: ['K1', 'K2'],
          defaultTeam: 't',
          organizations: [{ id: 'o', name: 'O', permissions: ['org.admin'], teams: [{ id: 't', name: 'T', permissions: [] }] }],
        },
      ],
    });
    h.add('k1', '*/15 * * * *', 'K1');
    h.add('k2', '*/15 * * * *', 'K2');
    h.control.revokeKey('K1');
    h.control.advance('10m');
    expect([h.state('k1', 'two'), h.state('k2', 'two')]).toEqual(['errored', 'active']);
  });
});

describe('remove (RUN-7)', () => {
  it('cancels the run in progress and stops the ticks', async () => {
    const h = await harness({ runs: { hold: true } });
    h.add('r', '*/15 * * * *');
    h.control.advance('10m'); // 10:17, run from 10:15 in progress
    h.remove('r');
    h.control.advance('1h');
    expect(readAll((page) => h.control.runs({ ...page, projectId: 'r' }))).toEqual([
      expect.objectContaining({ startedAt: '2026-11-26T10:15:00.000Z', endedAt: '2026-11-26T10:17:00.000Z', outcome: 'cancelled' }),
    ]);
    expect(reasons(h, 'r')).toEqual(['10:15 fired']);
    expect(controlError(() => h.control.deployment('local', 'r'))).toMatchObject({ code: 'DEPLOYMENT_NOT_FOUND' });
  });
});

describe('the clock and the controls', () => {
  it('only moves forward, and runToNextTick stops at the next due tick', async () => {
    const h = await harness();
    expect(controlError(() => h.control.setClock('2026-11-26T10:00:00Z'))).toMatchObject({ code: 'CLOCK_BACKWARDS' });
    expect(controlError(() => h.control.setClock(1e16))).toMatchObject({ code: 'BAD_INPUT' });
    expect(() => h.core.scheduler.advanceTo(1e16)).toThrowError(expect.objectContaining({ code: 'CLOCK_OUT_OF_RANGE' }));
    expect(h.control.clock().now).toBe('2026-11-26T10:07:00.000Z');
    expect(h.control.advance(0).to).toBe('2026-11-26T10:07:00.000Z');
    h.add('a', '*/15 * * * *');
    h.add('b', '0 * * * *');
    expect(h.control.runToNextTick()).toMatchObject({ to: '2026-11-26T10:15:00.000Z', ticks: { fired: 1 } });
    expect(h.control.runToNextTick().to).toBe('2026-11-26T10:30:00.000Z');
    expect(h.control.runToNextTick().to).toBe('2026-11-26T10:45:00.000Z');
    expect(h.control.runToNextTick()).toMatchObject({ to: '2026-11-26T11:00:00.000Z', ticks: { fired: 2 } });
    expect(h.control.runToNextTick()).not.toHaveProperty('nothingDue');
  });

  it('says nothingDue, and leaves the clock, when no deployment has a tick to come', async () => {
    const h = await harness();
    expect(h.control.runToNextTick()).toEqual({
      from: '2026-11-26T10:07:00.000Z',
      to: '2026-11-26T10:07:00.000Z',
      ticks: { fired: 0, skipped_overlap: 0, skipped_paused: 0, errored_auth: 0 },
      runsEnded: 0,
      complete: true,
      nothingDue: true,
    });
    h.add('by-hand', 'manual');
    expect(h.control.runToNextTick()).toMatchObject({ to: '2026-11-26T10:07:00.000Z', nothingDue: true });
    h.add('paused', '@hourly');
    h.control.pause('local', 'paused'); // a paused deployment's ticks still come (and are skipped)
    expect(h.control.runToNextTick()).toEqual(
      expect.objectContaining({ to: '2026-11-26T11:00:00.000Z', ticks: expect.objectContaining({ skipped_paused: 1 }) }),
    );
    expect(h.control.clock().now).toBe('2026-11-26T11:00:00.000Z');
  });

  it.each([
    [() => 'abc', 'by must be a duration'],
    [() => -5, 'by must be a duration'],
  ])('refuses a bad duration with a clear message', async (by, message) => {
    const h = await harness();
    expect(controlError(() => h.control.advance(by() as string))).toMatchObject({ code: 'BAD_INPUT' });
    expect(controlError(() => h.control.advance(by() as string)).message).toContain(message);
  });

  it('caps tick and run history per deployment while counters stay exact', async () => {
    const h = await harness({ historyLimit: 10, runs: { duration: 0 } });
    h.add('busy', '* * * * *');
    h.control.advance('1d');
    const d = h.control.deployment('local', 'busy');
    expect(d.counters).toMatchObject({ fired: 1440, completed: 1440 });
    expect(readAll((page) => h.control.ticks({ ...page, projectId: 'busy' }))).toHaveLength(10);
    expect(readAll((page) => h.control.runs({ ...page, projectId: 'busy' })).map((r) => r.startedAt.slice(11, 16))).toEqual([
      '09:58',
      '09:59',
      '10:00',
      '10:01',
      '10:02',
      '10:03',
      '10:04',
      '10:05',
      '10:06',
      '10:07',
    ]);
  });

  it('resets deployments, runs, ticks, added users and revocations, but not the time', async () => {
    const h = await harness();
    h.add('x', '*/15 * * * *');
    h.control.addUser({
      userId: 'extra',
      keys: ['EXTRA'],
      defaultTeam: 't',
      organizations: [{ id: 'o', name: 'O', permissions: [], teams: [{ id: 't', name: 'T', permissions: ['task.control'] }] }],
    });
    h.control.revokeKey('ALICEKEY');
    h.control.advance('1h');
    h.control.reset();
    expect(readAll((page) => h.control.deployments(page))).toEqual([]);
    expect(readAll((page) => h.control.runs(page))).toEqual([]);
    expect(h.control.clock().now).toBe('2026-11-26T11:07:00.000Z');
    expect(h.core.users.authenticate('EXTRA')).toBe('invalid');
    expect(h.core.users.authenticate('ALICEKEY')).toMatchObject({ key: 'ALICEKEY' });
    h.add('x', '*/15 * * * *'); // the id is free again
  });

  it('refuses to add a user whose id or key exists, or who is malformed', async () => {
    const h = await harness();
    expect(controlError(() => h.control.addUser({ userId: 'x' }))).toMatchObject({ code: 'BAD_INPUT' });
    const dup = {
      userId: 'local2',
      keys: ['MYAPIKEY'],
      defaultTeam: 't',
      organizations: [{ id: 'o', name: 'O', teams: [{ id: 't', name: 'T' }] }],
    };
    expect(controlError(() => h.control.addUser(dup))).toMatchObject({ code: 'USER_EXISTS' });
    expect(controlError(() => h.control.revokeKey('NOSUCHKEY'))).toMatchObject({ code: 'KEY_NOT_FOUND' });
  });
});

describe('the real clock', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('processes ticks as wall time passes, driven by a timer (wall time and timers faked here)', async () => {
    vi.useFakeTimers();
    let wall = Date.parse('2026-11-26T10:14:59.900Z');
    const clock = new ServerClock('real', undefined, () => wall);
    let driver: RealTimeDriver | undefined = undefined;
    const scheduler = new Scheduler(
      clock,
      { isKeyValid: () => true },
      { timezone: 'UTC', runBehavior: { durationMs: 1000, outcome: 'completed', hold: false }, historyLimit: 100 },
      () => driver?.rearm(),
    );
    driver = new RealTimeDriver(clock, () => scheduler);
    const { DeployService } = await import('../../src/domain/deploy-service.js');
    const { DeploymentStore } = await import('../../src/domain/store.js');
    const deploy = new DeployService(new DeploymentStore(), clock, scheduler);
    scheduler.attach(deploy);
    deploy.add(
      { userId: 'u', permissions: new Set(['task.control']), credential: 'K' },
      { pipeline: { project_id: 'rt' }, schedule: '*/15 * * * *' },
    );

    wall += 50;
    vi.advanceTimersByTime(50);
    expect(scheduler.runs({})).toEqual([]);
    wall += 60;
    vi.advanceTimersByTime(60);
    expect(scheduler.runs({}).map((r) => new Date(r.startedAt).toISOString())).toEqual(['2026-11-26T10:15:00.000Z']);
    // A manual jump moves the real clock too, processing what it passes.
    scheduler.advanceTo(clock.now() + 30 * 60_000);
    expect(scheduler.runs({})).toHaveLength(3);
    driver.stop();
  });
});

describe('control input edges', () => {
  it('ends a zero-length triggered run at once', async () => {
    const h = await harness({ runs: { duration: 0 } });
    h.add('z');
    expect(h.control.trigger('local', 'z')).toMatchObject({
      startedAt: '2026-11-26T10:07:00.000Z',
      endedAt: '2026-11-26T10:07:00.000Z',
      outcome: 'completed',
    });
    h.remove('z');
    expect(readAll((page) => h.control.runs({ ...page, projectId: 'z' })).map((r) => r.outcome)).toEqual(['completed']);
  });

  it.each([[0.5], ['0.5ms'], ['1e400'], [Number.MAX_VALUE]])('refuses the span %j (whole milliseconds only)', async (by) => {
    const h = await harness();
    expect(controlError(() => h.control.advance(by as string))).toMatchObject({ code: 'BAD_INPUT' });
    expect(h.control.advance('1.5s').to).toBe('2026-11-26T10:07:01.500Z');
  });

  it.each(['2030-02-30T10:00:00Z', '2030-01-01T24:00:00Z', '2030-13-01T00:00:00Z', '2030-01-01T10:60:00Z', '2030-01-01'])(
    'refuses the impossible or incomplete instant %s',
    async (to) => {
      const h = await harness();
      expect(controlError(() => h.control.setClock(to))).toMatchObject({ code: 'BAD_INPUT' });
    },
  );

  it('accepts instants with an offset and leap days', async () => {
    const h = await harness();
    expect(h.control.setClock('2028-02-29T12:00:00+01:00').to).toBe('2028-02-29T11:00:00.000Z');
  });

  it('restarts run numbers after reset, and validates in-process options', async () => {
    const h = await harness({ runs: { duration: 0 } });
    h.add('a');
    h.control.trigger('local', 'a');
    h.control.reset();
    h.add('a');
    expect(h.control.trigger('local', 'a').id).toBe('run-1');
    await expect(harness({ runs: { outcome: 'bogus' as 'failed' } })).rejects.toThrow('runs.outcome must be one of');
    await expect(harness({ runs: { hold: 'yes' as unknown as boolean } })).rejects.toThrow('runs.hold must be true or false');
    await expect(createMockServer({ clock: { now: () => 0 } as never })).rejects.toThrow('clock: { now() } was replaced in 0.2.0');
  });

  it('stops a huge advance at the events cap, and moving on continues exactly', async () => {
    const h = await harness({ runs: { duration: 0 } });
    for (let i = 0; i < 10; i++) h.add(`busy${i}`, '* * * * *');
    // 10 deployments x (1 tick + 1 run end) a minute: 11.5 million events in 400 days, over the cap.
    const end = Date.parse(START) + 400 * 86_400_000;
    const first = h.control.advance('400d');
    expect(first.complete).toBe(false);
    expect(Date.parse(first.to)).toBeLessThan(end);
    let moves = 1;
    for (let report = first; !report.complete; moves++) report = h.control.setClock(end);
    expect(moves).toBeGreaterThan(2);
    expect(h.control.clock().now).toBe('2027-12-31T10:07:00.000Z');
    expect(h.control.deployment('local', 'busy0').counters.fired).toBe(400 * 1440);
  });

  it('keeps the tick queue right through many adds and removes of one id', async () => {
    const h = await harness();
    for (let i = 0; i < 1000; i++) {
      h.add('churn', '@yearly');
      h.remove('churn');
    }
    h.add('keep', '@yearly');
    expect(h.control.runToNextTick()).toMatchObject({ to: '2027-01-01T00:00:00.000Z', ticks: { fired: 1 } });
  });
});
