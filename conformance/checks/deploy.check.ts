/**
 * DEP-*: the five deploy commands, one example-based check per rule: add, list, status, update,
 * remove, permissions, failure messages and isolation between users (hostile project ids).
 * Every project id comes from `t.projectId` (the run's prefix), hostile ones included: a
 * traversal only ever points at another id of this run.
 */
import { expect } from 'vitest';
import { check, soft } from '../context.js';
import { traversals, variantsOf, type Traversal } from '../hostile-ids.js';
import type { DapConnection, DapReply } from '../dap.js';
import { expectNone, expectUnchanged } from '../evidence.js';
import {
  WORDS,
  invalidScheduleWords,
  isJsonObject,
  jsonEqual,
  projectIdOf,
  show,
  viewOf,
  wireCopy,
  type JsonObject,
  type RecordView,
} from '../model.js';
import type { Target } from '../target.js';
import { readPages } from '../control-pages.js';

interface Login {
  readonly c: DapConnection;
  readonly userId: string;
  readonly key: string;
}

async function login(t: Target, key: string): Promise<Login> {
  const c = await t.connect();
  const reply = await c.request('auth', { auth: key, clientName: 'rocketride-deploy-kit conformance' });
  if (reply.success !== true || typeof reply.body?.userId !== 'string') throw new Error(`auth failed: ${reply.raw}`);
  return { c, userId: reply.body.userId, key };
}

const primary = (t: Target) => login(t, t.config.keys.primary);
const secondary = (t: Target) => login(t, t.config.keys.secondary!);

async function add(t: Target, u: Login, pipeline: unknown, schedule?: unknown): Promise<DapReply> {
  return t.add(u.c, u.key, { pipeline, ...(schedule !== undefined && { schedule }) });
}

/** Adds and expects success; the record's view. */
async function added(t: Target, u: Login, pipeline: JsonObject, schedule?: string): Promise<RecordView> {
  const reply = await add(t, u, pipeline, schedule);
  expect(reply.success, `add ${show(pipeline['project_id'])} failed: ${show(reply.message)}`).toBe(true);
  return viewOf(reply.body) ?? expect.fail(`add's body is not a record: ${show(reply.body)}`);
}

async function status(u: Login, projectId: unknown): Promise<DapReply> {
  return u.c.request('rrext_deploy_status', { projectId });
}

/** The caller's current record for `projectId` (status must succeed). */
async function current(u: Login, projectId: string): Promise<Record<string, unknown>> {
  const reply = await status(u, projectId);
  expect(reply.success, `status ${show(projectId)} failed: ${show(reply.message)}`).toBe(true);
  expect(isJsonObject(reply.body), `status's body is not a record: ${show(reply.body)}`).toBe(true);
  return reply.body as Record<string, unknown>;
}

/** The caller's listed records whose project id is one of `ids` (or starts with `prefix`). */
async function listedIds(u: Login, match: (id: string) => boolean): Promise<string[]> {
  const reply = await u.c.request('rrext_deploy_list');
  expect(reply.success, `list failed: ${show(reply.message)}`).toBe(true);
  const all = reply.body?.deployments;
  expect(Array.isArray(all), `list's body has no deployments array: ${show(reply.body)}`).toBe(true);
  return (all as unknown[]).map(projectIdOf).filter((id): id is string => typeof id === 'string' && match(id));
}

/** A project id for messages: the run's prefix shortened, long ids cut. */
function short(id: string, prefix: string): string {
  const text = id.split(prefix).join('<run>');
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 60)}…(${id.length} chars)` : text);
}

/** The listed ids (filtered by the caller) are exactly `expected`, each once: a readable difference otherwise. */
async function expectListed(t: Target, u: Login, match: (id: string) => boolean, expected: readonly string[], what: string): Promise<void> {
  const actual = await listedIds(u, match);
  const extra = actual.filter((id) => !expected.includes(id));
  const missing = expected.filter((id) => !actual.includes(id));
  const twice = actual.filter((id, i) => actual.indexOf(id) !== i);
  if (extra.length + missing.length + twice.length === 0) return;
  const ids = (list: string[]) => list.map((id) => short(id, t.config.prefix)).join(', ');
  expect.fail(
    [
      `${what} (the list of ${u.userId}):`,
      ...(extra.length ? [`  listed, but not expected: ${ids(extra)}`] : []),
      ...(missing.length ? [`  expected, but not listed: ${ids(missing)}`] : []),
      ...(twice.length ? [`  listed more than once: ${ids(twice)}`] : []),
      `  (<run> is ${t.config.prefix})`,
    ].join('\n'),
  );
}

/** A reply that must be a failure, asserted softly: the check goes on either way. */
async function failsSoftly(reply: Promise<DapReply>, what: string): Promise<void> {
  const answered = await reply;
  soft(() => expectFailure(answered, what));
}

function expectFailure(reply: DapReply, what: string): string {
  expect(reply.success, `${what}: expected a failure, got ${reply.raw}`).toBe(false);
  expect(typeof reply.message === 'string' && reply.message !== '', `${what}: a failure needs a non-empty message: ${reply.raw}`).toBe(
    true,
  );
  return reply.message as string;
}

/** The control API's clock (kit mocks only), to check that times are "now". */
async function clockSeconds(t: Target): Promise<number | undefined> {
  if (!(await t.capabilities()).has('clock-control')) return undefined;
  const reply = await t.control('GET', '/clock');
  return typeof reply.body?.nowMs === 'number' ? reply.body.nowMs / 1000 : undefined;
}

async function sameTimeTolerance(t: Target): Promise<number> {
  return (await t.capabilities()).has('clock-control') ? 0 : 1;
}

const controlPath = (userId: string, projectId: string, action: string) =>
  `/deployments/${encodeURIComponent(userId)}/${encodeURIComponent(projectId)}/${action}`;

// ---------------------------------------------------------------------------------------------
// add

check(
  ['DEP-ADD-1'],
  'add answers the new record: pipeline as sent, schedule as sent or "manual", active, the caller as owner, createdAt = updatedAt = now',
  async (t) => {
    const u = await primary(t);
    const tolerance = await sameTimeTolerance(t);
    const before = await clockSeconds(t);
    const cases: Array<{ pipeline: JsonObject; schedule?: string; expected: string }> = [
      { pipeline: { project_id: t.projectId('dep-add'), name: 'no schedule', steps: [{ id: 1 }, { id: 2 }] }, expected: 'manual' },
      { pipeline: { project_id: t.projectId('dep-add') }, schedule: '*/15 * * * *', expected: '*/15 * * * *' },
      { pipeline: { project_id: t.projectId('dep-add'), x: 1 }, schedule: 'manual', expected: 'manual' },
      { pipeline: { project_id: t.projectId('dep-add') }, schedule: '30 4 * * *', expected: '30 4 * * *' },
    ];
    for (const { pipeline, schedule, expected } of cases) {
      const view = await added(t, u, pipeline, schedule);
      const what = `add ${show(pipeline)}${schedule === undefined ? '' : ` schedule ${show(schedule)}`}`;
      expect(jsonEqual(view.pipeline, pipeline), `${what}: the pipeline came back as ${show(view.pipeline)}`).toBe(true);
      expect(view.schedule, `${what}: schedule`).toBe(expected);
      expect(view.state, `${what}: state`).toBe('active');
      expect(view.owner, `${what}: the owner must be the caller`).toBe(u.userId);
      expect(typeof view.createdAt === 'number' && typeof view.updatedAt === 'number', `${what}: times are numbers: ${show(view)}`).toBe(
        true,
      );
      const [createdAt, updatedAt] = [view.createdAt as number, view.updatedAt as number];
      expect(
        Math.abs(createdAt - updatedAt),
        `${what}: createdAt ${createdAt} and updatedAt ${updatedAt} of a new record must be equal`,
      ).toBeLessThanOrEqual(tolerance);
      const after = await clockSeconds(t);
      if (before !== undefined && after !== undefined) {
        expect(createdAt, `${what}: createdAt must be the server's clock (between ${before} and ${after})`).toBeGreaterThanOrEqual(before);
        expect(createdAt, `${what}: createdAt must be the server's clock (between ${before} and ${after})`).toBeLessThanOrEqual(after);
      }
    }
  },
);

check(['DEP-ADD-2'], 'a missing pipeline, or one that is not a JSON object, fails, and nothing is created', async (t) => {
  const u = await primary(t);
  const id = t.projectId('dep-add2');
  t.created(u.key, id); // in case a lenient server took the id out of one of these
  const bad: unknown[] = [undefined, null, [{ project_id: id }], JSON.stringify({ project_id: id }), 42, true];
  for (const pipeline of bad) {
    const reply = await u.c.request('rrext_deploy_add', pipeline === undefined ? { schedule: '@hourly' } : { pipeline });
    soft(() => expectFailure(reply, `add with pipeline ${pipeline === undefined ? 'absent' : show(pipeline)}`));
  }
  await failsSoftly(u.c.request('rrext_deploy_add', {}), 'add with no arguments at all');
  await failsSoftly(status(u, id), `status ${id} after the refused adds (nothing may have been created)`);
});

check(['DEP-ADD-3'], 'a missing, empty or non-string pipeline.project_id fails, and nothing is created', async (t) => {
  const u = await primary(t);
  const id = t.projectId('dep-add3');
  t.created(u.key, id);
  const pipelines: unknown[] = [
    { name: 'no id' },
    { project_id: '' },
    { project_id: 7.25 },
    { project_id: null },
    { project_id: [id] },
    { project_id: { id } },
    { project_id: true },
  ];
  for (const pipeline of pipelines) {
    const reply = await add(t, u, pipeline);
    if (reply.success === true && typeof projectIdOf(reply.body) === 'string') t.created(u.key, projectIdOf(reply.body) as string);
    soft(() => expectFailure(reply, `add with pipeline ${show(pipeline)}`));
  }
  await failsSoftly(status(u, id), `status ${id} after the refused adds (nothing may have been created)`);
});

check(['DEP-ADD-4'], 'a second add of a deployed project id fails saying it already exists, and the record is unchanged', async (t) => {
  const u = await primary(t);
  const id = t.projectId('dep-dup');
  await added(t, u, { project_id: id, version: 1 }, '@daily');
  const original = await current(u, id);
  for (const [pipeline, schedule] of [
    [{ project_id: id, version: 2 }, '@hourly'],
    [{ project_id: id, version: 1 }, '@daily'], // identical content: still a duplicate
    [{ project_id: id }, undefined],
  ] as const) {
    const reply = await add(t, u, pipeline, schedule);
    soft(() =>
      expect(expectFailure(reply, `a second add of ${id}`), 'DEP-ADD-4: the message must say the deployment already exists').toMatch(
        /already exists/i,
      ),
    );
  }
  expect(await current(u, id), 'the existing record must be unchanged').toEqual(original);
});

check(['DEP-ADD-5'], 'two users may each deploy the same project id, independently', async (t) => {
  const a = await primary(t);
  const b = await secondary(t);
  const id = t.projectId('dep-two');
  await added(t, a, { project_id: id, owner: 'first user' }, '@daily');
  const viewB = await added(t, b, { project_id: id, owner: 'second user' }, '@hourly');
  expect(viewB.owner).toBe(b.userId);
  const ra = viewOf(await current(a, id))!;
  const rb = viewOf(await current(b, id))!;
  expect([ra.owner, (ra.pipeline as JsonObject)['owner'], ra.schedule]).toEqual([a.userId, 'first user', '@daily']);
  expect([rb.owner, (rb.pipeline as JsonObject)['owner'], rb.schedule]).toEqual([b.userId, 'second user', '@hourly']);
  // One user's remove leaves the other's deployment alone.
  expect((await a.c.request('rrext_deploy_remove', { projectId: id })).success).toBe(true);
  expect(viewOf(await current(b, id))).toEqual(rb);
  await expectListed(t, b, (x) => x === id, [id], "after the first user's remove, the second user's deployment must still be listed");
  await expectListed(t, a, (x) => x === id, [], "after the first user's remove, the first user's deployment must be gone");
});

// ---------------------------------------------------------------------------------------------
// list and status

check(['DEP-LIST-1'], "list answers {deployments: [...]}: exactly the caller's records, each a full record", async (t) => {
  const u = await primary(t);
  const ns = `${t.projectId('dep-list')}~`;
  const ids = [`${ns}c`, `${ns}a`, `${ns}b/x`];
  for (const [i, id] of ids.entries()) await added(t, u, { project_id: id, i }, i === 0 ? undefined : '@weekly');
  for (const args of [undefined, {}]) {
    const reply = await u.c.request('rrext_deploy_list', args);
    expect(reply.success, `list with arguments ${show(args)}: ${show(reply.message)}`).toBe(true);
    const list = reply.body?.deployments as unknown[];
    expect(Array.isArray(list), `the body must be {deployments: [...]}: ${show(reply.body)}`).toBe(true);
    for (const record of list) expect(viewOf(record)?.owner, `the list holds a record of another user: ${show(record)}`).toBe(u.userId);
    const mine = list.filter((r) => String(projectIdOf(r)).startsWith(ns));
    expect(mine.map(projectIdOf).sort()).toEqual([...ids].sort());
    for (const record of mine)
      expect(record, 'a listed record must equal its status').toEqual(await current(u, projectIdOf(record) as string));
  }
  expect((await u.c.request('rrext_deploy_remove', { projectId: ids[1] })).success).toBe(true);
  await expectListed(t, u, (id) => id.startsWith(ns), [ids[0]!, ids[2]!], 'after removing one');
});

check(
  ['DEP-LIST-1', 'DEP-ADD-5'],
  "two users deploy the same project ids: each lists exactly its own records side by side, and one's update and remove leave the other's alone",
  async (t) => {
    const a = await primary(t);
    const b = await secondary(t);
    const ns = `${t.projectId('list-shared')}~`;
    const shared = [`${ns}s1`, `${ns}s2`];
    const onlyA = `${ns}a`;
    const onlyB = `${ns}b`;
    for (const id of shared) {
      await added(t, a, { project_id: id, owner: 'first' }, '@daily');
      await added(t, b, { project_id: id, owner: 'second' }, '@hourly');
    }
    await added(t, a, { project_id: onlyA, owner: 'first' });
    await added(t, b, { project_id: onlyB, owner: 'second' });
    /** What a user's list shows of this check's ids: id, owner, the pipeline's owner field, schedule. */
    const seen = async (u: Login) => {
      const reply = await u.c.request('rrext_deploy_list');
      const all = (Array.isArray(reply.body?.deployments) ? reply.body.deployments : []) as unknown[];
      return all
        .filter((r) => String(projectIdOf(r)).startsWith(ns))
        .map((r) => {
          const v = viewOf(r)!;
          return `${String(projectIdOf(r)).slice(ns.length)} by ${v.owner === a.userId ? 'first' : v.owner === b.userId ? 'second' : show(v.owner)} (${show((v.pipeline as JsonObject)['owner'])}, ${show(v.schedule)})`;
        })
        .sort();
    };
    const lists = async (when: string, first: string[], second: string[]) => {
      const [ga, gb] = [await seen(a), await seen(b)];
      soft('DEP-LIST-1', () => expect(ga, `the first user's list ${when}`).toEqual([...first].sort()));
      soft('DEP-LIST-1', () => expect(gb, `the second user's list ${when}`).toEqual([...second].sort()));
    };
    await lists(
      'after both added s1 and s2',
      ['s1 by first ("first", "@daily")', 's2 by first ("first", "@daily")', 'a by first ("first", "manual")'],
      ['s1 by second ("second", "@hourly")', 's2 by second ("second", "@hourly")', 'b by second ("second", "manual")'],
    );
    const upd = await a.c.request('rrext_deploy_update', {
      projectId: shared[0],
      pipeline: { project_id: shared[0], owner: 'first, updated' },
      schedule: '@weekly',
    });
    expect(upd.success, `update: ${show(upd.message)}`).toBe(true);
    const rem = await b.c.request('rrext_deploy_remove', { projectId: shared[1] });
    expect(rem.success, `remove: ${show(rem.message)}`).toBe(true);
    await lists(
      "after the first user's update of s1 and the second user's remove of s2",
      ['s1 by first ("first, updated", "@weekly")', 's2 by first ("first", "@daily")', 'a by first ("first", "manual")'],
      ['s1 by second ("second", "@hourly")', 'b by second ("second", "manual")'],
    );
    const statusB = viewOf((await status(b, shared[0]!)).body);
    soft('DEP-ADD-5', () =>
      expect(
        [statusB?.owner, (statusB?.pipeline as JsonObject | undefined)?.['owner'], statusB?.schedule],
        "the second user's status of s1 after the first user's update",
      ).toEqual([b.userId, 'second', '@hourly']),
    );
    const statusA = await status(a, shared[1]!);
    soft('DEP-ADD-5', () =>
      expect(viewOf(statusA.body)?.owner, "the first user's s2 after the second user's remove of theirs").toBe(a.userId),
    );
  },
);

check(['DEP-STATUS-1'], "status answers the caller's record; an unknown, missing, empty or non-string projectId fails", async (t) => {
  const u = await primary(t);
  const id = t.projectId('dep-status');
  const reply = await add(t, u, { project_id: id, n: 1 }, '@monthly');
  expect(reply.success).toBe(true);
  expect(await current(u, id), 'status must answer the record add answered').toEqual(reply.body);
  await failsSoftly(status(u, t.projectId('dep-status-unknown')), 'status of an unknown id');
  await failsSoftly(status(u, `${id}x`), 'status of an id the caller does not have (a longer one)');
  await failsSoftly(status(u, id.slice(0, -1)), 'status of an id the caller does not have (a prefix)');
  await failsSoftly(u.c.request('rrext_deploy_status', {}), 'status without projectId');
  await failsSoftly(u.c.request('rrext_deploy_status'), 'status without arguments');
  for (const projectId of ['', 5, null, [id], { projectId: id }])
    await failsSoftly(status(u, projectId), `status with projectId ${show(projectId)}`);
});

// ---------------------------------------------------------------------------------------------
// update

check(
  ['DEP-UPD-1'],
  'update replaces what is given and keeps what is omitted; updatedAt becomes now; createdAt, owner and state stay',
  async (t) => {
    const u = await primary(t);
    const id = t.projectId('dep-upd');
    await added(t, u, { project_id: id, version: 1 }, '@daily');
    let previous = viewOf(await current(u, id))!;
    const steps: Array<{ args: Record<string, unknown>; pipeline: JsonObject; schedule: string }> = [
      { args: { pipeline: { project_id: id, version: 2 } }, pipeline: { project_id: id, version: 2 }, schedule: '@daily' },
      { args: { schedule: '@hourly' }, pipeline: { project_id: id, version: 2 }, schedule: '@hourly' },
      {
        args: { pipeline: { project_id: id, version: 3, list: [1] }, schedule: '30 4 * * *' },
        pipeline: { project_id: id, version: 3, list: [1] },
        schedule: '30 4 * * *',
      },
      { args: {}, pipeline: { project_id: id, version: 3, list: [1] }, schedule: '30 4 * * *' },
      { args: { schedule: 'manual' }, pipeline: { project_id: id, version: 3, list: [1] }, schedule: 'manual' },
    ];
    for (const { args, pipeline, schedule } of steps) {
      const what = `update ${show(args)}`;
      const before = await clockSeconds(t);
      const reply = await u.c.request('rrext_deploy_update', { projectId: id, ...args });
      expect(reply.success, `${what}: ${show(reply.message)}`).toBe(true);
      const after = await clockSeconds(t);
      const now = viewOf(await current(u, id))!;
      expect(jsonEqual(now.pipeline, pipeline), `${what}: pipeline is ${show(now.pipeline)}, expected ${show(pipeline)}`).toBe(true);
      expect(now.schedule, `${what}: schedule`).toBe(schedule);
      expect([now.createdAt, now.owner, now.state], `${what}: createdAt, owner and state must not change`).toEqual([
        previous.createdAt,
        previous.owner,
        previous.state,
      ]);
      expect(now.updatedAt as number, `${what}: updatedAt must never go back`).toBeGreaterThanOrEqual(previous.updatedAt as number);
      if (before !== undefined && after !== undefined) {
        expect(now.updatedAt as number, `${what}: updatedAt must become now`).toBeGreaterThanOrEqual(before);
        expect(now.updatedAt as number, `${what}: updatedAt must become now`).toBeLessThanOrEqual(after);
      }
      previous = now;
    }
    // A paused deployment stays paused through an update (needs the kit's control API to pause it).
    if ((await t.capabilities()).has('clock-control')) {
      const paused = await t.control('POST', controlPath(u.userId, id, 'pause'));
      expect(paused.status, `the control API could not pause ${id}: ${show(paused.body)}`).toBe(200);
      expect(viewOf(await current(u, id))!.state).toBe('paused');
      expect(
        (await u.c.request('rrext_deploy_update', { projectId: id, schedule: '@weekly', pipeline: { project_id: id, version: 4 } }))
          .success,
      ).toBe(true);
      expect(viewOf(await current(u, id))!.state, 'an update must not change the state (paused)').toBe('paused');
    }
  },
);

check(
  ['DEP-UPD-2'],
  "the deployment's key never changes: a replacement pipeline keeps project_id = projectId (or is refused); no record appears under another id",
  async (t) => {
    const u = await primary(t);
    const id = t.projectId('dep-key');
    const other = `${id}-other`;
    t.created(u.key, other);
    await added(t, u, { project_id: id, version: 1 });
    for (const replacement of [
      { project_id: other, version: 2 },
      { version: 3 },
      { project_id: '', version: 4 },
      { project_id: 9, version: 5 },
    ] as JsonObject[]) {
      const before = await current(u, id);
      const reply = await u.c.request('rrext_deploy_update', { projectId: id, pipeline: replacement });
      const now = await current(u, id);
      if (reply.success === true) {
        const expected = { ...wireCopy(replacement), project_id: id };
        expect(
          jsonEqual(now['pipeline'], expected),
          `update with pipeline ${show(replacement)}: stored ${show(now['pipeline'])}, expected ${show(expected)}`,
        ).toBe(true);
      } else {
        soft(() => expectFailure(reply, `update with pipeline ${show(replacement)}`));
        expect(now, `a refused update with pipeline ${show(replacement)} must change nothing`).toEqual(before);
      }
      await failsSoftly(status(u, other), `status ${other}: no record may appear under the replacement pipeline's project_id`);
    }
    await expectListed(t, u, (x) => x.startsWith(id), [id], 'no record may appear under another id');
  },
);

check(['DEP-UPD-3'], 'update of an unknown id, with an invalid schedule or a non-object pipeline fails and changes nothing', async (t) => {
  const u = await primary(t);
  const unknown = t.projectId('dep-upd3-unknown');
  t.created(u.key, unknown);
  await failsSoftly(
    u.c.request('rrext_deploy_update', { projectId: unknown, pipeline: { project_id: unknown }, schedule: '@daily' }),
    'update of an unknown id',
  );
  await failsSoftly(status(u, unknown), 'status after an update of an unknown id (update must not create)');
  const id = t.projectId('dep-upd3');
  await added(t, u, { project_id: id, version: 1 }, '@daily');
  const original = await current(u, id);
  const bad: Array<Record<string, unknown>> = [
    { projectId: id, pipeline: { project_id: id, version: 2 }, schedule: '@reboot' },
    { projectId: id, pipeline: { project_id: id, version: 2 }, schedule: '0 0 * * * *' },
    { projectId: id, pipeline: { project_id: id, version: 2 }, schedule: 5 },
    { projectId: id, pipeline: { project_id: id, version: 2 }, schedule: '' },
    { projectId: id, pipeline: [{ project_id: id }], schedule: '@hourly' },
    { projectId: id, pipeline: JSON.stringify({ project_id: id, version: 2 }), schedule: '@hourly' },
    { projectId: id, pipeline: null, schedule: '@hourly' },
    { projectId: id, pipeline: 7 },
    { pipeline: { project_id: id, version: 2 }, schedule: '@hourly' }, // no projectId: the pipeline's id must not stand in
    { projectId: '', schedule: '@hourly' },
  ];
  // Invalid schedules first in the list are SCHED-2's to report; the rest are this clause's.
  const badSchedule = new Set(bad.slice(0, 4));
  let expected = original;
  for (const args of bad) {
    const reply = await u.c.request('rrext_deploy_update', args);
    soft(badSchedule.has(args) ? 'SCHED-2' : 'DEP-UPD-3', () => expectFailure(reply, `update ${show(args, 1000)}`));
    const now = await current(u, id);
    // An update that should have failed but succeeded is that finding; later ones compare with what it left.
    if (reply.success === true) expected = now;
    else soft('DEP-UPD-3', () => expectUnchanged(now, expected, `the failed update ${show(args, 1000)} changed the record`));
  }
});

check(['DEP-UPD-4'], "update's success body is an object (the real server sends {}, the mock the record: both accepted)", async (t) => {
  const u = await primary(t);
  const id = t.projectId('dep-upd4');
  await added(t, u, { project_id: id });
  const reply = await u.c.request('rrext_deploy_update', { projectId: id, schedule: '@hourly' });
  expect(reply.success).toBe(true);
  expect(isJsonObject(reply.body), `a success must carry a body object: ${reply.raw}`).toBe(true);
});

// ---------------------------------------------------------------------------------------------
// remove

check(['DEP-REM-1'], 'after remove the deployment is gone (list, status, update, remove fail); adding it again starts fresh', async (t) => {
  const u = await primary(t);
  const id = t.projectId('dep-rem');
  const first = await added(t, u, { project_id: id, generation: 1 }, '@hourly');
  const control = (await t.capabilities()).has('clock-control');
  if (control) expect((await t.control('POST', controlPath(u.userId, id, 'pause'))).status).toBe(200);
  const reply = await u.c.request('rrext_deploy_remove', { projectId: id });
  expect(reply.success, `remove: ${show(reply.message)}`).toBe(true);
  await expectListed(t, u, (x) => x === id, [], 'a removed deployment must be gone from list');
  await failsSoftly(status(u, id), 'status after remove');
  await failsSoftly(u.c.request('rrext_deploy_update', { projectId: id, schedule: '@daily' }), 'update after remove');
  await failsSoftly(u.c.request('rrext_deploy_remove', { projectId: id }), 'remove after remove');
  const again = await added(t, u, { project_id: id, generation: 2 });
  expect(jsonEqual(again.pipeline, { project_id: id, generation: 2 }), `the re-added pipeline: ${show(again.pipeline)}`).toBe(true);
  expect(again.schedule, 'a fresh record: the old schedule must not come back').toBe('manual');
  expect(again.state, `a fresh record is active${control ? ' (the removed one was paused)' : ''}`).toBe('active');
  expect(again.createdAt as number, 'a fresh record: createdAt no earlier than the removed one').toBeGreaterThanOrEqual(
    first.createdAt as number,
  );
  expect(Math.abs((again.createdAt as number) - (again.updatedAt as number))).toBeLessThanOrEqual(await sameTimeTolerance(t));
});

check(['DEP-REM-2'], 'removing an unknown id (or none) fails', async (t) => {
  const u = await primary(t);
  await failsSoftly(u.c.request('rrext_deploy_remove', { projectId: t.projectId('dep-rem2-unknown') }), 'remove of an unknown id');
  await failsSoftly(u.c.request('rrext_deploy_remove', {}), 'remove without projectId');
  await failsSoftly(u.c.request('rrext_deploy_remove'), 'remove without arguments');
  for (const projectId of ['', 5, null])
    await failsSoftly(u.c.request('rrext_deploy_remove', { projectId }), `remove with projectId ${show(projectId)}`);
});

// ---------------------------------------------------------------------------------------------
// permissions

check(
  ['DEP-PERM-1'],
  'a monitor-only user may list and status but not add, update, remove; a user without permissions may do none; nothing changes',
  async (t) => {
    const owner = await primary(t);
    const monitor = await login(t, t.config.keys.monitor!);
    const nobody = await login(t, t.config.keys.noPermission!);
    const id = t.projectId('dep-perm');
    await added(t, owner, { project_id: id, version: 1 }, '@daily');
    const original = await current(owner, id);

    // Monitor-only: reads its own deployments; every change is refused naming task.control.
    const list = await monitor.c.request('rrext_deploy_list');
    expect(list.success, `the monitor user's list: ${show(list.message)}`).toBe(true);
    for (const record of (list.body?.deployments ?? []) as unknown[]) {
      expect(viewOf(record)?.owner, `the monitor user's list shows another user's record: ${show(record)}`).toBe(monitor.userId);
    }
    expect(
      viewOf((await status(monitor, id)).body)?.owner ?? monitor.userId,
      "the monitor user's status must never answer another user's record",
    ).toBe(monitor.userId);
    const mine = t.projectId('dep-perm-monitor');
    const denied: Array<[Login, string, Record<string, unknown> | undefined, string]> = [
      [monitor, 'rrext_deploy_add', { pipeline: { project_id: mine } }, 'task.control'],
      [monitor, 'rrext_deploy_add', { pipeline: { project_id: id } }, 'task.control'],
      [monitor, 'rrext_deploy_update', { projectId: id, schedule: '@hourly' }, 'task.control'],
      [monitor, 'rrext_deploy_remove', { projectId: id }, 'task.control'],
      [nobody, 'rrext_deploy_list', undefined, 'task.monitor'],
      [nobody, 'rrext_deploy_status', { projectId: id }, 'task.monitor'],
      [nobody, 'rrext_deploy_add', { pipeline: { project_id: mine } }, 'task.control'],
      [nobody, 'rrext_deploy_update', { projectId: id, schedule: '@hourly' }, 'task.control'],
      [nobody, 'rrext_deploy_remove', { projectId: id }, 'task.control'],
    ];
    for (const [user, command, args, permission] of denied) {
      if (command === 'rrext_deploy_add') t.created(user.key, mine);
      const reply = await user.c.request(command, args);
      soft(() =>
        expect(
          expectFailure(reply, `${command} by ${user.userId} (without ${permission})`),
          `${command} by ${user.userId}: the message must name the missing permission`,
        ).toContain(permission),
      );
      expect(user.c.isOpen, `${command} by ${user.userId}: the connection must stay open`).toBe(true);
    }
    expect(await current(owner, id), "the owner's deployment must be unchanged").toEqual(original);
    await failsSoftly(status(monitor, mine), "the monitor user's refused add must have created nothing");
    await expectListed(
      t,
      monitor,
      (x) => x === mine || x === id,
      [],
      "the monitor user's list: neither the refused add nor the other user's deployment",
    );
    if ((await t.capabilities()).has('clock-control')) {
      const all = await readPages((path) => t.control('GET', path), `/deployments?userId=${encodeURIComponent(nobody.userId)}`);
      const theirs = (all.items as Array<{ projectId?: unknown }>).map((d) => d.projectId);
      expect(theirs, 'the refused add of the user without permissions must have created nothing').not.toContain(mine);
    }
  },
);

// ---------------------------------------------------------------------------------------------
// messages (SHOULD)

check(['DEP-MSG-1'], "failures use the real server's words (wire.md)", async (t) => {
  const u = await primary(t);
  const id = t.projectId('dep-msg');
  t.created(u.key, id);
  const expectWords = async (reply: Promise<DapReply>, words: string | readonly string[] | RegExp, what: string) => {
    const answered = await reply;
    const allowed = typeof words === 'string' ? [words] : words;
    soft(() =>
      allowed instanceof RegExp
        ? expect(answered.message, `${what}: the message ${show(answered.message)} is not the real server's words (${allowed})`).toMatch(
            allowed,
          )
        : expect(
            allowed,
            `${what}: the message ${show(answered.message)} is not the real server's words (${allowed.map((w) => show(w)).join(' or ')})`,
          ).toContain(answered.message),
    );
    noSourceLocation(answered, what);
  };
  await expectWords(u.c.request('rrext_deploy_add', {}), WORDS.pipelineRequired, 'add without a pipeline');
  await expectWords(
    u.c.request('rrext_deploy_add', { pipeline: null }),
    WORDS.pipelineRequired,
    'add with a null pipeline (the real server: "if not pipeline")',
  );
  await expectWords(u.c.request('rrext_deploy_add', { pipeline: [id] }), WORDS.pipelineNotObject, 'add with an array as pipeline');
  await expectWords(u.c.request('rrext_deploy_add', { pipeline: 'x' }), WORDS.pipelineNotObject, 'add with a string as pipeline');
  // `if not pipeline` comes first (wire.md): every falsy value is missing, every other non-object is not an object.
  for (const falsy of [false, 0, '', []]) {
    await expectWords(
      u.c.request('rrext_deploy_add', { pipeline: falsy }),
      WORDS.pipelineRequired,
      `add with ${JSON.stringify(falsy)} as pipeline (falsy: the real server's "if not pipeline")`,
    );
  }
  for (const truthy of [true, 1, -0.5]) {
    await expectWords(
      u.c.request('rrext_deploy_add', { pipeline: truthy }),
      WORDS.pipelineNotObject,
      `add with ${JSON.stringify(truthy)} as pipeline`,
    );
  }
  await expectWords(
    u.c.request('rrext_deploy_add', { pipeline: {} }),
    WORDS.pipelineRequired,
    'add with an empty pipeline (the real server: "if not pipeline")',
  );
  await expectWords(
    u.c.request('rrext_deploy_add', { pipeline: { name: 'no id' } }),
    WORDS.projectIdRequired,
    'add without pipeline.project_id',
  );
  await expectWords(
    u.c.request('rrext_deploy_add', { pipeline: { project_id: '' } }),
    WORDS.projectIdRequired,
    'add with an empty pipeline.project_id',
  );
  for (const command of ['rrext_deploy_status', 'rrext_deploy_remove', 'rrext_deploy_update']) {
    await expectWords(u.c.request(command, {}), WORDS.projectIdArgRequired, `${command} without projectId`);
    for (const projectId of ['', null])
      await expectWords(u.c.request(command, { projectId }), WORDS.projectIdArgRequired, `${command} with projectId ${show(projectId)}`);
    // The real server looks a non-string id up (and does not find it): either word is right.
    await expectWords(
      u.c.request(command, { projectId: 7 }),
      [WORDS.projectIdArgRequired, WORDS.notFound('7')],
      `${command} with projectId 7`,
    );
  }
  for (const schedule of ['@reboot', 'every minute', '0 0 * * * * 2026', '0 * * * * 5', '0 0 L * *', 'H * * * *']) {
    // A fresh id each: an accepted schedule (SCHED-2's finding, not a wording one) must not make the next add a duplicate.
    const fresh = t.projectId('dep-msg-sched');
    const reply = await t.add(u.c, u.key, { pipeline: { project_id: fresh }, schedule });
    if (reply.success === true) soft('SCHED-2', () => expect.fail(`add accepted the schedule ${show(schedule)}`));
    else await expectWords(Promise.resolve(reply), invalidScheduleWords(schedule), `add with the schedule ${show(schedule)}`);
  }
  await added(t, u, { project_id: id });
  await expectWords(add(t, u, { project_id: id }), WORDS.alreadyExists(id), 'a second add of the same id');
  await expectWords(
    u.c.request('rrext_deploy_update', { projectId: id, schedule: '@reboot' }),
    invalidScheduleWords('@reboot'),
    'update with the schedule "@reboot"',
  );
  await expectWords(
    u.c.request('rrext_deploy_update', { projectId: id, pipeline: [1] }),
    WORDS.pipelineNotObject,
    'update with an array as pipeline',
  );
  await expectWords(
    u.c.request('rrext_deploy_update', { projectId: id, pipeline: null }),
    WORDS.pipelineNotObject,
    'update with a null pipeline (update: "must be an object")',
  );
  await expectWords(u.c.request('rrext_no_such_command', {}), WORDS.invalidCommand('rrext_no_such_command'), 'an unknown command');
  // The session's own words, on connections of their own (a failed auth closes its connection).
  for (const [auth, words] of [
    ['', WORDS.noAuthorization],
    [`${t.config.prefix}not-a-key`, WORDS.invalidKey],
  ] as const) {
    const c = await t.connect();
    await expectWords(c.request('auth', { auth }), words, `auth with ${auth === '' ? 'an empty key' : 'an unknown key'}`);
  }
});

check(
  ['DEP-MSG-1'],
  "permission failures say Permission 'task.control' denied (resp. 'task.monitor')",
  async (t) => {
    const monitor = await login(t, t.config.keys.monitor!);
    const nobody = await login(t, t.config.keys.noPermission!);
    const id = t.projectId('dep-msg-perm');
    t.created(monitor.key, id);
    t.created(nobody.key, id);
    expect((await monitor.c.request('rrext_deploy_add', { pipeline: { project_id: id } })).message).toBe(
      WORDS.permissionDenied('task.control'),
    );
    expect((await monitor.c.request('rrext_deploy_remove', { projectId: id })).message).toBe(WORDS.permissionDenied('task.control'));
    expect((await nobody.c.request('rrext_deploy_list')).message).toBe(WORDS.permissionDenied('task.monitor'));
    expect((await nobody.c.request('rrext_deploy_status', { projectId: id })).message).toBe(WORDS.permissionDenied('task.monitor'));
  },
  { needs: ['monitor-user', 'no-permission-user'] },
);

/** Fields of a failed response that name the server's own source (the real server's `trace`). */
const SOURCE_FIELDS = /^(?:trace|traceback|stack|stacktrace|exception|error_location|lineno|file)$/i;
const SOURCE_TEXT = /\.(?:py|js|mjs|cjs|ts|go|java|rb|rs|cs|php)\b|\blineno\b|\bline \d+/i;

/** DEP-MSG-1: a failed response carries no source location, in any field beside the envelope. */
function noSourceLocation(reply: DapReply, what: string): void {
  if (reply.success !== false) return;
  const { raw: _raw, type: _type, seq: _seq, request_seq: _rs, command: _command, success: _success, message, ...extra } = reply;
  const leaks = Object.entries(extra).filter(([key, value]) => SOURCE_FIELDS.test(key) || SOURCE_TEXT.test(show(value, 10_000)));
  for (const [key, value] of leaks)
    soft('DEP-MSG-1', () => expect.fail(`${what}: the failed response carries ${key}: ${show(value)}, the server's source location`));
  if (typeof message === 'string' && SOURCE_TEXT.test(message))
    soft('DEP-MSG-1', () => expect.fail(`${what}: the message ${show(message)} names the server's source`));
}

/** Storage paths and file contents a message must never show (the id it echoes is taken out first). */
const LEAKS = /\.json\b|users\/|deployments\/|\/(?:var|home|tmp|srv|data|opt|usr|root)\/|[A-Za-z]:\\|Traceback|Errno|ENOENT|at [\w.]+ \(/;

check(['DEP-MSG-1'], 'failure messages reveal no storage path, file content or other user', async (t) => {
  const u = await primary(t);
  const p = t.projectId('dep-leak');
  const ids = [`${p}`, `${p}/../${p}-x`, `${p}/%2e%2e/${p}-y`, `${p}\\..\\${p}-z`];
  for (const id of ids) {
    for (const [command, args] of [
      ['rrext_deploy_status', { projectId: id }],
      ['rrext_deploy_remove', { projectId: id }],
      ['rrext_deploy_update', { projectId: id, schedule: '@daily' }],
    ] as const) {
      const reply = await u.c.request(command, args);
      const message = expectFailure(reply, `${command} ${show(id)} (unknown)`);
      noSourceLocation(reply, `${command} ${show(id)}`);
      soft(() =>
        expect(message.split(id).join('<id>'), `${command} ${show(id)}: the message reveals a storage path or internals`).not.toMatch(
          LEAKS,
        ),
      );
    }
  }
  if (!t.config.keys.secondary) return;
  // Another user's deployment: asking for it must not reveal its content or its owner.
  const b = await secondary(t);
  const secret = `secret-${p}`;
  const id = t.projectId('dep-leak-b');
  await added(t, b, { project_id: id, token: secret });
  for (const [command, args] of [
    ['rrext_deploy_status', { projectId: id }],
    ['rrext_deploy_update', { projectId: id, pipeline: { project_id: id } }],
    ['rrext_deploy_remove', { projectId: id }],
  ] as const) {
    const message = expectFailure(await u.c.request(command, args), `${command} of another user's deployment`);
    expect(message, `${command}: the message reveals another user's data`).not.toContain(secret);
    if (b.userId.length >= 3) {
      const owner = new RegExp(`\\b${b.userId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`);
      expect(message.split(id).join('<id>'), `${command}: the message names the other user`).not.toMatch(owner);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// isolation

/** The body of a reply without its envelope, to compare a record before and after. */
const bodyOf = (reply: DapReply): unknown => (reply.success === true ? reply.body : { failed: reply.message });

check(
  ['DEP-ISO-1'],
  "hostile project ids in every family (traversals spelled literally, percent-encoded once and twice, with backslashes, overlong UTF-8, fullwidth; NFC/NFD/NFKC, case, whitespace, NUL and path-cleaning variants; 10 KB, __proto__) are opaque keys for read, update, remove, add and list: another user's deployment is never seen, changed or removed, and distinct ids stay distinct",
  async (t) => {
    const a = await primary(t);
    const b = await secondary(t);
    const p = t.projectId('iso');
    const secret = `secret-${p}`;
    // The victim: the second user's deployment, which every traversal aims at.
    const victim = `${p}-victim`;
    const victimPipeline = { project_id: victim, secret };
    await added(t, b, victimPipeline, '@daily');
    let original = bodyOf(await status(b, victim));
    const breach = (message: string) => soft('DEP-ISO-1', () => expect.fail(message), 'breach');
    /** Whether the victim is as it was; if not, reports the breach and restores it. */
    const intact = async (how: string): Promise<boolean> => {
      const now = bodyOf(await status(b, victim));
      if (jsonEqual(now, original)) return true;
      breach(
        `${how}: the second user's deployment ${short(victim, t.config.prefix)} is now ${show(now, 300)} (was ${show(original, 300)})`,
      );
      await b.c.request('rrext_deploy_remove', { projectId: victim });
      await added(t, b, victimPipeline, '@daily');
      original = bodyOf(await status(b, victim));
      return false;
    };
    /** A reply of the first user must never carry the second user's data. */
    const leaks = (reply: DapReply, what: string) => {
      if (reply.raw.includes(secret)) breach(`${what}: the first user was answered the second user's data: ${reply.raw.slice(0, 300)}`);
    };
    const label = (id: string) => show(id.split(p).join('<p>'), 120);

    // 1. Every traversal family and the opaque ids: read, overwrite and remove are refused (the
    // first user has no such deployment), the victim untouched; then adding works under exactly
    // that id, for the first user only.
    const groups = new Map<string, Traversal[]>();
    for (const hostile of traversals(p, b.userId, victim)) {
      const group = hostile.label.replace(/, (\d+ up|absolute),/, ',');
      groups.set(group, [...(groups.get(group) ?? []), hostile]);
    }
    groups.set('opaque ids', [
      { id: victim, label: "the second user's id itself" },
      { id: `${p}-ünï-😀-\u200b-\u0301-שלום`, label: 'unicode' },
      { id: `${p}-${'∞'.repeat(3400)}`, label: 'about 10 KB of UTF-8' },
      { id: `${p}-${'x'.repeat(10_240)}`, label: '10 KB' },
      { id: `${p}/__proto__`, label: '__proto__' },
      { id: `${p}.__proto__.polluted`, label: '__proto__ path' },
      { id: `${p}/constructor/prototype`, label: 'constructor/prototype' },
    ]);
    const mine = new Map<string, number>();
    let n = 0;
    for (const [group, members] of groups) {
      const attempt = async (hostile: Traversal) => {
        const what = `the first user, id ${label(hostile.id)} (${hostile.label})`;
        const replies: Array<[string, DapReply]> = await Promise.all([
          status(a, hostile.id).then((r): [string, DapReply] => ['status', r]),
          a.c
            .request('rrext_deploy_update', {
              projectId: hostile.id,
              pipeline: { project_id: hostile.id, hijacked: hostile.label },
              schedule: '* * * * *',
            })
            .then((r): [string, DapReply] => ['update', r]),
          a.c.request('rrext_deploy_remove', { projectId: hostile.id }).then((r): [string, DapReply] => ['remove', r]),
        ]);
        for (const [command, reply] of replies) {
          leaks(reply, `${what}: ${command}`);
          soft('DEP-ISO-1', () =>
            expect(reply.success, `${what}: ${command} must fail (the first user has no such deployment): ${reply.raw.slice(0, 200)}`).toBe(
              false,
            ),
          );
        }
      };
      await Promise.all(members.map(attempt));
      // A breach shows on the victim: name the id that did it.
      if (!(await intact(`read, update and remove by the first user with the ${group} ids`))) {
        for (const hostile of members) {
          await attempt(hostile);
          await intact(`status, update and remove by the first user of ${label(hostile.id)} (${hostile.label})`);
        }
      }
      await Promise.all(
        members.map(async (hostile) => {
          const index = ++n;
          const reply = await add(t, a, { project_id: hostile.id, mine: index });
          leaks(reply, `add ${label(hostile.id)}`);
          // A server may refuse an id it cannot store (a NUL, a length): refusing merges nothing and
          // reaches no one. An id it accepts must be exactly that id, for this user only.
          if (reply.success !== true) return;
          mine.set(hostile.id, index);
          soft('DEP-ISO-1', () =>
            expect(
              projectIdOf(reply.body) === hostile.id,
              `add ${label(hostile.id)}: the id must come back exactly as sent, got ${label(String(projectIdOf(reply.body)))}`,
            ).toBe(true),
          );
        }),
      );
      await intact(`adds by the first user under the ${group} ids`);
    }

    // 2. Ids that differ in any character are distinct keys (no decoding, normalising, folding,
    // trimming or path cleaning), for one user; the second user's deployment under the base id
    // is untouched.
    const base = `${p}-Caf\u00e9-\ufb01le-\uff21/b`;
    await added(t, a, { project_id: base, which: 'base' });
    await added(t, b, { project_id: base, which: 'second user' });
    const theirs = bodyOf(await status(b, base));
    const variants = variantsOf(base);
    const before = await Promise.all(variants.map((v) => status(a, v.id)));
    for (const [i, reply] of before.entries()) {
      soft('DEP-ISO-1', () =>
        expect(
          reply.success,
          `status of ${label(variants[i]!.id)} (${variants[i]!.label} of ${label(base)}) before it was added must fail, got ${show(reply.body, 200)}`,
        ).toBe(false),
      );
    }
    await Promise.all(
      variants.map(async (v) => {
        const reply = await add(t, a, { project_id: v.id, which: v.label });
        // Refused is acceptable (an id the server cannot store); "already exists" is a merge.
        soft('DEP-ISO-1', () =>
          expect(
            reply.success === true || !/already exists/i.test(String(reply.message)),
            `add ${label(v.id)} (${v.label} of ${label(base)}) is another id than ${label(base)}: ${show(reply.message)}`,
          ).toBe(true),
        );
        if (reply.success === true) mine.set(v.id, ++n);
      }),
    );
    const baseNow = viewOf((await status(a, base)).body);
    soft('DEP-ISO-1', () =>
      expect((baseNow?.pipeline as JsonObject | undefined)?.['which'], `${label(base)} after adding its variants`).toBe('base'),
    );
    for (const v of variants) {
      const view = viewOf((await status(a, v.id)).body);
      if (mine.has(v.id))
        soft('DEP-ISO-1', () =>
          expect(
            [projectIdOf({ pipeline: view?.pipeline }), (view?.pipeline as JsonObject | undefined)?.['which']],
            `status of ${label(v.id)} (${v.label})`,
          ).toEqual([v.id, v.label]),
        );
    }

    // 3. Lists: the first user lists exactly what it added, unaltered; the second user only its own two.
    const ours = (id: string) => id.startsWith(p) || mine.has(id) || id === victim;
    const listedByA = await listedIds(a, ours);
    const expectedA = [...mine.keys(), base];
    const missing = expectedA.filter((id) => !listedByA.includes(id));
    const extra = listedByA.filter((id) => !expectedA.includes(id));
    soft('DEP-ISO-1', () => expectNone(missing.map(label), 'ids the first user added that its list does not show (exactly as sent)'));
    for (const id of extra) {
      if (id === victim) breach(`the first user's list shows the second user's ${label(victim)}`);
      else soft('DEP-ISO-1', () => expect.fail(`the first user's list shows ${label(id)}, which it never added`));
    }
    const listedByB = await listedIds(b, ours);
    for (const id of listedByB.filter((x) => x !== victim && x !== base))
      breach(`the second user's list shows ${label(id)}, which only the first user added`);
    soft('DEP-ISO-1', () =>
      expect(listedByB.filter((x) => x === victim || x === base).sort(), "the second user's own deployments, each listed once").toEqual(
        [victim, base].sort(),
      ),
    );
    const theirsNow = bodyOf(await status(b, base));
    if (!jsonEqual(theirsNow, theirs))
      breach(`the second user's ${label(base)} changed while the first user added its variants: now ${show(theirsNow, 300)}`);

    // 4. The first user removes every id it added; the victim and the second user's base survive.
    await Promise.all(
      [...mine.keys()].map(async (id) => {
        const reply = await a.c.request('rrext_deploy_remove', { projectId: id });
        soft('DEP-ISO-1', () =>
          expect(reply.success, `the first user's remove of its own ${label(id)}: ${show(reply.message)}`).toBe(true),
        );
      }),
    );
    await intact('removes by the first user of every id it added');
    const baseAfter = viewOf((await status(a, base)).body);
    soft('DEP-ISO-1', () =>
      expect((baseAfter?.pipeline as JsonObject | undefined)?.['which'], `${label(base)} after the first user removed its variants`).toBe(
        'base',
      ),
    );
    if (!jsonEqual(bodyOf(await status(b, base)), theirs))
      breach(`the second user's ${label(base)} changed when the first user removed its variants`);
    const leftB = await listedIds(b, ours);
    soft('DEP-ISO-1', () => expect(leftB.sort(), "the second user's list after the first user's removes").toEqual([victim, base].sort()));
  },
  { timeout: 120_000 },
);
