/** The bench's figures: per server and row, the mock/echo ratios and whether goals are met. */
import type { DashboardResult } from './dashboard.js';
import { scenarioName, type BenchConfig, type Scenario } from './config.js';
import type { LoadResult } from './load-client.js';
import type { ConformanceBench } from './conformance.js';
import type { MemoryResult } from './memory.js';
import type { PersistResult } from './persist.js';
import type { TickCommitResult } from './persist-ticks.js';
import type { SustainedResult } from './sustained.js';
import type { SizeResult, YearResult, ZoneResult } from './scheduler-year.js';
import type { SessionCostResult } from './session-cost.js';
import type { TickBenchResult } from './ticks.js';
import type { StartupResult } from './startup.js';
import { summarize } from './stats.js';

export type ServerKind = 'echo' | 'mock';

export interface ServerFigures {
  readonly server: ServerKind;
  readonly msgsPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Round trips completed in the measured window. */
  readonly requests: number;
  readonly seconds: number;
  readonly failures: number;
  readonly failureSamples: readonly string[];
}

export interface RowResult {
  readonly scenario: string;
  readonly clients: number;
  readonly depth: number;
  readonly users: Scenario['users'];
  readonly echo: ServerFigures;
  readonly mock: ServerFigures;
  /** mock msgs/s divided by echo msgs/s (goal: >= goalThroughputRatio). */
  readonly throughputRatio: number;
  /** mock p99 divided by echo p99 (goal: <= goalP99Ratio). */
  readonly p99Ratio: number;
  readonly meetsThroughputGoal: boolean;
  readonly meetsP99Goal: boolean;
}

/** What one run measured; a part left out by BENCH_ONLY is absent. */
export interface BenchResults {
  readonly generatedAt: string;
  readonly node: string;
  readonly platform: string;
  readonly cpus: number;
  readonly settings: BenchConfig;
  readonly rows?: readonly RowResult[];
  readonly sustained?: SustainedResult;
  readonly startup?: StartupResult;
  readonly sessionCost?: SessionCostResult & { readonly microsPerRequestWithoutJournal: number };
  readonly scheduler?: { ticks: TickBenchResult; year: YearResult; sizes: SizeResult[]; zones: ZoneResult[] };
  readonly memory?: readonly MemoryResult[];
  readonly persist?: PersistResult & { readonly tickCommits: TickCommitResult };
  readonly conformance?: ConformanceBench;
  readonly dashboard?: DashboardResult;
  /** Failed requests over the rows, the sustained load and the state-file bursts (plus one if the connection limit did not hold); non-zero fails the bench. */
  readonly failures: number;
}

export function figuresOf(server: ServerKind, load: LoadResult): ServerFigures {
  const latency = summarize(load.latenciesMs);
  return {
    server,
    msgsPerSec: load.requests / load.seconds,
    p50Ms: latency.p50,
    p99Ms: latency.p99,
    maxMs: latency.max,
    requests: load.requests,
    seconds: load.seconds,
    failures: load.failures,
    failureSamples: load.failureSamples,
  };
}

export function rowOf(config: BenchConfig, scenario: Scenario, echo: ServerFigures, mock: ServerFigures): RowResult {
  const throughputRatio = mock.msgsPerSec / echo.msgsPerSec;
  const p99Ratio = mock.p99Ms / echo.p99Ms;
  return {
    scenario: scenarioName(config, scenario),
    clients: config.clients,
    depth: scenario.depth,
    users: scenario.users,
    echo,
    mock,
    throughputRatio,
    p99Ratio,
    meetsThroughputGoal: throughputRatio >= config.goalThroughputRatio,
    meetsP99Goal: p99Ratio <= config.goalP99Ratio,
  };
}
