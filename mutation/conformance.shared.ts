/** What the conformance-mode mutation run's global setup and worker setup agree on. */

/** The runner's default seed (conformance/runner.ts DEFAULT_SEED): the run repeats exactly. */
export const MUTATION_SEED = 20261126;

/** fast-check runs per property: the in-process runner's default, unless MUTATION_RUNS says otherwise. */
export const MUTATION_RUNS = Number(process.env['MUTATION_RUNS'] ?? 25);

/** The SDK runner's default (conformance/sdk/driver.ts DEFAULT_SDK_TIMEOUT_MS). */
export const SDK_TIMEOUT_MS = 10_000;

/** Where the mock's fake clock starts: the runner's MOCK_START. */
export const MOCK_START = '2026-01-05T10:07:00Z';

/** The provided key carrying the port the worker's mock listens on. */
export const MUTATION_PORT_KEY = 'mutationPort';
