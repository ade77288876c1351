/** What the conformance-mode mutation run's global setup and worker setup agree on. */

/** The runner's default seed (conformance/runner.ts DEFAULT_SEED): the run repeats exactly. */
export const MUTATION_SEED = 20261126;

/**
 * fast-check runs per property. The in-process runner's default is 25; the mutation run uses 10
 * (MUTATION_RUNS=25 for the runner's): each mutant runs its checks again, and a surviving mutant
 * runs every check that covers it to the end. On src/domain/schedule.ts, 10 runs killed 157
 * mutants where 25 killed 160.
 */
export const MUTATION_RUNS = Number(process.env['MUTATION_RUNS'] ?? 10);

/** The SDK checks' client: the reference client with a short disconnect timeout (see reference-client.ts), or the kit's adapter. */
export const SDK_ADAPTER =
  process.env['MUTATION_SDK_ADAPTER'] === 'reference' ? '../conformance/adapters/reference-client.ts' : './reference-client.ts';

/** The SDK runner's default (conformance/sdk/driver.ts DEFAULT_SDK_TIMEOUT_MS). */
export const SDK_TIMEOUT_MS = 10_000;

/** Where the mock's fake clock starts: the runner's MOCK_START. */
export const MOCK_START = '2026-01-05T10:07:00Z';

/** The provided key carrying the port the worker's mock listens on. */
export const MUTATION_PORT_KEY = 'mutationPort';
