/**
 * The limits through the WebSocket door: each refuses with a clear error or close, and what is
 * stored (and the connections already open) stay as they were.
 */
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMockServer, type MockServer, type MockServerOptions } from '../../src/index.js';
import { RawClient } from '../helpers/raw-client.js';

let server: MockServer | undefined;
const clients: RawClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.close();
  await server?.close();
  server = undefined;
});

async function start(options: MockServerOptions): Promise<MockServer> {
  server = await createMockServer({ port: 0, ...options });
  return server;
}

async function open(url: string): Promise<RawClient> {
  const client = await RawClient.open(url);
  clients.push(client);
  return client;
}

async function authed(url: string, key = 'MYAPIKEY'): Promise<RawClient> {
  const client = await RawClient.authed(url, key);
  clients.push(client);
  return client;
}

/** A connection the server refuses right after the handshake: its close code and reason. */
async function refused(url: string): Promise<{ code: number; reason: string }> {
  const client = await open(url);
  // An admitted connection answers the probe; a refused one closes without a word.
  const outcome = await Promise.race([
    client.closed,
    client.request('rrext_public_probe').then(
      () => 'admitted' as const,
      () => client.closed,
    ),
  ]);
  if (outcome === 'admitted') throw new Error('the connection was admitted, not refused');
  return outcome;
}

describe('connection limits', () => {
  it('closes the connection past maxConnections with 1013 and a reason naming the limit; the open ones keep working', async () => {
    const { url } = await start({ limits: { maxConnections: 3 } });
    const held = [await authed(url), await authed(url), await open(url)];
    expect(await refused(url)).toEqual({ code: 1013, reason: 'Too many connections (server limit 3); try again later' });
    for (const client of held.slice(0, 2)) expect((await client.request('rrext_ping')).success).toBe(true);
    expect((await held[2]!.request('rrext_public_probe')).success).toBe(true);
    // A place frees when a connection closes.
    held[0]!.close();
    await held[0]!.closed;
    await waitFor(() => server!.stats().connections === 2);
    expect((await (await authed(url)).request('rrext_ping')).success).toBe(true);
  });

  it('lets go of refused connections whose clients never answer the close, so they cannot hold sockets past the limit', async () => {
    const { port, url } = await start({ limits: { maxConnections: 1 } });
    await authed(url);
    // Raw handshakes that read nothing and never send a close frame back.
    const sockets = await Promise.all(Array.from({ length: 20 }, () => silentHandshake(port)));
    expect(server!.stats().connections).toBeGreaterThan(1);
    await waitFor(() => server!.stats().connections === 1);
    await waitFor(() => sockets.every((socket) => socket.destroyed));
  });

  it('closes an unauthenticated connection past maxUnauthenticatedPerIp with 1008; authenticated ones do not count', async () => {
    const { url } = await start({ limits: { maxUnauthenticatedPerIp: 2 } });
    const waiting = [await open(url), await open(url)];
    expect(await refused(url)).toEqual({
      code: 1008,
      reason: 'Too many unauthenticated connections from your address (limit 2); authenticate or close some',
    });
    // Authenticating one frees its place among the unauthenticated...
    expect((await waiting[0]!.request('auth', { auth: 'MYAPIKEY' })).success).toBe(true);
    const third = await open(url);
    expect((await third.request('rrext_public_probe')).success).toBe(true);
    expect(await refused(url)).toMatchObject({ code: 1008 });
    // ...and any number of authenticated connections may be open: with one place free (a new
    // connection is unauthenticated until its auth), they come in one after another.
    waiting[1]!.close();
    await waiting[1]!.closed;
    await waitFor(() => server!.stats().connections === 2);
    for (let i = 0; i < 5; i++) expect((await (await authed(url)).request('rrext_ping')).success).toBe(true);
    // deauth makes a connection unauthenticated again: it counts again.
    expect((await third.request('auth', { auth: 'MYAPIKEY' })).success).toBe(true);
    expect((await third.request('deauth')).success).toBe(true);
    expect((await (await open(url)).request('rrext_public_probe')).success).toBe(true);
    expect(await refused(url)).toMatchObject({ code: 1008 });
  });

  it('counts the legacy maxFrameBytes option when limits.maxFrameBytes is not given', async () => {
    const { url } = await start({ maxFrameBytes: 1000 });
    const client = await authed(url);
    client.sendRaw(JSON.stringify({ type: 'request', seq: 1, command: 'rrext_ping', arguments: { pad: 'x'.repeat(900) } }));
    expect((await client.responseTo(1)).success).toBe(true);
    client.sendRaw('x'.repeat(1001));
    expect((await client.closed).code).toBe(1009);
  });

  it('takes limits.maxFrameBytes over the legacy option when both are given', async () => {
    const { url } = await start({ maxFrameBytes: 1000, limits: { maxFrameBytes: 2000 } });
    const client = await authed(url);
    client.sendRaw(JSON.stringify({ type: 'request', seq: 1, command: 'rrext_ping', arguments: { pad: 'x'.repeat(1500) } }));
    expect((await client.responseTo(1)).success).toBe(true);
    client.sendRaw('x'.repeat(2001));
    expect((await client.closed).code).toBe(1009);
  });
});

describe('request limits through the WebSocket door', () => {
  it('refuses an oversized frame with 1009 and loses nothing: stored deployments and other connections stay', async () => {
    const { url } = await start({ limits: { maxFrameBytes: 4096 } });
    const alice = await authed(url);
    const other = await authed(url, 'ALICEKEY');
    expect((await alice.request('rrext_deploy_add', { pipeline: { project_id: 'kept' } })).success).toBe(true);
    alice.sendRaw(
      JSON.stringify({
        type: 'request',
        seq: 99,
        command: 'rrext_deploy_add',
        arguments: { pipeline: { project_id: 'big', pad: 'x'.repeat(5000) } },
      }),
    );
    expect((await alice.closed).code).toBe(1009);
    expect(alice.received.some((text) => text.includes('"request_seq":99'))).toBe(false);
    expect((await other.request('rrext_ping')).success).toBe(true);
    const again = await authed(url);
    expect(
      (await again.request('rrext_deploy_list')).body.deployments.map((r: { pipeline: { project_id: string } }) => r.pipeline.project_id),
    ).toEqual(['kept']);
  });

  it('answers an oversized pipeline, an over-long id and one deployment too many with failures that change nothing', async () => {
    const { url } = await start({ limits: { maxPipelineBytes: 300, maxProjectIdLength: 20, maxDeploymentsPerUser: 2 } });
    const client = await authed(url);
    const add = (pipeline: object) => client.request('rrext_deploy_add', { pipeline });
    expect((await add({ project_id: 'a' })).success).toBe(true);
    const before = (await client.request('rrext_deploy_status', { projectId: 'a' })).body;

    expect(await add({ project_id: 'b', pad: 'x'.repeat(400) })).toMatchObject({
      success: false,
      message: "pipeline is too large: its JSON is over 300 bytes (the server's limit)",
    });
    expect(await client.request('rrext_deploy_update', { projectId: 'a', pipeline: { pad: 'x'.repeat(400) } })).toMatchObject({
      success: false,
      message: "pipeline is too large: its JSON is over 300 bytes (the server's limit)",
    });
    expect(await add({ project_id: 'x'.repeat(21) })).toMatchObject({
      success: false,
      message: "project_id is too long: over 20 characters (the server's limit)",
    });
    expect((await add({ project_id: 'b' })).success).toBe(true);
    expect(await add({ project_id: 'c' })).toMatchObject({
      success: false,
      message: 'Too many deployments: you have 2 and the limit is 2 per user. Remove one before adding another',
    });

    // Nothing refused was stored or changed, and the connection stays open.
    expect((await client.request('rrext_deploy_status', { projectId: 'a' })).body).toEqual(before);
    expect(
      (await client.request('rrext_deploy_list')).body.deployments.map((r: { pipeline: { project_id: string } }) => r.pipeline.project_id),
    ).toEqual(['a', 'b']);
    expect(client.isOpen).toBe(true);
  });
});

describe('limits options', () => {
  it('refuses a bad limit when the server is created, naming it', async () => {
    await expect(createMockServer({ port: 0, limits: { maxConnections: 0 } })).rejects.toThrow(
      'limits.maxConnections must be a positive whole number, got 0',
    );
  });

  it('are exposed with their defaults for callers that build on them', async () => {
    const { DEFAULT_LIMITS } = await import('../../src/index.js');
    expect(DEFAULT_LIMITS.maxConnections).toBe(1024);
    expect(Object.isFrozen(DEFAULT_LIMITS)).toBe(true);
  });
});

/** A WebSocket handshake over raw TCP, after which the client stays silent (it never answers a close). */
async function silentHandshake(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.write(
    'GET /task/service HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
  );
  await new Promise((resolve) => socket.once('data', resolve)); // the 101 (and maybe the close frame)
  return socket;
}

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
