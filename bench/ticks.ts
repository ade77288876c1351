/**
 * Scheduler tick throughput in UTC, side by side in one process: UtcCronMatcher.next chaining,
 * croner's nextRun chaining, and a naive minute-stepping loop over croner's match(). Each engine
 * walks the same mixed schedules over its own simulated span (the slow ones get short spans so
 * the whole measurement stays within a few seconds); the figure is ticks found per second of
 * work, summed over the schedules. The engines' ticks are also cross-checked.
 */
import { performance } from 'node:perf_hooks';
import { Cron } from 'croner';
import { UtcCronMatcher } from '../src/domain/cron-next.js';

export interface TickBenchResult {
  readonly matcherTicksPerSec: number;
  readonly cronerTicksPerSec: number;
  readonly naiveTicksPerSec: number;
  /** matcher / croner nextRun. */
  readonly speedupVsCroner: number;
  /** matcher / naive minute stepping. */
  readonly speedupVsNaive: number;
}

/** Mixed schedules as the issue lists them: every 5 and 15 minutes, hourly, daily, weekly, lists, ranges. */
export const TICK_SCHEDULES: readonly string[] = [
  '*/5 * * * *',
  '*/15 * * * *',
  '0 * * * *',
  '0 0 * * *',
  '0 0 * * 0',
  '0,30 8-18 * * 1-5',
  '15 2 1,15 * *',
];

const START = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;
const DAY = 86_400_000;
// croner's nextRun costs ~50-80 µs and match() ~6 µs per stepped minute: spans sized so the
// whole function runs in a few seconds while each engine still finds thousands of ticks.
const MATCHER_SPAN = 5 * 365 * DAY;
const MATCHER_ROUNDS = 3;
const CRONER_SPAN = 45 * DAY;
const NAIVE_SPAN = 5 * DAY;
const WARMUP_SPAN = 2 * DAY;
const GOAL_TICKS_PER_SEC = 1_000_000;
const GOAL_SPEEDUP = 50;

interface Engine {
  /** Counts the ticks of one schedule in (START, START + span); returns the count. */
  (expression: string, span: number): number;
}

const cronOptions = { mode: '5-part', timezone: 'UTC' } as const;

const matcherTicks: Engine = (expression, span) => {
  const matcher = UtcCronMatcher.compile(expression);
  const end = START + span;
  let ticks = 0;
  for (let t = matcher.next(START); t !== undefined && t < end; t = matcher.next(t)) ticks++;
  return ticks;
};

const cronerTicks: Engine = (expression, span) => {
  const cron = new Cron(expression, cronOptions);
  const end = START + span;
  let ticks = 0;
  for (let d = cron.nextRun(new Date(START)); d !== null && d.getTime() < end; d = cron.nextRun(d)) ticks++;
  return ticks;
};

const naiveTicks: Engine = (expression, span) => {
  const cron = new Cron(expression, cronOptions);
  const end = START + span;
  let ticks = 0;
  for (let t = START + MINUTE; t < end; t += MINUTE) if (cron.match(new Date(t))) ticks++;
  return ticks;
};

interface Run {
  readonly ticks: number;
  readonly ms: number;
  /** Ticks per schedule, for the cross-check. */
  readonly counts: readonly number[];
}

function run(engine: Engine, span: number): Run {
  const counts: number[] = [];
  const started = performance.now();
  for (const expression of TICK_SCHEDULES) counts.push(engine(expression, span));
  const ms = performance.now() - started;
  return { ticks: counts.reduce((a, b) => a + b, 0), ms, counts };
}

const perSec = (r: Run): number => (r.ticks / r.ms) * 1000;

/** The engines must agree; a fast matcher that ticks differently would be worthless. */
function crossCheck(name: string, reference: Run, other: Run): void {
  if (reference.counts.some((count, i) => count !== other.counts[i])) {
    throw new Error(`tick bench: matcher and ${name} disagree: ${reference.counts} vs ${other.counts}`);
  }
}

export async function measureTicks(): Promise<TickBenchResult> {
  // Warm every engine's code paths first, so the timed runs measure steady state.
  for (const engine of [matcherTicks, cronerTicks, naiveTicks]) run(engine, WARMUP_SPAN);
  for (let i = 0; i < 3; i++) run(matcherTicks, MATCHER_SPAN / 5);

  const matcherRuns: number[] = [];
  for (let i = 0; i < MATCHER_ROUNDS; i++) matcherRuns.push(perSec(run(matcherTicks, MATCHER_SPAN)));
  matcherRuns.sort((a, b) => a - b);
  const matcherTicksPerSec = matcherRuns[Math.floor(MATCHER_ROUNDS / 2)]!;

  const croner = run(cronerTicks, CRONER_SPAN);
  const naive = run(naiveTicks, NAIVE_SPAN);
  crossCheck('croner nextRun', run(matcherTicks, CRONER_SPAN), croner);
  crossCheck('naive match()', run(matcherTicks, NAIVE_SPAN), naive);

  const cronerTicksPerSec = perSec(croner);
  const naiveTicksPerSec = perSec(naive);
  return {
    matcherTicksPerSec,
    cronerTicksPerSec,
    naiveTicksPerSec,
    speedupVsCroner: matcherTicksPerSec / cronerTicksPerSec,
    speedupVsNaive: matcherTicksPerSec / naiveTicksPerSec,
  };
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

export function tickLines(result: TickBenchResult): string[] {
  const speedOk = result.matcherTicksPerSec >= GOAL_TICKS_PER_SEC;
  const ratioOk = result.speedupVsCroner >= GOAL_SPEEDUP;
  return [
    `ticks/s  matcher ${count(result.matcherTicksPerSec)}  croner ${count(result.cronerTicksPerSec)}` +
      `  naive ${count(result.naiveTicksPerSec)}` +
      `  (matcher = ${count(result.speedupVsCroner)}x croner,` +
      ` goal >= ${GOAL_SPEEDUP}x ${ratioOk ? 'met' : 'NOT met'};` +
      ` ${count(GOAL_TICKS_PER_SEC)}/s goal ${speedOk ? 'met' : 'NOT met'})`,
    `         matcher = ${count(result.speedupVsNaive)}x naive minute-stepping match();` + ` schedules: ${TICK_SCHEDULES.join(' | ')}`,
  ];
}
