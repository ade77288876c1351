import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two projects, each test file in exactly one:
 * - `main`: everything, but the files that need a global WebSocket;
 * - `msw`: the msw door's tests and examples. msw intercepts only the standard global
 *   `WebSocket`, which Node 20 has only with `--experimental-websocket` (Node 22 by default).
 * `npx vitest run` runs both; `npx vitest run --project msw` (or `main`) runs one.
 */
const needsGlobalWebSocket = ['test/doors/msw-door.test.ts', 'examples/msw/**/*.test.ts'];

// Integration tests open real sockets and spawn the CLI; keep failures readable, not flaky.
const timeouts = { testTimeout: 20_000, hookTimeout: 20_000 };

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'main',
          // examples/ run as tests too: they import the package by its name (its exports point at dist/, built by `npm test`).
          include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...needsGlobalWebSocket],
          ...timeouts,
        },
      },
      {
        test: {
          name: 'msw',
          include: needsGlobalWebSocket,
          execArgv: ['--experimental-websocket', '--disable-warning=ExperimentalWarning'],
          ...timeouts,
        },
      },
    ],
  },
});
