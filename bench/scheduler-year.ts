/**
 * The scheduler under load on the fake clock: a simulated year for 100 deployments of mixed
 * schedules (goal < 5 s), the cost per processed tick at 100, 1,000 and 10,000 deployments
 * (goal: within 2x across sizes), and the heap after a month against after the year (goal: flat
 * in the length of the advance, since history per deployment is capped), and the cost per tick
 * in time zones with daylight saving against UTC's (goal: within 2x).
 */
import { performance } from 'node:perf_hooks';
import { buildDeployCore, type DeployCore } from '../src/core-build.js';
import { TICK_SCHEDULES } from './ticks.js';
import { readAll } from '../src/control/paging.js';
import { median } from './stats.js';

const DAY = 86_400_000;

export interface YearResult {
  readonly deployments: number;
  readonly seconds: number;
  readonly ticks: number;
  readonly heapAfterMonthMb: number;
  readonly heapAfterYearMb: number;
}

export interface SizeResult {
  readonly deployments: number;
  readonly days: number;
  readonly ticks: number;
  /** The median round's. */
  readonly microsPerTick: number;
  /** Each round's, in the order they ran. */
  readonly rounds: readonly number[];
}

/** Rounds per size, interleaved so that each size sees the same machine; the median is kept. */
const SIZE_ROUNDS = 5;

/** A fake-clock core with `deployments` of MYAPIKEY's user, on `schedules` in turn (the mixed ones by default). */
export async function coreWith(
  deployments: number,
  timezone = 'UTC',
  startAt = '2026-01-01T00:00:00Z',
  schedules: readonly string[] = TICK_SCHEDULES,
): Promise<DeployCore> {
  const core = buildDeployCore({ clock: { mode: 'fake', startAt }, timezone });
  const auth = core.users.authenticate('MYAPIKEY');
  if (typeof auth === 'string') throw new Error('MYAPIKEY does not authenticate');
  const caller = { userId: auth.user.userId, permissions: auth.permissions, credential: auth.key };
  for (let i = 0; i < deployments; i++) {
    core.deploy.add(caller, { pipeline: { project_id: `bench-${i}` }, schedule: schedules[i % schedules.length] });
  }
  return core;
}

function ticksOf(core: DeployCore): number {
  return readAll((page) => core.control.deployments(page)).reduce(
    (n, d) => n + d.counters.fired + d.counters.skipped_overlap + d.counters.skipped_paused,
    0,
  );
}

function heapMb(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** One simulated year, advanced a day at a time (as a long test would), 100 deployments. */
export async function measureYear(deployments = 100): Promise<YearResult> {
  const core = await coreWith(deployments);
  let heapAfterMonthMb = 0;
  let elapsed = 0;
  for (let day = 1; day <= 365; day++) {
    const started = performance.now();
    core.control.advance(DAY);
    elapsed += performance.now() - started;
    if (day === 30) heapAfterMonthMb = heapMb(); // outside the timing: it forces a GC
  }
  const seconds = elapsed / 1000;
  return { deployments, seconds, ticks: ticksOf(core), heapAfterMonthMb, heapAfterYearMb: heapMb() };
}

/**
 * Cost per tick at each size, over a span that keeps the tick count similar across sizes: a
 * fresh core per round, the rounds of all sizes interleaved, the median round kept (one round
 * alone moves by 2x here with what the garbage collector happens to do).
 */
export async function measureSizes(sizes: readonly number[]): Promise<SizeResult[]> {
  const rounds = new Map<number, { days: number; ticks: number; micros: number[] }>();
  for (let round = 0; round < SIZE_ROUNDS; round++) {
    for (const deployments of sizes) {
      const { days, ticks, microsPerTick } = await sizeRound(deployments);
      const seen = rounds.get(deployments) ?? { days, ticks, micros: [] };
      seen.micros.push(microsPerTick);
      rounds.set(deployments, seen);
    }
  }
  return sizes.map((deployments) => {
    const { days, ticks, micros } = rounds.get(deployments)!;
    return { deployments, days, ticks, microsPerTick: median(micros), rounds: micros };
  });
}

async function sizeRound(deployments: number): Promise<{ days: number; ticks: number; microsPerTick: number }> {
  const core = await coreWith(deployments);
  const days = Math.max(1, Math.round(36_500 / deployments));
  core.control.advance(DAY); // warm-up
  const before = ticksOf(core);
  globalThis.gc?.(); // outside the timing: each round starts from a collected heap
  const started = performance.now();
  // A day per move, as in the year: each move stays under the events-per-move cap.
  for (let day = 0; day < days; day++) core.control.advance(DAY);
  const elapsed = performance.now() - started;
  const ticks = ticksOf(core) - before;
  core.stop();
  return { days, ticks, microsPerTick: (elapsed * 1000) / ticks };
}

export function yearLines(year: YearResult, sizes: readonly SizeResult[]): string[] {
  const costs = sizes.map((s) => s.microsPerTick);
  const spread = Math.max(...costs) / Math.min(...costs);
  return [
    `simulated year, ${year.deployments} deployments (mixed schedules, advanced a day at a time): ` +
      `${year.seconds.toFixed(2)} s for ${year.ticks.toLocaleString('en-US')} ticks (goal < 5 s, ${year.seconds < 5 ? 'met' : 'MISSED'})`,
    `heap after 1 month ${year.heapAfterMonthMb.toFixed(1)} MB, after 12 months ${year.heapAfterYearMb.toFixed(1)} MB ` +
      `(goal: flat; history capped per deployment)`,
    ...sizes.map(
      (s) =>
        `cost per tick at ${s.deployments.toLocaleString('en-US')} deployments: ${s.microsPerTick.toFixed(2)} µs, median of ` +
        `${s.rounds.length} rounds (${s.rounds.map((r) => r.toFixed(2)).join(', ')}; ${s.ticks.toLocaleString('en-US')} ticks over ${s.days} days each)`,
    ),
    `cost per tick spread across sizes: ${spread.toFixed(2)}x (goal <= 2x, ${spread <= 2 ? 'met' : 'MISSED'})`,
  ];
}

/** Zones of different rules: two hemispheres, a 30-minute shift, a +5:45 offset. */
export const BENCH_ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu'] as const;
/** The zones' month: 30 days across the March and April transitions of Berlin, Lord Howe and Sydney. */
const ZONE_START = '2026-03-20T00:00:00Z';
const ZONE_DAYS = 30;
const ZONE_DEPLOYMENTS = 10;
/** Rounds per zone, interleaved so that each zone sees the same machine; the median is kept. */
const ZONE_ROUNDS = 15;

export interface ZoneResult {
  readonly timezone: string;
  readonly ticks: number;
  readonly microsPerTick: number;
}

/** Cost per tick of 10 deployments of mixed schedules over 30 days, in each zone, side by side. */
export async function measureZones(): Promise<ZoneResult[]> {
  const samples = new Map<string, number[]>(BENCH_ZONES.map((zone) => [zone, []]));
  const ticks = new Map<string, number>();
  for (let round = 0; round < ZONE_ROUNDS + 1; round++) {
    for (const timezone of BENCH_ZONES) {
      const core = await coreWith(ZONE_DEPLOYMENTS, timezone, ZONE_START);
      const started = performance.now();
      for (let day = 0; day < ZONE_DAYS; day++) core.control.advance(DAY);
      const elapsed = performance.now() - started;
      const count = ticksOf(core);
      ticks.set(timezone, count);
      if (round > 0) samples.get(timezone)!.push((elapsed * 1000) / count); // round 0 warms up
    }
  }
  return BENCH_ZONES.map((timezone) => {
    const sorted = samples.get(timezone)!.sort((a, b) => a - b);
    return { timezone, ticks: ticks.get(timezone)!, microsPerTick: sorted[sorted.length >> 1]! };
  });
}

export function zoneLines(zones: readonly ZoneResult[]): string[] {
  const utc = zones.find((z) => z.timezone === 'UTC')!.microsPerTick;
  return zones.map((z) => {
    const ratio = z.microsPerTick / utc;
    const goal = z.timezone === 'UTC' ? '' : ` = ${ratio.toFixed(2)}x UTC (goal <= 2x, ${ratio <= 2 ? 'met' : 'MISSED'})`;
    return (
      `cost per tick in ${z.timezone}: ${z.microsPerTick.toFixed(2)} µs${goal} ` +
      `(${ZONE_DEPLOYMENTS} deployments, ${z.ticks.toLocaleString('en-US')} ticks over ${ZONE_DAYS} days from ${ZONE_START.slice(0, 10)}, median of ${ZONE_ROUNDS})`
    );
  });
}
