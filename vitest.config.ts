import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests open real sockets and spawn the CLI; keep failures readable, not flaky.
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
