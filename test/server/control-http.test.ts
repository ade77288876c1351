/**
 * The control API's HTTP door: every endpoint over real HTTP on the server's own port, its
 * errors, the token and loopback rules, and hostile input that must never take the server down.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { ControlApi } from '../../src/control/control-api.js';
import { createControlHandler, isLoopbackAddress, MAX_CONTROL_BODY_BYTES } from '../../src/server/control-http.js';
import { createMockServer, DeployClient, type MockServer, type MockServerOptions } from '../../src/index.js';

const START = '2026-11-26T10:07:00Z';
const PROJECT = 'etl/nightly'; // a slash: the path carries it as %2F
const P = encodeURIComponent(PROJECT);

const servers: MockServer[] = [];
const clients: DeployClient[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.disconnect().catch(() => {})));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

interface Answer {
  status: number;
  headers: Headers;
  json: any; // JSON answers are checked field by field
}

async function start(options: MockServerOptions = {}) {
  const server = await createMockServer({ port: 0, clock: { mode: 'fake', startAt: START }, ...options });
  servers.push(server);
  const base = `http://127.0.0.1:${server.port}/control`;
  /** One control call; a string body is sent as is, anything else as JSON. */
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    return { status: response.status, headers: response.headers, json: await response.json() };
  };
  const connect = async (key = 'MYAPIKEY') => {
    const client = new DeployClient({ uri: server.url, auth: key });
    clients.push(client);
    await client.connect();
    return client;
  };
  return { server, base, call, connect };
}

// Adds a "*/15 * * * *" deployment of PROJECT as `local` over DAP.
async function withDeployment(options: MockServerOptions = {}) {
  const s = await start(options);
  const client = await s.connect();
  await client.deploy.add({ project_id: PROJECT }, { schedule: '*/15 * * * *' });
  return { ...s, client };
}

describe('the HTTP door, endpoint by endpoint', () => {
  it('reads and moves the clock: GET /clock, POST /clock, POST /clock/advance by, to and next', async () => {
    const { call } = await withDeployment();
    expect(await call('GET', '/clock')).toMatchObject({
      status: 200,
      json: { now: '2026-11-26T10:07:00.000Z', nowMs: Date.parse(START), mode: 'fake', timezone: 'UTC' },
    });
    expect((await call('POST', '/clock/advance', { by: '3m' })).json).toMatchObject({
      from: '2026-11-26T10:07:00.000Z',
      to: '2026-11-26T10:10:00.000Z',
    });
    expect((await call('POST', '/clock/advance', { by: 60_000 })).json.to).toBe('2026-11-26T10:11:00.000Z');
    expect((await call('POST', '/clock/advance', { to: '2026-11-26T10:12:00Z' })).json.to).toBe('2026-11-26T10:12:00.000Z');
    // next: straight to the deployment's next tick (10:15), which fires
    const next = await call('POST', '/clock/advance', { next: true });
    expect(next.json).toMatchObject({ from: '2026-11-26T10:12:00.000Z', to: '2026-11-26T10:15:00.000Z', ticks: { fired: 1 } });
    const set = await call('POST', '/clock', { to: Date.parse('2026-11-26T10:20:00Z') });
    expect(set).toMatchObject({ status: 200, json: { to: '2026-11-26T10:20:00.000Z', runsEnded: 1 } });
    expect((await call('GET', '/clock')).json.now).toBe('2026-11-26T10:20:00.000Z');
  });

  it('advancing an hour over HTTP runs a */15 deployment four times, at 10:15, 10:30, 10:45 and 11:00', async () => {
    const { call } = await withDeployment();
    const advanced = await call('POST', '/clock/advance', { by: '1h' });
    expect(advanced).toMatchObject({
      status: 200,
      json: { from: '2026-11-26T10:07:00.000Z', to: '2026-11-26T11:07:00.000Z', ticks: { fired: 4, skipped_overlap: 0 }, runsEnded: 4 },
    });
    const runs = await call('GET', `/runs?userId=local&projectId=${P}`);
    expect(runs.status).toBe(200);
    expect(runs.json.items.map((r: { scheduledFor: string }) => r.scheduledFor)).toEqual([
      '2026-11-26T10:15:00.000Z',
      '2026-11-26T10:30:00.000Z',
      '2026-11-26T10:45:00.000Z',
      '2026-11-26T11:00:00.000Z',
    ]);
    expect(runs.json.items[0]).toEqual({
      id: expect.any(String),
      userId: 'local',
      projectId: PROJECT,
      trigger: 'schedule',
      scheduledFor: '2026-11-26T10:15:00.000Z',
      startedAt: '2026-11-26T10:15:00.000Z',
      endedAt: '2026-11-26T10:15:01.000Z', // the default run takes 1 s and completes
      outcome: 'completed',
    });
    expect((await call('GET', '/runs')).json.items).toEqual(runs.json.items);
    expect((await call('GET', '/runs?userId=alice')).json.items).toEqual([]);
    const ticks = await call('GET', `/ticks?userId=local&projectId=${P}`);
    expect(ticks.json.items.map((t: { reason: string }) => t.reason)).toEqual(['fired', 'fired', 'fired', 'fired']);
    expect(ticks.json.items[3]).toEqual({
      at: '2026-11-26T11:00:00.000Z',
      userId: 'local',
      projectId: PROJECT,
      reason: 'fired',
      runId: runs.json.items[3].id,
    });

    const one = await call('GET', `/deployments/local/${P}`);
    expect(one).toMatchObject({
      status: 200,
      json: { userId: 'local', projectId: PROJECT, state: 'active', schedule: '*/15 * * * *', timezone: 'UTC', runInProgress: null },
    });
    expect(one.json.counters).toMatchObject({ fired: 4, completed: 4 });
    expect(one.json.nextDue[0]).toBe('2026-11-26T11:15:00.000Z');
    expect((await call('GET', '/deployments')).json.items).toEqual([one.json]);
    expect((await call('GET', '/deployments?userId=local')).json.items).toEqual([one.json]);
    expect((await call('GET', '/deployments?userId=alice')).json.items).toEqual([]);
  });

  it('answers a page polled again with the same compact bytes, and a new page once the list changes', async () => {
    const { server, base, call } = await withDeployment();
    await call('POST', '/clock/advance', { by: '1h' });
    const text = async (path: string) => (await fetch(`${base}${path}`)).text();
    for (const path of ['/runs?order=newest', '/ticks', `/deployments?userId=local`]) {
      const first = await text(path);
      expect(await text(path), path).toBe(first);
      expect(first, 'compact JSON, one line').toMatch(/^\{"items":\[.*\],"next":(null|"[^"]+")\}\n$/);
      expect(first, path).toBe(`${JSON.stringify(JSON.parse(first))}\n`);
    }
    const before = JSON.parse(await text('/runs?order=newest'));
    server.control.advance('15m');
    const after = JSON.parse(await text('/runs?order=newest'));
    expect(after.items).toHaveLength(before.items.length + 1);
    expect(after).toEqual(server.control.runs({ order: 'newest', limit: 99 }));
  });

  it('holds runs via run-behavior, so later ticks are skipped_overlap; trigger is refused (409) until the run is ended', async () => {
    const { call } = await withDeployment();
    const behavior = await call('POST', '/run-behavior', { hold: true, userId: 'local', projectId: PROJECT });
    expect(behavior).toMatchObject({ status: 200, json: { hold: true, durationMs: 1000, outcome: 'completed' } });
    await call('POST', '/clock/advance', { by: '1h' });
    const ticks = await call('GET', `/ticks?userId=local&projectId=${P}`);
    expect(ticks.json.items.map((t: { at: string; reason: string }) => `${t.at.slice(11, 16)} ${t.reason}`)).toEqual([
      '10:15 fired',
      '10:30 skipped_overlap',
      '10:45 skipped_overlap',
      '11:00 skipped_overlap',
    ]);
    const held = (await call('GET', `/deployments/local/${P}`)).json.runInProgress;
    expect(held).toMatchObject({ scheduledFor: '2026-11-26T10:15:00.000Z', endedAt: null, outcome: null });

    const refused = await call('POST', `/deployments/local/${P}/trigger`);
    expect(refused.status).toBe(409);
    expect(refused.json.error.code).toBe('RUN_IN_PROGRESS');

    const ended = await call('POST', `/runs/${held.id}/end`, { outcome: 'failed' });
    expect(ended).toMatchObject({ status: 200, json: { id: held.id, endedAt: '2026-11-26T11:07:00.000Z', outcome: 'failed' } });
    expect((await call('POST', `/runs/${held.id}/end`)).json.error.code).toBe('RUN_NOT_IN_PROGRESS');

    const triggered = await call('POST', `/deployments/local/${P}/trigger`);
    expect(triggered).toMatchObject({ status: 201, json: { trigger: 'manual', startedAt: '2026-11-26T11:07:00.000Z', endedAt: null } });
    const endedManual = await call('POST', `/runs/${triggered.json.id}/end`, {});
    expect(endedManual.json.outcome).toBe('completed');

    // Server-wide behavior: no userId/projectId.
    expect((await call('POST', '/run-behavior', { duration: '5m', outcome: 'failed', hold: false })).json).toEqual({
      durationMs: 300_000,
      outcome: 'failed',
      hold: false,
    });
  });

  it('pauses and resumes: ticks while paused are skipped_paused', async () => {
    const { call } = await withDeployment();
    const paused = await call('POST', `/deployments/local/${P}/pause`);
    expect(paused).toMatchObject({ status: 200, json: { state: 'paused' } });
    await call('POST', '/clock/advance', { by: '30m' });
    const resumed = await call('POST', `/deployments/local/${P}/resume`);
    expect(resumed).toMatchObject({ status: 200, json: { state: 'active', counters: { skipped_paused: 2, fired: 0 } } });
    await call('POST', '/clock/advance', { by: '15m' });
    expect((await call('GET', '/ticks')).json.items.map((t: { reason: string }) => t.reason)).toEqual([
      'skipped_paused',
      'skipped_paused',
      'fired',
    ]);
  });

  it('revokes a key: the next tick makes the deployment errored, new connections fail, restore does not bring it back', async () => {
    const { call, client, connect } = await withDeployment();
    expect(await call('POST', '/keys/revoke', { key: 'MYAPIKEY' })).toMatchObject({
      status: 200,
      json: { key: 'MYAPIKEY', revoked: true },
    });
    await call('POST', '/clock/advance', { by: '1h' });
    // The session authenticated before the revocation stays authenticated.
    expect((await client.deploy.status(PROJECT)).state).toBe('errored');
    await expect(connect('MYAPIKEY')).rejects.toThrow('Invalid API key');
    expect((await call('GET', '/ticks')).json.items.map((t: { reason: string }) => t.reason)).toEqual(['errored_auth']);
    expect(await call('POST', '/keys/restore', { key: 'MYAPIKEY' })).toMatchObject({
      status: 200,
      json: { key: 'MYAPIKEY', revoked: false },
    });
    await call('POST', '/clock/advance', { by: '1h' });
    expect((await client.deploy.status(PROJECT)).state).toBe('errored');
    expect((await call('POST', `/deployments/local/${P}/pause`)).json.error.code).toBe('DEPLOYMENT_ERRORED');
    expect(await call('POST', '/keys/revoke', { key: 'NOSUCHKEY' })).toMatchObject({
      status: 404,
      json: { error: { code: 'KEY_NOT_FOUND' } },
    });
  });

  it('adds a user (201) who can then connect; the same user twice is 409, a malformed one 400', async () => {
    const { call, connect } = await start();
    const bob = {
      userId: 'bob',
      keys: ['BOBKEY'],
      defaultTeam: 't',
      organizations: [
        { id: 'o', name: 'O', permissions: [], teams: [{ id: 't', name: 'T', permissions: ['task.control', 'task.monitor'] }] },
      ],
    };
    expect(await call('POST', '/users', bob)).toMatchObject({ status: 201, json: { userId: 'bob' } });
    expect((await connect('BOBKEY')).connected).toBe(true);
    expect(await call('POST', '/users', bob)).toMatchObject({ status: 409, json: { error: { code: 'USER_EXISTS' } } });
    const bad = await call('POST', '/users', { userId: 'carol' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: 'BAD_INPUT', message: 'Invalid user: keys: must be an array' });
    // Several problems come on one line: an HTTP error message holds no line breaks.
    const worse = await call('POST', '/users', { userId: '', keys: [' K'] });
    expect(worse.json.error).toMatchObject({
      code: 'BAD_INPUT',
      message: 'Invalid user: 2 problems: userId: must be a non-empty string; keys[0]: keys must be non-blank, without surrounding spaces',
    });
  });

  it('resets: deployments, runs and added users are gone, the clock keeps its time', async () => {
    const { call, client } = await withDeployment();
    await call('POST', '/clock/advance', { by: '1h' });
    expect(await call('POST', '/reset')).toMatchObject({ status: 200, json: { reset: true } });
    expect((await call('GET', '/deployments')).json.items).toEqual([]);
    expect((await call('GET', '/runs')).json.items).toEqual([]);
    expect(await client.deploy.list()).toEqual([]);
    expect((await call('GET', '/clock')).json.now).toBe('2026-11-26T11:07:00.000Z');
  });

  it('reads and clears the journal, lists connections, injects, lists and removes faults', async () => {
    const s = await start();
    const client = await s.connect();
    await client.deploy.add({ project_id: 'p1' }, { schedule: '@daily' });
    const adds = await s.call('GET', '/journal?command=rrext_deploy_add&direction=in');
    expect(adds.status).toBe(200);
    expect(adds.json.items).toHaveLength(1);
    expect(adds.json.items[0]).toMatchObject({ userId: 'local', command: 'rrext_deploy_add', type: 'request' });
    expect(adds.json.items[0]).not.toHaveProperty('message'); // the frame is its text, as sent
    expect(JSON.parse(adds.json.items[0].text)).toMatchObject({ arguments: { pipeline: { project_id: 'p1' }, schedule: '@daily' } });
    expect(adds.json.items[0].text).toBe(s.server.journal.find({ command: 'rrext_deploy_add', direction: 'in' })[0]!.text);
    const connection = adds.json.items[0].connectionId;
    expect((await s.call('GET', '/connections')).json).toEqual([{ id: connection, userId: 'local', openedAt: '2026-11-26T10:07:00.000Z' }]);
    expect(
      (await s.call('GET', `/journal?connectionId=${connection}&after=${adds.json.items[0].id}&type=response`)).json.items.map(
        (e: any) => e.command,
      ),
    ).toEqual(['rrext_deploy_add']);
    expect((await s.call('GET', '/journal?direction=sideways')).json.error).toMatchObject({
      code: 'BAD_INPUT',
      message: expect.stringContaining('direction'),
    });
    expect((await s.call('GET', '/journal?cmd=x')).status).toBe(400);

    const injected = await s.call('POST', '/faults', {
      kind: 'fail',
      command: 'rrext_deploy_status',
      message: 'Injected over HTTP',
      connectionId: connection,
    });
    expect(injected.status).toBe(201);
    expect(injected.json).toMatchObject({ id: expect.any(String), kind: 'fail', remaining: 1 });
    expect((await s.call('GET', '/faults')).json).toHaveLength(1);
    await expect(client.deploy.status('p1')).rejects.toThrow('Injected over HTTP');
    expect((await s.call('GET', '/faults')).json).toEqual([]);

    const spare = (await s.call('POST', '/faults', { kind: 'no-reply' })).json;
    expect((await s.call('POST', `/faults/${spare.id}/remove`)).json).toEqual({ id: spare.id, removed: true });
    expect((await s.call('POST', `/faults/${spare.id}/remove`)).status).toBe(404);
    await s.call('POST', '/faults', { kind: 'delay', ms: '1s' });
    expect((await s.call('POST', '/faults/clear')).json).toEqual({ cleared: 1 });
    expect((await s.call('POST', '/faults', { kind: 'close', code: 1005 })).status).toBe(400);
    expect((await s.call('POST', '/journal/clear')).json).toEqual({ cleared: expect.any(Number) });
    expect((await s.call('GET', '/journal')).json.items).toEqual([]);
  });

  it('lists the endpoints at /control/', async () => {
    const { call } = await start();
    const index = await call('GET', '/');
    expect(index.status).toBe(200);
    expect(index.json.endpoints).toContain('POST /control/clock/advance');
    expect(index.json.endpoints).toContain('GET /control/deployments/:userId/:projectId');
  });

  it('every endpoint has a row in docs/control-api.md, and every row is an endpoint', async () => {
    const { call } = await start();
    const endpoints: string[] = (await call('GET', '/')).json.endpoints;
    const docs = readFileSync(new URL('../../docs/control-api.md', import.meta.url), 'utf8');
    const table = docs.slice(docs.indexOf('## Endpoints'), docs.indexOf('## Errors'));
    const rows = [...table.matchAll(/^\| `((?:GET|POST) \/control\/[^`]*)` \|/gm)].map((m) => m[1]);
    expect(rows.sort()).toEqual([...endpoints].sort());
  });
});

describe('errors', () => {
  const cases: Array<[string, number, string, string, unknown, string, RegExp]> = [
    ['a bad duration', 400, 'POST', '/clock/advance', { by: '15 minutes' }, 'BAD_INPUT', /by must be a duration/],
    ['the clock moved backwards', 400, 'POST', '/clock', { to: '2020-01-01T00:00:00Z' }, 'CLOCK_BACKWARDS', /only moves forward/],
    ['two ways to advance at once', 400, 'POST', '/clock/advance', { by: '1m', to: START }, 'BAD_INPUT', /exactly one of "by".*got by, to/],
    ['no way to advance', 400, 'POST', '/clock/advance', {}, 'BAD_INPUT', /exactly one of/],
    ['next: false', 400, 'POST', '/clock/advance', { next: false }, 'BAD_INPUT', /next must be true/],
    [
      'an unknown deployment',
      404,
      'GET',
      '/deployments/local/nope',
      undefined,
      'DEPLOYMENT_NOT_FOUND',
      /User 'local' has no deployment 'nope'/,
    ],
    ['pausing an unknown deployment', 404, 'POST', '/deployments/local/nope/pause', undefined, 'DEPLOYMENT_NOT_FOUND', /no deployment/],
    ['an unknown run', 404, 'POST', '/runs/run-404/end', undefined, 'RUN_NOT_FOUND', /No run run-404/],
    [
      'an unknown path',
      404,
      'GET',
      '/clocks',
      undefined,
      'NOT_FOUND',
      /No control endpoint GET \/control\/clocks\. Endpoints: GET \/control\/clock, /,
    ],
    ['a body that is not JSON', 400, 'POST', '/clock/advance', '{"by": 15m}', 'BAD_INPUT', /not valid JSON/],
    ['a JSON array body', 400, 'POST', '/clock/advance', '["1h"]', 'BAD_INPUT', /must be a JSON object/],
    ['a JSON null body', 400, 'POST', '/reset', 'null', 'BAD_INPUT', /must be a JSON object/],
    [
      'an unknown body field',
      400,
      'POST',
      '/keys/revoke',
      { key: 'MYAPIKEY', force: true },
      'BAD_INPUT',
      /Unknown field\(s\) 'force'; use key/,
    ],
    ['a body where none is taken', 400, 'POST', '/reset', { all: true }, 'BAD_INPUT', /this endpoint takes no body/],
    [
      'an unknown query parameter',
      400,
      'GET',
      '/runs?user=local',
      undefined,
      'BAD_INPUT',
      /Unknown query parameter 'user'; use userId, projectId/,
    ],
    ['a repeated query parameter', 400, 'GET', '/runs?userId=a&userId=b', undefined, 'BAD_INPUT', /given twice/],
    ['an empty filter', 400, 'GET', '/ticks?userId=', undefined, 'BAD_INPUT', /userId must be a non-empty string/],
    [
      'half a run-behavior scope',
      400,
      'POST',
      '/run-behavior',
      { hold: true, userId: 'local' },
      'BAD_INPUT',
      /userId and projectId go together/,
    ],
    [
      'a bad run outcome',
      400,
      'POST',
      '/run-behavior',
      { outcome: 'cancelled' },
      'BAD_INPUT',
      /outcome must be one of "completed", "failed"/,
    ],
    [
      'bad percent-encoding in the path',
      400,
      'GET',
      '/deployments/local/%E0%A4%A',
      undefined,
      'BAD_INPUT',
      /projectId in the path is not valid percent-encoding/,
    ],
    ['an empty path segment', 400, 'GET', '/deployments//x', undefined, 'BAD_INPUT', /userId must be a non-empty string/],
  ];
  it.each(cases)('answers %s with %i', async (_, status, method, path, body, code, message) => {
    const { call } = await start();
    const answer = await call(method, path, body);
    expect(answer.status).toBe(status);
    expect(answer.json).toEqual({ error: { code, message: expect.stringMatching(message) } });
  });

  it('answers a wrong method with 405 and an Allow header', async () => {
    const { call } = await start();
    const del = await call('DELETE', '/clock');
    expect(del.status).toBe(405);
    expect(del.headers.get('allow')).toBe('GET, POST');
    expect(del.json.error).toEqual({ code: 'METHOD_NOT_ALLOWED', message: 'Use GET or POST for this endpoint' });
    const get = await call('GET', '/reset');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('refuses a body over 1 MiB with 413, and keeps serving', async () => {
    const { call } = await start();
    const big = JSON.stringify({ by: '1m', pad: 'x'.repeat(MAX_CONTROL_BODY_BYTES) });
    const answer = await call('POST', '/clock/advance', big);
    expect(answer.status).toBe(413);
    expect(answer.json.error.code).toBe('BODY_TOO_LARGE');
    // Sent without a Content-Length (chunked), it is cut off while reading.
    const chunked = await rawRequest((await start()).server.port, 'POST', '/control/reset', { 'transfer-encoding': 'chunked' }, [
      Buffer.alloc(600_000, 0x20),
      Buffer.alloc(600_000, 0x20),
    ]);
    expect(chunked.status).toBe(413);
    expect((await call('GET', '/clock')).status).toBe(200);
  });

  it('keeps serving when a caller hangs up in the middle of a body', async () => {
    const { server, call } = await start();
    await new Promise<void>((resolve) => {
      const req = httpRequest({ port: server.port, method: 'POST', path: '/control/clock/advance', headers: { 'content-length': '1000' } });
      req.on('error', () => resolve());
      req.write('{"by": "1', () => setImmediate(() => req.destroy()));
      req.on('close', () => resolve());
    });
    expect((await call('GET', '/clock')).status).toBe(200);
  });

  it('answers an unexpected failure with a generic 500, without internals', async () => {
    const control = {
      clock: () => {
        throw new TypeError('Cannot read properties of undefined, at /srv/secret/path.js:1');
      },
    } as unknown as ControlApi;
    const logged: string[] = [];
    const answer = await invoke(createControlHandler({ control, log: (line) => logged.push(line) }), { url: '/control/clock' });
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body)).toEqual({
      error: { code: 'INTERNAL', message: 'Internal error in the control API; the server keeps running' },
    });
    expect(logged).toEqual([
      'control: unexpected error in GET /control/clock: TypeError: Cannot read properties of undefined, at /srv/secret/path.js:1',
    ]);
  });

  it('refuses an instant beyond the range of dates with 400, and the clock stays usable', async () => {
    const { call } = await start();
    expect((await call('POST', '/clock', { to: 1e16 })).status).toBe(400);
    expect((await call('POST', '/clock/advance', { by: '9'.repeat(400) })).status).toBe(400);
    expect((await call('POST', '/clock', { to: 8.64e15 })).status).toBe(200);
    expect((await call('GET', '/clock')).status).toBe(200);
  });
});

describe('who may call', () => {
  it('with a control token: 401 without it or with a wrong one, 200 with it', async () => {
    const { call } = await start({ controlToken: 's3cret-token' });
    const none = await call('GET', '/clock');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(none.json.error).toEqual({ code: 'UNAUTHORIZED', message: expect.stringContaining('Authorization: Bearer <token>') });
    // Each wrong header gets the text of its own fix: a wrong token is not a missing one.
    const wrongToken =
      "The control token sent is not this server's: send the token it was started with (serve --control-token, or RRDK_CONTROL_TOKEN)";
    const wrongForm = 'The Authorization header must be "Bearer <token>" (the control token given to the server)';
    for (const [authorization, message] of [
      ['Bearer wrong', wrongToken],
      ['Bearer s3cret-toke', wrongToken],
      ['Bearer s3cret-token-and-more', wrongToken],
      ['s3cret-token', wrongForm],
      ['Basic czNjcmV0LXRva2Vu', wrongForm],
      ['Bearer ', wrongForm],
      ['  ', none.json.error.message],
    ]) {
      const refused = await call('GET', '/clock', undefined, { authorization: authorization! });
      expect(refused.status, authorization).toBe(401);
      expect(refused.json.error, authorization).toEqual({ code: 'UNAUTHORIZED', message });
    }
    expect((await call('GET', '/clock', undefined, { authorization: 'Bearer s3cret-token' })).status).toBe(200);
    expect((await call('POST', '/clock/advance', { by: '1m' }, { authorization: 'bearer s3cret-token' })).status).toBe(200);
    // Unauthenticated callers learn nothing, not even which paths exist.
    expect((await call('GET', '/nope')).status).toBe(401);
  });

  it('refuses an empty control token', async () => {
    await expect(createMockServer({ port: 0, controlToken: '' })).rejects.toThrow('controlToken must be a non-empty string');
  });

  it('tells loopback addresses apart', () => {
    for (const address of ['127.0.0.1', '127.1.2.3', '127.255.255.255', '::1', '::ffff:127.0.0.1', '::ffff:127.9.9.9', '0:0:0:0:0:0:0:1']) {
      expect(isLoopbackAddress(address), address).toBe(true);
    }
    for (const address of [
      '10.1.2.3',
      '128.0.0.1',
      '126.255.255.255',
      '::2',
      '::ffff:10.0.0.1',
      'fe80::1',
      '0.0.0.0',
      'localhost',
      '',
      'garbage',
      undefined,
    ]) {
      expect(isLoopbackAddress(address), String(address)).toBe(false);
    }
  });

  it('without a token, refuses non-loopback callers with 403 naming --control-token; with one, serves them', async () => {
    const server = (await start()).server;
    const open = createControlHandler({ control: server.control });
    const refused = await invoke(open, { url: '/control/clock', remoteAddress: '10.1.2.3' });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body).error).toEqual({ code: 'FORBIDDEN', message: expect.stringContaining('--control-token') });
    expect((await invoke(open, { url: '/control/clock', remoteAddress: '127.0.0.1' })).status).toBe(200);
    expect((await invoke(open, { url: '/control/clock', remoteAddress: '::ffff:127.0.0.1' })).status).toBe(200);

    const guarded = createControlHandler({ control: server.control, token: 'T' });
    expect((await invoke(guarded, { url: '/control/clock', remoteAddress: '10.1.2.3' })).status).toBe(401);
    expect(
      (await invoke(guarded, { url: '/control/clock', remoteAddress: '10.1.2.3', headers: { authorization: 'Bearer T' } })).status,
    ).toBe(200);
  });

  it('without a token, refuses requests from web pages (a foreign Origin or Host), even over loopback', async () => {
    const { server } = await start();
    const post = (headers: Record<string, string>) => rawRequest(server.port, 'POST', '/control/reset', headers);
    expect((await post({ origin: 'https://evil.example' })).status).toBe(403);
    expect((await post({ origin: 'null' })).status).toBe(403);
    expect((await post({ host: 'rebound.evil.example:5565' })).status).toBe(403);
    expect((await post({ host: 'evil.example@127.0.0.1' })).status).toBe(403);
    expect((await post({ host: 'LOCALHOST' })).status).toBe(200);
    expect((await post({ host: '[::ffff:127.0.0.1]:1' })).status).toBe(200);
    expect((await post({ origin: `http://localhost:${server.port}` })).status).toBe(200);
    // A page on another local port is another origin (a dev server, another tool): refused too.
    expect((await post({ origin: `http://127.0.0.1:${server.port === 65535 ? 1 : server.port + 1}` })).status).toBe(403);
    expect((await post({ origin: 'http://localhost' })).status).toBe(403);
    expect((await post({ host: `localhost:${server.port}` })).status).toBe(200);
    expect((await post({ host: `[::1]:${server.port}` })).status).toBe(200);
    // With a token, the token is the gate (browsers cannot send it cross-site).
    const guarded = (await start({ controlToken: 'T' })).server;
    const answer = await rawRequest(guarded.port, 'POST', '/control/reset', { origin: 'https://tool.example', authorization: 'Bearer T' });
    expect(answer.status).toBe(200);
  });

  it('leaves other paths alone: the WebSocket 404 answers outside /control and the dashboard (/, /index.html, /assets/)', async () => {
    const { server } = await start();
    for (const path of ['/controls', '/task', '/Control/clock', '/index.htm', '/asset/app.js', '/favicon.ico']) {
      const answer = await rawRequest(server.port, 'GET', path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).toContain('Connect a WebSocket to /task/service');
    }
  });
});

describe('hostile input', () => {
  it('never crashes the server: random methods, paths and bodies get 2xx or 4xx, and DAP keeps working', async () => {
    const { server, connect } = await start();
    const client = await connect();
    await client.deploy.add({ project_id: 'p' }, { schedule: '*/15 * * * *' });
    const word = fc.constantFrom(
      'clock',
      'advance',
      'users',
      'keys',
      'revoke',
      'restore',
      'deployments',
      'local',
      'p',
      'pause',
      'resume',
      'trigger',
      'runs',
      'run-1',
      'end',
      'ticks',
      'run-behavior',
      'reset',
      '',
      '..',
      '%2F',
      '%E0',
      '%00',
      '?userId=local',
      '?x=%ZZ',
    );
    const segment = fc.oneof(word, fc.string().map(encodeURIComponent));
    const path = fc.array(segment, { maxLength: 5 }).map((parts) => `/control/${parts.join('/')}`);
    // Clock inputs stay within the range of dates (see the skipped test above).
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.integer({ min: -1e9, max: 1e9 }),
      fc.constantFrom(
        '15m',
        '1h',
        '0',
        '-1m',
        '1e400',
        'NaN',
        START,
        '2020-01-01T00:00:00Z',
        'MYAPIKEY',
        'local',
        'p',
        'failed',
        'true',
        null,
        true,
        false,
      ),
    );
    const fields = fc.record(
      {
        by: value,
        to: value,
        next: value,
        key: value,
        outcome: value,
        duration: value,
        hold: value,
        userId: value,
        projectId: value,
        userId2: value,
      },
      { requiredKeys: [] },
    );
    const body = fc.oneof(
      fields.map((f) => JSON.stringify(f)),
      fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
      fc.string(),
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
      fc.constantFrom(
        '[',
        '{"a":',
        '{"__proto__": {"by": "1h"}, "by": "1m"}',
        '{"constructor": {"prototype": {"x": 1}}}',
        '\u0000',
        '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]',
      ),
    );
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD');
    await fc.assert(
      fc.asyncProperty(method, path, fc.option(body, { nil: undefined }), async (m, p, b) => {
        const answer = await rawRequest(server.port, m, p, {}, b === undefined || m === 'GET' || m === 'HEAD' ? [] : [b]);
        expect(answer.status, `${m} ${p}`).toBeGreaterThanOrEqual(200);
        expect(answer.status, `${m} ${p}: ${answer.body}`).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
    // Still serving DAP and control after all that.
    const fresh = await connect();
    await expect(fresh.deploy.list()).resolves.toBeInstanceOf(Array);
    expect((await rawRequest(server.port, 'GET', '/control/clock')).status).toBe(200);
  });
});

/** A request with exactly the given headers and body chunks (fetch would add or forbid some). */
function rawRequest(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  chunks: ReadonlyArray<string | Buffer> = [],
): Promise<{ status: number; body: string }> {
  // Frame any body with a Content-Length: Node's client sends a DELETE's or OPTIONS' body unframed.
  const length = chunks.reduce((sum, c) => sum + Buffer.byteLength(c), 0);
  const framed = chunks.length > 0 && !('transfer-encoding' in headers) ? { 'content-length': String(length), ...headers } : headers;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ port, host: '127.0.0.1', method, path, headers: framed }, (res: IncomingMessage) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    for (const chunk of chunks) req.write(chunk);
    req.end();
  });
}

/** Calls a handler directly with a fake request from `remoteAddress` and collects the answer. */
function invoke(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  {
    url,
    method = 'GET',
    remoteAddress = '127.0.0.1',
    headers = {},
  }: { url: string; method?: string; remoteAddress?: string; headers?: Record<string, string> },
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve) => {
    let status = 0;
    let sent: Record<string, string> = {};
    const response = {
      headersSent: false,
      destroyed: false,
      on: () => response,
      writeHead(code: number, h: Record<string, string>) {
        status = code;
        sent = h;
        response.headersSent = true;
        return response;
      },
      end: (body: string) => resolve({ status, headers: sent, body }),
    };
    const request = { method, url, headers: { host: '127.0.0.1:5565', ...headers }, socket: { remoteAddress } };
    handler(request as unknown as IncomingMessage, response as unknown as ServerResponse);
  });
}
