/**
 * The shared deploy scenarios (scenarios.ts) through the msw door: createMswMock's handler on an
 * msw `setupServer`, and the standard global `WebSocket` (Node 20: `--experimental-websocket`,
 * which the `msw` vitest project passes). Each scenario then runs again through the WebSocket
 * server door, and the two transcripts (every frame each client saw and how it closed, the
 * journal, the deployments, runs, ticks and faults) must be identical but for the random tokens.
 *
 * msw's interception is switched on only while the msw door runs: a `ws`-package client opens
 * but gets no messages through msw's Node interceptors (seen with msw 2.15).
 */
import { setupServer } from 'msw/node';
import { afterAll, describe, expect, it } from 'vitest';
import { createMswMock } from '../../src/msw/index.js';
import { MSW_URL, mswDoorOn, openWsDoor, type DapResponse } from './doors.js';
import { runScenario, scenarios } from './scenarios.js';
import { readAll } from '../../src/control/paging.js';

const server = setupServer();
afterAll(() => server.close());

// Node warns once per event target, so warnings are collected from the first test on.
const warnings: string[] = [];
process.on('warning', (warning) => warnings.push(`${warning.name}: ${warning.message}`));

/** Runs `body` with msw intercepting the global WebSocket. */
async function intercepted<T>(body: () => Promise<T>): Promise<T> {
  server.listen({ onUnhandledRequest: 'error' });
  try {
    return await body();
  } finally {
    server.close();
  }
}

describe('the msw door passes the shared deploy scenarios, frame for frame as the WebSocket server', () => {
  it.each(scenarios.map((scenario) => [scenario.name, scenario] as const))('%s', async (_name, scenario) => {
    const viaMsw = await intercepted(() => runScenario(mswDoorOn(server), scenario));
    const viaServer = await runScenario(openWsDoor, scenario);
    expect(viaMsw).toEqual(viaServer);
    expect(viaMsw.connections.flat().length).toBeGreaterThan(0);
  });
});

/** A bare global WebSocket to `url`, open, with its messages and close collected. */
async function open(url = MSW_URL) {
  const socket = new WebSocket(url);
  const received: DapResponse[] = [];
  const waiters: Array<() => void> = [];
  socket.addEventListener('message', (event) => {
    received.push(JSON.parse(event.data as string) as DapResponse);
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })),
  );
  await new Promise((resolve, reject) => {
    socket.addEventListener('open', resolve, { once: true });
    socket.addEventListener('error', reject, { once: true });
  });
  const until = async (count: number) => {
    while (received.length < count) await new Promise<void>((wake) => waiters.push(wake));
  };
  return { socket, received, closed, until };
}

describe('msw door specifics', () => {
  it('keeps the client order when a Blob (read asynchronously) comes before text frames', async () => {
    const mock = await createMswMock();
    await intercepted(async () => {
      server.use(mock.handler);
      const { socket, received, until } = await open();
      socket.send(JSON.stringify({ type: 'request', seq: 1, command: 'auth', arguments: { auth: 'MYAPIKEY' } }));
      socket.send(
        new Blob([
          JSON.stringify({ type: 'request', seq: 2, command: 'rrext_deploy_add', arguments: { pipeline: { project_id: 'blob' } } }),
          '\n',
          'payload',
        ]),
      );
      socket.send(JSON.stringify({ type: 'request', seq: 3, command: 'rrext_deploy_list' }));
      socket.send(new Uint8Array(new TextEncoder().encode(JSON.stringify({ type: 'request', seq: 4, command: 'rrext_ping' }))).buffer);
      await until(4);
      expect(received.map((r) => [r.request_seq, r.success])).toEqual([
        [1, true],
        [2, true],
        [3, true],
        [4, true],
      ]);
      expect(received[2]!.body.deployments.map((d: { pipeline: object }) => d.pipeline)).toEqual([{ project_id: 'blob' }]);
      expect(mock.journal.find({ command: 'rrext_deploy_add', direction: 'in' })[0]).toMatchObject({ payloadBytes: 7 });
      socket.close();
      mock.close();
      server.resetHandlers();
    });
  });

  it('answers only its url when given one, and each mock keeps its own state', async () => {
    const a = await createMswMock({ url: 'ws://a.example.test/task/service' });
    const b = await createMswMock({ url: 'ws://b.example.test/task/service' });
    await intercepted(async () => {
      server.use(a.handler, b.handler);
      for (const [host, project] of [
        ['a', 'pa'],
        ['b', 'pb'],
      ] as const) {
        const { socket, received, until } = await open(`ws://${host}.example.test/task/service`);
        socket.send(JSON.stringify({ type: 'request', seq: 1, command: 'auth', arguments: { auth: 'MYAPIKEY' } }));
        socket.send(
          JSON.stringify({ type: 'request', seq: 2, command: 'rrext_deploy_add', arguments: { pipeline: { project_id: project } } }),
        );
        await until(2);
        expect(received[1]).toMatchObject({ success: true });
        socket.close();
      }
      expect(readAll((page) => a.control.deployments(page)).map((d) => d.projectId)).toEqual(['pa']);
      expect(readAll((page) => b.control.deployments(page)).map((d) => d.projectId)).toEqual(['pb']);
      a.close();
      b.close();
      server.resetHandlers();
    });
  });

  it('a mock per test piles up no msw listeners (one msw link per URL, shared by the mocks)', async () => {
    // The scenarios above made a mock each already; fifteen more, for this test on its own.
    await intercepted(async () => {
      for (let i = 0; i < 15; i++) {
        const mock = await createMswMock();
        server.use(mock.handler);
        const { socket, received, until } = await open();
        socket.send(JSON.stringify({ type: 'request', seq: 1, command: 'auth', arguments: { auth: 'MYAPIKEY' } }));
        await until(1);
        expect(received[0]).toMatchObject({ success: true });
        socket.close();
        mock.close();
        server.resetHandlers();
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 10)); // warnings are emitted on a later tick
    expect(warnings.filter((w) => w.startsWith('MaxListenersExceededWarning'))).toEqual([]);
  });

  it('a closed mock serves no one: a new connection is closed with 1001', async () => {
    const mock = await createMswMock();
    mock.close();
    await intercepted(async () => {
      server.use(mock.handler);
      const socket = new WebSocket(MSW_URL);
      const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
        socket.addEventListener('close', (e) => resolve({ code: e.code, reason: e.reason })),
      );
      expect(closed).toEqual({ code: 1001, reason: 'Server shutting down' });
      expect(mock.control.connections()).toEqual([]);
      server.resetHandlers();
    });
  });

  it('refuses options that need Node: a users file path, mutants', async () => {
    await expect(createMswMock({ users: 'fixtures/users.json' as never })).rejects.toThrow('createMswMock takes users as an array');
    await expect(createMswMock({ mutants: ['wire-no-close'] } as never)).rejects.toThrow('createMswMock does not take mutants');
    await expect(createMswMock({ maxFrameBytes: 0 })).rejects.toThrow('limits.maxFrameBytes must be a positive whole number, got 0');
  });
});
