/**
 * Bench settings: fixed load shape from the issue, plus the one knob it asks for
 * (BENCH_SECONDS, the measured period per row), and BENCH_ONLY to run some parts alone
 * (`BENCH_ONLY=memory,sustained npm run bench`).
 */

/** The bench's parts, in the order they run. */
export const BENCH_PARTS = ['rows', 'sustained', 'startup', 'scheduler', 'memory', 'persist', 'conformance', 'dashboard'] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

/**
 * One table row. `users: 'own'` gives each client its own user, so `list` returns that client's
 * deployment only (one SDK session per user, the common fixture shape); `'shared'` puts all
 * clients on one user, so every `list` carries up to `clients` records (about 9 KB).
 */
export interface Scenario {
  readonly depth: number;
  readonly users: 'own' | 'shared';
}

export interface BenchConfig {
  /** The parts this run measures (BENCH_ONLY; all by default). */
  readonly parts: readonly BenchPart[];
  /** Concurrent WebSocket clients per row. */
  readonly clients: number;
  /** One table row (echo + mock) each. */
  readonly scenarios: readonly Scenario[];
  /** Load before measuring, so both servers' JIT and socket buffers are warm. */
  readonly warmupMs: number;
  /** Each row alternates echo and mock this many times, measureMs split among the rounds. */
  readonly rounds: number;
  /** Measured period per row and server. */
  readonly measureMs: number;
  /** Key of the demo user that 'shared' rows authenticate every client with. */
  readonly sharedKey: string;
  /** createMockServer() start/close cycles for the start-up figure. */
  readonly startupRuns: number;
  /** Goals from the issue: mock msgs/s >= this share of echo's... */
  readonly goalThroughputRatio: number;
  /** ...and mock p99 <= this multiple of echo's. */
  readonly goalP99Ratio: number;
  /** Sustained load: connections each server holds at once, all authenticated, all driven... */
  readonly sustainedConnections: number;
  /** ...opened this many at a time, each batch authenticated before the next (under maxUnauthenticatedPerIp)... */
  readonly sustainedBatch: number;
  /** ...for this long per server (in `rounds` alternating rounds, after `warmupMs` each)... */
  readonly sustainedMeasureMs: number;
  /** ...against a mock started with this `--max-connections` (the default, spelled out), which the bench then fills and exceeds by one. */
  readonly sustainedMaxConnections: number;
  /** Memory: deployment counts measured, each in a fresh process... */
  readonly memorySizes: readonly number[];
  /** ...whose retained heap should be at most this multiple of the records' JSON. */
  readonly goalMemoryRatio: number;
  /** State file cost: adds in one pipelined burst, without and with a state file, in this many alternating rounds (bursts are short: more rounds than `rounds`)... */
  readonly persistRounds: number;
  /** ...of this many adds each... */
  readonly persistAdds: number;
  /** ...after this many warm-up adds (and removes of them) on each fresh server, in bursts of `persistAdds`... */
  readonly persistWarmupAdds: number;
  /** ...of about this many bytes of pipeline JSON each... */
  readonly persistPipelineBytes: number;
  /** ...spread over this many connections (one bench user each)... */
  readonly persistConnections: readonly number[];
  /** ...on a server already holding this many deployments (every write rewrites the whole file)... */
  readonly persistStored: readonly number[];
  /** ...spread over this many bench users (under maxDeploymentsPerUser). */
  readonly persistPreloadUsers: number;
  /** And adds sent one at a time on one connection, each its own write: what one write costs a waiting client. */
  readonly persistOneAtATimeAdds: number;
}

const DEFAULT_MEASURE_SECONDS = 5;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const measureMs = Math.round(secondsFrom(env['BENCH_SECONDS']) * 1000);
  return {
    parts: partsFrom(env['BENCH_ONLY']),
    clients: 16,
    scenarios: [
      { depth: 1, users: 'own' },
      { depth: 8, users: 'own' },
      { depth: 1, users: 'shared' },
      { depth: 8, users: 'shared' },
    ],
    warmupMs: 500,
    rounds: 3,
    measureMs,
    sharedKey: 'MYAPIKEY',
    startupRuns: 50,
    goalThroughputRatio: 0.6,
    goalP99Ratio: 2,
    sustainedConnections: 1000,
    sustainedBatch: 100,
    sustainedMeasureMs: 2 * measureMs,
    sustainedMaxConnections: 1024,
    memorySizes: [10_000, 100_000],
    goalMemoryRatio: 3,
    persistRounds: 5,
    persistAdds: 2_000,
    persistWarmupAdds: 10_000,
    persistPipelineBytes: 1_000,
    persistConnections: [1, 10],
    persistStored: [0, 10_000],
    persistPreloadUsers: 10,
    persistOneAtATimeAdds: 20,
  };
}

/** The key client `i` authenticates with in a scenario (bench users are made by users-file.ts). */
export function keyFor(config: BenchConfig, scenario: Scenario, client: number): string {
  return scenario.users === 'shared' ? config.sharedKey : benchUserKey(client);
}

export function benchUserKey(client: number): string {
  return `BENCHKEY${client}`;
}

/** The row's name in the table. */
export function scenarioName(config: BenchConfig, scenario: Scenario): string {
  return `${config.clients} clients, ${scenario.users} user, depth ${scenario.depth}`;
}

function partsFrom(raw: string | undefined): BenchPart[] {
  if (raw === undefined || raw.trim() === '') return [...BENCH_PARTS];
  const asked = raw.split(',').map((part) => part.trim());
  const unknown = asked.filter((part) => !(BENCH_PARTS as readonly string[]).includes(part));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown part(s) ${unknown.join(', ')}; the parts are ${BENCH_PARTS.join(', ')}`);
  // Always in the bench's own order, whatever order they were asked in.
  return BENCH_PARTS.filter((part) => asked.includes(part));
}

function secondsFrom(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return DEFAULT_MEASURE_SECONDS;
  const seconds = Number(raw);
  // A cap keeps a typo (BENCH_SECONDS=500) from turning the bench into a soak test by accident.
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 120) {
    throw new Error(`BENCH_SECONDS must be a number of seconds in (0, 120], got '${raw}'`);
  }
  return seconds;
}
