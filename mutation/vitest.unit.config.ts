/**
 * The unit tests of the mutated folders (src/domain, src/dap, src/scheduler, src/auth), for
 * mutation testing (mutation/stryker.unit.json). Also runs alone:
 * `npx vitest run --config mutation/vitest.unit.config.ts`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  test: {
    root,
    include: ['test/domain/**/*.test.ts', 'test/dap/**/*.test.ts', 'test/scheduler/**/*.test.ts', 'test/auth/**/*.test.ts'],
    // A stress test or two are skipped here (see unit.setup.ts); npm test runs them.
    setupFiles: ['mutation/unit.setup.ts'],
    // Instrumented code (Stryker counts every statement) runs several times slower.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
