/**
 * Demo data: `control.seed` in-process (counts, the mix, a day of history the scheduler made,
 * one errored by a revoked key, some paused, determinism by seed) and over HTTP; `serve --demo`
 * and `control seed` as child processes: test/cli-demo.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMockServer, DeployClient, readAll, type MockServer } from '../../src/index.js';

const START = '2026-11-26T10:07:00Z';
const DAY = 86_400_000;

const servers: MockServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(options: Parameters<typeof createMockServer>[0] = {}) {
  const s = await createMockServer({ clock: { startAt: START }, ...options });
  servers.push(s);
  return s;
}

const deploymentsOf = (s: MockServer) => readAll((page) => s.control.deployments(page));
/** What a seed made, without the run-time-only parts (none: times come from the fake clock). */
const picture = (s: MockServer) => ({
  deployments: deploymentsOf(s),
  runs: readAll((page) => s.control.runs(page)),
  ticks: readAll((page) => s.control.ticks(page)),
});

describe('control.seed', () => {
  it('adds 25 deployments by default across the users who may deploy, and lets a day pass', async () => {
    const s = await server();
    const summary = s.control.seed();
    expect(summary).toMatchObject({ seed: 1, from: '2026-11-26T10:07:00.000Z', to: '2026-11-27T10:07:00.000Z' });
    expect(s.control.clock().now).toBe('2026-11-27T10:07:00.000Z');
    const deployments = deploymentsOf(s);
    expect(deployments).toHaveLength(25);
    // Only users with task.control own them (monty and nobody cannot deploy), plus the demo's run-time user.
    expect(new Set(deployments.map((d) => d.userId))).toEqual(new Set(['local', 'alice', 'demo-ci']));
    expect(summary.deployments).toEqual(countBy(deployments, (d) => d.userId));
    expect(s.control.users().find((u) => u.userId === 'demo-ci')).toMatchObject({
      addedAtRunTime: true,
      keys: [{ key: 'DEMOCIKEY', revoked: true }],
    });
  });

  it('mixes cron, preset and manual schedules, some paused and exactly one errored', async () => {
    const s = await server();
    s.control.seed(40, 9);
    const deployments = deploymentsOf(s);
    const kinds = countBy(deployments, (d) => kindOf(d.schedule));
    expect(kinds['cron']).toBeGreaterThan(0);
    expect(kinds['preset']).toBeGreaterThan(0);
    expect(kinds['manual']).toBeGreaterThan(0);
    const states = countBy(deployments, (d) => d.state);
    expect(states['errored']).toBe(1);
    expect(states['paused']).toBeGreaterThan(0);
    expect(states['active']).toBe(40 - 1 - states['paused']!);

    // Errored the real way: its owner's key was revoked, and a tick found it so (RUN-5).
    const errored = deployments.find((d) => d.state === 'errored')!;
    expect(errored.userId).toBe('demo-ci');
    expect(errored.counters.errored_auth).toBe(1);
    expect(errored.counters.fired).toBeGreaterThan(0); // it ran until then
    // Paused ones skipped the ticks after their pause.
    for (const paused of deployments.filter((d) => d.state === 'paused' && kindOf(d.schedule) === 'cron')) {
      expect(paused.counters.skipped_paused + paused.counters.fired).toBeGreaterThan(0);
    }
  });

  it('makes every pipeline several components long, each with a realistic name', async () => {
    const s = await server();
    s.control.seed(10, 4);
    const listed = deploymentsOf(s);
    for (const d of listed) expect(d.projectId).toMatch(/^[a-z0-9]+(-[a-z0-9]+)+$/);
    const client = new DeployClient({ uri: s.url, auth: 'MYAPIKEY' });
    await client.connect();
    const records = await client.deploy.list();
    expect(records.length).toBe(listed.filter((d) => d.userId === 'local').length);
    for (const record of records) {
      const pipeline = record.pipeline as unknown as { components: Array<{ id: string; provider: string }>; source: string; name: string };
      expect(pipeline.components.length).toBeGreaterThanOrEqual(3);
      expect(pipeline.source).toBe(pipeline.components[0]!.id);
      expect(pipeline.name.length).toBeGreaterThan(0);
    }
    await client.disconnect();
  });

  it('makes a day of history with the scheduler: every run within the day, counters equal to the runs and ticks', async () => {
    const s = await server();
    const summary = s.control.seed(12, 2);
    const { runs, ticks, deployments } = picture(s);
    expect(runs.length).toBe(summary.runs);
    expect(runs.length).toBeGreaterThan(12);
    const from = Date.parse(summary.from);
    for (const run of runs) {
      expect(Date.parse(run.startedAt)).toBeGreaterThanOrEqual(from);
      expect(Date.parse(run.startedAt)).toBeLessThanOrEqual(from + DAY);
    }
    expect(new Set(runs.map((r) => r.trigger))).toEqual(new Set(['schedule', 'manual']));
    for (const d of deployments) {
      const own = runs.filter((r) => r.userId === d.userId && r.projectId === d.projectId);
      const ended = own.filter((r) => r.outcome !== null);
      expect(d.counters.completed + d.counters.failed + d.counters.cancelled, d.projectId).toBe(ended.length);
      expect(d.counters.fired, d.projectId).toBe(own.filter((r) => r.trigger === 'schedule').length);
      const ownTicks = ticks.filter((t) => t.userId === d.userId && t.projectId === d.projectId);
      expect(d.counters.fired + d.counters.skipped_overlap + d.counters.skipped_paused + d.counters.errored_auth).toBe(ownTicks.length);
    }
  });

  it('makes the same deployments and history from the same seed, and others from another', async () => {
    const [a, b, c] = await Promise.all([server(), server(), server()]);
    a.control.seed(15, 42);
    b.control.seed(15, 42);
    c.control.seed(15, 43);
    expect(picture(a)).toEqual(picture(b));
    expect(deploymentsOf(c).map((d) => d.projectId)).not.toEqual(deploymentsOf(a).map((d) => d.projectId));
  });

  it('seeds again beside what is there: new ids, the run-time user reused, the clock a day further', async () => {
    const s = await server();
    s.control.seed(5, 1);
    s.control.seed(5, 1); // the same seed: the ids it would repeat are taken, so it picks others
    expect(deploymentsOf(s)).toHaveLength(10);
    expect(s.control.clock().now).toBe('2026-11-28T10:07:00.000Z');
    expect(countBy(deploymentsOf(s), (d) => d.state)['errored']).toBe(2);
  });

  it.each([
    [4, /count must be a whole number from 5 to 1000, got 4/],
    [1001, /count must be a whole number from 5 to 1000/],
    [2.5, /count must be a whole number/],
    ['many', /count must be a whole number/],
  ])('refuses count %o with BAD_INPUT', async (count, message) => {
    const s = await server();
    expect(() => s.control.seed(count as number)).toThrow(
      expect.objectContaining({ code: 'BAD_INPUT', message: expect.stringMatching(message) }),
    );
    expect(deploymentsOf(s)).toEqual([]);
  });

  it('refuses when no user may deploy, and when a limit refuses a deployment', async () => {
    const monitorOnly = await server({
      users: [
        {
          userId: 'm',
          keys: ['MK'],
          defaultTeam: 't',
          organizations: [{ id: 'o', name: 'O', permissions: [], teams: [{ id: 't', name: 'T', permissions: ['task.monitor'] }] }],
        },
      ],
    });
    expect(() => monitorOnly.control.seed(5)).toThrow(
      expect.objectContaining({ code: 'DEMO_REFUSED', message: expect.stringMatching(/No user may deploy/) }),
    );
    const small = await server({ limits: { maxDeploymentsPerUser: 2 } });
    expect(() => small.control.seed(10)).toThrow(
      expect.objectContaining({ code: 'DEMO_REFUSED', message: expect.stringMatching(/refused demo deployment/) }),
    );
  });

  it('tells onEvent one demo-seeded event, not the day of runs one by one', async () => {
    const events: Array<{ type: string }> = [];
    const s = await server({ onEvent: (e) => events.push(e) });
    const summary = s.control.seed(6, 5);
    expect(events).toEqual([
      { type: 'demo-seeded', at: Date.parse(summary.to), from: Date.parse(summary.from), deployments: 6, seed: 5, runs: summary.runs },
    ]);
  });
});

describe('seed over HTTP', () => {
  it('POST /control/seed answers the summary (201); bad input is 400', async () => {
    const s = await server();
    const base = s.url.replace(/^ws:/, 'http:').replace(/\/task\/service$/, '/control');
    const answer = await fetch(`${base}/seed`, { method: 'POST', body: JSON.stringify({ count: 6, seed: 8 }) });
    expect(answer.status).toBe(201);
    expect(await answer.json()).toMatchObject({ seed: 8, from: '2026-11-26T10:07:00.000Z', to: '2026-11-27T10:07:00.000Z' });
    expect(deploymentsOf(s)).toHaveLength(6);
    const bad = await fetch(`${base}/seed`, { method: 'POST', body: JSON.stringify({ count: 0 }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'BAD_INPUT' } });
  });
});

function kindOf(schedule: string): 'manual' | 'preset' | 'cron' {
  return schedule === 'manual' ? 'manual' : schedule.startsWith('@') ? 'preset' : 'cron';
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
