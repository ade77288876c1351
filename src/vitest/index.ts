/**
 * `rocketride-deploy-kit/vitest`: a vitest fixture that gives each test (or each test file) its
 * own mock server, on its own free port, with its own fake clock and state, closed afterwards.
 *
 * @example
 * import { test, expect } from 'rocketride-deploy-kit/vitest';
 *
 * test('adds a deployment', async ({ mockServer }) => {
 *   // connect your SDK to mockServer.url with the key 'MYAPIKEY'; move time with mockServer.control
 * });
 */
import { describe as vitestDescribe, expect as vitestExpect, test as vitestTest, type TestAPI } from 'vitest';
import { createMockServer, type MockServer, type MockServerOptions } from '../server/mock-server.js';

/**
 * What the fixture adds to a test's context.
 * @since 0.3.0
 */
export interface MockServerFixtures {
  /**
   * A mock server started for this test (or, with `scope: 'file'`, for this test file): use
   * `url` to connect, `control` to move its clock and read runs, `journal` to see what was sent.
   */
  mockServer: MockServer;
}

/**
 * Options of {@link createMockServerTest}: every option of `createMockServer` (users, clock,
 * timezone, runs, historyLimit, journal, ...), plus `scope`.
 * @since 0.3.0
 */
export interface MockServerTestOptions extends MockServerOptions {
  /**
   * `'test'` (the default): a new server for every test, closed when the test ends.
   * `'file'`: one server for all the tests of a file, started by the first test that uses it
   * and closed after the file; its state (deployments, clock, journal) carries from test to test.
   * vitest requires a file-scoped fixture to be built at the top level of the file, not inside
   * a `describe`.
   */
  scope?: 'test' | 'file';
}

/**
 * Builds a vitest `test` whose context has a `mockServer`: started before the test with
 * `createMockServer(options)` (a free port unless `port` says otherwise; the fake clock unless
 * `clock` says otherwise), closed after it, even when the test fails. Servers are never shared
 * between test files, so files running in parallel cannot see each other's ports, clocks or state
 * (leave `port` out: a fixed port cannot be opened by two files at once).
 *
 * @example
 * import { createMockServerTest, expect } from 'rocketride-deploy-kit/vitest';
 *
 * // one server per file, its clock starting at a fixed instant
 * const test = createMockServerTest({ scope: 'file', clock: { startAt: '2026-11-26T10:07:00Z' } });
 *
 * test('starts at 10:07', ({ mockServer }) => {
 *   expect(mockServer.control.clock().now).toBe('2026-11-26T10:07:00.000Z');
 * });
 * @since 0.3.0
 */
export function createMockServerTest(options: MockServerTestOptions = {}): TestAPI<MockServerFixtures> {
  const { scope = 'test', ...serverOptions } = options;
  if (scope !== 'test' && scope !== 'file') {
    throw new TypeError(`createMockServerTest: scope must be 'test' or 'file', got ${JSON.stringify(scope)}`);
  }
  return vitestTest.extend<MockServerFixtures>({
    // vitest reads a fixture's dependencies from its first parameter, which must be a destructuring pattern.
    mockServer: [
      // eslint-disable-next-line no-empty-pattern -- no dependencies
      async ({}, use) => {
        const server = await createMockServer(serverOptions);
        try {
          await use(server);
        } finally {
          await server.close();
        }
      },
      { scope },
    ],
  });
}

/**
 * vitest's `test`, with a new mock server for every test as `mockServer` (demo users, fake clock,
 * free port), closed after the test. `createMockServerTest(options)` builds one with other options.
 *
 * @example
 * import { test, expect } from 'rocketride-deploy-kit/vitest';
 *
 * test('starts empty', async ({ mockServer }) => {
 *   expect(mockServer.control.deployments().items).toEqual([]);
 * });
 * @since 0.3.0
 */
export const test: TestAPI<MockServerFixtures> = createMockServerTest();

/**
 * vitest's own `expect`, re-exported so a test file needs one import.
 * @example
 * import { test, expect } from 'rocketride-deploy-kit/vitest';
 * @since 0.3.0
 */
export const expect: typeof vitestExpect = vitestExpect;

/**
 * vitest's own `describe`, re-exported so a test file needs one import; the `test`s inside get
 * their `mockServer` as anywhere else.
 * @example
 * import { describe, test, expect } from 'rocketride-deploy-kit/vitest';
 * describe('deployments', () => {
 *   test('starts empty', ({ mockServer }) => expect(mockServer.control.deployments().items).toEqual([]));
 * });
 * @since 0.3.0
 */
export const describe: typeof vitestDescribe = vitestDescribe;

export type { MockServer, MockServerOptions };
