/**
 * The isolation suite that isolation-a.test.ts and isolation-b.test.ts both run, each with its
 * own `Side`. vitest runs the two files in parallel, in separate workers. Every test does what
 * would collide if the fixture shared a server, a port, a clock or state with another test or
 * the other file (the same project id, exact clock times after different moves, faults, the
 * journal and connection numbering), and asserts that everything it can see is its own: with a
 * shared server, the second of two users of it finds the first's deployment, clock, journal or
 * connections and fails, whatever order they ran in.
 */
import { WebSocket } from 'ws';
import type { TestContext } from 'vitest';
import { DeployClient, type MockServer } from '../../src/index.js';
import { createMockServerTest, describe, expect } from '../../src/vitest/index.js';
import { readAll } from '../../src/control/paging.js';

/** Both files start their clocks at the same instant and use the same project id. */
export const START = '2026-11-26T10:07:00.000Z';
export const PROJECT = 'shared-project';

export interface Side {
  name: string;
  schedule: string;
  /** How far this side moves its clock. */
  span: string;
  /** Where the clock must then be. */
  expectedNow: string;
  /** The runs' scheduledFor times that move must produce, and nothing else. */
  expectedRuns: string[];
  /** The message of this side's injected fault. */
  faultMessage: string;
}

const test = createMockServerTest({ clock: { startAt: START } });

/** Connects a client, disconnected when the test finishes (the context's hook: right in concurrent tests too). */
async function connect(server: MockServer, onTestFinished: TestContext['onTestFinished']): Promise<DeployClient> {
  const client = new DeployClient({ uri: server.url, auth: 'MYAPIKEY' });
  await client.connect();
  onTestFinished(() => client.disconnect().catch(() => {}));
  return client;
}

export function isolationSuite(side: Side): void {
  describe(`isolation, side ${side.name}`, () => {
    test('lists exactly its own record under the project id both sides use', async ({ mockServer, onTestFinished }) => {
      const client = await connect(mockServer, onTestFinished);
      expect(await client.deploy.list()).toEqual([]);
      await client.deploy.add({ project_id: PROJECT, side: side.name }, { schedule: side.schedule });

      const records = await client.deploy.list();
      expect(records).toHaveLength(1);
      expect(records[0]).toMatchObject({ pipeline: { project_id: PROJECT, side: side.name }, schedule: side.schedule, state: 'active' });
      expect(readAll((page) => mockServer.control.deployments(page)).map((d) => [d.userId, d.projectId, d.schedule])).toEqual([
        ['local', PROJECT, side.schedule],
      ]);
    });

    test('moves only its own clock, and gets exactly its own runs', async ({ mockServer, onTestFinished }) => {
      expect(mockServer.control.clock()).toMatchObject({ now: START, mode: 'fake' });
      const client = await connect(mockServer, onTestFinished);
      await client.deploy.add({ project_id: PROJECT }, { schedule: side.schedule });

      const moved = mockServer.control.advance(side.span);
      expect(moved).toMatchObject({ from: START, to: side.expectedNow, complete: true });
      expect(moved.ticks.fired).toBe(side.expectedRuns.length);
      expect(mockServer.control.clock().now).toBe(side.expectedNow);
      const runs = readAll((page) => mockServer.control.runs(page));
      expect(runs.map((run) => run.scheduledFor)).toEqual(side.expectedRuns);
      expect(runs.map((run) => run.id)).toEqual(side.expectedRuns.map((_, i) => `run-${i + 1}`));
      expect(mockServer.control.deployment('local', PROJECT).counters.fired).toBe(side.expectedRuns.length);
    });

    test('sees only its own faults', async ({ mockServer, onTestFinished }) => {
      expect(mockServer.control.faults()).toEqual([]);
      const client = await connect(mockServer, onTestFinished);
      const fault = mockServer.control.injectFault({ kind: 'fail', command: 'rrext_deploy_list', message: side.faultMessage });
      expect(mockServer.control.faults()).toEqual([fault]);
      expect(fault.id).toBe('f1');

      await expect(client.deploy.list()).rejects.toThrow(side.faultMessage);
      expect(mockServer.control.faults()).toEqual([]);
      expect(await client.deploy.list()).toEqual([]);
    });

    test('sees only its own connection and journal', async ({ mockServer, onTestFinished }) => {
      expect(mockServer.journal.find()).toEqual([]);
      expect(mockServer.control.connections()).toEqual([]);
      const client = await connect(mockServer, onTestFinished);
      await client.deploy.add({ project_id: PROJECT, side: side.name });

      expect(mockServer.control.connections()).toEqual([{ id: 1, userId: 'local', openedAt: START }]);
      const sent = mockServer.journal.find({ direction: 'in' });
      expect(sent.map((entry) => [entry.connectionId, entry.command])).toEqual([
        [1, 'auth'],
        [1, 'rrext_deploy_add'],
      ]);
      expect(sent[1]?.message?.['arguments']).toEqual({ pipeline: { project_id: PROJECT, side: side.name } });
      expect(mockServer.journal.find().map((entry) => entry.id)).toEqual([1, 2, 3, 4]);
    });

    // Two tests of the same file alive at the same time: a barrier holds each until the other
    // has its server, so both servers are open together.
    describe.concurrent('tests running at the same time', () => {
      const arrived: MockServer[] = [];
      let release!: () => void;
      const bothArrived = new Promise<void>((resolve) => (release = resolve));
      const meet = async (server: MockServer) => {
        arrived.push(server);
        if (arrived.length === 2) release();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          bothArrived,
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('the other concurrent test never started: tests did not run concurrently')), 10_000);
          }),
        ]).finally(() => clearTimeout(timer));
        return arrived.find((other) => other !== server);
      };

      for (const which of ['first', 'second'] as const) {
        test(`${which} of two concurrent tests has a server, port and clock of its own`, async ({ mockServer, expect, onTestFinished }) => {
          const other = await meet(mockServer);
          expect(other).toBeDefined();
          expect(other!.port).not.toBe(mockServer.port);
          expect(other!.url).not.toBe(mockServer.url);
          // Both servers are open now: each answers on its own port with its own state.
          const client = await connect(mockServer, onTestFinished);
          await client.deploy.add({ project_id: `${PROJECT}-${which}` });
          expect((await client.deploy.list()).map((r) => r.pipeline.project_id)).toEqual([`${PROJECT}-${which}`]);
          if (which === 'first') mockServer.control.advance('1d');
          expect(mockServer.control.clock().now).toBe(which === 'first' ? '2026-11-27T10:07:00.000Z' : START);
          await probeOpen(other!);
        });
      }
    });
  });
}

/** Resolves once a WebSocket to the server's URL opens (so the other server is listening). */
function probeOpen(server: MockServer): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(server.url);
    socket.once('open', () => {
      socket.close();
      resolve();
    });
    socket.once('error', reject);
  });
}
