/**
 * The fixture's scopes: `scope: 'file'` gives the tests of a file one server whose state carries
 * from test to test; the default gives every test a new one. And its options reach the server.
 */
import { DeployClient, type MockServer } from '../../src/index.js';
import { createMockServerTest, describe, expect, test } from '../../src/vitest/index.js';
import { readAll } from '../../src/control/paging.js';

const START = '2026-11-26T10:07:00.000Z';

async function withClient<T>(server: MockServer, key: string, body: (client: DeployClient) => Promise<T>): Promise<T> {
  const client = new DeployClient({ uri: server.url, auth: key });
  await client.connect();
  try {
    return await body(client);
  } finally {
    await client.disconnect();
  }
}

// A file-scoped fixture must be built at the top level of the file (vitest refuses it inside a describe).
const fileTest = createMockServerTest({ scope: 'file', clock: { startAt: START } });

describe("scope: 'file'", () => {
  let first: MockServer | undefined;

  fileTest('the first test that uses it starts the server; it adds a deployment and moves the clock', async ({ mockServer }) => {
    first = mockServer;
    await withClient(mockServer, 'MYAPIKEY', (client) => client.deploy.add({ project_id: 'carried' }, { schedule: '*/15 * * * *' }));
    mockServer.control.advance('15m');
    expect(readAll((page) => mockServer.control.runs(page))).toHaveLength(1);
  });

  fileTest('the next test gets the same server, with the deployment, clock, runs and journal left behind', async ({ mockServer }) => {
    expect(first).toBeDefined();
    expect(mockServer).toBe(first);
    expect(mockServer.port).toBe(first!.port);
    expect(mockServer.control.clock().now).toBe('2026-11-26T10:22:00.000Z');
    expect(readAll((page) => mockServer.control.deployments(page)).map((d) => d.projectId)).toEqual(['carried']);
    expect(readAll((page) => mockServer.control.runs(page)).map((run) => run.scheduledFor)).toEqual(['2026-11-26T10:15:00.000Z']);
    expect(mockServer.journal.find({ command: 'rrext_deploy_add', direction: 'in' })).toHaveLength(1);
    // and it is still serving
    const listed = await withClient(mockServer, 'MYAPIKEY', (client) => client.deploy.list());
    expect(listed.map((r) => r.pipeline.project_id)).toEqual(['carried']);
  });
});

describe("scope: 'test' (the default)", () => {
  let previous: MockServer | undefined;

  test('one test adds a deployment and moves the clock', async ({ mockServer }) => {
    previous = mockServer;
    await withClient(mockServer, 'MYAPIKEY', (client) => client.deploy.add({ project_id: 'left-behind' }));
    mockServer.control.advance('1d');
  });

  test('the next test gets a new server with nothing of it', async ({ mockServer }) => {
    expect(previous).toBeDefined();
    expect(mockServer).not.toBe(previous);
    expect(readAll((page) => mockServer.control.deployments(page))).toEqual([]);
    expect(mockServer.journal.find()).toEqual([]);
    expect(readAll((page) => mockServer.control.runs(page))).toEqual([]);
  });

  test('with the demo users and a fake clock', async ({ mockServer }) => {
    expect(mockServer.control.clock().mode).toBe('fake');
    const before = mockServer.control.clock().nowMs;
    const client = new DeployClient({ uri: mockServer.url, auth: 'ALICEKEY' });
    expect((await client.connect()).userId).toBe('alice');
    await client.disconnect();
    expect(mockServer.control.clock().nowMs).toBe(before);
  });
});

describe('options', () => {
  const customTest = createMockServerTest({
    clock: { startAt: START },
    timezone: 'Europe/Berlin',
    runs: { hold: true },
    users: [
      {
        userId: 'ci',
        keys: ['CIKEY'],
        defaultTeam: 'dev',
        organizations: [
          { id: 'acme', name: 'Acme', permissions: [], teams: [{ id: 'dev', name: 'Dev', permissions: ['task.control', 'task.monitor'] }] },
        ],
      },
    ],
  });

  customTest('are passed to createMockServer', async ({ mockServer }) => {
    expect(mockServer.control.clock()).toEqual({ now: START, nowMs: Date.parse(START), mode: 'fake', timezone: 'Europe/Berlin' });
    await withClient(mockServer, 'CIKEY', (client) => client.deploy.add({ project_id: 'held' }, { schedule: '*/15 * * * *' }));
    await expect(withClient(mockServer, 'MYAPIKEY', async () => undefined)).rejects.toThrow('Invalid API key');
    mockServer.control.advance('1h');
    expect(mockServer.control.deployment('ci', 'held').runBehavior.hold).toBe(true);
    expect(readAll((page) => mockServer.control.ticks(page)).map((t) => t.reason)).toEqual([
      'fired',
      'skipped_overlap',
      'skipped_overlap',
      'skipped_overlap',
    ]);
  });

  test('an unknown scope is refused when the test is built', () => {
    expect(() => createMockServerTest({ scope: 'worker' as 'file' })).toThrow(
      `createMockServerTest: scope must be 'test' or 'file', got "worker"`,
    );
  });
});
