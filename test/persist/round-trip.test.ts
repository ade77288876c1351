/**
 * What a server on a state file shows after a restart equals what it showed before: random
 * sequences of deploy operations (over DAP), pauses, revocations, users, run behaviors and
 * clock moves that fire ticks and runs (fast-check), then the deploy API's view of every user
 * and the control API's view of deployments, runs, ticks and the clock are compared.
 * Plus the rules for a real clock that moved on while no server ran.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerClock } from '../../src/domain/clock.js';
import { DeployService } from '../../src/domain/deploy-service.js';
import { DeploymentStore } from '../../src/domain/store.js';
import type { MockServer } from '../../src/index.js';
import { Scheduler } from '../../src/scheduler/scheduler.js';
import { RawClient } from '../helpers/raw-client.js';
import { START, stateIn, Workspace } from './helpers.js';
import { readAll } from '../../src/control/paging.js';

const ws = new Workspace();
afterEach(() => ws.cleanUp());

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const PROJECTS = ['p0', 'p1', 'p2', 'ü/../x'];
/** Demo users, plus one added at run time. */
const KEYS = ['MYAPIKEY', 'ALICEKEY', 'MONITORKEY', 'ZEDKEY'] as const;
const ZED = {
  userId: 'zed',
  keys: ['ZEDKEY'],
  defaultTeam: 't',
  organizations: [{ id: 'o', name: 'O', permissions: [], teams: [{ id: 't', name: 'T', permissions: ['task.control', 'task.monitor'] }] }],
};
const USER_OF: Record<string, string> = { MYAPIKEY: 'local', ALICEKEY: 'alice', MONITORKEY: 'monty', ZEDKEY: 'zed' };

const key = fc.constantFrom(...KEYS);
const project = fc.constantFrom(...PROJECTS);
const schedule = fc.constantFrom('manual', '* * * * *', '*/7 * * * *', '@hourly', '30 10-12 * * *');
const pipeline = (id: string, rev: number) => ({ project_id: id, rev, steps: [{ name: 'é', n: rev }] });

type Op =
  | { kind: 'add'; key: string; project: string; schedule: string; rev: number }
  | { kind: 'update'; key: string; project: string; schedule?: string; rev?: number }
  | { kind: 'remove'; key: string; project: string }
  | { kind: 'pause' | 'resume' | 'trigger'; key: string; project: string }
  | { kind: 'end-run'; index: number; outcome: 'completed' | 'failed' | 'cancelled' }
  | { kind: 'revoke' | 'restore'; key: string }
  | { kind: 'add-user' | 'reset' }
  | { kind: 'advance'; ms: number }
  | { kind: 'behavior'; scope: { key: string; project: string } | null; duration: number; outcome: 'completed' | 'failed'; hold: boolean };

const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('add' as const), key, project, schedule, rev: fc.nat(9) }), weight: 4 },
  {
    arbitrary: fc.record(
      { kind: fc.constant('update' as const), key, project, schedule, rev: fc.nat(9) },
      { requiredKeys: ['kind', 'key', 'project'] },
    ),
    weight: 2,
  },
  { arbitrary: fc.record({ kind: fc.constant('remove' as const), key, project }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constantFrom('pause' as const, 'resume' as const, 'trigger' as const), key, project }), weight: 2 },
  {
    arbitrary: fc.record({
      kind: fc.constant('end-run' as const),
      index: fc.nat(3),
      outcome: fc.constantFrom('completed' as const, 'failed' as const, 'cancelled' as const),
    }),
    weight: 1,
  },
  { arbitrary: fc.record({ kind: fc.constantFrom('revoke' as const, 'restore' as const), key }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'add-user' as const }), weight: 1 },
  { arbitrary: fc.constant({ kind: 'reset' as const }), weight: 1 },
  { arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 3 * HOUR }) }), weight: 3 },
  {
    arbitrary: fc.record({
      kind: fc.constant('behavior' as const),
      scope: fc.option(fc.record({ key, project }), { nil: null }),
      duration: fc.integer({ min: 0, max: 20 * MINUTE }),
      outcome: fc.constantFrom('completed' as const, 'failed' as const),
      hold: fc.boolean(),
    }),
    weight: 1,
  },
);

/** Runs one operation; refusals (unknown deployment, run in progress...) are part of the game. */
async function apply(server: MockServer, clients: Map<string, RawClient>, o: Op): Promise<void> {
  const control = server.control;
  const client = async (k: string) => {
    let c = clients.get(k);
    if (!c) {
      c = await RawClient.open(server.url);
      if (!(await c.request('auth', { auth: k })).success) return undefined;
      clients.set(k, c);
    }
    return c;
  };
  const quietly = (fn: () => unknown) => {
    try {
      fn();
    } catch {
      // refused: nothing changed
    }
  };
  switch (o.kind) {
    case 'add':
      await (await client(o.key))?.request('rrext_deploy_add', { pipeline: pipeline(o.project, o.rev), schedule: o.schedule });
      return;
    case 'update':
      await (
        await client(o.key)
      )?.request('rrext_deploy_update', {
        projectId: o.project,
        ...(o.schedule !== undefined && { schedule: o.schedule }),
        ...(o.rev !== undefined && { pipeline: pipeline('ignored', o.rev) }),
      });
      return;
    case 'remove':
      await (await client(o.key))?.request('rrext_deploy_remove', { projectId: o.project });
      return;
    case 'pause':
    case 'resume':
    case 'trigger':
      return quietly(() => control[o.kind](USER_OF[o.key]!, o.project));
    case 'end-run': {
      const open = readAll((page) => control.runs(page)).filter((r) => r.endedAt === null);
      if (open.length > 0) quietly(() => control.endRun(open[o.index % open.length]!.id, o.outcome));
      return;
    }
    case 'revoke':
      return quietly(() => control.revokeKey(o.key));
    case 'restore':
      return quietly(() => control.restoreKey(o.key));
    case 'add-user':
      return quietly(() => control.addUser(ZED));
    case 'reset':
      control.reset();
      return;
    case 'advance':
      control.advance(o.ms);
      return;
    case 'behavior': {
      const behavior = { duration: o.duration, outcome: o.outcome, hold: o.hold };
      return quietly(() =>
        o.scope === null
          ? control.setRunBehavior(behavior)
          : control.setRunBehavior(behavior, { userId: USER_OF[o.scope.key]!, projectId: o.scope.project }),
      );
    }
  }
}

/** Everything a client and a test can see: each key's deploy API view, and the control API's. */
async function observe(server: MockServer) {
  const dap: Record<string, unknown> = {};
  for (const k of KEYS) {
    const c = await RawClient.open(server.url);
    const auth = await c.request('auth', { auth: k });
    if (!auth.success) {
      dap[k] = auth.message;
      continue;
    }
    const statuses: unknown[] = [];
    for (const p of PROJECTS) {
      const r = await c.request('rrext_deploy_status', { projectId: p });
      statuses.push(r.success ? r.body : r.message);
    }
    dap[k] = { list: (await c.request('rrext_deploy_list')).body, statuses };
    c.close();
  }
  const { control } = server;
  return {
    dap,
    deployments: readAll((page) => control.deployments(page)),
    runs: readAll((page) => control.runs(page)),
    ticks: readAll((page) => control.ticks(page)),
    clock: control.clock(),
  };
}

describe('a restart from the state file', () => {
  it('shows every user and the control API what they saw before, and then acts as if no restart happened (fake clock)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 20 }), fc.array(op, { maxLength: 8 }), async (before, after) => {
        const dir = await ws.dir();
        const run = async (server: MockServer, ops: Op[]) => {
          const clients = new Map<string, RawClient>();
          for (const o of ops) await apply(server, clients, o);
          for (const c of clients.values()) c.close();
        };
        // Restarted: `before`, a restart from the file, then `after`.
        // Runs of 5 minutes: a restart often finds one in progress.
        const options = { runs: { duration: '5m' } };
        const first = await ws.server(join(dir, 'state.json'), options);
        await run(first, before);
        const seen = await observe(first);
        await first.close();
        const restarted = await ws.server(join(dir, 'state.json'), options);
        expect(await observe(restarted)).toEqual(seen);
        await run(restarted, after);

        // Never restarted (its clients reconnect at the same point, as the restarted ones had to).
        const steady = await ws.server(join(dir, 'steady.json'), options);
        await run(steady, before);
        await run(steady, after);
        expect(await observe(restarted)).toEqual(await observe(steady));
        await ws.cleanUp();
      }),
      { numRuns: 30 },
    );
  });

  it('keeps a run held in progress, and ends it on time when the clock moves on', async () => {
    const file = join(await ws.dir(), 'state.json');
    const first = await ws.server(file);
    const client = await RawClient.authed(first.url);
    await client.request('rrext_deploy_add', { pipeline: { project_id: 'held' }, schedule: '*/15 * * * *' });
    await client.request('rrext_deploy_add', { pipeline: { project_id: 'timed' }, schedule: '*/15 * * * *' });
    first.control.setRunBehavior({ hold: true }, { userId: 'local', projectId: 'held' });
    first.control.setRunBehavior({ duration: '20m' }, { userId: 'local', projectId: 'timed' });
    first.control.advance('10m'); // 10:15 fires both: one held, one until 10:35
    client.close();
    await first.close();

    const second = await ws.server(file);
    expect(readAll((page) => second.control.runs(page)).map((r) => [r.projectId, r.endedAt])).toEqual([
      ['held', null],
      ['timed', null],
    ]);
    second.control.advance('30m'); // 10:47:10: the 10:30 and 10:45 ticks overlap; 'timed' ended at 10:35
    expect(readAll((page) => second.control.runs({ ...page, projectId: 'timed' })).map((r) => r.endedAt)).toEqual([
      '2026-11-26T10:35:00.000Z',
      null,
    ]);
    expect(readAll((page) => second.control.ticks({ ...page, projectId: 'held' })).map((t) => t.reason)).toEqual([
      'fired',
      'skipped_overlap',
      'skipped_overlap',
    ]);
    expect(second.control.endRun('run-1')).toMatchObject({ id: 'run-1', outcome: 'completed', endedAt: '2026-11-26T10:47:10.000Z' });
  });

  it('plans ticks in the new time zone when the server restarts in another one', async () => {
    const file = join(await ws.dir(), 'state.json');
    const first = await ws.server(file);
    const client = await RawClient.authed(first.url);
    await client.request('rrext_deploy_add', { pipeline: { project_id: 'daily' }, schedule: '0 12 * * *' });
    expect(first.control.deployment('local', 'daily').nextDue[0]).toBe('2026-11-26T12:00:00.000Z');
    client.close();
    await first.close();

    const second = await ws.server(file, { timezone: 'Europe/Berlin' });
    expect(second.control.deployment('local', 'daily').nextDue[0]).toBe('2026-11-26T11:00:00.000Z');
  });
});

describe('a real clock that moved on while no server ran', () => {
  it('ends a run at its planned end, does not make up missed ticks, and keeps the offset', async () => {
    const file = join(await ws.dir(), 'state.json');
    // 10:07:10: the next hourly tick is 53 minutes away, far more than this test takes.
    const real = { clock: { mode: 'real' as const, startAt: START } };
    const first = await ws.server(file, real);
    const client = await RawClient.authed(first.url);
    await client.request('rrext_deploy_add', { pipeline: { project_id: 'hourly' }, schedule: '@hourly' });
    first.control.setRunBehavior({ duration: '10m' });
    const run = first.control.trigger('local', 'hourly');
    client.close();
    await first.close();

    // As if the server had been down for three hours: its saved clock runs three hours ahead.
    const saved = await stateIn(file);
    saved.clock.offsetMs += 3 * HOUR;
    await writeFile(file, JSON.stringify(saved));

    const second = await ws.server(file, real);
    const now = Date.parse(second.control.clock().now);
    expect(now).toBeGreaterThanOrEqual(Date.parse(START) + 3 * HOUR);
    // The run's planned end (10:17:10) passed while down: it ended then, not now.
    expect(readAll((page) => second.control.runs(page))).toEqual([
      { ...run, endedAt: new Date(Date.parse(run.startedAt) + 10 * MINUTE).toISOString(), outcome: 'completed' },
    ]);
    // The 11:00, 12:00 and 13:00 ticks are not made up: none was recorded, and the next is the first after now.
    expect(readAll((page) => second.control.ticks(page))).toEqual([]);
    const view = second.control.deployment('local', 'hourly');
    expect(view.counters).toMatchObject({ fired: 0, completed: 1 });
    expect(Date.parse(view.nextDue[0]!)).toBe(Math.ceil((now + 1) / HOUR) * HOUR);
  });

  it('restores and triggers safely although the clock moves between two readings of it', () => {
    // Every reading of this wall clock is a millisecond after the last: catch-up after a load,
    // and a trigger, read the time and then move to it, which must not count as going back.
    let wall = Date.parse(START);
    const clock = new ServerClock('real', undefined, () => (wall += 1));
    const scheduler = new Scheduler(
      clock,
      { isKeyValid: () => true },
      { timezone: 'UTC', runBehavior: { durationMs: 0, outcome: 'completed', hold: false }, historyLimit: 10 },
    );
    const deploy = new DeployService(new DeploymentStore(), clock, scheduler);
    scheduler.attach(deploy);
    deploy.add(
      { userId: 'u', permissions: new Set(['task.control']), credential: 'K' },
      { pipeline: { project_id: 'rt' }, schedule: '* * * * *' },
    );
    expect(scheduler.trigger('u', 'rt')).toMatchObject({ outcome: 'completed' });
    wall += 2 * MINUTE;
    scheduler.catchUp();
    expect(scheduler.ticks({}).map((t) => t.reason)).toEqual(['fired', 'fired']);
  });
});
