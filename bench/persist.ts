/**
 * What a state file costs a burst of changes. The same burst of pipelined adds goes to a mock
 * without a state file and to one with it (`serve --state-file`, where an add's reply leaves
 * only once the add is on disk), side by side in alternating rounds, each burst on a fresh
 * server in its own process, warmed up first. Cells: 1 and several connections, on an empty
 * server and on one already holding many deployments (a write appends what changed, so the
 * stored ones should cost little; now and then the whole state is rewritten); plus a few adds
 * sent one at a time, each then its own write, which is what one write costs a client that
 * waits, and how that grows with what is stored (goal: at most 2x). Figures: adds/s for each
 * side and their ratio, writes per burst (counted by watching the file, persist-writes.ts) and
 * the file's size after the burst.
 */
import { copyFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChildServer } from './child-server.js';
import type { BenchConfig } from './config.js';
import { pipelineOf, runBurst, type BurstOptions, type BurstResult } from './persist-burst.js';
import { calibrateWriteCounter, WriteCounter, type WriteCount } from './persist-writes.js';
import { median } from './stats.js';
import { writeBenchUsers } from './users-file.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const USERS_FILE = join(ROOT, '.bench', 'users-persist.json');

export interface PersistSide {
  /** From the median burst: a round disturbed by other work on the machine moves it least. */
  readonly addsPerSec: number;
  readonly medianBurstMs: number;
  /** Each round's burst, ms. */
  readonly burstMs: readonly number[];
}

export interface PersistCell {
  readonly connections: number;
  /** Adds in flight per connection: all of them (pipelined), or 1 (each waits for the previous reply). */
  readonly window: 'all' | 1;
  readonly adds: number;
  /** Deployments on the server before the burst. */
  readonly stored: number;
  readonly withoutFile: PersistSide;
  readonly withFile: PersistSide & {
    /** Each round's count of state-file writes during the burst: whole ones and appended commits. */
    readonly writes: readonly WriteCount[];
    /** The state file after the burst (the last round's). */
    readonly fileBytes: number;
  };
  /** Adds/s with the file divided by adds/s without: 1 is free, 0.1 is ten times slower. */
  readonly ratio: number;
  /** Mean over the rounds: all writes, and the whole ones among them. */
  readonly writesPerBurst: number;
  readonly wholeWritesPerBurst: number;
  /** Median burst divided by adds, each side: for one-at-a-time adds, what a client waits per add. */
  readonly msPerAddWithout: number;
  readonly msPerAddWith: number;
}

export interface PersistResult {
  readonly warmupAdds: number;
  readonly pipelineBytes: number;
  readonly rounds: number;
  readonly dir: string;
  readonly cells: readonly PersistCell[];
  readonly failures: number;
  readonly failureSamples: readonly string[];
}

interface Cell {
  readonly connections: number;
  readonly stored: number;
  readonly window: 'all' | 1;
  readonly adds: number;
}

export async function measurePersist(config: BenchConfig): Promise<PersistResult> {
  const cells: Cell[] = [
    ...config.persistConnections.flatMap((connections) =>
      config.persistStored.map((stored) => ({ connections, stored, window: 'all' as const, adds: config.persistAdds })),
    ),
    ...config.persistStored.map((stored) => ({ connections: 1, stored, window: 1 as const, adds: config.persistOneAtATimeAdds })),
  ];
  const users = Math.max(config.persistPreloadUsers, ...config.persistConnections);
  await writeBenchUsers(USERS_FILE, users);
  const dir = await mkdtemp(join(tmpdir(), 'rrdk-bench-persist-'));
  const failures = new Failures();
  try {
    await calibrateWriteCounter(dir);
    // One state file per stored count, made once through the wire; each burst starts from a copy.
    const seeds = new Map<number, string>();
    for (const stored of new Set(config.persistStored)) {
      if (stored > 0) seeds.set(stored, await makeSeed(dir, stored, config, failures));
    }

    const runs = new Map<Cell, CellRuns>();
    for (const cell of cells) runs.set(cell, { without: [], with: [], writes: [], fileBytes: 0 });
    for (let round = 0; round < config.persistRounds; round++) {
      for (const cell of cells) {
        const run = runs.get(cell)!;
        // Alternate which side goes first, so neither always follows the other's disk traffic.
        const order = round % 2 === 0 ? [false, true] : [true, false];
        for (const withFile of order) {
          if (withFile) {
            const file = join(dir, `state-r${round}-c${cell.connections}-w${cell.window}-s${cell.stored}.json`);
            const burst = await burstWithFile(file, seeds.get(cell.stored), cell, config, failures);
            run.with.push(burst.ms);
            run.writes.push(burst.writes);
            run.fileBytes = burst.fileBytes;
          } else {
            const burst = await burstWithoutFile(cell, config, failures);
            run.without.push(burst.ms);
          }
        }
      }
    }

    return {
      warmupAdds: config.persistWarmupAdds,
      pipelineBytes: config.persistPipelineBytes,
      rounds: config.persistRounds,
      dir: tmpdir(),
      cells: cells.map((cell) => cellOf(cell, runs.get(cell)!)),
      failures: failures.count,
      failureSamples: failures.samples,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Failed requests over every burst (warm-ups and preloads too), with a few distinct reasons. */
class Failures {
  count = 0;
  readonly samples: string[] = [];

  /** Records the burst's failures and hands it back. */
  of<T extends BurstResult>(burst: T): T {
    this.count += burst.failures;
    for (const sample of burst.failureSamples) if (this.samples.length < 5 && !this.samples.includes(sample)) this.samples.push(sample);
    return burst;
  }
}

interface CellRuns {
  readonly without: number[];
  readonly with: number[];
  readonly writes: WriteCount[];
  fileBytes: number;
}

function cellOf(cell: Cell, run: CellRuns): PersistCell {
  const side = (burstMs: number[]): PersistSide => {
    const medianBurstMs = median(burstMs);
    return { addsPerSec: cell.adds / (medianBurstMs / 1000), medianBurstMs, burstMs };
  };
  const withoutFile = side(run.without);
  const withFile = { ...side(run.with), writes: run.writes, fileBytes: run.fileBytes };
  return {
    ...cell,
    withoutFile,
    withFile,
    ratio: withFile.addsPerSec / withoutFile.addsPerSec,
    writesPerBurst: sum(run.writes.map((w) => w.whole + w.appended)) / run.writes.length,
    wholeWritesPerBurst: sum(run.writes.map((w) => w.whole)) / run.writes.length,
    msPerAddWithout: withoutFile.medianBurstMs / cell.adds,
    msPerAddWith: withFile.medianBurstMs / cell.adds,
  };
}

function serverArgs(stateFile: string | undefined): string[] {
  const args = ['dist/cli.js', 'serve', '--port', '0', '--quiet', '--users', USERS_FILE, '--clock', 'fake'];
  return stateFile === undefined ? args : [...args, '--state-file', stateFile];
}

/** The burst against a server without a state file, first given the cell's stored deployments through the wire. */
async function burstWithoutFile(cell: Cell, config: BenchConfig, failures: Failures): Promise<BurstResult> {
  const server = await startChildServer('mock', serverArgs(undefined), ROOT);
  try {
    if (cell.stored > 0) failures.of(await preload(server.url, cell.stored, config));
    await warmUp(server.url, cell, config, failures);
    return failures.of(await runBurst(burstOptions(server.url, cell, config)));
  } finally {
    await server.stop();
  }
}

/** The burst against a server with a state file (a copy of the seed, or none yet), counting its writes. */
async function burstWithFile(
  file: string,
  seed: string | undefined,
  cell: Cell,
  config: BenchConfig,
  failures: Failures,
): Promise<BurstResult & { writes: WriteCount; fileBytes: number }> {
  if (seed !== undefined) await copyFile(seed, file);
  const server = await startChildServer('mock', serverArgs(file), ROOT);
  let counter: WriteCounter | undefined;
  try {
    // The warm-up's replies came after its writes, so every write counted from here is the burst's.
    await warmUp(server.url, cell, config, failures);
    counter = new WriteCounter(file);
    const burst = failures.of(await runBurst(burstOptions(server.url, cell, config)));
    // Every add's reply came after its write, so no write of the burst is still to come.
    const writes = await counter.settled();
    return { ...burst, writes, fileBytes: (await stat(file)).size };
  } finally {
    counter?.close();
    await server.stop();
    await rm(file, { force: true });
  }
}

function burstOptions(url: string, cell: Cell, config: BenchConfig): BurstOptions {
  return {
    url,
    connections: cell.connections,
    count: cell.adds,
    requestOf: (c, i) => add(`burst-c${c}-${i}`, config),
    window: cell.window === 'all' ? Infinity : 1,
  };
}

/**
 * Pipelined bursts of adds on the cell's connections, each followed by removes of them, until
 * `persistWarmupAdds` adds were made: a fresh process runs its first thousands of adds several
 * times slower (code not yet optimized), and that is not the state file's cost. Leaves the
 * stored deployments as they were.
 */
async function warmUp(url: string, cell: Cell, config: BenchConfig, failures: Failures): Promise<void> {
  for (let done = 0; done < config.persistWarmupAdds; done += config.persistAdds) {
    const projectId = (c: number, i: number) => `warm-${done}-c${c}-${i}`;
    const shape = { url, connections: cell.connections, count: config.persistAdds, window: Infinity };
    failures.of(await runBurst({ ...shape, requestOf: (c, i) => add(projectId(c, i), config) }));
    failures.of(
      await runBurst({ ...shape, requestOf: (c, i) => ({ command: 'rrext_deploy_remove', arguments: { projectId: projectId(c, i) } }) }),
    );
  }
}

/** `stored` deployments, spread over the preload users (one connection each), same ids and pipelines every time. */
function preload(url: string, stored: number, config: BenchConfig): Promise<BurstResult> {
  return runBurst({
    url,
    connections: config.persistPreloadUsers,
    count: stored,
    requestOf: (c, i) => add(`stored-u${c}-${i}`, config),
    window: Infinity,
  });
}

function add(projectId: string, config: BenchConfig) {
  return { command: 'rrext_deploy_add', arguments: { pipeline: pipelineOf(projectId, config.persistPipelineBytes) } };
}

/** A state file holding `stored` deployments, written by a server that was given them and shut down. */
async function makeSeed(dir: string, stored: number, config: BenchConfig, failures: Failures): Promise<string> {
  const file = join(dir, `seed-${stored}.json`);
  const server = await startChildServer('mock', serverArgs(file), ROOT);
  try {
    failures.of(await preload(server.url, stored, config));
  } finally {
    await server.stop(); // graceful: the last write is done before it exits
  }
  return file;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(bytes < 2 ** 20 ? 2 : 1);

export function persistLines(result: PersistResult): string[] {
  const pipelined = result.cells.filter((cell) => cell.window === 'all');
  const oneAtATime = result.cells.filter((cell) => cell.window === 1);
  const stored = (cell: PersistCell) => `${int(cell.stored).padStart(6)} stored`;
  const slower = (cell: PersistCell) => {
    const times = 1 / cell.ratio;
    return `ratio ${cell.ratio.toPrecision(2)}, ${times < 10 ? times.toFixed(1) : int(times)}x slower`;
  };
  const file = (cell: PersistCell) => `file ${mb(cell.withFile.fileBytes)} MB`;
  const writes = (cell: PersistCell) =>
    `${cell.writesPerBurst.toFixed(1)} writes per burst (${cell.wholeWritesPerBurst.toFixed(1)} of them whole, the rest appended)`;
  return [
    `state file cost (serve --state-file: an add's reply leaves once the add is on disk), without and with a state file ` +
      `in ${result.dir}: ${int(result.pipelineBytes)}-byte pipelines, fresh server process per burst, warmed up by ` +
      `${int(result.warmupAdds)} adds and removes; median of ${result.rounds} alternating rounds; writes counted by watching the file`,
    ...pipelined.map(
      (cell) =>
        `${int(cell.adds)} adds pipelined over ${String(cell.connections).padStart(2)} connection${cell.connections === 1 ? ', ' : 's,'} ${stored(cell)}: ` +
        `${int(cell.withoutFile.addsPerSec).padStart(6)} adds/s without, ${int(cell.withFile.addsPerSec).padStart(6)} with ` +
        `(${slower(cell)}); ${writes(cell)} (${int(cell.adds / cell.writesPerBurst)} adds each); ${file(cell)}`,
    ),
    ...oneAtATime.map(
      (cell) =>
        `${int(cell.adds)} adds one at a time, 1 connection, ${stored(cell)}: ` +
        `${cell.msPerAddWithout.toFixed(2)} ms per add without, ${cell.msPerAddWith.toFixed(1)} ms with (${slower(cell)}); ` +
        `${writes(cell)}, so one write costs about ${(cell.msPerAddWith - cell.msPerAddWithout).toFixed(1)} ms; ${file(cell)}`,
    ),
    ...growthLines(oneAtATime),
  ];
}

/** What an acknowledged add costs with the most deployments stored, against the same add with none: the goal is at most 2x. */
function growthLines(oneAtATime: readonly PersistCell[]): string[] {
  const empty = oneAtATime.find((cell) => cell.stored === 0);
  const full = oneAtATime.reduce<PersistCell | undefined>((most, cell) => (most && most.stored >= cell.stored ? most : cell), undefined);
  if (!empty || !full || full === empty) return [];
  const growth = full.msPerAddWith / empty.msPerAddWith;
  return [
    `one acknowledged add with ${int(full.stored)} stored costs ${growth.toFixed(2)}x the same add with none ` +
      `(${full.msPerAddWith.toFixed(2)} against ${empty.msPerAddWith.toFixed(2)} ms; goal <= 2x: ${growth <= 2 ? 'met' : 'NOT met'})`,
  ];
}
