/**
 * The conformance checks as a vitest suite for mutation testing (mutation/stryker.conformance.json):
 * the server checks and the SDK checks (the kit's reference client), run from source one file at
 * a time against a mock started inside the test worker (conformance.setup.ts). Also runs alone:
 * `npx vitest run --config mutation/vitest.conformance.config.ts`.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  test: {
    root,
    include: ['conformance/checks/*.check.ts', 'conformance/sdk-checks/*.check.ts'],
    // One mock on one port: one check file at a time.
    fileParallelism: false,
    globalSetup: ['mutation/conformance.global-setup.ts'],
    setupFiles: ['mutation/conformance.setup.ts'],
    // After-all hooks in the order they were registered, not reversed: the setup file's (close the
    // mock) runs before the check file's cleanup, which then finds no server and does nothing.
    // See conformance.setup.ts for why.
    sequence: { hooks: 'list' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
