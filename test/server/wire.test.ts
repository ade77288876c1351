/**
 * WIRE-1..9 over real WebSocket connections to a real server on a free port.
 */
import { request as httpGet } from 'node:http';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMockServer, MAX_PIPELINE_DEPTH, REPLY_BACKLOG_LIMIT, type MockServer } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';

let server: MockServer;
beforeAll(async () => {
  server = await createMockServer({ port: 0, maxFrameBytes: 1024 * 1024 });
});
afterAll(() => server.close());

const SDK_AUTH =
  '{"type":"request","seq":1,"command":"auth","arguments":{"auth":"MYAPIKEY","clientName":"TypeScript SDK","clientVersion":"1.1.0"}}';

describe('transport (WIRE-1)', () => {
  it('serves DAP only at /task/service', async () => {
    expect(server.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/task\/service$/);
    const wrong = new WebSocket(server.url.replace('/task/service', '/other'));
    const status = await new Promise((resolve) => wrong.on('unexpected-response', (_req, res) => resolve(res.statusCode)));
    expect(status).toBe(404);
  });

  it('answers plain HTTP with a 404 that names the endpoint', async () => {
    const { port } = server;
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      // `/` is the dashboard's page (dashboard-http.ts): any other path names the endpoint.
      httpGet({ host: '127.0.0.1', port, path: '/task' }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(404);
    expect(JSON.parse(body).error).toContain('/task/service');
  });
});

describe('envelopes and seq (WIRE-2)', () => {
  it('answers the TypeScript SDK’s exact auth frame with a single-line response envelope', async () => {
    const client = await RawClient.open(server.url);
    client.sendRaw(SDK_AUTH);
    await client.waitForMessages(1);
    const text = client.received[0]!;
    expect(text).not.toContain('\n');
    const response = JSON.parse(text);
    expect(Object.keys(response)).toEqual(['type', 'seq', 'request_seq', 'command', 'success', 'body']);
    expect(response).toMatchObject({ type: 'response', seq: 1, request_seq: 1, command: 'auth', success: true });
    expect(typeof response.request_seq).toBe('number');
    expect(response.body).toMatchObject({ userId: 'local', displayName: 'RocketRide Developer', defaultTeam: 'local' });
    expect(response.body.userToken).toMatch(/^rrdk_/);
    client.close();
  });

  it('counts seq per connection, one per message sent, and echoes request_seq and command', async () => {
    const a = await RawClient.authed(server.url);
    const b = await RawClient.authed(server.url);
    const replies = [await a.request('rrext_ping', undefined, 100), await a.request('nope', {}, 7), await a.request('rrext_ping', {}, 7)];
    expect(replies.map((r) => [r.seq, r.request_seq, r.command, r.success])).toEqual([
      [2, 100, 'rrext_ping', true],
      [3, 7, 'nope', false],
      [4, 7, 'rrext_ping', true],
    ]);
    expect((await b.request('rrext_ping')).seq).toBe(2);
    a.close();
    b.close();
  });

  it('sends failures with a message and no body, successes with a body', async () => {
    const client = await RawClient.authed(server.url);
    const failed = await client.request('rrext_deploy_status', { projectId: 'missing' });
    expect(failed).toEqual({
      type: 'response',
      seq: failed.seq,
      request_seq: failed.request_seq,
      command: 'rrext_deploy_status',
      success: false,
      message: 'Deployment not found: missing',
    });
    const removedLike = await client.request('deauth');
    expect(removedLike.body).toEqual({});
    client.close();
  });

  it('keeps every reply single-line, even when stored strings hold newlines', async () => {
    const client = await RawClient.authed(server.url);
    await client.request('rrext_deploy_add', { pipeline: { project_id: 'nl\nid', text: 'a\nb\r\n\u2028' } });
    await client.request('rrext_deploy_list', {});
    await client.request('rrext_deploy_status', { projectId: 'nl\nid' });
    expect(client.received.length).toBe(4);
    for (const text of client.received) expect(text).not.toMatch(/[\n\r]/);
    await client.request('rrext_deploy_remove', { projectId: 'nl\nid' });
    client.close();
  });
});

describe('authentication (WIRE-3..6)', () => {
  it.each(['rrext_ping', 'deauth', 'rrext_deploy_list', 'rrext_anything', 'bogus'])(
    'refuses %s before auth with "Not authenticated", then closes',
    async (command) => {
      const client = await RawClient.open(server.url);
      const reply = await client.request(command, {});
      expect(reply).toMatchObject({ success: false, message: 'Not authenticated', command });
      expect((await client.closed).code).toBe(1000);
    },
  );

  it('serves rrext_public_probe before and after auth', async () => {
    const client = await RawClient.open(server.url);
    const before = await client.request('rrext_public_probe');
    expect(before.success).toBe(true);
    expect(before.body).toMatchObject({ platform: 'linux', apps: [] });
    expect(typeof before.body.version).toBe('string');
    expect(Array.isArray(before.body.capabilities)).toBe(true);
    expect((await client.request('auth', { auth: 'MYAPIKEY' })).success).toBe(true);
    expect((await client.request('rrext_public_probe', {})).success).toBe(true);
    client.close();
  });

  it('answers an unknown rrext_public_ command with Invalid command and stays open', async () => {
    const client = await RawClient.open(server.url);
    expect(await client.request('rrext_public_nope')).toMatchObject({ success: false, message: 'Invalid command: rrext_public_nope' });
    expect((await client.request('rrext_public_probe')).success).toBe(true);
    client.close();
  });

  it.each([
    [{ auth: '' }, 'No authorization provided'],
    [{}, 'No authorization provided'],
    [{ auth: 'Bearer ' }, 'No authorization provided'],
    [{ auth: 17 }, 'No authorization provided'],
    [{ auth: 'WRONGKEY' }, 'Invalid API key'],
    [{ auth: 'Bearer WRONGKEY' }, 'Invalid API key'],
  ])('refuses %j with "%s", then closes with 1000', async (args, message) => {
    const client = await RawClient.open(server.url);
    expect(await client.request('auth', args)).toMatchObject({ success: false, message, command: 'auth' });
    expect((await client.closed).code).toBe(1000);
  });

  it('accepts a Bearer-prefixed key and the issued userToken', async () => {
    const first = await RawClient.open(server.url);
    const reply = await first.request('auth', { auth: 'Bearer MYAPIKEY' });
    expect(reply.success).toBe(true);
    const second = await RawClient.open(server.url);
    const again = await second.request('auth', { auth: reply.body.userToken });
    expect(again.body.userId).toBe('local');
    expect(again.body.userToken).not.toBe(reply.body.userToken);
    first.close();
    second.close();
  });

  it('allows five auth requests per connection; the sixth fails and closes (WIRE-5)', async () => {
    const client = await RawClient.open(server.url);
    for (let i = 0; i < 5; i++) expect((await client.request('auth', { auth: 'MYAPIKEY' })).success).toBe(true);
    expect(await client.request('auth', { auth: 'MYAPIKEY' })).toMatchObject({
      success: false,
      message: 'Too many authentication attempts',
    });
    expect((await client.closed).code).toBe(1000);
  });

  it('deauth answers {} and returns the connection to the gate (WIRE-6)', async () => {
    const client = await RawClient.authed(server.url);
    expect(await client.request('deauth')).toMatchObject({ success: true, body: {} });
    expect(client.isOpen).toBe(true);
    expect(await client.request('rrext_ping')).toMatchObject({ success: false, message: 'Not authenticated' });
    expect((await client.closed).code).toBe(1000);
  });

  it('keeps counting auth attempts across deauth (the cap is per connection)', async () => {
    const client = await RawClient.open(server.url);
    for (let i = 0; i < 5; i++) {
      expect((await client.request('auth', { auth: 'MYAPIKEY' })).success).toBe(true);
      expect((await client.request('deauth')).success).toBe(true);
    }
    expect(await client.request('auth', { auth: 'MYAPIKEY' })).toMatchObject({ message: 'Too many authentication attempts' });
    expect((await client.closed).code).toBe(1000);
  });

  it.each([
    '{"type":"request","seq":6,"command":"rrext_deploy_list","arguments":[1]}',
    '{"seq":6,"command":"rrext_ping"}',
    '{"type":"request","seq":6}',
  ])('answers the malformed request %s before auth with "Not authenticated", then closes', async (frame) => {
    const client = await RawClient.open(server.url);
    client.sendRaw(frame);
    expect(await client.responseTo(6)).toMatchObject({ success: false, message: 'Not authenticated' });
    expect((await client.closed).code).toBe(1000);
  });

  it('answers a malformed public or auth request before auth without closing', async () => {
    const client = await RawClient.open(server.url);
    client.sendRaw('{"type":"request","seq":8,"command":"auth","arguments":"MYAPIKEY"}');
    expect(await client.responseTo(8)).toMatchObject({ success: false, message: "Invalid request: 'arguments' must be an object" });
    expect((await client.request('rrext_public_probe')).success).toBe(true);
    client.close();
  });

  it('re-auth on an open connection replaces the identity', async () => {
    const client = await RawClient.authed(server.url, 'MYAPIKEY');
    await client.request('rrext_deploy_add', { pipeline: { project_id: 'reauth' } });
    expect((await client.request('auth', { auth: 'ALICEKEY' })).body.userId).toBe('alice');
    expect((await client.request('rrext_deploy_list')).body).toEqual({ deployments: [] });
    await client.request('auth', { auth: 'MYAPIKEY' });
    expect((await client.request('rrext_deploy_remove', { projectId: 'reauth' })).success).toBe(true);
    client.close();
  });
});

describe('other commands (WIRE-7, WIRE-8)', () => {
  it('answers rrext_ping with {pong: true} once authenticated', async () => {
    const client = await RawClient.authed(server.url);
    expect(await client.request('rrext_ping')).toMatchObject({ success: true, body: { pong: true } });
    client.close();
  });

  it.each(['rrext_deploy_nope', 'execute', 'rrext_ping2'])('answers unknown command %s with its name and stays open', async (command) => {
    const client = await RawClient.authed(server.url);
    expect(await client.request(command, {})).toMatchObject({ success: false, message: `Invalid command: ${command}` });
    expect((await client.request('rrext_ping')).success).toBe(true);
    client.close();
  });
});

describe('binary frames (WIRE-1)', () => {
  it('reads the JSON header before \\n and ignores the payload for deploy commands', async () => {
    const client = await RawClient.authed(server.url);
    const header = JSON.stringify({
      type: 'request',
      seq: 50,
      command: 'rrext_deploy_add',
      arguments: { pipeline: { project_id: 'bin' } },
    });
    client.sendRaw(Buffer.concat([Buffer.from(header), Buffer.from([0x0a, 0x00, 0xff, 0x0a, 0x7b])]));
    const reply = await client.responseTo(50);
    expect(reply).toMatchObject({ success: true, body: { pipeline: { project_id: 'bin' } } });
    expect(reply.body.pipeline).not.toHaveProperty('data');
    await client.request('rrext_deploy_remove', { projectId: 'bin' });
    client.close();
  });

  it('treats a binary frame without \\n as plain JSON', async () => {
    const client = await RawClient.authed(server.url);
    client.sendRaw(Buffer.from(JSON.stringify({ type: 'request', seq: 60, command: 'rrext_ping' })));
    expect(await client.responseTo(60)).toMatchObject({ success: true, body: { pong: true } });
    client.close();
  });
});

describe('malformed frames (WIRE-9)', () => {
  const dropped: Array<[string, string | Buffer]> = [
    ['non-JSON text', 'hello'],
    ['truncated JSON', '{"type":"request","seq":'],
    ['an array', '[1,2,3]'],
    ['a number', '42'],
    ['null', 'null'],
    ['a string', '"auth"'],
    ['an object without seq', '{"type":"request","command":"rrext_ping"}'],
    ['a string seq', '{"type":"request","seq":"9","command":"rrext_ping"}'],
    ['a binary frame with a bad header', Buffer.from('{nope\n{"type":"request","seq":1,"command":"rrext_ping"}')],
    ['random bytes', Buffer.from([0xff, 0xfe, 0x00, 0x81])],
    ['deep nesting', '['.repeat(200_000)],
  ];

  it.each(dropped)('drops %s without a reply and keeps serving', async (_name, frame) => {
    const client = await RawClient.authed(server.url);
    client.sendRaw(frame);
    const reply = await client.request('rrext_ping', undefined, 99);
    expect(reply).toMatchObject({ success: true, seq: 2, request_seq: 99 });
    expect(client.received).toHaveLength(2);
    client.close();
  });

  it.each([
    ['{"type":"request","seq":5}', '', "Invalid request: 'command' must be a non-empty string"],
    ['{"type":"request","seq":5,"command":7}', '', "Invalid request: 'command' must be a non-empty string"],
    ['{"seq":5,"command":"rrext_ping"}', 'rrext_ping', `Invalid request: 'type' must be "request"`],
    ['{"type":"response","seq":5,"command":"rrext_ping"}', 'rrext_ping', `Invalid request: 'type' must be "request"`],
    ['{"type":"request","seq":5,"command":"rrext_ping","arguments":[1]}', 'rrext_ping', "Invalid request: 'arguments' must be an object"],
    ['{"type":"request","seq":5,"command":"rrext_ping","arguments":"x"}', 'rrext_ping', "Invalid request: 'arguments' must be an object"],
  ])('answers %s (seq readable) with a failed response', async (frame, command, message) => {
    const client = await RawClient.authed(server.url);
    client.sendRaw(frame);
    expect(await client.responseTo(5)).toMatchObject({ success: false, request_seq: 5, command, message });
    expect((await client.request('rrext_ping')).success).toBe(true);
    client.close();
  });

  it.each([
    [{ projectId: 42 }, 'projectId is required'],
    [{ projectId: null }, 'projectId is required'],
    [{ projectId: ['p'] }, 'projectId is required'],
  ])('answers wrong argument types %j with a clear error', async (args, message) => {
    const client = await RawClient.authed(server.url);
    expect(await client.request('rrext_deploy_status', args)).toMatchObject({ success: false, message });
    client.close();
  });

  it('refuses a pipeline nested past the limit with a clear error, and list keeps working', async () => {
    const client = await RawClient.authed(server.url);
    const depth = 30_000;
    const pipeline = `{"project_id":"deep","x":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    client.sendRaw(`{"type":"request","seq":40,"command":"rrext_deploy_add","arguments":{"pipeline":${pipeline}}}`);
    expect(await client.responseTo(40)).toMatchObject({
      success: false,
      message: `pipeline is nested too deeply (more than ${MAX_PIPELINE_DEPTH} levels)`,
    });
    expect(await client.request('rrext_deploy_list')).toMatchObject({ success: true, body: { deployments: [] } });
    client.close();
  });

  it('drops text frames that are not UTF-8 JSON and keeps the connection open', async () => {
    const client = await RawClient.authed(server.url);
    client.socket.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await client.request('rrext_ping', undefined, 77)).toMatchObject({ success: true, seq: 2, request_seq: 77 });
    client.close();
  });

  it('echoes float and negative seqs as numbers, and drops an infinite one', async () => {
    const client = await RawClient.authed(server.url);
    client.sendRaw('{"type":"request","seq":1e400,"command":"rrext_ping"}');
    expect(await client.request('rrext_ping', undefined, -3.5)).toMatchObject({ success: true, request_seq: -3.5, seq: 2 });
    expect(client.received.at(-1)).toContain('"request_seq":-3.5,');
    client.close();
  });

  it('stops reading from a client that does not read its replies, and loses none of them', async () => {
    const slow = await RawClient.authed(server.url);
    const big = { project_id: 'big', blob: 'x'.repeat(512 * 1024) };
    expect((await slow.request('rrext_deploy_add', { pipeline: big })).success).toBe(true);
    const bystander = await RawClient.authed(server.url, 'ALICEKEY');

    // The client stops reading: the server must not buffer all 64 half-megabyte replies.
    (slow.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    const before = slow.received.length;
    for (let seq = 100; seq < 164; seq++)
      slow.sendRaw(JSON.stringify({ type: 'request', seq, command: 'rrext_deploy_status', arguments: { projectId: 'big' } }));
    expect((await bystander.request('rrext_ping')).success).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.stats().bufferedBytes).toBeLessThan(REPLY_BACKLOG_LIMIT + 2 * JSON.stringify(big).length);

    (slow.socket as unknown as { _socket: { resume(): void } })._socket.resume();
    await slow.waitForMessages(before + 64);
    const replies = slow.received.slice(before).map((t) => JSON.parse(t));
    expect(replies.map((r) => r.request_seq)).toEqual(Array.from({ length: 64 }, (_, i) => 100 + i));
    expect(replies.every((r) => r.success && r.body.pipeline.blob.length === 512 * 1024)).toBe(true);
    await slow.request('rrext_deploy_remove', { projectId: 'big' });
    slow.close();
    bystander.close();
  });

  it('closes an oversized frame’s connection with 1009 and leaves others working', async () => {
    const victim = await RawClient.authed(server.url);
    const bystander = await RawClient.authed(server.url);
    victim.sendRaw(JSON.stringify({ type: 'request', seq: 2, command: 'rrext_ping', arguments: { pad: 'x'.repeat(1100 * 1024) } }));
    expect((await victim.closed).code).toBe(1009);
    expect((await bystander.request('rrext_ping')).success).toBe(true);
    bystander.close();
  });

  it('never lets garbage on one connection disturb another', async () => {
    const noisy = await RawClient.authed(server.url);
    const quiet = await RawClient.authed(server.url, 'ALICEKEY');
    await quiet.request('rrext_deploy_add', { pipeline: { project_id: 'steady' }, schedule: '@daily' });
    for (let i = 0; i < 50; i++) {
      noisy.sendRaw(i % 2 ? Buffer.from([i, 0x0a, 0xff]) : `{"seq":${i},"type":"request","command":${i}}`);
      const status = await quiet.request('rrext_deploy_status', { projectId: 'steady' });
      expect(status).toMatchObject({ success: true, body: { schedule: '@daily' } });
    }
    expect(noisy.isOpen).toBe(true);
    await quiet.request('rrext_deploy_remove', { projectId: 'steady' });
    noisy.close();
    quiet.close();
  });
});
