/**
 * Worker setup of the conformance-mode mutation run: starts the kit's mock from its TypeScript
 * source (the files Stryker instrumented) inside the vitest worker, where Stryker sets the active
 * mutant, before each check file, and closes it after. Server checks get the runner's mock
 * (conformance/runner.ts runConformance), SDK checks the SDK runner's (a larger journal).
 */
import { afterAll, beforeAll, inject } from 'vitest';
import { createMockServer, type MockServer } from '../src/index.js';
import { MOCK_START, MUTATION_PORT_KEY } from './conformance.shared.js';

let server: MockServer | undefined;

// Stryker puts its own setup file first: with runtime activation, its beforeAll has set the
// active mutant when this one starts the mock.
// eslint-disable-next-line no-empty-pattern -- vitest hands the suite as the second argument, after an (unused) context
beforeAll(async ({}, suite) => {
  const file = 'filepath' in suite ? suite.filepath : suite.file.filepath;
  const sdk = /[\\/]sdk-checks[\\/]/.test(file);
  server = await createMockServer({
    port: inject(MUTATION_PORT_KEY),
    clock: { mode: 'fake', startAt: MOCK_START },
    ...(sdk && { journal: { entries: 200_000 } }),
  });
}, 30_000);

// Runs before the check file's own afterAll (its cleanup): the config sets `sequence.hooks:
// 'list'`. The cleanup then finds no server and sends nothing. It checks nothing, and this mock is
// thrown away anyway; but the mock's code it would run (auth, remove, frames, journal) runs outside
// any test, which Stryker counts as static coverage: each such mutant would be run against every
// check with a reload (1002 static mutants of 3223 with the cleanup, 399 without).
afterAll(async () => {
  await server?.close();
  server = undefined;
}, 30_000);
