import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // examples/ run as tests too: they import the package by its name (its exports point at dist/, built by `npm test`).
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    // Integration tests open real sockets and spawn the CLI; keep failures readable, not flaky.
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
