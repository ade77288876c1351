/**
 * The reference client: URI handling, request framing, response matching by request_seq,
 * and behaviour when the server misbehaves (stub servers stand in for those cases).
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionClosedError, createMockServer, DapError, DeployClient, toServiceUrl } from '../../src/index.js';

describe('toServiceUrl', () => {
  it.each([
    ['localhost:5565', 'ws://localhost:5565/task/service'],
    ['localhost', 'ws://localhost:5565/task/service'],
    ['http://example.test', 'ws://example.test:5565/task/service'],
    ['https://example.test/some/path?q=1', 'wss://example.test:5565/task/service'],
    ['ws://127.0.0.1:9000/task/service', 'ws://127.0.0.1:9000/task/service'],
    ['ws://[::1]:7000', 'ws://[::1]:7000/task/service'],
    ['https://example.test:443', 'wss://example.test/task/service'],
    ['http://example.test:80/x', 'ws://example.test/task/service'],
    ['https://user@example.test:8443', 'wss://user@example.test:8443/task/service'],
  ])('%s -> %s', (uri, url) => {
    expect(toServiceUrl(uri)).toBe(url);
  });

  it('refuses other schemes with a clear message', () => {
    expect(() => toServiceUrl('ftp://host')).toThrow("Unsupported URI scheme 'ftp:'");
  });
});

type Handler = (socket: WebSocket, message: { seq: number; command: string; arguments?: unknown }) => void;
const stubs: WebSocketServer[] = [];
afterEach(async () => {
  for (const stub of stubs.splice(0)) {
    for (const socket of stub.clients) socket.terminate();
    await new Promise((resolve) => stub.close(resolve));
  }
});

/** A scripted DAP server: answers auth, records every request, and lets the test answer the rest. */
async function stubServer(handle: Handler) {
  const requests: Array<{ seq: number; command: string; arguments?: unknown; raw: string }> = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  stubs.push(wss);
  await new Promise((resolve) => wss.once('listening', resolve));
  wss.on('connection', (socket) =>
    socket.on('message', (data) => {
      const raw = data.toString();
      const message = JSON.parse(raw);
      requests.push({ ...message, raw });
      if (message.command === 'auth') reply(socket, message.seq, 'auth', { userToken: 'rrdk_stub', userId: 'u' });
      else handle(socket, message);
    }),
  );
  return { uri: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/task/service`, requests };
}

let serverSeq = 0;
function reply(socket: WebSocket, requestSeq: number, command: string, body: unknown) {
  socket.send(JSON.stringify({ type: 'response', seq: ++serverSeq, request_seq: requestSeq, command, success: true, body }));
}

describe('DeployClient framing (what it sends)', () => {
  it('sends exactly the documented requests, with no schedule key unless given', async () => {
    const stub = await stubServer((socket, m) => reply(socket, m.seq, m.command, {}));
    const client = new DeployClient({ uri: stub.uri, auth: 'K' });
    await client.connect();
    await client.deploy.add({ project_id: 'p' });
    await client.deploy.add({ project_id: 'p' }, { schedule: '@daily' });
    await client.deploy.update('p', { schedule: '@hourly' });
    await client.deploy.update('p', {});
    await client.deploy.status('p');
    await client.deploy.remove('p');
    await client.deploy.list();
    await client.disconnect();
    expect(stub.requests.map(({ seq, command, arguments: args }) => ({ seq, command, arguments: args }))).toEqual([
      { seq: 1, command: 'auth', arguments: { auth: 'K', clientName: 'rocketride-deploy-kit' } },
      { seq: 2, command: 'rrext_deploy_add', arguments: { pipeline: { project_id: 'p' } } },
      { seq: 3, command: 'rrext_deploy_add', arguments: { pipeline: { project_id: 'p' }, schedule: '@daily' } },
      { seq: 4, command: 'rrext_deploy_update', arguments: { projectId: 'p', schedule: '@hourly' } },
      { seq: 5, command: 'rrext_deploy_update', arguments: { projectId: 'p' } },
      { seq: 6, command: 'rrext_deploy_status', arguments: { projectId: 'p' } },
      { seq: 7, command: 'rrext_deploy_remove', arguments: { projectId: 'p' } },
      { seq: 8, command: 'rrext_deploy_list', arguments: undefined },
      { seq: 9, command: 'deauth', arguments: undefined },
    ]);
    for (const { raw } of stub.requests) expect(JSON.parse(raw).type).toBe('request');
  });
});

describe('DeployClient responses', () => {
  it('matches responses by request_seq even when the server answers out of order', async () => {
    const held: Array<{ seq: number; command: string; arguments?: any }> = [];
    let socketRef: WebSocket | undefined;
    const stub = await stubServer((socket, m) => {
      socketRef = socket;
      held.push(m);
      if (held.length === 3)
        for (const h of held.reverse()) reply(socket, h.seq, h.command, { pipeline: { project_id: h.arguments.projectId } });
    });
    const client = new DeployClient({ uri: stub.uri, auth: 'K' });
    await client.connect();
    const results = await Promise.all(['a', 'b', 'c'].map((id) => client.deploy.status(id)));
    expect(results.map((r) => r.pipeline.project_id)).toEqual(['a', 'b', 'c']);
    expect(socketRef).toBeDefined();
  });

  it('returns [] from list when the body has no deployments key, and the record as received', async () => {
    const stub = await stubServer((socket, m) =>
      reply(socket, m.seq, m.command, m.command === 'rrext_deploy_list' ? {} : { pipeline: { project_id: 'p' }, extra: 1 }),
    );
    const client = new DeployClient({ uri: stub.uri, auth: 'K' });
    await client.connect();
    expect(await client.deploy.list()).toEqual([]);
    expect(await client.deploy.status('p')).toEqual({ pipeline: { project_id: 'p' }, extra: 1 });
  });

  it('fails a pending call with ConnectionClosedError when the server closes under it', async () => {
    const stub = await stubServer((socket) => socket.close(1011, 'boom'));
    const client = new DeployClient({ uri: stub.uri, auth: 'K' });
    await client.connect();
    const error = await client.deploy.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionClosedError);
    expect(error).toMatchObject({ code: 1011, reason: 'boom' });
    await expect(client.deploy.list()).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('rejects connect() with the close code and reason of a server that refuses the connection after the handshake', async () => {
    const server = await createMockServer({ port: 0, limits: { maxConnections: 1 } });
    const holder = new DeployClient({ uri: server.url, auth: 'MYAPIKEY' });
    await holder.connect();
    // The refusal's close frame may arrive before or after the client sends its auth: both ways,
    // the caller must learn why, not a bare "not connected".
    for (let attempt = 0; attempt < 10; attempt++) {
      const error = await new DeployClient({ uri: server.url, auth: 'MYAPIKEY' }).connect().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConnectionClosedError);
      expect(error).toMatchObject({ code: 1013, reason: 'Too many connections (server limit 1); try again later' });
    }
    await holder.disconnect();
    await server.close();
  });

  it('disconnects even when the server never answers deauth', async () => {
    const stub = await stubServer(() => {});
    const client = new DeployClient({ uri: stub.uri, auth: 'K', disconnectTimeoutMs: 100 });
    await client.connect();
    await client.disconnect();
    expect(client.connected).toBe(false);
    expect(stub.requests.at(-1)?.command).toBe('deauth');
  });
});

describe('DeployClient against the mock server', () => {
  it('rejects connect() with the server’s message for a bad key', async () => {
    const server = await createMockServer({ port: 0 });
    const client = new DeployClient({ uri: server.url, auth: 'WRONG' });
    const error = await client.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DapError);
    expect((error as DapError).message).toBe('Invalid API key');
    await server.close();
  });

  it('reconnects with the issued userToken', async () => {
    const server = await createMockServer({ port: 0 });
    const first = new DeployClient({ uri: server.url, auth: 'MYAPIKEY' });
    const { userToken } = await first.connect();
    await first.deploy.add({ project_id: 'tok' });
    await first.disconnect();
    const second = new DeployClient({ uri: server.url, auth: userToken });
    expect((await second.connect()).userId).toBe('local');
    expect((await second.deploy.list()).map((r) => r.pipeline.project_id)).toEqual(['tok']);
    await second.disconnect();
    await server.close();
  });

  it('fails calls made after the server shut down', async () => {
    const server = await createMockServer({ port: 0 });
    const client = new DeployClient({ uri: server.url, auth: 'MYAPIKEY' });
    await client.connect();
    await server.close();
    await expect(client.deploy.list()).rejects.toBeInstanceOf(ConnectionClosedError);
  });
});
