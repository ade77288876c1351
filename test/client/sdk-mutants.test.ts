/**
 * The SDK mutants: each is loadable by `path#export`, and differs from the reference client in
 * exactly its catalogued way (a stub server shows what it sends, and answers as a test needs).
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { afterEach, describe, expect, it } from 'vitest';
import { startModuleDriver } from '../../conformance/sdk/module-driver.js';
import * as index from '../../src/index.js';
import { DeployClient } from '../../src/client/client.js';
import * as mutants from '../../src/testing/sdk-mutants.js';
import { SDK_MUTANTS, sdkMutantModule, type SdkMutantClient } from '../../src/testing/sdk-mutants.js';

interface Request {
  seq: number;
  command: string;
  arguments?: any;
}
/** How the stub answers a request: a body (success), an Error (failure), or undefined (not yet). */
type Answer = (request: Request, socket: WebSocket) => unknown;

const stubs: WebSocketServer[] = [];
afterEach(async () => {
  for (const stub of stubs.splice(0)) {
    for (const socket of stub.clients) socket.terminate();
    await new Promise((resolve) => stub.close(resolve));
  }
});

/** A DAP stub: accepts any auth, records every request, answers the rest with `answer`. */
async function stub(answer: Answer = () => ({})) {
  const requests: Request[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  stubs.push(wss);
  await new Promise((resolve) => wss.once('listening', resolve));
  const respond = (socket: WebSocket, request: Request, result: unknown) => {
    const failed = result instanceof Error;
    const reply = { type: 'response', seq: 1, request_seq: request.seq, command: request.command, success: !failed };
    socket.send(JSON.stringify(failed ? { ...reply, message: result.message } : { ...reply, body: result }));
  };
  wss.on('connection', (socket) =>
    socket.on('message', (data) => {
      const request = JSON.parse(data.toString()) as Request;
      requests.push(request);
      const result = request.command === 'auth' ? { userId: 'u' } : answer(request, socket);
      if (result !== undefined) respond(socket, request, result);
    }),
  );
  const uri = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/task/service`;
  return { uri, requests, respond };
}

/** The reference client and the named mutant, both connected to the stub. */
async function pair(name: string, answer?: Answer) {
  const server = await stub(answer);
  const factory = (mutants as unknown as Record<string, (o: { uri: string; key: string }) => SdkMutantClient>)[
    sdkMutantModule(name).split('#')[1]!
  ]!;
  const reference = new DeployClient({ uri: server.uri, auth: 'K' });
  const mutant = factory({ uri: server.uri, key: 'K' });
  await reference.connect();
  await mutant.connect();
  const sent = () => server.requests.filter((r) => r.command !== 'auth');
  return { server, reference, mutant, sent };
}

const settledWithin = (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise((resolve) => setTimeout(resolve, ms, false)),
  ]);

describe('the SDK mutant catalogue', () => {
  it('names one SDK clause per mutant and exports one adapter factory per mutant, no more', () => {
    expect(SDK_MUTANTS).toHaveLength(10);
    for (const { name, clause, description } of SDK_MUTANTS) {
      expect(clause).toMatch(/^SDK-[1-8]$/);
      expect(description.length).toBeGreaterThan(20);
      expect(typeof (mutants as Record<string, unknown>)[sdkMutantModule(name).split('#')[1]!]).toBe('function');
    }
    const factories = Object.keys(mutants).filter((k) => !['SDK_MUTANTS', 'sdkMutantModule'].includes(k));
    expect(factories.sort()).toEqual(SDK_MUTANTS.map(({ name }) => sdkMutantModule(name).split('#')[1]).sort());
    expect(new Set(SDK_MUTANTS.map((m) => m.clause))).toEqual(
      new Set(['SDK-1', 'SDK-2', 'SDK-3', 'SDK-4', 'SDK-5', 'SDK-6', 'SDK-7', 'SDK-8']),
    );
  });

  it('builds path#export for a driver, and refuses unknown names', () => {
    expect(sdkMutantModule('reuses-seq')).toMatch(/sdk-mutants\.(ts|js)#reusesSeq$/);
    expect(() => sdkMutantModule('nope')).toThrow(/Unknown SDK mutant 'nope'. Known SDK mutants: always-sends-schedule, /);
  });

  it('keeps the client seam out of the package surface', () => {
    expect(Object.keys(index)).not.toContain('CLIENT_FAULTS');
  });

  it('loads through the module driver by path#export', async () => {
    const server = await stub(() => ({ deployments: [] }));
    const session = await startModuleDriver(
      { module: sdkMutantModule('list-returns-envelope') },
      { uri: server.uri, key: 'K', timeoutMs: 2_000 },
    );
    await session.call('connect');
    expect(await session.call('list')).toMatchObject({ kind: 'ok', result: { deployments: [] } });
    await session.close();
  });
});

describe('each SDK mutant differs from the reference client in its own way', () => {
  it('always-sends-schedule (SDK-1): add(pipeline) sends schedule "manual"', async () => {
    const { reference, mutant, sent } = await pair('always-sends-schedule');
    await reference.deploy.add({ project_id: 'p' });
    await mutant.deploy.add({ project_id: 'p' });
    await mutant.deploy.add({ project_id: 'p' }, { schedule: '@daily' });
    expect(sent().map((r) => r.arguments)).toEqual([
      { pipeline: { project_id: 'p' } },
      { pipeline: { project_id: 'p' }, schedule: 'manual' },
      { pipeline: { project_id: 'p' }, schedule: '@daily' },
    ]);
  });

  it('drops-update-keys (SDK-2): update drops a given pipeline', async () => {
    const { reference, mutant, sent } = await pair('drops-update-keys');
    const options = { pipeline: { project_id: 'p', v: 2 }, schedule: '@hourly' };
    await reference.deploy.update('p', options);
    await mutant.deploy.update('p', options);
    await mutant.deploy.update('p', { pipeline: { project_id: 'p' } });
    expect(sent().map((r) => r.arguments)).toEqual([
      { projectId: 'p', ...options },
      { projectId: 'p', schedule: '@hourly' },
      { projectId: 'p' },
    ]);
  });

  it('status-sends-id (SDK-3): status sends {id}', async () => {
    const { reference, mutant, sent } = await pair('status-sends-id');
    await reference.deploy.status('p');
    await mutant.deploy.status('p');
    expect(sent()).toEqual([
      { type: 'request', seq: 2, command: 'rrext_deploy_status', arguments: { projectId: 'p' } },
      { type: 'request', seq: 2, command: 'rrext_deploy_status', arguments: { id: 'p' } },
    ]);
  });

  it('list-returns-envelope (SDK-4): list returns the whole body', async () => {
    const record = { pipeline: { project_id: 'p' }, schedule: 'manual', state: 'active' };
    const { reference, mutant } = await pair('list-returns-envelope', () => ({ deployments: [record] }));
    expect(await reference.deploy.list()).toEqual([record]);
    expect(await mutant.deploy.list()).toEqual({ deployments: [record] });
  });

  it('status-drops-unknown-keys (SDK-4): status keeps only the keys it knows', async () => {
    const record = {
      pipeline: { project_id: 'p' },
      schedule: 'manual',
      state: 'active',
      userId: 'u',
      createdAt: 1,
      updatedAt: 2,
      created_by: 'u',
      extra: { x: 1 },
    };
    const { reference, mutant } = await pair('status-drops-unknown-keys', () => record);
    expect(await reference.deploy.status('p')).toEqual(record);
    expect(await mutant.deploy.status('p')).toEqual({
      pipeline: { project_id: 'p' },
      schedule: 'manual',
      state: 'active',
      userId: 'u',
      createdAt: 1,
      updatedAt: 2,
    });
  });

  it('swallows-errors (SDK-5): a failed response resolves with undefined', async () => {
    const { reference, mutant } = await pair('swallows-errors', () => new Error('Deployment not found: p'));
    await expect(reference.deploy.status('p')).rejects.toThrow('Deployment not found: p');
    for (const call of [
      () => mutant.deploy.status('p'),
      () => mutant.deploy.list(),
      () => mutant.deploy.add({ project_id: 'p' }),
      () => mutant.deploy.remove('p'),
      () => mutant.deploy.update('p'),
    ]) {
      await expect(call()).resolves.toBeUndefined();
    }
  });

  it('matches-by-order (SDK-6): answers out of order reach the wrong calls', async () => {
    const held: Array<[Request, WebSocket]> = [];
    const { server, reference, mutant } = await pair('matches-by-order', (request, socket) => {
      held.push([request, socket]);
      if (held.length % 2 === 0)
        for (const [r, s] of held.slice(-2).reverse()) server.respond(s, r, { pipeline: { project_id: r.arguments.projectId } });
      return undefined;
    });
    const ids = (records: Array<{ pipeline: { project_id: string } }>) => records.map((r) => r.pipeline.project_id);
    expect(ids(await Promise.all([reference.deploy.status('a'), reference.deploy.status('b')]))).toEqual(['a', 'b']);
    expect(ids(await Promise.all([mutant.deploy.status('a'), mutant.deploy.status('b')]))).toEqual(['b', 'a']);
  });

  it('reuses-seq (SDK-6): every request after auth carries seq 2', async () => {
    const { server, reference, mutant } = await pair('reuses-seq');
    const seqs = () => server.requests.map((r) => r.seq);
    await reference.deploy.list();
    await reference.deploy.list();
    expect(seqs()).toEqual([1, 1, 2, 3]);
    await mutant.deploy.list();
    await mutant.deploy.status('p');
    await mutant.disconnect();
    expect(seqs().slice(4)).toEqual([2, 2, 2]);
  });

  it('hangs-on-close (SDK-7): a call pending when the server closes never settles', async () => {
    const { reference, mutant } = await pair('hangs-on-close', (_, socket) => {
      socket.close(1011, 'boom');
      return undefined;
    });
    await expect(reference.deploy.list()).rejects.toThrow('Connection closed (code 1011: boom)');
    expect(await settledWithin(mutant.deploy.list(), 300)).toBe(false);
  });

  it('waits-for-deauth (SDK-8): disconnect waits for a deauth reply that never comes', async () => {
    // The reference client with a short bound shows the difference quickly.
    const server = await stub(() => undefined);
    const reference = new DeployClient({ uri: server.uri, auth: 'K', disconnectTimeoutMs: 50 });
    const mutated = mutants.waitsForDeauth({ uri: server.uri, key: 'K' });
    await reference.connect();
    await mutated.connect();
    expect(await settledWithin(reference.disconnect(), 1_000)).toBe(true);
    expect(await settledWithin(mutated.disconnect(), 300)).toBe(false);
    expect(typeof mutants.waitsForDeauth({ uri: server.uri, key: 'K' }).disconnect).toBe('function');
  });
});
