/**
 * Scheduler properties (RUN-3, RUN-4, RUN-5, RUN-8) with fast-check. Every failure prints the
 * seed and path to replay it (fast-check's default report).
 */
import { Cron } from 'croner';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ControlError } from '../../src/control/errors.js';
import { harness, START } from '../helpers/scheduler-harness.js';
import { readAll } from '../../src/control/paging.js';

const SCHEDULES = [
  '* * * * *',
  '*/5 * * * *',
  '*/7 * * * *',
  '*/15 * * * *',
  '0,20,40 * * * *',
  '0 * * * *',
  '@hourly',
  '30 10-12 * * *',
  'manual',
];
const MINUTE = 60_000;

const behavior = fc.record({
  duration: fc.integer({ min: 0, max: 40 * MINUTE }),
  outcome: fc.constantFrom('completed' as const, 'failed' as const),
  hold: fc.boolean(),
});
const deployment = fc.record({ schedule: fc.constantFrom(...SCHEDULES), behavior });

/** Everything observable about the schedule's history, for comparing two servers. */
function history(h: Awaited<ReturnType<typeof harness>>) {
  return {
    runs: readAll((page) => h.control.runs(page)),
    ticks: readAll((page) => h.control.ticks(page)),
    deployments: readAll((page) => h.control.deployments(page)),
    clock: h.control.clock().now,
  };
}

async function setUp(
  deployments: Array<{ schedule: string; behavior: { duration: number; outcome: 'completed' | 'failed'; hold: boolean } }>,
) {
  const h = await harness();
  deployments.forEach((d, i) => {
    h.add(`p${i}`, d.schedule);
    h.control.setRunBehavior(d.behavior, { userId: 'local', projectId: `p${i}` });
  });
  return h;
}

describe('RUN-8: advancing in one step or in parts gives identical histories', () => {
  it('holds for any schedules, run behaviors and split points', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(deployment, { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 90 * MINUTE }), { minLength: 1, maxLength: 6 }),
        async (deployments, steps) => {
          const whole = await setUp(deployments);
          const parts = await setUp(deployments);
          whole.control.advance(steps.reduce((a, b) => a + b, 0));
          for (const step of steps) parts.control.advance(step);
          expect(history(parts)).toEqual(history(whole));
        },
      ),
      { numRuns: 150 },
    );
  });
});

type Command =
  | { kind: 'advance'; ms: number }
  | { kind: 'trigger' | 'pause' | 'resume' | 'endRun'; target: number }
  | { kind: 'schedule'; target: number; schedule: string }
  | { kind: 'behavior'; target: number; behavior: { duration: number; outcome: 'completed' | 'failed'; hold: boolean } };

const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 45 * MINUTE }).map((ms) => ({ kind: 'advance' as const, ms })) },
  fc.record({ kind: fc.constantFrom('trigger' as const, 'pause' as const, 'resume' as const, 'endRun' as const), target: fc.nat(2) }),
  fc.record({ kind: fc.constant('schedule' as const), target: fc.nat(2), schedule: fc.constantFrom(...SCHEDULES) }),
  fc.record({ kind: fc.constant('behavior' as const), target: fc.nat(2), behavior }),
);

describe('RUN-3: runs of one deployment never overlap', () => {
  it('whatever the durations, and however control calls and clock moves interleave', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(deployment, { minLength: 3, maxLength: 3 }),
        fc.array(command, { maxLength: 30 }),
        async (s, deployments, commands) => {
          const h = await setUp(deployments);
          const apply = (c: Command) => {
            const projectId = c.kind === 'advance' ? '' : `p${c.target}`;
            try {
              if (c.kind === 'advance') h.control.advance(c.ms);
              else if (c.kind === 'trigger') h.control.trigger('local', projectId);
              else if (c.kind === 'pause') h.control.pause('local', projectId);
              else if (c.kind === 'resume') h.control.resume('local', projectId);
              else if (c.kind === 'schedule') h.update(projectId, { schedule: c.schedule });
              else if (c.kind === 'behavior') h.control.setRunBehavior(c.behavior, { userId: 'local', projectId });
              else {
                const current = h.control.deployment('local', projectId).runInProgress;
                if (current) h.control.endRun(current.id, 'completed');
              }
            } catch (error) {
              // Refusals are part of the contract (a trigger during a run): anything else is a bug.
              if (!(error instanceof ControlError && error.code === 'RUN_IN_PROGRESS')) throw error;
            }
          };
          // fast-check decides the order in which the scheduled calls run.
          const done = commands.map((c) => s.schedule(Promise.resolve(c)).then(apply));
          await s.waitAll();
          await Promise.all(done);

          for (let i = 0; i < 3; i++) {
            const runs = readAll((page) => h.control.runs({ ...page, projectId: `p${i}` }));
            expect(runs.filter((r) => r.endedAt === null).length).toBeLessThanOrEqual(1);
            for (let k = 1; k < runs.length; k++) {
              const previous = runs[k - 1]!;
              expect(previous.endedAt, `run ${previous.id} still open when ${runs[k]!.id} started`).not.toBeNull();
              expect(Date.parse(previous.endedAt!)).toBeLessThanOrEqual(Date.parse(runs[k]!.startedAt));
            }
          }
        },
      ),
      { numRuns: 120 },
    );
  });
});

/** croner's own count of matches in (from, to], independent of the scheduler's search. */
function cronMatches(schedule: string, from: number, to: number): number {
  if (schedule === 'manual') return 0;
  const cron = new Cron(schedule, { mode: '5-part', timezone: 'UTC' });
  let n = 0;
  for (let t = cron.nextRun(new Date(from)); t && t.getTime() <= to; t = cron.nextRun(t)) n++;
  return n;
}

describe('tick accounting (RUN-1, RUN-3, RUN-4)', () => {
  it('fired + skipped equals the cron matches in the span (none for manual); nothing fires while paused', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SCHEDULES),
        behavior,
        fc.array(fc.record({ ms: fc.integer({ min: 0, max: 50 * MINUTE }), pause: fc.boolean() }), { maxLength: 12 }),
        async (schedule, runBehavior, stretches) => {
          const h = await setUp([{ schedule, behavior: runBehavior }]);
          const start = Date.parse(START);
          for (const { ms, pause } of stretches) {
            if (pause) h.control.pause('local', 'p0');
            else h.control.resume('local', 'p0');
            const firedBefore = h.control.deployment('local', 'p0').counters.fired;
            h.control.advance(ms);
            if (pause) expect(h.control.deployment('local', 'p0').counters.fired).toBe(firedBefore);
          }
          const { counters } = h.control.deployment('local', 'p0');
          const decided = counters.fired + counters.skipped_overlap + counters.skipped_paused;
          expect(decided).toBe(cronMatches(schedule, start, h.control.clock().nowMs));
          expect(counters.errored_auth).toBe(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('RUN-5: errored is final', () => {
  it('no run starts and the state stays errored, whatever happens next short of remove + add', async () => {
    const op = fc.oneof(
      fc.constant('restore' as const),
      fc.constant('resume' as const),
      fc.constant('pause' as const),
      fc.constant('trigger' as const),
      fc.constantFrom(...SCHEDULES).map((schedule) => ({ schedule })),
      fc.integer({ min: 0, max: 3 * 60 * MINUTE }).map((ms) => ({ ms })),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...SCHEDULES.filter((x) => x !== 'manual')),
        fc.array(op, { maxLength: 15 }),
        async (schedule, ops) => {
          const h = await setUp([{ schedule, behavior: { duration: 1000, outcome: 'completed', hold: false } }]);
          h.control.revokeKey('MYAPIKEY');
          h.control.runToNextTick();
          expect(h.state('p0')).toBe('errored');
          for (const o of ops) {
            try {
              if (o === 'restore') h.control.restoreKey('MYAPIKEY');
              else if (o === 'resume') h.control.resume('local', 'p0');
              else if (o === 'pause') h.control.pause('local', 'p0');
              else if (o === 'trigger') h.control.trigger('local', 'p0');
              else if ('schedule' in o) h.update('p0', { schedule: o.schedule });
              else h.control.advance(o.ms);
            } catch (error) {
              if (!(error instanceof ControlError && error.code === 'DEPLOYMENT_ERRORED')) {
                // An update needs a valid key: refused while revoked, which is fine too.
                if (!(error instanceof Error && /key MYAPIKEY: invalid/.test(error.message))) throw error;
              }
            }
            expect(h.state('p0')).toBe('errored');
          }
          expect(readAll((page) => h.control.runs(page))).toEqual([]);
          expect(h.control.deployment('local', 'p0').counters).toMatchObject({ fired: 0, errored_auth: 1 });
        },
      ),
      { numRuns: 150 },
    );
  });
});
