/**
 * `rocketride-deploy-kit/vitest/global-setup`: ONE mock server for a whole vitest run, started
 * in vitest's main process before any test file and closed after the last one. Test files (in
 * their workers) get its URLs through vitest's `provide`/`inject`.
 *
 * Unlike the fixture of `rocketride-deploy-kit/vitest`, this server, its clock and its state are
 * shared by every test file of the run, in parallel: use distinct project ids (or users) per
 * file, and do not assert on the whole server's state or move its clock from files that run
 * at the same time. Tests reach its control API over HTTP only (`controlUrl`), since the server
 * lives in another process.
 *
 * @example
 * // vitest.config.ts
 * export default defineConfig({ test: { globalSetup: ['rocketride-deploy-kit/vitest/global-setup'] } });
 *
 * // any test file
 * import { injectMockServer } from 'rocketride-deploy-kit/vitest/global-setup';
 * const { url, controlUrl } = injectMockServer();
 */
import { inject } from 'vitest';
import { createMockServer, type MockServerOptions } from '../server/mock-server.js';

/**
 * What the global setup hands to tests: the DAP WebSocket URL (`ws://HOST:PORT/task/service`)
 * and the HTTP control API's URL (`http://HOST:PORT/control/`, ending with a slash, so
 * `new URL('clock', controlUrl)` and `` `${controlUrl}clock` `` both work).
 * @since 0.3.0
 */
export interface InjectedMockServer {
  url: string;
  controlUrl: string;
}

/**
 * The key the global setup provides its server under: `inject('rocketrideMock')`.
 * @since 0.3.0
 */
export const PROVIDE_KEY = 'rocketrideMock';

declare module 'vitest' {
  /** @since 0.3.0 */
  export interface ProvidedContext {
    /** Set by the `rocketride-deploy-kit/vitest/global-setup` global setup. */
    rocketrideMock: InjectedMockServer;
  }
}

/**
 * What vitest passes a global setup function (its `TestProject`); only `provide` is used.
 * @since 0.3.0
 */
export interface GlobalSetupProject {
  provide(key: typeof PROVIDE_KEY, value: InjectedMockServer): void;
}

/**
 * A vitest global setup function: starts the server, provides its URLs, returns the teardown.
 * @since 0.3.0
 */
export type MockServerGlobalSetup = (project: GlobalSetupProject) => Promise<() => Promise<void>>;

/**
 * Builds a global setup function that starts one mock server with `createMockServer(options)`
 * (a free port and the fake clock unless the options say otherwise) for the whole run,
 * provides `{ url, controlUrl }` as `rocketrideMock`, and closes the server at the end.
 *
 * @example
 * // test/mock-server.global.ts, named in vitest.config.ts: globalSetup: ['test/mock-server.global.ts']
 * import { mockServerGlobalSetup } from 'rocketride-deploy-kit/vitest/global-setup';
 * export default mockServerGlobalSetup({ clock: { startAt: '2026-11-26T10:07:00Z' }, users: './test/users.json' });
 * @since 0.3.0
 */
export function mockServerGlobalSetup(options: MockServerOptions = {}): MockServerGlobalSetup {
  return async (project) => {
    const server = await createMockServer(options);
    const controlUrl = server.url.replace(/^ws:/, 'http:').replace(/\/task\/service$/, '/control/');
    project.provide(PROVIDE_KEY, { url: server.url, controlUrl });
    return () => server.close();
  };
}

/**
 * The default global setup: one server with the demo users and a fake clock (starting at the
 * time of the run) for every test file of the run.
 * @example
 * // vitest.config.ts
 * export default defineConfig({ test: { globalSetup: ['rocketride-deploy-kit/vitest/global-setup'] } });
 * @since 0.3.0
 */
const setup: MockServerGlobalSetup = mockServerGlobalSetup();
export default setup;

/**
 * Reads what the global setup provided, in a test file: `inject('rocketrideMock')`, with an error
 * saying how to configure vitest when the global setup did not run.
 *
 * @example
 * import { test } from 'vitest';
 * import { DeployClient } from 'rocketride-deploy-kit';
 * import { injectMockServer } from 'rocketride-deploy-kit/vitest/global-setup';
 *
 * test('lists', async () => {
 *   const client = new DeployClient({ uri: injectMockServer().url, auth: 'MYAPIKEY' });
 *   await client.connect();
 *   // ...
 *   await client.disconnect();
 * });
 * @since 0.3.0
 */
export function injectMockServer(): InjectedMockServer {
  let value: InjectedMockServer | undefined;
  try {
    value = inject(PROVIDE_KEY);
  } catch (error) {
    throw new Error(`injectMockServer() works inside a vitest test file only (${error instanceof Error ? error.message : String(error)})`, {
      cause: error,
    });
  }
  if (value === undefined || value === null) {
    throw new Error(
      `No mock server was provided as '${PROVIDE_KEY}': add globalSetup: ['rocketride-deploy-kit/vitest/global-setup'] ` +
        `(or a file whose default export is mockServerGlobalSetup(options)) to the test options of vitest.config.ts`,
    );
  }
  return value;
}
