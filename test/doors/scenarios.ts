/**
 * One list of deploy scenarios, run against both doors of the mock (the WebSocket server and the
 * msw handler): ws-door.test.ts and msw-door.test.ts run it, and msw-door.test.ts also compares
 * the two doors' transcripts of every scenario (what each client observed, the journal and the
 * control API's state), which must be identical but for the random tokens.
 *
 * Scenarios are written against the Door interface (doors.ts) and assert the real server's words.
 */
import { expect } from 'vitest';
import type { Conn, Door, DoorOptions, OpenDoor } from './doors.js';
import { VERSION } from '../../src/version.js';
import { readAll } from '../../src/control/paging.js';

export interface Scenario {
  readonly name: string;
  readonly options?: DoorOptions;
  run(door: Door): Promise<void>;
}

/** `START` (2026-11-26T10:07:00Z) in Unix seconds: the records' times. */
const T0 = 1795687620;
const INVALID_SCHEDULE_TAIL = 'Expected "manual", a cron preset (@hourly etc.), or a 5-field cron expression.';
/** The wire record's fields, in the order the server writes them (REC-1 and REC-2). */
const RECORD_FIELDS = ['pipeline', 'schedule', 'state', 'userId', 'createdAt', 'updatedAt', 'created_by', 'created_at', 'updated_at'];

async function authed(door: Door, key = 'MYAPIKEY'): Promise<Conn> {
  const conn = await door.connect();
  const reply = await conn.request('auth', { auth: key });
  expect(reply, `auth as ${key}`).toMatchObject({ success: true });
  return conn;
}

/** The record a client gets for `pipeline`, owned by `userId`, both field dialects equal. */
function record(pipeline: object, schedule: string, created: number, updated = created, userId = 'local', state = 'active') {
  return {
    pipeline,
    schedule,
    state,
    userId,
    createdAt: created,
    updatedAt: updated,
    created_by: userId,
    created_at: created,
    updated_at: updated,
  };
}

const encoder = new TextEncoder();
const bytes = (...parts: Array<string | number[]>) => {
  const chunks = parts.map((part) => (typeof part === 'string' ? encoder.encode(part) : Uint8Array.from(part)));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
};

export const scenarios: readonly Scenario[] = [
  {
    name: 'auth with an API key answers a ConnectResult, and its token authenticates another connection',
    async run(door) {
      const conn = await door.connect();
      const reply = await conn.request('auth', { auth: 'MYAPIKEY' });
      expect(reply).toMatchObject({ type: 'response', seq: 1, request_seq: 1, command: 'auth', success: true });
      expect(reply.body).toEqual({
        userToken: expect.stringMatching(/^rrdk_[\w-]+$/),
        userId: 'local',
        displayName: 'RocketRide Developer',
        givenName: '',
        familyName: '',
        preferredUsername: 'developer',
        email: '',
        emailVerified: false,
        phoneNumber: '',
        phoneNumberVerified: false,
        locale: '',
        defaultTeam: 'local',
        organizations: [expect.objectContaining({ id: 'local', name: 'Local', permissions: ['org.admin'] })],
        apps: [],
        capabilities: ['oss'],
      });
      const second = await door.connect();
      const byToken = await second.request('auth', { auth: `Bearer ${reply.body.userToken}` });
      expect(byToken).toMatchObject({ success: true, body: { userId: 'local' } });
      expect(byToken.body.userToken).not.toBe(reply.body.userToken);
      expect((await second.request('rrext_deploy_list')).body).toEqual({ deployments: [] });
    },
  },
  {
    name: 'a bad key gets Invalid API key, then a close with 1000; no key gets No authorization provided',
    async run(door) {
      const conn = await door.connect();
      expect(await conn.request('auth', { auth: 'NOSUCHKEY' })).toEqual({
        type: 'response',
        seq: 1,
        request_seq: 1,
        command: 'auth',
        success: false,
        message: 'Invalid API key',
      });
      expect(await conn.closed).toEqual({ code: 1000, reason: 'Invalid API key' });
      const empty = await door.connect();
      expect(await empty.request('auth', {})).toMatchObject({ success: false, message: 'No authorization provided' });
      expect(await empty.closed).toEqual({ code: 1000, reason: 'No authorization provided' });
    },
  },
  {
    name: 'at most five auth requests per connection',
    async run(door) {
      const conn = await door.connect();
      for (let i = 0; i < 5; i++) expect((await conn.request('auth', { auth: 'MYAPIKEY' })).success).toBe(true);
      expect(await conn.request('auth', { auth: 'MYAPIKEY' })).toMatchObject({
        success: false,
        message: 'Too many authentication attempts',
      });
      expect(await conn.closed).toEqual({ code: 1000, reason: 'Too many authentication attempts' });
    },
  },
  {
    name: 'before auth only auth and rrext_public_* are served: anything else gets Not authenticated and a close',
    async run(door) {
      const conn = await door.connect();
      expect((await conn.request('rrext_public_probe')).success).toBe(true);
      expect(await conn.request('rrext_deploy_list')).toEqual({
        type: 'response',
        seq: 2,
        request_seq: 2,
        command: 'rrext_deploy_list',
        success: false,
        message: 'Not authenticated',
      });
      expect(await conn.closed).toEqual({ code: 1000, reason: 'Not authenticated' });
      expect(conn.received).toHaveLength(2);
    },
  },
  {
    name: 'add, list, status, update and remove: a round trip, records in both field dialects',
    async run(door) {
      const conn = await authed(door);
      const added = await conn.request('rrext_deploy_add', { pipeline: { project_id: 'report', nodes: [] }, schedule: '0 2 * * *' });
      expect(added).toMatchObject({ command: 'rrext_deploy_add', success: true });
      expect(added.body).toEqual(record({ project_id: 'report', nodes: [] }, '0 2 * * *', T0));
      expect(Object.keys(added.body)).toEqual(RECORD_FIELDS);
      const manual = await conn.request('rrext_deploy_add', { pipeline: { project_id: 'alpha' } });
      expect(manual.body).toEqual(record({ project_id: 'alpha' }, 'manual', T0));

      const list = await conn.request('rrext_deploy_list');
      expect(list.body).toEqual({ deployments: [manual.body, added.body] }); // sorted by project id

      door.control.advance('1m');
      const updated = await conn.request('rrext_deploy_update', {
        projectId: 'report',
        pipeline: { project_id: 'other', nodes: [1] },
        schedule: '@hourly',
      });
      expect(updated.body).toEqual(record({ project_id: 'report', nodes: [1] }, '@hourly', T0, T0 + 60));
      expect((await conn.request('rrext_deploy_status', { projectId: 'report' })).body).toEqual(updated.body);

      expect(await conn.request('rrext_deploy_remove', { projectId: 'report' })).toMatchObject({ success: true, body: {} });
      expect(await conn.request('rrext_deploy_status', { projectId: 'report' })).toMatchObject({
        success: false,
        message: 'Deployment not found: report',
      });
      expect((await conn.request('rrext_deploy_list')).body).toEqual({ deployments: [manual.body] });
      expect(readAll((page) => door.control.deployments(page)).map((d) => [d.userId, d.projectId, d.state])).toEqual([
        ['local', 'alpha', 'active'],
      ]);
    },
  },
  {
    name: 'a second add of a project id is refused; another user has its own ids',
    async run(door) {
      const local = await authed(door);
      expect((await local.request('rrext_deploy_add', { pipeline: { project_id: 'p1' } })).success).toBe(true);
      expect(await local.request('rrext_deploy_add', { pipeline: { project_id: 'p1', nodes: [] } })).toMatchObject({
        success: false,
        message: 'Deployment already exists: p1',
      });
      const alice = await authed(door, 'ALICEKEY');
      expect((await alice.request('rrext_deploy_add', { pipeline: { project_id: 'p1' } })).body).toEqual(
        record({ project_id: 'p1' }, 'manual', T0, T0, 'alice'),
      );
      expect((await local.request('rrext_deploy_status', { projectId: 'p1' })).body).toEqual(record({ project_id: 'p1' }, 'manual', T0));
    },
  },
  {
    name: 'an unknown project id: Deployment not found: <id> for status, update and remove',
    async run(door) {
      const conn = await authed(door);
      for (const command of ['rrext_deploy_status', 'rrext_deploy_update', 'rrext_deploy_remove']) {
        expect(await conn.request(command, { projectId: 'ghost' })).toMatchObject({
          command,
          success: false,
          message: 'Deployment not found: ghost',
        });
      }
      expect(await conn.request('rrext_deploy_status', {})).toMatchObject({ success: false, message: 'projectId is required' });
    },
  },
  {
    name: 'an invalid schedule is refused with the spec message, and nothing changes',
    async run(door) {
      const conn = await authed(door);
      expect(await conn.request('rrext_deploy_add', { pipeline: { project_id: 'p' }, schedule: '* * * * * *' })).toMatchObject({
        success: false,
        message: `Invalid schedule '* * * * * *'. It has 6 fields (seconds and years are not supported); cron has 5: minute hour day-of-month month day-of-week. ${INVALID_SCHEDULE_TAIL}`,
      });
      expect((await conn.request('rrext_deploy_add', { pipeline: { project_id: 'p' }, schedule: '@daily' })).success).toBe(true);
      expect(
        await conn.request('rrext_deploy_update', { projectId: 'p', pipeline: { project_id: 'p', v: 2 }, schedule: '@HOURLY' }),
      ).toMatchObject({
        success: false,
        message: `Invalid schedule '@HOURLY'. Presets are lower case: '@hourly'. ${INVALID_SCHEDULE_TAIL}`,
      });
      expect((await conn.request('rrext_deploy_status', { projectId: 'p' })).body).toEqual(record({ project_id: 'p' }, '@daily', T0));
    },
  },
  {
    name: 'permissions: a monitor-only key may list but not add; a key without them may do neither',
    async run(door) {
      const monty = await authed(door, 'MONITORKEY');
      expect(await monty.request('rrext_deploy_add', { pipeline: { project_id: 'm' } })).toMatchObject({
        success: false,
        message: "Permission 'task.control' denied",
      });
      expect(await monty.request('rrext_deploy_list')).toMatchObject({ success: true, body: { deployments: [] } });
      const nobody = await authed(door, 'NOPERMKEY');
      expect(await nobody.request('rrext_deploy_list')).toMatchObject({ success: false, message: "Permission 'task.monitor' denied" });
      expect(monty.isOpen && nobody.isOpen).toBe(true);
    },
  },
  {
    name: 'deauth answers {} and keeps the socket open, unauthenticated: the next deploy command is gated',
    async run(door) {
      const conn = await authed(door);
      expect(await conn.request('deauth')).toMatchObject({ success: true, body: {} });
      expect(conn.isOpen).toBe(true);
      expect(await conn.request('rrext_deploy_list')).toMatchObject({ success: false, message: 'Not authenticated' });
      expect(await conn.closed).toEqual({ code: 1000, reason: 'Not authenticated' });
    },
  },
  {
    name: 'probe and ping; an unknown command gets Invalid command; server seq counts per connection',
    async run(door) {
      const conn = await door.connect();
      expect((await conn.request('rrext_public_probe')).body).toEqual({
        version: VERSION,
        capabilities: ['deploy', 'mock'],
        platform: 'linux',
        apps: [],
      });
      await conn.request('auth', { auth: 'MYAPIKEY' });
      expect((await conn.request('rrext_ping')).body).toEqual({ pong: true });
      expect(await conn.request('rrext_nope')).toMatchObject({ success: false, message: 'Invalid command: rrext_nope' });
      expect(await conn.request('rrext_public_nope')).toMatchObject({ success: false, message: 'Invalid command: rrext_public_nope' });
      expect(conn.received.map((text) => JSON.parse(text).seq)).toEqual([1, 2, 3, 4, 5]);
      expect(conn.isOpen).toBe(true);
    },
  },
  {
    name: 'malformed frames: without a readable seq they are dropped unanswered, with one they get a failed response',
    async run(door) {
      const conn = await authed(door);
      conn.sendRaw('not json');
      conn.sendRaw('[1,2,3]');
      conn.sendRaw('{"type":"request","command":"rrext_ping"}');
      conn.sendRaw('{"type":"event","seq":40,"command":"rrext_ping"}');
      expect(await conn.responseTo(40)).toMatchObject({
        success: false,
        command: 'rrext_ping',
        message: `Invalid request: 'type' must be "request"`,
      });
      expect((await conn.request('rrext_ping')).body).toEqual({ pong: true });
      expect(conn.received).toHaveLength(3); // auth, the seq-40 failure, the ping: nothing for the three dropped frames
      expect(conn.isOpen).toBe(true);
      const inbound = door.journal.find({ direction: 'in' });
      expect(inbound.find((entry) => entry.text === 'not json')).toMatchObject({ message: null, command: null, type: null });
    },
  },
  {
    name: 'a binary frame: JSON header, newline, payload (arguments.data); without a newline, plain JSON',
    async run(door) {
      const conn = await authed(door);
      const header = JSON.stringify({
        type: 'request',
        seq: 7,
        command: 'rrext_deploy_add',
        arguments: { pipeline: { project_id: 'bin' } },
      });
      conn.sendRaw(bytes(header, '\n', [0, 1, 10, 255, 13]));
      expect((await conn.responseTo(7)).body).toEqual(record({ project_id: 'bin' }, 'manual', T0));
      conn.sendRaw(bytes(JSON.stringify({ type: 'request', seq: 8, command: 'rrext_ping' })));
      expect((await conn.responseTo(8)).body).toEqual({ pong: true });
      const [entry] = door.journal.find({ command: 'rrext_deploy_add', direction: 'in' });
      expect(entry).toMatchObject({ payloadBytes: 5, message: { seq: 7, arguments: { pipeline: { project_id: 'bin' } } } });
    },
  },
  {
    name: 'the journal shows what a client sent and got, per connection, with user and time',
    async run(door) {
      const conn = await authed(door);
      await conn.request('rrext_deploy_add', { pipeline: { project_id: 'reports' } });
      const [sent] = door.journal.find({ command: 'rrext_deploy_add', direction: 'in' });
      const [connection] = door.control.connections();
      expect(sent).toMatchObject({
        connectionId: connection!.id,
        userId: 'local',
        type: 'request',
        at: '2026-11-26T10:07:00.000Z',
        message: { arguments: { pipeline: { project_id: 'reports' } } },
      });
      expect(door.journal.find({ connectionId: connection!.id }).map((e) => `${e.direction} ${e.command}`)).toEqual([
        'in auth',
        'out auth',
        'in rrext_deploy_add',
        'out rrext_deploy_add',
      ]);
      door.journal.clear();
      expect(door.journal.find()).toEqual([]);
    },
  },
  {
    name: 'injected faults: fail fails the next matching request without running it, no-reply runs it unanswered',
    async run(door) {
      const conn = await authed(door);
      door.control.injectFault({ kind: 'fail', command: 'rrext_deploy_add', message: 'Storage is down' });
      expect(await conn.request('rrext_deploy_add', { pipeline: { project_id: 'x' } })).toMatchObject({
        success: false,
        message: 'Storage is down',
      });
      expect((await conn.request('rrext_deploy_list')).body).toEqual({ deployments: [] });
      door.control.injectFault({ kind: 'no-reply', command: 'rrext_deploy_add' });
      conn.send('rrext_deploy_add', { pipeline: { project_id: 'x' } });
      expect(
        (await conn.request('rrext_deploy_list')).body.deployments.map((d: { pipeline: { project_id: string } }) => d.pipeline.project_id),
      ).toEqual(['x']);
      expect(conn.received.map((text) => JSON.parse(text).command)).toEqual([
        'auth',
        'rrext_deploy_add',
        'rrext_deploy_list',
        'rrext_deploy_list',
      ]);
      expect(door.control.faults()).toEqual([]);
    },
  },
  {
    name: 'a reorder fault sends held responses last first, the server seq still increasing',
    async run(door) {
      const conn = await authed(door);
      door.control.injectFault({ kind: 'reorder', command: 'rrext_ping', count: 2 });
      const first = conn.send('rrext_ping');
      const second = conn.send('rrext_ping');
      await Promise.all([conn.responseTo(first), conn.responseTo(second)]);
      expect(conn.received.slice(1).map((text) => JSON.parse(text))).toEqual([
        { type: 'response', seq: 2, request_seq: second, command: 'rrext_ping', success: true, body: { pong: true } },
        { type: 'response', seq: 3, request_seq: first, command: 'rrext_ping', success: true, body: { pong: true } },
      ]);
    },
  },
  {
    name: 'a close fault closes the connection with its code and reason, unanswered',
    async run(door) {
      const conn = await authed(door);
      door.control.injectFault({ kind: 'close', command: 'rrext_deploy_list', code: 4000, reason: 'gone fishing' });
      conn.send('rrext_deploy_list');
      expect(await conn.closed).toEqual({ code: 4000, reason: 'gone fishing' });
      expect(conn.received).toHaveLength(1);
    },
  },
  {
    name: 'the fake clock: a */15 deployment added at 10:07 runs four times when the clock moves 1h',
    async run(door) {
      const conn = await authed(door);
      await conn.request('rrext_deploy_add', { pipeline: { project_id: 'report' }, schedule: '*/15 * * * *' });
      expect(readAll((page) => door.control.runs(page))).toEqual([]);
      door.control.advance('1h');
      expect(door.control.clock().now).toBe('2026-11-26T11:07:00.000Z');
      expect(
        readAll((page) => door.control.runs(page)).map((run) => [run.startedAt.slice(11, 16), run.outcome, run.trigger, run.userId]),
      ).toEqual([
        ['10:15', 'completed', 'schedule', 'local'],
        ['10:30', 'completed', 'schedule', 'local'],
        ['10:45', 'completed', 'schedule', 'local'],
        ['11:00', 'completed', 'schedule', 'local'],
      ]);
      expect((await conn.request('rrext_deploy_status', { projectId: 'report' })).body.state).toBe('active');
    },
  },
  {
    name: 'a frame over the size limit closes its connection with 1009, unanswered; others go on',
    options: { limits: { maxFrameBytes: 1024 } },
    async run(door) {
      const big = await authed(door);
      const other = await authed(door);
      big.send('rrext_deploy_add', { pipeline: { project_id: 'big', blob: 'é'.repeat(600) } }); // 1,200+ bytes, 600+ UTF-16 units
      expect((await big.closed).code).toBe(1009);
      expect(await other.request('rrext_deploy_list')).toMatchObject({ success: true, body: { deployments: [] } });
      expect(door.journal.find({ command: 'rrext_deploy_add' })).toEqual([]);
    },
  },
  {
    name: 'the limits on pipeline size, project id length and deployments per user refuse alike, and change nothing',
    options: { limits: { maxPipelineBytes: 300, maxProjectIdLength: 20, maxDeploymentsPerUser: 2 } },
    async run(door) {
      const conn = await authed(door);
      expect((await conn.request('rrext_deploy_add', { pipeline: { project_id: 'a' } })).success).toBe(true);
      const refusals = [
        await conn.request('rrext_deploy_add', { pipeline: { project_id: 'b', pad: 'x'.repeat(400) } }),
        await conn.request('rrext_deploy_update', { projectId: 'a', pipeline: { pad: 'x'.repeat(400) } }),
        await conn.request('rrext_deploy_add', { pipeline: { project_id: 'x'.repeat(21) } }),
        await conn.request('rrext_deploy_status', { projectId: '∞'.repeat(21) }),
      ];
      expect((await conn.request('rrext_deploy_add', { pipeline: { project_id: 'b' } })).success).toBe(true);
      refusals.push(await conn.request('rrext_deploy_add', { pipeline: { project_id: 'c' } }));
      expect(refusals.map((r) => [r.success, r.message])).toEqual([
        [false, "pipeline is too large: its JSON is over 300 bytes (the server's limit)"],
        [false, "pipeline is too large: its JSON is over 300 bytes (the server's limit)"],
        [false, "project_id is too long: over 20 characters (the server's limit)"],
        [false, "project_id is too long: over 20 characters (the server's limit)"],
        [false, 'Too many deployments: you have 2 and the limit is 2 per user. Remove one before adding another'],
      ]);
      const listed = (await conn.request('rrext_deploy_list')).body.deployments;
      expect(listed.map((r: { pipeline: object }) => r.pipeline)).toEqual([{ project_id: 'a' }, { project_id: 'b' }]);
    },
  },
  {
    name: 'the stored-bytes limits, per user and for the server, refuse alike, and change nothing',
    // Each { project_id: 'aN', pad: 90 x's } is 118 bytes of JSON and 2 of id: 120 stored.
    options: { limits: { maxStoredBytesPerUser: 250, maxStoredBytes: 400 } },
    async run(door) {
      const pipeline = (id: string, pad = 90) => ({ project_id: id, pad: 'x'.repeat(pad) });
      const local = await authed(door);
      const alice = await authed(door, 'ALICEKEY');
      const results = [
        await local.request('rrext_deploy_add', { pipeline: pipeline('a1') }),
        await local.request('rrext_deploy_add', { pipeline: pipeline('a2') }),
        await local.request('rrext_deploy_add', { pipeline: pipeline('a3') }), // 360 > 250: refused
        await local.request('rrext_deploy_update', { projectId: 'a2', pipeline: pipeline('a2', 101) }), // 251 > 250: refused
        await local.request('rrext_deploy_update', { projectId: 'a2', pipeline: pipeline('a2', 100) }), // exactly 250
        await alice.request('rrext_deploy_add', { pipeline: pipeline('b1') }), // the server: 370
        await alice.request('rrext_deploy_add', { pipeline: { project_id: 'b2', pad: 'x'.repeat(10) } }), // 410 > 400: refused
        await local.request('rrext_deploy_update', { projectId: 'a2', pipeline: pipeline('a2', 10) }), // shrinks: allowed
      ];
      expect(results.map((r) => [r.success, r.message])).toEqual([
        [true, undefined],
        [true, undefined],
        [
          false,
          "Too much stored: your deployments would hold 360 bytes and the limit is 250 bytes per user (their pipelines' JSON and project ids, as UTF-8). Remove or shrink a deployment before adding or growing one",
        ],
        [
          false,
          "Too much stored: your deployments would hold 251 bytes and the limit is 250 bytes per user (their pipelines' JSON and project ids, as UTF-8). Remove or shrink a deployment before adding or growing one",
        ],
        [true, undefined],
        [true, undefined],
        [
          false,
          "The server's storage is full: this needs 40 bytes more, and all users' deployments together may hold 400 bytes (the server's limit; their pipelines' JSON and project ids, as UTF-8). Remove or shrink a deployment, or ask whoever runs the server to raise the limit",
        ],
        [true, undefined],
      ]);
      const ids = async (conn: Conn) =>
        (await conn.request('rrext_deploy_list')).body.deployments.map((r: { pipeline: { project_id: string } }) => r.pipeline.project_id);
      expect(await ids(local)).toEqual(['a1', 'a2']);
      expect(await ids(alice)).toEqual(['b1']);
      // The shrink made room: alice's refused add fits now.
      expect((await alice.request('rrext_deploy_add', { pipeline: { project_id: 'b2', pad: 'x'.repeat(10) } })).success).toBe(true);
    },
  },
  {
    name: 'closing the mock closes its clients with 1001',
    async run(door) {
      const conn = await authed(door);
      await door.close();
      expect(await conn.closed).toEqual({ code: 1001, reason: 'Server shutting down' });
    },
  },
];

/** Everything a scenario left behind, with tokens (random) replaced: equal through both doors. */
export interface Transcript {
  /** Per connection, in the order opened: what its client observed. */
  connections: string[][];
  journal: unknown[];
  deployments: unknown[];
  runs: unknown[];
  ticks: unknown[];
  faults: unknown[];
}

/**
 * Runs one scenario on a fresh mock behind `open`, then closes it and returns the transcript.
 * Connections still open are closed by the mock (1001), so every client's record is complete.
 */
export async function runScenario(open: OpenDoor, scenario: Scenario): Promise<Transcript> {
  const door = await open(scenario.options ?? {});
  const conns: Conn[] = [];
  const recorded: Door = {
    name: door.name,
    control: door.control,
    journal: door.journal,
    close: () => door.close(),
    connect: async () => {
      const conn = await door.connect();
      conns.push(conn);
      return conn;
    },
  };
  try {
    await scenario.run(recorded);
    const { control } = door;
    const state = {
      journal: door.journal.find(),
      deployments: readAll((page) => control.deployments(page)),
      runs: readAll((page) => control.runs(page)),
      ticks: readAll((page) => control.ticks(page)),
      faults: control.faults(),
    };
    await door.close();
    await Promise.all(conns.map((conn) => conn.closed));
    return withoutTokens({ connections: conns.map((conn) => [...conn.events]), ...state });
  } finally {
    await door.close();
  }
}

function withoutTokens<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replace(/rrdk_[\w-]+/g, '<token>')) as T;
}
