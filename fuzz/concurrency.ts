/**
 * Concurrency properties (issue 7): same-id races (concurrency-race.ts), and many clients of
 * several users running fast-check-generated command sequences at once, pipelined, each answer
 * checked against a model, the final state against the union of the models.
 *
 * How it stays exact under any interleaving: each client owns a few project ids (its slots), so
 * its answers about them depend only on its own earlier commands (concurrency-model.ts). A few
 * ids per user are contended by a small group of that user's clients; their answers are checked
 * by a serial-order search (concurrency-shared.ts). Lists hold other clients' records of the
 * same user: each client checks its own part exactly, and that nothing else of the run's
 * namespace appears but the same user's other ids.
 */
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { commandArbitrary } from './concurrency-commands.js';
import { ConcurrencyError } from './concurrency-errors.js';
import { ConcurrentRun } from './concurrency-run.js';

export { sameIdRace, type SameIdRaceOptions, type SameIdRaceResult, type RaceWinner } from './concurrency-race.js';
export { concurrencyUsers, type ConcurrencyUsers } from './concurrency-users.js';
export { ConcurrencyError, type ConcurrencyErrorCode } from './concurrency-errors.js';

export interface ConcurrentModelOptions {
  /** The server's DAP url (`ws://…/task/service`). */
  readonly url: string;
  /** Connections, each one client running its own command sequence. */
  readonly clients: number;
  readonly commandsPerClient: number;
  /** fast-check seed: the same seed generates the same command sequences. */
  readonly seed: number;
  /**
   * Keys (each with the control and monitor permissions) the clients spread over, round robin.
   * Default: the demo users' MYAPIKEY and ALICEKEY. concurrencyUsers(n) makes more.
   */
  readonly keys?: readonly string[];
  /** Requests in flight per connection. Default 32. */
  readonly window?: number;
  /** Clients of one user contending for each shared id. Default 3. */
  readonly contenders?: number;
  /** Property runs (each new sequences, in a new namespace). Default 1. */
  readonly runs?: number;
  /** Replays one failing run: the `path` a failure printed (with its seed). */
  readonly path?: string;
  /** Shrink a failing run (slow, and the interleaving differs each try). Default false. */
  readonly shrink?: boolean;
  /** Progress lines, every few seconds. */
  readonly onProgress?: (line: string) => void;
}

export interface ConcurrentModelResult {
  /** Commands sent and checked (auth and the final checks not counted). */
  readonly commands: number;
  /** Time spent connecting, running and checking (not generating the sequences). */
  readonly seconds: number;
}

export async function concurrentModel(options: ConcurrentModelOptions): Promise<ConcurrentModelResult> {
  const { clients, commandsPerClient: perClient, seed } = options;
  for (const [name, value] of [
    ['clients', clients],
    ['commandsPerClient', perClient],
    ['window', options.window ?? 1],
    ['contenders', options.contenders ?? 1],
    ['runs', options.runs ?? 1],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1)
      throw new ConcurrencyError('BAD_OPTIONS', `concurrentModel: ${name} must be a whole number of at least 1, got ${String(value)}`);
  }
  if (options.keys?.length === 0) throw new ConcurrencyError('BAD_OPTIONS', 'concurrentModel: give at least one key');
  const programs = fc.array(fc.array(commandArbitrary, { minLength: perClient, maxLength: perClient }), {
    minLength: clients,
    maxLength: clients,
  });
  // One namespace per call and per run: runs never see each other's ids, even on one server.
  const base = `cm-${seed}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  let run = 0;
  let commands = 0;
  let seconds = 0;
  const property = fc.asyncProperty(programs, async (sequences) => {
    const started = performance.now();
    await new ConcurrentRun(options, sequences, `${base}-r${run++}/`).execute();
    seconds += (performance.now() - started) / 1000;
    commands += clients * perClient;
  });
  const details = await fc.check(property, {
    seed,
    numRuns: options.runs ?? 1,
    endOnFailure: !(options.shrink ?? false),
    ...(options.path !== undefined && { path: options.path }),
  });
  if (details.failed) {
    const cause = details.errorInstance;
    const code = cause instanceof ConcurrencyError ? cause.code : 'MISMATCH';
    const message = cause instanceof Error ? cause.message : String(cause);
    throw new ConcurrencyError(
      code,
      `${message}\n  seed ${details.seed}, path "${details.counterexamplePath}". Replay the same command sequences (the interleaving may differ) with ` +
        `concurrentModel({ clients: ${clients}, commandsPerClient: ${perClient}, seed: ${details.seed}, path: "${details.counterexamplePath}", … the other options as before })`,
    );
  }
  return { commands, seconds };
}
