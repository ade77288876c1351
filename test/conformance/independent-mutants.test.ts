/**
 * The independent mutants (src/testing/mutants/, the catalogue's block after the first 34) each
 * change what a client sees: for every one, the same short scenario runs over a raw WebSocket
 * (and the control API where it needs the clock, a pause or the run history) against the mutant
 * and against a normal server, and each transcript is held to its exact value: the mutant's wrong answer and
 * the normal server's right one. Independent of the conformance checks: this only proves each
 * mutant is a real, observable bug.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMockServer, type MockServer } from '../../src/index.js';
import { createMutantServer, MUTANTS } from '../../src/testing/mutants/index.js';
import { RawClient, type DapResponse } from '../helpers/raw-client.js';

const START = '2026-01-05T10:07:00Z'; // a Monday
const T0 = Date.parse(START) / 1000;
const MIN15 = 15 * 60;

interface Harness {
  readonly server: MockServer;
  /** A new connection, not authenticated. */
  open(): Promise<RawClient>;
  /** A new connection authenticated with `key`. */
  authed(key?: string): Promise<RawClient>;
  /** One control API call over HTTP; answers the JSON body. */
  control(method: 'GET' | 'POST', path: string, body?: unknown): Promise<any>;
}

const servers: MockServer[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) if (c.isOpen) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function harness(mutant: string | undefined): Promise<Harness> {
  const options = { port: 0, clock: { mode: 'fake', startAt: START } } as const;
  const server = await (mutant ? createMutantServer([mutant], options) : createMockServer(options));
  servers.push(server);
  const track = (c: RawClient) => (clients.push(c), c);
  return {
    server,
    open: async () => track(await RawClient.open(server.url)),
    authed: async (key = 'MYAPIKEY') => track(await RawClient.authed(server.url, key)),
    control: async (method, path, body) => {
      const response = await fetch(`http://127.0.0.1:${server.port}/control${path}`, {
        method,
        ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      });
      const json = await response.json();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
      return json;
    },
  };
}

// ---- transcript helpers ----

/** A response as a short value: the body on success, the message on failure. */
function outcome(r: DapResponse): unknown {
  return r.success ? { ok: r.body } : { fail: r.message };
}

/** Sends each step in turn while the connection is open: 'ok' or the failure message per step, then 'open' or 'closed'. */
async function steps(c: RawClient, list: ReadonlyArray<readonly [string, unknown?]>): Promise<string[]> {
  const out: string[] = [];
  for (const [command, args] of list) {
    try {
      const r = await c.request(command, args);
      out.push(r.success ? 'ok' : r.message!);
    } catch {
      out.push('closed');
      return out;
    }
  }
  out.push(await openOrClosed(c));
  return out;
}

/** Whether the server still answers on this connection (a probe is served at any time). */
async function openOrClosed(c: RawClient): Promise<'open' | 'closed'> {
  try {
    await c.request('rrext_public_probe');
    return 'open';
  } catch {
    return 'closed';
  }
}

/** The seq of every message received so far. */
const seqs = (c: RawClient) => c.received.map((t) => (JSON.parse(t) as { seq: number }).seq);

const add = (c: RawClient, projectId: string, schedule?: string) =>
  c.request('rrext_deploy_add', { pipeline: { project_id: projectId }, ...(schedule !== undefined && { schedule }) });
/** A record's owner and times in both dialects. */
const times = (record: any) => ({
  userId: record.userId,
  createdAt: record.createdAt,
  updatedAt: record.updatedAt,
  created_by: record.created_by,
  created_at: record.created_at,
  updated_at: record.updated_at,
});
const statusTimes = async (c: RawClient, projectId: string) => times((await c.request('rrext_deploy_status', { projectId })).body);
const advance = (h: Harness, by: string) => h.control('POST', '/clock/advance', { by });
const auth = (key = 'MYAPIKEY') => ['auth', { auth: key }] as const;
/** Adds `projectId` as alice, then reads `asLocal` as local: whose record (if any) comes back. */
async function crossRead(h: Harness, projectId: string, asLocal: readonly string[]): Promise<unknown[]> {
  const alice = await h.authed('ALICEKEY');
  await add(alice, projectId);
  const local = await h.authed();
  const out: unknown[] = [];
  for (const id of asLocal) {
    const r = await local.request('rrext_deploy_status', { projectId: id });
    out.push(r.success ? { owner: r.body.userId, project_id: r.body.pipeline.project_id } : r.message);
  }
  return out;
}
/** Adds `first` then `second` as local: the second add's outcome, and what status of `second` returns. */
async function collide(h: Harness, first: string, second: string): Promise<unknown> {
  const c = await h.authed();
  await add(c, first);
  const added = await add(c, second);
  const read = await c.request('rrext_deploy_status', { projectId: second });
  return { add: added.success ? 'ok' : added.message, status: read.success ? read.body.pipeline.project_id : read.message };
}
/** Adds a deployment with `schedule` and moves the clock to `to`: the instants of its ticks. */
async function ticksUntil(h: Harness, schedule: string, to: string): Promise<unknown> {
  const c = await h.authed();
  expect((await add(c, 'p', schedule)).success).toBe(true);
  await h.control('POST', '/clock/advance', { to });
  return (await h.control('GET', '/ticks?userId=local&projectId=p')).items.map((t: any) => `${t.at} ${t.reason}`);
}

// ---- the scenarios: what the mutant answers, and what a normal server answers ----

interface Case {
  readonly scenario: (h: Harness) => Promise<unknown>;
  readonly mutant: unknown;
  readonly normal: unknown;
}

const ENCODED_TRAVERSAL = '%2E%2E%2F%2E%2E%2Falice%2Fdeployments%2Fx';
const DOUBLE_ENCODED_TRAVERSAL = '%252E%252E%252F%252E%252E%252Falice%252Fdeployments%252Fx';
const LITERAL_TRAVERSAL = '../../alice/deployments/x';
const notFound = (id: string) => `Deployment not found: ${id}`;
const TOO_MANY = 'Too many authentication attempts';

const CASES: Record<string, Case> = {
  // ---- WIRE-2 ----
  'seq-starts-at-zero': {
    scenario: async (h) => {
      const c = await h.open();
      await steps(c, [['rrext_public_probe'], auth(), ['rrext_ping']]);
      return seqs(c);
    },
    mutant: [0, 1, 2, 3],
    normal: [1, 2, 3, 4],
  },
  'seq-starts-at-two': {
    scenario: async (h) => {
      const c = await h.open();
      await steps(c, [['rrext_public_probe'], auth()]);
      return seqs(c);
    },
    mutant: [2, 3, 4],
    normal: [1, 2, 3],
  },
  'seq-shared-across-connections': {
    scenario: async (h) => {
      const a = await h.authed();
      await a.request('rrext_ping');
      const b = await h.authed();
      await b.request('rrext_ping');
      return [seqs(a), seqs(b)];
    },
    mutant: [
      [1, 2],
      [3, 4],
    ],
    normal: [
      [1, 2],
      [1, 2],
    ],
  },
  'seq-restarts-on-auth': {
    scenario: async (h) => {
      const c = await h.open();
      await steps(c, [['rrext_public_probe'], auth(), ['rrext_ping'], auth(), ['rrext_ping']]);
      return seqs(c);
    },
    mutant: [1, 1, 2, 1, 2, 3],
    normal: [1, 2, 3, 4, 5, 6],
  },

  // ---- WIRE-5 ----
  'auth-cap-six': {
    scenario: async (h) =>
      steps(
        await h.open(),
        Array.from({ length: 7 }, () => auth()),
      ),
    mutant: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', TOO_MANY, 'closed'],
    normal: ['ok', 'ok', 'ok', 'ok', 'ok', TOO_MANY, 'closed'],
  },
  'auth-count-resets-on-deauth': {
    scenario: async (h) => steps(await h.open(), [auth(), auth(), auth(), ['deauth'], auth(), auth(), auth()]),
    mutant: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'open'],
    normal: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', TOO_MANY, 'closed'],
  },
  'auth-reauth-not-counted': {
    scenario: async (h) =>
      steps(
        await h.open(),
        Array.from({ length: 7 }, () => auth()),
      ),
    mutant: ['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'open'],
    normal: ['ok', 'ok', 'ok', 'ok', 'ok', TOO_MANY, 'closed'],
  },

  // ---- WIRE-8 ----
  'deploy-commands-case-insensitive': {
    scenario: async (h) => {
      const c = await h.authed();
      const r = await c.request('RREXT_DEPLOY_LIST');
      const before = await h.open();
      const probe = await before.request('RRExt_Public_Probe');
      return [r.command, outcome(r), probe.command, probe.success, await openOrClosed(c)];
    },
    mutant: ['RREXT_DEPLOY_LIST', { ok: { deployments: [] } }, 'RRExt_Public_Probe', true, 'open'],
    normal: ['RREXT_DEPLOY_LIST', { fail: 'Invalid command: RREXT_DEPLOY_LIST' }, 'RRExt_Public_Probe', false, 'open'],
  },
  'auth-command-case-insensitive': {
    scenario: async (h) => {
      const c = await h.open();
      const r = await c.request('Auth', { auth: 'MYAPIKEY' });
      return [r.command, r.success ? r.body.userId : r.message, await openOrClosed(c)];
    },
    mutant: ['Auth', 'local', 'open'],
    normal: ['Auth', 'Not authenticated', 'closed'],
  },
  'command-whitespace-trimmed': {
    scenario: async (h) => {
      const first = await h.open();
      const a = await first.request('auth ', { auth: 'MYAPIKEY' });
      const c = await h.authed();
      const list = await c.request('rrext_deploy_list\n');
      return [a.command, a.success ? 'ok' : a.message, list.command, outcome(list)];
    },
    mutant: ['auth ', 'ok', 'rrext_deploy_list\n', { ok: { deployments: [] } }],
    normal: ['auth ', 'Not authenticated', 'rrext_deploy_list\n', { fail: 'Invalid command: rrext_deploy_list\n' }],
  },

  // ---- REC-2 ----
  'snake-updated-at-from-created-at': {
    scenario: async (h) => {
      const c = await h.authed();
      const fresh = times((await add(c, 'p')).body);
      await advance(h, '15m');
      await c.request('rrext_deploy_update', { projectId: 'p', schedule: '@daily' });
      return [fresh, await statusTimes(c, 'p')];
    },
    mutant: [
      { userId: 'local', createdAt: T0, updatedAt: T0, created_by: 'local', created_at: T0, updated_at: T0 },
      { userId: 'local', createdAt: T0, updatedAt: T0 + MIN15, created_by: 'local', created_at: T0, updated_at: T0 },
    ],
    normal: [
      { userId: 'local', createdAt: T0, updatedAt: T0, created_by: 'local', created_at: T0, updated_at: T0 },
      { userId: 'local', createdAt: T0, updatedAt: T0 + MIN15, created_by: 'local', created_at: T0, updated_at: T0 + MIN15 },
    ],
  },
  'snake-updated-at-stamped-on-state-change': {
    scenario: async (h) => {
      const c = await h.authed();
      await add(c, 'p', '@daily');
      await advance(h, '15m');
      await h.control('POST', '/deployments/local/p/pause');
      const record = (await c.request('rrext_deploy_status', { projectId: 'p' })).body;
      return [record.state, times(record)];
    },
    mutant: ['paused', { userId: 'local', createdAt: T0, updatedAt: T0, created_by: 'local', created_at: T0, updated_at: T0 + MIN15 }],
    normal: ['paused', { userId: 'local', createdAt: T0, updatedAt: T0, created_by: 'local', created_at: T0, updated_at: T0 }],
  },
  'list-snake-fields-cached': {
    scenario: async (h) => {
      const c = await h.authed();
      await add(c, 'p');
      await advance(h, '15m');
      await c.request('rrext_deploy_update', { projectId: 'p', schedule: '@daily' });
      const listed = (await c.request('rrext_deploy_list')).body.deployments.map(times);
      return { listed, status: await statusTimes(c, 'p') };
    },
    mutant: {
      listed: [{ userId: 'local', createdAt: T0, updatedAt: T0 + MIN15, created_by: 'local', created_at: T0, updated_at: T0 }],
      status: { userId: 'local', createdAt: T0, updatedAt: T0 + MIN15, created_by: 'local', created_at: T0, updated_at: T0 + MIN15 },
    },
    normal: {
      listed: [{ userId: 'local', createdAt: T0, updatedAt: T0 + MIN15, created_by: 'local', created_at: T0, updated_at: T0 + MIN15 }],
      status: { userId: 'local', createdAt: T0, updatedAt: T0 + MIN15, created_by: 'local', created_at: T0, updated_at: T0 + MIN15 },
    },
  },

  // ---- DEP-UPD-1, DEP-REM-1, DEP-ADD-1: times ----
  'update-keeps-updated-at': {
    scenario: async (h) => {
      const c = await h.authed();
      await add(c, 'p');
      await advance(h, '15m');
      const updated = await c.request('rrext_deploy_update', { projectId: 'p', schedule: '@daily' });
      return [updated.body.schedule, await statusTimes(c, 'p')];
    },
    mutant: ['@daily', { userId: 'local', createdAt: T0, updatedAt: T0, created_by: 'local', created_at: T0, updated_at: T0 }],
    normal: [
      '@daily',
      { userId: 'local', createdAt: T0, updatedAt: T0 + MIN15, created_by: 'local', created_at: T0, updated_at: T0 + MIN15 },
    ],
  },
  'update-refreshes-created-at': {
    scenario: async (h) => {
      const c = await h.authed();
      await add(c, 'p');
      await advance(h, '15m');
      await c.request('rrext_deploy_update', { projectId: 'p', pipeline: { project_id: 'p', v: 2 } });
      return statusTimes(c, 'p');
    },
    mutant: {
      userId: 'local',
      createdAt: T0 + MIN15,
      updatedAt: T0 + MIN15,
      created_by: 'local',
      created_at: T0 + MIN15,
      updated_at: T0 + MIN15,
    },
    normal: { userId: 'local', createdAt: T0, updatedAt: T0 + MIN15, created_by: 'local', created_at: T0, updated_at: T0 + MIN15 },
  },
  'readd-keeps-created-at': {
    scenario: async (h) => {
      const c = await h.authed();
      await add(c, 'p');
      await advance(h, '15m');
      await c.request('rrext_deploy_remove', { projectId: 'p' });
      const again = await add(c, 'p');
      return [times(again.body), await statusTimes(c, 'p')];
    },
    mutant: [
      { userId: 'local', createdAt: T0, updatedAt: T0 + MIN15, created_by: 'local', created_at: T0, updated_at: T0 + MIN15 },
      { userId: 'local', createdAt: T0, updatedAt: T0 + MIN15, created_by: 'local', created_at: T0, updated_at: T0 + MIN15 },
    ],
    normal: [
      {
        userId: 'local',
        createdAt: T0 + MIN15,
        updatedAt: T0 + MIN15,
        created_by: 'local',
        created_at: T0 + MIN15,
        updated_at: T0 + MIN15,
      },
      {
        userId: 'local',
        createdAt: T0 + MIN15,
        updatedAt: T0 + MIN15,
        created_by: 'local',
        created_at: T0 + MIN15,
        updated_at: T0 + MIN15,
      },
    ],
  },
  'created-at-whole-seconds': {
    scenario: async (h) => {
      await advance(h, '1500ms');
      const c = await h.authed();
      return times((await add(c, 'p')).body);
    },
    mutant: { userId: 'local', createdAt: T0 + 1, updatedAt: T0 + 1.5, created_by: 'local', created_at: T0 + 1, updated_at: T0 + 1.5 },
    normal: { userId: 'local', createdAt: T0 + 1.5, updatedAt: T0 + 1.5, created_by: 'local', created_at: T0 + 1.5, updated_at: T0 + 1.5 },
  },

  // ---- DEP-ISO-1: hostile ids ----
  'project-id-percent-decoded': {
    scenario: (h) => collide(h, 'a/b', 'a%2Fb'),
    mutant: { add: 'Deployment already exists: a%2Fb', status: 'a/b' },
    normal: { add: 'ok', status: 'a%2Fb' },
  },
  'encoded-traversal-reaches-other-user': {
    scenario: (h) => crossRead(h, 'x', [ENCODED_TRAVERSAL, LITERAL_TRAVERSAL]),
    mutant: [{ owner: 'alice', project_id: 'x' }, notFound(LITERAL_TRAVERSAL)],
    normal: [notFound(ENCODED_TRAVERSAL), notFound(LITERAL_TRAVERSAL)],
  },
  'double-encoded-traversal': {
    scenario: (h) => crossRead(h, 'x', [DOUBLE_ENCODED_TRAVERSAL, ENCODED_TRAVERSAL]),
    mutant: [{ owner: 'alice', project_id: 'x' }, notFound(ENCODED_TRAVERSAL)],
    normal: [notFound(DOUBLE_ENCODED_TRAVERSAL), notFound(ENCODED_TRAVERSAL)],
  },
  'project-id-nfc-normalised': {
    scenario: (h) => collide(h, 'caf\u00e9', 'cafe\u0301'),
    mutant: { add: 'Deployment already exists: cafe\u0301', status: 'caf\u00e9' },
    normal: { add: 'ok', status: 'cafe\u0301' },
  },
  'project-id-nfkc-normalised': {
    scenario: (h) => collide(h, 'file', '\ufb01le'),
    mutant: { add: 'Deployment already exists: \ufb01le', status: 'file' },
    normal: { add: 'ok', status: '\ufb01le' },
  },
  'project-id-case-folded': {
    scenario: (h) => collide(h, 'Reports', 'reports'),
    mutant: { add: 'Deployment already exists: reports', status: 'Reports' },
    normal: { add: 'ok', status: 'reports' },
  },
  'project-id-trimmed': {
    scenario: (h) => collide(h, 'p', ' p\t'),
    mutant: { add: 'Deployment already exists:  p\t', status: 'p' },
    normal: { add: 'ok', status: ' p\t' },
  },
  'project-id-cut-at-nul': {
    scenario: (h) => collide(h, 'p', 'p\u0000x'),
    mutant: { add: 'Deployment already exists: p\u0000x', status: 'p' },
    normal: { add: 'ok', status: 'p\u0000x' },
  },
  'backslash-path-traversal': {
    scenario: (h) => crossRead(h, 'x', ['..\\..\\alice\\deployments\\x', LITERAL_TRAVERSAL]),
    mutant: [{ owner: 'alice', project_id: 'x' }, notFound(LITERAL_TRAVERSAL)],
    normal: [notFound('..\\..\\alice\\deployments\\x'), notFound(LITERAL_TRAVERSAL)],
  },

  // ---- DEP-ADD-5, DEP-LIST-1: one project id, two users ----
  'shared-id-add-refused': {
    scenario: async (h) => {
      const alice = await h.authed('ALICEKEY');
      await add(alice, 'shared');
      const local = await h.authed();
      const r = await add(local, 'shared');
      return [r.success ? 'ok' : r.message, (await local.request('rrext_deploy_list')).body.deployments.length];
    },
    mutant: ['Deployment already exists: shared', 0],
    normal: ['ok', 1],
  },
  'list-joins-shared-ids': {
    scenario: async (h) => {
      const alice = await h.authed('ALICEKEY');
      await add(alice, 'shared');
      await add(alice, 'hers');
      const local = await h.authed();
      await add(local, 'shared');
      const listed = (await local.request('rrext_deploy_list')).body.deployments;
      return listed.map((r: any) => `${r.userId}:${r.pipeline.project_id}`);
    },
    mutant: ['local:shared', 'alice:shared'],
    normal: ['local:shared'],
  },
  'shared-id-update-applies-to-all': {
    scenario: async (h) => {
      const alice = await h.authed('ALICEKEY');
      await add(alice, 'shared');
      const local = await h.authed();
      await add(local, 'shared');
      await local.request('rrext_deploy_update', {
        projectId: 'shared',
        schedule: '@daily',
        pipeline: { project_id: 'shared', mine: true },
      });
      const hers = (await alice.request('rrext_deploy_status', { projectId: 'shared' })).body;
      return [hers.userId, hers.schedule, hers.pipeline];
    },
    mutant: ['alice', '@daily', { project_id: 'shared', mine: true }],
    normal: ['alice', 'manual', { project_id: 'shared' }],
  },
  'shared-id-remove-removes-all': {
    scenario: async (h) => {
      const alice = await h.authed('ALICEKEY');
      await add(alice, 'shared');
      const local = await h.authed();
      await add(local, 'shared');
      await local.request('rrext_deploy_remove', { projectId: 'shared' });
      const r = await alice.request('rrext_deploy_status', { projectId: 'shared' });
      return r.success ? r.body.userId : r.message;
    },
    mutant: notFound('shared'),
    normal: 'alice',
  },

  // ---- SCHED-4: presets ----
  'weekly-preset-on-monday': {
    scenario: (h) => ticksUntil(h, '@weekly', '2026-01-12T00:00:00Z'),
    mutant: ['2026-01-12T00:00:00.000Z fired'],
    normal: ['2026-01-11T00:00:00.000Z fired'],
  },
  'midnight-preset-at-noon': {
    scenario: (h) => ticksUntil(h, '@midnight', '2026-01-06T00:00:00Z'),
    mutant: ['2026-01-05T12:00:00.000Z fired'],
    normal: ['2026-01-06T00:00:00.000Z fired'],
  },
  'monthly-preset-every-other-month': {
    scenario: (h) => ticksUntil(h, '@monthly', '2026-03-01T00:00:00Z'),
    mutant: ['2026-03-01T00:00:00.000Z fired'],
    normal: ['2026-02-01T00:00:00.000Z fired', '2026-03-01T00:00:00.000Z fired'],
  },
  'annually-preset-in-december': {
    scenario: (h) => ticksUntil(h, '@annually', '2027-01-01T00:00:00Z'),
    mutant: ['2026-12-01T00:00:00.000Z fired'],
    normal: ['2027-01-01T00:00:00.000Z fired'],
  },

  // ---- RUN-3: a run that ends at the next tick ----
  'tick-before-run-end': {
    scenario: async (h) => {
      const c = await h.authed();
      await add(c, 'p', '*/15 * * * *');
      await h.control('POST', '/run-behavior', { duration: '15m' });
      // In one move and in two, so the cut inside the move is seen to change nothing else.
      const moved = await h.control('POST', '/clock/advance', { to: '2026-01-05T10:45:00Z' });
      const tail = await h.control('POST', '/clock/advance', { to: '2026-01-05T11:00:00Z' });
      const ticks = (await h.control('GET', '/ticks?userId=local&projectId=p')).items.map((t: any) => `${t.at.slice(11, 16)} ${t.reason}`);
      const runs = (await h.control('GET', '/runs?userId=local&projectId=p')).items.map(
        (r: any) => `${r.startedAt.slice(11, 16)}-${r.endedAt?.slice(11, 16)}`,
      );
      const counters = (await h.control('GET', '/deployments/local/p')).counters;
      return { ticks, runs, moved: moved.ticks, tail: tail.ticks, fired: counters.fired, skipped: counters.skipped_overlap };
    },
    mutant: {
      ticks: ['10:15 fired', '10:30 skipped_overlap', '10:45 fired', '11:00 skipped_overlap'],
      runs: ['10:15-10:30', '10:45-11:00'],
      moved: { fired: 2, skipped_overlap: 1, skipped_paused: 0, errored_auth: 0 },
      tail: { fired: 0, skipped_overlap: 1, skipped_paused: 0, errored_auth: 0 },
      fired: 2,
      skipped: 2,
    },
    normal: {
      ticks: ['10:15 fired', '10:30 fired', '10:45 fired', '11:00 fired'],
      runs: ['10:15-10:30', '10:30-10:45', '10:45-11:00', '11:00-undefined'],
      moved: { fired: 3, skipped_overlap: 0, skipped_paused: 0, errored_auth: 0 },
      tail: { fired: 1, skipped_overlap: 0, skipped_paused: 0, errored_auth: 0 },
      fired: 4,
      skipped: 0,
    },
  },
};

describe('independent mutants change what a client sees', () => {
  it('are all in the catalogue, each aimed at a known clause first', () => {
    const byName = new Map(MUTANTS.map((m) => [m.name, m]));
    for (const name of Object.keys(CASES)) expect(byName.has(name), name).toBe(true);
    expect(Object.keys(CASES).length).toBe(35);
  });

  for (const [name, c] of Object.entries(CASES)) {
    it(name, async () => {
      const [mutant, normal] = [await c.scenario(await harness(name)), await c.scenario(await harness(undefined))];
      expect(normal, 'the normal server').toEqual(c.normal);
      expect(mutant, 'the mutant').toEqual(c.mutant);
    });
  }
});
