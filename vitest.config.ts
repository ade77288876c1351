import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Test tiers, each a vitest project (every test file in exactly one):
 * - `unit`: the core, the doors in-process, the conformance checks against in-process mocks, the
 *   fuzzers: no child process, no build needed (`npm run test:unit`, the developer's loop);
 * - `e2e`: what spawns processes or needs the built package: the CLI, the package and its
 *   install, the Python driver and examples, the pytest plugin, the browser bundle, the dashboard in Chromium, kill -9, a small heap, the vitest global setup,
 *   the conformance runner against servers (`npm run test:e2e`);
 * - `mutation`: the conformance suite against every mutant of the catalogue and of the SDK
 *   (`npm run test:mutation`).
 * `npm test` (what CI runs) runs them all. vitest leaves one core to its main process, so on a
 * 2-core machine it runs one file at a time; `test:unit` asks for two workers (its files are
 * in-process, CPU-light between awaits), which halves its time there (about 90 s to 47 s). msw intercepts only the standard global `WebSocket`,
 * which Node 20 has only with `--experimental-websocket`: the files that need it run in a
 * `-msw` twin of their tier.
 */
const needsGlobalWebSocket = ['test/doors/msw-door.test.ts', 'examples/msw/**/*.test.ts'];

const mutation = ['test/conformance/mutants.test.ts', 'test/conformance/sdk-conformance.test.ts'];

const e2e = [
  'test/cli.test.ts',
  'test/cli-control.test.ts',
  'test/cli-request-log.test.ts',
  'test/cli-demo.test.ts',
  'test/package.test.ts',
  'test/package-install.test.ts',
  'test/readme.test.ts',
  'test/conformance/runner.test.ts',
  'test/conformance/real-server.test.ts',
  'test/conformance/python-driver.test.ts',
  'test/conformance/sdk-drivers.test.ts',
  'test/python-plugin/**/*.test.ts',
  'test/examples/**/*.test.ts',
  'test/doors/browser-bundle.test.ts',
  // The dashboard: its built files, and headless Chromium driving it.
  'test/dashboard/browser.test.ts',
  'test/dashboard/serving.test.ts',
  'test/persist/kill.test.ts',
  'test/persist/lock.test.ts',
  'test/persist/shutdown.test.ts',
  'test/server/memory.test.ts',
  'test/vitest/global-setup.test.ts',
  // They import the package by its name (its exports point at dist/, built by `npm test`).
  'examples/**/*.test.ts',
];

// Integration tests open real sockets and spawn the CLI; keep failures readable, not flaky.
const timeouts = { testTimeout: 20_000, hookTimeout: 20_000 };
const msw = { execArgv: ['--experimental-websocket', '--disable-warning=ExperimentalWarning'] };
const all = ['test/**/*.test.ts', 'examples/**/*.test.ts'];

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: all,
          exclude: [...configDefaults.exclude, ...e2e, ...mutation, ...needsGlobalWebSocket],
          ...timeouts,
        },
      },
      { test: { name: 'unit-msw', include: needsGlobalWebSocket, exclude: [...configDefaults.exclude, ...e2e], ...msw, ...timeouts } },
      { test: { name: 'e2e', include: e2e, exclude: [...configDefaults.exclude, ...needsGlobalWebSocket], ...timeouts } },
      { test: { name: 'e2e-msw', include: needsGlobalWebSocket, exclude: [...configDefaults.exclude, 'test/**'], ...msw, ...timeouts } },
      { test: { name: 'mutation', include: mutation, ...timeouts } },
    ],
  },
});
