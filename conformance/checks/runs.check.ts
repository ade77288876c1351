/**
 * RUN-1..9 and SCHED-4: scheduled runs, observed by moving the target's clock through the kit's
 * control API (they need the `clock-control` capability and are skipped without it).
 *
 * The clock is shared by every check file, so this is the only file that moves it, and its
 * checks run one after another. No check assumes an absolute time: each reads the clock, moves
 * it to second 30 of a minute (so no add, update or clock stop coincides with a due tick) and
 * computes what must happen from there with its own cron expansion and reference model
 * (runs/cron-oracle.ts, runs/run-model.ts). Properties also draw the minute of the hour (or day) they start at, so a
 * replay token re-creates the failing case exactly although the clock has moved on by then.
 * Each deployment gets its own run behavior (never the server-wide one), only project ids of
 * this run are touched, the demo keys are never revoked (RUN-5 adds its own user) and the
 * server is never reset: other check files run against the same server at the same time.
 *
 * Each property is aimed at one clause: runs shorter than a minute where overlaps are not the
 * point, schedule updates only where they are, so a broken server fails the clause it breaks.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { check, property, soft, softly } from '../context.js';
// The deploy clauses about time move the clock too: registered here, they run in series with these.
import './times.js';
import './calendar.js';
import type { Target } from '../target.js';
import { advanceTo, align, clock } from '../runs/clock.js';
import {
  type Behavior,
  DEFAULT_BEHAVIOR,
  type Deployed,
  type RunView,
  type TickView,
  deploy,
  describe,
  expectLines,
  expectNoOverlap,
  guarded,
  ownKey,
  owner,
  pathOf,
  remove,
  request,
  runLine,
  runsOf,
  setBehavior,
  tickLine,
  ticksOf,
  updateSchedule,
} from '../runs/control-client.js';
import { expand, localTime } from '../runs/cron-oracle.js';
import { DeploymentModel, advanceWithModel, expectHistory } from '../runs/run-model.js';
import { HOUR, MINUTE, SECOND, iso } from '../runs/time.js';

const EVERY_15 = '*/15 * * * *';
/**
 * The properties step the clock by random milliseconds, often right next to a tick or a run
 * end: on a clock that also runs on its own those instants race with the checks' requests, so
 * they need a fake clock (the examples keep clear of minute boundaries and run on either).
 */
const FAKE_CLOCK = { needs: ['fake-clock'] } as const;

/** Both histories of a deployment. */
async function historyOf(t: Target, d: Deployed): Promise<{ ticks: TickView[]; runs: RunView[] }> {
  return { ticks: await ticksOf(t, d), runs: await runsOf(t, d) };
}

check(['RUN-1'], 'an active cron deployment starts one run per matching minute, at second 0, as its owner', async (t) => {
  const start = await align(t);
  const zone = start.timezone;
  // One schedule that fires once in the next two hours and one that does not, from the clock.
  const soon = localTime(start.nowMs + 37 * MINUTE, zone);
  const schedules = [
    EVERY_15,
    '3-9/3,50 * * * *',
    '0 */2 * * *',
    `${soon.minute} ${soon.hour} * * *`,
    `${soon.minute} ${(soon.hour + 12) % 24} * * *`,
  ];
  const deployed: Array<{ d: Deployed; schedule: string }> = [];
  for (const schedule of schedules) deployed.push({ d: await deploy(t, 'cron', schedule), schedule });
  // A second user's deployment runs as that user.
  if (t.config.keys.secondary)
    deployed.push({ d: await deploy(t, 'cron-other', EVERY_15, {}, t.config.keys.secondary), schedule: EVERY_15 });

  await t.advance('2h');
  for (const { d, schedule } of deployed) {
    const model = new DeploymentModel(zone, schedule, d.addedAt, DEFAULT_BEHAVIOR);
    model.advanceTo(d.addedAt + 2 * HOUR);
    const history = await historyOf(t, d);
    for (const run of history.runs) {
      expect(run.startedAt % MINUTE, `${schedule}: run ${run.id} must start at second 0 (${iso(run.startedAt)})`).toBe(0);
      expect(run.userId, `${schedule}: run ${run.id} must run as the deployment's owner`).toBe(d.owner.userId);
    }
    soft(() => expectHistory(history, model, `'${schedule}' over 2 h from ${iso(d.addedAt)} (${zone})`));
  }
  for (const { d } of deployed) await remove(t, d);
});

const WEEKDAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

check(
  ['RUN-1', 'SCHED-1'],
  'day-of-month and day-of-week both restricted: a day matching either fires (classic cron); one restricted: it alone decides',
  async (t) => {
    const start = await align(t, undefined, 73 * HOUR);
    const zone = start.timezone;
    // Tomorrow's day of the month, and the weekday of the day after: the OR rule fires on both
    // days, an AND on neither. Then one field restricted, the other `*`.
    const tomorrow = localTime(start.nowMs + 24 * HOUR, zone);
    const dayAfter = localTime(start.nowMs + 48 * HOUR, zone);
    const schedules = [
      `0 12 ${tomorrow.day} * ${dayAfter.weekday}`,
      `0 12 ${tomorrow.day} * *`,
      `0 12 * * ${dayAfter.weekday}`,
      `0 12 * * ${WEEKDAY_NAMES[dayAfter.weekday]}`,
      '0 12 * * 7', // Sunday, if one is among the three days
      `0 12 * ${MONTH_NAMES[tomorrow.month - 1]} *`,
    ];
    const deployed: Array<{ d: Deployed; schedule: string }> = [];
    for (const schedule of schedules) deployed.push({ d: await deploy(t, 'days', schedule), schedule });
    await t.advance('3d');
    for (const { d, schedule } of deployed) {
      const model = new DeploymentModel(zone, schedule, d.addedAt, DEFAULT_BEHAVIOR);
      model.advanceTo(d.addedAt + 72 * HOUR);
      await softly(async () => expectHistory(await historyOf(t, d), model, `'${schedule}' over 3 days from ${iso(d.addedAt)} (${zone})`));
      await remove(t, d);
    }
  },
);

/** A cron field: `*`, a step, a list, a range, a stepped range (values in [min, max]). */
function cronField(min: number, max: number): fc.Arbitrary<string> {
  const value = fc.integer({ min, max });
  return fc.oneof(
    fc.constant('*'),
    fc.integer({ min: 2, max: Math.min(30, max - min) }).map((n) => `*/${n}`),
    fc.uniqueArray(value, { minLength: 1, maxLength: 4 }).map((list) => list.sort((a, b) => a - b).join(',')),
    fc
      .tuple(value, value, fc.option(fc.integer({ min: 2, max: 10 }), { nil: undefined }))
      .map(([a, b, step]) => `${Math.min(a, b)}-${Math.max(a, b)}${step ? `/${step}` : ''}`),
  );
}

property(
  ['RUN-1'],
  'random cron expressions (lists, ranges, steps): one run per matching minute, at second 0, as the owner, nothing else',
  () =>
    fc.record({
      phase: fc.nat(1439),
      // Minute and hour fields only: the phase (minute of the day) then fixes everything a
      // replay needs. Days, months and weekdays are the examples' (the OR rule, the presets).
      schedule: fc.tuple(cronField(0, 59), cronField(0, 23)).map(([m, h]) => `${m} ${h} * * *`),
      steps: fc.array(fc.integer({ min: 1, max: 4 * HOUR }), { minLength: 1, maxLength: 3 }),
    }),
  async (t, { phase, schedule, steps }) => {
    const start = await align(t, { minute: phase, of: 'day' });
    const behavior: Behavior = { durationMs: 1, outcome: 'completed', hold: false };
    const d = await deploy(t, 'cron', schedule, behavior);
    const model = new DeploymentModel(start.timezone, schedule, d.addedAt, behavior);
    await advanceWithModel(t, model, steps);
    const history = await historyOf(t, d);
    await remove(t, d);
    for (const run of history.runs) expect(run.userId, `run ${run.id} must run as the owner`).toBe(d.owner.userId);
    soft(() => expectHistory(history, model, `'${schedule}' from ${iso(d.addedAt)} (${start.timezone})`));
  },
  { ...FAKE_CLOCK, runs: 0.3 },
);

property(
  ['RUN-2'],
  'a manual deployment (no schedule, or "manual") never starts a scheduled run, whatever the clock does',
  () => fc.array(fc.integer({ min: 1, max: 3 * HOUR }), { minLength: 1, maxLength: 3 }),
  async (t, steps) => {
    await align(t);
    const implicit = await deploy(t, 'manual-implicit', undefined);
    const explicit = await deploy(t, 'manual-explicit', 'manual');
    for (const step of steps) await t.advance(step);
    for (const d of [implicit, explicit]) {
      const picture = await describe(t, d);
      const [runs, ticks] = [await runsOf(t, d), await ticksOf(t, d)];
      await remove(t, d);
      soft(() =>
        expectLines(
          runs.map((run) => runLine(run)),
          [],
          `${d.projectId}: runs`,
        ),
      );
      soft(() =>
        expectLines(
          ticks.map((tick) => tickLine(tick)),
          [],
          `${d.projectId}: ticks`,
        ),
      );
      soft(() => expectLines(picture.nextDue, [], `${d.projectId}: nextDue`));
      expect(picture.counters['fired'], `${d.projectId}: fired`).toBe(0);
    }
  },
  { runs: 0.12 },
);

check(['RUN-3'], 'a tick due while a run is held open is skipped, not queued: ending the run brings no catch-up burst', async (t) => {
  const start = await align(t);
  const zone = start.timezone;
  const d = await deploy(t, 'held', EVERY_15, { hold: true });
  await t.advance('1h');
  const firstHour = expand(EVERY_15, zone, d.addedAt, { until: d.addedAt + HOUR });
  const { ticks, runs } = await historyOf(t, d);
  soft(() =>
    expectLines(
      ticks.map((tick) => tickLine(tick)),
      firstHour.map((at, i) => `${iso(at)} ${i === 0 ? 'fired' : 'skipped_overlap'}`),
      'ticks while the first run is held',
    ),
  );
  soft(() =>
    expectLines(
      runs.map((run) => runLine(run)),
      [`schedule for ${iso(firstHour[0]!)} started ${iso(firstHour[0]!)} ended - in progress`],
      'runs while held',
    ),
  );
  const held = runs[0]!;
  expect((await describe(t, d)).runInProgress?.id, 'runInProgress').toBe(held.id);

  // End the held run: nothing that was skipped starts now, or later.
  await setBehavior(t, d.owner.userId, d.projectId, { hold: false, durationMs: 90 * SECOND });
  const endedAt = (await clock(t)).nowMs;
  const ended = await t.control('POST', `/runs/${encodeURIComponent(held.id)}/end`, { outcome: 'failed' });
  expect(ended.status, 'POST /control/runs/:id/end').toBe(200);
  expect(ended.body).toMatchObject({ id: held.id, outcome: 'failed' });
  expect((await runsOf(t, d)).length, 'runs right after the held run ended (no catch-up)').toBe(1);
  const next = expand(EVERY_15, zone, endedAt, { count: 1 })[0]!;
  await advanceTo(t, next - SECOND);
  expect((await runsOf(t, d)).length, `runs just before the next tick ${iso(next)} (no delayed run)`).toBe(1);

  // The following ticks are computed as usual.
  await advanceTo(t, endedAt + HOUR);
  const model = new DeploymentModel(zone, EVERY_15, endedAt, { durationMs: 90 * SECOND, outcome: 'completed', hold: false });
  model.advanceTo(endedAt + HOUR);
  const later = await historyOf(t, d);
  soft(() =>
    expectHistory({ ticks: later.ticks.filter((tick) => tick.at > endedAt), runs: later.runs.slice(1) }, model, 'after the held run ended'),
  );
  await remove(t, d);
});

check(
  ['RUN-3'],
  'a run that ends at the very instant the next tick comes due has ended: that tick fires; one a millisecond longer makes it skip',
  async (t) => {
    const start = await align(t);
    const zone = start.timezone;
    const period = 15 * MINUTE;
    const cases: Array<{ d: Deployed; durationMs: number }> = [];
    for (const durationMs of [period, 2 * period, period - 1, period + 1, 2 * period + 1]) {
      cases.push({ d: await deploy(t, `tie-${durationMs}`, EVERY_15, { durationMs }), durationMs });
    }
    // Each clock move ends exactly on a tick, where a run of whole periods ends too: the run ends
    // within the move that reaches its instant, not in the next one.
    for (const at of expand(EVERY_15, zone, start.nowMs, { until: start.nowMs + 2 * HOUR })) await advanceTo(t, at);
    await advanceTo(t, start.nowMs + 2 * HOUR);
    for (const { d, durationMs } of cases) {
      const model = new DeploymentModel(zone, EVERY_15, d.addedAt, { durationMs, outcome: 'completed', hold: false });
      model.advanceTo(start.nowMs + 2 * HOUR);
      await softly(async () =>
        expectHistory(
          await historyOf(t, d),
          model,
          `runs lasting ${durationMs} ms at '${EVERY_15}' (a run end and a tick at one instant: the end comes first)`,
        ),
      );
      await remove(t, d);
    }
  },
);

/** Cron schedules for the properties: every minute, steps, ranges and lists. */
const SCHEDULES = ['* * * * *', '*/2 * * * *', '*/5 * * * *', '0-10,30 * * * *', '*/7 * * * *'] as const;
/**
 * A run duration: often whole minutes, so a run ends at the very instant a later tick comes due
 * (RUN-3: the run has ended, that tick fires), else one that ends between minute boundaries.
 */
const runDuration = fc.oneof(
  fc.integer({ min: 1, max: 20 }).map((m) => m * MINUTE),
  fc.tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 1, max: MINUTE - 1 })).map(([m, rest]) => m * MINUTE + rest),
);
/**
 * A run shorter than a minute: runs never overlap, so a property about another clause is not
 * failed by an overlap bug (RUN-3's to report).
 */
const shortDuration = fc.integer({ min: 1, max: MINUTE - 1 });
const outcome = fc.constantFrom<Behavior['outcome']>('completed', 'failed');

property(
  ['RUN-3'],
  'random run durations and clock steps: runs of one deployment never overlap; skipped ticks are neither queued nor delayed',
  () =>
    fc.record({
      phase: fc.nat(59),
      schedule: fc.constantFrom(...SCHEDULES),
      durationMs: runDuration,
      outcome,
      steps: fc.array(fc.integer({ min: 1, max: 45 * MINUTE }), { minLength: 1, maxLength: 5 }),
    }),
  async (t, { phase, schedule, durationMs, outcome: end, steps }) => {
    const start = await align(t, { minute: phase, of: 'hour' });
    const behavior: Behavior = { durationMs, outcome: end, hold: false };
    const d = await deploy(t, 'overlap', schedule, behavior);
    const model = new DeploymentModel(start.timezone, schedule, d.addedAt, behavior);
    await advanceWithModel(t, model, steps);
    const history = await historyOf(t, d);
    await remove(t, d);
    expectNoOverlap(history.runs);
    soft(() => expectHistory(history, model));
  },
  { ...FAKE_CLOCK, runs: 0.4 },
);

check(['RUN-4'], 'a paused deployment fires nothing; resuming makes nothing up', async (t) => {
  const start = await align(t);
  const d = await deploy(t, 'paused', EVERY_15);
  const model = new DeploymentModel(start.timezone, EVERY_15, d.addedAt, DEFAULT_BEHAVIOR);
  const paused = await t.control('POST', `${pathOf(d)}/pause`);
  expect(paused.status, 'pause').toBe(200);
  expect(paused.body?.state).toBe('paused');
  model.paused = true;

  await t.advance('1h');
  model.advanceTo(model.now + HOUR);
  await softly(async () =>
    expectLines(
      (await runsOf(t, d)).map((run) => runLine(run)),
      [],
      'runs while paused',
    ),
  );
  await softly(async () =>
    expectLines(
      (await ticksOf(t, d)).filter((tick) => tick.reason !== 'skipped_paused').map((tick) => tickLine(tick)),
      [],
      'ticks other than skipped_paused while paused',
    ),
  );

  const resumed = await t.control('POST', `${pathOf(d)}/resume`);
  expect(resumed.status, 'resume').toBe(200);
  expect(resumed.body?.state).toBe('active');
  model.paused = false;
  await softly(async () =>
    expectLines(
      (await runsOf(t, d)).map((run) => runLine(run)),
      [],
      'runs right after resume (nothing made up)',
    ),
  );

  await t.advance('1h');
  model.advanceTo(model.now + HOUR);
  await softly(async () => expectHistory(await historyOf(t, d), model, 'paused 1 h, then active 1 h'));
  await remove(t, d);

  // Ticks missed while manual are not made up either (that manual stops ticks is RUN-6's).
  const m = await deploy(t, 'manual-window', EVERY_15);
  await updateSchedule(t, m, 'manual');
  await t.advance('1h');
  const back = (await clock(t)).nowMs;
  await updateSchedule(t, m, EVERY_15);
  const since = async () =>
    (await runsOf(t, m)).filter((run) => run.startedAt >= back).map((run) => `for ${iso(run.scheduledFor)} started ${iso(run.startedAt)}`);
  await softly(async () => expectLines(await since(), [], `runs right after switching back from manual at ${iso(back)} (nothing made up)`));
  await t.advance('1h');
  await softly(async () =>
    expectLines(
      await since(),
      expand(EVERY_15, start.timezone, back, { until: back + HOUR }).map((at) => `for ${iso(at)} started ${iso(at)}`),
      `runs in the hour after switching back from manual at ${iso(back)}`,
    ),
  );
  await remove(t, m);
});

type Op = { kind: 'advance'; ms: number } | { kind: 'pause-or-resume' } | { kind: 'schedule'; schedule: string };

/**
 * A random sequence of operations between clock steps on one deployment, compared with the
 * model after a last 20-minute step. Runs here last under a minute, so they never overlap even
 * at `* * * * *`: an overlap bug is RUN-3's to report, not these clauses'.
 */
function operationsProperty(clauses: string[], title: string, operation: fc.Arbitrary<Op>): void {
  property(
    clauses,
    title,
    () =>
      fc.record({
        phase: fc.nat(59),
        schedule: fc.constantFrom(...SCHEDULES),
        durationMs: shortDuration,
        ops: fc.array(
          fc.oneof(
            { weight: 3, arbitrary: fc.integer({ min: 1, max: 40 * MINUTE }).map((ms): Op => ({ kind: 'advance', ms })) },
            { weight: 2, arbitrary: operation },
          ),
          { minLength: 1, maxLength: 8 },
        ),
      }),
    async (t, { phase, schedule, durationMs, ops }) => {
      const start = await align(t, { minute: phase, of: 'hour' });
      const behavior: Behavior = { durationMs, outcome: 'completed', hold: false };
      const d = await deploy(t, 'ops', schedule, behavior);
      const model = new DeploymentModel(start.timezone, schedule, d.addedAt, behavior);
      for (const op of [...ops, { kind: 'advance', ms: 20 * MINUTE } as const]) {
        if (op.kind === 'advance') {
          await t.advance(op.ms);
          model.advanceTo(model.now + op.ms);
        } else if (op.kind === 'schedule') {
          await updateSchedule(t, d, op.schedule);
          model.setSchedule(op.schedule);
        } else {
          const reply = await t.control('POST', `${pathOf(d)}/${model.paused ? 'resume' : 'pause'}`);
          expect(reply.status, `${model.paused ? 'resume' : 'pause'}: ${JSON.stringify(reply.body)}`).toBe(200);
          model.paused = !model.paused;
        }
      }
      const history = await historyOf(t, d);
      await remove(t, d);
      soft(() => expectHistory(history, model));
    },
    { ...FAKE_CLOCK, runs: 0.3 },
  );
}

operationsProperty(
  ['RUN-4'],
  'random pauses and resumes between clock steps: nothing fires while paused, nothing is made up on resume',
  fc.constant<Op>({ kind: 'pause-or-resume' }),
);

operationsProperty(
  ['RUN-6'],
  'random schedule updates (manual included) between clock steps: each takes effect at once, without backfill',
  fc.constantFrom(...SCHEDULES, 'manual').map((schedule): Op => ({ kind: 'schedule', schedule })),
);

check(
  ['RUN-5'],
  'a revoked owner key: errored at the next tick, no run; stays errored after restore and update; remove + add resumes',
  async (t) => {
    const prefix = t.config.prefix;
    const userId = `${prefix}run5-owner`;
    const key = `${prefix}run5-key`;
    const created = await t.control('POST', '/users', {
      userId,
      keys: [key],
      displayName: 'RUN-5 owner (conformance)',
      defaultTeam: `${prefix}team`,
      organizations: [
        {
          id: `${prefix}org`,
          name: 'Conformance',
          permissions: ['org.admin'],
          teams: [{ id: `${prefix}team`, name: 'RUN-5', permissions: [] }],
        },
      ],
    });
    expect(created.status, `POST /control/users: ${JSON.stringify(created.body)}`).toBe(201);

    const start = await align(t);
    const zone = start.timezone;
    const d = await deploy(t, 'revoked', EVERY_15, {}, key);
    const bystander = await deploy(t, 'bystander', EVERY_15); // another user's: unaffected
    const due = expand(EVERY_15, zone, d.addedAt, { count: 1 })[0]!;

    const revoked = await t.control('POST', '/keys/revoke', { key });
    expect(revoked.status, 'POST /control/keys/revoke').toBe(200);
    try {
      await advanceTo(t, due + MINUTE);
      await softly(async () =>
        expectLines(
          (await ticksOf(t, d)).map((tick) => tickLine(tick)),
          [`${iso(due)} errored_auth`],
          'the tick after the revocation',
        ),
      );
      await softly(async () =>
        expectLines(
          (await runsOf(t, d)).map((run) => runLine(run)),
          [],
          'runs: none may start with a revoked key',
        ),
      );
      expect((await describe(t, d)).state, 'state after the tick').toBe('errored');
      await t.advance('1h');
      expect((await ticksOf(t, d)).length, 'ticks after errored (it never fires again)').toBe(1);
    } finally {
      const restored = await t.control('POST', '/keys/restore', { key });
      expect(restored.status, 'POST /control/keys/restore').toBe(200);
    }

    // The key works again: the deployment stays errored, through a schedule update too.
    const again = await owner(t, key, true);
    const status = await request(again.conn, 'rrext_deploy_status', { projectId: d.projectId });
    expect(status.body?.state, 'state after the key was restored').toBe('errored');
    // A pause and a resume, whatever the control API answers them, do not bring it back either.
    await t.control('POST', `${pathOf(d)}/pause`);
    await t.control('POST', `${pathOf(d)}/resume`);
    await updateSchedule(t, d, '*/5 * * * *', again.conn);
    const updated = await request(again.conn, 'rrext_deploy_status', { projectId: d.projectId });
    expect(updated.body?.state, 'state after a schedule update').toBe('errored');
    await t.advance('1h');
    await softly(async () =>
      expectLines(
        (await runsOf(t, d)).map((run) => runLine(run)),
        [],
        'runs after restore and update',
      ),
    );
    expect((await ticksOf(t, d)).length, 'ticks after restore and update').toBe(1);
    expect((await describe(t, d)).state).toBe('errored');

    // Removing it and adding it again with a valid key resumes scheduled runs.
    await remove(t, d, again.conn);
    const readdedAt = (await clock(t)).nowMs;
    const readd = await guarded(() => t.add(again.conn, key, { pipeline: { project_id: d.projectId }, schedule: EVERY_15 }));
    expect(readd.success, `add again: ${String(readd.message)}`).toBe(true);
    expect(readd.body?.state).toBe('active');
    await t.advance('1h');
    const resumed = (await runsOf(t, d)).filter((run) => run.scheduledFor > readdedAt);
    soft(() =>
      expectLines(
        resumed.map((run) => iso(run.startedAt)),
        expand(EVERY_15, zone, readdedAt, { until: readdedAt + HOUR }).map(iso),
        'runs after remove and add again',
      ),
    );
    await remove(t, d, again.conn);

    const other = await runsOf(t, bystander);
    await softly(async () =>
      expectLines(
        other.map((run) => iso(run.startedAt)),
        expand(EVERY_15, zone, bystander.addedAt, { until: (await clock(t)).nowMs }).map(iso),
        "another user's deployment kept running",
      ),
    );
    await remove(t, bystander);
  },
);

property(
  ['RUN-5'],
  'a key revoked at a random moment: the next tick errors the deployment without a run, for good (restore, update); a fresh add resumes',
  () =>
    fc.record({
      phase: fc.nat(59),
      schedule: fc.constantFrom(...SCHEDULES),
      durationMs: shortDuration,
      before: fc.integer({ min: 1, max: 20 * MINUTE }),
      revokedFor: fc.integer({ min: 1, max: 20 * MINUTE }),
      update: fc.option(fc.constantFrom(...SCHEDULES), { nil: undefined }),
      after: fc.integer({ min: 1, max: 20 * MINUTE }),
    }),
  async (t, { phase, schedule, durationMs, before, revokedFor, update, after }) => {
    const key = await ownKey(t, 'run5p');
    const start = await align(t, { minute: phase, of: 'hour' });
    const behavior: Behavior = { durationMs, outcome: 'completed', hold: false };
    const d = await deploy(t, 'revoke', schedule, behavior, key);
    const model = new DeploymentModel(start.timezone, schedule, d.addedAt, behavior);
    const step = async (ms: number) => {
      await t.advance(ms);
      model.advanceTo(model.now + ms);
    };
    await step(before);
    const revoked = await t.control('POST', '/keys/revoke', { key });
    expect(revoked.status, 'POST /control/keys/revoke').toBe(200);
    model.revoked = true;
    try {
      await step(revokedFor);
    } finally {
      await t.control('POST', '/keys/restore', { key });
    }
    model.revoked = false;
    const restored = await owner(t, key, true);
    // An update of an errored deployment must not revive it (an active one's update is RUN-6's).
    if (update !== undefined && model.errored) {
      await updateSchedule(t, d, update, restored.conn);
      model.setSchedule(update);
    }
    await step(after);
    const status = await request(restored.conn, 'rrext_deploy_status', { projectId: d.projectId });
    const history = await historyOf(t, d);
    expect(status.body?.state, 'state').toBe(model.errored ? 'errored' : 'active');
    soft(() => expectHistory(history, model, model.errored ? 'errored by the revoked key' : 'no tick while the key was revoked'));

    // Removing it and adding it again with the (valid) key resumes scheduled runs.
    await remove(t, d, restored.conn);
    await setBehavior(t, d.owner.userId, d.projectId, behavior);
    const readdedAt = (await clock(t)).nowMs;
    const readd = await guarded(() => t.add(restored.conn, key, { pipeline: { project_id: d.projectId }, schedule }));
    expect(readd.success, `add again: ${String(readd.message)}`).toBe(true);
    const fresh = new DeploymentModel(start.timezone, schedule, readdedAt, behavior);
    await t.advance(20 * MINUTE);
    fresh.advanceTo(readdedAt + 20 * MINUTE);
    const again = await historyOf(t, d);
    await remove(t, d, restored.conn);
    soft(() =>
      expectHistory(
        { ticks: again.ticks.filter((tick) => tick.at > readdedAt), runs: again.runs.filter((run) => run.scheduledFor > readdedAt) },
        fresh,
        'added again',
      ),
    );
  },
  { ...FAKE_CLOCK, runs: 0.2 },
);

check(
  ['RUN-6'],
  'a schedule update takes effect at once without backfill; manual stops ticks, and back to cron resumes without backfill',
  async (t) => {
    const start = await align(t);
    const zone = start.timezone;
    const first = '*/5 * * * *';
    const odd = '1-59/2 * * * *';
    const d = await deploy(t, 'reschedule', first);
    const model = new DeploymentModel(zone, first, d.addedAt, DEFAULT_BEHAVIOR);
    const step = async (ms: number) => {
      await t.advance(ms);
      model.advanceTo(model.now + ms);
    };
    const update = async (schedule: string) => {
      await updateSchedule(t, d, schedule);
      model.setSchedule(schedule);
      // At once: the next due ticks follow the new expression from the moment of the update.
      const expected = schedule === 'manual' ? [] : expand(schedule, zone, model.now, { count: 5 }).map(iso);
      await softly(async () =>
        expectLines((await describe(t, d)).nextDue, expected, `nextDue right after the update to '${schedule}' at ${iso(model.now)}`),
      );
    };
    await step(12 * MINUTE);
    await update(odd); // odd minutes already past must not be backfilled
    await step(10 * MINUTE);
    await update('manual');
    await step(30 * MINUTE);
    await update(first); // the */5 minutes missed while manual must not be made up
    await step(20 * MINUTE);
    await softly(async () =>
      expectHistory(await historyOf(t, d), model, `'${first}' 12 min, '${odd}' 10 min, manual 30 min, '${first}' 20 min`),
    );
    await remove(t, d);
  },
);

check(['RUN-7'], 'after remove no tick fires; a run in progress (held or timed) ends cancelled', async (t) => {
  const start = await align(t);
  const zone = start.timezone;
  const held = await deploy(t, 'remove-held', EVERY_15, { hold: true });
  const timed = await deploy(t, 'remove-timed', EVERY_15, { durationMs: 10 * MINUTE + 30 * SECOND });
  const idle = await deploy(t, 'remove-idle', EVERY_15);
  const first = expand(EVERY_15, zone, start.nowMs, { count: 1 })[0]!;
  await advanceTo(t, first + 2 * MINUTE);
  for (const d of [held, timed]) {
    await softly(async () =>
      expectLines(
        (await runsOf(t, d)).map((run) => runLine(run)),
        [`schedule for ${iso(first)} started ${iso(first)} ended - in progress`],
        `${d.projectId}: a run in progress`,
      ),
    );
  }
  const before = {
    [held.projectId]: await historyOf(t, held),
    [timed.projectId]: await historyOf(t, timed),
    [idle.projectId]: await historyOf(t, idle),
  };
  const removedFrom = (await clock(t)).nowMs;
  for (const d of [held, timed, idle]) await remove(t, d);
  const removedTo = (await clock(t)).nowMs;

  for (const d of [held, timed]) {
    const [run, ...more] = await runsOf(t, d);
    soft(() =>
      expectLines(
        more.map((r) => runLine(r)),
        [],
        `${d.projectId}: runs besides the cancelled one`,
      ),
    );
    expect(run?.outcome, `${d.projectId}: the run in progress at remove`).toBe('cancelled');
    expect(run?.endedAt, `${d.projectId}: ended when removed`).toBeGreaterThanOrEqual(removedFrom);
    expect(run?.endedAt, `${d.projectId}: ended when removed`).toBeLessThanOrEqual(removedTo);
  }
  await t.advance('1h');
  for (const d of [held, timed, idle]) {
    await softly(async () =>
      expectLines(
        (await ticksOf(t, d)).map((tick) => tickLine(tick)),
        before[d.projectId]!.ticks.map((tick) => tickLine(tick)),
        `${d.projectId}: ticks after remove`,
      ),
    );
    const runs = await runsOf(t, d);
    expect(runs.length, `${d.projectId}: runs after remove`).toBe(before[d.projectId]!.runs.length);
    if (d !== idle) expect(runs[0]?.outcome, `${d.projectId}: still cancelled (never completed later)`).toBe('cancelled');
    expect((await t.control('GET', pathOf(d))).status, `${d.projectId}: GET /control${pathOf(d)}`).toBe(404);
  }
});

property(
  ['RUN-7'],
  'remove at a random moment: no tick after it; a run in progress then (held or timed) ends cancelled at that moment',
  () =>
    fc.record({
      phase: fc.nat(59),
      schedule: fc.constantFrom(...SCHEDULES),
      durationMs: shortDuration,
      hold: fc.boolean(),
      before: fc.integer({ min: 1, max: 30 * MINUTE }),
      after: fc.integer({ min: 1, max: 30 * MINUTE }),
    }),
  async (t, { phase, schedule, durationMs, hold, before, after }) => {
    const start = await align(t, { minute: phase, of: 'hour' });
    const behavior: Behavior = { durationMs, outcome: 'completed', hold };
    const d = await deploy(t, 'remove', schedule, behavior);
    const model = new DeploymentModel(start.timezone, schedule, d.addedAt, behavior);
    // A held run makes later ticks skip (RUN-3's): remove it before the second tick.
    const second = expand(schedule, start.timezone, d.addedAt, { count: 2 })[1]!;
    const wait = hold ? Math.min(before, second - d.addedAt - 1) : before;
    await t.advance(wait);
    model.advanceTo(model.now + wait);
    await remove(t, d);
    model.remove();
    await t.advance(after);
    model.advanceTo(model.now + after);
    await softly(async () => expectHistory(await historyOf(t, d), model, `removed ${wait} ms after the add, then ${after} ms more`));
  },
  { ...FAKE_CLOCK, runs: 0.2 },
);

/**
 * RUN-8 with one clock per server. Two runs of time cannot be made on one clock, so the two
 * ways of advancing are compared on twin deployments shifted in time: X is added at T0 and the
 * clock advanced by S in ONE step; then, at T0 + S, Y (same schedule, same run behavior) is added
 * and the clock advanced by S in PIECES (cut at random instants, often exactly at a tick, a tick
 * +-1 ms, or a run end). The schedules have a period of one hour and S is whole hours, so Y's
 * history must be X's shifted by S: every tick decision and run (scheduled for, started, ended,
 * outcome) of X's window (T0, T0+S] equals Y's in (T0+S, T0+2S]. The clock then moves one run
 * duration further so the last runs of both windows end. X keeps ticking meanwhile: only the
 * windows are compared. Run durations here may end exactly on a tick: whatever order a server
 * gives a tie (RUN-3 settles it: the run end first), both ways of advancing must give the same.
 */
type Cut = { at: 'any'; ms: number } | { at: 'tick'; minute: number; delta: -1 | 0 | 1; plusDuration: boolean };

property(
  ['RUN-8'],
  'advancing by a+b in one step and by a then b (and more pieces) give identical run histories',
  () =>
    fc.record({
      phase: fc.nat(59),
      schedule: fc.constantFrom('* * * * *', '*/2 * * * *', '*/7 * * * *', '5,6,20-24 * * * *'),
      durationMs: fc.oneof(
        fc.integer({ min: 0, max: 25 }).map((m) => m * MINUTE),
        fc.integer({ min: 1, max: 25 * MINUTE }),
      ),
      outcome,
      hours: fc.constantFrom(1, 2),
      cuts: fc.array(
        fc.oneof(
          fc.integer({ min: 1, max: 2 * HOUR - 1 }).map((ms): Cut => ({ at: 'any', ms })),
          fc
            .record({ minute: fc.nat(119), delta: fc.constantFrom<-1 | 0 | 1>(-1, 0, 1), plusDuration: fc.boolean() })
            .map((c): Cut => ({ at: 'tick', ...c })),
        ),
        { minLength: 1, maxLength: 5 },
      ),
    }),
  async (t, { phase, schedule, durationMs, outcome: end, hours, cuts }) => {
    const span = hours * HOUR;
    const behavior: Behavior = { durationMs, outcome: end, hold: false };
    await align(t, { minute: phase, of: 'hour' });
    const x = await deploy(t, 'whole', schedule, behavior);
    await t.advance(span);
    const y = await deploy(t, 'pieces', schedule, behavior);
    // Offsets from Y's add (second 30 of a minute): minute boundaries are at 30 s + k min.
    const offsets = cuts
      .map((c) => (c.at === 'any' ? c.ms : 30 * SECOND + c.minute * MINUTE + c.delta + (c.plusDuration ? durationMs : 0)))
      .filter((ms) => ms > 0 && ms < span);
    const marks = [0, ...new Set(offsets.sort((a, b) => a - b)), span];
    for (let i = 1; i < marks.length; i++) await t.advance(marks[i]! - marks[i - 1]!);
    await t.advance(durationMs + MINUTE);

    const window = async (d: Deployed) => {
      const base = Math.floor(d.addedAt / MINUTE) * MINUTE;
      const inside = (ms: number) => ms > d.addedAt && ms <= d.addedAt + span;
      const { ticks, runs } = await historyOf(t, d);
      return {
        ticks: ticks.filter((tick) => inside(tick.at)).map((tick) => tickLine(tick, base)),
        runs: runs.filter((run) => inside(run.scheduledFor)).map((run) => runLine(run, base)),
      };
    };
    const whole = await window(x);
    const pieces = await window(y);
    await remove(t, x);
    await remove(t, y);
    // One span apart (to the minute: a clock that also runs on its own adds a few ms).
    expect(Math.floor(y.addedAt / MINUTE) - Math.floor(x.addedAt / MINUTE), 'minutes between the adds of X and Y').toBe(span / MINUTE);
    expect(whole.ticks.length, 'X ticked in its window').toBeGreaterThan(0);
    const how = `advanced by ${span} ms in pieces ${marks
      .slice(1)
      .map((m, i) => m - marks[i]!)
      .join(' + ')} vs in one step (times relative to each add's minute)`;
    soft(() => expectLines(pieces.ticks, whole.ticks, `tick decisions ${how}`));
    soft(() => expectLines(pieces.runs, whole.runs, `runs ${how}`));
  },
  { ...FAKE_CLOCK, runs: 0.4 },
);

check(
  ['RUN-3', 'RUN-8'],
  'several deployments with runs of different lengths: each run ends at its own instant, so each deployment skips exactly the ticks its own run overlaps',
  async (t) => {
    const start = await align(t);
    const zone = start.timezone;
    const every = '* * * * *';
    const lengths = [10 * SECOND, 150 * SECOND, 90 * SECOND, 200 * SECOND, 61 * SECOND, 45 * SECOND];
    const deployed: Array<{ d: Deployed; behavior: Behavior }> = [];
    for (const [i, durationMs] of lengths.entries()) {
      const behavior: Behavior = { durationMs, outcome: 'completed', hold: false };
      deployed.push({ d: await deploy(t, `lengths-${i}`, every, behavior), behavior });
    }
    await t.advance(6 * MINUTE);
    for (const { d, behavior } of deployed) {
      const model = new DeploymentModel(zone, every, d.addedAt, behavior);
      model.advanceTo(start.nowMs + 6 * MINUTE);
      await softly(async () =>
        expectHistory(
          await historyOf(t, d),
          model,
          `'${every}' with runs of ${behavior.durationMs / SECOND} s, beside runs of other lengths`,
        ),
      );
    }
    for (const { d } of deployed) await remove(t, d);
  },
);

check(
  ['RUN-9', 'RUN-3'],
  'an explicit start (trigger) is refused with 409 while a run is in progress, and its run makes a due tick skip',
  async (t) => {
    const start = await align(t);
    const zone = start.timezone;
    const manual = await deploy(t, 'trigger-manual', 'manual', { hold: true });
    const trigger = (d: Deployed) => t.control('POST', `${pathOf(d)}/trigger`);
    const endRun = async (id: string) => {
      const reply = await t.control('POST', `/runs/${encodeURIComponent(id)}/end`, {});
      expect(reply.status, `end ${id}: ${JSON.stringify(reply.body)}`).toBe(200);
    };

    const now = (await clock(t)).nowMs;
    const started = await trigger(manual);
    expect(started.status, `trigger: ${JSON.stringify(started.body)}`).toBe(201);
    expect(started.body).toMatchObject({ trigger: 'manual', projectId: manual.projectId, userId: manual.owner.userId, endedAt: null });
    expect(Date.parse(started.body.startedAt)).toBeGreaterThanOrEqual(now);
    const refused = await trigger(manual);
    expect(refused.status, 'trigger while a run is in progress').toBe(409);
    expect(refused.body?.error?.code).toBe('RUN_IN_PROGRESS');
    expect((await runsOf(t, manual)).length, 'runs after a refused trigger').toBe(1);
    await endRun(started.body.id);
    const again = await trigger(manual);
    expect(again.status, 'trigger once the run has ended').toBe(201);
    await endRun(again.body.id);
    await softly(async () =>
      expectLines(
        (await runsOf(t, manual)).map((run) => run.trigger),
        ['manual', 'manual'],
        "the manual deployment's runs (by trigger), each kept as it started",
      ),
    );

    // A scheduled run in progress refuses a trigger too; a triggered run makes the next tick skip.
    const cron = await deploy(t, 'trigger-cron', EVERY_15, { hold: true });
    const [tick1, tick2] = expand(EVERY_15, zone, cron.addedAt, { count: 2 }) as [number, number];
    await advanceTo(t, tick1 + MINUTE);
    const [scheduled] = await runsOf(t, cron);
    expect(scheduled?.endedAt, 'the scheduled run is held').toBeNull();
    const busy = await trigger(cron);
    expect(busy.status, 'trigger while a scheduled run is in progress').toBe(409);
    expect(busy.body?.error?.code).toBe('RUN_IN_PROGRESS');
    await endRun(scheduled!.id);
    const manualRun = await trigger(cron);
    expect(manualRun.status).toBe(201);
    await advanceTo(t, tick2 + MINUTE);
    await softly(async () =>
      expectLines(
        (await ticksOf(t, cron)).map((tick) => tickLine(tick)),
        [`${iso(tick1)} fired`, `${iso(tick2)} skipped_overlap`],
        'ticks',
      ),
    );
    await softly(async () =>
      expectLines(
        (await runsOf(t, cron)).map((run) => run.trigger),
        ['schedule', 'manual'],
        'runs (by trigger)',
      ),
    );
    await endRun(manualRun.body.id);
    await remove(t, manual);
    await remove(t, cron);
  },
);

/** SCHED-4, from the spec: what each preset means. */
const PRESETS: ReadonlyArray<readonly [string, string]> = [
  ['@hourly', '0 * * * *'],
  ['@daily', '0 0 * * *'],
  ['@midnight', '0 0 * * *'],
  ['@weekly', '0 0 * * 0'],
  ['@monthly', '0 0 1 * *'],
  ['@yearly', '0 0 1 1 *'],
  ['@annually', '0 0 1 1 *'],
];

check(['SCHED-4'], 'each preset comes due exactly when its 5-field meaning does (nextDue, and runs over 2 h)', async (t) => {
  const start = await align(t);
  const zone = start.timezone;
  const deployed: Array<{ d: Deployed; preset: string; cron: string }> = [];
  for (const [preset, cron] of PRESETS) deployed.push({ d: await deploy(t, `preset-${preset.slice(1)}`, preset), preset, cron });
  const expectNextDue = async (from: number) => {
    for (const { d, preset, cron } of deployed) {
      await softly(async () =>
        expectLines(
          (await describe(t, d)).nextDue,
          expand(cron, zone, from, { count: 5 }).map(iso),
          `${preset} (= ${cron}) next due after ${iso(from)} in ${zone}`,
        ),
      );
    }
  };
  await expectNextDue(start.nowMs);
  await t.advance('2h');
  const now = (await clock(t)).nowMs;
  for (const { d, preset, cron } of deployed) {
    await softly(async () =>
      expectLines(
        (await runsOf(t, d)).map((run) => iso(run.startedAt)),
        expand(cron, zone, d.addedAt, { until: now }).map(iso),
        `${preset} (= ${cron}) runs from ${iso(d.addedAt)} to ${iso(now)}`,
      ),
    );
  }
  await expectNextDue(now);
  for (const { d } of deployed) await remove(t, d);
});

/**
 * Presets whose first due instants are at most a week away (the first two; @weekly's first):
 * their runs are checked as they come due. (@monthly and @yearly would need the clock moved by up to a year, which would tick
 * every other check file's deployments hundreds of thousands of times; their meaning is checked
 * above, through the next due instants the target reports.)
 */
const NEAR_PRESETS = PRESETS.filter(([preset]) => ['@hourly', '@daily', '@midnight', '@weekly'].includes(preset));

check(
  ['SCHED-4'],
  'each preset fires at exactly the instants its 5-field meaning does, side by side with a twin deployment of that meaning, and not a millisecond before',
  async (t) => {
    const start = await align(t);
    const zone = start.timezone;
    const pairs: Array<{ preset: string; cron: string; p: Deployed; c: Deployed; due: number[] }> = [];
    for (const [preset, cron] of NEAR_PRESETS) {
      const p = await deploy(t, `fires-${preset.slice(1)}`, preset);
      const c = await deploy(t, `fires-${preset.slice(1)}-twin`, cron);
      // @weekly's second instant is up to two weeks away: its first is enough (its meaning is also checked through nextDue above).
      pairs.push({ preset, cron, p, c, due: expand(cron, zone, p.addedAt, { count: preset === '@weekly' ? 1 : 2 }) });
    }
    const started = async (d: Deployed) => (await runsOf(t, d)).map((run) => iso(run.startedAt));
    const instants = [...new Set(pairs.flatMap((x) => x.due))].sort((a, b) => a - b);
    for (const at of instants) {
      const dueNow = pairs.filter((x) => x.due.includes(at));
      await advanceTo(t, at - 1);
      for (const x of dueNow) {
        const before = x.due.filter((d) => d < at).map(iso);
        const [ps, cs] = [await started(x.p), await started(x.c)];
        soft('SCHED-4', () => expect(ps, `${x.preset} (= ${x.cron}): runs 1 ms before ${iso(at)}`).toEqual(before));
        soft('SCHED-4', () => expect(cs, `its twin '${x.cron}': runs 1 ms before ${iso(at)}`).toEqual(before));
      }
      await advanceTo(t, at);
      for (const x of dueNow) {
        const upTo = x.due.filter((d) => d <= at).map(iso);
        const [ps, cs] = [await started(x.p), await started(x.c)];
        soft('SCHED-4', () => expect(ps, `${x.preset} (= ${x.cron}): runs at ${iso(at)}`).toEqual(upTo));
        soft('SCHED-4', () => expect(cs, `its twin '${x.cron}': runs at ${iso(at)}`).toEqual(upTo));
        if (at === x.due[x.due.length - 1]) {
          await remove(t, x.p);
          await remove(t, x.c);
        }
      }
    }
  },
  FAKE_CLOCK,
);
