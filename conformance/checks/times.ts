/**
 * The deploy clauses about time (DEP-ADD-1 "now", DEP-UPD-1 "updatedAt becomes now, createdAt
 * unchanged", DEP-REM-1 "a re-add starts with a new createdAt", REC-1 "Unix seconds") and
 * REC-2's "equal after every change", checked across real clock moves: a server that never
 * changes a time, or changes the wrong one, passes any check made without time passing.
 *
 * Time passes through the control API where the target has one (on a fake clock every time must
 * then be exactly the clock's reading), and across short real waits where it has not (the
 * server's clock is then read through fresh adds, and must move by as many seconds as this
 * machine's, or not at all). These checks are
 * registered by runs.check.ts, the one check file that moves the clock, so they run in series
 * with the RUN checks.
 */
import { expect } from 'vitest';
import { check, soft } from '../context.js';
import type { DapConnection, DapReply } from '../dap.js';
import { dialectProblems, isJsonObject, jsonEqual, projectIdOf, show, viewOf, type JsonObject, type RecordView } from '../model.js';
import { clock } from '../runs/clock.js';
import { ownKey } from '../runs/control-client.js';
import type { Target } from '../target.js';

/** How long a real wait lasts where the clock cannot be moved: more than any clock resolution up to a second. */
const REAL_WAIT_MS = 1100;
/** How far the server's elapsed time may differ from this machine's, without clock control (its resolution). */
const SLACK_S = 1;

/** How a check lets time pass on the target, and how it reads the target's clock. */
interface Time {
  /** The target's clock in Unix seconds. */
  now(): Promise<number | undefined>;
  /** Lets `ms` pass on the target's clock (a real wait of about a second without clock control). */
  pass(ms: number): Promise<void>;
}

/**
 * Through the control API where the target has one. Without it, the target's own clock is read
 * through DEP-ADD-1: a fresh add's createdAt is the server's now (the probe is removed at once).
 * So "now" means the server's clock whatever it is (a real one, a skewed one, or a fake one that
 * nothing moves), and the check never compares the server's clock with this machine's.
 */
async function timeOf(t: Target, c: DapConnection, key: string): Promise<Time> {
  if ((await t.capabilities()).has('clock-control')) return { now: async () => (await clock(t)).nowMs / 1000, pass: (ms) => t.advance(ms) };
  return {
    now: async () => {
      const id = t.projectId('clock-probe');
      const reply = await t.add(c, key, { pipeline: { project_id: id } });
      if (reply.success === true) await c.request('rrext_deploy_remove', { projectId: id });
      const at = viewOf(reply.body)?.createdAt;
      return typeof at === 'number' ? at : undefined;
    },
    pass: () => new Promise((resolve) => setTimeout(resolve, REAL_WAIT_MS)),
  };
}

/** When an exchange happened: the target's clock just before and just after it, and this machine's, in seconds. */
interface Stamp {
  readonly server: readonly [number, number] | undefined;
  readonly wall: readonly [number, number];
}

async function stamped<T>(time: Time, exchange: () => Promise<T>): Promise<[T, Stamp]> {
  const s0 = await time.now();
  const w0 = Date.now() / 1000;
  const value = await exchange();
  const w1 = Date.now() / 1000;
  const s1 = await time.now();
  return [value, { server: s0 === undefined || s1 === undefined ? undefined : [s0, s1], wall: [w0, w1] }];
}

/** `value` is the target's time of the exchange (exactly, on a clock that stood still meanwhile). */
function isNow(clause: string, value: unknown, at: Stamp, what: string): void {
  soft(clause, () =>
    expect(typeof value === 'number' && Number.isFinite(value), `${what} must be a number of Unix seconds: ${show(value)}`).toBe(true),
  );
  if (typeof value !== 'number' || !at.server) return;
  const [lo, hi] = at.server;
  // "Exactly": to a microsecond, so a server computing seconds another way (ms * 0.001) is not faulted for the last bit.
  if (lo === hi)
    soft(clause, () =>
      expect(Math.abs(value - lo) <= 1e-6, `${what} = ${value} must be the server's clock then, in Unix seconds (${lo})`).toBe(true),
    );
  else
    soft(clause, () =>
      expect(
        value >= lo && value <= hi,
        `${what} = ${value} must be the server's clock then, in Unix seconds (between ${lo} and ${hi})`,
      ).toBe(true),
    );
}

/** Where the server's clock moved between two exchanges, `later` is after `earlier`. */
function movedOn(clause: string, earlier: unknown, at0: Stamp, later: unknown, at1: Stamp, what: string): void {
  if (typeof earlier !== 'number' || typeof later !== 'number' || !at0.server || !at1.server) return;
  if (at1.server[0] <= at0.server[1]) return; // the server's clock did not move in between (a fake one): isNow said it all
  soft(clause, () =>
    expect(
      later > earlier,
      `${what}: ${later} must be later than ${earlier} (the server's clock moved from ${at0.server![1]} to ${at1.server![0]} in between)`,
    ).toBe(true),
  );
}

/**
 * REC-1's seconds, where nothing else pins them: the server's clock, read across a real wait,
 * moved by as many seconds as this machine's (or not at all: a fake clock).
 */
function inSeconds(at0: Stamp, at1: Stamp, t: Target): void {
  if (!at0.server || !at1.server) return;
  const server = at1.server[0] - at0.server[1];
  if (server === 0) {
    t.notes['clock'] = "the server's clock stood still across real waits (a fake clock): the time clauses were checked as equalities";
    return;
  }
  const [min, max] = [at1.wall[0] - at0.wall[1] - SLACK_S, at1.wall[1] - at0.wall[0] + SLACK_S];
  soft('REC-1', () =>
    expect(
      server >= min && server <= max,
      `the server's clock moved ${server} while ${(at1.wall[0] - at0.wall[0]).toFixed(3)} s passed here: its times are not Unix seconds`,
    ).toBe(true),
  );
}

interface Seen {
  /** The record as status answers it (documented names first). */
  readonly view: RecordView;
  /**
   * One view per field-name set the record carries: the time clauses hold for each (the SDKs
   * read created_at/updated_at, code written from the documentation createdAt/updatedAt).
   */
  readonly sets: ReadonlyArray<readonly [string, RecordView]>;
  readonly at: Stamp;
}

/** The record's owner and times under each name set it carries. */
function setsOf(record: unknown): Array<[string, RecordView]> {
  const view = viewOf(record);
  if (!view || !isJsonObject(record)) return [];
  const sets: Array<[string, RecordView]> = [];
  if ('createdAt' in record || 'updatedAt' in record || 'userId' in record)
    sets.push(['', { ...view, owner: record['userId'], createdAt: record['createdAt'], updatedAt: record['updatedAt'] }]);
  if ('created_at' in record || 'updated_at' in record || 'created_by' in record) {
    sets.push([
      ' (snake_case names)',
      { ...view, owner: record['created_by'], createdAt: record['created_at'], updatedAt: record['updated_at'] },
    ]);
  }
  return sets.length > 0 ? sets : [['', view]];
}

/** Runs `assert` for each name set of `seen`, with the same set of `other` (or undefined). */
function each(seen: Seen, assert: (view: RecordView, names: string, other?: RecordView) => void, other?: Seen): void {
  for (const [names, view] of seen.sets) assert(view, names, other?.sets.find(([n]) => n === names)?.[1] ?? other?.view);
}

/**
 * A change and what it left: the change's reply (a DAP one, or none for a control), then status and the list entry of `id`. All
 * three agree, field for field and in both dialects (REC-2), and the list entry is the status
 * record (DEP-LIST-1). Answers the status record's view and the change's stamp.
 */
async function change<R extends DapReply | undefined>(
  c: DapConnection,
  time: Time,
  id: string,
  what: string,
  exchange: () => Promise<R>,
): Promise<[R, Seen]> {
  const [reply, at] = await stamped(time, exchange);
  const status = await c.request('rrext_deploy_status', { projectId: id });
  expect(status.success, `${what}: status ${id}: ${show(status.message)}`).toBe(true);
  const list = await c.request('rrext_deploy_list');
  const entry = (Array.isArray(list.body?.deployments) ? (list.body.deployments as unknown[]) : []).filter((r) => projectIdOf(r) === id);
  soft('DEP-LIST-1', () => expect(entry.length, `${what}: the list shows ${id} once`).toBe(1));
  const records: Array<[string, unknown]> = [
    ...(reply?.success === true && isJsonObject(reply.body) && 'pipeline' in reply.body
      ? [[`the reply to ${what}`, reply.body] as [string, unknown]]
      : []),
    [`status after ${what}`, status.body],
    ...(entry[0] === undefined ? [] : [[`the list entry after ${what}`, entry[0]] as [string, unknown]]),
  ];
  for (const [where, record] of records) dialectsAgree(where, record);
  if (entry[0] !== undefined)
    soft('DEP-LIST-1', () =>
      expect(
        jsonEqual(entry[0], status.body),
        `${what}: the list entry must be the status record:\n list:   ${show(entry[0], 400)}\n status: ${show(status.body, 400)}`,
      ).toBe(true),
    );
  return [reply, { view: viewOf(status.body)!, sets: setsOf(status.body), at }];
}

/** REC-2: a record that carries both dialects gives them equal values (the model's rule, applied softly). */
function dialectsAgree(where: string, record: unknown): void {
  for (const problem of dialectProblems(record)) soft('REC-2', () => expect.fail(`${where}: ${problem.replace(/^REC-2: /, '')}`));
}

async function login(t: Target, key: string): Promise<{ c: DapConnection; userId: string }> {
  const c = await t.connect();
  const reply = await c.request('auth', { auth: key, clientName: 'rocketride-deploy-kit conformance (times)' });
  if (reply.success !== true || typeof reply.body?.userId !== 'string') throw new Error(`auth failed: ${reply.raw}`);
  return { c, userId: reply.body.userId };
}

const pipelineOf = (view: RecordView) => view.pipeline as JsonObject;

check(
  ['DEP-ADD-1', 'DEP-UPD-1', 'DEP-UPD-3', 'DEP-REM-1', 'REC-1', 'REC-2', 'DEP-LIST-1'],
  'across clock moves: add stamps createdAt = updatedAt = now; every update (pipeline, schedule, none, while paused) moves updatedAt to now and keeps createdAt, owner and state; a failed one changes nothing; a re-add after remove starts a new createdAt; both dialects agree after every change',
  async (t) => {
    const control = (await t.capabilities()).has('clock-control');
    const u = await login(t, t.config.keys.primary);
    const time = await timeOf(t, u.c, t.config.keys.primary);
    const id = t.projectId('times');
    // Steps with a fraction of a second, so every time the server stamps has one (REC-1 allows
    // fractions: a server that cuts them off, or rounds one of the two times, is caught).
    const step = 90_250;
    await time.pass(1_125);

    const [addReply, added] = await change(u.c, time, id, 'the add', () =>
      t.add(u.c, t.config.keys.primary, { pipeline: { project_id: id, v: 1 }, schedule: '*/5 * * * *' }),
    );
    expect(addReply.success, `add ${id}: ${show(addReply.message)}`).toBe(true);
    each(added, (v, names) => {
      isNow('DEP-ADD-1', v.createdAt, added.at, `createdAt of a new record${names}`);
      soft('DEP-ADD-1', () => expect(v.updatedAt, `updatedAt of a new record equals its createdAt${names}`).toBe(v.createdAt));
    });
    let last = added;

    /** An update that succeeds: updatedAt moves to now, everything not given stays. */
    const updated = async (
      args: Record<string, unknown>,
      what: string,
      expected: { pipeline: JsonObject; schedule: string; state: string },
    ) => {
      await time.pass(step);
      const [reply, seen] = await change(u.c, time, id, what, () => u.c.request('rrext_deploy_update', { projectId: id, ...args }));
      expect(reply.success, `${what}: ${show(reply.message)}`).toBe(true);
      const previous = last;
      each(
        seen,
        (v, names, before) => {
          isNow('DEP-UPD-1', v.updatedAt, seen.at, `updatedAt after ${what}${names}`);
          movedOn('DEP-UPD-1', before?.updatedAt, previous.at, v.updatedAt, seen.at, `updatedAt after ${what}${names}`);
        },
        previous,
      );
      each(
        seen,
        (v, names, first) =>
          soft('DEP-UPD-1', () => expect(v.createdAt, `createdAt after ${what} must stay the add's${names}`).toBe(first?.createdAt)),
        added,
      );
      soft('DEP-UPD-1', () =>
        expect([seen.view.owner, seen.view.schedule, seen.view.state], `owner, schedule, state after ${what}`).toEqual([
          u.userId,
          expected.schedule,
          expected.state,
        ]),
      );
      soft('DEP-UPD-1', () =>
        expect(jsonEqual(seen.view.pipeline, expected.pipeline), `the pipeline after ${what}: ${show(seen.view.pipeline)}`).toBe(true),
      );
      last = seen;
    };
    await updated({ pipeline: { project_id: id, v: 2 } }, 'an update of the pipeline', {
      pipeline: { project_id: id, v: 2 },
      schedule: '*/5 * * * *',
      state: 'active',
    });
    await updated({ schedule: '@hourly' }, 'an update of the schedule', {
      pipeline: { project_id: id, v: 2 },
      schedule: '@hourly',
      state: 'active',
    });
    await updated({}, 'an update that gives nothing', { pipeline: { project_id: id, v: 2 }, schedule: '@hourly', state: 'active' });

    // A failed update changes nothing: updatedAt included.
    await time.pass(step);
    const [refused, after] = await change(u.c, time, id, 'a refused update', () =>
      u.c.request('rrext_deploy_update', { projectId: id, pipeline: { project_id: id, v: 3 }, schedule: '@reboot' }),
    );
    soft('DEP-UPD-3', () => expect(refused.success, `an update with the schedule @reboot must fail: ${refused.raw}`).toBe(false));
    soft('DEP-UPD-3', () => expect(after.view, 'a refused update changes nothing').toEqual(last.view));

    if (control) {
      // A state change by the scheduler or a control, then an update while paused: state stays.
      const path = `/deployments/${encodeURIComponent(u.userId)}/${encodeURIComponent(id)}`;
      const [, paused] = await change(u.c, time, id, 'a pause (control API)', async () => {
        const reply = await t.control('POST', `${path}/pause`);
        expect(reply.status, `POST /control${path}/pause: ${JSON.stringify(reply.body)}`).toBe(200);
        return undefined;
      });
      soft('DEP-UPD-1', () => expect(paused.view.state, 'state after the pause').toBe('paused'));
      last = paused;
      await updated({ pipeline: { project_id: id, v: 4 } }, 'an update while paused', {
        pipeline: { project_id: id, v: 4 },
        schedule: '@hourly',
        state: 'paused',
      });
      expect((await t.control('POST', `${path}/resume`)).status, 'resume').toBe(200);

      // An errored deployment (its owner's key revoked when a tick came due) stays errored through an update.
      const key = await ownKey(t, 'times');
      const owner = await login(t, key);
      const errId = t.projectId('times-errored');
      const reply = await t.add(owner.c, key, { pipeline: { project_id: errId }, schedule: '* * * * *' });
      expect(reply.success, `add ${errId}: ${show(reply.message)}`).toBe(true);
      expect((await t.control('POST', '/keys/revoke', { key })).status, 'revoke').toBe(200);
      await time.pass(2 * 60_000);
      expect((await t.control('POST', '/keys/restore', { key })).status, 'restore').toBe(200);
      const again = await login(t, key);
      const [, errored] = await change(again.c, time, errId, 'a tick with the key revoked', async () => undefined);
      soft('DEP-UPD-1', () => expect(errored.view.state, 'state after a tick with the key revoked (RUN-5)').toBe('errored'));
      await time.pass(step);
      const [upd, errUpdated] = await change(again.c, time, errId, 'an update of an errored deployment', () =>
        again.c.request('rrext_deploy_update', { projectId: errId, schedule: '*/2 * * * *' }),
      );
      expect(upd.success, `update ${errId}: ${show(upd.message)}`).toBe(true);
      soft('DEP-UPD-1', () => expect(errUpdated.view.state, 'an errored deployment stays errored through an update').toBe('errored'));
      each(
        errUpdated,
        (v, names, before) => {
          isNow('DEP-UPD-1', v.updatedAt, errUpdated.at, `updatedAt after an update of an errored deployment${names}`);
          soft('DEP-UPD-1', () =>
            expect(v.createdAt, `createdAt after an update of an errored deployment${names}`).toBe(before?.createdAt),
          );
        },
        errored,
      );
      await again.c.request('rrext_deploy_remove', { projectId: errId });
    }

    // Removed, then added again later: a fresh record, with a new createdAt.
    expect((await u.c.request('rrext_deploy_remove', { projectId: id })).success, `remove ${id}`).toBe(true);
    await time.pass(step);
    const [readdReply, readded] = await change(u.c, time, id, 'the add after the remove', () =>
      t.add(u.c, t.config.keys.primary, { pipeline: { project_id: id, v: 5 } }),
    );
    expect(readdReply.success, `add ${id} again: ${show(readdReply.message)}`).toBe(true);
    each(
      readded,
      (v, names, removed) => {
        isNow('DEP-REM-1', v.createdAt, readded.at, `createdAt of the re-added record${names}`);
        movedOn(
          'DEP-REM-1',
          removed?.createdAt,
          added.at,
          v.createdAt,
          readded.at,
          `createdAt of the re-added record, against the removed one${names}`,
        );
        soft('DEP-REM-1', () => expect(v.updatedAt, `updatedAt of the re-added record equals its new createdAt${names}`).toBe(v.createdAt));
      },
      added,
    );
    if (!control) inSeconds(added.at, readded.at, t);
    soft('DEP-REM-1', () =>
      expect(
        [readded.view.state, readded.view.schedule, pipelineOf(readded.view)['v']],
        'state, schedule and pipeline of the re-added record (fresh)',
      ).toEqual(['active', 'manual', 5]),
    );
    // REC-1: Unix seconds. On a fake clock the times above are the clock's seconds exactly; without
    // clock control, the elapsed time matches the wall clock's in seconds.
    if (!control)
      soft('REC-1', () =>
        expect(
          typeof readded.view.createdAt === 'number' &&
            (readded.view.createdAt as number) > 1e9 &&
            (readded.view.createdAt as number) < 1e11,
          `createdAt in Unix seconds: ${show(readded.view.createdAt)}`,
        ).toBe(true),
      );
  },
  { timeout: 60_000 },
);
